/**
 * The transcoding stream (lib/part10/transcode.ts) and the ByteSource openDataset hands out
 * for it (lib/part10/transcode_source.ts), on data sets built here with the RLE codec (no
 * WebAssembly needed): which elements change and how (colour attributes, Lossy Image
 * Compression, group lengths, offset tables, Pixel Data), frames found by either offset table,
 * 1-bit frames packed across frame boundaries, icons (Pixel Data in the Icon Image Sequence),
 * and the failures: short codec output, encapsulated Pixel Data in another sequence, frame
 * counts, lengths, a corrupt first frame refused before anything is sent.
 */
import assert from "node:assert/strict";
import { decodeRleFrame, encodeRleFrame, rleCodec } from "../lib/codecs/rle.ts";
import { CodecError, type FrameCodec, type ImageInfo } from "../lib/codecs/types.ts";
import { concatBytes } from "../lib/bytes.ts";
import { transcodeDataset, type TranscodeSpec } from "../lib/part10/transcode.ts";
import { type ElementSpec, encodeElements, encodePart10 } from "../lib/part10/writer.ts";
import { readDicomFileInfo } from "../lib/part10/file.ts";
import { openDataset } from "../lib/part10/source.ts";
import type { ByteSource } from "../lib/part10/types.ts";
import { convertDataset } from "../lib/part10/convert.ts";
import { EXPLICIT_VR_LE, IMPLICIT_VR_LE } from "../lib/uids.ts";

const LE = { explicitVr: true, littleEndian: true };
const RLE = "1.2.840.10008.1.2.5";
const SC = "1.2.840.10008.5.1.4.1.1.7";

const us = (tag: number, v: number): ElementSpec => ({ tag, vr: "US", value: [v] });

/** Image Pixel elements for `image` (tags ascending). */
function imageElements(image: ImageInfo, extra: ElementSpec[] = []): ElementSpec[] {
  const list: ElementSpec[] = [
    { tag: 0x00080016, vr: "UI", value: SC },
    { tag: 0x00080018, vr: "UI", value: "2.25.42" },
    { tag: 0x00100010, vr: "PN", value: "RLE^TEST" },
    us(0x00280002, image.samplesPerPixel),
    { tag: 0x00280004, vr: "CS", value: image.photometricInterpretation },
    ...(image.samplesPerPixel > 1 ? [us(0x00280006, image.planarConfiguration)] : []),
    ...(image.frames > 1 ? [{ tag: 0x00280008, vr: "IS", value: String(image.frames) }] : []),
    us(0x00280010, image.rows),
    us(0x00280011, image.columns),
    us(0x00280100, image.bitsAllocated),
    us(0x00280101, image.bitsStored),
    us(0x00280102, image.bitsStored - 1),
    us(0x00280103, image.pixelRepresentation),
    ...extra,
  ];
  return list.sort((a, b) => a.tag - b.tag);
}

function item(bytes: Uint8Array): Uint8Array {
  const h = new Uint8Array(8);
  const dv = new DataView(h.buffer);
  dv.setUint16(0, 0xfffe, true);
  dv.setUint16(2, 0xe000, true);
  dv.setUint32(4, bytes.length, true);
  return concatBytes([h, bytes]);
}

/** Encapsulated Pixel Data: header, Basic Offset Table, fragments, delimiter. */
function encapsulated(fragments: Uint8Array[], bot: number[] = []): Uint8Array {
  const head = new Uint8Array([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff]);
  const table = new Uint8Array(bot.length * 4);
  bot.forEach((o, i) => new DataView(table.buffer).setUint32(i * 4, o, true));
  const end = new Uint8Array([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
  return concatBytes([head, item(table), ...fragments.map(item), end]);
}

function image(over: Partial<ImageInfo> = {}): ImageInfo {
  return {
    rows: 3,
    columns: 5,
    samplesPerPixel: 3,
    bitsAllocated: 8,
    bitsStored: 8,
    pixelRepresentation: 0,
    planarConfiguration: 0,
    photometricInterpretation: "RGB",
    frames: 2,
    ...over,
  };
}

function pixels(img: ImageInfo, seed: number): Uint8Array {
  const n = img.rows * img.columns * img.samplesPerPixel * (img.bitsAllocated / 8);
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed * 13) % 5 === 0 ? 200 : i & 0xff);
}

