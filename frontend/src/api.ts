// The API, with the token kept in the browser and sent as a bearer token.

const KEY = "optbench-token";

export function token(): string | null { return localStorage.getItem(KEY); }
export function setToken(value: string | null): void {
  if (value) localStorage.setItem(KEY, value); else localStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(public status: number, public detail: unknown) {
    super(typeof detail === "string" ? detail : `HTTP ${status}`);
  }
}

export async function api<T = any>(path: string, init: RequestInit = {}): Promise<T> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  const response = await fetch(`/api/v1${path}`, { ...init, headers: { ...headers, ...(init.headers as object) } });
  if (!response.ok) {
    let detail: unknown = response.statusText;
    try { detail = (await response.json()).detail; } catch { /* not JSON */ }
    throw new ApiError(response.status, detail);
  }
  return response.status === 204 ? (undefined as T) : response.json();
}
