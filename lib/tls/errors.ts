/**
 * TLS failures as one-line errors that name their cause: an untrusted, expired or misnamed
 * certificate, a peer that refuses ours, a port that speaks the other protocol, unusable PEM
 * files. {@link classifyTlsError} turns what Deno's TLS (rustls) or `node:tls` reports into a
 * {@link TlsError}.
 *
 * @module
 */

import { TransportError } from "../transport.ts";

/** What went wrong, for callers that act on it (tests, retries, a UI). */
export type TlsErrorKind =
  /** The peer's certificate chain does not lead to a trusted CA (or is otherwise invalid). */
  | "untrusted-certificate"
  /** The peer's certificate has expired or is not valid yet. */
  | "expired-certificate"
  /** The peer's certificate is not valid for the name we checked. */
  | "name-mismatch"
  /** The peer refused our client certificate (or wanted one and got none). */
  | "certificate-refused"
  /** We spoke TLS; the peer does not (a plain DICOM port). */
  | "not-tls"
  /** We spoke plain DICOM; the peer expects TLS. */
  | "expects-tls"
  /** Our private key does not belong to our certificate. */
  | "key-mismatch"
  /** A certificate or key file is missing, unreadable or not PEM. */
  | "bad-pem"
  /** Any other handshake failure (no common protocol version or cipher suite, say). */
  | "handshake";

/** A TLS failure, with a message that names the cause in one line. */
export class TlsError extends TransportError {
  /** What went wrong. */
  readonly kind: TlsErrorKind;
  /**
   * Creates it.
   * @param kind what went wrong
   * @param message one line for the log and the per-file account
   * @param options the underlying error as `cause`
   */
  constructor(kind: TlsErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TlsError";
    this.kind = kind;
  }
}

/** Where the error came from: the handshake, or a read or write after it. */
export type TlsPhase = "handshake" | "after-handshake";

/** Names used in messages. */
export interface TlsErrorContext {
  /** Host and port, as `host:port`. */
  peer: string;
  /** The name the certificate was checked against. */
  serverName: string;
  /** True when we presented a client certificate. */
  clientCertificate: boolean;
}

/** rustls alert names (`received fatal alert: UnknownCA`) in words. */
const ALERTS: Record<string, string> = {
  CertificateRequired: "certificate required",
  BadCertificate: "bad certificate",
  UnsupportedCertificate: "unsupported certificate",
  CertificateRevoked: "certificate revoked",
  CertificateExpired: "certificate expired",
  CertificateUnknown: "certificate unknown",
  UnknownCA: "unknown CA",
  AccessDenied: "access denied",
  HandshakeFailure: "handshake failure",
  ProtocolVersion: "protocol version",
  InsufficientSecurity: "insufficient security",
  DecryptError: "decrypt error",
  IllegalParameter: "illegal parameter",
  InternalError: "internal error",
};

/** Alerts a server sends about the client's certificate. */
const CLIENT_CERT_ALERTS = new Set([
  "CertificateRequired",
  "BadCertificate",
  "UnsupportedCertificate",
  "CertificateRevoked",
  "CertificateExpired",
  "CertificateUnknown",
  "UnknownCA",
  "AccessDenied",
]);

/** OpenSSL-style codes `node:tls` uses for certificate problems it found itself. */
const UNTRUSTED_CODES = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_SIGNATURE_FAILURE",
  "CERT_UNTRUSTED",
  "CERT_REVOKED",
]);

function utc(unixSeconds: string): string {
  const d = new Date(Number(unixSeconds) * 1000);
  return Number.isNaN(d.getTime()) ? unixSeconds : d.toISOString().replace(/\.000Z$/, "Z");
}

/** The names in a rustls "only valid for ..." list: `DnsName("a")`, `IpAddress(1.2.3.4)`. */
function validNames(text: string): string {
  const names = [...text.matchAll(/(?:DnsName|IpAddress)\(\"?([^")]+)\"?\)/g)].map((m) => m[1]);
  return names.length > 0 ? names.join(", ") : "other names";
}

/**
 * The error's code (`node:tls`), name (`Deno.errors`) and message in one object.
 */
function facts(err: unknown): { code: string; name: string; message: string } {
  if (!(err instanceof Error)) return { code: "", name: "", message: String(err) };
  const code = (err as Error & { code?: unknown }).code;
  return { code: typeof code === "string" ? code : "", name: err.name, message: err.message };
}

/** True when `err` says the connection was closed or reset (no TLS alert, no bytes). */
export function isConnectionLoss(err: unknown): boolean {
  const { code, name, message } = facts(err);
  return code === "ECONNRESET" || code === "EPIPE" || name === "ConnectionReset" ||
    name === "UnexpectedEof" || name === "BrokenPipe" ||
    /socket disconnected|connection reset|unexpected eof|peer closed/i.test(message);
}

