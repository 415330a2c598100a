/**
 * TLS settings for both roles, and loading them: PEM files read (with `-R` only), checked
 * (certificates parse, the private key belongs to the certificate) and turned into one-line
 * {@link TlsError}s of kind `"bad-pem"` or `"key-mismatch"` when they are not usable.
 *
 * @module
 */

import { TlsError } from "./errors.ts";
import { checkCertificatePem, checkKeyPair, checkKeyPem, type PemSource, readPem } from "./pem.ts";

/**
 * How storescu speaks DICOM over TLS as a client. TLS 1.2 and 1.3 only, with the cipher suites
 * Deno's TLS (rustls) offers by default (PS3.15 B.12, the BCP 195 profile of RFC 9325).
 *
 * @example
 * ```ts
 * import type { TlsClientOptions } from "./options.ts";
 * const tls: TlsClientOptions = {
 *   caFiles: ["hospital-ca.pem"],
 *   certFile: "modality.pem",
 *   keyFile: "modality.key",
 *   serverName: "pacs.hospital.example",
 * };
 * ```
 */
export interface TlsClientOptions {
  /**
   * Trusted CA certificates, PEM files (each may hold several). Without these and without
   * `caCerts`: the system's CA bundle (see {@link systemCaFile}), with Deno's built-in roots.
   */
  caFiles?: string[];
  /** Trusted CA certificates as PEM text, in addition to `caFiles`. */
  caCerts?: string[];
  /** Our certificate (PEM file), for peers that require one (mutual TLS); needs `keyFile`. */
  certFile?: string;
  /** The private key of `certFile` (PEM file, not encrypted). */
  keyFile?: string;
  /** Our certificate as PEM text (instead of `certFile`). */
  cert?: string;
  /** Our private key as PEM text (instead of `keyFile`). */
  key?: string;
  /**
   * The name the peer's certificate must carry, also sent as SNI when it is a DNS name
   * (default: the address connected to).
   */
  serverName?: string;
  /** Skip every check of the peer's certificate. Anyone on the path can then read and alter. */
  insecure?: boolean;
}

/**
 * TLS for our Storage SCP: its certificate and key, and optionally the CAs whose client
 * certificates it accepts (required with `requireClientCert`).
 *
 * @example
 * ```ts
 * import type { TlsServerOptions } from "./options.ts";
 * const tls: TlsServerOptions = {
 *   certFile: "scp.pem",
 *   keyFile: "scp.key",
 *   caFiles: ["modalities-ca.pem"],
 *   requireClientCert: true,
 * };
 * ```
 */
export interface TlsServerOptions {
  /** The SCP's certificate (PEM file). */
  certFile?: string;
  /** Its private key (PEM file). */
  keyFile?: string;
  /** The certificate as PEM text (instead of `certFile`). */
  cert?: string;
  /** The key as PEM text (instead of `keyFile`). */
  key?: string;
  /** CAs trusted for client certificates (PEM files). */
  caFiles?: string[];
  /** The same as PEM text. */
  caCerts?: string[];
  /** Refuse clients without a certificate issued by one of the CAs (default false). */
  requireClientCert?: boolean;
}

/** Settings with every file read and checked. */
export interface LoadedTls {
  /** Trusted CA certificates, PEM text. */
  caCerts: string[];
  /** Our certificate, PEM text. */
  cert?: string;
  /** Our private key, PEM text. */
  key?: string;
  /** Our certificate and where it came from (for messages). */
  certSource?: PemSource;
  /** Our key and where it came from. */
  keySource?: PemSource;
}

/** Where Linux distributions and macOS keep the system's CA bundle, first found is used. */
const SYSTEM_CA_FILES = [
  "/etc/ssl/certs/ca-certificates.crt",
  "/etc/pki/tls/certs/ca-bundle.crt",
  "/etc/ssl/ca-bundle.pem",
  "/etc/ssl/cert.pem",
];

/**
 * The system's CA bundle file, or `undefined` when none of the usual places has one.
 *
 * @example
 * ```ts ignore
 * import { systemCaFile } from "./options.ts";
 * systemCaFile(); // "/etc/ssl/certs/ca-certificates.crt" on Debian
 * ```
 */
export function systemCaFile(): string | undefined {
  for (const f of SYSTEM_CA_FILES) {
    try {
      if (Deno.statSync(f).isFile) return f;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The PEM text of a certificate or key given either way, with the name to call it by. */
function material(
  file: string | undefined,
  text: string | undefined,
  what: string,
): PemSource | undefined {
  if (file !== undefined) return { pem: readPem(file, what), source: file };
  if (text !== undefined) return { pem: text, source: `the ${what} given` };
  return undefined;
}

/**
 * Reads and checks TLS settings: every CA file (or the system's bundle when none is given), our
 * certificate and key, each well-formed PEM (base64 of DER). For a server (our SCP) the key
 * must also belong to the certificate; a client checks that with {@link checkKeyPair} only when
 * its handshake fails, sparing the send path `node:crypto`'s loading time. Throws a
 * {@link TlsError} of kind `"bad-pem"` or `"key-mismatch"` naming the file.
 *
 * @example
 * ```ts ignore
 * import { loadTls } from "jsr:@x/storescu/association";
 * const loaded = await loadTls({ caFiles: ["ca.pem"], certFile: "me.pem", keyFile: "me.key" });
 * loaded.caCerts.length; // 1
 * ```
 */
export async function loadTls(
  options: TlsClientOptions | TlsServerOptions,
  role: "client" | "server" = "client",
): Promise<LoadedTls> {
  const cas: PemSource[] = [];
  for (const f of options.caFiles ?? []) {
    cas.push({ pem: readPem(f, "the CA certificate file"), source: f });
  }
  for (const [i, pem] of (options.caCerts ?? []).entries()) {
    cas.push({ pem, source: `CA certificate text ${i + 1}` });
  }
  const cert = material(options.certFile, options.cert, "certificate file");
  const key = material(options.keyFile, options.key, "private key file");
  if (role === "server" && (!cert || !key)) {
    throw new TlsError("bad-pem", "TLS: the SCP needs a certificate and its private key");
  }
  if (!!cert !== !!key) {
    throw new TlsError(
      "bad-pem",
      cert
        ? `TLS: the certificate ${cert.source} needs its private key (--tls-key)`
        : `TLS: the private key ${key!.source} needs its certificate (--tls-cert)`,
    );
  }
  for (const ca of cas) checkCertificatePem(ca);
  if (cert && key) {
    checkCertificatePem(cert);
    checkKeyPem(key);
    if (role === "server") {
      const e = await checkKeyPair(cert, key);
      if (e) throw e;
    }
  }
  const caCerts = cas.map((c) => c.pem);
  if (caCerts.length === 0 && role === "client") {
    const system = systemCaFile();
    if (system) {
      try {
        caCerts.push(Deno.readTextFileSync(system));
      } catch {
        // unreadable: Deno's built-in roots only
      }
    }
  }
  return { caCerts, cert: cert?.pem, key: key?.pem, certSource: cert, keySource: key };
}
