import { describe, expect, it } from 'vitest';
import { tabKeyTarget } from './tabs';

describe('tabKeyTarget', () => {
  it.each([
    ['ArrowRight', 0, 1],
    ['ArrowDown', 2, 0],
    ['ArrowLeft', 0, 2],
    ['ArrowUp', 1, 0],
    ['Home', 2, 0],
    ['End', 0, 2],
    ['Enter', 1, -1],
    ['a', 0, -1],
  ])('%s from tab %i of 3 → %i', (key, from, to) => {
    expect(tabKeyTarget(key, from, 3)).toBe(to);
  });
});
