/**
 * lib/pdu/pdata_writer.ts: P-DATA-TF PDUs no longer than the peer's maximum, one PDV each,
 * even fragments, the right control bytes, whatever the data set size or the source's reads.
 */

import assert from "node:assert/strict";
import { DataSetSourceError, type DataSource, PDataWriter } from "../lib/pdu/pdata_writer.ts";
import { decodePdu } from "../lib/pdu/decode.ts";
import type { PDataTF } from "../lib/pdu/types.ts";
import { concatBytes } from "../lib/bytes.ts";

/** Splits written bytes into PDUs (by their length fields) and decodes each. */
function pdus(written: Uint8Array[]): PDataTF[] {
  const all = concatBytes(written);
  const out: PDataTF[] = [];
  for (let o = 0; o < all.length;) {
    const len = new DataView(all.buffer, all.byteOffset + o).getUint32(2);
    out.push(decodePdu(all.subarray(o, o + 6 + len)) as PDataTF);
    o += 6 + len;
  }
  return out;
}

/**
 * How a source tells its end: by `null` after the last byte (the writer reads ahead), by its
 * `length` up front, or by its `length` with synchronous reads (a local file).
 */
const KINDS = ["reads ahead", "length", "sync"] as const;

/** A source over `data` that returns at most `step` bytes a read. */
function source(
  data: Uint8Array,
  step = Infinity,
  kind: typeof KINDS[number] = "reads ahead",
): DataSource & { asyncReads: number } {
  let off = 0;
  const readSync = (p: Uint8Array): number | null => {
    if (off >= data.length) return null;
    const n = Math.min(p.length, step, data.length - off);
    p.set(data.subarray(off, off + n));
    off += n;
    return n;
  };
  const src = {
    asyncReads: 0,
    read(p: Uint8Array): Promise<number | null> {
      src.asyncReads++;
      return Promise.resolve(readSync(p));
    },
  };
  if (kind === "reads ahead") return src;
  return kind === "length"
    ? Object.assign(src, { length: data.length })
    : Object.assign(src, { length: data.length, readSync });
}

const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);

for (const max of [4096, 16384, 16383]) {
  for (const size of [0, 1, 4090, 4091, 8180, 100_000, 3 * 16378]) {
    for (const step of [Infinity, 1000]) {
      Deno.test(`PDataWriter: max ${max}, data set ${size} bytes, reads of ≤ ${step}`, async () => {
        let first: Uint8Array | undefined;
        for (const kind of KINDS) {
          const written: Uint8Array[] = [];
          const w = new PDataWriter((b) => Promise.resolve(void written.push(b.slice())), max);
          const command = pattern(150);
          const data = pattern(size);
          const src = source(data, step, kind);
          const sent = await w.writeMessage(5, command, src);
          assert.equal(sent, size);
          const list = pdus(written);
          const pdvs = list.flatMap((p) => p.pdvs);
          assert.ok(list.every((p) => p.pdvs.length === 1), "one PDV per PDU");
          for (const p of list) {
            const bodyLength = 6 + p.pdvs[0].data.length; // PDV item: 4 + 2 + data
            assert.ok(bodyLength <= max, `PDU body ${bodyLength} > ${max}`);
          }
          assert.ok(pdvs.every((v) => v.contextId === 5));
          const cmd = pdvs.filter((v) => v.isCommand);
          const ds = pdvs.filter((v) => !v.isCommand);
          assert.deepEqual(concatBytes(cmd.map((v) => v.data)), command);
          assert.ok(cmd.at(-1)!.isLast && cmd.slice(0, -1).every((v) => !v.isLast));
          assert.deepEqual(concatBytes(ds.map((v) => v.data)), data);
          assert.ok(ds.at(-1)!.isLast && ds.slice(0, -1).every((v) => !v.isLast));
          assert.ok(ds.slice(0, -1).every((v) => v.data.length % 2 === 0), "even fragments");
          if (kind === "sync" && size > 0) assert.equal(src.asyncReads, 0, "sync reads only");
          // However the source says where it ends, the same PDUs in the same writes.
          const all = concatBytes(written);
          if (first) assert.ok(all.length === first.length && all.every((b, i) => b === first![i]));
          else first = all;
        }
      });
    }
  }
}

Deno.test("PDataWriter: a source that ends before the length it announced fails the message", async () => {
  for (const kind of ["length", "sync"] as const) {
    const short = Object.assign(source(pattern(1000), Infinity, kind), { length: 2000 });
    const w = new PDataWriter(async () => {}, 16384);
    await assert.rejects(
      w.writeMessage(1, pattern(10), short),
      (e: unknown) =>
        e instanceof DataSetSourceError && /after 1000 of its 2000 bytes/.test(e.message),
    );
    assert.equal(w.partial, false, "the last fragment was never written");
  }
});

Deno.test("PDataWriter: a command alone is one PDU, control 0x03", async () => {
  const written: Uint8Array[] = [];
  const w = new PDataWriter((b) => Promise.resolve(void written.push(b.slice())), 16384);
  await w.writeMessage(1, pattern(10));
  assert.equal(written.length, 1);
  assert.deepEqual([...written[0].subarray(0, 12)], [4, 0, 0, 0, 0, 16, 0, 0, 0, 12, 1, 3]);
});

Deno.test("PDataWriter: unlimited peer (0) sends large fragments, gathered into few writes", async () => {
  const written: Uint8Array[] = [];
  const w = new PDataWriter((b) => Promise.resolve(void written.push(b.slice())), 0);
  await w.writeMessage(3, pattern(100), source(pattern(3 << 20)));
  const ds = pdus(written).flatMap((p) => p.pdvs).filter((v) => !v.isCommand);
  assert.equal(ds.length, 3);
  assert.ok(ds.every((v) => v.data.length === 1 << 20));
});

Deno.test("PDataWriter: a failing source is a DataSetSourceError; partial says if bytes went out", async () => {
  const failing = (after: number) => {
    let n = 0;
    return {
      read(p: Uint8Array): Promise<number | null> {
        if (n >= after) return Promise.reject(new Error("disk on fire"));
        const k = Math.min(p.length, after - n);
        n += k;
        return Promise.resolve(k);
      },
    };
  };
  const early = new PDataWriter(async () => {}, 16384);
  await assert.rejects(early.writeMessage(1, pattern(10), failing(100)), DataSetSourceError);
  assert.equal(early.partial, false, "nothing written before the failure");
  const late = new PDataWriter(async () => {}, 16384);
  await assert.rejects(late.writeMessage(1, pattern(10), failing(1_000_000)), /disk on fire/);
  assert.equal(late.partial, true, "the first 256 KiB went out");
});

Deno.test("PDataWriter: beforeWrite can stop a message between writes", async () => {
  let writes = 0;
  const w = new PDataWriter(() => Promise.resolve(void writes++), 16384);
  await assert.rejects(
    w.writeMessage(1, pattern(10), source(pattern(1_000_000)), () => {
      if (writes >= 1) throw new Error("aborted by the peer");
    }),
    /aborted by the peer/,
  );
  assert.equal(writes, 1);
});
