import { useMemo } from "preact/hooks";
import type { CandidateCounts, OptimizerPairs, SetComparison } from "../api/answers";
import * as api from "../api/queries";
import { KeptModels } from "../components/KeptModels";
import { Sharpness } from "../components/Sharpness";
import { TrainingSweep } from "../components/TrainingSweep";
import { Plot } from "../components/Plot";
import { Show } from "../components/Status";
import { Table } from "../components/Table";
import { useResource } from "../resource";
import { href, navigate } from "../router";
import { curveTraces, fixed, formatP, memberKeys, percent, populationBoxes } from "../shape";

/** A training experiment: learning curves, Set A vs Set B per optimizer (boxes, tests,
 * overlap warnings), the optimizer pairs and the kept models; L (models per trajectory)
 * is adjustable and kept in the URL. */
export function Training({ id, params }: { id: number; params: URLSearchParams }) {
  const L = Number(params.get("L")) || undefined;
  const modelsOffset = Math.max(0, Number(params.get("models")) || 0);
  const results = useResource(async (signal) => {
    const query = L ? { L } : {};
    const [comparison, pairs, a, b, sweeps] = await Promise.all([
      api.setComparison(id, query, signal), api.optimizerPairs(id, query, signal),
      api.populations(id, { ...query, which: "A" }, signal), api.populations(id, { ...query, which: "B" }, signal),
      api.trainingSweeps(id, query, signal),
    ]);
    return {
      comparison, pairs, a, b, sweeps, boxes: populationBoxes(a.optimizers, b.optimizers, "value", comparison.metric),
      setA: memberKeys(a.optimizers), setB: memberKeys(b.optimizers),
    };
  }, [id, L]);
  const curves = useResource((signal) => api.learningCurves(id, signal), [id]);
  const curveData = useMemo(() => (curves.data ? curveTraces(curves.data.optimizers) : []), [curves.data]);
  const shown = results.data?.comparison.L ?? L ?? "";
  return (
    <>
      <label>
        L (models per trajectory){" "}
        <input id="L" type="number" min="1" value={shown}
          onChange={(e) => {
            // a blur after the page itself changed the value must not navigate again
            const value = e.currentTarget.value;
            if (value !== String(shown)) navigate(href(["experiments", id], { L: value }));
          }} />
      </label>
      <div class="row">
        <Show resource={curves}>{() => (
          <Plot id="curves" class="plot half" kinds={["scatter"]} data={curveData} layout={{
            title: { text: "test loss over gradient evaluations" }, height: 420,
            xaxis: { title: { text: "gradient evaluations" } },
          }} />
        )}</Show>
        <Show resource={results}>{(r) => (
          <Plot id="boxes" class="plot half" kinds={["box"]} data={r.boxes} layout={{
            boxmode: "group", height: 420,
            title: { text: `Set A vs Set B (${r.comparison.metric}, ${r.comparison.direction} is better)` },
          }} />
        )}</Show>
      </div>
      <Show resource={results}>{(r) => {
        const rows = Object.values(r.comparison.optimizers);
        return (
          <>
            <h3>Set A vs Set B on {r.comparison.metric} ({r.comparison.direction} is better)</h3>
            <Warnings rows={rows} />
            <SetTable rows={rows} />
            <Notes rows={rows} />
            <h3>Candidates</h3>
            <Candidates rows={rows} />
            <h3>Optimizer pairs on Set A (Holm-adjusted)</h3>
            <PairTable pairs={r.pairs} />
            {r.sweeps.sweeps.length > 0 && <TrainingSweep sweeps={r.sweeps} />}
            {r.comparison.on_sharpness && (
              <Sharpness id={id} metric={r.comparison.metric} comparisons={r.comparison.on_sharpness}
                pairs={r.pairs.on_sharpness ?? null} setA={r.a.optimizers} setB={r.b.optimizers} />
            )}
            <h3>Kept models</h3>
            <KeptModels id={id} metric={r.comparison.metric} setA={r.setA} setB={r.setB} offset={modelsOffset}
              L={L} />
          </>
        );
      }}</Show>
    </>
  );
}

