// Plotly, loaded on first use and per trace type: the core (which carries scatter) plus
// only the trace modules a plot needs, each its own chunk. No eval is involved, so the page
// runs under a script-src 'self' Content-Security-Policy.

export type TraceKind = "scatter" | "contour" | "bar" | "box";
type Plotly = typeof import("plotly.js");
type PlotlyModule = Parameters<Plotly["register"]>[0];

const modules: Record<Exclude<TraceKind, "scatter">, () => Promise<{ default: PlotlyModule }>> = {
  contour: () => import("plotly.js/lib/contour"),
  bar: () => import("plotly.js/lib/bar"),
  box: () => import("plotly.js/lib/box"),
};

let core: Promise<Plotly> | undefined;
const registered = new Map<TraceKind, Promise<void>>();

/** Plotly with every trace type in `kinds` registered (each loaded once per page). */
export async function loadPlotly(kinds: TraceKind[]): Promise<Plotly> {
  core ??= import("plotly.js/lib/core").then((m) => m.default);
  const plotly = await core;
  await Promise.all(kinds.map((kind) => {
    let done = registered.get(kind);
    if (!done) {
      done = kind === "scatter" ? Promise.resolve() : modules[kind]().then((m) => plotly.register(m.default));
      registered.set(kind, done);
    }
    return done;
  }));
  return plotly;
}
