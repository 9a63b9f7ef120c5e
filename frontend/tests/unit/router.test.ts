import { describe, expect, it } from "vitest";
import { href, parseRoute } from "../../src/router";

describe("the hash router", () => {
  it("splits the path and reads the query", () => {
    const route = parseRoute("#/experiments/3?L=5&metric=accuracy");
    expect(route.path).toEqual(["experiments", "3"]);
    expect(route.params.get("L")).toBe("5");
    expect(parseRoute("").path).toEqual(["experiments"]);
    expect(parseRoute("#/").path).toEqual([]);
    expect(parseRoute("#/x/%E0%A4%A").path).toEqual(["x", "%E0%A4%A"]);
  });
  it("writes links with encoded parts and without empty values", () => {
    expect(href(["compare", 3], { a: "sgd", b: "nig_sgd[rho=0.5]", c: "", d: undefined }))
      .toBe("#/compare/3?a=sgd&b=nig_sgd%5Brho%3D0.5%5D");
    expect(href(["experiments"])).toBe("#/experiments");
    expect(parseRoute(href(["x y"], { q: "a&b" }))).toMatchObject({ path: ["x y"] });
  });
});
