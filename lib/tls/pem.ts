/**
 * PEM files for TLS: read (with read permission only) and checked. The quick checks (each
 * block base64 of one DER structure) need nothing loaded; the deep one (the certificate parses,
 * the key belongs to it) loads `node:crypto`, about 150 ms, so a client runs it only to explain
 * a failed handshake.
 *
 * @module
 */

import { TlsError } from "./errors.ts";

/** PEM text and what to call it in messages (a file name). */
export interface PemSource {
  /** The PEM text. */
  pem: string;
  /** Its file name, or a description. */
  source: string;
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/g;
const KEY_BLOCK = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----([\s\S]+?)-----END \1-----/;

function shortOsError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  // "No such file or directory (os error 2): readfile 'x'" → "No such file or directory"
  return msg.replace(/ \(os error \d+\).*$/, "").replace(/: (readfile|open) '.*'$/, "");
}

/**
 * Reads a PEM file; a {@link TlsError} of kind `"bad-pem"` names it when it can't be read.
 *
 * @example
 * ```ts ignore
 * import { readPem } from "./pem.ts";
 * readPem("ca.pem", "the CA certificate file");
 * ```
 */
export function readPem(path: string, what: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    throw new TlsError("bad-pem", `TLS: cannot read ${what} ${path}: ${shortOsError(err)}`, {
      cause: err,
    });
  }
}

/** True when `b64` is base64 of exactly one DER SEQUENCE (a certificate or a key). */
function isDerSequence(b64: string): boolean {
  let der: string;
  try {
    der = atob(b64.replace(/\s+/g, ""));
  } catch {
    return false;
  }
  if (der.length < 2 || der.charCodeAt(0) !== 0x30) return false;
  const first = der.charCodeAt(1);
  let len = first;
  let header = 2;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n < 1 || n > 4) return false;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der.charCodeAt(2 + i);
    header += n;
  }
  return header + len === der.length;
}

/**
 * Checks that `pem` holds certificates, each well-formed (base64 of one DER structure).
 *
 * @example
 * ```ts ignore
 * import { checkCertificatePem } from "./pem.ts";
 * checkCertificatePem({ pem: await Deno.readTextFile("ca.pem"), source: "ca.pem" });
 * ```
 */
export function checkCertificatePem(c: PemSource): void {
  const blocks = [...c.pem.matchAll(CERT_BLOCK)];
  if (blocks.length === 0) {
    throw new TlsError(
      "bad-pem",
      `TLS: ${c.source} holds no PEM certificate ("-----BEGIN CERTIFICATE-----")`,
    );
  }
  blocks.forEach((b, i) => {
    if (!isDerSequence(b[1])) {
      throw new TlsError(
        "bad-pem",
        `TLS: certificate ${i + 1} in ${c.source} cannot be read: not base64 of a DER certificate`,
      );
    }
  });
}

/**
 * Checks that `pem` holds an unencrypted private key, well-formed.
 *
 * @example
 * ```ts ignore
 * import { checkKeyPem } from "./pem.ts";
 * checkKeyPem({ pem: await Deno.readTextFile("me.key"), source: "me.key" });
 * ```
 */
export function checkKeyPem(k: PemSource): void {
  const m = k.pem.match(KEY_BLOCK);
  if (!m) {
    throw new TlsError(
      "bad-pem",
      `TLS: ${k.source} holds no PEM private key ("-----BEGIN PRIVATE KEY-----")`,
    );
  }
  if (m[1].startsWith("ENCRYPTED")) {
    throw new TlsError(
      "bad-pem",
      `TLS: the private key in ${k.source} is encrypted; give it unencrypted ` +
        "(openssl pkey -in KEY -out PLAIN)",
    );
  }
  if (!isDerSequence(m[2])) {
    throw new TlsError(
      "bad-pem",
      `TLS: the private key in ${k.source} cannot be read: not base64 of a DER key`,
    );
  }
}

/**
 * The deep check: the certificate parses, the key parses and belongs to it. Resolves the
 * {@link TlsError} to report (`"bad-pem"` or `"key-mismatch"`), or `undefined` when all is well.
 *
 * @example
 * ```ts ignore
 * import { checkKeyPair } from "./pem.ts";
 * const problem = await checkKeyPair(
 *   { pem: await Deno.readTextFile("me.pem"), source: "me.pem" },
 *   { pem: await Deno.readTextFile("me.key"), source: "me.key" },
 * );
 * ```
 */
export async function checkKeyPair(
  cert: PemSource,
  key: PemSource,
): Promise<TlsError | undefined> {
  const crypto = await import("node:crypto");
  let leaf: InstanceType<typeof crypto.X509Certificate>;
  try {
    leaf = new crypto.X509Certificate(cert.pem.match(CERT_BLOCK)?.[0] ?? cert.pem);
  } catch (err) {
    return new TlsError(
      "bad-pem",
      `TLS: the certificate in ${cert.source} cannot be read: ${shortOsError(err)}`,
      { cause: err },
    );
  }
  let privateKey: ReturnType<typeof crypto.createPrivateKey>;
  try {
    privateKey = crypto.createPrivateKey(key.pem.match(KEY_BLOCK)?.[0] ?? key.pem);
  } catch (err) {
    return new TlsError(
      "bad-pem",
      `TLS: the private key in ${key.source} cannot be read: ${shortOsError(err)}`,
      { cause: err },
    );
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    return new TlsError(
      "key-mismatch",
      `TLS: the private key ${key.source} does not belong to the certificate ${cert.source}`,
    );
  }
  return undefined;
}
