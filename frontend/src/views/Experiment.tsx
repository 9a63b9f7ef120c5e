import { useState } from "preact/hooks";
import type { Experiment as ExperimentAnswer } from "../api/answers";
import * as api from "../api/queries";
import { Failure, Progress, Show } from "../components/Status";
import { Table } from "../components/Table";
import { useResource } from "../resource";
import { href } from "../router";
import { localTime } from "../shape";
import { TERMINAL } from "./Experiments";
import { Landscape } from "./Landscape";
import { Training } from "./Training";
import { Tuning } from "./Tuning";

/** One experiment: status and progress (refreshed until it ends), then its results. */
export function Experiment({ id, params }: { id: number; params: URLSearchParams }) {
  const [tick, setTick] = useState(0);
  const experiment = useResource((signal) => api.experiment(id, signal), [id, tick],
    { refresh: (e) => (TERMINAL.has(e.status) ? null : 1000) });
  return (
    <Show resource={experiment}>{(e) => (
      <>
        <Header experiment={e} onChange={() => setTick(tick + 1)} />
        <div id="results"><Results experiment={e} params={params} /></div>
      </>
    )}</Show>
  );
}

function Header({ experiment: e, onChange }: { experiment: ExperimentAnswer; onChange: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const cancel = () => api.cancel(e.id).then(onChange, setError);
  return (
    <>
      <h2>Experiment {e.id}{e.name ? `: ${e.name}` : ""}</h2>
      <p>
        {e.kind} · <span class="status" id="status">{e.status}</span> · <Progress fraction={e.progress} />
        {" "}· owner {e.owner} · created {localTime(e.created_at)}
        {e.finished_at && ` · finished ${localTime(e.finished_at)}`}
        {!TERMINAL.has(e.status) && <> <button id="cancel" onClick={cancel}>Cancel</button></>}
      </p>
      {error !== null && <Failure error={error} />}
    </>
  );
}

function Results({ experiment: e, params }: { experiment: ExperimentAnswer; params: URLSearchParams }) {
  // a study is shown while it runs; a training spec's study beside its populations
  const study = e.kind === "tuning" || e.study_id != null ? <Tuning id={e.id} /> : null;
  if (e.kind === "tuning") return study;
  return <>{study}<Populations experiment={e} params={params} /></>;
}

function Populations({ experiment: e, params }: { experiment: ExperimentAnswer; params: URLSearchParams }) {
  if (!TERMINAL.has(e.status)) {
    // a training experiment's statistics so far; a landscape's distribution once it ends
    if (e.kind === "training" && e.status === "running") return <Training id={e.id} params={params} running />;
    return <p class="empty">Results appear when the experiment finishes; this page refreshes itself.</p>;
  }
  if (e.status !== "succeeded") {
    return (
      <>
        <p class="error">The experiment {e.status}{e.error ? `: ${e.error}` : "."}</p>
        <Runs id={e.id} />
      </>
    );
  }
  return (
    <>
      {e.kind === "landscape" ? <Landscape id={e.id} /> : <Training id={e.id} params={params} />}
      <p><a href={href(["compare", e.id])}>Compare two optimizers</a></p>
    </>
  );
}

/** Each run's status, attempts and one-line error. */
function Runs({ id }: { id: number }) {
  const runs = useResource((signal) => api.runs(id, signal), [id]);
  return (
    <Show resource={runs}>{(rows) => (
      <Table id="runs" rows={rows} rowKey={(r) => r.id} columns={[
        { header: "run", cell: (r) => r.key },
        { header: "status", cell: (r) => r.status },
        { header: "attempts", cell: (r) => r.attempts },
        { header: "error", cell: (r) => r.error ?? "" },
      ]} />
    )}</Show>
  );
}
