import type { Leaderboard as Board } from "../api/answers";
import * as api from "../api/queries";
import { Show } from "../components/Status";
import { Table } from "../components/Table";
import { useResource } from "../resource";
import { href, navigate } from "../router";
import { fixed, formatP } from "../shape";

/** Per task, every finished configuration ranked by its Set A median metric. */
export function Leaderboard({ params }: { params: URLSearchParams }) {
  const task = params.get("task") ?? "digits";
  const tasks = useResource((signal) => api.tasks(signal), []);
  const board = useResource((signal) => api.leaderboard(task, signal), [task]);
  return (
    <>
      <h2>Leaderboard</h2>
      <label>
        Task{" "}
        <select id="task" value={task}
          onChange={(e) => navigate(href(["leaderboard"], { task: e.currentTarget.value }))}>
          {(tasks.data?.filter((t) => t.available) ?? [{ name: task }])
            .map((t) => <option key={t.name}>{t.name}</option>)}
        </select>
      </label>
      <Show resource={board}>{(b) => <Ranking board={b} />}</Show>
    </>
  );
}

function Ranking({ board }: { board: Board }) {
  return (
    <>
      <p>Set A median {board.metric} ({board.direction} is better, best first) with a bootstrap 95% CI.</p>
      {board.entries.length > 0 && <p id="ties"><strong>How ties were decided:</strong> {board.ties}</p>}
      <Table id="leaderboard" rows={board.entries} rowKey={(e) => e.key}
        empty={<>No finished training experiment on {board.task} yet — <a href="#/submit">submit one</a>.</>}
        columns={[
          { header: "rank", cell: (e) => e.rank },
          { header: "configuration", cell: (e) => (
            <><a href={href(["experiments", e.experiment_id])}>{e.optimizer}</a> (exp. {e.experiment_id})</>
          ) },
          { header: "median", cell: (e) => fixed(e.median) },
          { header: "95% CI", cell: (e) => `${fixed(e.ci_low)}–${fixed(e.ci_high)}` },
          { header: "trajectories", cell: (e) => e.trajectories },
          { header: "gradient evals / trajectory", cell: (e) => fixed(e.gradient_evaluations_per_trajectory, 0) },
          { header: "p vs best (Holm)", cell: (e) => formatP(e.pvalue_vs_best) },
          { header: "smallest possible p", cell: (e) => formatP(e.pvalue_floor),
            title: "the smallest p the trajectory-level test can reach with these trajectories" },
          { header: "submitter", cell: (e) => e.submitter },
          { header: "note", cell: (e) => e.note ?? "" },
        ]} />
    </>
  );
}
