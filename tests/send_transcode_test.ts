/**
 * Transcoding as the user sees it (lib/send/open.ts, lib/plan.ts's policy, the log and report
 * lines), against a DCMTK storescp that accepts only uncompressed syntaxes:
 *
 * - `--decompress never|lossless|lossy` against lossless and lossy files: exit codes, the
 *   failure lines (naming the option that would send the file), the `-v` lines, the report's
 *   `transcoded` field;
 * - corrupt streams (a cut file, a cut fragment, garbage, a codec returning too little, a
 *   corrupt frame in the middle of a big multi-frame file): one clear line each, nothing
 *   stored under a syntax its bytes don't match, and the run goes on.
 */

import assert from "node:assert/strict";
import { corpusDir, dcmtk, runCli, startStorescp, type Storescp } from "./peers.ts";
import { readDicomFileInfo } from "../lib/part10/file.ts";

const LOSSLESS = [
  `${corpusDir}/pydicom/test_files/MR_small_RLE.dcm`,
  `${corpusDir}/variants/ct_small_jpegls_lossless.dcm`,
];
const LOSSY = [
  `${corpusDir}/variants/sc_img2dcm_jpeg_baseline.dcm`,
  `${corpusDir}/pydicom/test_files/JPEGLSNearLossless_08.dcm`,
];
const NAMES: Record<string, string> = {
  [LOSSLESS[0]]: "MR Image Storage in RLE Lossless",
  [LOSSLESS[1]]: "CT Image Storage in JPEG-LS Lossless Image Compression",
  [LOSSY[0]]: "Secondary Capture Image Storage in JPEG Baseline (Process 1)",
  [LOSSY[1]]: "Secondary Capture Image Storage in JPEG-LS Lossy (Near-Lossless) Image Compression",
};

async function stored(scp: Storescp): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(scp.dir)) names.push(e.name);
  return names;
}

async function uidOf(path: string): Promise<string> {
  return (await readDicomFileInfo(path)).sopInstanceUid;
}

async function withScp(body: (scp: Storescp) => Promise<void>): Promise<void> {
  const scp = await startStorescp(["-pm", "+B"]); // uncompressed syntaxes only
  try {
    await body(scp);
  } finally {
    await scp.stop();
    await Deno.remove(scp.dir, { recursive: true });
  }
}

Deno.test("--decompress never: compressed files go in their own syntax only (today's behaviour)", async () => {
  await withScp(async (scp) => {
    const r = await runCli([
      "127.0.0.1",
      String(scp.port),
      ...LOSSLESS,
      ...LOSSY,
      "--decompress",
      "never",
    ]);
    // The peer accepted none of the contexts: no association that could store anything.
    assert.equal(r.code, 1);
    assert.ok(r.lines.includes("E: No accepted presentation contexts"), r.stderr);
    for (const p of [...LOSSLESS, ...LOSSY]) {
      const line = r.lines.find((l) => l.startsWith(`E: Not sent: ${p}: `));
      assert.ok(line, r.stderr);
      // Its own syntax only (both SC files share one class: two contexts).
      assert.match(
        line,
        new RegExp(
          `${
            NAMES[p].replace(/[()]/g, "\\$&")
          }: the peer refused (the context|all 2 contexts) proposed for it \\(transfer syntaxes not supported: `,
        ),
        line,
      );
    }
    assert.equal(r.lines.at(-1), "Summary: 4 files: 0 success, 0 warning, 0 failed, 4 not sent");
    assert.deepEqual(await stored(scp), []);
  });
});

