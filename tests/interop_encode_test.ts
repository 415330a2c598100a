/**
 * `--compress`: uncompressed files encoded to RLE, JPEG-LS, JPEG 2000 or HTJ2K (lossless) when
 * the peer accepts it. What DCMTK's `storescp +xa` stored decodes with the reference decoders
 * (dcmdrle, dcmdjpls; gdcmconv --raw and opj_decompress for JPEG 2000) to the original
 * pixels; HTJ2K (which DCMTK 3.6.7 doesn't know) goes to our own SCP and decodes with
 * opj_decompress; Orthanc stores every one of them. Images a codec can't take (32-bit for
 * JPEG-LS and JPEG 2000, 1-bit) go uncompressed, or fail with a reason when the peer left no
 * uncompressed syntax for their class.
 */

import assert from "node:assert/strict";
import { corpusDir, dcmtk, runCli, startOrthanc, startStorescp } from "./peers.ts";
import { readDicomFileInfo } from "../lib/part10/file.ts";
import { startStorageScp } from "../lib/scp.ts";
import { toPlanar } from "../lib/codecs/types.ts";

const dictEnv = { DCMDICTPATH: "/usr/share/libdcmtk17/dicom.dic" };
const TS = {
  rle: "1.2.840.10008.1.2.5",
  "jpeg-ls": "1.2.840.10008.1.2.4.80",
  j2k: "1.2.840.10008.1.2.4.90",
  htj2k: "1.2.840.10008.1.2.4.201",
} as const;

interface Source {
  path: string;
  uid: string;
  /** Native pixel data, little endian, as the file has it. */
  pixels: Uint8Array;
  samples: number;
  bytes: number;
  planar: number;
  frames: number;
}

async function tool(name: string, args: string[]): Promise<boolean> {
  const r = await new Deno.Command(name, { args, stdout: "null", stderr: "null", env: dictEnv })
    .output();
  return r.success;
}