function readerOf(bytes: Uint8Array) {
  let off = 0;
  // deno-lint-ignore require-await
  return async (p: Uint8Array) => {
    if (off >= bytes.length) return null;
    const n = Math.min(p.length, bytes.length - off, 1000); // small reads: chunk boundaries
    p.set(bytes.subarray(off, off + n));
    off += n;
    return n;
  };
}

async function run(input: Uint8Array, spec: TranscodeSpec): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of transcodeDataset(readerOf(input), spec).chunks) parts.push(c.slice());
  return concatBytes(parts);
}

interface El {
  tag: number;
  vr: string;
  length: number;
  value: Uint8Array;
}

/** Top-level elements of an Explicit VR LE data set (encapsulated Pixel Data kept whole). */
function parse(bytes: Uint8Array): El[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: El[] = [];
  let off = 0;
  while (off < bytes.length) {
    const tag = ((dv.getUint16(off, true) << 16) | dv.getUint16(off + 2, true)) >>> 0;
    const vr = String.fromCharCode(bytes[off + 4], bytes[off + 5]);
    const long = ["OB", "OW", "SQ", "UN", "UT", "OF", "OD", "OL", "OV", "UC", "UR"].includes(vr);
    let length = long ? dv.getUint32(off + 8, true) : dv.getUint16(off + 6, true);
    off += long ? 12 : 8;
    const start = off;
    if (length === 0xffffffff) {
      // Items up to the sequence delimiter.
      for (;;) {
        const t = dv.getUint32(off, true);
        const l = dv.getUint32(off + 4, true);
        off += 8;
        if (t === 0xe0ddfffe) break;
        off += l;
      }
    } else off += length;
    out.push({ tag, vr, length, value: bytes.subarray(start, off) });
    if (length === 0xffffffff) length = off - start;
  }
  return out;
}

const get = (els: El[], tag: number) => els.find((e) => e.tag === tag);
const text = (e?: El) => e && new TextDecoder().decode(e.value).trim();
const u16 = (e?: El) => e && (e.value[0] | (e.value[1] << 8));

/** Fragments of encapsulated Pixel Data (after the offset table). */
function fragments(value: Uint8Array): Uint8Array[] {
  const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const out: Uint8Array[] = [];
  let off = 0;
  let first = true;
  while (off < value.length) {
    const t = dv.getUint32(off, true);
    const l = dv.getUint32(off + 4, true);
    if (t === 0xe0ddfffe) break;
    if (!first) out.push(value.subarray(off + 8, off + 8 + l));
    first = false;
    off += 8 + l;
  }
  return out;
}

const decode = (over: Partial<TranscodeSpec> = {}): TranscodeSpec => ({
  direction: "decode",
  transferSyntaxUid: RLE,
  codec: rleCodec,
  ...over,
});

Deno.test("decode: native Pixel Data frame after frame; every other element byte for byte", async () => {
  const img = image();
  const frames = [pixels(img, 1), pixels(img, 2)];
  const head = encodeElements(imageElements(img), LE);
  const tail = encodeElements([{ tag: 0xfffcfffc, vr: "OB", value: new Uint8Array(4) }], LE);
  const input = concatBytes([
    head,
    encapsulated(frames.map((f) => encodeRleFrame(f, img))),
    tail,
  ]);
  const out = await run(input, decode());
  // Up to Pixel Data: unchanged (RGB stays RGB, colour-by-pixel stays).
  assert.deepEqual(out.subarray(0, head.length), head);
  const els = parse(out.subarray(head.length));
  assert.equal(els[0].tag, 0x7fe00010);
  assert.equal(els[0].vr, "OB");
  assert.equal(els[0].length, 90);
  assert.deepEqual(els[0].value, concatBytes(frames));
  assert.deepEqual(out.subarray(out.length - tail.length), tail);
});

