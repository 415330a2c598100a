import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { inflateRawSync } from "node:zlib";
import { readDicomFileInfo } from "../lib/part10/file.ts";
import { canConvert, datasetLength, openDataset } from "../lib/part10/source.ts";
import { convertDataset } from "../lib/part10/convert.ts";
import { dictionaryVr, vrForTag } from "../lib/part10/dictionary.ts";
import {
  type Encoding,
  encodingOf,
  ITEM,
  ITEM_DELIMITATION,
  LONG_VRS,
  SEQUENCE_DELIMITATION,
  tagString,
  UNDEFINED_LENGTH,
} from "../lib/part10/encoding.ts";
import { ConversionError } from "../lib/part10/errors.ts";
import { encodeElements, encodePart10 } from "../lib/part10/writer.ts";
import {
  DEFLATED_EXPLICIT_VR_LE,
  EXPLICIT_VR_BE,
  EXPLICIT_VR_LE,
  IMPLICIT_VR_LE,
  UNCOMPRESSED_TRANSFER_SYNTAXES,
} from "../lib/uids.ts";
import type { ByteSource, DicomFileInfo } from "../lib/part10/types.ts";
import { concatBytes } from "../lib/bytes.ts";

const CORPUS = new URL("../../shared/corpus/", import.meta.url);
const TESTDATA = new URL("../testdata/", import.meta.url);
/** dcmconv with only the standard dictionary: private tags become UN, as ours do. */
const DCMTK_ENV = { DCMDICTPATH: "/usr/share/libdcmtk17/dicom.dic" };
const DCMCONV_TS: Record<string, string> = {
  [IMPLICIT_VR_LE]: "+ti",
  [EXPLICIT_VR_LE]: "+te",
  [EXPLICIT_VR_BE]: "+tb",
  [DEFLATED_EXPLICIT_VR_LE]: "+td",
};

async function readAll(src: ByteSource, bufSize = 65536): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(bufSize);
  try {
    for (let n; (n = await src.read(buf)) !== null;) parts.push(buf.slice(0, n));
  } finally {
    src.close();
  }
  return concatBytes(parts);
}

/** Our data set bytes for `ts` (inflated when deflated). */
async function ours(info: DicomFileInfo, ts: string): Promise<Uint8Array> {
  const bytes = await readAll(await openDataset(info, ts));
  return ts === DEFLATED_EXPLICIT_VR_LE ? new Uint8Array(inflateRawSync(bytes)) : bytes;
}

