/** Retry delays: exponential from `baseMs`, capped at `maxMs`, with jitter (50% to 100%). */
export interface Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
}

/**
 * The delay before attempt `attempt + 1`, after `attempt` failures: `baseMs * 2^(attempt - 1)`,
 * capped at `maxMs`, then a random point in its upper half (so that failed messages spread out).
 *
 * @example
 * retryDelay({ baseMs: 1000, maxMs: 300_000 }, 3, () => 1); // 4000
 */
export function retryDelay(backoff: Backoff, attempt: number, random: () => number = Math.random) {
  const exponential = backoff.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30);
  const capped = Math.min(exponential, backoff.maxMs);
  return Math.round(capped / 2 + (capped / 2) * random());
}
