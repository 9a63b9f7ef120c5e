import type { TrainingSweeps } from "../api/answers";
import { sweepAxis, trainingSweepTrace } from "../shape";
import { Plot } from "./Plot";

/** Each swept optimizer entry: its Set A median against the swept value, with the
 * cluster-bootstrap interval. */
export function TrainingSweep({ sweeps }: { sweeps: TrainingSweeps }) {
  return (
    <>
      {sweeps.sweeps.map((series) => {
        const x = series.parameters.join(" × ");
        const axis = sweepAxis({ parameters: series.parameters, points: series.points.map((p) => ({
          values: Object.fromEntries(Object.entries(p.values).map(([k, v]) => [k, v ?? "—"])),
        })) });
        return (
          <div key={series.of}>
            <h3>Sweep of {series.of}: {x}</h3>
            <Plot id={`sweep-${series.of}`} class="plot sweep" kinds={["scatter"]} data={[trainingSweepTrace(series)]}
              layout={{
                title: { text: `${series.name}: Set A median ${sweeps.metric} (${100 * sweeps.confidence}% CI)` },
                height: 420, xaxis: { title: { text: x }, type: axis }, yaxis: { title: { text: sweeps.metric } },
              }} />
            {series.points.filter((p) => p.note).map((p) => (
              <p key={p.optimizer} class="notes">{p.optimizer}: {p.note}</p>
            ))}
          </div>
        );
      })}
    </>
  );
}