Deno.test("decode: frames by the Extended Offset Table; both EOT elements dropped", async () => {
  const img = image({ samplesPerPixel: 1, photometricInterpretation: "MONOCHROME2" });
  const f = [pixels(img, 3), pixels(img, 4)];
  // Frame 1 in two fragments: RLE allows it only through an offset table.
  const r1 = encodeRleFrame(f[0], img);
  const r2 = encodeRleFrame(f[1], img);
  const parts = [r1.subarray(0, 40), r1.subarray(40), r2];
  const eot = new Uint8Array(16);
  new DataView(eot.buffer).setBigUint64(8, BigInt(8 + 40 + 8 + r1.length - 40), true);
  const input = concatBytes([
    encodeElements(imageElements(img), LE),
    encodeElements([
      { tag: 0x7fe00001, vr: "OV", value: eot },
      { tag: 0x7fe00002, vr: "OV", value: new Uint8Array(16) },
    ], LE),
    encapsulated(parts),
  ]);
  const els = parse(await run(input, decode()));
  assert.equal(get(els, 0x7fe00001), undefined);
  assert.equal(get(els, 0x7fe00002), undefined);
  assert.deepEqual(get(els, 0x7fe00010)!.value, concatBytes(f));
});

Deno.test("decode: group lengths recomputed; Lossy Image Compression 01 after a lossy syntax", async () => {
  const img = image({ frames: 1, planarConfiguration: 1 });
  const f = pixels(img, 5);
  const group28 = encodeElements(imageElements(img).filter((e) => e.tag >>> 16 === 0x28), LE);
  const input = concatBytes([
    encodeElements(imageElements(img).filter((e) => e.tag >>> 16 !== 0x28), LE),
    encodeElements([{ tag: 0x00280000, vr: "UL", value: [group28.length] }], LE),
    group28,
    encodeElements([{ tag: 0x7fe00000, vr: "UL", value: [1234] }], LE),
    encapsulated([encodeRleFrame(f, img)], [0]),
  ]);
  // A codec that (like JPEG for YBR) changes the colour model.
  const ybr: FrameCodec = {
    ...rleCodec,
    decodedColour: (c) => ({ ...c, photometricInterpretation: "YBR_FULL", planarConfiguration: 1 }),
  };
  const els = parse(await run(input, decode({ codec: ybr, lossy: true })));
  assert.equal(text(get(els, 0x00280004)), "YBR_FULL");
  assert.equal(u16(get(els, 0x00280006)), 1);
  assert.equal(text(get(els, 0x00282110)), "01");
  const g28 = els.filter((e) => e.tag >>> 16 === 0x28 && e.tag !== 0x00280000);
  const size = g28.reduce((n, e) => n + 8 + e.value.length, 0);
  assert.equal(
    new DataView(get(els, 0x00280000)!.value.buffer, get(els, 0x00280000)!.value.byteOffset)
      .getUint32(0, true),
    size,
  );
  const g7 = get(els, 0x7fe00000)!.value;
  assert.equal(new DataView(g7.buffer, g7.byteOffset).getUint32(0, true), 12 + 46); // 45 + pad
  assert.deepEqual(get(els, 0x7fe00010)!.value.subarray(0, 45), f);
  assert.equal(get(els, 0x7fe00010)!.length, 46);
  // An existing "00" becomes "01"; a lossless syntax leaves it alone.
  const with00 = concatBytes([
    encodeElements(imageElements(img, [{ tag: 0x00282110, vr: "CS", value: "00" }]), LE),
    encapsulated([encodeRleFrame(f, img)]),
  ]);
  assert.equal(text(get(parse(await run(with00, decode({ lossy: true }))), 0x00282110)), "01");
  assert.equal(text(get(parse(await run(with00, decode())), 0x00282110)), "00");
});

