import { describe, expect, it } from "vitest";
import type { Trial } from "../../src/api/answers";
import { historyTraces, parameterTraces, searchedNames } from "../../src/tuning";

const trial = (optimizer: string, number: number, state: Trial["state"], value: number | null, lr = 0.1) =>
  ({ optimizer, number, state, value, hyperparameters: { lr, momentum: 0.9 } });

const trials = [
  trial("sgd", 0, "complete", 0.7, 0.01),
  trial("sgd", 1, "pruned", 0.2, 1e-5),
  trial("sgd", 2, "complete", 0.9, 0.1),
  trial("sgd", 3, "complete", 0.8, 0.3),
  trial("sgd", 4, "failed", null),
  trial("sam", 0, "running", null),
];

describe("historyTraces", () => {
  it("draws complete and pruned trials apart and the best complete value so far", () => {
    const traces = historyTraces(trials, "higher");
    expect(traces.map((t) => t.name)).toEqual(["sgd complete", "sgd pruned", "sgd best so far"]);
    expect(traces[0].x).toEqual([0, 2, 3]);
    expect(traces[1].y).toEqual([0.2]);
    expect(traces[2].x).toEqual([0, 2, 3]);
    expect(traces[2].y).toEqual([0.7, 0.9, 0.9]);
  });
  it("follows the objective's direction", () => {
    expect(historyTraces(trials, "lower")[2].y).toEqual([0.7, 0.7, 0.7]);
  });
});

describe("parameterTraces", () => {
  it("plots each scored trial's value against the hyperparameter, per optimizer", () => {
    const [sgd, ...rest] = parameterTraces(trials, "lr");
    expect(rest).toHaveLength(0); // SAM has no scored trial yet
    expect(sgd.x).toEqual([0.01, 1e-5, 0.1, 0.3]);
    expect(sgd.y).toEqual([0.7, 0.2, 0.9, 0.8]);
  });
});

describe("searchedNames", () => {
  it("lists every searched hyperparameter once", () => {
    const spaces = { sgd: { dimensions: [{ name: "lr" }, { name: "momentum" }] }, sam: { dimensions: [{ name: "lr" }] } };
    expect(searchedNames(spaces)).toEqual(["lr", "momentum"]);
  });
});