/** The server's warnings about a comparison (e.g. Set A and Set B mostly the same models). */
function Warnings({ rows }: { rows: SetComparison[] }) {
  const warnings = rows.flatMap((r) => r.warnings.map((w) => `${r.optimizer}: ${w}`));
  if (!warnings.length) return null;
  return <ul id="warnings" class="warning">{warnings.map((w) => <li key={w}>{w}</li>)}</ul>;
}

function SetTable({ rows }: { rows: SetComparison[] }) {
  return (
    <Table id="set-comparison" rows={rows} rowKey={(r) => r.optimizer} columns={[
      { header: "optimizer", cell: (r) => r.optimizer },
      { header: "A median", cell: (r) => fixed(r.set_a.median) },
      { header: "B median", cell: (r) => fixed(r.set_b.median) },
      { header: "overlap", cell: (r) => percent(r.overlap), title: "Set A models that are also in Set B" },
      { header: "MWU p", cell: (r) => formatP(r.on_metric.model.mwu_pvalue) },
      { header: "Student p", cell: (r) => formatP(r.on_metric.model.student_pvalue) },
      { header: "Welch p", cell: (r) => formatP(r.on_metric.model.welch_pvalue) },
      { header: "A12", cell: (r) => fixed(r.on_metric.model.a12, 3) },
      { header: "Cliff's δ", cell: (r) => fixed(r.on_metric.model.cliffs_delta, 3) },
      { header: "trajectory p", cell: (r) => formatP(r.on_metric.trajectory_pvalue) },
      { header: "smallest possible", cell: (r) => formatP(r.on_metric.trajectory_pvalue_floor),
        title: "the smallest p the trajectory-level test can reach with these trajectories" },
      { header: "levels disagree", cell: (r) => (r.on_metric.disagree ? "yes" : "no") },
    ]} />
  );
}

/** Why a statistic is undefined, in the server's words, under the table. */
function Notes({ rows }: { rows: SetComparison[] }) {
  const notes = rows.flatMap((r) => [...Object.entries(r.on_metric.model.notes), ...Object.entries(r.on_metric.notes)]
    .filter(([, why]) => !r.warnings.includes(why))  // said above already
    .map(([what, why]) => `${r.optimizer}, ${what}: ${why}`));
  if (!notes.length) return null;
  return <ul id="notes" class="notes">{notes.map((n) => <li key={n}>{n}</li>)}</ul>;
}

function Candidates({ rows }: { rows: SetComparison[] }) {
  const counted = rows.filter((r): r is SetComparison & { candidates: CandidateCounts } => !!r.candidates);
  return (
    <Table id="candidates" rows={counted} rowKey={(r) => r.optimizer}
      empty="The server does not count candidates for this experiment." columns={[
        { header: "optimizer", cell: (r) => r.optimizer },
        { header: "records", cell: (r) => r.candidates.records },
        { header: "initial models left out", cell: (r) => r.candidates.initial_models },
        { header: "at or after divergence", cell: (r) => r.candidates.at_or_after_divergence },
        { header: "candidates", cell: (r) => r.candidates.candidates },
        { header: "fewest per trajectory", cell: (r) => r.candidates.fewest_per_trajectory },
        { header: "sharpness unconverged", cell: (r) => r.candidates.sharpness_unconverged },
      ]} />
  );
}

function PairTable({ pairs }: { pairs: OptimizerPairs }) {
  return (
    <>
      <Table id="pairs" rows={pairs.pairs} rowKey={(p) => `${p.optimizer1}/${p.optimizer2}`}
        empty="One optimizer: nothing to compare." columns={[
          { header: "pair", cell: (p) => `${p.optimizer1} vs ${p.optimizer2}` },
          { header: "MWU p", cell: (p) => formatP(p.comparison.model.mwu_pvalue) },
          { header: "Holm", cell: (p) => formatP(p.mwu_pvalue_holm) },
          { header: "A12", cell: (p) => fixed(p.comparison.model.a12, 3) },
          { header: "trajectory p (Holm)", cell: (p) => formatP(p.trajectory_pvalue_holm) },
          { header: "trajectory test", cell: (p) => p.comparison.trajectory_method },
          { header: "levels disagree (Holm p)", cell: (p) => (p.disagree_holm ? "yes" : "no") },
        ]} />
      {pairs.warnings.length > 0 && (
        <ul id="pair-warnings" class="warning">{pairs.warnings.map((w) => <li key={w}>{w}</li>)}</ul>
      )}
    </>
  );
}
