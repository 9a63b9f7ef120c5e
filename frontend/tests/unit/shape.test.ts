import { describe, expect, it } from "vitest";
import {
  curveTraces, distributionBars, endPointTraces, fieldErrors, formatP, pathTraces, percent, populationBoxes,
} from "../../src/shape";

const entry = {
  function: "himmelblau",
  minima: [{ label: "G1", location: [3, 2] as [number, number], value: 0 },
           { label: "G2", location: [-2.8, 3.1] as [number, number], value: 0 }],
  optimizers: [
    { optimizer: "sgd", counts: { G1: 6, G2: 3, else: 1 }, fractions: { G1: 0.6, G2: 0.3, else: 0.1 },
      intervals: { G1: [0.3, 0.85], G2: [0.1, 0.6], else: [0.02, 0.4] } as Record<string, [number, number]> },
    { optimizer: "sam", status: "running" },
  ],
  tests: [],
};

describe("distributionBars", () => {
  it("makes one bar trace per finished optimizer with asymmetric CI error bars", () => {
    const [bars, ...rest] = distributionBars(entry);
    expect(rest).toHaveLength(0);
    expect(bars.x).toEqual(["G1", "G2", "else"]);
    expect(bars.y).toEqual([0.6, 0.3, 0.1]);
    expect(bars.error_y.array.map((v) => +v.toFixed(2))).toEqual([0.25, 0.3, 0.3]);
    expect(bars.error_y.arrayminus.map((v) => +v.toFixed(2))).toEqual([0.3, 0.2, 0.08]);
  });
});

describe("endPointTraces and pathTraces", () => {
  it("drops non-finite end points", () => {
    const [trace] = endPointTraces({ sgd: { end_points: [[1, 2], [NaN, 0], [3, 4]] } });
    expect(trace.x).toEqual([1, 3]);
    expect(trace.y).toEqual([2, 4]);
    expect(trace.name).toBe("sgd");
  });
  it("turns K × R × 2 snapshots into one hidden line per restart, capped", () => {
    const paths = [[[0, 0], [1, 1], [2, 2]], [[0.5, 0.5], [1.5, 1.5], [2.5, 2.5]]];  // K=2, R=3
    const traces = pathTraces("sgd", paths, 2);
    expect(traces).toHaveLength(2);
    expect(traces[1].x).toEqual([1, 1.5]);
    expect(traces[0].visible).toBe("legendonly");
    expect(traces.map((t) => t.showlegend)).toEqual([true, false]);  // one legend entry toggles all
    expect(new Set(traces.map((t) => t.legendgroup))).toEqual(new Set(["sgd-paths"]));
  });
});

describe("curves and populations", () => {
  it("plots the smoothed mean over gradient evaluations", () => {
    const [trace] = curveTraces({ sam: { gradient_evaluations: [0, 10], smoothed: [2.3, 1.1] } });
    expect(trace).toMatchObject({ name: "sam", x: [0, 10], y: [2.3, 1.1], mode: "lines" });
  });
  it("groups Set A and Set B models per optimizer", () => {
    const a = { sgd: { models: [{ accuracy: 0.9 }, { accuracy: 0.8 }] }, sam: { models: [{ accuracy: NaN }] } };
    const b = { sgd: { models: [{ accuracy: 0.95 }] }, sam: { models: [{ accuracy: 0.92 }] } };
    const [setA, setB] = populationBoxes(a, b, "accuracy");
    expect(setA.x).toEqual(["sgd", "sgd"]);
    expect(setB.y).toEqual([0.95, 0.92]);
    expect(setB.name).toContain("Set B");
  });
});

describe("fieldErrors", () => {
  it("maps FastAPI 422 locations to form fields", () => {
    const errors = fieldErrors([
      { loc: ["body", "landscape", "restarts"], msg: "Input should be greater than 0" },
      { loc: ["body", "landscape", "optimizers", 0, "name"], msg: "unknown optimizer 'adam'" },
      { loc: ["body", "restarts"], msg: "over this server's limit" },
    ]);
    expect(errors.restarts).toBe("Input should be greater than 0; over this server's limit");
    expect(errors.optimizers).toContain("adam");
    expect(fieldErrors("not a list")).toEqual({});
  });
});

describe("formatting", () => {
  it("formats p-values and percentages", () => {
    expect(formatP(0.04321)).toBe("0.043");
    expect(formatP(1.2e-7)).toBe("1.2e-7");
    expect(formatP(null)).toBe("—");
    expect(percent(0.456)).toBe("46%");
    expect(percent(1.5)).toBe("100%");
  });
});
