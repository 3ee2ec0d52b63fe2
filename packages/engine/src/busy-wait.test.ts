import { describe, expect, it } from 'vitest';
import { createSpinBackoff } from './busy-wait.ts';

/** Which of the next `waits` may spin, each one's spin in vain. */
function allowedWhileVain(backoff: ReturnType<typeof createSpinBackoff>, waits: number): boolean[] {
  return Array.from({ length: waits }, () => {
    const allowed = backoff.allowed();
    if (allowed) backoff.vain();
    return allowed;
  });
}

describe('spin back-off', () => {
  it('forgives two vain spins, then skips 1, 4, 16 … up to 64 waits after each further one', () => {
    const backoff = createSpinBackoff();
    const allowed = allowedWhileVain(backoff, 2 + 1 + 1 + 1 + 4 + 1 + 16 + 1 + 64 + 1 + 64 + 1);
    const spinsAt = allowed.flatMap((spun, at) => (spun ? [at] : []));
    expect(spinsAt).toEqual([0, 1, 2, 4, 9, 26, 91, 156]);
  });

  it('spins at once again after a spin that paid', () => {
    const backoff = createSpinBackoff();
    allowedWhileVain(backoff, 30);
    // Skipping now; the next spin allowed pays.
    while (!backoff.allowed()) {}
    backoff.paid();
    expect(allowedWhileVain(backoff, 4)).toEqual([true, true, true, false]);
  });
});
