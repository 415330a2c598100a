import assert from "node:assert/strict";
import {
  encodePdu,
  type Pdu,
  PduError,
  type PduErrorCode,
  PduReader,
  type PduSource,
  PduType,
} from "../lib/pdu/mod.ts";
import { concatBytes } from "../lib/bytes.ts";

/** A source that hands out `data` in reads of at most `chunk` bytes, then EOF (or hangs). */
class ChunkSource implements PduSource {
  #data: Uint8Array;
  #pos = 0;
  #chunk: number;
  #hang: boolean;
  reads = 0;

  constructor(data: Uint8Array, chunk = Infinity, hang = false) {
    this.#data = data;
    this.#chunk = chunk;
    this.#hang = hang;
  }

  read(p: Uint8Array): Promise<number | null> {
    this.reads++;
    if (this.#pos >= this.#data.length) {
      // A peer that sends nothing more and keeps the connection open.
      return this.#hang ? new Promise(() => {}) : Promise.resolve(null);
    }
    const n = Math.min(p.length, this.#chunk, this.#data.length - this.#pos);
    p.set(this.#data.subarray(this.#pos, this.#pos + n));
    this.#pos += n;
    return Promise.resolve(n);
  }
}

const concat = (...parts: Uint8Array[]) => concatBytes(parts);

function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

async function rejectsCode(p: Promise<unknown>, code: PduErrorCode): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof PduError, `expected PduError, got ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

const RQ_HEX =
  "0100000000db00010000414e592d53435020202020202020202053544f52455343552020202020202020000000000000" +
  "000000000000000000000000000000000000000000000000000010000015312e322e3834302e31303030382e332e312e" +
  "312e31200000380100000030000019312e322e3834302e31303030382e352e312e342e312e312e3240000013312e322e" +
  "3834302e31303030382e312e322e315000003e510000040000100052000020312e322e3832362e302e312e3336383030" +
  "34332e392e333831312e332e312e305500000e50594e45544449434f4d5f333130";

function pdata(size: number, fill: number, isLast = false): Pdu {
  return {
    type: PduType.PData,
    pdvs: [{ contextId: 1, isCommand: false, isLast, data: new Uint8Array(size).fill(fill) }],
  };
}

const sequence: Pdu[] = [
  { type: PduType.ReleaseRQ },
  pdata(16376, 0x11),
  pdata(100, 0x22, true),
  { type: PduType.Abort, source: 2, reason: 1 },
];

async function readAll(reader: PduReader): Promise<Pdu[]> {
  const out: Pdu[] = [];
  for (;;) {
    const pdu = await reader.read();
    if (pdu === null) return out;
    out.push(pdu);
  }
}

Deno.test("reader: several PDUs in one stream, clean EOF gives null", async () => {
  const bytes = concat(hex(RQ_HEX), ...sequence.map(encodePdu));
  const src = new ChunkSource(bytes);
  const reader = new PduReader(src, { maxPduLength: 16382 });
  const rq = await reader.read();
  assert.equal(rq?.type, PduType.AssociateRQ);
  assert.equal(reader.lastPduLength, 225);
  const rest = await readAll(reader);
  assert.deepStrictEqual(rest, sequence);
  assert.equal(reader.totalBytesRead, bytes.length);
  assert.equal(await reader.read(), null);
});

Deno.test("reader: small PDUs share one read call", async () => {
  const bytes = concat(...Array.from({ length: 50 }, () => encodePdu({ type: PduType.ReleaseRP })));
  const src = new ChunkSource(bytes);
  const reader = new PduReader(src, { maxPduLength: 0 });
  const all = await readAll(reader);
  assert.equal(all.length, 50);
  assert.equal(src.reads, 2); // one read with data, one EOF
});

Deno.test("reader: one byte at a time works", async () => {
  const bytes = concat(hex(RQ_HEX), ...sequence.map(encodePdu));
  const reader = new PduReader(new ChunkSource(bytes, 1), { maxPduLength: 16382 });
  const all = await readAll(reader);
  assert.equal(all.length, 5);
  assert.deepStrictEqual(all.slice(1), sequence);
});

Deno.test("reader: odd chunk sizes and a PDU bigger than the internal buffer", async () => {
  const big = pdata(200_000, 0x5a, true);
  const bytes = concat(...sequence.map(encodePdu), encodePdu(big), ...sequence.map(encodePdu));
  for (const chunk of [7, 4096, 65536, 100_000]) {
    const reader = new PduReader(new ChunkSource(bytes, chunk), { maxPduLength: 0 });
    const all = await readAll(reader);
    assert.deepStrictEqual(all, [...sequence, big, ...sequence]);
  }
  const limited = new PduReader(new ChunkSource(bytes, 3000), { maxPduLength: 200_006 });
  assert.equal((await readAll(limited)).length, 9);
  assert.equal(limited.lastPduLength, 10);
});

Deno.test("reader: unlimited PDUs above 1 MiB are assembled from chunks", async () => {
  const big = pdata(2_500_000, 0x33);
  const reader = new PduReader(new ChunkSource(encodePdu(big), 70_000), { maxPduLength: 0 });
  assert.deepStrictEqual(await reader.read(), big);
  assert.equal(reader.lastPduLength, 2_500_012);
  assert.equal(await reader.read(), null);
});

Deno.test("reader: PDV data stays valid after later reads", async () => {
  const a = pdata(1000, 0xaa);
  const b = pdata(1000, 0xbb);
  const reader = new PduReader(new ChunkSource(concat(encodePdu(a), encodePdu(b)), 1500), {
    maxPduLength: 0,
  });
  const first = await reader.read();
  const second = await reader.read();
  assert.deepStrictEqual(first, a);
  assert.deepStrictEqual(second, b);
});

Deno.test("reader: EOF inside a PDU is truncated", async () => {
  const bytes = encodePdu(pdata(500, 1));
  for (const cut of [1, 5, 6, 7, 300, bytes.length - 1]) {
    const reader = new PduReader(new ChunkSource(bytes.subarray(0, cut), 64), {
      maxPduLength: 0,
    });
    await rejectsCode(reader.read(), "truncated");
  }
  const after = new PduReader(
    new ChunkSource(concat(encodePdu({ type: PduType.ReleaseRQ }), bytes.subarray(0, 3))),
    { maxPduLength: 0 },
  );
  assert.deepStrictEqual(await after.read(), { type: PduType.ReleaseRQ });
  await rejectsCode(after.read(), "truncated");
});

Deno.test("reader: unknown PDU type fails from the header", async () => {
  const reader = new PduReader(new ChunkSource(hex("09 00 00000004"), Infinity, true), {
    maxPduLength: 0,
  });
  await rejectsCode(reader.read(), "unknown-type");
});

Deno.test("reader: P-DATA over our maximum fails from the 6-byte header alone", async () => {
  // The source sends only the header and then hangs: the reader must not wait for more.
  const reader = new PduReader(new ChunkSource(hex("04 00 00004000"), Infinity, true), {
    maxPduLength: 16382,
  });
  await rejectsCode(reader.read(), "too-large");
  const exact = new PduReader(new ChunkSource(encodePdu(pdata(16376, 0))), {
    maxPduLength: 16382,
  });
  assert.equal((await exact.read())?.type, PduType.PData);
});

Deno.test("reader: length 0xFFFFFFFF fails fast when limited", async () => {
  for (const header of ["04 00 ffffffff", "01 00 ffffffff", "07 00 ffffffff"]) {
    const reader = new PduReader(new ChunkSource(hex(header), 1, true), { maxPduLength: 16382 });
    await rejectsCode(reader.read(), "too-large");
  }
});

Deno.test("reader: non-P-DATA PDUs use maxOtherPduLength", async () => {
  const rq = hex(RQ_HEX);
  const tight = new PduReader(new ChunkSource(rq, Infinity, true), {
    maxPduLength: 0,
    maxOtherPduLength: 100,
  });
  await rejectsCode(tight.read(), "too-large");
  const def = new PduReader(new ChunkSource(hex("02 00 00100001"), Infinity, true), {
    maxPduLength: 0,
  });
  await rejectsCode(def.read(), "too-large"); // over the 1 MiB default
});

Deno.test("reader: unlimited 0xFFFFFFFF length allocates only what arrives", async () => {
  // A lying peer: huge declared length, a few bytes, then EOF.
  const reader = new PduReader(
    new ChunkSource(hex("04 00 ffffffff 00000010 01 00 0102030405")),
    { maxPduLength: 0 },
  );
  await rejectsCode(reader.read(), "truncated");
});

Deno.test("reader: decode errors surface as PduError", async () => {
  const reader = new PduReader(new ChunkSource(hex("04 00 00000005 00000001 01")), {
    maxPduLength: 0,
  });
  await rejectsCode(reader.read(), "malformed");
});

Deno.test({
  name: "reader: works over a real TCP connection",
  ignore: Deno.permissions.querySync({ name: "net", host: "127.0.0.1" }).state !== "granted",
}, async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const bytes = concat(hex(RQ_HEX), ...sequence.map(encodePdu));
  const server = (async () => {
    const conn = await listener.accept();
    for (let i = 0; i < bytes.length; i += 1000) {
      await conn.write(bytes.subarray(i, i + 1000));
    }
    conn.close();
  })();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const reader = new PduReader(conn, { maxPduLength: 16382 });
  const all = await readAll(reader);
  conn.close();
  await server;
  listener.close();
  assert.deepStrictEqual(all.slice(1), sequence);
});