Deno.test("decode: 1-bit frames are packed one after the other, across byte boundaries", async () => {
  const img = image({
    rows: 3,
    columns: 3,
    samplesPerPixel: 1,
    bitsAllocated: 1,
    bitsStored: 1,
    photometricInterpretation: "MONOCHROME2",
  });
  // 9 pixels a frame: frame 1 all ones, frame 2 alternating 1,0,1...
  const rle = (bytes: number[]) => {
    const out = new Uint8Array(64 + 2 + bytes.length + (bytes.length % 2));
    const dv = new DataView(out.buffer);
    dv.setUint32(0, 1, true);
    dv.setUint32(4, 64, true);
    out[64] = bytes.length - 1;
    out.set(bytes, 65);
    return out;
  };
  const input = concatBytes([
    encodeElements(imageElements(img), LE),
    encapsulated([rle([0xff, 0x01]), rle([0x55, 0x01])]),
  ]);
  const px = get(parse(await run(input, decode())), 0x7fe00010)!;
  // Bits (LSB first): 111111111 101010101 → 0xff, 0xab, 0x02, then a pad byte.
  assert.deepEqual([...px.value], [0xff, 0xab, 0x02, 0x00]);
});

/** An Icon Image Sequence of one item holding `dataSet`: explicit lengths, or undefined ones. */
function iconSequence(dataSet: Uint8Array, undefinedLengths = false): Uint8Array {
  if (undefinedLengths) {
    return concatBytes([
      new Uint8Array([0x88, 0, 0, 2, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff]),
      new Uint8Array([0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]),
      dataSet,
      new Uint8Array([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]),
      new Uint8Array([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]),
    ]);
  }
  const it = item(dataSet);
  const h = new Uint8Array([0x88, 0, 0, 2, 0x53, 0x51, 0, 0, 0, 0, 0, 0]);
  new DataView(h.buffer).setUint32(8, it.length, true);
  return concatBytes([h, it]);
}

