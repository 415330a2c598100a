import assert from "node:assert/strict";
import { readDicomFileInfo } from "../lib/part10/file.ts";
import {
  examinedDataset,
  forgetExaminedDataset,
  MAX_KEPT_OPEN,
  takeExaminedFile,
} from "../lib/part10/examined.ts";
import { openDataset } from "../lib/part10/source.ts";
import { oddEnd, StoredDataset } from "../lib/part10/stored.ts";
import { encodePart10 } from "../lib/part10/writer.ts";
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

/** A copy of the 39 KB corpus CT (bigger than the first read) in a temp folder. */
async function withBigCopies(n: number, body: (paths: string[]) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "storescu-source-" });
  try {
    const paths: string[] = [];
    for (let i = 0; i < n; i++) {
      paths.push(`${dir}/ct${i}.dcm`);
      await Deno.copyFile(CORPUS_CT, paths[i]);
    }
    await body(paths);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("keepOpen: a bigger file is sent from the examination's handle and first bytes", async () => {
  await withBigCopies(1, async ([path]) => {
    const original = Deno.readFileSync(path);
    const info = await readDicomFileInfo(path, { keepOpen: true });
    assert.equal(examinedDataset(info), undefined, "too big to keep its bytes");
    // Bytes inside the first read change in place, the last-write time put back as it was:
    // nothing the change check can see. What is sent shows the first bytes were not read again.
    const { mtime } = Deno.statSync(path);
    const f = Deno.openSync(path, { write: true });
    f.seekSync(info.datasetOffset + 100, Deno.SeekMode.Start);
    f.writeSync(new Uint8Array(16).fill(0xaa));
    f.close();
    Deno.utimeSync(path, mtime!, mtime!);
    const src = await openDataset(info, EXPLICIT_VR_LE);
    assert.equal(takeExaminedFile(info), undefined, "the source took the open file");
    assert.equal(src.length, original.length - info.datasetOffset);
    assert.deepEqual(await readAll(src), original.subarray(info.datasetOffset));
    src.close();
  });
});

Deno.test("keepOpen: no more than MAX_KEPT_OPEN files stay open; the oldest is opened again", async () => {
  await withBigCopies(MAX_KEPT_OPEN + 3, async (paths) => {
    const infos = [];
    for (const p of paths) infos.push(await readDicomFileInfo(p, { keepOpen: true }));
    const expected = Deno.readFileSync(paths[0]).subarray(infos[0].datasetOffset);
    // The first three were closed to make room for the last three.
    for (const info of infos.slice(0, 3)) assert.equal(takeExaminedFile(info), undefined);
    const fourth = takeExaminedFile(infos[3]);
    assert.ok(fourth, "the fourth is still open");
    fourth.file.close();
    for (const [i, info] of infos.entries()) {
      const src = await openDataset(info, EXPLICIT_VR_LE);
      assert.equal(takeExaminedFile(info), undefined);
      assert.deepEqual(await readAll(src), expected, `file ${i}`);
      src.close();
    }
    // A record forgotten closes its file too.
    const again = await readDicomFileInfo(paths[0], { keepOpen: true });
    forgetExaminedDataset(again);
    assert.equal(takeExaminedFile(again), undefined);
  });
});

Deno.test("StoredDataset: exactly the examined length, odd ones padded; more or fewer bytes fail", async () => {
  await withBigCopies(1, async ([path]) => {
    const info = await readDicomFileInfo(path);
    const open = () => {
      const file = Deno.openSync(path);
      file.seekSync(info.datasetOffset, Deno.SeekMode.Start);
      return new StoredDataset(info, { bytes: new Uint8Array(0), file }, undefined, false);
    };
    const data = Deno.readFileSync(path).subarray(info.datasetOffset);
    // One more byte on disk than examined: an odd length, as far as the source knows.
    Deno.writeFileSync(path, new Uint8Array(1), { append: true });
    const odd = { ...info, size: info.size + 1 };
    const file = Deno.openSync(path);
    file.seekSync(info.datasetOffset, Deno.SeekMode.Start);
    const padded = new StoredDataset(odd, { bytes: new Uint8Array(0), file }, undefined, false);
    assert.equal(padded.length, data.length + 2);
    const got = await readAll(padded);
    assert.equal(got.length, data.length + 2);
    assert.deepEqual(got.subarray(0, data.length), data);
    padded.close();
    // As examined, the file now goes on past its end: the read of the last bytes fails.
    const longer = open();
    await assert.rejects(readAll(longer), /file changed while being sent .*more read/);
    longer.close();
    Deno.truncateSync(path, info.size - 10);
    const shorter = open();
    await assert.rejects(readAll(shorter), /file changed while being sent/);
    shorter.close();
  });
});

Deno.test("oddEnd: nothing after an even data set, one 0x00 after an odd one", () => {
  const p = new Uint8Array([7, 7]);
  assert.equal(oddEnd(0, p), null);
  assert.equal(oddEnd(10, p), null);
  assert.deepEqual(p, new Uint8Array([7, 7]));
  assert.equal(oddEnd(11, p), 1);
  assert.deepEqual(p, new Uint8Array([0, 7]));
});

Deno.test("openDataset: a converted data set of odd length ends with one 0x00 byte", async () => {
  const head = encodePart10({
    sopClassUid: "1.2.840.10008.5.1.4.1.1.7",
    sopInstanceUid: "2.25.7",
    transferSyntaxUid: EXPLICIT_VR_LE,
  }, [{ tag: 0x00080016, vr: "UI", value: "1.2.840.10008.5.1.4.1.1.7" }]);
  // (0010,0010) PN of 3 bytes: an odd value (malformed), passed on as it is.
  const odd = [0x10, 0, 0x10, 0, 0x50, 0x4e, 3, 0, 0x41, 0x42, 0x43];
  const dir = await Deno.makeTempDir({ prefix: "storescu-source-" });
  try {
    const path = `${dir}/odd.dcm`;
    Deno.writeFileSync(path, new Uint8Array([...head, ...odd]));
    const info = await readDicomFileInfo(path);
    const src = await openDataset(info, IMPLICIT_VR_LE);
    const got = await readAll(src);
    src.close();
    // Implicit: (0008,0016) 8 + 26 bytes, (0010,0010) 8 + 3 bytes, then the padding byte.
    assert.equal(got.length, 8 + 26 + 8 + 3 + 1);
    assert.deepEqual(got.subarray(34, 38), new Uint8Array([0x10, 0, 0x10, 0]));
    assert.deepEqual(got.subarray(42), new Uint8Array([0x41, 0x42, 0x43, 0]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
