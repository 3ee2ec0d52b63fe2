/**
 * Brief busy-waiting for a message that is about to arrive from another process (the expression
 * pool and its workers, see expression-pool.ts). A process that waits for a message sleeps in the
 * kernel; on a virtual machine whose other core is idle, the message's arrival then has to wake a
 * halted virtual CPU, and each hop of a round trip took tens of µs for that alone — more than the
 * evaluation. While one is expected within `windowMs`, this keeps the event loop polling instead
 * (a pending `setImmediate` makes libuv poll with a zero timeout), so the message is read the moment
 * it lands and its sender's write wakes nobody.
 *
 * Bounded, because spinning takes a core: only in the window after `expect()`, only until what was
 * expected arrives, and not at all for a while after a spin that waited in vain (the message came
 * later than the window or not at all — a long evaluation, no more work, or a machine so busy that
 * the spinner keeps the sender from running): backing off grows each time in a row, up to
 * `MAX_BACKOFF_MS`, so an idle pool pays one window and a saturated machine a few.
 *
 * Started by Node itself in a worker (erasable TypeScript only, like expression-worker.ts).
 */

/**
 * The first pause in spinning after a vain spin (one vain spin is no pattern: a run ending, a pause
 * for garbage collection); four times as long after each further one in a row.
 */
const MIN_BACKOFF_MS = 1;
const BACKOFF_GROWTH = 4;
const MAX_BACKOFF_MS = 1_000;
/** A turn of the polling loop takes µs; a longer gap between two is a pause, not polling. */
const MAX_TURN_MS = 0.05;
/** However often paused, a spin ends this many windows after `expect()` in wall time. */
const MAX_STRETCH = 10;

export interface BusyWait {
  /** Something is expected soon (an answer to what was just sent, the next task after an answer). */
  expect(): void;
  /** It came: stop spinning when nothing else is expected. */
  arrived(): void;
}

export function createBusyWait(windowMs: number): BusyWait {
  /** Expected and not arrived yet. */
  let waiting = 0;
  let expectedAt = 0;
  /** Time spent polling since the last `expect()`, and when the last turn of the loop was. */
  let spunMs = 0;
  let lastTurnAt = 0;
  let spinning = false;
  let backoffMs = MIN_BACKOFF_MS;
  let quietUntil = 0;

  function spin() {
    if (waiting === 0) {
      spinning = false;
      return;
    }
    const now = performance.now();
    // Only time spent polling counts: a pause between two turns (this process descheduled, or busy
    // with other work, or collecting garbage) is no sign that what is expected is late.
    spunMs += Math.min(now - lastTurnAt, MAX_TURN_MS);
    lastTurnAt = now;
    if (spunMs < windowMs && now - expectedAt < windowMs * MAX_STRETCH) {
      setImmediate(spin);
      return;
    }
    // Waited the whole window in vain: don't spin for a while, and for longer each time in a row.
    spinning = false;
    waiting = 0;
    quietUntil = now + backoffMs;
    backoffMs = Math.min(backoffMs * BACKOFF_GROWTH, MAX_BACKOFF_MS);
  }

  return {
    expect() {
      waiting++;
      expectedAt = performance.now();
      spunMs = 0;
      lastTurnAt = expectedAt;
      if (spinning || expectedAt < quietUntil) return;
      spinning = true;
      setImmediate(spin);
    },
    arrived() {
      if (waiting === 0) return;
      waiting--;
      // Came within the window while spinning: spinning pays here, so it may start at once next time.
      if (spinning) backoffMs = MIN_BACKOFF_MS;
    },
  };
}