/** Where `needle` starts in `hay` (-1: nowhere). */
function find(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

Deno.test("icons: an encapsulated icon is decoded with its item's own attributes (explicit lengths recomputed, undefined ones kept); a native icon passes unchanged both ways", async () => {
  const img = image();
  const frames = [pixels(img, 1), pixels(img, 2)];
  const head = encodeElements(imageElements(img), LE);
  const main = encapsulated(frames.map((f) => encodeRleFrame(f, img)));
  const iconImg = image({
    rows: 4,
    columns: 6,
    samplesPerPixel: 1,
    photometricInterpretation: "MONOCHROME2",
    frames: 1,
  });
  const iconPixels = pixels(iconImg, 3);
  const iconGroup = encodeElements(
    imageElements(iconImg).filter((e) => e.tag >>> 16 === 0x0028),
    LE,
  );
  const nativeIcon = concatBytes([
    iconGroup,
    encodeElements([{ tag: 0x7fe00010, vr: "OB", value: iconPixels }], LE),
  ]);
  const rleIcon = concatBytes([iconGroup, encapsulated([encodeRleFrame(iconPixels, iconImg)])]);
  for (const undefinedLengths of [false, true]) {
    const out = await run(
      concatBytes([head, iconSequence(rleIcon, undefinedLengths), main]),
      decode(),
    );
    // The icon item: its group as it was, its Pixel Data native; the lengths fit.
    const want = iconSequence(nativeIcon, undefinedLengths);
    assert.equal(find(out, want), head.length, `undefined lengths: ${undefinedLengths}`);
    const px = get(parse(out.subarray(head.length + want.length)), 0x7fe00010)!;
    assert.deepEqual(px.value, concatBytes(frames));
  }
  // A corrupt icon fails the data set, named as the icon; encapsulated Pixel Data deeper in an
  // icon item (in a sequence of its own) is refused.
  const badIcon = concatBytes([iconGroup, encapsulated([new Uint8Array(10)])]);
  await assert.rejects(
    run(concatBytes([head, iconSequence(badIcon), main]), decode()),
    (e: unknown) =>
      e instanceof CodecError && /^Icon Image Sequence: RLE: frame of 10 bytes/.test(e.message),
  );
  const deeper = concatBytes([
    iconGroup,
    new Uint8Array([0x08, 0x00, 0x40, 0x11, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff]),
    item(rleIcon),
    new Uint8Array([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]),
  ]);
  await assert.rejects(
    run(concatBytes([head, iconSequence(deeper), main]), decode()),
    /inside a sequence other than the Icon Image Sequence/,
  );
  // A native icon: the sequence's bytes unchanged, decoding and encoding.
  const native = iconSequence(nativeIcon);
  const decoded = await run(concatBytes([head, native, main]), decode());
  assert.equal(find(decoded, native), head.length);
  const plain = encodeElements([{ tag: 0x7fe00010, vr: "OB", value: concatBytes(frames) }], LE);
  const encoded = await run(concatBytes([head, native, plain]), {
    direction: "encode",
    transferSyntaxUid: RLE,
    codec: rleCodec,
  });
  assert.equal(find(encoded, native), head.length);
  const frags = fragments(
    get(parse(encoded.subarray(head.length + native.length)), 0x7fe00010)!.value,
  );
  assert.deepEqual(frags.map((f) => decodeRleFrame(f, img)), frames);
});

Deno.test("decode: a codec returning too few bytes, a frame count that doesn't match, nested Pixel Data: refused", async () => {
  const img = image();
  const f = encodeRleFrame(pixels(img, 1), img);
  const head = encodeElements(imageElements(img), LE);
  const short: FrameCodec = { ...rleCodec, decode: (fr, im) => decodeRleFrame(fr, im).subarray(1) };
  await assert.rejects(
    run(concatBytes([head, encapsulated([f, f])]), decode({ codec: short })),
    (e: unknown) =>
      e instanceof CodecError && e.code === "length" &&
      e.message === "frame 1 of 2: the decoder returned 44 bytes, the frame holds 45",
  );
  await assert.rejects(
    run(concatBytes([head, encapsulated([f])]), decode()),
    /holds 1 frame\(s\), Number of Frames says 2/,
  );
  await assert.rejects(
    run(concatBytes([head, encapsulated([f, f, f])]), decode()),
    /more than the 2 frame/,
  );
  // Encapsulated Pixel Data inside a sequence other than the Icon Image Sequence.
  const nested = concatBytes([
    new Uint8Array([0x54, 0x00, 0x16, 0x00, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff]),
    item(encapsulated([f])),
    new Uint8Array([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]),
  ]);
  await assert.rejects(
    run(concatBytes([head, nested, encapsulated([f, f])]), decode()),
    (e: unknown) =>
      e instanceof CodecError && e.code === "unsupported" &&
      /inside a sequence other than the Icon Image Sequence/.test(e.message),
  );
  // Missing attributes.
  await assert.rejects(
    run(
      concatBytes([
        encodeElements(imageElements(img).filter((e) => e.tag !== 0x00280010), LE),
        encapsulated([f, f]),
      ]),
      decode(),
    ),
    /Rows \(0028,0010\) is missing/,
  );
});

Deno.test("decode: a data set without Pixel Data, or with native Pixel Data, passes unchanged", async () => {
  const noPixels = encodeElements([
    { tag: 0x00080016, vr: "UI", value: SC },
    { tag: 0x00100010, vr: "PN", value: "X" },
    // An undefined-length UN sequence (Implicit VR LE inside, CP-246).
    { tag: 0x00110010, vr: "LO", value: "PRIVATE" },
  ], LE);
  const un = concatBytes([
    new Uint8Array([0x11, 0x00, 0x10, 0x10, 0x55, 0x4e, 0, 0, 0xff, 0xff, 0xff, 0xff]),
    new Uint8Array([0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]),
    new Uint8Array([0x10, 0x00, 0x20, 0x00, 2, 0, 0, 0, 0x41, 0x20]),
    new Uint8Array([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0, 0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]),
  ]);
  assert.deepEqual(await run(concatBytes([noPixels, un]), decode()), concatBytes([noPixels, un]));
  const img = image({ frames: 1 });
  const native = encodeElements([...imageElements(img), {
    tag: 0x7fe00010,
    vr: "OB",
    value: pixels(img, 1),
  }], LE);
  assert.deepEqual(await run(native, decode()), native);
});

Deno.test("encode: one item per frame after an empty Basic Offset Table; decodes back to the original", async () => {
  const img = image({ planarConfiguration: 0 });
  const f = [pixels(img, 1), pixels(img, 2)];
  const input = encodeElements([
    ...imageElements(img),
    { tag: 0x7fe00000, vr: "UL", value: [12 + 90] },
    { tag: 0x7fe00010, vr: "OB", value: concatBytes(f) },
  ], LE);
  const out = await run(input, { direction: "encode", transferSyntaxUid: RLE, codec: rleCodec });
  const els = parse(out);
  assert.equal(get(els, 0x7fe00000), undefined); // no length to count
  assert.equal(u16(get(els, 0x00280006)), 1); // RLE colour: by plane
  const px = get(els, 0x7fe00010)!;
  assert.equal(px.length, 0xffffffff);
  assert.deepEqual([...px.value.subarray(0, 8)], [0xfe, 0xff, 0x00, 0xe0, 0, 0, 0, 0]);
  const frags = fragments(px.value);
  assert.equal(frags.length, 2);
  const planar = { ...img, planarConfiguration: 1 };
  for (let i = 0; i < 2; i++) {
    assert.equal(frags[i].length % 2, 0);
    const back = decodeRleFrame(frags[i], planar);
    // By plane now: R of every pixel, then G, then B.
    const n = img.rows * img.columns;
    for (let p = 0; p < n; p++) {
      for (let s = 0; s < 3; s++) assert.equal(back[s * n + p], f[i][p * 3 + s]);
    }
  }
  // And through decode again, as the peer would: the same bytes as by-plane native data.
  const again = get(parse(await run(out, decode())), 0x7fe00010)!;
  assert.equal(again.length, 90);
});

Deno.test("encode: a Pixel Data length that doesn't fit the frames, and 1-bit data, are refused", async () => {
  const img = image({ frames: 1 });
  const bad = encodeElements([
    ...imageElements(img),
    { tag: 0x7fe00010, vr: "OB", value: new Uint8Array(40) },
  ], LE);
  await assert.rejects(
    run(bad, { direction: "encode", transferSyntaxUid: RLE, codec: rleCodec }),
    /holds 40 bytes; 1 frame\(s\) of 45 make 45/,
  );
  const bit = image({
    frames: 1,
    samplesPerPixel: 1,
    bitsAllocated: 1,
    bitsStored: 1,
    photometricInterpretation: "MONOCHROME2",
  });
  const one = encodeElements([...imageElements(bit), {
    tag: 0x7fe00010,
    vr: "OB",
    value: new Uint8Array(2),
  }], LE);
  await assert.rejects(
    run(one, { direction: "encode", transferSyntaxUid: RLE, codec: rleCodec }),
    (e: unknown) => e instanceof CodecError && e.code === "unsupported",
  );
});

async function readAll(src: ByteSource): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(4096);
  for (let n; (n = await src.read(buf)) !== null;) parts.push(buf.slice(0, n));
  return concatBytes(parts);
}

