import { ApiError } from '../api/client';

export function problemText(e: unknown): string | null {
  if (!e) return null;
  if (e instanceof ApiError) return e.problem.errors?.length ? e.problem.errors.map((x) => `${x.field}: ${x.message}`).join('; ') : e.message;
  return e instanceof Error ? e.message : String(e);
}
export function Saved({ show }: { show: boolean }) {
  return show ? (
    <span className="saved" role="status">
      Saved
    </span>
  ) : null;
}

