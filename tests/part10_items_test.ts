/**
 * lib/part10/items.ts: a held sequence's items rewritten where they hold encapsulated Pixel
 * Data, found past nested sequences of undefined length (whose item delimiters are not the
 * item's own), lengths recomputed or delimiters kept; anything else returned as it was.
 */
import assert from "node:assert/strict";
import { readBytes, rewriteItems } from "../lib/part10/items.ts";
import { concatBytes } from "../lib/bytes.ts";
import { ConversionError } from "../lib/part10/errors.ts";

const ITEM_UNDEFINED = [0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff];
const ITEM_END = [0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0];
const SEQ_END = [0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0];

/** (0008,1140) SQ of undefined length: one item of undefined length holding (0008,1150) UI. */
// deno-fmt-ignore
const nestedSequence = [
  0x08, 0x00, 0x40, 0x11, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff,
  ...ITEM_UNDEFINED,
  0x08, 0x00, 0x50, 0x11, 0x55, 0x49, 2, 0, 0x31, 0x00,
  ...ITEM_END,
  ...SEQ_END,
];
/** (7FE0,0010) OB of undefined length: an empty offset table, one 2-byte fragment. */
// deno-fmt-ignore
const encapsulatedPixels = [
  0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff,
  0xfe, 0xff, 0x00, 0xe0, 0, 0, 0, 0,
  0xfe, 0xff, 0x00, 0xe0, 2, 0, 0, 0, 0xaa, 0xbb,
  ...SEQ_END,
];

const SQ_UNDEFINED = [0x88, 0x00, 0x00, 0x02, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff];

/** (0088,0200) SQ of undefined length holding `items` (each of undefined length). */
function sequence(...items: number[][]): Uint8Array {
  return new Uint8Array([
    ...SQ_UNDEFINED,
    ...items.flatMap((i) => [...ITEM_UNDEFINED, ...i, ...ITEM_END]),
    ...SEQ_END,
  ]);
}

Deno.test("items: an item with encapsulated Pixel Data is rewritten, found past a nested sequence's own delimiters; others untouched", async () => {
  const seen: Uint8Array[] = [];
  const rewrite = (dataSet: Uint8Array) => {
    seen.push(dataSet.slice());
    return Promise.resolve(new Uint8Array([1, 2, 3, 4]));
  };
  const plain = sequence(nestedSequence);
  assert.equal(await rewriteItems(plain, rewrite), plain); // nothing to rewrite: the same array
  const out = await rewriteItems(
    sequence(nestedSequence, [...nestedSequence, ...encapsulatedPixels]),
    rewrite,
  );
  assert.deepEqual(seen, [new Uint8Array([...nestedSequence, ...encapsulatedPixels])]);
  // The undefined lengths keep their delimiters around the new data set.
  assert.deepEqual(out, sequence(nestedSequence, [1, 2, 3, 4]));
});

Deno.test("items: explicit lengths are recomputed; a cut sequence is refused; a UN of undefined length is walked in Implicit VR", async () => {
  const item = [...nestedSequence, ...encapsulatedPixels];
  const explicit = (items: number[][]) => {
    const body = items.flatMap((i) => [0xfe, 0xff, 0x00, 0xe0, ...le32(i.length), ...i]);
    return new Uint8Array([0x88, 0, 0, 2, 0x53, 0x51, 0, 0, ...le32(body.length), ...body]);
  };
  const out = await rewriteItems(explicit([item]), () => Promise.resolve(new Uint8Array(6)));
  assert.deepEqual(out, explicit([[0, 0, 0, 0, 0, 0]]));
  const cut = explicit([item]).subarray(0, 40);
  new DataView(cut.buffer).setUint32(8, 28, true);
  await assert.rejects(
    rewriteItems(cut, () => Promise.resolve(new Uint8Array())),
    (e: unknown) => e instanceof ConversionError && e.code === "truncated",
  );
  // A UN of undefined length (Implicit VR inside, PS3.5 6.2.2) is walked past: an item of
  // undefined length holding (0009,1011) with 2 bytes, then the item's own Pixel Data.
  // deno-fmt-ignore
  const un = [
    0x09, 0x00, 0x10, 0x10, 0x55, 0x4e, 0, 0, 0xff, 0xff, 0xff, 0xff,
    ...ITEM_UNDEFINED,
    0x09, 0x00, 0x11, 0x10, 2, 0, 0, 0, 0x41, 0x42,
    ...ITEM_END,
    ...SEQ_END,
  ];
  const seen: Uint8Array[] = [];
  const walked = await rewriteItems(sequence([...un, ...encapsulatedPixels]), (d) => {
    seen.push(d.slice());
    return Promise.resolve(new Uint8Array(2));
  });
  assert.deepEqual(seen, [new Uint8Array([...un, ...encapsulatedPixels])]);
  assert.deepEqual(walked, sequence([0, 0]));
});

Deno.test("readBytes: the bytes in reads of at most the buffer's size, then null", async () => {
  const read = readBytes(concatBytes([new Uint8Array([1, 2, 3])]));
  const p = new Uint8Array(2);
  assert.equal(await read(p), 2);
  assert.deepEqual([...p], [1, 2]);
  assert.equal(await read(p), 1);
  assert.equal(p[0], 3);
  assert.equal(await read(p), null);
});

function le32(n: number): number[] {
  return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
}
