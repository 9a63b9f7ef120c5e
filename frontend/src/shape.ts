// Pure data shaping: API answers in, plot traces and table cells out (unit-tested).
import type { Data } from "plotly.js";
import type {
  Curve, Grid, Minimum, OptimizerDistribution, OptimizerEndPoints,
} from "./api/answers";

export type BarTrace = {
  type: "bar"; name: string; x: string[]; y: number[];
  error_y: { type: "data"; symmetric: false; array: number[]; arrayminus: number[] };
};

/** One bar trace per finished optimizer: fraction per basin with its CI as error bars. */
export function distributionBars(entry: {
  minima: Pick<Minimum, "label">[];
  optimizers: Pick<OptimizerDistribution, "optimizer" | "fractions" | "intervals">[];
}): BarTrace[] {
  const labels = [...entry.minima.map((m) => m.label), "else"];
  const traces: BarTrace[] = [];
  for (const o of entry.optimizers) {
    const { fractions, intervals } = o;
    if (!fractions || !intervals) continue;
    const y = labels.map((l) => fractions[l] ?? 0);
    traces.push({
      type: "bar",
      name: o.optimizer,
      x: labels,
      y,
      error_y: {
        type: "data",
        symmetric: false,
        array: labels.map((l, i) => (intervals[l]?.[1] ?? y[i]) - y[i]),
        arrayminus: labels.map((l, i) => y[i] - (intervals[l]?.[0] ?? y[i])),
      },
    });
  }
  return traces;
}

export type ScatterTrace = {
  type: "scatter"; mode: "markers" | "lines" | "lines+markers" | "text+markers"; name: string;
  x: (number | string | null)[]; y: (number | null)[];
  visible?: boolean | "legendonly"; marker?: { size?: number; opacity?: number; symbol?: string; color?: string };
  line?: { width?: number }; legendgroup?: string; showlegend?: boolean;
  text?: string[]; textposition?: "top right";
  error_y?: { type: "data"; symmetric: false; array: number[]; arrayminus: number[] };
};

/** End points as one scatter trace per optimizer (non-finite points dropped). */
export function endPointTraces(optimizers: Record<string, Pick<OptimizerEndPoints, "end_points">>): ScatterTrace[] {
  return Object.entries(optimizers).map(([name, data]) => {
    const finite = data.end_points.filter((p): p is number[] => p.every((v) => typeof v === "number" && isFinite(v)));
    return {
      type: "scatter", mode: "markers", name, x: finite.map((p) => p[0]), y: finite.map((p) => p[1]),
      marker: { size: 5, opacity: 0.6 },
    };
  });
}

/** Restart paths (K snapshots × R restarts × 2) of one optimizer as line traces, hidden
 * until toggled in the legend; at most `limit` restarts, so the plot stays responsive. */
export function pathTraces(name: string, paths: (number | null)[][][], limit = 25): ScatterTrace[] {
  const restarts = paths.length ? Math.min(limit, paths[0].length) : 0;
  const traces: ScatterTrace[] = [];
  for (let r = 0; r < restarts; r++) {
    traces.push({
      type: "scatter", mode: "lines", name: `${name} paths`, x: paths.map((k) => k[r][0]),
      y: paths.map((k) => k[r][1]), visible: "legendonly", line: { width: 1 },
      legendgroup: `${name}-paths`, showlegend: r === 0,
    });
  }
  return traces;
}

/** The function's level lines and its catalogued minima, under the end points. */
export function landscapeTraces(grid: Grid, minima: Minimum[]): Data[] {
  return [
    {
      type: "contour", x: grid.x, y: grid.y, z: grid.z, showscale: false, ncontours: 30,
      colorscale: "Greys", contours: { coloring: "lines" }, name: "f",
    },
    {
      type: "scatter", mode: "text+markers", name: "minima", x: minima.map((m) => m.location[0]),
      y: minima.map((m) => m.location[1]), text: minima.map((m) => m.label), textposition: "top right",
      marker: { symbol: "x-thin-open", size: 14, color: "black" },
    },
  ];
}

