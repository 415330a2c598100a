/**
 * Benchmark data: Part-10 files written directly (no dependency on the library under test).
 *
 * - {@link writeCtSeries}: N single-frame 512x512x16-bit CT images in Explicit VR Little
 *   Endian, each with its own SOP Instance UID. One template is built and only the
 *   fixed-width UIDs and instance number are patched per file, so 1,000 files take about a
 *   second to write.
 * - {@link writeMultiFrame}: one Multi-frame Grayscale Word SC image of `frames` 512x512x16-bit
 *   frames (2048 frames = 1 GiB of pixel data), written in chunks so memory stays small.
 *
 * @module
 */

/** CT Image Storage. */
export const CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2";
/** Multi-frame Grayscale Word Secondary Capture Image Storage. */
export const MF_GRAYSCALE_WORD_SC = "1.2.840.10008.5.1.4.1.1.7.3";
/** Explicit VR Little Endian. */
export const EXPLICIT_VR_LE = "1.2.840.10008.1.2.1";

const ROWS = 512;
const COLUMNS = 512;
/** Bytes of one 512x512 16-bit frame. */
export const FRAME_BYTES: number = ROWS * COLUMNS * 2;

const LONG_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT"]);
const ASCII = new TextEncoder();

function pad(vr: string, s: string): Uint8Array {
  const b = ASCII.encode(s);
  if (b.length % 2 === 0) return b;
  const out = new Uint8Array(b.length + 1);
  out.set(b);
  out[b.length] = vr === "UI" || vr === "OB" ? 0 : 0x20;
  return out;
}

function u16s(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setUint16(i * 2, v, true));
  return out;
}

/** Encodes one Explicit VR Little Endian element header for `length` value bytes. */
function header(tag: number, vr: string, length: number): Uint8Array {
  const long = LONG_VRS.has(vr);
  const out = new Uint8Array(long ? 12 : 8);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, tag >>> 16, true);
  dv.setUint16(2, tag & 0xffff, true);
  out[4] = vr.charCodeAt(0);
  out[5] = vr.charCodeAt(1);
  if (long) dv.setUint32(8, length, true);
  else {
    if (length > 0xffff) throw new Error(`value too long for ${vr}`);
    dv.setUint16(6, length, true);
  }
  return out;
}

type Value = string | Uint8Array;

class Builder {
  parts: Uint8Array[] = [];
  length = 0;
  marks = new Map<string, number>();
  add(tag: number, vr: string, value: Value, mark?: string): this {
    const v = typeof value === "string" ? pad(vr, value) : value;
    const h = header(tag, vr, v.length);
    if (mark) this.marks.set(mark, this.length + h.length);
    this.parts.push(h, v);
    this.length += h.length + v.length;
    return this;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/** Preamble, "DICM" and a File Meta Information group; `marks.uid` locates (0002,0003). */
function part10Head(sopClass: string, instanceUid: string): { bytes: Uint8Array; uidAt: number } {
  const meta = new Builder()
    .add(0x00020001, "OB", new Uint8Array([0, 1]))
    .add(0x00020002, "UI", sopClass)
    .add(0x00020003, "UI", instanceUid, "uid")
    .add(0x00020010, "UI", EXPLICIT_VR_LE)
    .add(0x00020012, "UI", "2.25.302043639731484125329738342104546378751")
    .add(0x00020013, "SH", "STORESCU_BENCH");
  const groupLength = new Uint8Array(4);
  new DataView(groupLength.buffer).setUint32(0, meta.length, true);
  const gl = new Builder().add(0x00020000, "UL", groupLength);
  const out = new Uint8Array(132 + gl.length + meta.length);
  out.set(ASCII.encode("DICM"), 128);
  out.set(gl.bytes(), 132);
  out.set(meta.bytes(), 132 + gl.length);
  return { bytes: out, uidAt: 132 + gl.length + meta.marks.get("uid")! };
}

/** A random UID root under 2.25 so that every bench run sends new instances. */
export function randomUidRoot(): string {
  const b = crypto.getRandomValues(new Uint8Array(12));
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return `2.25.${n}`;
}

/** Fixed-width per-file UID suffix: `root.1NNNNNN` (7 digits, up to 8,999,999 files). */
function instanceUid(root: string, i: number): string {
  return `${root}.${1_000_000 + i}`;
}

function patternFrame(seed: number, rows = ROWS, columns = COLUMNS): Uint8Array {
  // A smooth 12-bit gradient with a little texture: plausible, cheap, not all zeros.
  const out = new Uint8Array(rows * columns * 2);
  const dv = new DataView(out.buffer);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      const v = ((x * 3 + y * 5 + seed * 7) ^ (x * y)) & 0x0fff;
      dv.setUint16((y * columns + x) * 2, v, true);
    }
  }
  return out;
}

