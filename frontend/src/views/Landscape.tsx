import { useMemo, useState } from "preact/hooks";
import type { Distribution, FunctionDistribution } from "../api/answers";
import * as api from "../api/queries";
import { Plot } from "../components/Plot";
import { Show } from "../components/Status";
import { Table } from "../components/Table";
import { useResource } from "../resource";
import { distributionBars, endPointTraces, formatP, landscapeTraces, pathTraces, percent } from "../shape";

/** A landscape experiment: per function, the contour with end points and paths, the
 * distribution bars with their CIs, and the between-optimizer tests. */
export function Landscape({ id }: { id: number }) {
  const distribution = useResource((signal) => api.distribution(id, signal), [id]);
  return <Show resource={distribution}>{(d) => <Functions id={id} distribution={d} />}</Show>;
}

function Functions({ id, distribution }: { id: number; distribution: Distribution }) {
  const [name, setName] = useState(distribution.functions[0]?.function ?? "");
  const entry = distribution.functions.find((f) => f.function === name);
  return (
    <>
      <label>
        Function{" "}
        <select id="function" value={name} onChange={(e) => setName(e.currentTarget.value)}>
          {distribution.functions.map((f) => <option key={f.function}>{f.function}</option>)}
        </select>
      </label>
      {entry && <FunctionResults id={id} entry={entry} />}
    </>
  );
}

function FunctionResults({ id, entry }: { id: number; entry: FunctionDistribution }) {
  const name = entry.function;
  const figure = useResource(async (signal) => {
    const [grid, points] = await Promise.all([api.grid(name, 90, signal), api.endPoints(id, name, signal)]);
    return [
      ...landscapeTraces(grid, entry.minima),
      ...endPointTraces(points.optimizers),
      ...Object.entries(points.optimizers).flatMap(([o, data]) => pathTraces(o, data.paths ?? [])),
    ];
  }, [id, name]);
  const bars = useMemo(() => distributionBars(entry), [entry]);
  return (
    <>
      <div class="row">
        <Show resource={figure} loading="Drawing the end points…">{(traces) => (
          <Plot id="contour" class="plot half" kinds={["contour", "scatter"]} data={traces}
            layout={{ title: { text: `${name}: end points (paths: click in the legend)` }, height: 480 }} />
        )}</Show>
        <Plot id="bars" class="plot half" kinds={["bar"]} data={bars} layout={{
          barmode: "group", title: { text: "fraction of restarts (95% CI)" }, yaxis: { range: [0, 1] }, height: 480,
        }} />
      </div>
      <h3>Between-optimizer tests (G-test; Holm-adjusted)</h3>
      <div id="tests">
        <Table rows={entry.tests} rowKey={(t) => `${t.a}/${t.b}`} empty="One optimizer: nothing to compare."
          columns={[
            { header: "a", cell: (t) => t.a },
            { header: "b", cell: (t) => t.b },
            { header: "p", cell: (t) => formatP(t.pvalue) },
            { header: "p (Holm)", cell: (t) => formatP(t.pvalue_holm) },
            { header: "same basin", cell: (t) => percent(t.agreement), title: "restarts that end in the same basin" },
          ]} />
      </div>
    </>
  );
}
