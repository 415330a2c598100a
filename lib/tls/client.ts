/**
 * DICOM over TLS as a client, with Nagle's algorithm off on every path:
 *
 * - server-only TLS (the common case): `Deno.connect`, `setNoDelay(true)`, `Deno.startTls`:
 *   Deno's own TLS connection, the cheapest in CPU (measured), with rustls's own error text;
 * - with a client certificate (mutual TLS) or `insecure`, which `Deno.startTls` cannot do:
 *   `node:tls` `connect` and `setNoDelay(true)`, read through {@link SocketTransport}.
 *
 * (`Deno.connectTls` has no `setNoDelay`: every C-STORE would wait ~40 ms for a delayed ACK.)
 * Failures become {@link TlsError}s naming the cause; a peer that hangs up on our handshake is
 * probed once to tell a plain DICOM port.
 *
 * @module
 */

import {
  closeQuietly,
  connectError,
  dialTcp,
  type TcpOptions,
  type Transport,
} from "../transport.ts";
import { after } from "../watchdog.ts";
import {
  classifyTlsError,
  isConnectionLoss,
  isNotTlsAnswer,
  TlsError,
  type TlsErrorContext,
} from "./errors.ts";
import { type LoadedTls, loadTls, type TlsClientOptions } from "./options.ts";
import { checkKeyPair } from "./pem.ts";
import { SocketTransport } from "./socket.ts";

/** Loaded settings per options object: files are read once per run, not per association. */
const loaded = new WeakMap<TlsClientOptions, Promise<LoadedTls>>();

function load(options: TlsClientOptions): Promise<LoadedTls> {
  let p = loaded.get(options);
  if (!p) {
    p = loadTls(options, "client");
    loaded.set(options, p);
  }
  return p;
}

function isIpAddress(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(":");
}

/** Races `p` against the connect timeout. */
async function bounded<T>(p: Promise<T>, seconds: number | null | undefined): Promise<T> {
  if (seconds == null) return await p;
  let cancel: (() => void) | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        cancel = after(
          seconds * 1000,
          () => reject(new Deno.errors.TimedOut("TLS handshake timed out")),
        );
      }),
    ]);
  } finally {
    cancel?.();
  }
}

/** A `Deno.TlsConn` whose read and write errors name their TLS cause. */
class TlsConnTransport implements Transport {
  #conn: Deno.TlsConn;
  #ctx: TlsErrorContext;
  #closed = false;
  constructor(conn: Deno.TlsConn, ctx: TlsErrorContext) {
    this.#conn = conn;
    this.#ctx = ctx;
  }
  #map = (err: unknown): never => {
    throw classifyTlsError(err, "after-handshake", this.#ctx) ?? err;
  };
  read(p: Uint8Array): Promise<number | null> {
    return this.#conn.read(p).catch(this.#map);
  }
  write(p: Uint8Array): Promise<number> {
    return this.#conn.write(p).catch(this.#map);
  }
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeQuietly(this.#conn);
  }
}

/** Server-only TLS on Deno's own connection. */
async function viaStartTls(
  options: TcpOptions,
  tls: LoadedTls,
  serverName: string,
  ctx: TlsErrorContext,
): Promise<Transport> {
  const tcp = await dialTcp(options);
  let conn: Deno.TlsConn | undefined;
  try {
    await bounded(
      (async () => {
        conn = await Deno.startTls(tcp, { hostname: serverName, caCerts: tls.caCerts });
        await conn.handshake();
      })(),
      options.timeoutSeconds,
    );
  } catch (err) {
    closeQuietly(conn ?? tcp);
    throw await handshakeFailure(err, options, ctx);
  }
  return new TlsConnTransport(conn!, ctx);
}

/** Mutual TLS, or no verification: `node:tls`, loaded only for these. */
async function viaNodeTls(
  options: TcpOptions,
  settings: TlsClientOptions,
  tls: LoadedTls,
  serverName: string,
  ctx: TlsErrorContext,
): Promise<Transport> {
  const nodeTls = await import("node:tls");
  const insecure = settings.insecure === true;
  const sock = nodeTls.connect({
    host: options.hostname,
    port: options.port,
    // SNI is for DNS names only (RFC 6066); an IP address is checked without it.
    servername: isIpAddress(serverName) ? undefined : serverName,
    ca: tls.caCerts.length > 0 ? tls.caCerts : undefined,
    cert: tls.cert,
    key: tls.key,
    minVersion: "TLSv1.2",
    rejectUnauthorized: !insecure,
    checkServerIdentity: insecure
      ? () => undefined
      : (_host, cert) => nodeTls.checkServerIdentity(serverName, cert),
  });
  sock.setNoDelay(true);
  let connected = false;
  sock.once("connect", () => connected = true);
  try {
    await bounded(
      new Promise<void>((resolve, reject) => {
        sock.once("secureConnect", () => resolve());
        sock.once("error", reject);
        sock.once("close", () => reject(new Deno.errors.ConnectionReset("connection closed")));
      }),
      options.timeoutSeconds,
    );
  } catch (err) {
    sock.destroy();
    // node:tls (Deno) says only "unsupported protocol" when it cannot use our certificate and
    // key: find out why (this loads node:crypto, which the send path otherwise never needs).
    if ((err as { code?: unknown }).code === "ERR_SSL_UNSUPPORTED_PROTOCOL" && tls.certSource) {
      const why = await checkKeyPair(tls.certSource, tls.keySource!);
      if (why) throw why;
    }
    if (!connected) throw connectError(err, options);
    // node:tls words certificate problems in OpenSSL's codes (an expired certificate comes
    // out as "unable to verify the first certificate"): ask Deno's own TLS for the reason.
    const precise = !insecure && isCertificateCode(err)
      ? await certificateReason(options, tls, serverName, ctx)
      : undefined;
    throw precise ?? await handshakeFailure(err, options, ctx);
  }
  sock.removeAllListeners("error");
  sock.removeAllListeners("close");
  const transport = new SocketTransport(
    sock,
    (e) => classifyTlsError(e, "after-handshake", ctx) ?? e,
  );
  return ctx.clientCertificate ? guardFirstRead(transport, ctx) : transport;
}