/** What was written. */
export interface Written {
  paths: string[];
  /** Sum of the file sizes. */
  bytes: number;
}

/**
 * Writes `count` CT images (about 0.5 MB each) into `dir` as `ct_000000.dcm`, ...
 * `size` sets the image's rows and columns (default 512; 64 gives files of about 9 KB).
 *
 * @example
 * ```ts ignore
 * const { paths } = await writeCtSeries(await Deno.makeTempDir(), 10);
 * const tiny = await writeCtSeries(await Deno.makeTempDir(), 10_000, undefined, 64);
 * ```
 */
export async function writeCtSeries(
  dir: string,
  count: number,
  root: string = randomUidRoot(),
  size: number = ROWS,
): Promise<Written> {
  const first = instanceUid(root, 0);
  const head = part10Head(CT_IMAGE_STORAGE, first);
  const ds = new Builder()
    .add(0x00080005, "CS", "ISO_IR 100")
    .add(0x00080008, "CS", "ORIGINAL\\PRIMARY\\AXIAL")
    .add(0x00080012, "DA", "20240101")
    .add(0x00080013, "TM", "120000")
    .add(0x00080016, "UI", CT_IMAGE_STORAGE)
    .add(0x00080018, "UI", first, "uid")
    .add(0x00080020, "DA", "20240101")
    .add(0x00080030, "TM", "120000")
    .add(0x00080050, "SH", "BENCH0001")
    .add(0x00080060, "CS", "CT")
    .add(0x00080070, "LO", "storescu bench")
    .add(0x00080090, "PN", "")
    .add(0x0008103e, "LO", "bench series")
    .add(0x00100010, "PN", "BENCH^PATIENT")
    .add(0x00100020, "LO", "BENCH-1")
    .add(0x00100030, "DA", "19700101")
    .add(0x00100040, "CS", "O")
    .add(0x00180050, "DS", "1.0")
    .add(0x00180060, "DS", "120")
    .add(0x0020000d, "UI", `${root}.1`)
    .add(0x0020000e, "UI", `${root}.2`)
    .add(0x00200010, "SH", "1")
    .add(0x00200011, "IS", "1")
    .add(0x00200013, "IS", "     1", "number")
    .add(0x00200032, "DS", "-125.0\\-125.0\\0.0")
    .add(0x00200037, "DS", "1\\0\\0\\0\\1\\0")
    .add(0x00200052, "UI", `${root}.3`)
    .add(0x00201041, "DS", "0.0")
    .add(0x00280002, "US", u16s([1]))
    .add(0x00280004, "CS", "MONOCHROME2")
    .add(0x00280010, "US", u16s([size]))
    .add(0x00280011, "US", u16s([size]))
    .add(0x00280030, "DS", "0.488\\0.488")
    .add(0x00280100, "US", u16s([16]))
    .add(0x00280101, "US", u16s([12]))
    .add(0x00280102, "US", u16s([11]))
    .add(0x00280103, "US", u16s([0]))
    .add(0x00281050, "DS", "40")
    .add(0x00281051, "DS", "400")
    .add(0x00281052, "DS", "-1024")
    .add(0x00281053, "DS", "1")
    .add(0x7fe00010, "OW", patternFrame(0, size, size));
  const template = new Uint8Array(head.bytes.length + ds.length);
  template.set(head.bytes);
  template.set(ds.bytes(), head.bytes.length);
  const uidAts = [head.uidAt, head.bytes.length + ds.marks.get("uid")!];
  const numberAt = head.bytes.length + ds.marks.get("number")!;
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const uid = ASCII.encode(instanceUid(root, i));
    for (const at of uidAts) template.set(uid, at);
    template.set(ASCII.encode(String(i + 1).padStart(6, " ")), numberAt);
    const path = `${dir}/ct_${String(i).padStart(6, "0")}.dcm`;
    await Deno.writeFile(path, template);
    paths.push(path);
  }
  return { paths, bytes: template.length * count };
}

