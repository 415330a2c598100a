/**
 * DICOM over TLS between our sender and our own SCP (certificates made with openssl at test
 * time): server-only and mutual TLS store every file; each failure is one TlsError naming its
 * cause, every file is accounted for as not sent, and no association is claimed.
 */

import assert from "node:assert/strict";
import { storeFiles, type StoreReport } from "../lib/send.ts";
import { listenStorageScp, type ScpOptions, type StorageScp } from "../lib/scp.ts";
import { TlsError, type TlsErrorKind } from "../lib/tls/errors.ts";
import type { TlsClientOptions } from "../lib/tls/options.ts";
import { connect } from "../lib/connect.ts";
import { type TestCerts, testCerts } from "./tls_certs.ts";
import { repoRoot, writeCtFiles } from "./peers.ts";

async function files(count: number): Promise<string[]> {
  const dir = await Deno.makeTempDir({ prefix: "storescu-tls-" });
  return (await writeCtFiles(dir, count)).paths;
}

async function withScp(
  options: ScpOptions,
  body: (scp: StorageScp) => Promise<void>,
): Promise<void> {
  const scp = await listenStorageScp(options);
  try {
    await body(scp);
  } finally {
    await scp.close();
  }
}

async function send(
  scp: StorageScp,
  paths: string[],
  tls: TlsClientOptions | undefined,
): Promise<{ report: StoreReport; failures: Error[] }> {
  const failures: Error[] = [];
  const report = await storeFiles({
    address: "127.0.0.1",
    port: scp.port,
    paths,
    tls,
    timeouts: { acse: 5, dimse: 5, network: 5 },
    onEvent: (e) => {
      if (e.type === "association-failed") failures.push(e.error);
    },
  });
  return { report, failures };
}

/** The same trust on both client paths: server-only (Deno's TLS) and mutual (node:tls). */
function bothPaths(c: TestCerts): TlsClientOptions[] {
  return [
    { caFiles: [c.ca] },
    { caFiles: [c.ca], certFile: c.clientCert, keyFile: c.clientKey },
  ];
}

/** Every file not sent, for the one reason `kind`, whose words include `words`. */
function assertRefused(
  r: { report: StoreReport; failures: Error[] },
  count: number,
  kind: TlsErrorKind,
  words: RegExp,
) {
  assert.equal(r.failures.length, 1, r.failures.map((e) => e.message).join("\n"));
  const e = r.failures[0];
  assert.ok(e instanceof TlsError, `${e.name}: ${e.message}`);
  assert.equal(e.kind, kind, e.message);
  assert.match(e.message, words);
  assert.ok(!e.message.includes("\n"));
  assert.equal(r.report.noAssociation, true);
  assert.equal(r.report.associations, 0);
  assert.deepEqual(r.report.counts, {
    success: 0,
    warning: 0,
    failure: 0,
    "not-sent": count,
    skipped: 0,
  });
  for (const f of r.report.results) assert.equal(f.reason, e.message);
}

Deno.test("TLS: server-only (Deno's own TLS) and mutual TLS (node:tls) store every file", async () => {
  const c = await testCerts();
  const paths = await files(20);
  await withScp({ tls: { certFile: c.serverCert, keyFile: c.serverKey } }, async (scp) => {
    const r = await send(scp, paths, { caFiles: [c.ca] });
    assert.equal(r.report.counts.success, 20, JSON.stringify(r.report.counts));
    assert.equal(scp.received.length, 20);
  });
  await withScp({
    tls: { certFile: c.serverCert, keyFile: c.serverKey, caFiles: [c.ca], requireClientCert: true },
  }, async (scp) => {
    const r = await send(scp, paths, {
      caFiles: [c.ca],
      certFile: c.clientCert,
      keyFile: c.clientKey,
      serverName: "localhost",
    });
    assert.equal(r.report.counts.success, 20, JSON.stringify(r.report.counts));
    assert.deepEqual(scp.received.map((o) => o.length), r.report.results.map((f) => f.bytes));
  });
});

