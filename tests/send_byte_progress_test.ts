/** lib/send/byte_progress.ts: bytes counted however the source is read; its fast path kept. */
import assert from "node:assert/strict";
import { withByteProgress } from "../lib/send/byte_progress.ts";
import type { ByteSource } from "../lib/part10/types.ts";

Deno.test("withByteProgress: a source's readSync and length pass through, and its reads count", async () => {
  const data = new Uint8Array(3 << 20);
  let off = 0;
  const readSync = (p: Uint8Array) => {
    if (off >= data.length) return null;
    const n = Math.min(p.length, data.length - off);
    off += n;
    return n;
  };
  const inner: ByteSource = {
    length: data.length,
    readSync,
    read: (p) => Promise.resolve(readSync(p)),
    close() {},
  };
  const reports: number[] = [];
  const src = withByteProgress(inner, (n) => reports.push(n));
  assert.equal(src.length, data.length);
  assert.ok(src.readSync, "the synchronous read is kept");
  const buf = new Uint8Array(1 << 20);
  assert.equal(src.readSync(buf), 1 << 20);
  await new Promise((r) => setTimeout(r, 120)); // past the 100 ms between reports
  assert.equal(await src.read(buf), 1 << 20);
  assert.deepEqual(reports, [2 << 20]);
  assert.equal(src.readSync(buf), 1 << 20);
  assert.equal(src.readSync(buf), null);
  // A source without them stays without them (the writer then reads ahead, asynchronously).
  const plain = withByteProgress({ read: () => Promise.resolve(null), close() {} }, () => {});
  assert.equal(plain.readSync, undefined);
  assert.equal(plain.length, undefined);
});