/**
 * Writes one Multi-frame Grayscale Word SC image with `frames` 512x512x16-bit frames to
 * `path` (2048 frames: 1 GiB of pixel data), a few MiB at a time.
 *
 * @example
 * ```ts ignore
 * await writeMultiFrame("/tmp/mf.dcm", 16);
 * ```
 */
export async function writeMultiFrame(
  path: string,
  frames: number,
  root: string = randomUidRoot(),
): Promise<Written> {
  const uid = `${root}.9000000`;
  const head = part10Head(MF_GRAYSCALE_WORD_SC, uid);
  const pixelBytes = frames * FRAME_BYTES;
  if (pixelBytes > 0xfffffffe) throw new Error("pixel data too long for one element");
  const ds = new Builder()
    .add(0x00080005, "CS", "ISO_IR 100")
    .add(0x00080008, "CS", "DERIVED\\SECONDARY")
    .add(0x00080016, "UI", MF_GRAYSCALE_WORD_SC)
    .add(0x00080018, "UI", uid)
    .add(0x00080020, "DA", "20240101")
    .add(0x00080030, "TM", "120000")
    .add(0x00080050, "SH", "BENCH0002")
    .add(0x00080060, "CS", "OT")
    .add(0x00080064, "CS", "WSD")
    .add(0x00080090, "PN", "")
    .add(0x00100010, "PN", "BENCH^PATIENT")
    .add(0x00100020, "LO", "BENCH-1")
    .add(0x00100030, "DA", "19700101")
    .add(0x00100040, "CS", "O")
    .add(0x00181063, "DS", "33.3")
    .add(0x0020000d, "UI", `${root}.1`)
    .add(0x0020000e, "UI", `${root}.4`)
    .add(0x00200010, "SH", "1")
    .add(0x00200011, "IS", "2")
    .add(0x00200013, "IS", "1")
    .add(0x00280002, "US", u16s([1]))
    .add(0x00280004, "CS", "MONOCHROME2")
    .add(0x00280008, "IS", String(frames))
    .add(0x00280009, "AT", u16s([0x0018, 0x1063]))
    .add(0x00280010, "US", u16s([ROWS]))
    .add(0x00280011, "US", u16s([COLUMNS]))
    .add(0x00280100, "US", u16s([16]))
    .add(0x00280101, "US", u16s([16]))
    .add(0x00280102, "US", u16s([15]))
    .add(0x00280103, "US", u16s([0]));
  const pixelHeader = header(0x7fe00010, "OW", pixelBytes);
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    const writeAll = async (b: Uint8Array) => {
      for (let o = 0; o < b.length;) o += await file.write(b.subarray(o));
    };
    await writeAll(head.bytes);
    await writeAll(ds.bytes());
    await writeAll(pixelHeader);
    const perChunk = 16;
    const chunk = new Uint8Array(perChunk * FRAME_BYTES);
    for (let f = 0; f < perChunk; f++) chunk.set(patternFrame(f), f * FRAME_BYTES);
    for (let f = 0; f < frames; f += perChunk) {
      const n = Math.min(perChunk, frames - f);
      await writeAll(chunk.subarray(0, n * FRAME_BYTES));
    }
  } finally {
    file.close();
  }
  return { paths: [path], bytes: head.bytes.length + ds.length + pixelHeader.length + pixelBytes };
}
