import type { ComponentChildren } from "preact";
import type { Distribution, Experiment, OptimizerPairs } from "../api/answers";
import * as api from "../api/queries";
import { Show } from "../components/Status";
import { useResource } from "../resource";
import { href, navigate } from "../router";
import { fixed, formatP, percent } from "../shape";

/** Two optimizer configurations of one experiment, side by side in its tests. The names
 * come from the results, so configurations expanded from a sweep can be picked too. */
export function Compare({ id, params }: { id: number; params: URLSearchParams }) {
  const experiment = useResource((signal) => api.experiment(id, signal), [id]);
  return <Show resource={experiment}>{(e) => (
    <>
      <h2>Compare in experiment <a href={href(["experiments", e.id])}>{e.id}</a></h2>
      {e.kind === "landscape" ? <LandscapePair experiment={e} params={params} />
        : <TrainingPair experiment={e} params={params} />}
    </>
  )}</Show>;
}

type Props = { experiment: Experiment; params: URLSearchParams };

function Pickers({ id, names, params, children }: {
  id: number; names: string[]; params: URLSearchParams; children: (a: string, b: string) => ComponentChildren;
}) {
  const a = params.get("a") ?? names[0] ?? "";
  const b = params.get("b") ?? names[1] ?? names[0] ?? "";
  const go = (next: { a?: string; b?: string }) => navigate(href(["compare", id], { a, b, ...next }));
  const select = (which: "a" | "b", value: string) => (
    <select id={which} value={value} onChange={(e) => go({ [which]: e.currentTarget.value })}>
      {names.map((n) => <option key={n}>{n}</option>)}
    </select>
  );
  return (
    <>
      {select("a", a)} vs {select("b", b)}
      <div id="pair">{a === b ? <p class="empty">Pick two different optimizers.</p> : children(a, b)}</div>
    </>
  );
}

function landscapeNames(d: Distribution): string[] {
  return [...new Set(d.functions.flatMap((f) => f.optimizers.map((o) => o.optimizer)))];
}

function LandscapePair({ experiment, params }: Props) {
  const distribution = useResource((signal) => api.distribution(experiment.id, signal), [experiment.id]);
  return (
    <Show resource={distribution}>{(d) => (
      <Pickers id={experiment.id} names={landscapeNames(d)} params={params}>{(a, b) => d.functions.map((f) => {
        const t = f.tests.find((t) => (t.a === a && t.b === b) || (t.a === b && t.b === a));
        return (
          <div key={f.function}>
            <h3>{f.function}</h3>
            {t ? (
              <p>
                G-test p = {formatP(t.pvalue)} (Holm {formatP(t.pvalue_holm)}); same basin in{" "}
                {percent(t.agreement)} of restarts
              </p>
            ) : <p class="empty">These two were not both run on {f.function}.</p>}
          </div>
        );
      })}</Pickers>
    )}</Show>
  );
}

function pairNames(r: OptimizerPairs): string[] {
  return [...new Set(r.pairs.flatMap((p) => [p.optimizer1, p.optimizer2]))];
}

function TrainingPair({ experiment, params }: Props) {
  const pairs = useResource((signal) => api.optimizerPairs(experiment.id, {}, signal), [experiment.id]);
  return (
    <Show resource={pairs}>{(r) => (
      <Pickers id={experiment.id} names={pairNames(r)} params={params}>{(a, b) => {
        const p = r.pairs.find((p) => (p.optimizer1 === a && p.optimizer2 === b)
          || (p.optimizer1 === b && p.optimizer2 === a));
        if (!p) return <p class="empty">No test for this pair.</p>;
        const m = p.comparison.model;
        return (
          <p>
            Set A: Mann–Whitney p = {formatP(m.mwu_pvalue)} (Holm {formatP(p.mwu_pvalue_holm)}), Welch p ={" "}
            {formatP(m.welch_pvalue)}, A12 = {fixed(m.a12, 3)}, median difference {fixed(m.median_difference)}{" "}
            [{fixed(m.median_difference_low)}, {fixed(m.median_difference_high)}]; trajectory level p ={" "}
            {formatP(p.comparison.trajectory_pvalue)} (Holm {formatP(p.trajectory_pvalue_holm)},{" "}
            {p.comparison.trajectory_method}){p.disagree_holm ? " — after Holm the two levels disagree" : ""}.
          </p>
        );
      }}</Pickers>
    )}</Show>
  );
}
