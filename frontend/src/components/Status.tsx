import type { ComponentChildren } from "preact";
import { ApiError } from "../api/client";
import type { Resource } from "../resource";
import { percent } from "../shape";

export function Loading({ what = "Loading…" }: { what?: string }) {
  return <p class="empty">{what}</p>;
}

/** What went wrong, in words, with the way out (a stale token leads back to sign-in). */
export function Failure({ error }: { error: unknown }) {
  if (error instanceof ApiError && error.status === 401) {
    return (
      <p class="error">
        Your token is missing or no longer valid. <a href="#/signin">Sign in with an API token</a>.
      </p>
    );
  }
  if (error instanceof ApiError && error.status === 404) return <p class="error">Not found: {error.message}</p>;
  if (error instanceof ApiError && Array.isArray(error.detail)) {
    const messages = error.detail.map((d: { msg?: unknown }) => String(d.msg ?? d));
    return <p class="error">The request was refused: {messages.join("; ")}</p>;
  }
  const message = error instanceof Error ? error.message : String(error);
  return <p class="error">Something went wrong: {message}. Reload to retry.</p>;
}

/** Render a resource: its data when there is some, else loading or the failure. */
export function Show<T>({ resource, children, loading }: {
  resource: Resource<T>; children: (data: T) => ComponentChildren; loading?: string;
}) {
  if (resource.state === "error") return <Failure error={resource.error} />;
  if (resource.data === undefined) return <Loading what={loading} />;
  return <>{children(resource.data)}</>;
}

export function Progress({ fraction }: { fraction: number }) {
  return (
    <>
      <span class="progress"><span style={{ width: percent(fraction) }} /></span> {percent(fraction)}
    </>
  );
}