/** True when the peer answered our TLS records with bytes that are not TLS. */
export function isNotTlsAnswer(err: unknown): boolean {
  return /corrupt message|InvalidContentType|wrong version number|unknown protocol/i.test(
    facts(err).message,
  );
}

/**
 * Turns an error from a TLS handshake, read or write into a {@link TlsError} naming the cause,
 * or `undefined` when it is not a TLS matter (a connection reset, say: the caller decides).
 *
 * @example
 * ```ts
 * import { classifyTlsError } from "./errors.ts";
 * const e = classifyTlsError(
 *   new Error("invalid peer certificate: UnknownIssuer"),
 *   "handshake",
 *   { peer: "pacs:2762", serverName: "pacs", clientCertificate: false },
 * );
 * e?.kind; // "untrusted-certificate"
 * ```
 */
export function classifyTlsError(
  err: unknown,
  phase: TlsPhase,
  ctx: TlsErrorContext,
): TlsError | undefined {
  const { code, message } = facts(err);
  const cause = { cause: err };
  const cert = `the peer's certificate (${ctx.peer})`;
  let m: RegExpMatchArray | null;
  if ((m = message.match(/certificate expired.*not valid after (\d+)/))) {
    return new TlsError(
      "expired-certificate",
      `TLS: ${cert} has expired (not valid after ${utc(m[1])})`,
      cause,
    );
  }
  if ((m = message.match(/not valid yet.*not valid before (\d+)/))) {
    return new TlsError(
      "expired-certificate",
      `TLS: ${cert} is not valid yet (not before ${utc(m[1])})`,
      cause,
    );
  }
  if (code === "CERT_HAS_EXPIRED" || /\bExpired\b/.test(message)) {
    return new TlsError("expired-certificate", `TLS: ${cert} has expired`, cause);
  }
  if (code === "CERT_NOT_YET_VALID" || /NotValidYet/.test(message)) {
    return new TlsError("expired-certificate", `TLS: ${cert} is not valid yet`, cause);
  }
  if (
    (m = message.match(/not valid for name "?([^";]+)"?(?:; certificate is only valid for (.*))?/))
  ) {
    return new TlsError(
      "name-mismatch",
      `TLS: ${cert} is not valid for the name "${ctx.serverName}" (only for ${
        m[2] ? validNames(m[2]) : "other names"
      }); connect by one of its names or set --tls-server-name`,
      cause,
    );
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    const alt = message.includes("altnames: ") ? message.split("altnames: ").pop()! : "";
    const names = alt ? alt.replace(/DNS:|IP Address:/g, "").trim() : "other names";
    return new TlsError(
      "name-mismatch",
      `TLS: ${cert} is not valid for the name "${ctx.serverName}" (only for ${names}); ` +
        "connect by one of its names or set --tls-server-name",
      cause,
    );
  }
  if ((m = message.match(/invalid peer certificate: (.*)$/)) || UNTRUSTED_CODES.has(code)) {
    const detail = m
      ? (m[1] === "UnknownIssuer" ? "issued by a CA we do not trust" : m[1])
      : message;
    return new TlsError(
      "untrusted-certificate",
      `TLS: ${cert} is not trusted (${detail}); give its CA certificate with --tls-ca`,
      cause,
    );
  }
  if ((m = message.match(/received fatal alert: (\w+)/))) {
    const alert = m[1];
    const words = ALERTS[alert] ?? alert;
    if (CLIENT_CERT_ALERTS.has(alert)) {
      return new TlsError(
        "certificate-refused",
        ctx.clientCertificate
          ? `TLS: the peer (${ctx.peer}) refused our client certificate (TLS alert: ${words})`
          : `TLS: the peer (${ctx.peer}) requires a client certificate (TLS alert: ${words}); ` +
            "give one with --tls-cert and --tls-key",
        cause,
      );
    }
    const hint = alert === "HandshakeFailure" || alert === "ProtocolVersion" ||
        alert === "InsufficientSecurity"
      ? ": no TLS version or cipher suite in common (we offer TLS 1.2 and 1.3 only)" +
        (ctx.clientCertificate ? ", or it refused our client certificate" : "")
      : "";
    return new TlsError(
      "handshake",
      `TLS ${phase === "handshake" ? "handshake" : "connection"} with ${ctx.peer} failed ` +
        `(TLS alert: ${words})${hint}`,
      cause,
    );
  }
  if (/peer is incompatible|no shared cipher|unsupported protocol/i.test(message)) {
    return new TlsError(
      "handshake",
      `TLS handshake with ${ctx.peer} failed: ${message} (we offer TLS 1.2 and 1.3 only)`,
      cause,
    );
  }
  if (isNotTlsAnswer(err)) {
    return new TlsError(
      "not-tls",
      `TLS: the peer (${ctx.peer}) does not speak TLS: it answered our handshake with ` +
        "bytes that are not TLS (drop --tls, or use the peer's TLS port)",
      cause,
    );
  }
  return undefined;
}
