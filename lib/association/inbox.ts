/**
 * An association's incoming DIMSE messages and those waiting for one: a message goes to the
 * oldest waiter, else it is queued for the next receive; a waiter past its deadline is dropped
 * (so a late message is kept for the next one).
 *
 * @module
 */

import type { ReceivedMessage } from "../dimse/assembler.ts";

/** A pending receive. */
interface Waiter {
  resolve: (m: ReceivedMessage) => void;
  reject: (e: Error) => void;
  /** When it times out (`performance.now()` ms; Infinity: never). */
  due: number;
}

/**
 * Messages received and receives pending, in order.
 *
 * @example
 * ```ts ignore
 * const inbox = new Inbox();
 * const next = inbox.take() ?? inbox.wait(performance.now() + 30_000);
 * inbox.deliver(message); // resolves `next`
 * ```
 */
export class Inbox {
  #messages: ReceivedMessage[] = [];
  #waiters: Waiter[] = [];

  /** True while a receive is pending. */
  get waiting(): boolean {
    return this.#waiters.length > 0;
  }

  /** Hands `m` to the oldest waiter, or queues it. */
  deliver(m: ReceivedMessage): void {
    const w = this.#waiters.shift();
    if (w) w.resolve(m);
    else this.#messages.push(m);
  }

  /** The oldest queued message, if any. */
  take(): ReceivedMessage | undefined {
    return this.#messages.shift();
  }

  /** Waits for the next message delivered, until `due` (see {@link Inbox.expire}). */
  wait(due: number): Promise<ReceivedMessage> {
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject, due }));
  }

  /** Rejects every waiter with `err`. */
  rejectAll(err: Error): void {
    for (const w of this.#waiters.splice(0)) w.reject(err);
  }

  /** Rejects the waiters due by `now` with `make()`; returns the next deadline (Infinity: none). */
  expire(now: number, make: () => Error): number {
    let next = Infinity;
    for (let i = 0; i < this.#waiters.length; i++) {
      const w = this.#waiters[i];
      if (w.due <= now) {
        this.#waiters.splice(i--, 1);
        w.reject(make());
      } else if (w.due < next) next = w.due;
    }
    return next;
  }
}
