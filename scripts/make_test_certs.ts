/**
 * Makes the TEST-ONLY certificates of `testdata/tls/` for `deno task demo --tls`, with nothing
 * but Deno (WebCrypto ECDSA P-256 keys, X.509 v3 written in DER here): a demo CA, an SCP
 * certificate for `localhost`/`127.0.0.1`, and a client certificate, valid 2025–2125. Their
 * private keys are in the repository on purpose: never trust this CA anywhere.
 *
 * Run: `deno run -W=testdata/tls scripts/make_test_certs.ts`.
 *
 * @module
 */

const enc = new TextEncoder();

function len(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v >>= 8) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

/** One DER element: tag, length, content. */
function tlv(tag: number, content: ArrayLike<number>): number[] {
  return [tag, ...len(content.length), ...Array.from(content)];
}

const seq = (...items: number[][]) => tlv(0x30, items.flat());
const set = (...items: number[][]) => tlv(0x31, items.flat());
const explicit = (n: number, item: number[]) => tlv(0xa0 + n, item);
const octets = (b: ArrayLike<number>) => tlv(0x04, b);
const bits = (b: ArrayLike<number>) => tlv(0x03, [0, ...Array.from(b)]);
const utf8 = (s: string) => tlv(0x0c, enc.encode(s));
const bool = (v: boolean) => tlv(0x01, [v ? 0xff : 0]);

function int(bytes: ArrayLike<number>): number[] {
  let b = Array.from(bytes);
  while (b.length > 1 && b[0] === 0 && b[1] < 0x80) b = b.slice(1);
  if (b[0] >= 0x80) b = [0, ...b];
  return tlv(0x02, b);
}

function oid(dotted: string): number[] {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const out = [a * 40 + b];
  for (const v of rest) {
    const part: number[] = [v & 0x7f];
    for (let x = v >> 7; x > 0; x >>= 7) part.unshift(0x80 | (x & 0x7f));
    out.push(...part);
  }
  return tlv(0x06, out);
}

function time(d: Date): number[] {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}` +
    `${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  const y = d.getUTCFullYear();
  // RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
  return y < 2050
    ? tlv(0x17, enc.encode(`${p(y % 100)}${rest}`))
    : tlv(0x18, enc.encode(`${p(y, 4)}${rest}`));
}

const name = (cn: string) => seq(set(seq(oid("2.5.4.3"), utf8(cn))));
const ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"));

function extension(id: string, critical: boolean, value: number[]): number[] {
  return seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));
}

/** ECDSA's raw r||s signature as the DER SEQUENCE X.509 wants. */
function derSignature(raw: Uint8Array): number[] {
  return seq(int(raw.subarray(0, 32)), int(raw.subarray(32)));
}

function pem(label: string, der: ArrayLike<number>): string {
  const b64 = btoa(String.fromCharCode(...Array.from(der)));
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
}

interface Issued {
  keys: CryptoKeyPair;
  keyId: Uint8Array;
  cn: string;
  pem: string;
  keyPem: string;
}

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;

async function issue(
  cn: string,
  kind: "ca" | "server" | "client",
  issuer?: Issued,
): Promise<Issued> {
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", keys.publicKey));
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", keys.publicKey));
  const keyId = new Uint8Array(await crypto.subtle.digest("SHA-1", raw));
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0] & 0x7f) | 0x10;
  const extensions = [
    extension("2.5.29.19", true, kind === "ca" ? seq(bool(true)) : seq()),
    // keyUsage: keyCertSign + cRLSign for the CA, digitalSignature for the others.
    extension("2.5.29.15", true, kind === "ca" ? tlv(0x03, [1, 0x06]) : tlv(0x03, [7, 0x80])),
    extension("2.5.29.14", false, octets(keyId)),
  ];
  if (issuer) {
    extensions.push(extension("2.5.29.35", false, seq(tlv(0x80, issuer.keyId))));
  }
  if (kind !== "ca") {
    const usage = kind === "server" ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2";
    extensions.push(extension("2.5.29.37", false, seq(oid(usage))));
    // subjectAltName: dNSName localhost, iPAddress 127.0.0.1
    extensions.push(
      extension(
        "2.5.29.17",
        false,
        seq(tlv(0x82, enc.encode("localhost")), tlv(0x87, [127, 0, 0, 1])),
      ),
    );
  }
  const tbs = seq(
    explicit(0, int([2])),
    int(serial),
    ECDSA_SHA256,
    name(issuer?.cn ?? cn),
    seq(time(new Date(Date.UTC(2025, 0, 1))), time(new Date(Date.UTC(2125, 0, 1)))),
    name(cn),
    Array.from(spki),
    explicit(3, seq(...extensions)),
  );
  const signer = issuer?.keys.privateKey ?? keys.privateKey;
  const sig = new Uint8Array(
    await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, signer, new Uint8Array(tbs)),
  );
  const cert = seq(tbs, ECDSA_SHA256, bits(derSignature(sig)));
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  return { keys, keyId, cn, pem: pem("CERTIFICATE", cert), keyPem: pem("PRIVATE KEY", pkcs8) };
}

/**
 * Makes a demo CA and an SCP and a client certificate it signed, as PEM text.
 *
 * @example
 * ```ts ignore
 * import { makeDemoCertificates } from "./make_test_certs.ts";
 * const { ca, scp, client } = await makeDemoCertificates();
 * ```
 */
export async function makeDemoCertificates(): Promise<{
  ca: string;
  scp: { cert: string; key: string };
  client: { cert: string; key: string };
}> {
  const ca = await issue("storescu demo CA (TEST ONLY)", "ca");
  const scp = await issue("storescu demo SCP", "server", ca);
  const client = await issue("storescu demo client", "client", ca);
  return {
    ca: ca.pem,
    scp: { cert: scp.pem, key: scp.keyPem },
    client: { cert: client.pem, key: client.keyPem },
  };
}

if (import.meta.main) {
  const dir = new URL("../testdata/tls/", import.meta.url);
  await Deno.mkdir(dir, { recursive: true });
  const { ca, scp, client } = await makeDemoCertificates();
  const files: Record<string, string> = {
    "ca.pem": ca,
    "scp.pem": scp.cert,
    "scp.key": scp.key,
    "client.pem": client.cert,
    "client.key": client.key,
  };
  for (const [f, text] of Object.entries(files)) await Deno.writeTextFile(new URL(f, dir), text);
  console.log(`wrote ${Object.keys(files).join(", ")} to testdata/tls/ (TEST ONLY)`);
}
