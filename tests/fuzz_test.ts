/**
 * Seeded fuzzing (short campaign; `deno task fuzz --seed N --count M` runs a long one):
 * ≥100,000 random and mutated PDUs into `decodePdu` and `PduReader` (only `PduError` may
 * escape, limits hold before allocation), mutated conversations into an acceptor
 * `Association` (it must end cleanly), and mutated corpus files read out in six syntaxes
 * (`deno task fuzz-files --seed N --count M`: only the typed errors of a file's account).
 */

import assert from "node:assert/strict";
import {
  fuzzAssociation,
  fuzzDecode,
  fuzzReader,
  mutate,
  Rng,
  runFuzz,
  seedVectors,
} from "../scripts/fuzz.ts";
import { encodePdu, PduError, PduReader, PduType } from "../lib/pdu/mod.ts";

function show(findings: { target: string; error: string; input: Uint8Array }[]): string {
  return findings.map((f) => `${f.target}: ${f.error} (${f.input.length} bytes)`).join("\n");
}

Deno.test("fuzz: mulberry32 is deterministic and the mutations are reproducible", () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const v = seedVectors();
  for (let i = 0; i < 100; i++) {
    assert.deepEqual(mutate(a, v[i % v.length], v), mutate(b, v[i % v.length], v));
  }
});

Deno.test("fuzz: the seed vectors decode", () => {
  for (const v of seedVectors()) assert.equal(fuzzDecode(v), undefined);
});

// No timed assertions here: how fast the fuzzing runs is not what these tests pin (a loaded
// machine took twice as long), only that nothing but PduError escapes and every run ends.
Deno.test("fuzz: 100,000 mutated PDUs into decodePdu and PduReader raise only PduError", async () => {
  const report = await runFuzz({ seed: 0x5eed, count: 100_000, readerEvery: 1, maxFindings: 5 });
  assert.deepEqual(report.findings, [], show(report.findings));
  assert.equal(report.decoded, 100_000);
  assert.equal(report.readerStreams, 100_000);
});

Deno.test("fuzz: a second seed, streams of four inputs", async () => {
  const report = await runFuzz({ seed: 20240611, count: 40_000, readerEvery: 4, maxFindings: 5 });
  assert.deepEqual(report.findings, [], show(report.findings));
});

Deno.test("fuzz: 2,000 mutated conversations end an acceptor Association cleanly", async () => {
  const report = await runFuzz({ seed: 99, count: 0, associations: 2000, maxFindings: 5 });
  assert.deepEqual(report.findings, [], show(report.findings));
  // The mutations must leave enough valid to reach the DIMSE layer.
  assert.ok(report.established > 500, `only ${report.established} established`);
  assert.ok(report.messages > 200, `only ${report.messages} messages delivered`);
});

Deno.test("fuzz: an unmutated conversation is accepted and delivers its messages", async () => {
  // Sanity for the harness: with no mutation the acceptor sees the C-STORE and the C-ECHO.
  let found = false;
  for (let seed = 0; seed < 200 && !found; seed++) {
    const stats = { established: 0, messages: 0 };
    const rng = new Rng(seed);
    // fuzzAssociation always mutates; look for a run where everything got through.
    assert.equal(await fuzzAssociation(rng, stats), undefined);
    found = stats.messages === 2;
  }
  assert.ok(found, "no run delivered both messages");
});

Deno.test("fuzz: a header declaring more than the limit fails before the body is read", async () => {
  for (const [type, length] of [[PduType.PData, 0xffffffff], [PduType.AssociateAC, 5000]]) {
    const header = new Uint8Array(6);
    header[0] = type;
    new DataView(header.buffer).setUint32(2, length);
    let served = 0;
    let largest = 0;
    const source = {
      read(p: Uint8Array): Promise<number | null> {
        largest = Math.max(largest, p.length);
        if (served > 0) throw new Error("the reader asked for the body");
        p.set(header);
        served = header.length;
        return Promise.resolve(header.length);
      },
    };
    const reader = new PduReader(source, { maxPduLength: 4096, maxOtherPduLength: 1024 });
    await assert.rejects(reader.read(), (e: unknown) => {
      assert.ok(e instanceof PduError);
      assert.equal(e.code, "too-large");
      return true;
    });
    assert.ok(largest <= 64 * 1024, `reader offered a ${largest}-byte buffer`);
  }
});

Deno.test("fuzz: an unbounded reader fed a lying 0xFFFFFFFF length and EOF fails 'truncated'", async () => {
  // maxPduLength 0 = no limit: the body grows in 1 MiB steps only as bytes arrive.
  const bytes = new Uint8Array([0x04, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 2, 1, 3]);
  const rng = new Rng(1);
  const f = await fuzzReader(bytes, rng);
  assert.equal(f, undefined);
  let largest = 0;
  let done = false;
  const reader = new PduReader({
    read(p) {
      largest = Math.max(largest, p.length);
      if (done) return Promise.resolve(null);
      done = true;
      p.set(bytes);
      return Promise.resolve(bytes.length);
    },
  }, { maxPduLength: 0, maxOtherPduLength: 0 });
  await assert.rejects(
    reader.read(),
    (e: unknown) => e instanceof PduError && e.code === "truncated",
  );
  assert.ok(largest <= 1024 * 1024 + 6, `offered ${largest} bytes`);
});

Deno.test("fuzz: release and abort PDUs with every possible length byte", () => {
  for (const type of [PduType.ReleaseRQ, PduType.ReleaseRP, PduType.Abort, PduType.AssociateRJ]) {
    const base = encodePdu(
      type === PduType.Abort
        ? { type, source: 0, reason: 0 }
        : type === PduType.AssociateRJ
        ? { type, result: 1, source: 1, reason: 1 }
        : { type },
    );
    for (let len = 0; len < 256; len++) {
      const b = base.slice();
      b[5] = len;
      assert.equal(fuzzDecode(b), undefined);
    }
  }
});

Deno.test("fuzz: 1,500 mutated corpus files are read out (decoded, converted, encoded) or refused with a typed reason", async () => {
  const { fuzzFiles } = await import("../scripts/fuzz_files.ts");
  const dir = await Deno.makeTempDir({ prefix: "storescu-fuzz-files-" });
  try {
    const c = await fuzzFiles(9, 1_500, dir);
    assert.deepEqual(
      c.findings.map((f) => `${f.iteration}: ${f.seedFile} (${f.what}) -> ${f.target}: ${f.error}`),
      [],
    );
    // Both outcomes are exercised: files still whole enough to read, and refusals.
    assert.ok(c.read > 300 && c.refused > 300, `${c.read} read, ${c.refused} refused`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
