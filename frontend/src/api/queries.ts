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

type ViewQuery = NonNullable<paths["/api/v1/experiments/{experiment_id}/view"]["get"]["parameters"]["query"]>;

/** Everything the training page shows, in one answer (the browser revalidates it with its
 * ETag: an unchanged experiment costs a 304). */
export function view(id: Id, query: ViewQuery, signal: AbortSignal): Promise<A.TrainingView> {
  const path = "/api/v1/experiments/{experiment_id}/view";
  return must(client.GET(path, { params: { path: { experiment_id: id }, query }, signal }));
}

type PairQuery = Pick<NonNullable<paths["/api/v1/experiments/{experiment_id}/optimizer-comparison"]["get"][
  "parameters"]["query"]>, "L" | "metric">;

export function optimizerPairs(id: Id, query: PairQuery, signal: AbortSignal): Promise<A.OptimizerPairs> {
  const path = "/api/v1/experiments/{experiment_id}/optimizer-comparison";
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

/** A tuning study (or the one a training spec with `tuning:` ran): trials and budgets. */
export function tuning(id: Id, signal: AbortSignal): Promise<A.Tuning> {
  const path = "/api/v1/experiments/{experiment_id}/tuning";
  return must(client.GET(path, { params: { path: { experiment_id: id } }, signal }));
}
