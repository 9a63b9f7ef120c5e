import type { Tuning as TuningAnswer } from "../api/answers";
import * as api from "../api/queries";
import { Plot } from "../components/Plot";
import { Show } from "../components/Status";
import { Table } from "../components/Table";
import { useResource } from "../resource";
import { fixed, localTime } from "../shape";
import { historyTraces, parameterTraces, searchedNames } from "../tuning";
import { TERMINAL } from "./Experiments";

/** A tuning study, while it runs and after: the budget table (granted and used per
 * optimizer, the same for all), each optimizer's optimization history, each searched
 * hyperparameter against the objective, and every trial. */
export function Tuning({ id }: { id: number }) {
  const study = useResource((signal) => api.tuning(id, signal), [id],
    { refresh: (s) => (TERMINAL.has(s.status) ? null : 2000) });
  return <Show resource={study}>{(s) => <Study study={s} />}</Show>;
}

function Study({ study: s }: { study: TuningAnswer }) {
  const spaces = s.search_spaces as Record<string, { dimensions: { name: string; log?: boolean }[] }>;
  const names = searchedNames(spaces);
  const logScale = (name: string) => Object.values(spaces).some((sp) =>
    sp.dimensions.some((d) => d.name === name && d.log));
  return (
    <section id="tuning">
      <h3>Tuning study {s.experiment}: {s.budget} per optimizer{s.equal_budgets ? " (equal)" : ""}</h3>
      <p>
        {s.objective} on a {Math.round(100 * s.validation_fraction)}% validation split ({s.direction} is
        better) · pruner {s.pruner} · <span id="tuning-status">{s.status}</span>
        {s.error && <span class="error"> · {s.error}</span>}
      </p>
      <Table id="budgets" rows={s.budgets} rowKey={(r) => r.optimizer} columns={[
        { header: "optimizer", cell: (r) => r.optimizer },
        { header: "granted", cell: (r) => `${r.granted.toLocaleString()} ${r.unit.replace("_", " ")}` },
        { header: "used", cell: (r) => r.used.toLocaleString() },
        { header: "complete", cell: (r) => r.complete },
        { header: "pruned", cell: (r) => r.pruned },
        { header: "failed", cell: (r) => r.failed },
        { header: "running", cell: (r) => r.running },
        { header: "gradient evaluations", cell: (r) => r.gradient_evaluations.toLocaleString() },
        { header: "best", cell: (r) => fixed(r.best_value) },
        { header: "best configuration", cell: (r) => (r.best_hyperparameters
          ? JSON.stringify(r.best_hyperparameters) : "") },
        { header: "saved as", cell: (r) => r.tuned_configuration ?? "" },
      ]} />
      <div class="row">
        <Plot id="tuning-history" class="plot half" kinds={["scatter"]} data={historyTraces(s.trials, s.direction)}
          layout={{ title: { text: "optimization history" }, height: 380,
            xaxis: { title: { text: "trial" } }, yaxis: { title: { text: s.objective } } }} />
        {names.map((name) => (
          <Plot key={name} id={`tuning-${name}`} class="plot half" kinds={["scatter"]}
            data={parameterTraces(s.trials, name)}
            layout={{ title: { text: `${name} against ${s.objective}` }, height: 380,
              xaxis: { title: { text: name }, type: logScale(name) ? "log" : "linear" },
              yaxis: { title: { text: s.objective } } }} />
        ))}
      </div>
      <Table id="trials" rows={s.trials} rowKey={(t) => t.run} columns={[
        { header: "optimizer", cell: (t) => t.optimizer },
        { header: "trial", cell: (t) => t.number },
        { header: "state", cell: (t) => t.state },
        { header: s.objective, cell: (t) => fixed(t.value) },
        { header: "gradient evaluations", cell: (t) => t.gradient_evaluations.toLocaleString() },
        { header: "hyperparameters", cell: (t) => (t.hyperparameters ? JSON.stringify(t.hyperparameters) : "") },
        { header: "worker", cell: (t) => t.worker ?? "" },
        { header: "finished", cell: (t) => localTime(t.finished_at) },
        { header: "error", cell: (t) => t.error ?? "" },
      ]} />
    </section>
  );
}
