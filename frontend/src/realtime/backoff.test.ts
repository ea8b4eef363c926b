import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff';

describe('Backoff', () => {
  it('doubles the ceiling from the base up to the cap', () => {
    const b = new Backoff({ baseMs: 500, capMs: 15_000, random: () => 0.999999 });
    const ceilings: number[] = [];
    for (let i = 0; i < 8; i++) {
      ceilings.push(b.ceiling());
      b.next();
    }
    expect(ceilings).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
  });

  it('keeps every jittered delay within [0, ceiling)', () => {
    for (const r of [0, 0.25, 0.5, 0.999999]) {
      const b = new Backoff({ baseMs: 500, capMs: 15_000, random: () => r });
      for (let i = 0; i < 40; i++) {
        const ceiling = b.ceiling();
        const d = b.next();
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(ceiling);
        expect(d).toBe(Math.floor(r * ceiling));
      }
    }
  });

  it('uses full jitter: the lowest random gives 0, the highest approaches the ceiling', () => {
    expect(new Backoff({ random: () => 0 }).next()).toBe(0);
    const b = new Backoff({ baseMs: 500, random: () => 0.9999 });
    expect(b.next()).toBe(499);
  });

  it('never exceeds the cap, even after very many attempts', () => {
    const b = new Backoff({ baseMs: 500, capMs: 15_000, random: () => 0.999999 });
    for (let i = 0; i < 2000; i++) expect(b.next()).toBeLessThan(15_000);
    expect(Number.isFinite(b.ceiling())).toBe(true);
  });

  it('starts again from the base after reset', () => {
    const b = new Backoff({ baseMs: 500, capMs: 15_000, random: () => 0.5 });
    b.next();
    b.next();
    b.next();
    expect(b.ceiling()).toBe(4000);
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.ceiling()).toBe(500);
    expect(b.next()).toBe(250);
  });
});