Deno.test("TLS: the peer's certificate untrusted, expired, or for another name", async () => {
  const c = await testCerts();
  const paths = await files(2);
  await withScp({ tls: { certFile: c.serverCert, keyFile: c.serverKey } }, async (scp) => {
    assertRefused(
      await send(scp, paths, { caFiles: [c.otherCert] }),
      2,
      "untrusted-certificate",
      /^TLS: the peer's certificate \(127\.0\.0\.1:\d+\) is not trusted .*--tls-ca$/,
    );
    // Mutual TLS (node:tls) words it the same way.
    assertRefused(
      await send(scp, paths, {
        caFiles: [c.otherCert],
        certFile: c.clientCert,
        keyFile: c.clientKey,
      }),
      2,
      "untrusted-certificate",
      /is not trusted/,
    );
    for (const tls of bothPaths(c)) {
      assertRefused(
        await send(scp, paths, { ...tls, serverName: "pacs.example.org" }),
        2,
        "name-mismatch",
        /not valid for the name "pacs\.example\.org" \(only for localhost, 127\.0\.0\.1\)/,
      );
    }
  });
  await withScp({ tls: { certFile: c.expiredCert, keyFile: c.expiredKey } }, async (scp) => {
    for (const tls of bothPaths(c)) {
      assertRefused(
        await send(scp, paths, tls),
        2,
        "expired-certificate",
        /has expired \(not valid after 2021-01-01T00:00:00Z\)/,
      );
    }
  });
});

Deno.test("TLS: --tls-insecure connects to an untrusted, expired certificate", async () => {
  const c = await testCerts();
  const paths = await files(2);
  await withScp({ tls: { certFile: c.expiredCert, keyFile: c.expiredKey } }, async (scp) => {
    const r = await send(scp, paths, { insecure: true, serverName: "wrong.example" });
    assert.equal(r.report.counts.success, 2);
  });
});

Deno.test("TLS: an SCP that requires a client certificate refuses none, or an untrusted one", async () => {
  const c = await testCerts();
  const paths = await files(2);
  const tlsErrors: Error[] = [];
  await withScp({
    tls: { certFile: c.serverCert, keyFile: c.serverKey, caFiles: [c.ca], requireClientCert: true },
    onTlsError: (e) => tlsErrors.push(e),
  }, async (scp) => {
    // TLS 1.3: the refusal comes after our side of the handshake, at the first read.
    const none = await send(scp, paths, { caFiles: [c.ca] });
    assertRefused(none, 2, "certificate-refused", /requires a client certificate.*--tls-cert/);
    // node:tls's server closes without an alert for an untrusted certificate.
    assertRefused(
      await send(scp, paths, { caFiles: [c.ca], certFile: c.otherCert, keyFile: c.otherKey }),
      2,
      "certificate-refused",
      /hung up right after the TLS handshake, .* does not accept our client certificate$/,
    );
    assert.equal(scp.requests.length, 0, "no association request reached the SCP");
  });
  assert.ok(tlsErrors.length >= 2);
});

Deno.test("TLS: our key not matching our certificate, and unreadable or non-PEM files", async () => {
  const c = await testCerts();
  const paths = await files(1);
  await withScp({ tls: { certFile: c.serverCert, keyFile: c.serverKey } }, async (scp) => {
    const cases: [TlsClientOptions, TlsErrorKind, RegExp][] = [
      [
        { caFiles: [c.ca], certFile: c.clientCert, keyFile: c.serverKey },
        "key-mismatch",
        /the private key .*server\.key does not belong to the certificate .*client\.pem/,
      ],
      [
        { caFiles: [`${c.dir}/missing.pem`] },
        "bad-pem",
        /cannot read the CA certificate file .*missing\.pem: No such file or directory/,
      ],
      [{ caFiles: [c.serverKey] }, "bad-pem", /server\.key holds no PEM certificate/],
      [
        { caFiles: [c.ca], certFile: c.clientCert, keyFile: c.clientCert },
        "bad-pem",
        /client\.pem holds no PEM private key/,
      ],
      [
        { caFiles: [c.ca], certFile: c.clientCert },
        "bad-pem",
        /needs its private key \(--tls-key\)/,
      ],
      [
        {
          caCerts: ["-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----"],
        },
        "bad-pem",
        /certificate 1 in CA certificate text 1 cannot be read/,
      ],
      [
        // Well-formed DER, but a certificate where the key should be: found when node:tls
        // refuses it, by the deep check.
        {
          caFiles: [c.ca],
          certFile: c.clientCert,
          key: (await Deno.readTextFile(c.clientCert)).replaceAll("CERTIFICATE", "PRIVATE KEY"),
        },
        "bad-pem",
        /^TLS: the private key in the private key file given cannot be read: /,
      ],
    ];
    for (const [tls, kind, words] of cases) {
      assertRefused(await send(scp, paths, tls), 1, kind, words);
    }
    assert.equal(scp.requests.length, 0);
  });
});

