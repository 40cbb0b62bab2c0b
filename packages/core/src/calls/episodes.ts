/**
 * Missed-call episodes: a caller who rings three times in a few minutes has one
 * problem, not three. Repeat missed calls close together are collapsed into one
 * episode so the contact gets one text-back, not a text per attempt.
 */

/** Default episode window: ten minutes. */
export const DEFAULT_EPISODE_WINDOW_MS = 10 * 60 * 1000;

/**
 * True when a missed call at `now` belongs to the same episode as the previous
 * missed call at `previousMissedAt` (epoch ms), i.e. they are at most
 * `windowMs` apart. The window slides: pass the time of the *latest* missed
 * call of the episode, so a caller retrying every few minutes stays in one
 * episode. Events that arrive out of order (previous is after now) are
 * compared by distance as well. No previous missed call → a new episode.
 */
export function isSameEpisode(
  previousMissedAt: number | null | undefined,
  now: number,
  windowMs: number = DEFAULT_EPISODE_WINDOW_MS,
): boolean {
  assertWindow(windowMs);
  if (previousMissedAt === null || previousMissedAt === undefined || !Number.isFinite(previousMissedAt)) return false;
  return Math.abs(now - previousMissedAt) <= windowMs;
}

/**
 * Groups missed-call times (epoch ms, any order) into episodes using the same
 * sliding rule as {@link isSameEpisode}. Each episode is sorted ascending.
 */
export function groupIntoEpisodes(missedAt: readonly number[], windowMs: number = DEFAULT_EPISODE_WINDOW_MS): number[][] {
  assertWindow(windowMs);
  const episodes: number[][] = [];
  let current: number[] = [];
  for (const at of [...missedAt].sort((a, b) => a - b)) {
    const last = current[current.length - 1];
    if (last !== undefined && !isSameEpisode(last, at, windowMs)) {
      episodes.push(current);
      current = [];
    }
    current.push(at);
  }
  if (current.length > 0) episodes.push(current);
  return episodes;
}

function assertWindow(windowMs: number): void {
  if (!Number.isFinite(windowMs) || windowMs < 0) {
    throw new RangeError(`episode window must be a non-negative number of milliseconds, got ${windowMs}`);
  }
}
