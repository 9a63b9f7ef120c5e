// Data loading tied to a component's lifetime: every request gets the AbortSignal of the
// view that asked for it, so navigating away (or changing what is asked) cancels it, and a
// late answer never writes into a view that is gone.
import { useEffect, useState } from "preact/hooks";

export type Resource<T> =
  | { state: "loading"; data?: T }
  | { state: "error"; error: unknown; data?: T }
  | { state: "ready"; data: T };

export type Options<T> = {
  /** Milliseconds until the next refresh after an answer, or null to stop. */
  refresh?: (data: T) => number | null;
  /** Milliseconds until the next try after a failure, or null to stop (the default). */
  retry?: (error: unknown) => number | null;
};

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

export function useResource<T>(
  load: (signal: AbortSignal) => Promise<T>, deps: unknown[], options: Options<T> = {},
): Resource<T> {
  const [resource, setResource] = useState<Resource<T>>({ state: "loading" });
  useEffect(() => {
    const controller = new AbortController();
    let timer: number | undefined;
    const run = async () => {
      try {
        const data = await load(controller.signal);
        if (controller.signal.aborted) return;
        setResource({ state: "ready", data });
        const wait = options.refresh?.(data);
        if (wait !== null && wait !== undefined) timer = window.setTimeout(run, wait);
      } catch (error) {
        if (controller.signal.aborted || isAbort(error)) return;
        setResource((previous) => ({ state: "error", error, data: previous.data }));
        const wait = options.retry?.(error);
        if (wait !== null && wait !== undefined) timer = window.setTimeout(run, wait);
      }
    };
    setResource((previous) => ({ state: "loading", data: previous.data }));
    run();
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, deps);
  return resource;
}
