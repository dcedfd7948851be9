import type { ApiError } from '../api';

/** An API refusal as text: the status and the API's own sentence (never a blank screen). */
export function ErrorNote({ error, what }: { error: ApiError | undefined; what?: string }) {
  if (!error) return null;
  const prefix = what ? `${what}: ` : '';
  const status = error.status ? ` (${error.status})` : '';
  return (
    <p className={error.status === 403 ? 'note forbidden' : 'note error'} role="alert">
      {prefix}
      {error.message}
      {status}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return <p className="note">Loading {what}…</p>;
}
