// The API token, kept in the browser and sent as a bearer token.

const KEY = "optbench-token";

export function token(): string | null {
  return localStorage.getItem(KEY);
}

export function setToken(value: string | null): void {
  if (value) localStorage.setItem(KEY, value);
  else localStorage.removeItem(KEY);
}
