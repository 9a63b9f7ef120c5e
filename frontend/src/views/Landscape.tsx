import { useMemo, useState } from "preact/hooks";
import type { Distribution, FunctionDistribution, SweepSeries } from "../api/answers";
import * as api from "../api/queries";
import { Plot } from "../components/Plot";
import { Show } from "../components/Status";
import { Table } from "../components/Table";
import { useResource } from "../resource";
import {
  distributionBars, endPointTraces, formatP, landscapeTraces, pathTraces, percent, sweepAxis, sweepTraces,
} from "../shape";

const END_POINTS = 5000;  // the most restarts drawn per optimizer (one page of the API)
const PATHS = 25;  // restart paths drawn per optimizer

/** A landscape experiment: per function, the contour with end points and paths, the
 * distribution bars with their CIs, the basin counts, sweeps and the pair tests. */
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
      {distribution.assignment && <p class="notes">Assignment: {distribution.assignment}.</p>}
      {entry && <FunctionResults id={id} entry={entry} radius={distribution.capture_radius} />}
    </>
  );
}

function FunctionResults({ id, entry, radius }: { id: number; entry: FunctionDistribution; radius: number }) {
  const name = entry.function;
  const figure = useResource(async (signal) => {
    const [points, paths] = await Promise.all([
      api.endPoints(id, { function: name, limit: END_POINTS }, signal),
      api.endPoints(id, { function: name, limit: PATHS, paths: true, path_points: 50 }, signal),
    ]);
    const grid = await api.grid(name, 90, signal);
    return {
      restarts: points.restarts,
      traces: [
        ...landscapeTraces(grid, entry.minima),
        ...endPointTraces(points.optimizers),
        ...Object.entries(paths.optimizers).flatMap(([o, data]) => pathTraces(o, data.paths ?? [], PATHS)),
      ],
    };
  }, [id, name]);
  const bars = useMemo(() => distributionBars(entry), [entry]);
  return (
    <>
      <div class="row">
        <Show resource={figure} loading="Drawing the end points…">{(f) => (
          <div class="plot half">
            <Plot id="contour" kinds={["contour", "scatter"]} data={f.traces}
              layout={{ title: { text: `${name}: end points (paths: click in the legend)` }, height: 480 }} />
            {f.restarts > END_POINTS && <p class="notes">The first {END_POINTS} of {f.restarts} restarts.</p>}
          </div>
        )}</Show>
        <Plot id="bars" class="plot half" kinds={["bar"]} data={bars} layout={{
          barmode: "group", title: { text: "fraction of restarts (95% CI)" }, yaxis: { range: [0, 1] }, height: 480,
        }} />
      </div>
      <h3>Where the restarts ended, and whether they settled</h3>
      <p class="notes">Restarts per basin; in brackets, those within {radius} of its minimum.</p>
      <Basins entry={entry} radius={radius} />
      {(entry.sweeps ?? []).map((series) => <Sweep key={series.of} series={series} entry={entry} />)}
      <h3>Between-optimizer tests (Holm-adjusted)</h3>
      <div id="tests">
        <Table rows={entry.tests} rowKey={(t) => `${t.a}/${t.b}`} empty="One optimizer: nothing to compare."
          columns={[
            { header: "a", cell: (t) => t.a },
            { header: "b", cell: (t) => t.b },
            { header: "test", cell: (t) => t.test },
            { header: "p", cell: (t) => formatP(t.pvalue) },
            { header: "p (Holm)", cell: (t) => formatP(t.pvalue_holm) },
            { header: "paired test", cell: (t) => t.paired?.method ?? "—",
              title: "restart r of every optimizer starts from the same point" },
            { header: "paired p", cell: (t) => formatP(t.paired?.pvalue) },
            { header: "paired p (Holm)", cell: (t) => formatP(t.paired_pvalue_holm) },
            { header: "discordant", cell: (t) => t.paired?.discordant ?? "—",
              title: "restarts whose basins differ between the two" },
            { header: "same basin", cell: (t) => percent(t.agreement), title: "restarts that end in the same basin" },
          ]} />
      </div>
    </>
  );
}

/** Per optimizer and basin: restarts assigned there, and how many of them settled within
 * the capture radius of the minimum. */
function Basins({ entry, radius }: { entry: FunctionDistribution; radius: number }) {
  const labels = [...entry.minima.map((m) => m.label), "else"];
  return (
    <Table id="basins" rows={entry.optimizers} rowKey={(o) => o.optimizer} columns={[
      { header: "optimizer", cell: (o) => o.optimizer },
      ...labels.map((label) => ({
        header: label,
        title: label === "else" ? "diverged or not converging" : `assigned to ${label} (settled within ${radius})`,
        cell: (o: FunctionDistribution["optimizers"][number]) => {
          if (!o.counts) return o.status;
          const settled = o.converged?.[label];
          return settled === undefined || label === "else" ? o.counts[label] : `${o.counts[label]} (${settled})`;
        },
      })),
      { header: "diverged", cell: (o) => o.diverged ?? "—" },
    ]} />
  );
}

/** One swept entry: each basin's fraction of restarts against the swept value. */
function Sweep({ series, entry }: { series: SweepSeries; entry: FunctionDistribution }) {
  const labels = [...entry.minima.map((m) => m.label), "else"];
  const traces = useMemo(() => sweepTraces(series, labels), [series]);
  const x = series.parameters.length === 1 ? series.parameters[0] : series.parameters.join(" × ");
  return (
    <>
      <h3>Sweep of {series.of}: {x}</h3>
      <Plot id={`sweep-${series.of}`} class="plot sweep" kinds={["scatter"]} data={traces} layout={{
        title: { text: `${series.name} on ${entry.function}: fraction of restarts per basin (95% CI)` }, height: 420,
        xaxis: { title: { text: x }, type: sweepAxis(series) },
        yaxis: { range: [0, 1] },
      }} />
    </>
  );
}
