import assert from "node:assert/strict";
import { examinedDataset, forgetExaminedDataset, readDicomFileInfo } from "../lib/part10/file.ts";
import { openDataset } from "../lib/part10/source.ts";
import type { ByteSource } from "../lib/part10/types.ts";
import { EXPLICIT_VR_LE, IMPLICIT_VR_LE } from "../lib/uids.ts";

const TESTDATA = new URL("../testdata/", import.meta.url);
const CT = new URL("ct_explicit_le.dcm", TESTDATA).pathname; // 9 KB, Explicit VR LE
const CORPUS_CT = new URL("../../shared/corpus/pydicom/test_files/CT_small.dcm", import.meta.url)
  .pathname; // 39 KB

async function readAll(src: ByteSource): Promise<Uint8Array> {
  const parts: number[] = [];
  const buf = new Uint8Array(4096);
  for (let n; (n = await src.read(buf)) !== null;) parts.push(...buf.subarray(0, n));
  return new Uint8Array(parts);
}

/** A copy of CT in a temp folder; removed at the end. */
async function withCopy(body: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "storescu-source-" });
  try {
    const path = `${dir}/ct.dcm`;
    await Deno.copyFile(CT, path);
    await body(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("keepSmall: a file within the first read keeps its data set; a bigger one doesn't", async () => {
  const info = await readDicomFileInfo(CT, { keepSmall: true });
  const kept = examinedDataset(info);
  assert.ok(kept);
  assert.deepEqual(kept, Deno.readFileSync(CT).subarray(info.datasetOffset));
  assert.equal(examinedDataset(await readDicomFileInfo(CT)), undefined); // not asked
  assert.equal(examinedDataset(await readDicomFileInfo(CORPUS_CT, { keepSmall: true })), undefined);
  forgetExaminedDataset(info);
  assert.equal(examinedDataset(info), undefined);
});

Deno.test("openDataset: a kept data set is sent as examined, even if the file changes", async () => {
  await withCopy(async (path) => {
    const original = Deno.readFileSync(path);
    const info = await readDicomFileInfo(path, { keepSmall: true });
    await Deno.writeTextFile(path, "overwritten after examination");
    const src = await openDataset(info, EXPLICIT_VR_LE);
    assert.deepEqual(await readAll(src), original.subarray(info.datasetOffset));
    src.close();
  });
});

Deno.test("openDataset: once sent, the kept bytes are released; sending again reads the file", async () => {
  await withCopy(async (path) => {
    const original = Deno.readFileSync(path);
    const info = await readDicomFileInfo(path, { keepSmall: true });
    const first = await openDataset(info, EXPLICIT_VR_LE);
    await readAll(first);
    first.close();
    assert.equal(examinedDataset(info), undefined);
    // The released buffer now holds another file's bytes: a retry must not read it.
    const other = await readDicomFileInfo(
      new URL("mr_implicit_le.dcm", TESTDATA).pathname,
      { keepSmall: true },
    );
    assert.ok(examinedDataset(other));
    const again = await openDataset(info, EXPLICIT_VR_LE);
    assert.deepEqual(await readAll(again), original.subarray(info.datasetOffset));
    again.close();
    forgetExaminedDataset(other);
  });
});

Deno.test("openDataset: a kept data set converts like the file would", async () => {
  const fromFile = await openDataset(await readDicomFileInfo(CT), IMPLICIT_VR_LE);
  const expected = await readAll(fromFile);
  fromFile.close();
  const info = await readDicomFileInfo(CT, { keepSmall: true });
  const kept = await openDataset(info, IMPLICIT_VR_LE);
  assert.deepEqual(await readAll(kept), expected);
  kept.close();
  assert.equal(examinedDataset(info), undefined);
});
