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
 * Timers here are {@link after}: `AbortSignal.timeout` underneath, not `setTimeout`, whose first
 * use in Deno loads the Node timers polyfill (3–4 ms of a one-file run's start-up).
 *
 * @module
 */

/**
 * Calls `fn` after `ms` milliseconds unless the returned function is called first. While armed
 * it keeps the process alive, like `setTimeout`; once cancelled it no longer does (Deno keeps a
 * timeout signal's timer alive only while the signal has an "abort" listener).
 *
 * @example
 * ```ts
 * import { after } from "./watchdog.ts";
 * const cancel = after(10, () => console.log("late"));
 * cancel(); // nothing is printed
 * ```
 */
export function after(ms: number, fn: () => void): () => void {
  const signal = AbortSignal.timeout(Math.max(0, Math.ceil(ms)));
  const onAbort = () => fn();
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}

/**
 * Races `p` against a timer of `seconds` (`null`: waits for ever) that rejects with `make()`;
 * the timer is cleared either way. For the few one-off waits (an association's request, its
 * release); a stream of deadlines shares one {@link Watchdog} instead.
 *
 * @example
 * ```ts
 * import { withTimeout } from "./watchdog.ts";
 * const never = new Promise<void>(() => {});
 * await withTimeout(never, 0.01, () => new Error("too late")).catch((e) => e.message); // "too late"
 * ```
 */
export async function withTimeout<T>(
  p: Promise<T>,
  seconds: number | null,
  make: () => Error,
): Promise<T> {
  if (seconds === null) return await p;
  let cancel: (() => void) | undefined;
  const timeout = new Promise<never>((_, reject) => {
    cancel = after(seconds * 1000, () => reject(make()));
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    cancel?.();
  }
}

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
  #cancel: (() => void) | undefined;
  /** When the pending timer fires (Infinity: no timer). */
  #at = Infinity;

  constructor(check: (now: number) => number) {
    this.#check = check;
  }

  /** Makes sure `check` runs no later than `due` (a `performance.now()` time). */
  wake(due: number): void {
    if (due >= this.#at) return;
    this.#cancel?.();
    this.#at = due;
    this.#cancel = after(due - performance.now(), this.#fire);
  }

  /** Cancels the pending timer; a later {@link Watchdog.wake} starts a new one. */
  stop(): void {
    this.#cancel?.();
    this.#cancel = undefined;
    this.#at = Infinity;
  }

  #fire = (): void => {
    this.#cancel = undefined;
    this.#at = Infinity;
    const next = this.#check(performance.now());
    if (next < Infinity) this.wake(next);
  };
}
