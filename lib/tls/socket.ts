/**
 * A Node-style socket (`node:tls` `TLSSocket`) as a {@link Transport}: pull-style reads over
 * its `data` events (paused while a read-ahead limit is buffered), one write callback per
 * write, and errors turned into ours by a mapper.
 *
 * @module
 */

import type { Transport } from "../transport.ts";

/** What the adapter needs of a `node:net`/`node:tls` socket. */
export interface NodeSocketLike {
  /** Writes `data`; `cb` runs once it was handed to the operating system (or failed). */
  write(data: Uint8Array, cb: (err?: Error | null) => void): boolean;
  /** Subscribes to the bytes received. */
  on(event: "data", listener: (data: Uint8Array) => void): unknown;
  /** Subscribes to the end of the stream. */
  on(event: "end" | "close", listener: () => void): unknown;
  /** Subscribes to errors. */
  on(event: "error", listener: (err: Error) => void): unknown;
  /** Stops `data` events. */
  pause(): unknown;
  /** Restarts `data` events. */
  resume(): unknown;
  /** Closes at once. */
  destroy(): unknown;
}

/** Bytes buffered ahead of the reader before the socket is paused. */
const READ_AHEAD = 1 << 20;

/**
 * Adapts a connected socket to {@link Transport}. `mapError` turns the socket's errors (a TLS
 * alert after the handshake, a reset) into the errors reads and writes reject with.
 *
 * @example
 * ```ts ignore
 * import * as tls from "node:tls";
 * import { SocketTransport } from "./socket.ts";
 * const s = tls.connect({ host: "127.0.0.1", port: 2762 });
 * const t = new SocketTransport(s, (e) => e);
 * t.close();
 * ```
 */
export class SocketTransport implements Transport {
  #sock: NodeSocketLike;
  #map: (err: Error) => Error;
  #chunks: Uint8Array[] = [];
  #offset = 0;
  #buffered = 0;
  #paused = false;
  #ended = false;
  #error?: Error;
  #closed = false;
  #waiter?: () => void;

  /**
   * Wraps `sock`.
   * @param sock a connected socket (its handshake done)
   * @param mapError turns a socket error into the error to report
   */
  constructor(sock: NodeSocketLike, mapError: (err: Error) => Error) {
    this.#sock = sock;
    this.#map = mapError;
    sock.on("data", (d: Uint8Array) => {
      this.#chunks.push(d);
      this.#buffered += d.length;
      if (this.#buffered >= READ_AHEAD && !this.#paused) {
        this.#paused = true;
        sock.pause();
      }
      this.#wake();
    });
    sock.on("end", () => {
      this.#ended = true;
      this.#wake();
    });
    sock.on("close", () => {
      this.#ended = true;
      this.#wake();
    });
    sock.on("error", (err: Error) => {
      this.#error ??= this.#map(err);
      this.#wake();
    });
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  #take(p: Uint8Array): number {
    let n = 0;
    while (n < p.length && this.#chunks.length > 0) {
      const c = this.#chunks[0];
      const k = Math.min(p.length - n, c.length - this.#offset);
      p.set(c.subarray(this.#offset, this.#offset + k), n);
      n += k;
      this.#offset += k;
      if (this.#offset === c.length) {
        this.#chunks.shift();
        this.#offset = 0;
      }
    }
    this.#buffered -= n;
    if (this.#paused && this.#buffered < READ_AHEAD / 2) {
      this.#paused = false;
      this.#sock.resume();
    }
    return n;
  }

  /** Reads what is buffered, else waits for data, the end, or an error. */
  async read(p: Uint8Array): Promise<number | null> {
    for (;;) {
      if (this.#chunks.length > 0) return this.#take(p);
      if (this.#error) throw this.#error;
      if (this.#ended || this.#closed) return null;
      await new Promise<void>((resolve) => this.#waiter = resolve);
    }
  }

  /** Writes all of `p`; resolves once the socket has handed it on. */
  write(p: Uint8Array): Promise<number> {
    if (this.#error) return Promise.reject(this.#error);
    if (this.#closed) return Promise.reject(new Deno.errors.BrokenPipe("closed"));
    return new Promise((resolve, reject) => {
      this.#sock.write(p, (err) => {
        if (err) reject(this.#error ?? this.#map(err));
        else resolve(p.length);
      });
    });
  }

  /** Closes at once; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sock.destroy();
    this.#wake();
  }
}
