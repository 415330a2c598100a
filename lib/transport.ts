/**
 * The byte pipe under an association: plain TCP (`Deno.connect`, Nagle off) or DICOM over TLS
 * (`lib/tls/`), behind one small {@link Transport} interface; nothing above it knows which.
 *
 * @module
 */

import { after } from "./watchdog.ts";
import type { TlsClientOptions } from "./tls/options.ts";

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
  /** Give up after this many seconds (null: the OS default); bounds the TLS handshake too. */
  timeoutSeconds?: number | null;
  /** Speak DICOM over TLS with these settings (see {@link connect}); default plain TCP. */
  tls?: TlsClientOptions;
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

/** Where a client connection came from, for telling a TLS port when the peer hangs up. */
interface Origin {
  hostname: string;
  port: number;
  timeoutSeconds?: number | null;
}

class ConnTransport implements Transport {
  #conn: Deno.Conn;
  #closed = false;
  /** Set until the first read of a client connection: its answer is looked at. */
  #origin?: Origin;
  constructor(conn: Deno.Conn, origin?: Origin) {
    this.#conn = conn;
    this.#origin = origin;
  }
  read(p: Uint8Array): Promise<number | null> {
    if (this.#origin === undefined) return this.#conn.read(p);
    const origin = this.#origin;
    this.#origin = undefined;
    return firstRead(this.#conn, p, origin);
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
 * The first read of a plain client connection: a peer that answers our A-ASSOCIATE-RQ with TLS
 * records, or hangs up and then answers a TLS handshake, expects DICOM over TLS; say so instead
 * of reporting an invalid PDU or a closed connection.
 */
async function firstRead(conn: Deno.Conn, p: Uint8Array, origin: Origin): Promise<number | null> {
  let n: number | null;
  try {
    n = await conn.read(p);
  } catch (err) {
    throw (await tlsExpected(origin, "hung up on our A-ASSOCIATE-RQ", true)) ?? err;
  }
  if (n === null) {
    const e = await tlsExpected(origin, "hung up on our A-ASSOCIATE-RQ", true);
    if (e) throw e;
    return null;
  }
  // 0x15 (alert) and 0x16 (handshake) are TLS record types, never PDU types; 0x03 is TLS's
  // major version.
  if ((p[0] === 0x15 || p[0] === 0x16) && (n < 2 || p[1] === 0x03)) {
    const what = p[0] === 0x15 ? "a TLS alert" : "a TLS handshake record";
    throw (await tlsExpected(origin, `answered our A-ASSOCIATE-RQ with ${what}`, false))!;
  }
  return n;
}

async function tlsExpected(
  origin: Origin,
  what: string,
  probe: boolean,
): Promise<Error | undefined> {
  const { TlsError } = await import("./tls/errors.ts");
  const peer = `${origin.hostname}:${origin.port}`;
  if (probe) {
    const { peerSpeaksTls } = await import("./tls/probe.ts");
    const seconds = Math.min(origin.timeoutSeconds ?? 3, 3);
    if (!(await peerSpeaksTls(origin.hostname, origin.port, seconds))) return undefined;
    what += " and answers a TLS handshake";
  }
  return new TlsError(
    "expects-tls",
    `The peer (${peer}) expects DICOM over TLS: it ${what}; use --tls`,
  );
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
export function connectError(err: unknown, o: ConnectOptions): ConnectError {
  const code = (err as { code?: unknown } | null)?.code;
  const e = code === "ECONNREFUSED"
    ? new Deno.errors.ConnectionRefused(String(err))
    : code === "ETIMEDOUT"
    ? new Deno.errors.TimedOut(String(err))
    : err;
  return new ConnectError(describeConnectError(e, o), { cause: err });
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
export async function dialTcp(options: ConnectOptions): Promise<Deno.TcpConn> {
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
 * Opens a TCP connection with Nagle's algorithm off (each PDU is one write). If the peer turns
 * out to expect TLS (its answer to our first PDU is a TLS record, or it hangs up and answers a
 * TLS handshake), the first read throws a `TlsError` of kind `"expects-tls"`.
 *
 * @example
 * ```ts ignore
 * import { connectTcp } from "jsr:@x/storescu/association";
 * const t = await connectTcp({ hostname: "127.0.0.1", port: 11112, timeoutSeconds: 30 });
 * t.close();
 * ```
 */
export async function connectTcp(options: ConnectOptions): Promise<Transport> {
  return new ConnTransport(await dialTcp(options), {
    hostname: options.hostname,
    port: options.port,
    timeoutSeconds: options.timeoutSeconds,
  });
}

/**
 * Opens the transport `options` ask for: DICOM over TLS when `options.tls` is set (the TLS code
 * is loaded only then), plain TCP otherwise. Throws {@link ConnectError} when the TCP connection
 * fails and a `TlsError` naming the cause when TLS does.
 *
 * @example
 * ```ts ignore
 * import { connect } from "jsr:@x/storescu/association";
 * const t = await connect({
 *   hostname: "pacs.example.org",
 *   port: 2762,
 *   tls: { caFiles: ["hospital-ca.pem"] },
 * });
 * t.close();
 * ```
 */
export async function connect(options: ConnectOptions): Promise<Transport> {
  if (!options.tls) return await connectTcp(options);
  const { connectTls } = await import("./tls/client.ts");
  return await connectTls(options, options.tls);
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
