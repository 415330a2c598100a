/**
 * The byte pipe under an association, one small {@link Transport} interface (nothing above it
 * knows what carries the bytes), and plain TCP under it (`Deno.connect`, Nagle off; listening
 * for an SCP). DICOM over TLS (`lib/tls/`) builds on these; `connect.ts` chooses between them.
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

/** Where to connect over TCP, and how long to try. */
export interface TcpOptions {
  /** Host name or IP address. */
  hostname: string;
  /** TCP port. */
  port: number;
  /** Give up after this many seconds (null: the OS default); bounds the TLS handshake too. */
  timeoutSeconds?: number | null;
}

/**
 * The transport failed in a way its message names (a TLS problem, say): the association
 * reports it as it is instead of as a closed connection.
 */
export class TransportError extends Error {
  /**
   * Creates it.
   * @param message one line for the log
   * @param options the underlying error as `cause`
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TransportError";
  }
}

/** The TCP connection could not be made. */
export class ConnectError extends TransportError {
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

/**
 * Closes `resource` (a connection, a listener) when there is one, ignoring the error of one
 * that is closed already.
 *
 * @example
 * ```ts
 * import { closeQuietly } from "jsr:@x/storescu/association";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * closeQuietly(listener);
 * closeQuietly(listener); // no error
 * ```
 */
export function closeQuietly(resource: { close(): void } | null | undefined): void {
  try {
    resource?.close();
  } catch {
    // already closed
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
    closeQuietly(this.#conn);
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

/** Where an SCP waits for connections, each handed out as a {@link Transport}. */
export interface TransportListener {
  /** The port it listens on. */
  readonly port: number;
  /** The address it listens on. */
  readonly hostname: string;
  /** The next connection, or `null` once closed. */
  accept(): Promise<Transport | null>;
  /** Stops listening (connections already handed out stay open). */
  close(): void;
}

/**
 * Listens for plain TCP connections (port 0: any free one); the port is known at once.
 *
 * @example
 * ```ts
 * import { listenTcp } from "jsr:@x/storescu/association";
 * const l = listenTcp({ hostname: "127.0.0.1", port: 0 });
 * l.port > 0; // true
 * l.close();
 * ```
 */
export function listenTcp(where: { hostname: string; port: number }): TransportListener {
  const listener = Deno.listen({ hostname: where.hostname, port: where.port });
  let closed = false;
  return {
    port: (listener.addr as Deno.NetAddr).port,
    hostname: where.hostname,
    async accept(): Promise<Transport | null> {
      try {
        const conn = await listener.accept();
        conn.setNoDelay(true);
        return new ConnTransport(conn);
      } catch {
        return null;
      }
    },
    close(): void {
      if (closed) return;
      closed = true;
      closeQuietly(listener);
    },
  };
}

/**
 * The {@link ConnectError} for a failed TCP connection to `o`, worded the same whichever way the
 * connection was tried (node:tls's `ECONNREFUSED` included).
 *
 * @example
 * ```ts ignore
 * import { connectError } from "jsr:@x/storescu/association";
 * connectError(new Deno.errors.ConnectionRefused("refused"), { hostname: "pacs", port: 104 })
 *   .message; // "Connection refused by pacs:104 (nothing is listening on that port)"
 * ```
 */
export function connectError(err: unknown, o: TcpOptions): ConnectError {
  const code = (err as { code?: unknown } | null)?.code;
  const e = code === "ECONNREFUSED"
    ? new Deno.errors.ConnectionRefused(String(err))
    : code === "ETIMEDOUT"
    ? new Deno.errors.TimedOut(String(err))
    : err;
  return new ConnectError(describeConnectError(e, o), { cause: err });
}

function describeConnectError(err: unknown, o: TcpOptions): string {
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
 * Opens a TCP connection with Nagle's algorithm off, within the connect timeout; throws
 * {@link ConnectError}. The TLS transport starts from this too.
 *
 * @example
 * ```ts ignore
 * import { dialTcp } from "jsr:@x/storescu/association";
 * const conn = await dialTcp({ hostname: "127.0.0.1", port: 11112, timeoutSeconds: 30 });
 * conn.close();
 * ```
 */
export async function dialTcp(options: TcpOptions): Promise<Deno.TcpConn> {
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
    return conn;
  } catch (err) {
    attempt.then((c) => c.close(), () => {});
    throw connectError(err, options);
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
