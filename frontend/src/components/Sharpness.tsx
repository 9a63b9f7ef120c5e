import type {
  Correlation, PopulationModel, SharpnessPairs, SharpnessPoints, SharpnessSetComparison,
} from "../api/answers";
import { fixed, formatP, populationBoxes, sharpnessTraces } from "../shape";
import { Plot } from "./Plot";
import { Table } from "./Table";

type Sets = Record<string, { models: PopulationModel[] }>;

const rho = (c: Correlation) => `${fixed(c.rho, 2)} (p ${formatP(c.pvalue)}, n ${c.n})`;

/** The flat-minima question: Set A vs Set B on sharpness (boxes and tests), sharpness
 * against the metric over every candidate model, and the optimizer pairs on sharpness;
 * all from the experiment's view (members carry their sharpness, the server picks the
 * points). */
export function Sharpness({ metric, comparisons, pairs, setA, setB, points }: {
  metric: string; comparisons: Record<string, SharpnessSetComparison>; pairs: SharpnessPairs | null;
  setA: Sets; setB: Sets; points: Record<string, SharpnessPoints>;
}) {
  const rows = Object.values(comparisons);
  const boxes = populationBoxes(setA, setB, "sharpness", metric);
  return (
    <div id="sharpness">
      <h3>Sharpness (largest Hessian eigenvalue of the training loss)</h3>
      <div class="row">
        <Plot id="sharpness-boxes" class="plot half" kinds={["box"]} data={boxes} layout={{
          boxmode: "group", title: { text: "Set A vs Set B: sharpness" }, height: 420,
          yaxis: { title: { text: "sharpness" } },
        }} />
        <Plot id="sharpness-metric" class="plot half" kinds={["scatter"]} data={sharpnessTraces(points)}
          layout={{
            title: { text: `sharpness against ${metric} (every candidate model)` }, height: 420,
            xaxis: { title: { text: "sharpness" } }, yaxis: { title: { text: metric } },
          }} />
      </div>
      <Table id="sharpness-sets" rows={rows} rowKey={(r) => r.optimizer} columns={[
        { header: "optimizer", cell: (r) => r.optimizer },
        { header: "A median", cell: (r) => fixed(r.set_a.median, 3) },
        { header: "B median", cell: (r) => fixed(r.set_b.median, 3) },
        { header: "MWU p", cell: (r) => formatP(r.on_sharpness.model.mwu_pvalue) },
        { header: "A12", cell: (r) => fixed(r.on_sharpness.model.a12, 3) },
        { header: "trajectory p", cell: (r) => formatP(r.on_sharpness.trajectory_pvalue) },
        { header: `ρ with ${metric}, Set A`, cell: (r) => rho(r.set_a_correlation) },
        { header: "Set B", cell: (r) => rho(r.set_b_correlation) },
        { header: "all candidates", cell: (r) => rho(r.candidates_correlation),
          title: "every model after step 0 and before divergence" },
      ]} />
      {pairs && (
        <Table id="sharpness-pairs" rows={pairs.pairs} rowKey={(p) => `${p.optimizer1}/${p.optimizer2}`}
          empty="One optimizer: nothing to compare." columns={[
            { header: `pair, on Set ${pairs.which}`, cell: (p) => `${p.optimizer1} vs ${p.optimizer2}` },
            { header: "MWU p", cell: (p) => formatP(p.comparison.model.mwu_pvalue) },
            { header: "Holm", cell: (p) => formatP(p.mwu_pvalue_holm) },
            { header: "A12", cell: (p) => fixed(p.comparison.model.a12, 3) },
            { header: "trajectory p (Holm)", cell: (p) => formatP(p.trajectory_pvalue_holm) },
          ]} />
      )}
    </div>
  );
}
