import { useMemo, useRef, useState } from "preact/hooks";
import type { FunctionInfo, OptimizerInfo, TaskInfo } from "../api/answers";
import { ApiError } from "../api/client";
import * as api from "../api/queries";
import { Failure, Show } from "../components/Status";
import {
  asSpecSchema, type Field, FormError, type Kind, optimizerExtras, type SpecSchema, specDefinition, specFields,
  specFromForm,
} from "../form/spec";
import { useResource } from "../resource";
import { href, navigate } from "../router";
import { detailMessages, fieldErrors } from "../shape";

type Catalogs = { schema: SpecSchema; optimizers: OptimizerInfo[]; functions: FunctionInfo[]; tasks: TaskInfo[] };

/** A form generated from the API's spec schema; the API's 422 messages show next to
 * the fields they name. */
export function Submit() {
  const catalogs = useResource(async (signal): Promise<Catalogs> => {
    const [schema, optimizers, functions, tasks] = await Promise.all([
      api.specSchema(signal), api.optimizers(signal), api.functions(signal), api.tasks(signal)]);
    return { schema: asSpecSchema(schema), optimizers, functions, tasks };
  }, []);
  return (
    <>
      <h2>Submit an experiment</h2>
      <Show resource={catalogs}>{(c) => <SpecForm catalogs={c} />}</Show>
    </>
  );
}

function SpecForm({ catalogs }: { catalogs: Catalogs }) {
  const [kind, setKind] = useState<Kind>("landscape");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const form = useRef<HTMLFormElement>(null);
  const fields = useMemo(() => specFields(specDefinition(catalogs.schema, kind)), [catalogs, kind]);
  const extras = useMemo(() => optimizerExtras(catalogs.schema), [catalogs]);
  const send = async (event: Event) => {
    event.preventDefault();
    setErrors({});
    setFailure(null);
    if (!form.current) return;
    try {
      const spec = specFromForm(kind, fields, new FormData(form.current), extras);
      const accepted = await api.submit(spec);
      navigate(href(["experiments", accepted.id]));
    } catch (error) {
      if (error instanceof FormError) setErrors({ [error.field]: error.message });
      else if (error instanceof ApiError && error.status === 422) {
        const byField = fieldErrors(error.detail);
        setErrors(Object.keys(byField).length ? byField : { spec: detailMessages(error.detail).join("; ") });
      } else setFailure(error);
    }
  };
  const known = new Set(fields.map((f) => f.name));
  const unplaced = Object.entries(errors).filter(([field]) => !known.has(field)).map(([, m]) => m);
  return (
    <>
      <label>
        Kind{" "}
        <select id="kind" value={kind}
          onChange={(e) => setKind(e.currentTarget.value === "training" ? "training" : "landscape")}>
          <option>landscape</option><option>training</option>
        </select>
      </label>
      <form id="form" key={kind} ref={form} onSubmit={send}>
        {fields.map((f) => <FieldControl key={f.name} field={f} catalogs={catalogs} extras={extras}
          error={errors[f.name]} />)}
      </form>
      <button id="send" onClick={send}>Submit</button>{" "}
      <span id="spec-error" class="field-error">{unplaced.join("; ")}</span>
      {failure !== null && <Failure error={failure} />}
    </>
  );
}

function ErrorSlot({ name, error }: { name: string; error?: string }) {
  return <span class="field-error" data-error={name}>{error ?? ""}</span>;
}

function FieldControl({ field, catalogs, extras, error }: {
  field: Field; catalogs: Catalogs; extras: string[]; error?: string;
}) {
  const { name, description } = field;
  const slot = <ErrorSlot name={name} error={error} />;
  switch (field.control) {
    case "optimizers":
      return (
        <fieldset>
          <legend>optimizers</legend>
          {catalogs.optimizers.map((o) => (
            <label key={o.name} title={o.description}>
              <input type="checkbox" name="optimizers" value={o.name} defaultChecked={o.name === "sgd"} /> {o.name}{" "}
              <input type="text" name={`hp-${o.name}`} placeholder='hyperparameters, e.g. {"lr": 0.01}' />
              {extras.includes("sweep") && (
                <input type="text" name={`sweep-${o.name}`} placeholder='sweep, e.g. {"rho": [0.1, 0.5, 1]}' />
              )}
            </label>
          ))}
          {slot}
        </fieldset>
      );
    case "functions":
      return (
        <fieldset>
          <legend>functions</legend>
          {catalogs.functions.map((f) => (
            <label key={f.name}>
              <input type="checkbox" name="functions" value={f.name} defaultChecked={f.name === "himmelblau"} />
              {" "}{f.title}
            </label>
          ))}
          {slot}
        </fieldset>
      );
    case "task":
      return (
        <label>task <select name="task">{catalogs.tasks.filter((t) => t.available)
          .map((t) => <option key={t.name}>{t.name}</option>)}</select>
          {slot}</label>
      );
    case "budget":
      return (
        <label>
          budget <select name="budget-unit"><option>epochs</option><option>gradient_evaluations</option></select>
          <input type="number" name="budget" defaultValue="10" step="any" />{slot}
        </label>
      );
    case "boolean":
      return (
        <label title={description}>
          <input type="checkbox" name={name} defaultChecked={field.value} /> {name}{slot}
        </label>
      );
    case "choice":
      return (
        <label title={description}>{name}{" "}
          <select name={name} defaultValue={field.value}>
            {field.choices.map((c) => <option key={c}>{c}</option>)}
          </select>
          {slot}
        </label>
      );
    case "number":
      return (
        <label title={description}>{name}{" "}
          <input type="number" name={name} step={field.integer ? "1" : "any"} defaultValue={field.value} />{slot}
        </label>
      );
    case "json":
      return (
        <label title={description}>{name} <input type="text" name={name} placeholder="JSON, e.g. {}" />{slot}</label>
      );
    default:
      return (
        <label title={description}>{name} <input type="text" name={name} defaultValue={field.value} />{slot}</label>
      );
  }
}