/**
 * With our client certificate presented, a peer that hangs up before its first byte (no TLS
 * alert: `node:tls` servers do that) has most likely refused the certificate: say so.
 */
function guardFirstRead(t: Transport, ctx: TlsErrorContext): Transport {
  const refused = (cause?: unknown) =>
    new TlsError(
      "certificate-refused",
      `TLS: the peer (${ctx.peer}) hung up right after the TLS handshake, before any DICOM ` +
        "answer: most likely it does not accept our client certificate",
      { cause },
    );
  let first = true;
  return {
    async read(p: Uint8Array): Promise<number | null> {
      if (!first) return await t.read(p);
      first = false;
      let n: number | null;
      try {
        n = await t.read(p);
      } catch (err) {
        throw isConnectionLoss(err) ? refused(err) : err;
      }
      if (n === null) throw refused();
      return n;
    },
    write: (p) => t.write(p),
    close: () => t.close(),
  };
}

function isCertificateCode(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && code !== "ERR_TLS_CERT_ALTNAME_INVALID" &&
    /CERT|ISSUER|LEAF|SIGNATURE/.test(code);
}

/** Checks the peer's certificate with `Deno.startTls`, for its precise reason. */
async function certificateReason(
  options: TcpOptions,
  tls: LoadedTls,
  serverName: string,
  ctx: TlsErrorContext,
): Promise<TlsError | undefined> {
  try {
    const tcp = await dialTcp(options);
    const conn = await bounded(
      Deno.startTls(tcp, { hostname: serverName, caCerts: tls.caCerts }),
      options.timeoutSeconds,
    );
    try {
      await bounded(conn.handshake(), options.timeoutSeconds);
    } finally {
      conn.close();
    }
  } catch (err) {
    const e = classifyTlsError(err, "handshake", ctx);
    if (e && (e.kind.endsWith("-certificate") || e.kind === "name-mismatch")) return e;
  }
  return undefined;
}

/** Names why the handshake failed, probing the port when the peer just hung up. */
async function handshakeFailure(
  err: unknown,
  options: TcpOptions,
  ctx: TlsErrorContext,
): Promise<Error> {
  if (err instanceof TlsError) return err;
  if (err instanceof Deno.errors.TimedOut) {
    return new TlsError(
      "handshake",
      `TLS handshake with ${ctx.peer} timed out (a plain DICOM port waits for a PDU: drop --tls?)`,
      { cause: err },
    );
  }
  const known = classifyTlsError(err, "handshake", ctx);
  if (known && known.kind !== "not-tls") return known;
  if (known || isConnectionLoss(err)) {
    const { peerSpeaksDicom } = await import("./probe.ts");
    const seconds = Math.min(options.timeoutSeconds ?? 3, 3);
    if (await peerSpeaksDicom(options.hostname, options.port, seconds)) {
      return new TlsError(
        "not-tls",
        `TLS: the peer (${ctx.peer}) speaks plain DICOM, not TLS: it ${
          isNotTlsAnswer(err)
            ? "answered our TLS handshake with non-TLS bytes"
            : "hung up on our TLS handshake"
        } and answers a plain A-ASSOCIATE-RQ (drop --tls, or use the peer's TLS port)`,
        { cause: err },
      );
    }
    return known ?? new TlsError(
      "handshake",
      `TLS handshake with ${ctx.peer} failed: the peer closed the connection without a TLS alert`,
      { cause: err },
    );
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new TlsError("handshake", `TLS handshake with ${ctx.peer} failed: ${msg}`, {
    cause: err,
  });
}

/**
 * Connects and completes the TLS handshake (within `options.timeoutSeconds`), with Nagle's
 * algorithm off. Throws `ConnectError` when the TCP connection fails and a {@link TlsError}
 * naming the cause when TLS does. A peer that refuses our client certificate after the
 * handshake (TLS 1.3) is reported by the first read, before any association is claimed.
 *
 * @example
 * ```ts ignore
 * import { connectTls } from "./client.ts";
 * const t = await connectTls(
 *   { hostname: "127.0.0.1", port: 2762, timeoutSeconds: 30 },
 *   { caFiles: ["ca.pem"], serverName: "localhost" },
 * );
 * t.close();
 * ```
 */
export async function connectTls(
  options: TcpOptions,
  settings: TlsClientOptions,
): Promise<Transport> {
  const tls = await load(settings);
  const serverName = settings.serverName ?? options.hostname;
  const ctx: TlsErrorContext = {
    peer: `${options.hostname}:${options.port}`,
    serverName,
    clientCertificate: tls.cert !== undefined,
  };
  if (tls.cert === undefined && !settings.insecure) {
    return await viaStartTls(options, tls, serverName, ctx);
  }
  return await viaNodeTls(options, settings, tls, serverName, ctx);
}