/** dcmconv's data set bytes for `ts` (inflated when deflated). */
async function dcmconv(path: string, ts: string, lengths: "+e" | "-e", dir: string) {
  const out = `${dir}/dcmconv.dcm`;
  const r = await new Deno.Command("dcmconv", {
    args: [lengths, DCMCONV_TS[ts], path, out],
    env: DCMTK_ENV,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!r.success) throw new Error(`dcmconv failed: ${new TextDecoder().decode(r.stderr)}`);
  const info = await readDicomFileInfo(out);
  equal(info.transferSyntaxUid, ts);
  const d = (await Deno.readFile(out)).subarray(info.datasetOffset);
  return ts === DEFLATED_EXPLICIT_VR_LE ? new Uint8Array(inflateRawSync(d)) : d;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface Structure {
  /** One line per element / item, without sequence and item lengths. */
  lines: string[];
  definedLength: number;
  undefinedLength: number;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

/** Parses a data set into lines (tag, VR, value) ignoring how sequences/items are delimited. */
function structure(bytes: Uint8Array, enc: Encoding, skipGroupLengths = false): Structure {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const s: Structure = { lines: [], definedLength: 0, undefinedLength: 0 };
  const header = (off: number, e: Encoding) => {
    const le = e.littleEndian;
    const tag = ((dv.getUint16(off, le) << 16) | dv.getUint16(off + 2, le)) >>> 0;
    if (!e.explicitVr || tag >>> 16 === 0xfffe) {
      return { tag, vr: undefined as string | undefined, len: dv.getUint32(off + 4, le), hl: 8 };
    }
    const vr = String.fromCharCode(bytes[off + 4], bytes[off + 5]);
    if (LONG_VRS.has(vr)) return { tag, vr, len: dv.getUint32(off + 8, le), hl: 12 };
    return { tag, vr, len: dv.getUint16(off + 6, le), hl: 8 };
  };
  const elements = (off: number, end: number, e: Encoding, prefix: string): number => {
    while (off < end) {
      const h = header(off, e);
      off += h.hl;
      if (h.tag === ITEM_DELIMITATION) return off;
      const undef = h.len === UNDEFINED_LENGTH;
      const vr = h.vr ?? (undef ? "SQ" : vrForTag(h.tag));
      if (vr === "SQ" || undef) {
        const inner = vr === "UN" ? { explicitVr: false, littleEndian: true } : e;
        s.lines.push(`${prefix}${tagString(h.tag)} ${vr}`);
        if (undef) s.undefinedLength++;
        else s.definedLength++;
        const seqEnd = undef ? bytes.length : off + h.len;
        let i = 0;
        while (off < seqEnd) {
          const item = header(off, inner);
          off += 8;
          if (item.tag === SEQUENCE_DELIMITATION) break;
          if (item.tag !== ITEM) throw new Error(`expected item at ${off}`);
          s.lines.push(`${prefix}${tagString(h.tag)}[${i}]`);
          if (item.len === UNDEFINED_LENGTH) s.undefinedLength++;
          else s.definedLength++;
          const itemEnd = item.len === UNDEFINED_LENGTH ? bytes.length : off + item.len;
          off = elements(off, itemEnd, inner, `${prefix}${tagString(h.tag)}[${i++}].`);
        }
        continue;
      }
      if (!(skipGroupLengths && (h.tag & 0xffff) === 0)) {
        s.lines.push(`${prefix}${tagString(h.tag)} ${vr} ${hex(bytes.subarray(off, off + h.len))}`);
      }
      off += h.len;
    }
    return off;
  };
  elements(0, bytes.length, enc, "");
  return s;
}

/**
 * Files whose data set, sent in its own transfer syntax, differs from dcmconv's rewrite:
 * their (gggg,0000) group lengths are wrong and dcmconv recalculates them. We send the file's
 * bytes untouched (and recalculate group lengths only when converting).
 */
const WRONG_GROUP_LENGTHS = new Set([
  "pydicom/charset_files/chrJapMulti.dcm",
  "pydicom/charset_files/chrKoreanMulti.dcm",
]);

/** The corpus files to convert: every uncompressed one except the broken or unsendable. */
async function matrixFiles(): Promise<string[]> {
  const text = await Deno.readTextFile(new URL("INDEX.tsv", CORPUS));
  const rows = text.trim().split("\n").slice(1).map((l) => l.split("\t"));
  const files = rows.filter(([path, , , , ts, , , , , notes]) =>
    (ts === "" || UNCOMPRESSED_TRANSFER_SYNTAXES.includes(ts)) &&
    !path.includes("dicomdirtests/") && // 74 near-identical tiny files: covered by others
    !/TRUNCATED|NOT DICOM|dcmtk cannot parse|not sendable/.test(notes ?? "") &&
    !path.endsWith("empty_charset_LEI.dcm")
  ).map(([path]) => new URL(path, CORPUS).pathname);
  // A few DICOMDIR-tree files still (same shape, cheap).
  files.push(
    new URL(
      "pydicom/test_files/dicomdirtests/TINY_ALPHA/PT000000/ST000000/SE000000/IM000000",
      CORPUS,
    )
      .pathname,
  );
  for await (const e of Deno.readDir(TESTDATA)) {
    if (e.name.endsWith(".dcm")) files.push(new URL(e.name, TESTDATA).pathname);
  }
  return files.sort();
}

const relative = (path: string) =>
  path.startsWith(CORPUS.pathname) ? path.slice(CORPUS.pathname.length) : path;

Deno.test("conversion matrix: every pair of uncompressed syntaxes equals dcmconv", async (t) => {
  const dir = await Deno.makeTempDir();
  const files = await matrixFiles();
  ok(files.length >= 60, `only ${files.length} files`);
  const report: string[] = [];
  try {
    for (const path of files) {
      const name = relative(path);
      await t.step(name, async () => {
        const info = await readDicomFileInfo(path);
        const raw = (await Deno.readFile(path)).subarray(info.datasetOffset);
        const srcEnc = encodingOf(info.transferSyntaxUid)!;
        const source = info.transferSyntaxUid === DEFLATED_EXPLICIT_VR_LE
          ? new Uint8Array(inflateRawSync(raw))
          : raw;
        const shape = structure(source, srcEnc);
        // dcmconv +e writes every sequence/item with a defined length, -e undefined: we keep
        // each one as it was, so compare bytes with the one that matches the file's style.
        const mixed = shape.definedLength > 0 && shape.undefinedLength > 0;
        const style = shape.undefinedLength > 0 && !mixed ? "-e" : "+e";
        for (const ts of UNCOMPRESSED_TRANSFER_SYNTAXES) {
          const mine = await ours(info, ts);
          const theirs = await dcmconv(path, ts, style, dir);
          const enc = encodingOf(ts)!;
          if (ts === info.transferSyntaxUid) {
            // Same syntax: the file's own bytes, untouched.
            ok(same(mine, source), `${name} → ${ts}: not the file's bytes`);
          }
          if (deflateOnly(info.transferSyntaxUid, ts)) {
            // Explicit VR LE <-> Deflated: only (de)compressed, the elements are the file's own
            // (dcmconv also re-encodes, e.g. fixes wrong group lengths; we don't touch them).
            ok(same(mine, source), `${name} → ${ts}: not the file's elements, (de)compressed`);
            continue;
          }
          if (same(mine, theirs)) continue;
          if (mixed || (ts === info.transferSyntaxUid && WRONG_GROUP_LENGTHS.has(name))) {
            // Mixed defined/undefined lengths (dcmconv makes them uniform), or dcmconv fixed
            // wrong group lengths: equal element by element (values, VRs, nesting).
            const skipGl = WRONG_GROUP_LENGTHS.has(name);
            deepEqual(
              structure(mine, enc, skipGl).lines,
              structure(theirs, enc, skipGl).lines,
              `${name} → ${ts}`,
            );
            report.push(`${name} → ${ts}: element-equal (${mixed ? "mixed lengths" : "GL"})`);
            continue;
          }
          throw new Error(`${name} → ${ts}: differs from dcmconv ${style}`);
        }
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  console.log(`${files.length} files × 4 syntaxes; not byte-equal:\n  ${report.join("\n  ")}`);
});

/** A pair that differs only by deflate. */
function deflateOnly(a: string, b: string): boolean {
  const pair = new Set([EXPLICIT_VR_LE, DEFLATED_EXPLICIT_VR_LE]);
  return a !== b && pair.has(a) && pair.has(b);
}

/** Converts in-memory data set bytes. */
async function convertBytes(bytes: Uint8Array, src: Encoding, dst: Encoding) {
  let pos = 0;
  const read = (p: Uint8Array) => {
    if (pos >= bytes.length) return Promise.resolve(null);
    const n = Math.min(p.length, bytes.length - pos, 7777); // odd chunking on purpose
    p.set(bytes.subarray(pos, pos + n));
    pos += n;
    return Promise.resolve(n);
  };
  const parts: Uint8Array[] = [];
  for await (const c of convertDataset(read, src, dst)) parts.push(c.slice());
  return concatBytes(parts);
}

const IMPLICIT: Encoding = { explicitVr: false, littleEndian: true };
const EXPLICIT: Encoding = { explicitVr: true, littleEndian: true };
const BIG: Encoding = { explicitVr: true, littleEndian: false };

/**
 * Explicit LE files whose VRs all match what Implicit VR resolves to, so implicit loses
 * nothing. Not in the list: files with private elements (their VR becomes UN) and files with
 * 8-bit OB Pixel Data (Implicit VR Pixel Data is OW, as dcmtk writes it back).
 */
const DICTIONARY_VRS = [
  "pydicom/test_files/MR_small.dcm",
  "pydicom/test_files/test-SR.dcm",
  "pydicom/test_files/examples_palette.dcm",
  "variants/mr_small_utf8_names.dcm",
  "pydicom/test_files/reportsi.dcm",
  "variants/rtplan_explicit_length_seq_explicit.dcm",
  "variants/rtstruct_undefined_length_seq_explicit.dcm",
];

Deno.test("round trips are byte-exact", async () => {
  for (const path of await matrixFiles()) {
    const info = await readDicomFileInfo(path);
    if (info.transferSyntaxUid === DEFLATED_EXPLICIT_VR_LE) continue;
    const bytes = (await Deno.readFile(path)).subarray(info.datasetOffset);
    const enc = encodingOf(info.transferSyntaxUid)!;
    const name = relative(path);
    // Conversions recalculate group lengths: these files have wrong ones.
    if (WRONG_GROUP_LENGTHS.has(name)) continue;
    // Byte order changes lose nothing.
    const other = enc.explicitVr ? (enc.littleEndian ? BIG : EXPLICIT) : BIG;
    const back = await convertBytes(await convertBytes(bytes, enc, other), other, enc).catch(
      (e) => {
        throw new Error(`${name}: ${e}`);
      },
    );
    ok(same(back, bytes), `${name}: ${JSON.stringify(enc)} → ${JSON.stringify(other)} → back`);
    // Implicit → explicit → implicit loses nothing.
    if (!enc.explicitVr) {
      const viaExplicit = await convertBytes(
        await convertBytes(bytes, enc, EXPLICIT),
        EXPLICIT,
        enc,
      );
      ok(same(viaExplicit, bytes), `${name}: implicit → explicit → implicit`);
    }
  }
  for (const name of DICTIONARY_VRS) {
    const path = new URL(name, CORPUS).pathname;
    const info = await readDicomFileInfo(path);
    const bytes = (await Deno.readFile(path)).subarray(info.datasetOffset);
    const back = await convertBytes(
      await convertBytes(bytes, EXPLICIT, IMPLICIT),
      IMPLICIT,
      EXPLICIT,
    );
    ok(same(back, bytes), `${name}: explicit → implicit → explicit`);
    equal(info.transferSyntaxUid, EXPLICIT_VR_LE);
  }
});

Deno.test("explicit → implicit → explicit keeps values where VRs fall back to UN", async () => {
  // CT_small has 179 private elements: their VRs become UN, their values stay.
  const path = new URL("pydicom/test_files/CT_small.dcm", CORPUS).pathname;
  const info = await readDicomFileInfo(path);
  const bytes = (await Deno.readFile(path)).subarray(info.datasetOffset);
  const back = await convertBytes(
    await convertBytes(bytes, EXPLICIT, IMPLICIT),
    IMPLICIT,
    EXPLICIT,
  );
  const a = structure(bytes, EXPLICIT).lines;
  const b = structure(back, EXPLICIT).lines;
  equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    const [tagA, , valueA] = a[i].split(" ");
    const [tagB, vrB, valueB] = b[i].split(" ");
    equal(tagA, tagB);
    equal(valueA, valueB);
    equal(vrB, "UN", `${a[i]} vs ${b[i]}`);
    ok(parseInt(tagA.slice(1, 5), 16) % 2 === 1, `only private tags change VR: ${tagA}`);
  }
});

Deno.test("dictionary: VRs, pseudo VRs and generic rules", () => {
  equal(vrForTag(0x00100010), "PN");
  equal(vrForTag(0x300a00b0), "SQ");
  equal(vrForTag(0x00280106), "US");
  equal(vrForTag(0x00280106, { pixelRepresentation: 1 }), "SS");
  equal(vrForTag(0x00283002, { pixelRepresentation: 1 }), "US"); // LUT Descriptor
  equal(vrForTag(0x00283006), "OW"); // LUT Data
  equal(vrForTag(0x7fe00010), "OW");
  equal(vrForTag(0x60023000), "OW"); // Overlay Data, repeating group
  equal(vrForTag(0x60020010), "US"); // Overlay Rows
  equal(vrForTag(0x60030010), "LO"); // odd group: private creator
  equal(vrForTag(0x50000005), "US"); // curve, repeating group
  equal(vrForTag(0x00203100), "CS"); // element range
  equal(vrForTag(0x00180000), "UL"); // group length
  equal(vrForTag(0x00290010), "LO"); // private creator
  equal(vrForTag(0x00291010), "UN"); // private
  equal(vrForTag(0x00980099), "UN"); // unknown
  equal(vrForTag(0x00990099), "LO"); // odd group, element 0x99: private creator
  equal(vrForTag(0x00041200), "UL"); // "up"
  equal(dictionaryVr(0x00280106), "xs");
  equal(dictionaryVr(0x12345678), undefined);
});

Deno.test("canConvert, datasetLength and unconvertible data", async () => {
  ok(canConvert(EXPLICIT_VR_LE, IMPLICIT_VR_LE));
  ok(canConvert(EXPLICIT_VR_BE, DEFLATED_EXPLICIT_VR_LE));
  ok(canConvert("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.50"));
  ok(!canConvert("1.2.840.10008.1.2.4.50", EXPLICIT_VR_LE));
  const jpeg = await readDicomFileInfo(
    new URL("variants/sc_img2dcm_jpeg_baseline.dcm", CORPUS).pathname,
  );
  equal(datasetLength(jpeg), jpeg.size - jpeg.datasetOffset);
  equal(
    (await readAll(await openDataset(jpeg, jpeg.transferSyntaxUid))).length,
    datasetLength(jpeg),
  );
  // Compressed to uncompressed is a transcode (tests/part10_transcode_test.ts); lossy encoding
  // isn't one.
  const decoded = await openDataset(jpeg, IMPLICIT_VR_LE);
  equal(decoded.transcoding?.direction, "decoded");
  decoded.close();
  const ct = await readDicomFileInfo(new URL("pydicom/test_files/CT_small.dcm", CORPUS).pathname);
  await rejects(() => openDataset(ct, "1.2.840.10008.1.2.4.50"), (e: unknown) => {
    ok(e instanceof ConversionError);
    equal((e as ConversionError).code, "unsupported");
    return true;
  });
  // Encapsulated pixel data in a file that claims Explicit VR LE.
  const dir = await Deno.makeTempDir();
  try {
    const file = encodePart10({
      sopClassUid: "1.2.840.10008.5.1.4.1.1.7",
      sopInstanceUid: "2.25.7",
      transferSyntaxUid: EXPLICIT_VR_LE,
    }, [{ tag: 0x00080016, vr: "UI", value: "1.2.840.10008.5.1.4.1.1.7" }]);
    const enc = { explicitVr: true, littleEndian: true };
    const pixel = new Uint8Array([
      0xe0,
      0x7f,
      0x10,
      0x00,
      0x4f,
      0x42,
      0,
      0,
      0xff,
      0xff,
      0xff,
      0xff,
    ]);
    const items = encodeElements([], enc);
    const all = new Uint8Array(file.length + pixel.length + items.length + 16);
    all.set(file);
    all.set(pixel, file.length);
    all.set(
      [0xfe, 0xff, 0x00, 0xe0, 0, 0, 0, 0, 0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0],
      file.length + 12,
    );
    await Deno.writeFile(`${dir}/encapsulated.dcm`, all);
    const info = await readDicomFileInfo(`${dir}/encapsulated.dcm`);
    await rejects(
      async () => await readAll(await openDataset(info, IMPLICIT_VR_LE)),
      (e: unknown) => {
        ok(e instanceof ConversionError);
        equal((e as ConversionError).code, "encapsulated");
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  // Truncated data set.
  const truncated = await readDicomFileInfo(
    new URL("pydicom/test_files/MR_truncated.dcm", CORPUS).pathname,
  );
  await rejects(
    async () => await readAll(await openDataset(truncated, IMPLICIT_VR_LE)),
    (e: unknown) => {
      ok(e instanceof ConversionError);
      equal((e as ConversionError).code, "truncated");
      return true;
    },
  );
});

Deno.test({
  name: "memory: converting a ~200 MB file keeps RSS flat",
  // Long-running by nature (a few seconds).
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/big.dcm`;
      const pixelBytes = 200 * 1024 * 1024;
      const head = encodePart10({
        sopClassUid: "1.2.840.10008.5.1.4.1.1.7",
        sopInstanceUid: "2.25.200",
        transferSyntaxUid: EXPLICIT_VR_LE,
      }, [
        { tag: 0x00080016, vr: "UI", value: "1.2.840.10008.5.1.4.1.1.7" },
        { tag: 0x00080018, vr: "UI", value: "2.25.200" },
        { tag: 0x00280100, vr: "US", value: [16] },
      ]);
      const file = await Deno.open(path, { write: true, create: true, truncate: true });
      await file.write(head);
      const hdr = new Uint8Array([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57, 0, 0, 0, 0, 0, 0]);
      new DataView(hdr.buffer).setUint32(8, pixelBytes, true);
      await file.write(hdr);
      const chunk = new Uint8Array(1024 * 1024);
      for (let i = 0; i < chunk.length; i++) chunk[i] = i & 0xff;
      for (let i = 0; i < pixelBytes / chunk.length; i++) {
        let off = 0;
        while (off < chunk.length) off += await file.write(chunk.subarray(off));
      }
      file.close();
      const info = await readDicomFileInfo(path);
      for (const ts of [IMPLICIT_VR_LE, EXPLICIT_VR_BE, DEFLATED_EXPLICIT_VR_LE]) {
        const before = Deno.memoryUsage().rss;
        let peak = before;
        const src = await openDataset(info, ts);
        const buf = new Uint8Array(256 * 1024);
        let total = 0;
        let firstPixels: Uint8Array | undefined;
        for (let n; (n = await src.read(buf)) !== null;) {
          if (!firstPixels && total + n > 200) firstPixels = buf.slice(0, n);
          total += n;
          if ((total & 0xffffff) < n) peak = Math.max(peak, Deno.memoryUsage().rss);
        }
        src.close();
        const growth = (peak - before) / 1024 / 1024;
        console.log(`${ts}: ${total} bytes, RSS +${growth.toFixed(1)} MB`);
        ok(growth < 64, `${ts}: RSS grew by ${growth.toFixed(1)} MB`);
        const expected = datasetLength(info) - (ts === IMPLICIT_VR_LE ? 4 : 0);
        if (ts === DEFLATED_EXPLICIT_VR_LE) ok(total > 0 && total < expected / 10, `${total}`);
        else equal(total, expected, ts);
        ok(firstPixels);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("explicit UN of undefined length becomes SQ, re-encoded (as dcmconv does) when the encoding changes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const inner = encodeElements([{ tag: 0x00091010, vr: "LO", value: "abc" }], IMPLICIT);
    const head = encodePart10({
      sopClassUid: "1.2.840.10008.5.1.4.1.1.7",
      sopInstanceUid: "2.25.9",
      transferSyntaxUid: EXPLICIT_VR_LE,
    }, [
      { tag: 0x00080016, vr: "UI", value: "1.2.840.10008.5.1.4.1.1.7" },
      { tag: 0x00080018, vr: "UI", value: "2.25.9" },
      { tag: 0x00090010, vr: "LO", value: "TEST" },
    ]);
    const un = concatBytes([
      new Uint8Array([0x09, 0, 0x01, 0x10, 0x55, 0x4e, 0, 0, 0xff, 0xff, 0xff, 0xff]),
      new Uint8Array([0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]),
      inner,
      new Uint8Array([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0, 0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]),
    ]);
    const path = `${dir}/un.dcm`;
    await Deno.writeFile(path, concatBytes([head, un]));
    const info = await readDicomFileInfo(path);
    for (const ts of [IMPLICIT_VR_LE, EXPLICIT_VR_BE]) {
      const mine = await ours(info, ts);
      ok(same(mine, await dcmconv(path, ts, "-e", dir)), ts);
      ok(
        structure(mine, encodingOf(ts)!).lines.includes(
          "(0009,1001)[0].(0009,1010) " +
            "UN 61626320",
        ),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
