import { deepEqual, ok, rejects } from "node:assert/strict";
import { deflateRawSync } from "node:zlib";
import { readDicomFileInfo } from "../lib/part10/file.ts";
import { changedSinceExamined } from "../lib/part10/examined.ts";
import { DicomFileError, type DicomFileErrorCode } from "../lib/part10/errors.ts";
import { encodeElements, encodePart10 } from "../lib/part10/writer.ts";
import {
  DEFLATED_EXPLICIT_VR_LE,
  EXPLICIT_VR_BE,
  EXPLICIT_VR_LE,
  IMPLICIT_VR_LE,
} from "../lib/uids.ts";

const CORPUS = new URL("../../shared/corpus/", import.meta.url);
const corpus = (p: string) => new URL(p, CORPUS).pathname;
const TESTDATA = new URL("../testdata/", import.meta.url);

async function expectCode(path: string, code: DicomFileErrorCode): Promise<void> {
  await rejects(() => readDicomFileInfo(path), (e: unknown) => {
    if (!(e instanceof DicomFileError)) throw new Error(`expected DicomFileError, got ${e}`);
    deepEqual(e.code, code, `${path}: ${e.message}`);
    deepEqual(e.path, path);
    ok(e.reason.length > 0);
    return true;
  });
}

interface IndexRow {
  path: string;
  size: number;
  sopClassUid: string;
  transferSyntaxUid: string;
  preamble: boolean;
  meta: boolean;
  notes: string;
}

async function corpusIndex(): Promise<IndexRow[]> {
  const text = await Deno.readTextFile(corpus("INDEX.tsv"));
  return text.trim().split("\n").slice(1).map((line) => {
    const f = line.split("\t");
    return {
      path: f[0],
      size: Number(f[1]),
      sopClassUid: f[2],
      transferSyntaxUid: f[4],
      preamble: f[6] === "True",
      meta: f[7] === "True",
      notes: f[9] ?? "",
    };
  });
}

/** Corpus files that can't be sent, with the error code we expect and why. */
const BAD: Record<string, DicomFileErrorCode> = {
  "pydicom/test_files/zipMR.gz": "not-dicom", // gzip, not DICOM
  "pydicom/test_files/no_meta.dcm": "not-dicom", // stray 0x20 first byte (dcmtk fails too)
  "pydicom/test_files/empty_charset_LEI.dcm": "missing-uid", // no SOP Class UID anywhere
  "pydicom/test_files/nested_priv_SQ.dcm": "missing-uid",
  "pydicom/test_files/meta_missing_tsyntax.dcm": "missing-uid",
};

/** Data sets without meta: the encoding we must detect. */
const RAW: Record<string, string> = {
  "variants/mr_small_dataset_only_explicit_le.dcm": EXPLICIT_VR_LE,
  "variants/mr_small_dataset_only_implicit_le.dcm": IMPLICIT_VR_LE,
  "pydicom/test_files/ExplVR_LitEndNoMeta.dcm": EXPLICIT_VR_LE,
  "pydicom/test_files/ExplVR_BigEndNoMeta.dcm": EXPLICIT_VR_BE,
  "pydicom/test_files/rtstruct.dcm": IMPLICIT_VR_LE,
};

Deno.test("readDicomFileInfo agrees with the corpus index for every file", async () => {
  const rows = await corpusIndex();
  ok(rows.length >= 200);
  for (const row of rows) {
    const path = corpus(row.path);
    if (row.path in BAD) {
      await expectCode(path, BAD[row.path]);
      continue;
    }
    const info = await readDicomFileInfo(path);
    deepEqual(info.path, path);
    deepEqual(info.size, row.size, row.path);
    deepEqual(info.sopClassUid, row.sopClassUid, row.path);
    ok(info.sopInstanceUid.length > 0, row.path);
    deepEqual(info.hasPreamble, row.preamble, row.path);
    deepEqual(info.hasMeta, row.meta, row.path);
    deepEqual(info.transferSyntaxUid, RAW[row.path] ?? row.transferSyntaxUid, row.path);
    deepEqual(info.declaredTransferSyntaxUid, undefined, row.path);
    ok(info.datasetOffset >= 0 && info.datasetOffset < info.size, row.path);
  }
});

Deno.test("readDicomFileInfo: offsets and UIDs of known files", async () => {
  const ct = await readDicomFileInfo(corpus("pydicom/test_files/CT_small.dcm"));
  deepEqual(ct.datasetOffset, 132 + 12 + 192);
  deepEqual(ct.sopInstanceUid, "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322");
  const raw = await readDicomFileInfo(corpus("pydicom/test_files/ExplVR_BigEndNoMeta.dcm"));
  deepEqual(raw.datasetOffset, 0);
  deepEqual(raw.sopInstanceUid, "1.2.333.4444.5.6.7.8");
  const noGroupLength = await readDicomFileInfo(
    corpus("pydicom/test_files/no_meta_group_length.dcm"),
  );
  deepEqual(noGroupLength.transferSyntaxUid, IMPLICIT_VR_LE);
  for await (const e of Deno.readDir(TESTDATA)) {
    if (!e.name.endsWith(".dcm")) continue;
    const info = await readDicomFileInfo(new URL(e.name, TESTDATA).pathname);
    ok(info.sopInstanceUid.startsWith("2.25."), e.name);
    ok(info.hasMeta && info.hasPreamble);
  }
});