/** Learning curves: smoothed mean per optimizer over gradient evaluations. */
export function curveTraces(curves: Record<string, Pick<Curve, "gradient_evaluations" | "smoothed">>): ScatterTrace[] {
  return Object.entries(curves).map(([name, c]) => ({
    type: "scatter", mode: "lines", name, x: c.gradient_evaluations, y: c.smoothed,
  }));
}

export type BoxTrace = {
  type: "box"; name: string; y: number[]; boxpoints: "all"; jitter: number; pointpos: number;
  offsetgroup: string; legendgroup: string; x: string[];
};

type Models = Record<string, { models: { [column: string]: number | null | undefined }[] }>;

/** Set A and Set B of every optimizer as box plots with every model drawn, on `column`
 * (`value`, the population's metric, or e.g. sharpness). */
export function populationBoxes(setA: Models, setB: Models, column: string, metric = column): BoxTrace[] {
  const box = (label: string, data: Models): BoxTrace => {
    const xs: string[] = [];
    const ys: number[] = [];
    for (const [name, entry] of Object.entries(data)) {
      for (const m of entry.models) {
        const value = m[column];
        if (typeof value === "number" && Number.isFinite(value)) {
          xs.push(name);
          ys.push(value);
        }
      }
    }
    return {
      type: "box", name: label, x: xs, y: ys, boxpoints: "all", jitter: 0.4, pointpos: 0,
      offsetgroup: label, legendgroup: label,
    };
  };
  return [box("Set A (lowest training loss)", setA), box(`Set B (best ${metric})`, setB)];
}

type ErrorEntry = { loc?: unknown; msg?: unknown };

function errorEntries(detail: unknown): ErrorEntry[] {
  if (!Array.isArray(detail)) return [];
  return detail.filter((e: unknown): e is ErrorEntry => typeof e === "object" && e !== null);
}

/** FastAPI's 422 detail as {field: message}: the location without "body", the spec's kind
 * tag and list indices, so `optimizers.0.name` lands on the optimizers field. */
export function fieldErrors(detail: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const error of errorEntries(detail)) {
    const loc = Array.isArray(error.loc) ? error.loc : [];
    const path = loc.filter((p: unknown) => p !== "body" && p !== "landscape" && p !== "training");
    const key = path.length ? String(path[0]) : "spec";
    const message = String(error.msg ?? "invalid");
    out[key] = out[key] ? `${out[key]}; ${message}` : message;
  }
  return out;
}

/** A refusal's messages, for the places that show them in one line. */
export function detailMessages(detail: unknown): string[] {
  if (typeof detail === "string") return [detail];
  return errorEntries(detail).map((e) => String(e.msg ?? "invalid"));
}

export function percent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || Number.isNaN(fraction)) return "—";
  return `${Math.round(100 * Math.max(0, Math.min(1, fraction)))}%`;
}

export function formatP(p: number | null | undefined): string {
  if (p === null || p === undefined || Number.isNaN(p)) return "—";
  return p < 1e-3 ? p.toExponential(1) : p.toFixed(3);
}

/** A number with `digits` decimals; "—" for a missing (undefined) value. */
export function fixed(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return value.toFixed(digits);
}

/** An API timestamp as a Date. A timestamp without an offset is UTC (the API's older
 * answers had none), never the reader's local time. */
