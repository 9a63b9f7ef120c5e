// One function per API answer the page reads, each cancelled through the caller's signal.
import type * as A from "./answers";
import { client, must } from "./client";
import type { paths } from "./schema";

type Id = number;


export const me = (signal?: AbortSignal) => must(client.GET("/api/v1/me", { signal }));

export function experiments(query: { limit: number; offset: number; status?: A.ExperimentStatus },
  signal: AbortSignal): Promise<A.ExperimentPage> {
  return must(client.GET("/api/v1/experiments", { params: { query }, signal }));
}

export const experiment = (id: Id, signal: AbortSignal) =>
  must(client.GET("/api/v1/experiments/{experiment_id}", { params: { path: { experiment_id: id } }, signal }));

export const runs = (id: Id, signal: AbortSignal) =>
  must(client.GET("/api/v1/experiments/{experiment_id}/runs", { params: { path: { experiment_id: id } }, signal }));

export const cancel = (id: Id) =>
  must(client.POST("/api/v1/experiments/{experiment_id}/cancel", { params: { path: { experiment_id: id } } }));

export function distribution(id: Id, signal: AbortSignal): Promise<A.Distribution> {
  const path = "/api/v1/experiments/{experiment_id}/distribution";
  return must(client.GET(path, { params: { path: { experiment_id: id } }, signal }));
}

type EndPointQuery = NonNullable<paths["/api/v1/experiments/{experiment_id}/end-points"]["get"]["parameters"]["query"]>;

/** A page of one function's end points (and, with `paths`, downsampled restart paths). */
export function endPoints(id: Id, query: EndPointQuery, signal: AbortSignal): Promise<A.EndPoints> {
  const path = "/api/v1/experiments/{experiment_id}/end-points";
  return must(client.GET(path, { params: { path: { experiment_id: id }, query }, signal }));
}

export function grid(name: string, size: number, signal: AbortSignal): Promise<A.Grid> {
  const params = { path: { name }, query: { size } };
  return must(client.GET("/api/v1/functions/{name}/grid", { params, signal }));
}

export function optimizers(signal: AbortSignal): Promise<A.OptimizerInfo[]> {
  return must(client.GET("/api/v1/optimizers", { signal }));
}

export function functions(signal: AbortSignal): Promise<A.FunctionInfo[]> {
  return must(client.GET("/api/v1/functions", { signal }));
}

export function queue(signal: AbortSignal): Promise<A.Queue> {
  return must(client.GET("/api/v1/queue", { signal }));
}

export function tasks(signal: AbortSignal): Promise<A.TaskInfo[]> {
  return must(client.GET("/api/v1/tasks", { signal }));
}

export function specSchema(signal: AbortSignal): Promise<unknown> {
  return must(client.GET("/api/v1/spec-schema", { signal }));
}

export function submit(spec: Record<string, unknown>): Promise<A.Accepted> {
  // The body comes from the form, which is generated from the served JSON schema at run
  // time; the server validates it (422 names the field). The spec's generated type (one
  // branch per optimizer, wrappers with or without a base) is too intricate for the
  // compiler to relate to itself, so the body is passed untyped.
  return must(client.POST("/api/v1/experiments", { body: spec as never }));
}

type SetQuery = paths["/api/v1/experiments/{experiment_id}/set-comparison"]["get"]["parameters"]["query"];
type Population = Pick<NonNullable<SetQuery>, "L" | "metric">;

export function setComparison(id: Id, query: Population, signal: AbortSignal): Promise<A.SetComparisons> {
  const path = "/api/v1/experiments/{experiment_id}/set-comparison";
  return must(client.GET(path, { params: { path: { experiment_id: id }, query }, signal }));
}

export function optimizerPairs(id: Id, query: Population, signal: AbortSignal): Promise<A.OptimizerPairs> {
  const path = "/api/v1/experiments/{experiment_id}/optimizer-comparison";
  return must(client.GET(path, { params: { path: { experiment_id: id }, query }, signal }));
}

export function populations(id: Id, query: Population & { which: "A" | "B" },
  signal: AbortSignal): Promise<A.Populations> {
  const path = "/api/v1/experiments/{experiment_id}/populations";
  return must(client.GET(path, { params: { path: { experiment_id: id }, query }, signal }));
}

export function learningCurves(id: Id, signal: AbortSignal): Promise<A.LearningCurves> {
  const path = "/api/v1/experiments/{experiment_id}/learning-curves";
  const query = { column: "test_loss" as const, window: 3 };
  return must(client.GET(path, { params: { path: { experiment_id: id }, query }, signal }));
}

type Task = NonNullable<paths["/api/v1/leaderboard"]["get"]["parameters"]["query"]>["task"];

/** The board of a task named in the URL; the server checks the name (422 for an unknown one). */
export function leaderboard(task: string, signal: AbortSignal): Promise<A.Leaderboard> {
  return must(client.GET("/api/v1/leaderboard", { params: { query: { task: task as Task } }, signal }));
}

export function keptModels(id: Id, query: { limit: number; offset: number }, signal: AbortSignal) {
  const path = "/api/v1/experiments/{experiment_id}/models";
  return must(client.GET(path, { params: { path: { experiment_id: id }, query }, signal }));
}

export type ModelKey = { optimizer: string; trajectory: number; step: number };

/** One kept model's safetensors file, fetched with the token (a plain link would not carry
 * it), as a Blob to save. */
export function modelFile(id: Id, model: ModelKey): Promise<Blob> {
  const path = "/api/v1/experiments/{experiment_id}/models/{optimizer}/{trajectory}/{step}";
  const params = { path: { experiment_id: id, ...model } };
  return must(client.GET(path, { params, parseAs: "blob" }));
}

const RECORD_PAGE = 10_000;  // the API's largest page
const MOST_RECORDS = 100_000;  // what the page draws at most (a paper-scale study has ~12,000)

/** Every stored record of an experiment, a page at a time (at most MOST_RECORDS). */
export async function records(id: Id, signal: AbortSignal): Promise<A.ModelRecord[]> {
  const path = "/api/v1/experiments/{experiment_id}/records";
  const all: A.ModelRecord[] = [];
  for (let offset = 0; offset < MOST_RECORDS; offset += RECORD_PAGE) {
    const query = { limit: RECORD_PAGE, offset };
    const page = await must(client.GET(path, { params: { path: { experiment_id: id }, query }, signal }));
    all.push(...page.items);
    if (offset + RECORD_PAGE >= page.total) break;
  }
  return all;
}

export function trainingSweeps(id: Id, query: Population, signal: AbortSignal): Promise<A.TrainingSweeps> {
  const path = "/api/v1/experiments/{experiment_id}/sweep";
  return must(client.GET(path, { params: { path: { experiment_id: id }, query }, signal }));
}

/** A tuning study (or the one a training spec with `tuning:` ran): trials and budgets. */
export function tuning(id: Id, signal: AbortSignal): Promise<A.Tuning> {
  const path = "/api/v1/experiments/{experiment_id}/tuning";
  return must(client.GET(path, { params: { path: { experiment_id: id } }, signal }));
}
