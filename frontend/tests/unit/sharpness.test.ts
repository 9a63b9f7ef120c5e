import { describe, expect, it } from "vitest";
import { sharpnessByModel, sharpnessScatter, trainingSweepTrace, withSharpness } from "../../src/shape";

const records = [
  { optimizer: "sgd", trajectory: 0, step: 0, diverged: false, sharpness: 9, metrics: { accuracy: 0.1 } },  // initial model
  { optimizer: "sgd", trajectory: 0, step: 8, diverged: false, sharpness: 4, metrics: { accuracy: 0.8 } },
  { optimizer: "sgd", trajectory: 1, step: 8, diverged: false, sharpness: null, metrics: { accuracy: 0.7 } },  // not measured
  { optimizer: "sam", trajectory: 0, step: 8, diverged: true, sharpness: 2, metrics: { accuracy: 0.5 } },  // diverged
  { optimizer: "sam", trajectory: 0, step: 16, diverged: false, sharpness: 3, metrics: { accuracy: 0.9 } },
];

describe("sharpness", () => {
  it("plots sharpness against the metric over candidate models only", () => {
    const traces = sharpnessScatter(records, "accuracy");
    expect(traces.map((t) => [t.name, t.x, t.y])).toEqual([["sgd", [4], [0.8]], ["sam", [3], [0.9]]]);
  });
  it("attaches each population member's sharpness by optimizer, trajectory and step", () => {
    const byModel = sharpnessByModel(records);
    const sets = withSharpness({ sgd: { models: [{ trajectory: 0, step: 8 }, { trajectory: 1, step: 8 }] } }, byModel);
    expect(sets.sgd.models).toEqual([{ sharpness: 4 }, { sharpness: null }]);
  });
});

describe("training sweeps", () => {
  it("draws the Set A median against the swept value with its interval", () => {
    const trace = trainingSweepTrace({ name: "sgd", parameters: ["lr"], points: [
      { values: { lr: 0.02 }, median: 0.2, interval: [0.15, 0.3] },
      { values: { lr: 0.05 }, median: null, interval: null },
      { values: { lr: 0.1 }, median: 0.5, interval: [null, null] },
    ] });
    expect(trace.x).toEqual([0.02, 0.1]);
    expect(trace.y).toEqual([0.2, 0.5]);
    expect(trace.error_y?.array.map((v) => +v.toFixed(2))).toEqual([0.1, 0]);
    expect(trace.error_y?.arrayminus.map((v) => +v.toFixed(2))).toEqual([0.05, 0]);
  });
});
