import { describe, expect, it } from "vitest";
import { asSpecSchema, FormError, optimizerExtras, specDefinition, specFields, specFromForm } from "../../src/form/spec";

// The shape of the API's spec schema (pydantic's JSON schema), cut down.
const served = {
  $defs: {
    LandscapeSpec: { properties: {
      kind: { const: "landscape", type: "string" },
      name: { default: "", type: "string" },
      functions: { type: "array", items: { type: "string" } },
      optimizers: { type: "array", items: { $ref: "#/$defs/OptimizerSpec" } },
      restarts: { default: 500, type: "integer", description: "restarts per optimizer and function" },
      capture_radius: { default: 0.1, type: "number" },
    } },
    TrainingSpec: { properties: {
      kind: { const: "training", type: "string" },
      task: { type: "string" },
      task_options: { type: "object" },
      budget: { anyOf: [{ $ref: "#/$defs/EpochBudget" }, { $ref: "#/$defs/GradientBudget" }] },
      device: { default: "auto", enum: ["auto", "cpu", "cuda"], type: "string" },
      sharpness: { default: false, type: "boolean" },
      label: { anyOf: [{ type: "string" }, { type: "null" }], default: null },
      tuning: { anyOf: [{ $ref: "#/$defs/TuningSettings" }, { type: "null" }], default: null },
    } },
    OptimizerSpec: { properties: { name: { type: "string" }, label: {}, sweep: {} } },
  },
};

function values(entries: [string, string][]) {
  const data = new FormData();
  for (const [k, v] of entries) data.append(k, v);
  return data;
}

describe("the spec schema", () => {
  it("is checked for the two spec definitions", () => {
    expect(() => asSpecSchema({ $defs: {} })).toThrow(/LandscapeSpec/);
    expect(() => asSpecSchema("nope")).toThrow();
    expect(Object.keys(asSpecSchema(served).$defs)).toContain("OptimizerSpec");
  });
  it("gives one field per property but the kind, with controls from their types", () => {
    const fields = specFields(specDefinition(asSpecSchema(served), "training"));
    expect(fields.map((f) => [f.name, f.control])).toEqual([
      ["task", "task"], ["task_options", "json"], ["budget", "budget"], ["device", "choice"],
      ["sharpness", "boolean"], ["label", "text"], ["tuning", "json"],
    ]);
    expect(fields.find((f) => f.name === "device")).toMatchObject({ choices: ["auto", "cpu", "cuda"], value: "auto" });
    const landscape = specFields(specDefinition(asSpecSchema(served), "landscape"));
    expect(landscape.find((f) => f.name === "restarts")).toMatchObject({ control: "number", integer: true, value: "500" });
  });
  it("offers the optimizer extras the schema accepts", () => {
    expect(optimizerExtras(asSpecSchema(served))).toEqual(["label", "sweep"]);
  });
});

describe("specFromForm", () => {
  const schema = asSpecSchema(served);
  it("builds a landscape spec, leaving empty fields to the server's defaults", () => {
    const fields = specFields(specDefinition(schema, "landscape"));
    const spec = specFromForm("landscape", fields, values([
      ["name", ""], ["functions", "himmelblau"], ["functions", "branin"], ["optimizers", "sgd"],
      ["optimizers", "sam"], ["hp-sam", '{"rho": 0.1}'], ["sweep-sgd", '{"lr": [0.01, 0.02]}'],
      ["restarts", "120"], ["capture_radius", ""],
    ]), ["sweep"]);
    expect(spec).toEqual({
      kind: "landscape", functions: ["himmelblau", "branin"], restarts: 120,
      optimizers: [{ name: "sgd", sweep: { lr: [0.01, 0.02] } }, { name: "sam", hyperparameters: { rho: 0.1 } }],
    });
  });
  it("builds a training spec with its budget, booleans and options", () => {
    const fields = specFields(specDefinition(schema, "training"));
    const spec = specFromForm("training", fields, values([
      ["task", "digits"], ["budget-unit", "gradient_evaluations"], ["budget", "500"], ["device", "cpu"],
      ["sharpness", "on"], ["task_options", '{"hidden": 64}'],
    ]));
    expect(spec).toEqual({
      kind: "training", task: "digits", budget: { gradient_evaluations: 500 }, device: "cpu", sharpness: true,
      task_options: { hidden: 64 },
    });
  });
  it("names the field whose JSON is bad", () => {
    const fields = specFields(specDefinition(schema, "landscape"));
    const bad = values([["optimizers", "sgd"], ["hp-sgd", "{lr: 1}"]]);
    expect(() => specFromForm("landscape", fields, bad)).toThrow(FormError);
    try {
      specFromForm("landscape", fields, bad);
    } catch (error) {
      expect(error).toMatchObject({ field: "optimizers" });
      expect(String(error)).toContain("hp-sgd");
    }
    const list = values([["optimizers", "sgd"], ["hp-sgd", "[1, 2]"]]);
    expect(() => specFromForm("landscape", fields, list)).toThrow(/JSON object/);
  });
});
