/**
 * DICOM over TLS against real peers, certificates made with openssl at test time: DCMTK
 * `storescp +tls` (server-only, and requiring a client certificate, its default) and Orthanc
 * with DicomTlsEnabled (mutual TLS). Every file stored; every error case gives its one line,
 * the per-file account and exit status 1; DCMTK's `storescu +tls` is the reference client on
 * the same peers.
 */

import assert from "node:assert/strict";
import {
  type CliRun,
  corpusDir,
  listDir,
  repoRoot,
  runCli,
  startOrthanc,
  startStorescp,
  type Storescp,
  writeCtFiles,
} from "./peers.ts";
import { type TestCerts, testCerts } from "./tls_certs.ts";

async function ctDir(count: number): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "storescu-tlsct-" });
  await writeCtFiles(dir, count);
  return dir;
}

async function withStorescp(
  args: string[],
  body: (scp: Storescp) => Promise<void>,
): Promise<string> {
  const scp = await startStorescp(args);
  try {
    await body(scp);
  } finally {
    await scp.stop();
  }
  return scp.dir;
}

/** storescp over TLS with `cert`/`key`, trusting client certificates of the test CA. */
function tlsArgs(c: TestCerts, verify: "-rc" | "-ic", cert = c.serverCert, key = c.serverKey) {
  return ["+tls", key, cert, "+cf", c.ca, verify];
}

/** DCMTK's storescu, the reference client: its exit status. */
async function dcmtkStorescu(args: string[]): Promise<number> {
  const r = await new Deno.Command("storescu", {
    args,
    env: { TCP_NODELAY: "1" },
    stdout: "null",
    stderr: "null",
  }).output();
  return r.code;
}

/** Exit 1, the cause on the first line, each file not sent for it, the summary last. */
function assertFailedRun(r: CliRun, files: number, cause: RegExp) {
  assert.equal(r.code, 1, r.stderr);
  const first = r.lines[0].replace(/^E: /, "");
  assert.match(r.lines[0], /^E: /);
  assert.match(first, cause);
  const notSent = r.lines.filter((l) => l.startsWith("E: Not sent: "));
  assert.equal(notSent.length, files, r.stderr);
  for (const l of notSent) assert.ok(l.endsWith(`: ${first}`), l);
  assert.equal(
    r.lines.at(-1),
    `Summary: ${files} files: 0 success, 0 warning, 0 failed, ${files} not sent`,
  );
  assert.equal(r.lines.length, files + 2, r.stderr);
  assert.ok(!r.stderr.includes("    at "), "no stack trace");
}

