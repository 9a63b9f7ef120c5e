import { describe, expect, it } from "vitest";
import { byteSize, memberKeys, modelKey, sweepAxis, sweepTraces, sweepX } from "../../src/shape";

const series = {
  parameters: ["rho"],
  points: [
    { values: { rho: 0.1 }, fractions: { G1: 1, else: 0 }, intervals: { G1: [0.9, 1], else: [0, 0.1] } },
    { values: { rho: 1 }, fractions: { G1: 0.6, else: 0.4 }, intervals: { G1: [0.5, 0.7], else: [0.3, 0.5] } },
    { values: { rho: 10 }, fractions: null, intervals: null },  // not finished yet
  ],
};

describe("sweep plots", () => {
  it("draws one line per basin over the swept value, with its CI", () => {
    const [g1, other] = sweepTraces(series, ["G1", "else"]);
    expect(g1).toMatchObject({ name: "G1", mode: "lines+markers", x: [0.1, 1], y: [1, 0.6] });
    expect(g1.error_y?.array.map((v) => +v.toFixed(2))).toEqual([0, 0.1]);
    expect(g1.error_y?.arrayminus.map((v) => +v.toFixed(2))).toEqual([0.1, 0.1]);
    expect(other.y).toEqual([0, 0.4]);
  });
  it("labels grid points by both values", () => {
    expect(sweepX({ rho: 0.5, lr: 0.01 }, ["rho", "lr"])).toBe("rho=0.5, lr=0.01");
    expect(sweepX({ rho: 0.5 }, ["rho"])).toBe(0.5);
  });
  it("puts a positive value spanning a decade on a log axis", () => {
    expect(sweepAxis(series)).toBe("log");
    expect(sweepAxis({ parameters: ["rho"], points: [{ values: { rho: 0 } }, { values: { rho: 5 } }] })).toBe("linear");
    expect(sweepAxis({ parameters: ["rho", "lr"], points: [] })).toBe("category");
    expect(sweepAxis({ parameters: ["noise"], points: [{ values: { noise: "ball" } }] })).toBe("category");
  });
});

describe("kept models", () => {
  it("writes sizes short", () => {
    expect(byteSize(999)).toBe("999 bytes");
    expect(byteSize(20_480)).toBe("20 kB");
    expect(byteSize(1_500_000)).toBe("1.5 MB");
    expect(byteSize(237_000_000_000)).toBe("237 GB");
  });
  it("finds Set A/B members by optimizer, trajectory and step", () => {
    const keys = memberKeys({ sgd: { models: [{ trajectory: 0, step: 40 }, { trajectory: 1, step: 8 }] } });
    expect(keys.has(modelKey({ optimizer: "sgd", trajectory: 1, step: 8 }))).toBe(true);
    expect(keys.has(modelKey({ optimizer: "sgd", trajectory: 0, step: 8 }))).toBe(false);
    expect(keys.size).toBe(2);
  });
});