async function pixelData(path: string): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir({ prefix: "storescu-px-" });
  try {
    await tool("dcmdump", ["-q", "+W", dir, path]);
    for await (const e of Deno.readDir(dir)) {
      if (e.name.endsWith(".0.raw")) return await Deno.readFile(`${dir}/${e.name}`);
    }
    throw new Error(`no Pixel Data in ${path}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function us(path: string, tag: string): Promise<number> {
  const out = await dcmtk("dcmdump", ["-q", "+P", tag, path]);
  return Number(out.match(/US (\d+)/)?.[1] ?? 0);
}

async function transferSyntax(path: string): Promise<string> {
  const out = await dcmtk("dcmdump", ["-q", "-M", "-Un", "+P", "0002,0010", path]);
  return out.match(/\[([^\]]*)\]/)![1].replace(/\0/g, "");
}

async function source(path: string): Promise<Source> {
  return {
    path,
    uid: (await readDicomFileInfo(path)).sopInstanceUid,
    pixels: await pixelData(path),
    samples: await us(path, "0028,0002"),
    bytes: (await us(path, "0028,0100")) / 8,
    planar: await us(path, "0028,0006"),
    frames: Number(
      (await dcmtk("dcmdump", ["-q", "+P", "0028,0008", path])).match(/\[(\d+)/)?.[1] ?? 1,
    ),
  };
}

/** The source's pixels laid out colour-by-`planar`, frame by frame. */
function laidOut(s: Source, planar: number): Uint8Array {
  if (s.samples === 1 || planar === s.planar) return s.pixels;
  const each = s.pixels.length / s.frames;
  const out = new Uint8Array(s.pixels.length);
  for (let f = 0; f < s.frames; f++) {
    out.set(
      toPlanar(s.pixels.subarray(f * each, (f + 1) * each), s.samples, s.bytes, s.planar, planar),
      f * each,
    );
  }
  return out;
}

/** Sources: grey 16-bit signed and unsigned, 8-bit RGB, 2 and 30 frames of RGB, 32-bit dose. */
async function sources(dir: string): Promise<Source[]> {
  const rgb2 = `${dir}/rgb2.dcm`;
  await dcmtk("dcmdrle", [`${corpusDir}/pydicom/test_files/SC_rgb_rle_2frame.dcm`, rgb2]);
  const us30 = `${dir}/us30.dcm`;
  await dcmtk("dcmdjpeg", [`${corpusDir}/pydicom/test_files/examples_ybr_color.dcm`, us30]);
  const paths = [
    `${corpusDir}/pydicom/test_files/CT_small.dcm`,
    `${corpusDir}/pydicom/test_files/MR_small.dcm`,
    `${corpusDir}/pydicom/test_files/examples_rgb_color.dcm`,
    rgb2,
    us30,
  ];
  return await Promise.all(paths.map(source));
}

/** The reference decoder for each syntax; `stored` is decoded into `out`. */
async function referenceDecode(ts: string, stored: string, out: string): Promise<boolean> {
  if (ts === TS.rle) return await tool("dcmdrle", [stored, out]);
  if (ts === TS["jpeg-ls"]) return await tool("dcmdjpls", [stored, out]);
  return await tool("gdcmconv", ["--raw", stored, out]);
}

async function storedFile(dir: string, uid: string): Promise<string | undefined> {
  for await (const e of Deno.readDir(dir)) {
    if (e.name.endsWith(`.${uid}`)) return `${dir}/${e.name}`;
  }
  return undefined;
}

for (const name of ["rle", "jpeg-ls", "j2k"] as const) {
  Deno.test(`--compress ${name}: storescp +xa stores it; the reference decoder gives the original pixels back`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "storescu-encode-" });
    const scp = await startStorescp(["+xa", "-pm", "+B"]);
    try {
      const src = await sources(dir);
      const r = await runCli([
        "127.0.0.1",
        String(scp.port),
        ...src.map((s) => s.path),
        "--compress",
        name,
        "-v",
      ]);
      assert.equal(r.code, 0, r.stderr);
      for (const s of src) {
        assert.ok(
          r.lines.includes(
            `I: Sending file: ${s.path} (encoded: Explicit VR Little Endian → ${
              {
                rle: "RLE Lossless",
                "jpeg-ls": "JPEG-LS Lossless Image Compression",
                j2k: "JPEG 2000 Image Compression (Lossless Only)",
              }[name]
            })`,
          ),
          `${s.path} encoded:\n${r.stderr}`,
        );
        const stored = await storedFile(scp.dir, s.uid);
        assert.ok(stored, s.path);
        assert.equal(await transferSyntax(stored), TS[name], s.path);
        const out = `${dir}/decoded.dcm`;
        assert.ok(
          await referenceDecode(TS[name], stored, out),
          `${s.path}: the reference decodes it`,
        );
        const back = await pixelData(out);
        // RLE colour is by plane (PS3.5 G.2, as DCMTK writes it): the decoder lays it out so.
        const planar = await us(out, "0028,0006");
        const want = laidOut(s, planar);
        assert.equal(back.length, want.length, s.path);
        assert.ok(back.every((b, i) => b === want[i]), `${s.path}: pixels back as they were`);
        await Deno.remove(out);
      }
      // JPEG 2000 also through OpenJPEG's own tool: the grey CT's first frame.
      if (name === "j2k") {
        const ct = src[0];
        const stored = (await storedFile(scp.dir, ct.uid))!;
        const codestream = (await fragments(stored))[0];
        await Deno.writeFile(`${dir}/ct.j2k`, codestream);
        assert.ok(await tool("opj_decompress", ["-i", `${dir}/ct.j2k`, "-o", `${dir}/ct.rawl`]));
        assert.deepEqual(await Deno.readFile(`${dir}/ct.rawl`), ct.pixels);
      }
    } finally {
      await scp.stop();
      await Deno.remove(scp.dir, { recursive: true });
      await Deno.remove(dir, { recursive: true });
    }
  });
}

/** The fragments of a stored file's encapsulated Pixel Data (dcmdump +W writes them in order). */
async function fragments(path: string): Promise<Uint8Array[]> {
  const dir = await Deno.makeTempDir({ prefix: "storescu-frag-" });
  try {
    await tool("dcmdump", ["-q", "+W", dir, path]);
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    const n = (s: string) => Number(s.match(/\.(\d+)\.raw$/)![1]);
    names.sort((a, b) => n(a) - n(b));
    // Item 0 is the Basic Offset Table (empty: dcmdump writes no file for it, or an empty one).
    const out: Uint8Array[] = [];
    for (const name of names) {
      const b = await Deno.readFile(`${dir}/${name}`);
      if (b.length > 0) out.push(b);
    }
    return out;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("--compress htj2k: our SCP takes HTJ2K; opj_decompress decodes what it received to the original pixels", async () => {
  const scp = startStorageScp({ transferSyntaxes: [TS.htj2k, "1.2.840.10008.1.2.1"] });
  const dir = await Deno.makeTempDir({ prefix: "storescu-htj2k-" });
  try {
    const src = [
      await source(`${corpusDir}/pydicom/test_files/MR_small.dcm`),
      await source(`${corpusDir}/pydicom/test_files/examples_rgb_color.dcm`),
    ];
    const r = await runCli([
      "127.0.0.1",
      String(scp.port),
      ...src.map((s) => s.path),
      "--compress",
      "htj2k",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(scp.received.length, 2);
    for (const [i, s] of src.entries()) {
      const got = scp.received.find((o) => o.sopInstanceUid === s.uid)!;
      assert.equal(got.transferSyntaxUid, TS.htj2k);
      // The one fragment after the empty offset table.
      const ds = got.dataSet;
      const at = findPixelItems(ds);
      await Deno.writeFile(`${dir}/f${i}.j2k`, at[1]);
      const ext = s.samples > 1 ? "raw" : "rawl";
      assert.ok(
        await tool("opj_decompress", ["-i", `${dir}/f${i}.j2k`, "-o", `${dir}/f${i}.${ext}`]),
      );
      const back = await Deno.readFile(`${dir}/f${i}.${ext}`);
      // opj_decompress writes colour plane by plane.
      const want = laidOut(s, 1);
      assert.deepEqual(back, want, s.path);
    }
  } finally {
    await scp.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** The items of the encapsulated Pixel Data in an Explicit VR LE data set (offset table first). */
function findPixelItems(ds: Uint8Array): Uint8Array[] {
  const marker = [0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff];
  let at = -1;
  for (let i = 0; i + marker.length <= ds.length; i++) {
    if (marker.every((b, k) => ds[i + k] === b)) at = i + marker.length;
  }
  const dv = new DataView(ds.buffer, ds.byteOffset, ds.byteLength);
  const items: Uint8Array[] = [];
  while (dv.getUint32(at, true) === 0xe000fffe) {
    const len = dv.getUint32(at + 4, true);
    items.push(ds.subarray(at + 8, at + 8 + len));
    at += 8 + len;
  }
  return items;
}

Deno.test("--compress: images the codec can't take go uncompressed when the peer allows, else fail with the reason", async () => {
  const dose = `${corpusDir}/pydicom/test_files/rtdose.dcm`; // 32-bit, 15 frames
  const seg = `${corpusDir}/pydicom/test_files/liver_1frame.dcm`; // 1-bit
  // -cx: each file's own syntax in one context, the --compress one in another.
  const scp = await startStorescp(["+xa", "-pm", "+B"]);
  try {
    const r = await runCli([
      "127.0.0.1",
      String(scp.port),
      dose,
      seg,
      "--compress",
      "jpeg-ls",
      "-cx",
      "-v",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      r.lines.some((l) =>
        l.startsWith(`W: Not encoded: ${dose}: `) &&
        l.endsWith("JPEG-LS: Bits Allocated 32; sent as Implicit VR Little Endian")
      ),
      r.stderr,
    );
    assert.ok(
      r.lines.some((l) => l.startsWith(`W: Not encoded: ${seg}: Bits Allocated 1`)),
      r.stderr,
    );
    for (const p of [dose, seg]) {
      const stored = await storedFile(scp.dir, (await readDicomFileInfo(p)).sopInstanceUid);
      assert.ok(stored);
      assert.notEqual(await transferSyntax(stored), TS["jpeg-ls"]);
      assert.deepEqual(await pixelData(stored), await pixelData(p));
    }
  } finally {
    await scp.stop();
    await Deno.remove(scp.dir, { recursive: true });
  }
  // Default mode: one context per class, where storescp +xa picks JPEG-LS: no way back.
  const scp2 = await startStorescp(["+xa", "-pm", "+B"]);
  try {
    const r = await runCli(["127.0.0.1", String(scp2.port), seg, "--compress", "jpeg-ls"]);
    assert.equal(r.code, 3);
    assert.ok(
      r.lines.includes(
        `E: Not sent: ${seg}: cannot encode: Bits Allocated 1 isn't encoded, and the peer ` +
          "accepted no other transfer syntax for this SOP class",
      ),
      r.stderr,
    );
  } finally {
    await scp2.stop();
    await Deno.remove(scp2.dir, { recursive: true });
  }
});

