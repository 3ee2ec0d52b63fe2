import { expect, test } from 'vitest';
import { formatRelative } from './relative-time.tsx';

const now = Date.parse('2026-03-01T12:00:00Z');
const at = (seconds: number) => new Date(now + seconds * 1000);

test('a time under a minute ahead counts its seconds; the recent past is "just now"', () => {
  expect(formatRelative(at(45), now)).toBe('in 45 s');
  expect(formatRelative(at(1), now)).toBe('in 1 s');
  expect(formatRelative(at(0), now)).toBe('just now');
  expect(formatRelative(at(-45), now)).toBe('just now');
});

test('longer spans use the largest whole unit, both ways', () => {
  expect(formatRelative(at(90), now)).toMatch(/in 2 minutes/);
  expect(formatRelative(at(-3 * 3600), now)).toMatch(/3 hours ago/);
  expect(formatRelative(at(2 * 86400), now)).toMatch(/in 2 days/);
});
