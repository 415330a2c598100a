/**
 * TLS error wording: what Deno's TLS (rustls) and node:tls report, turned into one line that
 * names the cause; and the node-socket adapter's reads (order, back-pressure, errors).
 */

import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { classifyTlsError, type TlsErrorKind } from "../lib/tls/errors.ts";
import { SocketTransport } from "../lib/tls/socket.ts";

const ctx = { peer: "pacs:2762", serverName: "pacs", clientCertificate: false };
const withCert = { ...ctx, clientCertificate: true };

function code(message: string, c: string): Error {
  return Object.assign(new Error(message), { code: c });
}

Deno.test("classifyTlsError: rustls and node:tls failures, each named", () => {
  const cases: [Error, typeof ctx, TlsErrorKind, string][] = [
    [
      new Error("invalid peer certificate: UnknownIssuer"),
      ctx,
      "untrusted-certificate",
      "TLS: the peer's certificate (pacs:2762) is not trusted (issued by a CA we do not trust); " +
      "give its CA certificate with --tls-ca",
    ],
    [
      code("self-signed certificate in certificate chain", "SELF_SIGNED_CERT_IN_CHAIN"),
      ctx,
      "untrusted-certificate",
      "TLS: the peer's certificate (pacs:2762) is not trusted (self-signed certificate in " +
      "certificate chain); give its CA certificate with --tls-ca",
    ],
    [
      new Error(
        "invalid peer certificate: certificate expired: verification time 1796544650 (UNIX), " +
          "but certificate is not valid after 1609459200 (187085450 seconds ago)",
      ),
      ctx,
      "expired-certificate",
      "TLS: the peer's certificate (pacs:2762) has expired (not valid after 2021-01-01T00:00:00Z)",
    ],
    [
      new Error(
        "invalid peer certificate: certificate not valid yet: verification time 1 (UNIX), " +
          "but certificate is not valid before 1609459200 (1609459199 seconds in the future)",
      ),
      ctx,
      "expired-certificate",
      "TLS: the peer's certificate (pacs:2762) is not valid yet (not before 2021-01-01T00:00:00Z)",
    ],
    [
      code("certificate has expired", "CERT_HAS_EXPIRED"),
      ctx,
      "expired-certificate",
      "TLS: the peer's certificate (pacs:2762) has expired",
    ],
    [
      new Error(
        'invalid peer certificate: certificate not valid for name "pacs"; certificate is only ' +
          'valid for DnsName("localhost") or IpAddress(127.0.0.1)',
      ),
      ctx,
      "name-mismatch",
      'TLS: the peer\'s certificate (pacs:2762) is not valid for the name "pacs" (only for ' +
      "localhost, 127.0.0.1); connect by one of its names or set --tls-server-name",
    ],
    [
      code(
        "Hostname/IP does not match certificate's altnames: Host: pacs. is not in the cert's " +
          "altnames: DNS:localhost, IP Address:127.0.0.1",
        "ERR_TLS_CERT_ALTNAME_INVALID",
      ),
      ctx,
      "name-mismatch",
      'TLS: the peer\'s certificate (pacs:2762) is not valid for the name "pacs" (only for ' +
      "localhost, 127.0.0.1); connect by one of its names or set --tls-server-name",
    ],
    [
      new Error("received fatal alert: CertificateRequired"),
      ctx,
      "certificate-refused",
      "TLS: the peer (pacs:2762) requires a client certificate (TLS alert: certificate " +
      "required); give one with --tls-cert and --tls-key",
    ],
    [
      code("received fatal alert: UnknownCA", "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA"),
      withCert,
      "certificate-refused",
      "TLS: the peer (pacs:2762) refused our client certificate (TLS alert: unknown CA)",
    ],
    [
      new Error("received fatal alert: HandshakeFailure"),
      ctx,
      "handshake",
      "TLS handshake with pacs:2762 failed (TLS alert: handshake failure): no TLS version or " +
      "cipher suite in common (we offer TLS 1.2 and 1.3 only)",
    ],
    [
      new Error("received corrupt message of type InvalidContentType"),
      ctx,
      "not-tls",
      "TLS: the peer (pacs:2762) does not speak TLS: it answered our handshake with bytes that " +
      "are not TLS (drop --tls, or use the peer's TLS port)",
    ],
  ];
  for (const [err, c, kind, message] of cases) {
    const e = classifyTlsError(err, "handshake", c);
    assert.equal(e?.kind, kind, err.message);
    assert.equal(e?.message, message);
    assert.equal(e?.cause, err);
  }
  assert.equal(
    classifyTlsError(new Deno.errors.ConnectionReset("reset"), "handshake", ctx),
    undefined,
  );
});

class FakeSocket extends EventEmitter {
  paused = 0;
  resumed = 0;
  destroyed = false;
  written: Uint8Array[] = [];
  write(data: Uint8Array, cb: (err?: Error | null) => void): boolean {
    this.written.push(data.slice());
    queueMicrotask(() => cb(this.destroyed ? new Error("EPIPE") : null));
    return true;
  }
  pause() {
    this.paused++;
  }
  resume() {
    this.resumed++;
  }
  destroy() {
    this.destroyed = true;
  }
}

Deno.test("SocketTransport: bytes in order across chunks, then the error; paused while 1 MiB waits", async () => {
  const s = new FakeSocket();
  const t = new SocketTransport(s, (e) => new Error(`mapped: ${e.message}`));
  s.emit("data", new Uint8Array([1, 2, 3]));
  s.emit("data", new Uint8Array([4, 5]));
  const p = new Uint8Array(4);
  assert.equal(await t.read(p), 4);
  assert.deepEqual([...p], [1, 2, 3, 4]);
  assert.equal(await t.read(p), 1);
  assert.equal(p[0], 5);
  const pending = t.read(p);
  s.emit("data", new Uint8Array(1 << 20).fill(6));
  assert.equal(s.paused, 1);
  assert.equal(await pending, 4);
  const big = new Uint8Array(1 << 20);
  assert.equal(await t.read(big), (1 << 20) - 4);
  assert.equal(big[0], 6);
  assert.equal(s.resumed, 1);
  s.emit("error", new Error("alert"));
  await assert.rejects(t.read(p), /mapped: alert/);
  await assert.rejects(t.write(p), /mapped: alert/);
});

Deno.test("SocketTransport: end of stream reads null; writes resolve once handed on; close is idempotent", async () => {
  const s = new FakeSocket();
  const t = new SocketTransport(s, (e) => e);
  assert.equal(await t.write(new Uint8Array([7, 8])), 2);
  assert.deepEqual(s.written, [new Uint8Array([7, 8])]);
  const pending = t.read(new Uint8Array(4));
  s.emit("end");
  assert.equal(await pending, null);
  t.close();
  t.close();
  assert.equal(s.destroyed, true);
  await assert.rejects(t.write(new Uint8Array(1)));
});
