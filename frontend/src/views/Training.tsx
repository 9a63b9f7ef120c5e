import { useMemo } from "preact/hooks";
import type { CandidateCounts, OptimizerPairs, SetComparison, TrainingView, WarningGroup } from "../api/answers";
import { ApiError } from "../api/client";
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

/** How often a running experiment's view is asked again; between evaluation points the
 * server answers 304 (the browser revalidates with the ETag) without computing anything. */
const POLL_MS = 5000;

/** A training experiment: learning curves, Set A vs Set B per optimizer (boxes, tests,
 * overlap warnings), the optimizer pairs and the kept models, all from one answer of the
 * server (GET …/view); L (models per trajectory) is adjustable and kept in the URL. While
 * the experiment runs, the statistics so far, refreshed as evaluation points arrive. */
export function Training({ id, params, running = false }: { id: number; params: URLSearchParams; running?: boolean }) {
  const L = Number(params.get("L")) || undefined;
  const modelsOffset = Math.max(0, Number(params.get("models")) || 0);
  const view = useResource((signal) => api.view(id, { ...(L ? { L } : {}), column: "test_loss", window: 3 }, signal),
    [id, L, running], {
      refresh: () => (running ? POLL_MS : null),
      // a running experiment may not have enough records yet: ask again later
      retry: (error) => (running && error instanceof ApiError && [409, 422].includes(error.status) ? POLL_MS : null),
    });
  const shaped = useMemo(() => view.data && shape(view.data), [view.data]);
  const shown = view.data?.L ?? L ?? "";
  if (running && view.state === "error" && view.error instanceof ApiError && [409, 422].includes(view.error.status)) {
    return <p class="empty">Statistics appear once the trajectories have enough evaluation points: {
      view.error.message || "not yet"}. This page refreshes itself.</p>;
  }
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
      {running && view.data && (
        <p class="empty" id="live">Statistics so far, from {view.data.records} records; refreshed as evaluation points
          arrive.</p>
      )}
      <Show resource={view}>{(r) => {
        const { boxes, curves, setA, setB } = shaped ?? shape(r);
        const sets = r.set_comparison;
        const rows = Object.values(sets.optimizers);
        const pairs = r.optimizer_comparison;
        return (
          <>
            <div class="row">
              <Plot id="curves" class="plot half" kinds={["scatter"]} data={curves} layout={{
                title: { text: "test loss over gradient evaluations" }, height: 420,
                xaxis: { title: { text: "gradient evaluations" } },
              }} />
              <Plot id="boxes" class="plot half" kinds={["box"]} data={boxes} layout={{
                boxmode: "group", height: 420,
                title: { text: `Set A vs Set B (${r.metric}, ${r.direction} is better)` },
              }} />
            </div>
            <h3>Set A vs Set B on {r.metric} ({r.direction} is better)</h3>
            <Warnings warnings={sets.warnings} />
            <SetTable rows={rows} />
            <Notes rows={rows} />
            <h3>Candidates</h3>
            <Candidates rows={rows} />
            <h3>Optimizer pairs on Set A (Holm-adjusted)</h3>
            <PairTable pairs={pairs} />
            {r.sweep.sweeps.length > 0 && <TrainingSweep sweeps={r.sweep} />}
            {sets.on_sharpness && (
              <Sharpness metric={r.metric} comparisons={sets.on_sharpness} pairs={pairs.on_sharpness ?? null}
                setA={r.populations.A.optimizers} setB={r.populations.B.optimizers}
                points={r.sharpness_against_metric ?? {}} />
            )}
            <h3>Kept models</h3>
            <KeptModels id={id} metric={r.metric} setA={setA} setB={setB} offset={modelsOffset} L={L} />
          </>
        );
      }}</Show>
    </>
  );
}

/** Plot traces and Set A / Set B membership of one view answer. */
function shape(r: TrainingView) {
  const a = r.populations.A.optimizers;
  const b = r.populations.B.optimizers;
  return {
    boxes: populationBoxes(a, b, "value", r.metric), curves: curveTraces(r.learning_curves.optimizers),
    setA: memberKeys(a), setB: memberKeys(b),
  };
}

/** The server's warnings about the comparisons (e.g. Set A and Set B mostly the same
 * models), each once, naming the optimizers it concerns. */
function Warnings({ warnings }: { warnings: WarningGroup[] }) {
  if (!warnings.length) return null;
  return (
    <ul id="warnings" class="warning">
      {warnings.map((w) => <li key={w.message}>{w.optimizers.join(", ")}: {w.message}</li>)}
    </ul>
  );
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
