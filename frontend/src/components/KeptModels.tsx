import { useState } from "preact/hooks";
import type { KeptModel } from "../api/answers";
import * as api from "../api/queries";
import { useResource } from "../resource";
import { href } from "../router";
import { byteSize, fixed, modelKey } from "../shape";
import { Failure, Show } from "./Status";
import { Table } from "./Table";

const PAGE = 50;

/** Save a Blob under a file name (through a temporary object URL). */
function save(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The models whose weights an experiment kept, each downloadable as safetensors, marked
 * where they belong to Set A or Set B at the page's L. */
export function KeptModels({ id, metric, setA, setB, offset, L }: {
  id: number; metric: string; setA: Set<string>; setB: Set<string>; offset: number; L?: number;
}) {
  const page = useResource((signal) => api.keptModels(id, { limit: PAGE, offset }, signal), [id, offset]);
  const [failure, setFailure] = useState<unknown>(null);
  const download = (m: KeptModel) => {
    setFailure(null);
    api.modelFile(id, m).then(
      (blob) => save(blob, `experiment-${id}-${m.optimizer}-${m.trajectory}-step-${m.step}.safetensors`),
      setFailure);
  };
  const value = (m: KeptModel) => m.metrics[metric] ?? null;
  const pageLink = (at: number) => href(["experiments", id], { L, models: at });
  return (
    <Show resource={page}>{(p) => (
      <div id="kept-models">
        <p>
          {p.total} kept models; the experiment stores {byteSize(p.stored_bytes)} of files (models and checkpoints).
        </p>
        {failure !== null && <Failure error={failure} />}
        <Table rows={p.items} rowKey={modelKey} empty="This experiment kept no model weights (keep_models: none)."
          columns={[
            { header: "optimizer", cell: (m) => m.optimizer },
            { header: "trajectory", cell: (m) => m.trajectory },
            { header: "step", cell: (m) => m.step },
            { header: "epoch", cell: (m) => fixed(m.epoch, 2) },
            { header: "training loss", cell: (m) => fixed(m.train_loss) },
            { header: metric, cell: (m) => fixed(value(m)) },
            { header: "in", cell: (m) => [setA.has(modelKey(m)) && "A", setB.has(modelKey(m)) && "B"]
              .filter(Boolean).join(" + "), title: "member of Set A / Set B at this L" },
            { header: "size", cell: (m) => byteSize(m.size) },
            { header: "", cell: (m) => <button class="download" onClick={() => download(m)}>safetensors</button> },
          ]} />
        <p>
          {offset > 0 && <a href={pageLink(Math.max(0, offset - PAGE))}>previous</a>}{" "}
          {offset + PAGE < p.total && <a href={pageLink(offset + PAGE)}>next</a>}
        </p>
      </div>
    )}</Show>
  );
}
