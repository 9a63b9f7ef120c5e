import type { Queue as QueueAnswer, QueuedExperiment } from "../api/answers";
import * as api from "../api/queries";
import { Show } from "../components/Status";
import { Table } from "../components/Table";
import { useResource } from "../resource";
import { href } from "../router";

type Row = QueuedExperiment & { member: string };

/** Per member, the runs running and queued, and where each experiment stands; refreshed. */
export function Queue() {
  const queue = useResource((signal) => api.queue(signal), [], { refresh: () => 2000 });
  return (
    <>
      <h2>Queue</h2>
      <p>
        Runs go to the workers by fair share: the member with the fewest runs in service (per unit of share)
        first; then that member's experiments in turn, higher priority first; then in submission order.
      </p>
      <Show resource={queue}>{(q) => <Members queue={q} />}</Show>
    </>
  );
}

function Members({ queue }: { queue: QueueAnswer }) {
  if (queue.members.length === 0) return <p class="empty">Nothing is queued or running.</p>;
  const rows: Row[] = queue.members.flatMap((m) => m.experiments.map((e) => ({ ...e, member: m.member })));
  return (
    <>
      <Table id="queue-members" rows={queue.members} rowKey={(m) => m.member} columns={[
        { header: "member", cell: (m) => m.member },
        { header: "share", cell: (m) => m.share },
        { header: "running", cell: (m) => m.running },
        { header: "queued", cell: (m) => m.queued },
      ]} />
      <Table id="queue" rows={rows} rowKey={(e) => e.id} columns={[
        { header: "position", cell: (e) => e.position ?? "sent", title: "its next run's place in its queue (1: next)" },
        { header: "experiment", cell: (e) => <a href={href(["experiments", e.id])}>{e.id} {e.name}</a> },
        { header: "member", cell: (e) => e.member },
        { header: "kind", cell: (e) => e.kind },
        { header: "queue", cell: (e) => e.queue },
        { header: "priority", cell: (e) => e.priority },
        { header: "running", cell: (e) => e.running },
        { header: "queued", cell: (e) => `${e.queued} (${e.sent} sent)`,
          title: "runs queued (of them, those sent to the workers' broker)" },
      ]} />
      <p>The broker holds at most {queue.window} runs per queue ahead of the workers; the rest wait here.</p>
    </>
  );
}