async function withFile(bytes: Uint8Array, body: (path: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "storescu-transcode-" });
  try {
    await Deno.writeFile(`${dir}/f.dcm`, bytes);
    await body(`${dir}/f.dcm`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function rleFile(img: ImageInfo, frames: Uint8Array[]): Uint8Array {
  const file = encodePart10(
    { sopClassUid: SC, sopInstanceUid: "2.25.42", transferSyntaxUid: RLE },
    imageElements(img),
  );
  return concatBytes([file, encapsulated(frames)]);
}

Deno.test("openDataset: an RLE file opened as Implicit VR LE is decoded and converted; says how", async () => {
  const img = image();
  const f = [pixels(img, 1), pixels(img, 2)];
  await withFile(rleFile(img, f.map((x) => encodeRleFrame(x, img))), async (path) => {
    const info = await readDicomFileInfo(path);
    const src = await openDataset(info, IMPLICIT_VR_LE);
    assert.deepEqual(src.transcoding, {
      direction: "decoded",
      codec: "RLE Lossless (TypeScript, PackBits in WebAssembly; PS3.5 Annex G)",
    });
    const implicit = await readAll(src);
    src.close();
    // The same as decoding to Explicit VR LE and converting that.
    const explicit = await openDataset(info, EXPLICIT_VR_LE);
    const viaExplicit: Uint8Array[] = [];
    for await (
      const c of convertDataset(readerOf(await readAll(explicit)), LE, {
        explicitVr: false,
        littleEndian: true,
      })
    ) viaExplicit.push(c.slice());
    explicit.close();
    assert.deepEqual(implicit, concatBytes(viaExplicit));
  });
});

Deno.test("openDataset: a corrupt first frame is refused before a byte is handed out", async () => {
  const img = image();
  const good = encodeRleFrame(pixels(img, 1), img);
  const cut = good.subarray(0, 70);
  await withFile(rleFile(img, [cut, good]), async (path) => {
    const info = await readDicomFileInfo(path);
    await assert.rejects(
      openDataset(info, EXPLICIT_VR_LE),
      (e: unknown) =>
        e instanceof CodecError &&
        /^frame 1 of 2: RLE: segment 2 starts at byte 82, past the end of the 70-byte frame$/.test(
          e.message,
        ),
    );
  });
  // A corrupt later frame: the source is handed out, and fails when it gets there.
  await withFile(rleFile(img, [good, cut]), async (path) => {
    const src = await openDataset(await readDicomFileInfo(path), EXPLICIT_VR_LE);
    await assert.rejects(readAll(src), /^CodecError: frame 2 of 2/);
    src.close();
  });
});

Deno.test("openDataset: an uncompressed file encoded to RLE; refused when the codec can't", async () => {
  const img = image({ frames: 1 });
  const f = pixels(img, 9);
  const file = encodePart10(
    { sopClassUid: SC, sopInstanceUid: "2.25.42", transferSyntaxUid: IMPLICIT_VR_LE },
    [...imageElements(img), { tag: 0x7fe00010, vr: "OB", value: f }],
  );
  await withFile(file, async (path) => {
    const src = await openDataset(await readDicomFileInfo(path), RLE);
    assert.equal(src.transcoding?.direction, "encoded");
    const px = get(parse(await readAll(src)), 0x7fe00010)!;
    src.close();
    assert.deepEqual(
      decodeRleFrame(fragments(px.value)[0], { ...img, planarConfiguration: 1 }).length,
      45,
    );
  });
  const bit = image({
    frames: 1,
    samplesPerPixel: 1,
    bitsAllocated: 1,
    bitsStored: 1,
    photometricInterpretation: "MONOCHROME2",
  });
  const oneBit = encodePart10(
    { sopClassUid: SC, sopInstanceUid: "2.25.43", transferSyntaxUid: EXPLICIT_VR_LE },
    [...imageElements(bit), { tag: 0x7fe00010, vr: "OB", value: new Uint8Array(2) }],
  );
  await withFile(oneBit, async (path) => {
    await assert.rejects(
      openDataset(await readDicomFileInfo(path), RLE),
      (e: unknown) => e instanceof CodecError && e.code === "unsupported",
    );
  });
});