Deno.test("TLS: plain DICOM to a TLS port, and TLS to a plain DICOM port, name the cause", async () => {
  const c = await testCerts();
  const paths = await files(1);
  // Our TLS SCP answers a plain A-ASSOCIATE-RQ with a TLS alert.
  await withScp({ tls: { certFile: c.serverCert, keyFile: c.serverKey } }, async (scp) => {
    assertRefused(
      await send(scp, paths, undefined),
      1,
      "expects-tls",
      /^The peer \(127\.0\.0\.1:\d+\) expects DICOM over TLS: .*; use --tls$/,
    );
  });
  // Our plain SCP answers a ClientHello with an A-ABORT.
  await withScp({}, async (scp) => {
    for (const tls of bothPaths(c)) {
      assertRefused(
        await send(scp, paths, tls),
        1,
        "not-tls",
        /speaks plain DICOM, not TLS: .* \(drop --tls, or use the peer's TLS port\)$/,
      );
    }
  });
});

Deno.test("TLS: connect() without tls is plain TCP; a refused port is a ConnectError either way", async () => {
  const c = await testCerts();
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  for (const tls of [undefined, { caFiles: [c.ca] }, { insecure: true }]) {
    await assert.rejects(
      connect({ hostname: "127.0.0.1", port, timeoutSeconds: 5, tls }),
      (e: Error) => e.name === "ConnectError" && /Connection refused/.test(e.message),
    );
  }
});

Deno.test("TLS: the demo's certificates (made without openssl) carry mutual TLS; DCMTK storescu +tls uses them on our SCP", async () => {
  const certs = `${repoRoot}/testdata/tls`;
  const paths = await files(3);
  const names: string[] = [];
  await withScp({
    tls: {
      certFile: `${certs}/scp.pem`,
      keyFile: `${certs}/scp.key`,
      caFiles: [`${certs}/ca.pem`],
      requireClientCert: true,
    },
    userIdentity: {
      check: (id) => {
        names.push(id?.type === "username" ? id.username : "?");
        return true;
      },
    },
  }, async (scp) => {
    const r = await storeFiles({
      address: "127.0.0.1",
      port: scp.port,
      paths,
      tls: {
        caFiles: [`${certs}/ca.pem`],
        certFile: `${certs}/client.pem`,
        keyFile: `${certs}/client.key`,
      },
      userIdentity: { type: "username", username: "demo", positiveResponse: true },
    });
    assert.equal(r.counts.success, 3);
    const dcmtk = await new Deno.Command("storescu", {
      args: [
        "+tls",
        `${certs}/client.key`,
        `${certs}/client.pem`,
        "+cf",
        `${certs}/ca.pem`,
        "-usr",
        "dcmtk",
        "127.0.0.1",
        String(scp.port),
        paths[0],
      ],
      env: { TCP_NODELAY: "1" },
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(dcmtk.code, 0, new TextDecoder().decode(dcmtk.stderr));
    assert.equal(scp.received.length, 4);
  });
  assert.deepEqual(names, ["demo", "dcmtk"]);
  // Valid for a century: the demo keeps working.
  const { X509Certificate } = await import("node:crypto");
  const cert = new X509Certificate(await Deno.readTextFile(`${certs}/scp.pem`));
  assert.ok(new Date(cert.validTo).getUTCFullYear() >= 2125);
});