Deno.test("--compress rle, jpeg-ls, j2k: Orthanc stores what we encode (HTJ2K, which it refuses, goes uncompressed)", async () => {
  const orthanc = await startOrthanc();
  try {
    const files = [
      `${corpusDir}/pydicom/test_files/MR_small.dcm`,
      `${corpusDir}/pydicom/test_files/examples_rgb_color.dcm`,
    ];
    for (const name of ["rle", "jpeg-ls", "j2k", "htj2k"] as const) {
      const r = await runCli([
        "127.0.0.1",
        String(orthanc.dicomPort),
        ...files,
        "-aec",
        "ORTHANC",
        "--compress",
        name,
        // One context per syntax: Orthanc, given the choice in one, takes the uncompressed one.
        "-cx",
        "--report",
        "-",
      ]);
      assert.equal(r.code, 0, r.stderr);
      const report = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
      // Orthanc 1.10.1 (on DCMTK 3.6.7) refuses HTJ2K: those go uncompressed, as they should.
      const encoded = name !== "htj2k";
      for (const line of report) {
        assert.equal(line.outcome, "success");
        assert.equal(line.transcoded, encoded ? "encoded" : null, r.stdout);
        assert.equal(line.sentTransferSyntaxUid, encoded ? TS[name] : "1.2.840.10008.1.2.1");
      }
      const instances = await orthanc.rest("/instances") as string[];
      for (const id of instances) {
        const ts = await (await fetch(
          `http://127.0.0.1:${orthanc.httpPort}/instances/${id}/metadata/TransferSyntax`,
        )).text();
        const sent = report.map((l) => l.sentTransferSyntaxUid);
        assert.ok(sent.includes(ts), `${name}: Orthanc has ${ts}, we sent ${sent}`);
      }
      for (const id of instances) {
        const del = await fetch(`http://127.0.0.1:${orthanc.httpPort}/instances/${id}`, {
          method: "DELETE",
        });
        await del.body?.cancel();
      }
    }
  } finally {
    await orthanc.stop();
  }
});
