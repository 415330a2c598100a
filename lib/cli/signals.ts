/**
 * Ctrl-C and `kill` for the command line: the first SIGINT or SIGTERM stops the run (no more
 * files; those in flight finish), the second aborts what is in flight, a third exits at once.
 * The listeners are Deno's own signal listeners: they don't keep the process alive, and
 * {@link SignalStop.dispose} removes them when the run is over.
 *
 * @module
 */

/** The stop signals handed to `storeFiles`, and which OS signal came first. */
export interface SignalStop {
  /** Aborted by the first signal. */
  readonly signal: AbortSignal;
  /** Aborted by the second. */
  readonly forceSignal: AbortSignal;
  /** The first signal received, if any. */
  readonly received: "SIGINT" | "SIGTERM" | undefined;
  /** Removes the listeners. */
  dispose(): void;
}

/** The exit status of a run stopped by `signal`: 128 + its number, as shells report it. */
export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Listens for SIGINT and SIGTERM (SIGINT only where SIGTERM can't be listened for) and turns
 * them into the run's stop signals; `say` prints one line for each.
 *
 * @example
 * ```ts ignore
 * import { stopOnSignals } from "./signals.ts";
 * const stop = stopOnSignals((line) => console.error(line));
 * try {
 *   await storeFiles({ ...options, signal: stop.signal, forceSignal: stop.forceSignal });
 * } finally {
 *   stop.dispose();
 * }
 * ```
 */
export function stopOnSignals(say: (line: string) => void): SignalStop {
  const stop = new AbortController();
  const force = new AbortController();
  let received: "SIGINT" | "SIGTERM" | undefined;
  let count = 0;
  const handlers: [Deno.Signal, () => void][] = [];
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    const handler = () => {
      count++;
      received ??= sig;
      if (count === 1) {
        say(
          `Interrupted (${sig}): no more files will be sent; waiting for those in flight ` +
            "(interrupt again to abort them)",
        );
        stop.abort();
      } else if (count === 2) {
        say(`Interrupted again (${sig}): aborting the association`);
        force.abort();
      } else {
        say(`Interrupted a third time (${sig}): exiting now, without the account`);
        Deno.exit(SIGNAL_EXIT[received]);
      }
    };
    try {
      Deno.addSignalListener(sig, handler);
      handlers.push([sig, handler]);
    } catch {
      // not available on this platform (SIGTERM on Windows)
    }
  }
  return {
    signal: stop.signal,
    forceSignal: force.signal,
    get received() {
      return received;
    },
    dispose() {
      for (const [sig, handler] of handlers.splice(0)) Deno.removeSignalListener(sig, handler);
    },
  };
}
