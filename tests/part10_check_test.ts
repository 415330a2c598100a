/**
 * lib/part10/check.ts: unchanged data sets are followed to an element boundary, whatever the
 * chunking; a cut anywhere inside is reported; well-formed corpus files never are.
 */

import assert from "node:assert/strict";
import { DatasetBoundaryCheck } from "../lib/part10/check.ts";
import { readDicomFileInfo } from "../lib/part10/file.ts";
import { encodingOf } from "../lib/part10/encoding.ts";
import { TRANSFER_SYNTAXES } from "../lib/uids.ts";
import { corpusDir } from "./peers.ts";

function feed(bytes: Uint8Array, enc: ReturnType<typeof encodingOf>, chunk: number) {
  const c = new DatasetBoundaryCheck(enc!);
  for (let o = 0; o < bytes.length; o += chunk) c.update(bytes.subarray(o, o + chunk));
  return c.end();
}

const rows = (await Deno.readTextFile(`${corpusDir}/INDEX.tsv`)).trim().split("\n").slice(1)
  .map((l) => l.split("\t"));

Deno.test("every well-formed corpus data set ends on an element boundary, in any chunking", async () => {
  let checked = 0;
  for (const c of rows) {
    if (/NOT DICOM|TRUNCATED|dcmdump error/i.test(c[9] ?? "")) continue;
    let info;
    try {
      info = await readDicomFileInfo(`${corpusDir}/${c[0]}`);
    } catch {
      continue; // not sendable at all: covered by the bad-input tests
    }
    if (TRANSFER_SYNTAXES.get(info.transferSyntaxUid)?.deflated) continue;
    const data = (await Deno.readFile(info.path)).subarray(info.datasetOffset);
    const enc = encodingOf(info.transferSyntaxUid);
    for (const chunk of [1, 7, 4096, data.length || 1]) {
      assert.equal(feed(data, enc, chunk), undefined, `${c[0]} in chunks of ${chunk}`);
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
