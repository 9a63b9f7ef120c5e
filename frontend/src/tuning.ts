// A tuning study's plots, shaped from its answer (unit-tested): each optimizer's
// optimization history, and each hyperparameter against the objective.
import type { Trial } from "./api/answers";
import type { ScatterTrace } from "./shape";

type Scored = Pick<Trial, "optimizer" | "number" | "state" | "value" | "hyperparameters">;

const scored = (t: Scored) => (t.state === "complete" || t.state === "pruned") && t.value !== null;

/** Per optimizer: every scored trial's value by trial number (pruned ones drawn apart,
 * as their value is the best they reached before being stopped) and the best complete
 * value so far, in the objective's direction. */
export function historyTraces(trials: Scored[], direction: "higher" | "lower"): ScatterTrace[] {
  const better = (a: number, b: number) => (direction === "higher" ? a > b : a < b);
  const traces: ScatterTrace[] = [];
  for (const optimizer of [...new Set(trials.map((t) => t.optimizer))]) {
    const mine = trials.filter((t) => t.optimizer === optimizer && scored(t)).sort((a, b) => a.number - b.number);
    for (const state of ["complete", "pruned"] as const) {
      const these = mine.filter((t) => t.state === state);
      if (these.length === 0) continue;
      traces.push({
        type: "scatter", mode: "markers", name: `${optimizer} ${state}`, legendgroup: optimizer,
        x: these.map((t) => t.number), y: these.map((t) => t.value),
        marker: { symbol: state === "pruned" ? "x" : "circle", opacity: state === "pruned" ? 0.6 : 1 },
      });
    }
    const best: number[] = [];
    const at: number[] = [];
    let current: number | null = null;
    for (const t of mine.filter((m) => m.state === "complete")) {
      if (current === null || better(t.value as number, current)) current = t.value as number;
      best.push(current);
      at.push(t.number);
    }
    if (at.length) {
      traces.push({ type: "scatter", mode: "lines", name: `${optimizer} best so far`, legendgroup: optimizer,
        x: at, y: best, line: { width: 2 } });
    }
  }
  return traces;
}

/** The hyperparameters a study searched, in the order first seen. */
export function searchedNames(spaces: Record<string, { dimensions: { name: string }[] }>): string[] {
  return [...new Set(Object.values(spaces).flatMap((s) => s.dimensions.map((d) => d.name)))];
}

/** One hyperparameter against the objective: a marker per scored trial, per optimizer. */
export function parameterTraces(trials: Scored[], name: string): ScatterTrace[] {
  const traces: ScatterTrace[] = [];
  for (const optimizer of [...new Set(trials.map((t) => t.optimizer))]) {
    const these = trials.filter((t) => t.optimizer === optimizer && scored(t)
      && t.hyperparameters !== null && t.hyperparameters[name] !== undefined);
    if (these.length === 0) continue;
    traces.push({
      type: "scatter", mode: "markers", name: optimizer,
      x: these.map((t) => (t.hyperparameters as Record<string, number | string>)[name]),
      y: these.map((t) => t.value),
    });
  }
  return traces;
}
