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
 * expected arrives, and not for the next few waits after spins that waited in vain (the message
 * came later than the window or not at all — a long evaluation, no more work, or a machine so busy
 * that the spinner keeps the sender from running): `createSpinBackoff`.
 *
 * That back-off also paces the synchronous polling on the expression channel (expression-channel.ts),
 * so this file is loaded by Node itself in a worker too (erasable TypeScript only).
 */

/**
 * Vain spins in a row that cost nothing: one or two are no pattern (a run ending, a pause for
 * garbage collection, the other process descheduled for a moment).
 */
const VAIN_SPINS_FORGIVEN = 2;
/** Waits without spinning after more vain spins: 1, then four times as many after each, up to this. */
const MAX_SKIPPED = 64;
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

/**
 * Whether to spin for what is expected next. After vain spins in a row (beyond those forgiven) the
 * next waits go without, more of them after each further vain spin; a spin that paid lets the next
 * one spin. Counted in waits, not time: a chain of evaluations µs apart recovers within a few, where
 * a pause in milliseconds left hundreds of answers to come while nobody spun; and evaluations far
 * apart (each spin in vain) spin once in `MAX_SKIPPED`.
 */
export function createSpinBackoff() {
  let vainInRow = 0;
  let skipped = 0;
  let toSkip = 0;
  return {
    /** Asked once per wait. */
    allowed(): boolean {
      if (toSkip === 0) return true;
      toSkip--;
      return false;
    },
    vain() {
      if (++vainInRow <= VAIN_SPINS_FORGIVEN) return;
      skipped = Math.min(skipped === 0 ? 1 : skipped * 4, MAX_SKIPPED);
      toSkip = skipped;
    },
    paid() {
      vainInRow = 0;
      skipped = 0;
    },
  };
}

export function createBusyWait(windowMs: number): BusyWait {
  /** Expected and not arrived yet. */
  let waiting = 0;
  let expectedAt = 0;
  /** Time spent polling since the last `expect()`, and when the last turn of the loop was. */
  let spunMs = 0;
  let lastTurnAt = 0;
  let spinning = false;
  const backoff = createSpinBackoff();

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
    // Waited the whole window in vain.
    spinning = false;
    waiting = 0;
    backoff.vain();
  }

  return {
    expect() {
      waiting++;
      expectedAt = performance.now();
      spunMs = 0;
      lastTurnAt = expectedAt;
      if (spinning || !backoff.allowed()) return;
      spinning = true;
      setImmediate(spin);
    },
    arrived() {
      if (waiting === 0) return;
      waiting--;
      // Came within the window while spinning: spinning pays here, so it may start at once next time.
      if (spinning) backoff.paid();
    },
  };
}