Deno.test("readDicomFileInfo: error codes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ct = await Deno.readFile(corpus("pydicom/test_files/CT_small.dcm"));
    const write = async (name: string, bytes: Uint8Array) => {
      await Deno.writeFile(`${dir}/${name}`, bytes);
      return `${dir}/${name}`;
    };
    await expectCode(await write("empty.dcm", new Uint8Array(0)), "empty");
    await expectCode(
      await write("text.txt", new TextEncoder().encode("hello world\n")),
      "not-dicom",
    );
    await expectCode(await write("zeros.dcm", new Uint8Array(4096)), "not-dicom");
    await expectCode(await write("cut_in_meta.dcm", ct.slice(0, 200)), "truncated");
    await expectCode(await write("cut_after_dicm.dcm", ct.slice(0, 132)), "truncated");
    await expectCode(await write("cut_in_header.dcm", ct.slice(0, 137)), "truncated");
    const badLength = ct.slice();
    new DataView(badLength.buffer).setUint32(140, 180, true); // (0002,0000) says 180, is 192
    await expectCode(await write("bad_group_length.dcm", badLength), "bad-meta");
    await expectCode(`${dir}/does-not-exist.dcm`, "unreadable");
    await expectCode(dir, "unreadable");
    // Meta and data set both without SOP Instance UID.
    const noUid = encodePart10({
      sopClassUid: "1.2.840.10008.5.1.4.1.1.7",
      sopInstanceUid: "",
      transferSyntaxUid: EXPLICIT_VR_LE,
    }, [{ tag: 0x00080016, vr: "UI", value: "1.2.840.10008.5.1.4.1.1.7" }]);
    await expectCode(await write("no_uid.dcm", noUid), "missing-uid");
    // UIDs that aren't UIDs (PS3.5 9.1: digits and dots, at most 64), in the meta or the data set.
    const withUids = (sopClassUid: string, sopInstanceUid: string, ts = EXPLICIT_VR_LE) =>
      encodePart10({ sopClassUid, sopInstanceUid, transferSyntaxUid: ts }, [
        { tag: 0x00080016, vr: "UI", value: sopClassUid },
        { tag: 0x00080018, vr: "UI", value: sopInstanceUid },
      ]);
    const SC = "1.2.840.10008.5.1.4.1.1.7";
    // The meta's transfer syntax with one dot made a byte no UID has (as a damaged file has it).
    const tsWithByte = (bytes: Uint8Array, byte: number) => {
      const ts = new TextEncoder().encode(EXPLICIT_VR_LE);
      const at = bytes.findIndex((_, k) => ts.every((c, m) => bytes[k + m] === c));
      const out = bytes.slice();
      out[at + 17] = byte;
      return out;
    };
    for (
      const [name, bytes, says] of [
        [
          "class_letters.dcm",
          withUids("1.2.840.10008.5.1.4.1.1.x", "1.2.3"),
          /SOP Class UID is not a UID: "1\.2\.840\.10008\.5\.1\.4\.1\.1\.x"/,
        ],
        [
          "class_8bit.dcm",
          withUids("1.2.840.10008.5.1.4.1.1.\u2039", "1.2.3"),
          /SOP Class UID is not a UID/,
        ],
        ["instance_long.dcm", withUids(SC, "1." + "2".repeat(64)), /SOP Instance UID is not a UID/],
        [
          "ts_byte.dcm",
          tsWithByte(withUids(SC, "1.2.3"), 0x97),
          /Transfer Syntax UID is not a UID/,
        ],
      ] as const
    ) {
      const path = await write(name, bytes);
      await expectCode(path, "bad-uid");
      await rejects(() => readDicomFileInfo(path), says);
    }
    // 64 characters is still a UID.
    ok(
      (await readDicomFileInfo(await write("long_ok.dcm", withUids(SC, "1." + "2".repeat(62)))))
        .sopInstanceUid.length === 64,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A Part-10 file whose meta lacks (0002,0002)/(0002,0003). */
function metaWithoutUids(ts: string, dataset: Uint8Array): Uint8Array {
  const le = { explicitVr: true, littleEndian: true };
  const group = encodeElements([
    { tag: 0x00020001, vr: "OB", value: new Uint8Array([0, 1]) },
    { tag: 0x00020010, vr: "UI", value: ts },
  ], le);
  const gl = encodeElements([{ tag: 0x00020000, vr: "UL", value: [group.length] }], le);
  const out = new Uint8Array(132 + gl.length + group.length + dataset.length);
  out.set([0x44, 0x49, 0x43, 0x4d], 128);
  out.set(gl, 132);
  out.set(group, 132 + gl.length);
  out.set(dataset, 132 + gl.length + group.length);
  return out;
}

Deno.test("readDicomFileInfo: UIDs from the data set when the meta lacks them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const elements = [
      { tag: 0x00080005, vr: "CS", value: "ISO_IR 100" },
      {
        tag: 0x00080006,
        vr: "SQ",
        undefinedLength: true,
        value: [{ undefinedLength: true, elements: [{ tag: 0x00080100, vr: "SH", value: "X" }] }],
      },
      { tag: 0x00080016, vr: "UI", value: "1.2.840.10008.5.1.4.1.1.7" },
      { tag: 0x00080018, vr: "UI", value: "2.25.42" },
      { tag: 0x00100010, vr: "PN", value: "A^B" },
    ];
    for (
      const [ts, enc, deflate] of [
        [EXPLICIT_VR_LE, { explicitVr: true, littleEndian: true }, false],
        [IMPLICIT_VR_LE, { explicitVr: false, littleEndian: true }, false],
        [EXPLICIT_VR_BE, { explicitVr: true, littleEndian: false }, false],
        [DEFLATED_EXPLICIT_VR_LE, { explicitVr: true, littleEndian: true }, true],
      ] as const
    ) {
      let ds = encodeElements(elements, enc);
      if (deflate) ds = new Uint8Array(deflateRawSync(ds));
      const path = `${dir}/nouid.dcm`;
      await Deno.writeFile(path, metaWithoutUids(ts, ds));
      const info = await readDicomFileInfo(path);
      deepEqual(info.sopClassUid, "1.2.840.10008.5.1.4.1.1.7", ts);
      deepEqual(info.sopInstanceUid, "2.25.42", ts);
      deepEqual(info.transferSyntaxUid, ts);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readDicomFileInfo: meta says Explicit VR but the data set is Implicit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const implicit = await readDicomFileInfo(corpus("pydicom/test_files/MR_small_implicit.dcm"));
    const bytes = await Deno.readFile(implicit.path);
    const dataset = bytes.subarray(implicit.datasetOffset);
    const file = encodePart10({
      sopClassUid: implicit.sopClassUid,
      sopInstanceUid: implicit.sopInstanceUid,
      transferSyntaxUid: EXPLICIT_VR_LE,
    }, []);
    const path = `${dir}/lying.dcm`;
    const all = new Uint8Array(file.length + dataset.length);
    all.set(file);
    all.set(dataset, file.length);
    await Deno.writeFile(path, all);
    const info = await readDicomFileInfo(path);
    deepEqual(info.transferSyntaxUid, IMPLICIT_VR_LE);
    deepEqual(info.declaredTransferSyntaxUid, EXPLICIT_VR_LE);
    deepEqual(info.datasetOffset, file.length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readDicomFileInfo: 1000 files are fast", async () => {
  const path = new URL("ct_explicit_le.dcm", TESTDATA).pathname;
  await readDicomFileInfo(path);
  const t0 = performance.now();
  for (let i = 0; i < 1000; i++) await readDicomFileInfo(path);
  const ms = performance.now() - t0;
  ok(ms < 3000, `1000 × readDicomFileInfo took ${ms.toFixed(0)} ms`);
});

Deno.test("changedSinceExamined: other size, another file, or written since; else nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-stamp-" });
  try {
    const path = `${dir}/ct.dcm`;
    const bytes = Deno.readFileSync(new URL("ct_explicit_le.dcm", TESTDATA));
    Deno.writeFileSync(path, bytes);
    const past = new Date(Date.now() - 60_000);
    Deno.utimeSync(path, past, past); // a clearly older last write than anything below
    const info = await readDicomFileInfo(path);
    deepEqual(changedSinceExamined(info, Deno.statSync(path)), undefined);
    // Same size, new bytes.
    const f = Deno.openSync(path, { write: true });
    f.seekSync(bytes.length - 16, Deno.SeekMode.Start);
    f.writeSync(new Uint8Array(16).fill(0xaa));
    f.close();
    deepEqual(changedSinceExamined(info, Deno.statSync(path)), "written since");
    // Another file of the same size and time in its place.
    Deno.writeFileSync(`${dir}/other.dcm`, bytes);
    Deno.utimeSync(`${dir}/other.dcm`, past, past);
    Deno.renameSync(`${dir}/other.dcm`, path);
    deepEqual(changedSinceExamined(info, Deno.statSync(path)), "replaced since");
    Deno.writeFileSync(path, bytes.subarray(0, 100));
    deepEqual(changedSinceExamined(info, Deno.statSync(path)), "100 bytes now");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
