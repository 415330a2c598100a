/**
 * The transport on a hostile wire, seeded: a plain connection answered with TLS alerts or
 * TLS handshake records says "expects DICOM over TLS" (never "invalid PDU"); TLS-less garbage
 * answering our A-ASSOCIATE-RQ or our TLS ClientHello ends in one clear error; nothing
 * crashes, every file is accounted for.
 */

import assert from "node:assert/strict";
import { Rng } from "../scripts/fuzz.ts";
import { storeFiles } from "../lib/send.ts";
import { TlsError } from "../lib/tls/errors.ts";
import { closeQuietly, listenTcp } from "../lib/transport.ts";
import { repoRoot, runCli } from "./peers.ts";

const CT = `${repoRoot}/testdata/ct_explicit_le.dcm`;

/** A peer that reads what the client sends first, answers `answer()`, then closes. */
function fakePeer(answer: () => Uint8Array) {
  const listener = listenTcp({ hostname: "127.0.0.1", port: 0 });
  const loop = (async () => {
    for (;;) {
      const t = await listener.accept();
      if (!t) return;
      (async () => {
        try {
          await t.read(new Uint8Array(65536));
          const bytes = answer();
          let off = 0;
          while (off < bytes.length) off += await t.write(bytes.subarray(off));
          await new Promise((r) => setTimeout(r, 5));
        } catch {
          // the client hung up first
        } finally {
          t.close();
        }
      })();
    }
  })();
  return {
    port: listener.port,
    async close() {
      listener.close();
      await loop;
    },
  };
}

async function sendOnce(port: number, tls?: { insecure: true }) {
  const failures: Error[] = [];
  const report = await storeFiles({
    address: "127.0.0.1",
    port,
    paths: [CT],
    tls,
    timeouts: { acse: 2, dimse: 2, network: 2 },
    onEvent: (e) => {
      if (e.type === "association-failed") failures.push(e.error);
    },
  });
  assert.equal(report.results.length, 1);
  assert.equal(report.counts.success, 0);
  assert.equal(failures.length, 1, failures.map((f) => f.message).join(" | "));
  assert.ok(!failures[0].message.includes("\n"));
  assert.equal(report.results[0].outcome, "not-sent");
  assert.ok(report.results[0].reason, "a reason for the file");
  return failures[0];
}

function alert(rng: Rng): Uint8Array {
  // record: type 0x15, version 3.x, length 2, level, description; sometimes more records.
  const records = 1 + rng.int(3);
  const out: number[] = [];
  for (let i = 0; i < records; i++) {
    out.push(0x15, 3, rng.int(5), 0, 2, 1 + rng.int(2), rng.int(256));
  }
  return new Uint8Array([...out, ...rng.bytes(rng.int(20))]);
}

function handshakeRecord(rng: Rng): Uint8Array {
  const body = rng.bytes(rng.int(300));
  return new Uint8Array([0x16, 3, rng.int(5), body.length >> 8, body.length & 0xff, ...body]);
}

Deno.test("transport: 200 seeded TLS alerts and handshake records on a plain connection say 'expects TLS'", async () => {
  const rng = new Rng(0x7151);
  let next: Uint8Array = new Uint8Array();
  const peer = fakePeer(() => next);
  try {
    for (let i = 0; i < 200; i++) {
      next = i % 2 === 0 ? alert(rng) : handshakeRecord(rng);
      const e = await sendOnce(peer.port);
      assert.ok(e instanceof TlsError, `${e.name}: ${e.message}`);
      assert.equal(e.kind, "expects-tls");
      assert.match(
        e.message,
        /^The peer \(127\.0\.0\.1:\d+\) expects DICOM over TLS: it answered our A-ASSOCIATE-RQ with a TLS (alert|handshake record); use --tls$/,
      );
    }
  } finally {
    await peer.close();
  }
});

Deno.test("transport: 300 seeded garbage answers end in one clear error, on plain and TLS connections", async () => {
  const rng = new Rng(0x6a7b);
  let next: Uint8Array = new Uint8Array();
  const peer = fakePeer(() => next);
  const kinds = new Map<string, number>();
  try {
    for (let i = 0; i < 300; i++) {
      next = rng.bytes(1 + rng.int(400));
      // Not a TLS record: those are the test above.
      if (next[0] === 0x15 || next[0] === 0x16) next[0] = 0x42;
      const e = await sendOnce(peer.port, i % 3 === 2 ? { insecure: true } : undefined);
      const key = e instanceof TlsError ? `TlsError/${e.kind}` : e.name;
      kinds.set(key, (kinds.get(key) ?? 0) + 1);
      assert.ok(!/expects DICOM over TLS/.test(e.message), e.message);
      assert.ok(!/Internal error|undefined|\[object/.test(e.message), e.message);
    }
  } finally {
    await peer.close();
  }
  // Plain: an invalid A-ASSOCIATE response (a provider abort); TLS: the peer does not speak it.
  assert.ok((kinds.get("ProtocolError") ?? 0) > 100, JSON.stringify([...kinds]));
  assert.ok(
    (kinds.get("TlsError/not-tls") ?? 0) + (kinds.get("TlsError/handshake") ?? 0) > 50,
    JSON.stringify([...kinds]),
  );
});

Deno.test("transport: the CLI prints one clear line for a TLS alert and for garbage, exit 1", async () => {
  const rng = new Rng(5);
  let next: Uint8Array = alert(rng);
  const peer = fakePeer(() => next);
  try {
    const a = await runCli(["127.0.0.1", String(peer.port), CT]);
    assert.equal(a.code, 1);
    assert.match(
      a.lines[0],
      /^E: The peer \(127\.0\.0\.1:\d+\) expects DICOM over TLS: it answered our A-ASSOCIATE-RQ with a TLS alert; use --tls$/,
    );
    assert.equal(a.lines.length, 3, a.stderr);
    next = new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n");
    const g = await runCli(["127.0.0.1", String(peer.port), CT]);
    assert.equal(g.code, 1);
    assert.equal(g.lines[0], "E: Received an invalid A-ASSOCIATE response from the peer");
    assert.ok(!g.stderr.includes("    at "));
  } finally {
    await peer.close();
  }
});

Deno.test("closeQuietly: closes; a second close, or nothing to close, is no error", () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  closeQuietly(listener);
  assert.throws(() => listener.close(), Deno.errors.BadResource); // it is closed
  closeQuietly(listener);
  closeQuietly(undefined);
  closeQuietly(null);
});
