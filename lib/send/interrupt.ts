/**
 * Stopping a run from outside: the caller's `signal` (stop taking files, let what is in flight
 * finish) and `forceSignal` (abort what is in flight too), seen by the run as one small object.
 *
 * @module
 */

import { after } from "../watchdog.ts";

/** What a forced stop aborts an association with: its in-flight files were never confirmed. */
export class InterruptedError extends Error {
  /** Creates the error. */
  constructor() {
    super("Interrupted again: aborting the association");
    this.name = "InterruptedError";
  }
}

/**
 * The run's view of its two stop signals. Listeners are removed by {@link Interrupt.dispose},
 * so nothing stays attached to the caller's signals after the run.
 *
 * @example
 * ```ts
 * import { Interrupt } from "./interrupt.ts";
 * const stop = new AbortController();
 * const i = new Interrupt(stop.signal, undefined, (force) => console.log("stop", force));
 * stop.abort(); // "stop false"
 * i.stopped; // true
 * i.dispose();
 * ```
 */
export class Interrupt {
  /** No more files are to be taken. */
  stopped = false;
  /** What is in flight is to be aborted too. */
  forced = false;
  #onForce = new Set<() => void>();
  #wake = new Set<() => void>();
  #off: (() => void)[] = [];

  /**
   * @param signal stops the run (what is in flight finishes)
   * @param forceSignal aborts what is in flight as well
   * @param onStop called once for the stop and once for the forced stop
   */
  constructor(
    signal: AbortSignal | undefined,
    forceSignal: AbortSignal | undefined,
    onStop: (force: boolean) => void,
  ) {
    const stop = () => {
      if (this.stopped) return;
      this.stopped = true;
      onStop(false);
      for (const fn of [...this.#wake]) fn();
    };
    const force = () => {
      stop();
      if (this.forced) return;
      this.forced = true;
      onStop(true);
      for (const fn of [...this.#onForce]) fn();
    };
    for (const [s, fn] of [[signal, stop], [forceSignal, force]] as const) {
      if (!s) continue;
      if (s.aborted) fn();
      else {
        s.addEventListener("abort", fn, { once: true });
        this.#off.push(() => s.removeEventListener("abort", fn));
      }
    }
  }

  /** Calls `fn` when the stop is forced (at once if it already is); returns the remover. */
  onForce(fn: () => void): () => void {
    if (this.forced) {
      fn();
      return () => {};
    }
    this.#onForce.add(fn);
    return () => this.#onForce.delete(fn);
  }

  /** Calls `fn` when the run is stopped (at once if it already is); returns the remover. */
  onStop(fn: () => void): () => void {
    if (this.stopped) {
      fn();
      return () => {};
    }
    this.#wake.add(fn);
    return () => this.#wake.delete(fn);
  }

  /** Waits `ms` milliseconds, or less when the run is stopped meanwhile. */
  async sleep(ms: number): Promise<void> {
    if (this.stopped) return;
    let cancel = () => {};
    let off = () => {};
    await new Promise<void>((resolve) => {
      cancel = after(ms, resolve);
      off = this.onStop(resolve);
    });
    cancel();
    off();
  }

  /** Detaches from the caller's signals. */
  dispose(): void {
    for (const off of this.#off.splice(0)) off();
    this.#onForce.clear();
    this.#wake.clear();
  }
}
