import type { Config, Data, Layout } from "plotly.js";
import { useEffect, useRef, useState } from "preact/hooks";
import { loadPlotly, type TraceKind } from "../plot/plotly";

type Props = {
  id: string;
  kinds: TraceKind[];
  data: Data[];
  layout: Partial<Layout>;
  class?: string;
};

const CONFIG: Partial<Config> = { responsive: true, displaylogo: false };

/** One Plotly figure; redrawn in place when its data change, purged when it unmounts. */
export function Plot({ id, kinds, data, layout, class: className = "plot" }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    loadPlotly(kinds)
      .then((plotly) => { if (live && box.current) return plotly.react(box.current, data, layout, CONFIG); })
      .catch((error: unknown) => { if (live) setFailed(error instanceof Error ? error.message : String(error)); });
    return () => { live = false; };
  }, [data, JSON.stringify(layout)]);  // layouts are written inline: compare them by value
  useEffect(() => {
    const node = box.current;  // taken now: the ref is cleared before the cleanup runs
    return () => { if (node) loadPlotly([]).then((plotly) => plotly.purge(node)); };
  }, []);
  if (failed) return <p class="error">The plot could not be drawn: {failed}</p>;
  return <div id={id} class={className} ref={box} />;
}
