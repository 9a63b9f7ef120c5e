import { describe, expect, it } from "vitest";
import {
  curveTraces, detailMessages, distributionBars, endPointTraces, fieldErrors, fixed, formatP, landscapeTraces,
  parseTimestamp, pathTraces, percent, populationBoxes,
} from "../../src/shape";

const entry = {
  minima: [{ label: "G1" }, { label: "G2" }],
  optimizers: [
    { optimizer: "sgd", fractions: { G1: 0.6, G2: 0.3, else: 0.1 },
      intervals: { G1: [0.3, 0.85], G2: [0.1, 0.6], else: [0.02, 0.4] } },
    { optimizer: "sam", fractions: null, intervals: null },
  ],
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
  it("draws no error bar where an interval is undefined", () => {
    const [bars] = distributionBars({ minima: [{ label: "G1" }],
      optimizers: [{ optimizer: "sgd", fractions: { G1: 1, else: 0 }, intervals: { G1: [null, null], else: [0, 0.1] } }] });
    expect(bars.error_y.array).toEqual([0, 0.1]);
    expect(bars.error_y.arrayminus).toEqual([0, 0]);
  });
});

describe("endPointTraces, pathTraces and the contour", () => {
  it("drops non-finite and missing end points", () => {
    const [trace] = endPointTraces({ sgd: { end_points: [[1, 2], [NaN, 0], [3, 4], [null, 1]] } });
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
    expect(pathTraces("sgd", [])).toEqual([]);
  });
  it("puts the level lines under labelled minima", () => {
    const grid = { function: "f", x: [0, 1], y: [0, 1], z: [[0, 1], [1, 2]] };
    const minimum = { label: "G1", location: [3, 2], value: 0, eigenvalues: [1, 2], global: true };
    const [contour, minima] = landscapeTraces(grid, [minimum]);
    expect(contour).toMatchObject({ type: "contour", z: grid.z, showscale: false });
    expect(minima).toMatchObject({ type: "scatter", x: [3], y: [2], text: ["G1"] });
  });
});

describe("curves and populations", () => {
  it("plots the smoothed mean over gradient evaluations", () => {
    const [trace] = curveTraces({ sam: { gradient_evaluations: [0, 10], smoothed: [2.3, null] } });
    expect(trace).toMatchObject({ name: "sam", x: [0, 10], y: [2.3, null], mode: "lines" });
  });
  it("groups Set A and Set B models per optimizer, leaving out undefined values", () => {
    const a = { sgd: { models: [{ accuracy: 0.9 }, { accuracy: 0.8 }] }, sam: { models: [{ accuracy: null }] } };
    const b = { sgd: { models: [{ accuracy: 0.95 }] }, sam: { models: [{ accuracy: 0.92 }, {}] } };
    const [setA, setB] = populationBoxes(a, b, "accuracy");
    expect(setA.x).toEqual(["sgd", "sgd"]);
    expect(setB.y).toEqual([0.95, 0.92]);
    expect(setB.name).toContain("Set B");
  });
  it("draws another column (sharpness) with the metric's name on Set B", () => {
    const a = { sgd: { models: [{ sharpness: 12.5, accuracy: 0.9 }] } };
    const [setA, setB] = populationBoxes(a, a, "sharpness", "accuracy");
    expect(setA.y).toEqual([12.5]);
    expect(setB.name).toBe("Set B (best accuracy)");
  });
});

describe("refusals", () => {
  it("maps FastAPI 422 locations to form fields", () => {
    const errors = fieldErrors([
      { loc: ["body", "landscape", "restarts"], msg: "Input should be greater than 0" },
      { loc: ["body", "landscape", "optimizers", 0, "name"], msg: "unknown optimizer 'adam'" },
      { loc: ["body", "restarts"], msg: "over this server's limit" },
      "not an entry",
    ]);
    expect(errors.restarts).toBe("Input should be greater than 0; over this server's limit");
    expect(errors.optimizers).toContain("adam");
    expect(Object.keys(errors)).toEqual(["restarts", "optimizers"]);
    expect(fieldErrors("not a list")).toEqual({});
  });
  it("reads one-line messages from either form of detail", () => {
    expect(detailMessages("experiment 3 not found")).toEqual(["experiment 3 not found"]);
    expect(detailMessages([{ msg: "a" }, { msg: "b" }])).toEqual(["a", "b"]);
    expect(detailMessages(null)).toEqual([]);
  });
});

describe("formatting", () => {
  it("formats p-values, numbers and percentages, with a dash for undefined ones", () => {
    expect(formatP(0.04321)).toBe("0.043");
    expect(formatP(1.2e-7)).toBe("1.2e-7");
    expect(formatP(null)).toBe("—");
    expect(fixed(0.123456)).toBe("0.1235");
    expect(fixed(null)).toBe("—");
    expect(fixed(1234.6, 0)).toBe("1235");
    expect(percent(0.456)).toBe("46%");
    expect(percent(1.5)).toBe("100%");
    expect(percent(null)).toBe("—");
  });
  it("reads a timestamp without an offset as UTC, not as the reader's local time", () => {
    const expected = Date.UTC(2026, 10, 30, 2, 26, 57, 156);
    expect(parseTimestamp("2026-11-30T02:26:57.156122").getTime()).toBe(expected);
    expect(parseTimestamp("2026-11-30T02:26:57.156122Z").getTime()).toBe(expected);
    expect(parseTimestamp("2026-11-30T03:26:57.156122+01:00").getTime()).toBe(expected);
  });
});