Deno.test("--decompress lossless (the default): lossless files decoded; lossy ones fail naming --decompress lossy", async () => {
  await withScp(async (scp) => {
    const r = await runCli([
      "127.0.0.1",
      String(scp.port),
      ...LOSSLESS,
      ...LOSSY,
      "-v",
      "--report",
      "-",
    ]);
    assert.equal(r.code, 3);
    for (const p of LOSSLESS) {
      assert.ok(r.lines.some((l) => l.startsWith(`I: Sending file: ${p} (decoded: `)), r.stderr);
    }
    for (const p of LOSSY) {
      const ts = NAMES[p].split(" in ")[1];
      assert.ok(
        r.lines.includes(
          `E: Not sent: ${p}: ${NAMES[p]}: the peer accepted it only as Explicit VR Little ` +
            `Endian; ${ts} is lossy: it is sent decoded only with --decompress lossy`,
        ),
        r.stderr,
      );
    }
    assert.equal(r.lines.at(-1), "Summary: 4 files: 2 success, 0 warning, 0 failed, 2 not sent");
    const report = new Map(
      r.stdout.trim().split("\n").map((l) => JSON.parse(l)).map((x) => [x.path, x]),
    );
    for (const p of LOSSLESS) {
      const x = report.get(p);
      assert.deepEqual([x.outcome, x.transcoded, x.sentTransferSyntaxUid], [
        "success",
        "decoded",
        "1.2.840.10008.1.2.1",
      ]);
    }
    for (const p of LOSSY) {
      const x = report.get(p);
      assert.deepEqual([x.outcome, x.transcoded, x.sentTransferSyntaxUid], [
        "not-sent",
        null,
        null,
      ]);
    }
    const names = await stored(scp);
    const uids = await Promise.all(LOSSLESS.map(uidOf));
    assert.deepEqual(names.map((n) => n.split(".").slice(1).join(".")).sort(), uids.sort());
  });
});

