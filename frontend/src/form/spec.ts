// The submission form's model: the served JSON schema of experiment specs, read into the
// fields the form draws, and the form's values turned back into a spec (unit-tested).

/** The part of JSON Schema that the spec's schema uses and the form reads. */
export type JsonSchema = {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  title?: string;
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  $ref?: string;
  minimum?: number;
  maximum?: number;
};
export type SpecSchema = { $defs: Record<string, JsonSchema> };
export type Kind = "landscape" | "training";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The served schema, checked for the two spec definitions the form is built from. */
export function asSpecSchema(value: unknown): SpecSchema {
  const defs = isRecord(value) ? value.$defs : undefined;
  if (!isRecord(defs) || !isRecord(defs.LandscapeSpec) || !isRecord(defs.TrainingSpec)) {
    throw new Error("the server's spec schema has no LandscapeSpec and TrainingSpec");
  }
  return { $defs: defs as Record<string, JsonSchema> };
}

export function specDefinition(schema: SpecSchema, kind: Kind): JsonSchema {
  return schema.$defs[kind === "landscape" ? "LandscapeSpec" : "TrainingSpec"];
}

export type Field =
  | { name: string; control: "optimizers" | "functions" | "task" | "budget"; description?: string }
  | { name: string; control: "boolean"; value: boolean; description?: string }
  | { name: string; control: "choice"; choices: string[]; value: string; description?: string }
  | { name: string; control: "number"; integer: boolean; value: string; description?: string }
  | { name: string; control: "json" | "text"; value: string; description?: string };

/** The first variant of a nullable or union property that is not null. */
function concrete(prop: JsonSchema): JsonSchema {
  const variant = prop.anyOf?.find((v) => v.type !== "null");
  return variant ? { ...variant, default: prop.default, description: prop.description } : prop;
}

const SPECIAL = new Set(["optimizers", "functions", "task", "budget"]);

/** One form field per property of the spec (its `kind` is the kind picker). */
export function specFields(definition: JsonSchema): Field[] {
  const fields: Field[] = [];
  for (const [name, raw] of Object.entries(definition.properties ?? {})) {
    if (name === "kind") continue;
    const prop = concrete(raw);
    const description = prop.description;
    if (SPECIAL.has(name)) {
      fields.push({ name, control: name as "optimizers" | "functions" | "task" | "budget", description });
    } else if (prop.type === "boolean") {
      fields.push({ name, control: "boolean", value: prop.default === true, description });
    } else if (prop.enum) {
      const choices = prop.enum.map(String);
      fields.push({ name, control: "choice", choices, value: String(prop.default ?? choices[0]), description });
    } else if (prop.type === "integer" || prop.type === "number") {
      const value = typeof prop.default === "number" ? String(prop.default) : "";
      fields.push({ name, control: "number", integer: prop.type === "integer", value, description });
    } else if (prop.type === "object" || prop.$ref !== undefined) {
      // a nested model, e.g. a training spec's `tuning:` block, is written as JSON
      fields.push({ name, control: "json", value: "", description });
    } else {
      const value = typeof prop.default === "string" ? prop.default : "";
      fields.push({ name, control: "text", value, description });
    }
  }
  return fields;
}

/** What the optimizer entries of this schema accept beyond name and hyperparameters. */
export function optimizerExtras(schema: SpecSchema): string[] {
  const props = schema.$defs.OptimizerSpec?.properties ?? {};
  return ["label", "sweep"].filter((name) => name in props);
}

/** A field whose text is not what it must be; `field` names the form field. */
export class FormError extends Error {
  constructor(public field: string, message: string) {
    super(message);
  }
}

export type FormValues = { get(name: string): FormDataEntryValue | null; getAll(name: string): FormDataEntryValue[] };

function text(values: FormValues, name: string): string {
  const value = values.get(name);
  return typeof value === "string" ? value.trim() : "";
}

function jsonObject(values: FormValues, name: string, field: string): Record<string, unknown> | undefined {
  const raw = text(values, name);
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new FormError(field, `${name}: not JSON (write an object such as {"lr": 0.01})`);
  }
  if (!isRecord(parsed)) throw new FormError(field, `${name}: must be a JSON object such as {"lr": 0.01}`);
  return parsed;
}

/** The spec the form describes. Empty optional fields are left out, so the server's
 * defaults apply; bad JSON raises a FormError naming the field. */
export function specFromForm(kind: Kind, fields: Field[], values: FormValues, extras: string[] = []) {
  const spec: Record<string, unknown> = { kind };
  for (const field of fields) {
    const name = field.name;
    if (field.control === "optimizers") {
      spec.optimizers = values.getAll("optimizers").map(String).map((optimizer) => {
        const entry: Record<string, unknown> = { name: optimizer };
        const hyperparameters = jsonObject(values, `hp-${optimizer}`, "optimizers");
        if (hyperparameters) entry.hyperparameters = hyperparameters;
        if (extras.includes("sweep")) {
          const sweep = jsonObject(values, `sweep-${optimizer}`, "optimizers");
          if (sweep) entry.sweep = sweep;
        }
        return entry;
      });
    } else if (field.control === "functions") {
      spec.functions = values.getAll("functions").map(String);
    } else if (field.control === "budget") {
      const amount = text(values, "budget");
      if (amount) spec.budget = { [text(values, "budget-unit") || "epochs"]: Number(amount) };
    } else if (field.control === "boolean") {
      spec[name] = values.get(name) === "on";
    } else if (field.control === "json") {
      const value = jsonObject(values, name, name);
      if (value) spec[name] = value;
    } else if (field.control === "number") {
      const value = text(values, name);
      if (value !== "") spec[name] = Number(value);
    } else {
      const value = text(values, name);
      if (value !== "") spec[name] = value;
    }
  }
  return spec;
}
