/**
 * Exponential back-off with full jitter: the n-th delay is uniform in [0, min(cap, base·2ⁿ)).
 * Full jitter spreads a crowd of tabs that lost the server at the same moment.
 */
export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  random?: () => number;
}

export class Backoff {
  readonly baseMs: number;
  readonly capMs: number;
  private readonly random: () => number;
  private attempt = 0;

  constructor({ baseMs = 500, capMs = 15_000, random = Math.random }: BackoffOptions = {}) {
    this.baseMs = baseMs;
    this.capMs = capMs;
    this.random = random;
  }

  /** Upper bound of the next delay (before jitter). */
  ceiling(): number {
    // 2^attempt overflows to Infinity eventually; Math.min keeps it at cap.
    return Math.min(this.capMs, this.baseMs * 2 ** this.attempt);
  }

  /** The next delay in ms; advances the attempt counter. */
  next(): number {
    const delay = Math.floor(this.random() * this.ceiling());
    this.attempt += 1;
    return delay;
  }

  get attempts(): number {
    return this.attempt;
  }

  /** Call after a successful connection, so the next drop starts small again. */
  reset(): void {
    this.attempt = 0;
  }
}
