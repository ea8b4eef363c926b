/**
 * WAI-ARIA tabs keyboard model: arrows move (wrapping), Home/End jump.
 * Returns the index of the tab a key moves to from tab `i` of `count`, or -1 for other keys.
 */
export function tabKeyTarget(key: string, i: number, count: number): number {
  if (key === 'ArrowRight' || key === 'ArrowDown') return (i + 1) % count;
  if (key === 'ArrowLeft' || key === 'ArrowUp') return (i - 1 + count) % count;
  if (key === 'Home') return 0;
  if (key === 'End') return count - 1;
  return -1;
}
