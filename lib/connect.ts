/**
 * Opening the transport an association runs over: plain TCP, watched on its first read for a
 * peer that expects TLS, or DICOM over TLS (`lib/tls/`, loaded only when asked for or when a
 * peer's answer looks like TLS).
 *
 * @module
 */

import { dialTcp, type TcpOptions, type Transport, wrapConn } from "./transport.ts";
import type { TlsClientOptions } from "./tls/options.ts";

/** Where and how to connect. */
export interface ConnectOptions extends TcpOptions {
  /** Speak DICOM over TLS with these settings (see {@link connect}); default plain TCP. */
  tls?: TlsClientOptions;
}

/**
 * A plain client connection whose first read is looked at: a peer that answers our
 * A-ASSOCIATE-RQ with TLS records, or hangs up and then answers a TLS handshake, expects
 * DICOM over TLS; that is said instead of an invalid PDU or a closed connection.
 */
class TlsHint implements Transport {
  #t: Transport;
  /** Set until the first read. */
  #origin?: TcpOptions;
  constructor(t: Transport, origin: TcpOptions) {
    this.#t = t;
    this.#origin = origin;
  }
  read(p: Uint8Array): Promise<number | null> {
    if (this.#origin === undefined) return this.#t.read(p);
    const origin = this.#origin;
    this.#origin = undefined;
    return this.#firstRead(p, origin);
  }
  write(p: Uint8Array): Promise<number> {
    return this.#t.write(p);
  }
  close(): void {
    this.#t.close();
  }

  async #firstRead(p: Uint8Array, origin: TcpOptions): Promise<number | null> {
    let n: number | null;
    try {
      n = await this.#t.read(p);
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
}

async function tlsExpected(
  origin: TcpOptions,
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
export async function connectTcp(options: TcpOptions): Promise<Transport> {
  const { hostname, port, timeoutSeconds } = options;
  return new TlsHint(wrapConn(await dialTcp(options)), { hostname, port, timeoutSeconds });
}

/**
 * Opens the transport `options` ask for: DICOM over TLS when `options.tls` is set (the TLS code
 * is loaded only then), plain TCP otherwise. Throws a `ConnectError` when the TCP connection
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
