/**
 * lib/part10/check.ts: unchanged data sets are followed to an element boundary, whatever the
 * chunking; a cut anywhere inside is reported; well-formed corpus files never are.
 */

import assert from "node:assert/strict";
import { deflateRawSync } from "node:zlib";
import { checkedDeflatedSource, DatasetBoundaryCheck } from "../lib/part10/check.ts";
import type { ByteSource, DicomFileInfo } from "../lib/part10/types.ts";
import { readDicomFileInfo } from "../lib/part10/file.ts";
import { encodingOf } from "../lib/part10/encoding.ts";
import { TRANSFER_SYNTAXES } from "../lib/uids.ts";
import { corpusDir } from "./peers.ts";

/** Feeds `bytes` in chunks; `viaSkip`: as the sender does, `skip` first, `update` when it can't. */
function feed(
  bytes: Uint8Array,
  enc: ReturnType<typeof encodingOf>,
  chunk: number,
  viaSkip = false,
) {
  const c = new DatasetBoundaryCheck(enc!);
  for (let o = 0; o < bytes.length; o += chunk) {
    const part = bytes.subarray(o, o + chunk);
    if (!viaSkip || !c.skip(part.length)) c.update(part);
  }
  return c.end();
}

const rows = (await Deno.readTextFile(`${corpusDir}/INDEX.tsv`)).trim().split("\n").slice(1)
  .map((l) => l.split("\t"));

/** The well-formed, sendable corpus files: name, record and data set bytes. */
async function* wellFormed(): AsyncGenerator<
  { name: string; info: DicomFileInfo; data: Uint8Array }
> {
  for (const c of rows) {
    if (/NOT DICOM|TRUNCATED|dcmdump error/i.test(c[9] ?? "")) continue;
    let info;
    try {
      info = await readDicomFileInfo(`${corpusDir}/${c[0]}`);
    } catch {
      continue; // not sendable at all: covered by the bad-input tests
    }
    const data = (await Deno.readFile(info.path)).subarray(info.datasetOffset);
    yield { name: c[0], info, data };
  }
}

Deno.test("every well-formed corpus data set ends on an element boundary, in any chunking", async () => {
  let checked = 0;
  for await (const { name, info, data } of wellFormed()) {
    if (TRANSFER_SYNTAXES.get(info.transferSyntaxUid)?.deflated) continue;
    const enc = encodingOf(info.transferSyntaxUid);
    for (const chunk of [1, 7, 4096, data.length || 1]) {
      assert.equal(feed(data, enc, chunk), undefined, `${name} in chunks of ${chunk}`);
      assert.equal(feed(data, enc, chunk, true), undefined, `${name}, skip, chunks of ${chunk}`);
    }
    checked++;
  }
  assert.ok(checked > 150, `${checked} files checked`);
});

Deno.test("a data set cut inside an element, a header or a sequence is reported", async () => {
  for (
    const name of [
      "pydicom/test_files/CT_small.dcm",
      "variants/rtplan_undefined_length_seq_implicit.dcm",
      "variants/rtstruct_undefined_length_seq_explicit.dcm",
      "variants/ct_small_explicit_be.dcm",
      "variants/ct_small_jpeg_lossless_sv1.dcm",
    ]
  ) {
    const info = await readDicomFileInfo(`${corpusDir}/${name}`);
    const data = (await Deno.readFile(info.path)).subarray(info.datasetOffset);
    const enc = encodingOf(info.transferSyntaxUid);
    // Every cut point in the first 600 bytes, then a spread over the rest.
    const cuts = [...Array(600).keys()].map((i) => i + 1);
    for (let k = 600; k < data.length - 1; k += 97) cuts.push(k);
    let reported = 0;
    for (const cut of cuts) {
      const why = feed(data.subarray(0, cut), enc, 4096);
      assert.equal(feed(data.subarray(0, cut), enc, 4096, true), why, `${name} cut at ${cut}`);
      if (why) reported++;
    }
    // A cut can fall exactly between two top-level elements; that is a valid (shorter) data
    // set and is not reported. Every other cut is.
    assert.ok(reported >= cuts.length * 0.7, `${name}: ${reported}/${cuts.length} cuts reported`);
    assert.match(feed(data.subarray(0, data.length - 3), enc, 4096) ?? "", /ends inside/);
  }
});

Deno.test("the check's example: a value cut short names the element", () => {
  const check = new DatasetBoundaryCheck({ explicitVr: true, littleEndian: true });
  check.update(new Uint8Array([0x10, 0, 0x10, 0, 0x50, 0x4e, 4, 0, 0x41, 0x5e]));
  assert.equal(check.end(), "data set ends inside element (0010,0010) (2 bytes missing)");
});

/** Reads a source to its end through `chunk`-byte reads; the bytes, or the error's message. */
async function drain(src: ByteSource, chunk: number): Promise<Uint8Array | string> {
  const out: number[] = [];
  const buf = new Uint8Array(chunk);
  try {
    for (let n; (n = await src.read(buf)) !== null;) out.push(...buf.subarray(0, n));
    return new Uint8Array(out);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    src.close();
  }
}

function bytesSource(bytes: Uint8Array): ByteSource {
  let off = 0;
  return {
    read(p) {
      if (off >= bytes.length) return Promise.resolve(null);
      const n = Math.min(p.length, bytes.length - off);
      p.set(bytes.subarray(off, off + n));
      off += n;
      return Promise.resolve(n);
    },
    close() {},
  };
}

Deno.test("checkedDeflatedSource: well-formed deflated corpus data sets pass unchanged", async () => {
  let checked = 0;
  for await (const { name, info, data } of wellFormed()) {
    if (!TRANSFER_SYNTAXES.get(info.transferSyntaxUid)?.deflated) continue;
    for (const chunk of [7, 65536]) {
      const got = await drain(checkedDeflatedSource(bytesSource(data)), chunk);
      assert.ok(typeof got !== "string", `${name} in reads of ${chunk}: ${got}`);
      assert.deepEqual(got, data);
    }
    checked++;
  }
  assert.ok(checked >= 2, `${checked} deflated files checked`);
});

Deno.test("checkedDeflatedSource: a cut stream, garbage, or a cut data set fail at the end", async () => {
  const plain = new Uint8Array([0x10, 0, 0x10, 0, 0x50, 0x4e, 4, 0, 0x41, 0x5e, 0x42, 0x20]);
  const good = new Uint8Array(deflateRawSync(plain));
  assert.deepEqual(await drain(checkedDeflatedSource(bytesSource(good)), 5), good);
  assert.match(
    String(await drain(checkedDeflatedSource(bytesSource(good.subarray(0, -3))), 5)),
    /can't be inflated/,
  );
  assert.match(
    String(await drain(checkedDeflatedSource(bytesSource(new Uint8Array(40).fill(0xff))), 5)),
    /can't be inflated/,
  );
  assert.match(
    String(
      await drain(checkedDeflatedSource(bytesSource(deflateRawSync(plain.subarray(0, 10)))), 5),
    ),
    /ends inside element \(0010,0010\)/,
  );
});
