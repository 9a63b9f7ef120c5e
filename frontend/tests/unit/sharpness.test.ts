import { describe, expect, it } from "vitest";
import { populationBoxes, sharpnessTraces, trainingSweepTrace } from "../../src/shape";

describe("sharpness", () => {
  it("plots the server's points of sharpness against the metric, one trace per optimizer", () => {
    const traces = sharpnessTraces({
      sam: { sharpness: [3], value: [0.9] }, sgd: { sharpness: [4, 5], value: [0.8, 0.7] },
    });
    expect(traces.map((t) => [t.name, t.x, t.y, t.mode])).toEqual([
      ["sam", [3], [0.9], "markers"], ["sgd", [4, 5], [0.8, 0.7], "markers"]]);
  });
  it("draws each member's sharpness as the server sends it, leaving out null (unconverged)", () => {
    const a = { sgd: { models: [{ sharpness: 4, value: 0.8 }, { sharpness: null, value: 0.7 }] } };
    const [setA] = populationBoxes(a, a, "sharpness", "accuracy");
    expect(setA.y).toEqual([4]);
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
