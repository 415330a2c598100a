/**
 * One lazily re-armed timer for many deadlines.
 *
 * An association has a DIMSE timeout on every response and a network timeout on every PDU
 * write: a `setTimeout`/`clearTimeout` pair for each would put thousands of timers (and the
 * promises racing them) through the heap per second, and Deno keeps a little of every
 * cancelled timer. A {@link Watchdog} instead keeps at most one timer: {@link Watchdog.wake}
 * only moves it earlier, and when it fires the owner checks its deadlines and names the next.
 * In steady state (each new deadline later than the pending one) arming costs a comparison.
 *
 * @module
 */

/**
 * Calls `check(now)` no later than the earliest deadline passed to {@link Watchdog.wake};
 * `check` handles whatever is due and returns the next deadline (`Infinity`: none), times in
 * `performance.now()` milliseconds.
 *
 * @example
 * ```ts
 * import { Watchdog } from "./watchdog.ts";
 * let due = performance.now() + 10;
 * const dog = new Watchdog((now) => {
 *   if (due <= now) {
 *     console.log("timed out");
 *     due = Infinity;
 *   }
 *   return due;
 * });
 * dog.wake(due);
 * await new Promise((r) => setTimeout(r, 20)); // "timed out"
 * dog.stop();
 * ```
 */
export class Watchdog {
  #check: (now: number) => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the pending timer fires (Infinity: no timer). */
  #at = Infinity;

  constructor(check: (now: number) => number) {
    this.#check = check;
  }

  /** Makes sure `check` runs no later than `due` (a `performance.now()` time). */
  wake(due: number): void {
    if (due >= this.#at) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#at = due;
    this.#timer = setTimeout(this.#fire, Math.max(0, due - performance.now()));
  }

  /** Cancels the pending timer; a later {@link Watchdog.wake} starts a new one. */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#at = Infinity;
  }

  #fire = (): void => {
    this.#timer = undefined;
    this.#at = Infinity;
    const next = this.#check(performance.now());
    if (next < Infinity) this.wake(next);
  };
}