Deno.test("DCMTK storescp +tls: server-only and mutual TLS store every file; storescu +tls too", async () => {
  const c = await testCerts();
  const dir = await ctDir(30);
  const serverOnly = await withStorescp(tlsArgs(c, "-ic"), async (scp) => {
    const r = await runCli(["127.0.0.1", String(scp.port), dir, "--tls", "--tls-ca", c.ca]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.lines.at(-1), "Summary: 30 files: 30 success, 0 warning, 0 failed, 0 not sent");
    assert.equal(
      await dcmtkStorescu([
        "+tla",
        "+cf",
        c.ca,
        "127.0.0.1",
        String(scp.port),
        `${dir}/ct00000.dcm`,
      ]),
      0,
    );
  });
  assert.equal((await listDir(serverOnly)).length, 30);
  const mutual = await withStorescp(tlsArgs(c, "-rc"), async (scp) => {
    const r = await runCli([
      "127.0.0.1",
      String(scp.port),
      dir,
      "--tls",
      "--tls-ca",
      c.ca,
      "--tls-cert",
      c.clientCert,
      "--tls-key",
      c.clientKey,
      "--tls-server-name",
      "localhost",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.lines.at(-1), "Summary: 30 files: 30 success, 0 warning, 0 failed, 0 not sent");
    const ref = [
      "+tls",
      c.clientKey,
      c.clientCert,
      "+cf",
      c.ca,
      "127.0.0.1",
      String(scp.port),
      `${dir}/ct00001.dcm`,
    ];
    assert.equal(await dcmtkStorescu(ref), 0);
  });
  assert.equal((await listDir(mutual)).length, 30);
});

Deno.test("DCMTK storescp +tls: every error case gives its line, the account and exit 1", async () => {
  const c = await testCerts();
  const dir = await ctDir(3);
  const cli = (port: number, ...extra: string[]) =>
    runCli(["127.0.0.1", String(port), dir, "-tn", "5", ...extra]);
  const mutualArgs = ["--tls-cert", c.clientCert, "--tls-key", c.clientKey];
  const stored = await withStorescp(tlsArgs(c, "-rc"), async (scp) => {
    const p = scp.port;
    assertFailedRun(
      await cli(p, "--tls", "--tls-ca", c.otherCert, ...mutualArgs),
      3,
      /^TLS: the peer's certificate \(127\.0\.0\.1:\d+\) is not trusted \(.*\); give its CA certificate with --tls-ca$/,
    );
    assertFailedRun(
      await cli(
        p,
        "--tls",
        "--tls-ca",
        c.ca,
        "--tls-server-name",
        "pacs.example.org",
        ...mutualArgs,
      ),
      3,
      /is not valid for the name "pacs\.example\.org" \(only for localhost, 127\.0\.0\.1\); connect by one of its names or set --tls-server-name$/,
    );
    assertFailedRun(
      await cli(p, "--tls", "--tls-ca", c.ca),
      3,
      /^TLS: the peer \(127\.0\.0\.1:\d+\) requires a client certificate \(TLS alert: certificate required\); give one with --tls-cert and --tls-key$/,
    );
    assertFailedRun(
      await cli(p, "--tls", "--tls-ca", c.ca, "--tls-cert", c.otherCert, "--tls-key", c.otherKey),
      3,
      /^TLS: the peer \(127\.0\.0\.1:\d+\) refused our client certificate \(TLS alert: .*\)$/,
    );
    assertFailedRun(
      await cli(p),
      3,
      /^The peer \(127\.0\.0\.1:\d+\) expects DICOM over TLS: it hung up on our A-ASSOCIATE-RQ and answers a TLS handshake; use --tls$/,
    );
    assertFailedRun(
      await cli(p, "--tls", "--tls-ca", c.ca, "--tls-cert", c.clientCert, "--tls-key", c.serverKey),
      3,
      /^TLS: the private key .*server\.key does not belong to the certificate .*client\.pem$/,
    );
    assertFailedRun(
      await cli(p, "--tls", "--tls-ca", `${c.dir}/no-such-ca.pem`),
      3,
      /^TLS: cannot read the CA certificate file .*no-such-ca\.pem: No such file or directory$/,
    );
    assertFailedRun(
      await cli(p, "--tls", "--tls-ca", `${dir}/ct00000.dcm`),
      3,
      /^TLS: .*ct00000\.dcm holds no PEM certificate/,
    );
    // The reference client fails on the same mistakes.
    assert.notEqual(
      await dcmtkStorescu(["+tla", "+cf", c.ca, "127.0.0.1", String(p), `${dir}/ct00000.dcm`]),
      0,
    );
  });
  assert.equal((await listDir(stored)).length, 0);
  await withStorescp(tlsArgs(c, "-ic", c.expiredCert, c.expiredKey), async (scp) => {
    assertFailedRun(
      await cli(scp.port, "--tls", "--tls-ca", c.ca),
      3,
      /^TLS: the peer's certificate \(127\.0\.0\.1:\d+\) has expired \(not valid after 2021-01-01T00:00:00Z\)$/,
    );
    // With a client certificate the handshake goes through node:tls: the same words.
    assertFailedRun(
      await cli(scp.port, "--tls", "--tls-ca", c.ca, ...mutualArgs),
      3,
      /has expired \(not valid after 2021-01-01T00:00:00Z\)$/,
    );
  });
  await withStorescp([], async (scp) => {
    for (const extra of [[], mutualArgs]) {
      assertFailedRun(
        await cli(scp.port, "--tls", "--tls-ca", c.ca, ...extra),
        3,
        /^TLS: the peer \(127\.0\.0\.1:\d+\) speaks plain DICOM, not TLS: it hung up on our TLS handshake and answers a plain A-ASSOCIATE-RQ \(drop --tls, or use the peer's TLS port\)$/,
      );
    }
  });
});

Deno.test("DCMTK storescp +tls: --tls-insecure sends anyway, with a W: line on every run", async () => {
  const c = await testCerts();
  const dir = await ctDir(2);
  await withStorescp(tlsArgs(c, "-ic", c.expiredCert, c.expiredKey), async (scp) => {
    for (const level of [[], ["-v"]]) {
      const r = await runCli([
        "127.0.0.1",
        String(scp.port),
        dir,
        "--tls",
        "--tls-insecure",
        ...level,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.lines.filter((l) => l.startsWith("W: --tls-insecure: ")).length, 1);
    }
    const quiet = await runCli([
      "127.0.0.1",
      String(scp.port),
      dir,
      "--tls",
      "--tls-insecure",
      "-q",
    ]);
    assert.equal(quiet.code, 0);
    assert.equal(quiet.stderr, "");
  });
});

Deno.test("Orthanc with DicomTlsEnabled (mutual TLS): every file stored, by us and by storescu +tls", async () => {
  const c = await testCerts();
  const orthanc = await startOrthanc(false, {
    DicomTlsEnabled: true,
    DicomTlsCertificate: c.serverCert,
    DicomTlsPrivateKey: c.serverKey,
    DicomTlsTrustedCertificates: c.ca,
    DicomTlsRemoteCertificateRequired: true,
  });
  try {
    const port = String(orthanc.dicomPort);
    const data = `${repoRoot}/testdata`;
    const files = (await listDir(data)).length;
    const tls = ["--tls", "--tls-ca", c.ca, "--tls-cert", c.clientCert, "--tls-key", c.clientKey];
    const r = await runCli(["127.0.0.1", port, data, "-aec", "ORTHANC", ...tls]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.lines.at(-1),
      `Summary: ${files} files: ${files} success, 0 warning, 0 failed, 0 not sent`,
    );
    assert.equal((await orthanc.rest("/instances") as string[]).length, files);
    // Without our certificate Orthanc refuses the handshake: the cause, not "connection closed".
    const none = await runCli([
      "127.0.0.1",
      port,
      data,
      "-aec",
      "ORTHANC",
      "--tls",
      "--tls-ca",
      c.ca,
    ]);
    assert.equal(none.code, 1, none.stderr);
    assert.match(
      none.lines[0],
      /^E: TLS: the peer \(127\.0\.0\.1:\d+\) requires a client certificate/,
    );
    const code = await dcmtkStorescu([
      "+tls",
      c.clientKey,
      c.clientCert,
      "+cf",
      c.ca,
      "-aec",
      "ORTHANC",
      "127.0.0.1",
      port,
      `${corpusDir}/variants/ct_small_no_padding.dcm`,
    ]);
    assert.equal(code, 0);
    assert.equal((await orthanc.rest("/instances") as string[]).length, files + 1);
  } finally {
    await orthanc.stop();
  }
});

Deno.test("DCMTK storescp +tls: a destination with TLS (files beside it) and --echo over TLS", async () => {
  const c = await testCerts();
  const dir = await ctDir(3);
  await withStorescp(tlsArgs(c, "-rc"), async (scp) => {
    await Deno.writeTextFile(
      `${c.dir}/destinations.json`,
      JSON.stringify({
        destinations: {
          secure: {
            host: "127.0.0.1",
            port: scp.port,
            tls: { ca: "ca.pem", cert: "client.pem", key: "client.key" },
            identity: { username: "alice" },
          },
        },
      }),
    );
    const r = await runCli([
      "--dest",
      "secure",
      "--config",
      `${c.dir}/destinations.json`,
      "--echo",
      dir,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.lines[0], /^Echo: 127\.0\.0\.1:\d+ \(ANY-SCP\) answered Success in [\d.]+ ms$/);
    assert.equal(r.lines.at(-1), "Summary: 3 files: 3 success, 0 warning, 0 failed, 0 not sent");
    const plain = await runCli(["--echo", "127.0.0.1", String(scp.port)]);
    assert.equal(plain.code, 1);
    assert.match(plain.lines[0], /^E: Echo failed: .*expects DICOM over TLS.*; use --tls$/);
  });
});
