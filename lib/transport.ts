/**
 * The byte pipe under an association: TCP today (`Deno.connect`), TLS later
 * (`Deno.connectTls`) behind the same small interface.
 *
 * @module
 */

import { after } from "./watchdog.ts";

/** A bidirectional byte stream. `Deno.Conn` satisfies it. */
export interface Transport {
  /** Reads into `p`; resolves the count, or `null` at end of stream. */
  read(p: Uint8Array): Promise<number | null>;
  /** Writes some of `p`; resolves how many bytes were written. */
  write(p: Uint8Array): Promise<number>;
  /** Closes both directions. Must not throw when already closed. */
  close(): void;
}

/** Where and how to connect. */
export interface ConnectOptions {
  /** Host name or IP address. */
  hostname: string;
  /** TCP port. */
  port: number;
  /** Give up after this many seconds (null: the OS default). */
  timeoutSeconds?: number | null;
}

/** The TCP connection could not be made. */
export class ConnectError extends Error {
  /**
   * Creates it.
   * @param message one line for the log
   * @param options the underlying error as `cause`
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectError";
  }
}

class ConnTransport implements Transport {
  #conn: Deno.Conn;
  #closed = false;
  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }
  read(p: Uint8Array): Promise<number | null> {
    return this.#conn.read(p);
  }
  write(p: Uint8Array): Promise<number> {
    return this.#conn.write(p);
  }
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed by the runtime
    }
  }
}

/**
 * Wraps an accepted or connected `Deno.Conn` as a {@link Transport} whose `close` is idempotent.
 *
 * @example
 * ```ts ignore
 * import { wrapConn } from "jsr:@x/storescu/association";
 * const t = wrapConn(await Deno.connect({ hostname: "127.0.0.1", port: 11112 }));
 * t.close();
 * ```
 */
export function wrapConn(conn: Deno.Conn): Transport {
  return new ConnTransport(conn);
}

function describeConnectError(err: unknown, o: ConnectOptions): string {
  const where = `${o.hostname}:${o.port}`;
  if (err instanceof Deno.errors.ConnectionRefused) {
    return `Connection refused by ${where} (nothing is listening on that port)`;
  }
  if (err instanceof Deno.errors.TimedOut) {
    return `Connection to ${where} timed out after ${o.timeoutSeconds} s`;
  }
  if (err instanceof Error && /lookup|resolve|name or service/i.test(err.message)) {
    return `Cannot resolve host name '${o.hostname}' (${err.message})`;
  }
  if (err instanceof Error) return `Cannot connect to ${where}: ${err.message}`;
  return `Cannot connect to ${where}: ${String(err)}`;
}

/**
 * Opens a TCP connection with Nagle's algorithm off (each PDU is one write).
 *
 * @example
 * ```ts ignore
 * import { connectTcp } from "jsr:@x/storescu/association";
 * const t = await connectTcp({ hostname: "127.0.0.1", port: 11112, timeoutSeconds: 30 });
 * t.close();
 * ```
 */
export async function connectTcp(options: ConnectOptions): Promise<Transport> {
  const attempt = Deno.connect({ hostname: options.hostname, port: options.port });
  let cancel: (() => void) | undefined;
  try {
    const conn = options.timeoutSeconds == null ? await attempt : await Promise.race([
      attempt,
      new Promise<never>((_, reject) => {
        cancel = after(
          options.timeoutSeconds! * 1000,
          () => reject(new Deno.errors.TimedOut("connection timed out")),
        );
      }),
    ]);
    conn.setNoDelay(true);
    return new ConnTransport(conn);
  } catch (err) {
    attempt.then((c) => c.close(), () => {});
    throw new ConnectError(describeConnectError(err, options), { cause: err });
  } finally {
    cancel?.();
  }
}

/**
 * Writes all of `data`, looping over short writes.
 *
 * @example
 * ```ts ignore
 * import { connectTcp, writeAll } from "jsr:@x/storescu/association";
 * const t = await connectTcp({ hostname: "127.0.0.1", port: 11112 });
 * await writeAll(t, new Uint8Array([5, 0, 0, 0, 0, 4, 0, 0, 0, 0]));
 * ```
 */
export async function writeAll(t: Transport, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) {
    off += await t.write(off === 0 ? data : data.subarray(off));
  }
}