export function parseTimestamp(iso: string): Date {
  return new Date(/([zZ]|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`);
}

/** An API timestamp in the reader's time zone. */
export function localTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = parseTimestamp(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** A size in bytes, in the unit that keeps it short (1 kB = 1000 bytes). */
export function byteSize(bytes: number): string {
  const units = ["bytes", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** The key that names one evaluated model of one trajectory. */
export const modelKey = (m: { optimizer: string; trajectory: number; step: number }) =>
  `${m.optimizer}/${m.trajectory}/${m.step}`;

/** The keys of every model in Set A or Set B (`optimizers` as the populations answer). */
export function memberKeys(optimizers: Record<string, { models: { trajectory: number; step: number }[] }>) {
  return new Set(Object.entries(optimizers).flatMap(([optimizer, p]) =>
    p.models.map((m) => modelKey({ optimizer, ...m }))));
}

type SweepPoint = {
  values: Record<string, number | string>;
  fractions?: Record<string, number | null> | null;
  intervals?: Record<string, (number | null)[]> | null;
};

/** A sweep point's position on the x axis: the swept value itself for one hyperparameter,
 * "a=…, b=…" (categorical) for a grid over two. */
export function sweepX(values: Record<string, number | string>, parameters: string[]): number | string {
  if (parameters.length === 1) return values[parameters[0]];
  return parameters.map((p) => `${p}=${values[p]}`).join(", ");
}

/** One line per basin (and `else`): its fraction of restarts against the swept value, with
 * the CI as error bars; points not finished yet are left out. */
export function sweepTraces(series: { parameters: string[]; points: SweepPoint[] }, labels: string[]): ScatterTrace[] {
  const done = series.points.filter((p) => p.fractions && p.intervals);
  return labels.map((label) => {
    const y = done.map((p) => p.fractions?.[label] ?? null);
    const interval = (p: SweepPoint, i: number) => p.intervals?.[label]?.[i] ?? null;
    return {
      type: "scatter", mode: "lines+markers", name: label,
      x: done.map((p) => sweepX(p.values, series.parameters)),
      y,
      error_y: {
        type: "data", symmetric: false,
        array: done.map((p, i) => Math.max(0, (interval(p, 1) ?? y[i] ?? 0) - (y[i] ?? 0))),
        arrayminus: done.map((p, i) => Math.max(0, (y[i] ?? 0) - (interval(p, 0) ?? y[i] ?? 0))),
      },
    };
  });
}

/** A log axis for one positive hyperparameter spanning a decade or more, else linear, and
 * categories for a grid over two. */
export function sweepAxis(series: { parameters: string[]; points: { values: Record<string, number | string> }[] }) {
  if (series.parameters.length !== 1) return "category" as const;
  const xs = series.points.map((p) => p.values[series.parameters[0]]);
  if (!xs.every((x): x is number => typeof x === "number")) return "category" as const;
  const positive = xs.every((x) => x > 0);
  return positive && Math.max(...xs) / Math.min(...xs) >= 10 ? "log" as const : "linear" as const;
}

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** Sharpness against the metric, one marker trace per optimizer, from the points the
 * server chose (its candidate models with a converged sharpness). */
export function sharpnessTraces(points: Record<string, { sharpness: (number | null)[]; value: (number | null)[] }>,
): ScatterTrace[] {
  return Object.entries(points).map(([name, p]) => ({
    type: "scatter", mode: "markers", name, x: p.sharpness, y: p.value, marker: { size: 6, opacity: 0.7 },
  }));
}

type TrainingSweep = {
  parameters: string[];
  name: string;
  points: {
    values: Record<string, number | string | null>; median?: number | null; interval?: (number | null)[] | null;
  }[];
};

/** One sweep of a training experiment: the Set A median against the swept value, with the
 * cluster-bootstrap interval as error bars; points without a median are left out. */
export function trainingSweepTrace(series: TrainingSweep): ScatterTrace {
  const done = series.points.filter((p) => finite(p.median));
  const values = (p: (typeof done)[number]) =>
    Object.fromEntries(Object.entries(p.values).map(([k, v]) => [k, v ?? "—"]));
  const median = (p: (typeof done)[number]) => p.median ?? 0;
  return {
    type: "scatter", mode: "lines+markers", name: series.name,
    x: done.map((p) => sweepX(values(p), series.parameters)),
    y: done.map((p) => p.median ?? null),
    error_y: {
      type: "data", symmetric: false,
      array: done.map((p) => Math.max(0, (p.interval?.[1] ?? median(p)) - median(p))),
      arrayminus: done.map((p) => Math.max(0, median(p) - (p.interval?.[0] ?? median(p)))),
    },
  };
}
