import assert from "node:assert/strict";
import { examineFile, ExaminingQueue, type Item, ListQueue, type Queued } from "../lib/queue.ts";
import type { DicomFileInfo } from "../lib/part10/types.ts";

const HERE = new URL(".", import.meta.url).pathname;
const CT = `${HERE}../testdata/ct_explicit_le.dcm`;
const MR = `${HERE}../testdata/mr_implicit_le.dcm`;
const US = `${HERE}../testdata/us_explicit_be.dcm`;
const MR_SOP = "1.2.840.10008.5.1.4.1.1.4";

/** A folder with a not-DICOM file; removed at the end. */
async function withJunk(body: (junk: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "storescu-queue-" });
  const junk = `${dir}/junk.dcm`;
  await Deno.writeTextFile(junk, "not a DICOM file at all, just text ".repeat(20));
  try {
    await body(junk);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function takeAll(q: { take(): Promise<Queued | undefined> }): Promise<Queued[]> {
  const out: Queued[] = [];
  for (let x; (x = await q.take());) out.push(x);
  return out;
}

const isBad = (i: Item) => "bad" in i;

Deno.test("examineFile: a DICOM file's record, or a bad item with the reason and code", async () => {
  await withJunk(async (junk) => {
    const ct = await examineFile(CT);
    assert.ok(!isBad(ct));
    assert.equal((ct as DicomFileInfo).sopClassUid, "1.2.840.10008.5.1.4.1.1.2");
    const bad = await examineFile(junk);
    assert.ok(isBad(bad));
    assert.equal(bad.path, junk);
    assert.ok("code" in bad && typeof bad.code === "string", JSON.stringify(bad));
    const missing = await examineFile(`${junk}.missing`);
    assert.ok(isBad(missing) && /can't open/.test((missing as { bad: string }).bad));
  });
});

Deno.test("ExaminingQueue: path order, bad files at their place, refused files set aside", async () => {
  await withJunk(async (junk) => {
    const q = new ExaminingQueue([CT, junk, MR, US], (f) => f.sopClassUid !== MR_SOP);
    assert.equal(q.maxLeft, 4);
    const got = await takeAll(q);
    assert.deepEqual(got.map((x) => [x.index, x.item.path]), [[0, CT], [1, junk], [2, US]]);
    assert.ok(isBad(got[1].item));
    assert.deepEqual(q.diverted.map((f) => f.path), [MR]);
    assert.equal(q.taken, 3);
    assert.equal(q.maxLeft, 0);
    assert.equal(await q.isEmpty(), true);
  });
});

Deno.test("ExaminingQueue: files are examined only when taken", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-queue-" });
  try {
    const later = `${dir}/later.dcm`;
    await Deno.copyFile(CT, later);
    const q = new ExaminingQueue([CT, later], () => true);
    assert.equal((await q.take())?.item.path, CT);
    // Replaced before its turn: what is examined is what is there when it is taken.
    await Deno.writeTextFile(later, "gone bad ".repeat(30));
    const second = await q.take();
    assert.ok(second && isBad(second.item), JSON.stringify(second));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ExaminingQueue: hasCarriable looks past bad and refused files, keeping them", async () => {
  await withJunk(async (junk) => {
    const none = new ExaminingQueue([junk, MR], (f) => f.sopClassUid !== MR_SOP);
    assert.equal(await none.hasCarriable(), false);
    assert.deepEqual((await takeAll(none)).map((x) => x.item.path), [junk]);
    assert.deepEqual(none.diverted.map((f) => f.path), [MR]);

    const some = new ExaminingQueue([junk, MR, CT], (f) => f.sopClassUid !== MR_SOP);
    assert.equal(await some.hasCarriable(), true);
    assert.deepEqual((await takeAll(some)).map((x) => x.item.path), [junk, CT]);
  });
});

Deno.test("ExaminingQueue: concurrent takers get distinct items in order; putBack restores", async () => {
  const q = new ExaminingQueue([CT, MR, US, CT], () => true);
  const [a, b, c] = await Promise.all([q.take(), q.take(), q.take()]);
  assert.deepEqual([a, b, c].map((x) => x?.index), [0, 1, 2]);
  assert.deepEqual([a, b, c].map((x) => x?.item.path), [CT, MR, US]);
  q.putBack(c!);
  assert.equal(q.taken, 2);
  const again = await q.take();
  assert.equal(again?.index, 2);
  assert.equal(again?.item, c!.item);
  // Given back out of order (two associations ended): lowest index first, indices kept.
  q.putBack(again!);
  q.putBack(a!);
  assert.equal(q.taken, 1);
  assert.equal(q.maxLeft, 3);
  const order = await takeAll(q);
  assert.deepEqual(order.map((x) => [x.index, x.item.path]), [[0, CT], [2, US], [3, CT]]);
  assert.equal(await q.isEmpty(), true);
});

Deno.test("ListQueue: in order, each item once, a put-back item comes first with its index", async () => {
  const items: Item[] = [{ path: "a", bad: "x" }, { path: "b", bad: "y" }];
  const q = new ListQueue(items);
  assert.equal(q.maxLeft, 2);
  const first = await q.take();
  assert.deepEqual(first, { item: { path: "a", bad: "x" }, index: 0 });
  q.putBack(first!);
  assert.equal(q.taken, 0);
  assert.deepEqual((await takeAll(q)).map((x) => [x.index, x.item.path]), [[0, "a"], [1, "b"]]);
  assert.equal(await q.isEmpty(), true);
  assert.equal(q.taken, 2);
});

Deno.test("ExaminingQueue: hasCarriable(limit) stops after `limit` set aside; retarget brings back what it now carries, in path order", async () => {
  await withJunk(async (junk) => {
    // Nothing is carried at first: MR, bad, US set aside/kept, then the limit (2 set aside).
    const q = new ExaminingQueue([MR, junk, US, CT, MR], () => false);
    assert.equal(await q.hasCarriable(2), false);
    assert.equal(q.exhausted, false); // CT and the second MR not examined yet
    assert.deepEqual(q.diverted.map((f) => f.path), [MR, US]);
    // From now on MR is carried: the first comes back before the bad file, the US stays aside.
    q.retarget((f) => f.sopClassUid === MR_SOP);
    const got = await takeAll(q);
    assert.deepEqual(got.map((x) => [x.index, x.item.path]), [[0, MR], [1, junk], [2, MR]]);
    assert.deepEqual(q.diverted.map((f) => f.path), [US, CT]);
    assert.equal(q.exhausted, true);
  });
});
