// The typed API client: openapi-fetch over the types generated from the OpenAPI document
// (schema.d.ts), so a renamed field or route breaks the build, not the page.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";
import { token } from "./token";

export type Schemas = components["schemas"];

export const client = createClient<paths>({ baseUrl: location.origin });

client.use({
  onRequest({ request }) {
    const value = token();
    if (value) request.headers.set("Authorization", `Bearer ${value}`);
    return request;
  },
});

/** A non-2xx answer: the status and FastAPI's `detail` (a message or 422's list). */
export class ApiError extends Error {
  constructor(public status: number, public detail: unknown) {
    super(typeof detail === "string" ? detail : `HTTP ${status}`);
  }
}

type Answer<T> = { data?: T; error?: unknown; response: Response };

/** The data of a successful answer; an ApiError otherwise. */
export async function must<T>(request: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await request;
  if (!response.ok) {
    const detail = typeof error === "object" && error !== null && "detail" in error ? error.detail : error;
    throw new ApiError(response.status, detail ?? response.statusText);
  }
  return data as T;
}
