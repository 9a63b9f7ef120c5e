import type { ExperimentStatus } from "../api/answers";
import * as api from "../api/queries";
import { Show, Progress } from "../components/Status";
import { Table } from "../components/Table";
import { useResource } from "../resource";
import { href, navigate } from "../router";
import { localTime } from "../shape";

const PAGE = 20;
const STATUSES: ExperimentStatus[] = ["queued", "running", "succeeded", "failed", "cancelled"];
export const TERMINAL = new Set<string>(["succeeded", "failed", "cancelled"]);

function asStatus(value: string | null): ExperimentStatus | undefined {
  return STATUSES.find((s) => s === value);
}

/** Newest first, 20 a page, filtered by status; refreshed while something runs. */
export function Experiments({ params }: { params: URLSearchParams }) {
  const offset = Math.max(0, Number(params.get("offset") ?? 0) || 0);
  const status = asStatus(params.get("status"));
  const page = useResource((signal) => api.experiments({ limit: PAGE, offset, status }, signal), [offset, status],
    { refresh: (p) => (p.items.some((e) => !TERMINAL.has(e.status)) ? 1500 : null) });
  return (
    <>
      <h2>Experiments</h2>
      <select id="status" value={status ?? ""}
        onChange={(e) => navigate(href(["experiments"], { status: e.currentTarget.value }))}>
        <option value="">any status</option>
        {STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
      </select>
      <Show resource={page}>{(p) => p.total === 0 && offset === 0 ? (
        <p class="empty">
          {status ? `No ${status} experiments. ` : "No experiments yet — "}<a href="#/submit">submit one</a>.
        </p>
      ) : (
        <>
          <Table id="experiments" rows={p.items} rowKey={(e) => e.id} columns={[
            { header: "id", cell: (e) => <a href={href(["experiments", e.id])}>{e.id}</a> },
            { header: "name", cell: (e) => e.name },
            { header: "kind", cell: (e) => e.kind },
            { header: "status", cell: (e) => <span class="status">{e.status}</span> },
            { header: "progress", cell: (e) => <Progress fraction={e.progress} /> },
            { header: "owner", cell: (e) => e.owner },
            { header: "created", cell: (e) => localTime(e.created_at) },
          ]} />
          <p>
            {p.items.length ? `${offset + 1}–${offset + p.items.length} of ${p.total} ` : `none here of ${p.total} `}
            {offset > 0 && <a href={href(["experiments"], { offset: Math.max(0, offset - PAGE), status })}>previous</a>}
            {" "}
            {offset + PAGE < p.total && <a href={href(["experiments"], { offset: offset + PAGE, status })}>next</a>}
          </p>
        </>
      )}</Show>
    </>
  );
}