Deno.test("--decompress lossy: every decodable file arrives, Lossy Image Compression 01", async () => {
  await withScp(async (scp) => {
    const r = await runCli([
      "127.0.0.1",
      String(scp.port),
      ...LOSSLESS,
      ...LOSSY,
      "--decompress",
      "lossy",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.lines.at(-1), "Summary: 4 files: 4 success, 0 warning, 0 failed, 0 not sent");
    for (const p of LOSSY) {
      const uid = await uidOf(p);
      const name = (await stored(scp)).find((n) => n.endsWith(`.${uid}`))!;
      const dump = await dcmtk("dcmdump", [
        "-q",
        "+P",
        "0028,2110",
        "+P",
        "0002,0010",
        `${scp.dir}/${name}`,
      ]);
      assert.match(dump, /\(0028,2110\) CS \[01\]/);
      assert.match(dump, /LittleEndianExplicit/);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Corrupt streams

/** Offset of the first fragment item's value (after the Basic Offset Table) in a file. */
function firstFragment(bytes: Uint8Array): { at: number; length: number } {
  const marker = [0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff];
  let p = -1;
  for (let i = 0; i + marker.length <= bytes.length; i++) {
    if (marker.every((b, k) => bytes[i + k] === b)) p = i + marker.length;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  p += 8 + dv.getUint32(p + 4, true); // the offset table
  return { at: p + 8, length: dv.getUint32(p + 4, true) };
}

Deno.test("corrupt streams: each named with a clear reason, nothing stored for it, the run goes on", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-corrupt-" });
  try {
    const jls = await Deno.readFile(`${corpusDir}/variants/ct_small_jpegls_lossless.dcm`);
    const frag = firstFragment(jls);
    // 1. The file cut inside its one fragment.
    const cutFile = `${dir}/cut_file.dcm`;
    await Deno.writeFile(cutFile, jls.subarray(0, frag.at + 1000));
    // 2. The fragment cut to 1000 bytes (item length and the rest consistent).
    const cutFragment = `${dir}/cut_fragment.dcm`;
    {
      const out = new Uint8Array(jls.length - (frag.length - 1000));
      out.set(jls.subarray(0, frag.at + 1000));
      new DataView(out.buffer).setUint32(frag.at - 4, 1000, true);
      out.set(jls.subarray(frag.at + frag.length), frag.at + 1000);
      await Deno.writeFile(cutFragment, out);
    }
    // 3. Garbage in place of the stream (its SOI kept).
    const garbage = `${dir}/garbage.dcm`;
    {
      const out = jls.slice();
      for (let i = frag.at + 40; i < frag.at + frag.length; i++) out[i] = (i * 131) & 0xff;
      await Deno.writeFile(garbage, out);
    }
    // 4. A codec returning too little: an 8-bit JPEG 2000 stream in a file that says 16 bits.
    const short = `${dir}/short.dcm`;
    await dcmtk("gdcmconv", ["--j2k", `${corpusDir}/pydicom/charset_files/chrFren.dcm`, short]);
    await dcmtk("dcmodify", ["-nb", "-m", "(0028,0100)=16", short]);
    const good = `${corpusDir}/pydicom/test_files/CT_small.dcm`;
    const bad = [cutFile, cutFragment, garbage, short];
    await withScp(async (scp) => {
      const r = await runCli(["127.0.0.1", String(scp.port), ...bad, good]);
      assert.equal(r.code, 3, r.stderr);
      const line = (p: string) => r.lines.find((l) => l.startsWith(`E: Not sent: ${p}: `)) ?? "";
      assert.match(
        line(cutFile),
        /: cannot read: data set ends unexpectedly at byte \d+$/,
        r.stderr,
      );
      assert.match(line(cutFragment), /: cannot decode: JPEG-LS decoding: .+/, r.stderr);
      assert.match(line(garbage), /: cannot decode: JPEG-LS decoding: .+/, r.stderr);
      assert.equal(
        line(short),
        `E: Not sent: ${short}: cannot decode: JPEG 2000: the decoder returned 1024 bytes, the ` +
          "frame holds 2048",
      );
      assert.equal(r.lines.at(-1), "Summary: 5 files: 1 success, 0 warning, 0 failed, 4 not sent");
      assert.doesNotMatch(r.stderr, /Uncaught|^\s+at /m);
      // Only the good file: nothing else, under any syntax.
      const names = await stored(scp);
      assert.deepEqual(names.map((n) => n.split(".").slice(1).join(".")), [await uidOf(good)]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a corrupt frame in the middle of a big multi-frame file: the association is aborted, the file failed, the next one goes on a new association", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-corrupt-mf-" });
  try {
    // 30 frames of 320x240 RGB, one JPEG-LS fragment each, Basic Offset Table.
    const us30 = `${dir}/us30.dcm`;
    await dcmtk("dcmdjpeg", [`${corpusDir}/pydicom/test_files/examples_ybr_color.dcm`, us30]);
    const jls = `${dir}/us30_jls.dcm`;
    await dcmtk("dcmcjpls", [us30, jls]);
    const bytes = await Deno.readFile(jls);
    // Frame 20's fragment: walk the items.
    const first = firstFragment(bytes);
    const dv = new DataView(bytes.buffer);
    let at = first.at - 8;
    for (let f = 0; f < 19; f++) at += 8 + dv.getUint32(at + 4, true);
    const len = dv.getUint32(at + 4, true);
    for (let i = at + 8 + 100; i < at + 8 + len; i++) bytes[i] = (i * 97) & 0xff;
    const bad = `${dir}/corrupt_frame20.dcm`;
    await Deno.writeFile(bad, bytes);
    const good = `${corpusDir}/pydicom/test_files/CT_small.dcm`;
    await withScp(async (scp) => {
      const r = await runCli(["127.0.0.1", String(scp.port), bad, good, "-v"]);
      assert.equal(r.code, 3, r.stderr);
      assert.ok(
        r.lines.some((l) =>
          l.startsWith(`E: Store failed: ${bad}: cannot decode: frame 20 of 30: JPEG-LS decoding: `)
        ),
        r.stderr,
      );
      assert.ok(r.lines.includes("I: Aborting Association"), r.stderr);
      assert.equal(r.lines.filter((l) => l === "I: Association Accepted").length, 2, r.stderr);
      assert.equal(r.lines.at(-1), "Summary: 2 files: 1 success, 0 warning, 1 failed, 0 not sent");
      const names = await stored(scp);
      assert.deepEqual(names.map((n) => n.split(".").slice(1).join(".")), [await uidOf(good)]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--probe: the plan says which files would be decoded, and why a lossy one wouldn't go", async () => {
  await withScp(async (scp) => {
    const r = await runCli(["127.0.0.1", String(scp.port), LOSSLESS[1], LOSSY[0], "--probe"]);
    const all = `${r.stdout}\n${r.stderr}`;
    assert.match(
      all,
      new RegExp(
        `${
          LOSSLESS[1]
        }: CT Image Storage, JPEG-LS Lossless Image Compression: context \\d+, decoded to Explicit VR Little Endian`,
      ),
    );
    assert.ok(all.includes(`${LOSSY[0]}: not sent: `) && all.includes("--decompress lossy"), all);
    assert.deepEqual(await stored(scp), []);
  });
});
