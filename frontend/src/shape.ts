// Pure data shaping: API JSON in, plot traces and table rows out (unit-tested).

export type Minimum = { label: string; location: [number, number]; value: number };
export type OptimizerDistribution = {
  optimizer: string;
  status?: string;
  counts?: Record<string, number>;
  fractions?: Record<string, number>;
  intervals?: Record<string, [number, number]>;
};
export type FunctionDistribution = {
  function: string;
  minima: Minimum[];
  optimizers: OptimizerDistribution[];
  tests: { a: string; b: string; pvalue: number; pvalue_holm?: number; agreement?: number | null }[];
};

export type BarTrace = {
  type: "bar"; name: string; x: string[]; y: number[];
  error_y: { type: "data"; symmetric: false; array: number[]; arrayminus: number[] };
};

/** One bar trace per finished optimizer: fraction per basin with its CI as error bars. */
export function distributionBars(entry: FunctionDistribution): BarTrace[] {
  const labels = [...entry.minima.map((m) => m.label), "else"];
  return entry.optimizers
    .filter((o) => o.fractions && o.intervals)
    .map((o) => {
      const y = labels.map((l) => o.fractions![l] ?? 0);
      return {
        type: "bar" as const,
        name: o.optimizer,
        x: labels,
        y,
        error_y: {
          type: "data" as const,
          symmetric: false as const,
          array: labels.map((l, i) => o.intervals![l][1] - y[i]),
          arrayminus: labels.map((l, i) => y[i] - o.intervals![l][0]),
        },
      };
    });
}

export type ScatterTrace = {
  type: "scatter"; mode: string; name: string; x: number[]; y: number[];
  visible?: boolean | "legendonly"; marker?: Record<string, unknown>; line?: Record<string, unknown>;
  legendgroup?: string; showlegend?: boolean;
};

/** End points as one scatter trace per optimizer (non-finite points dropped). */
export function endPointTraces(optimizers: Record<string, { end_points: number[][] }>): ScatterTrace[] {
  return Object.entries(optimizers).map(([name, data]) => {
    const finite = data.end_points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    return { type: "scatter", mode: "markers", name, x: finite.map((p) => p[0]), y: finite.map((p) => p[1]),
             marker: { size: 5, opacity: 0.6 } };
  });
}

/** Restart paths (K snapshots × R restarts × 2) of one optimizer as line traces, hidden
 * until toggled in the legend; at most `limit` restarts, so the plot stays responsive. */
export function pathTraces(name: string, paths: number[][][], limit = 25): ScatterTrace[] {
  const restarts = paths.length ? Math.min(limit, paths[0].length) : 0;
  const traces: ScatterTrace[] = [];
  for (let r = 0; r < restarts; r++) {
    traces.push({ type: "scatter", mode: "lines", name: `${name} paths`, x: paths.map((k) => k[r][0]),
                  y: paths.map((k) => k[r][1]), visible: "legendonly", line: { width: 1 },
                  legendgroup: `${name}-paths`, showlegend: r === 0 });
  }
  return traces;
}

/** Learning curves: smoothed mean per optimizer over gradient evaluations. */
export function curveTraces(curves: Record<string, { gradient_evaluations: number[]; smoothed: number[] }>): ScatterTrace[] {
  return Object.entries(curves).map(([name, c]) => ({
    type: "scatter", mode: "lines", name, x: c.gradient_evaluations, y: c.smoothed,
  }));
}

export type BoxTrace = { type: "box"; name: string; y: number[]; boxpoints: "all"; jitter: number; pointpos: number; offsetgroup: string; legendgroup: string; x: string[] };

/** Set A and Set B of every optimizer as box plots with every model drawn. */
export function populationBoxes(setA: Record<string, { models: Record<string, number>[] }>,
                                setB: Record<string, { models: Record<string, number>[] }>,
                                metric: string): BoxTrace[] {
  const box = (label: string, data: typeof setA): BoxTrace => {
    const xs: string[] = []; const ys: number[] = [];
    for (const [name, entry] of Object.entries(data)) {
      for (const m of entry.models) { if (Number.isFinite(m[metric])) { xs.push(name); ys.push(m[metric]); } }
    }
    return { type: "box", name: label, x: xs, y: ys, boxpoints: "all", jitter: 0.4, pointpos: 0,
             offsetgroup: label, legendgroup: label };
  };
  return [box("Set A (lowest training loss)", setA), box(`Set B (best ${metric})`, setB)];
}

/** FastAPI's 422 detail as {field path: message}, the path without "body" and the kind tag. */
export function fieldErrors(detail: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(detail)) return out;
  for (const error of detail) {
    const loc = (error.loc ?? []).filter((p: unknown) => p !== "body" && p !== "landscape" && p !== "training");
    const key = loc.length ? String(loc[0]) : "spec";
    out[key] = out[key] ? `${out[key]}; ${error.msg}` : String(error.msg);
  }
  return out;
}

export function percent(fraction: number): string {
  return `${Math.round(100 * Math.max(0, Math.min(1, fraction)))}%`;
}

export function formatP(p: number | null | undefined): string {
  if (p === null || p === undefined || Number.isNaN(p)) return "—";
  return p < 1e-3 ? p.toExponential(1) : p.toFixed(3);
}
