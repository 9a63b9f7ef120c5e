// A hash router: `#/experiments/3?L=5` → { path: ["experiments", "3"], params }. Hash URLs
// keep the server a plain static file host (every view is index.html).
import { useEffect, useState } from "preact/hooks";

export type Route = { hash: string; path: string[]; params: URLSearchParams };

export function parseRoute(hash: string): Route {
  const [path, query] = (hash.replace(/^#/, "") || "/experiments").split("?");
  const parts = path.split("/").filter(Boolean).map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;  // a malformed escape: taken as written
    }
  });
  return { hash, path: parts, params: new URLSearchParams(query ?? "") };
}

/** A link target: the path's parts (encoded) and the query without empty values. */
export function href(path: (string | number)[], params: Record<string, string | number | null | undefined> = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") query.set(name, String(value));
  }
  const tail = query.size ? `?${query}` : "";
  return `#/${path.map((p) => encodeURIComponent(String(p))).join("/")}${tail}`;
}

export function navigate(target: string): void {
  location.hash = target;
}

/** The current route; re-renders on every hash change. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const changed = () => setRoute(parseRoute(location.hash));
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return route;
}
