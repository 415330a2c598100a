/**
 * Issue 9's "done when": every compressed file of ../shared/corpus, and files made here with
 * dcmcjpeg, dcmcjpls, dcmcrle and gdcmconv (multi-frame, with and without offset tables, many
 * fragments per frame), reach a DCMTK storescp that accepts only uncompressed syntaxes, in
 * default mode and with -cx, and what it stored has:
 *
 * - Pixel Data identical to the reference decoders' output: dcmdjpeg, dcmdjpls, dcmdrle
 *   (DCMTK 3.6.7) and, for JPEG 2000, gdcmconv --raw (GDCM) and opj_decompress (OpenJPEG);
 * - Photometric Interpretation and Planar Configuration as the reference decoder set them;
 * - Lossy Image Compression (0028,2110) "01" after a lossy syntax (DCMTK sets it too);
 * - every other element as in the original file (dcmdump's view: values, not encodings;
 *   group lengths are recomputed by every writer and not compared).
 *
 * Files the reference decoder can't decode either (a corrupt J2K stream, a file DCMTK can't
 * parse) are each named with a reason and not stored. Then the --decompress policy, exit
 * codes and lines; then corrupt streams.
 */

import assert from "node:assert/strict";
import { type CliRun, corpusDir, dcmtk, runCli, startStorescp } from "./peers.ts";
import { readDicomFileInfo } from "../lib/part10/file.ts";
import { isLossy } from "../lib/codecs/mod.ts";

const dictEnv = { DCMDICTPATH: "/usr/share/libdcmtk17/dicom.dic" };

interface Case {
  path: string;
  ts: string;
  uid: string;
}

/** The compressed corpus files. */
async function corpusCases(): Promise<Case[]> {
  const rows = (await Deno.readTextFile(`${corpusDir}/INDEX.tsv`)).trim().split("\n").slice(1);
  const out: Case[] = [];
  for (const row of rows) {
    const c = row.split("\t");
    if (!/^1\.2\.840\.10008\.1\.2\.(4\.|5$)/.test(c[4])) continue;
    const path = `${corpusDir}/${c[0]}`;
    out.push({ path, ts: c[4], uid: await uid(path) });
  }
  return out;
}

async function uid(path: string): Promise<string> {
  try {
    return (await readDicomFileInfo(path)).sopInstanceUid;
  } catch {
    return path; // not parseable: never stored anyway
  }
}

async function run(tool: string, args: string[]): Promise<boolean> {
  const r = await new Deno.Command(tool, { args, stdout: "null", stderr: "null", env: dictEnv })
    .output();
  return r.success;
}

/** The reference decoder's output file for `c`, or undefined when it can't decode it. */
async function referenceDecode(c: Case, dir: string): Promise<string | undefined> {
  const out = `${dir}/ref_${crypto.randomUUID()}.dcm`;
  const ts = c.ts;
  let ok: boolean;
  if (ts === "1.2.840.10008.1.2.5") ok = await run("dcmdrle", [c.path, out]);
  else if (/\.4\.8[01]$/.test(ts)) ok = await run("dcmdjpls", [c.path, out]);
  else if (/\.4\.(5\d|[67]\d)$/.test(ts)) ok = await run("dcmdjpeg", [c.path, out]);
  else ok = await run("gdcmconv", ["--raw", c.path, out]);
  return ok ? out : undefined;
}

/** Native Pixel Data bytes of a file (dcmdump +W writes them little endian). */
async function pixelData(path: string): Promise<Uint8Array | undefined> {
  const dir = await Deno.makeTempDir({ prefix: "storescu-px-" });
  try {
    await run("dcmdump", ["-q", "+W", dir, path]);
    for await (const e of Deno.readDir(dir)) {
      if (e.name.endsWith(".0.raw")) return await Deno.readFile(`${dir}/${e.name}`);
    }
    return undefined;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** dcmdump lines of the data set, without meta, group lengths and Pixel Data. */
async function elements(path: string): Promise<string[]> {
  const r = await new Deno.Command("dcmdump", {
    args: ["-q", "+L", "+U8", path],
    env: dictEnv,
    stdout: "piped",
    stderr: "null",
  }).output();
  const lines: string[] = [];
  let inPixels = false;
  for (const l of new TextDecoder("latin1").decode(r.stdout).split("\n")) {
    if (!/^\s*\([0-9a-f]{4},[0-9a-f]{4}\)/.test(l)) continue;
    if (/^\(7fe0,0010\)/.test(l)) {
      inPixels = /PixelSequence/.test(l);
      continue;
    }
    if (inPixels) {
      if (/^\(fffe,e0dd\)/.test(l)) inPixels = false;
      continue;
    }
    if (/^\(0002,/.test(l) || /^\s*\([0-9a-f]{4},0000\)/.test(l)) continue;
    lines.push(
      l.replace(/\s+#.*$/, "").replace(
        /^(\s*\([0-9a-f]{4},[0-9a-f]{4}\)) (ox|xs|OB|OW|UN|lt)\b/,
        "$1 ??",
      ),
    );
  }
  return lines;
}

async function hasPixelData(path: string): Promise<boolean> {
  const r = await new Deno.Command("dcmdump", {
    args: ["-q", "+P", "7fe0,0010", path],
    env: dictEnv,
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(r.stdout).trim() !== "";
}

const COLOUR = /^\((0028,0004|0028,0006|0028,2110)\)/;

function value(lines: string[], tag: string): string | undefined {
  const l = lines.find((x) => x.startsWith(`(${tag})`));
  return l?.match(/\[([^\]]*)\]|US (\d+)/)?.slice(1).find((v) => v !== undefined);
}

/** Distinct SOP Instance UIDs per batch (storescp names files by them). */
function batches<T extends { uid: string }>(cases: T[]): T[][] {
  const out: T[][] = [];
  for (const c of cases) {
    let b = out.find((x) => !x.some((y) => y.uid === c.uid));
    if (!b) out.push(b = []);
    b.push(c);
  }
  return out;
}

async function storedFile(dir: string, uid: string): Promise<string | undefined> {
  for await (const e of Deno.readDir(dir)) {
    if (e.name.endsWith(`.${uid}`)) return `${dir}/${e.name}`;
  }
  return undefined;
}

/**
 * Sends the cases (in batches of distinct SOP Instance UIDs) to a storescp that accepts only
 * uncompressed syntaxes (by default Explicit/Implicit VR LE, Explicit VR BE; -pm: any SOP
 * class; +B: stored as received), then has `check` look at each case and what was stored for it.
 */
async function sendBatches(
  cases: Case[],
  cliArgs: string[],
  check: (c: Case, stored: string | undefined, run: CliRun) => Promise<void>,
  scpArgs = ["-pm", "+B"],
): Promise<void> {
  for (const batch of batches(cases)) {
    const scp = await startStorescp(scpArgs);
    try {
      const r = await runCli([
        "127.0.0.1",
        String(scp.port),
        ...batch.map((c) => c.path),
        ...cliArgs,
      ]);
      assert.doesNotMatch(r.stderr, /Uncaught|^\s+at /m);
      for (const c of batch) await check(c, await storedFile(scp.dir, c.uid), r);
    } finally {
      await scp.stop();
      await Deno.remove(scp.dir, { recursive: true });
    }
  }
}

/**
 * Sends the cases to a storescp that accepts only uncompressed syntaxes and checks every
 * stored file against the reference decoder.
 */
async function sendAndCompare(cases: Case[], cliArgs: string[]): Promise<void> {
  const work = await Deno.makeTempDir({ prefix: "storescu-transcode-" });
  try {
    await sendBatches(cases, cliArgs, async (c, stored, r) => {
      const lines = r.lines;
      const ref = await referenceDecode(c, work);
      const refPixels = ref && await pixelData(ref);
      const originalLines = await elements(c.path);
      if (!refPixels) {
        if (stored && !(await hasPixelData(c.path))) {
          // No Pixel Data at all, nothing for the reference to decode: sent relabelled,
          // every element unchanged.
          assert.deepEqual(await elements(stored), originalLines, c.path);
          return;
        }
        // The reference can't decode it: neither do we, and we say so.
        assert.equal(stored, undefined, `${c.path}: stored, the reference can't decode it`);
        assert.ok(
          lines.some((l) => /^E: (Not sent|Store failed): /.test(l) && l.includes(c.path)),
          `${c.path} named with a reason:\n${r.stderr}`,
        );
        return;
      }
      const want = await elements(ref!);
      const px = refPixels;
      assert.ok(stored, `${c.path} stored:\n${r.stderr}`);
      const ours = await pixelData(stored);
      assert.ok(ours, `${c.path}: stored with Pixel Data`);
      // Odd native lengths: both pad to even with one byte.
      assert.equal(ours.length, px.length, `${c.path}: Pixel Data length`);
      assert.ok(
        ours.every((b, i) => b === px[i]),
        `${c.path}: Pixel Data identical to the reference's`,
      );
      const got = await elements(stored);
      for (const tag of ["0028,0004", "0028,0006"]) {
        assert.equal(
          value(got, tag),
          value(want, tag),
          `${c.path}: (${tag}) as the reference decoder set it`,
        );
      }
      if (isLossy(c.ts)) assert.equal(value(got, "0028,2110"), "01", `${c.path}: lossy`);
      // Every other element as in the original.
      assert.deepEqual(
        got.filter((l) => !COLOUR.test(l)),
        originalLines.filter((l) => !COLOUR.test(l)),
        `${c.path}: other elements unchanged`,
      );
    });
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

Deno.test("corpus compressed files → storescp accepting only uncompressed syntaxes, default mode: decoded pixel-exact", async () => {
  // --decompress lossy: the lossy files too (the default policy is tested below).
  await sendAndCompare(await corpusCases(), ["--decompress", "lossy"]);
});

Deno.test("corpus compressed files → storescp accepting only uncompressed syntaxes, -cx: decoded pixel-exact", async () => {
  await sendAndCompare(await corpusCases(), ["-cx", "--decompress", "lossy"]);
});

/** Every OB/OW value of a file, in order, as dcmdump +W writes them (little endian). */
async function rawValues(path: string): Promise<Uint8Array[]> {
  const dir = await Deno.makeTempDir({ prefix: "storescu-raw-" });
  try {
    await run("dcmdump", ["-q", "+W", dir, path]);
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    const index = (n: string) => Number(n.match(/\.(\d+)\.raw$/)![1]);
    names.sort((a, b) => index(a) - index(b));
    return await Promise.all(names.map((n) => Deno.readFile(`${dir}/${n}`)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("icons: files with an Icon Image Sequence, compressed by dcmcrle, dcmcjpls and dcmcjpeg (icon included) → icon and image decoded pixel-exact: default mode, -cx, a peer taking Implicit VR LE only", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-icon-" });
  try {
    // CT_small with a 64 x 64 8-bit icon, then compressed: DCMTK compresses the icon too.
    const withIcon = `${dir}/icon.dcm`;
    await Deno.copyFile(`${corpusDir}/pydicom/test_files/CT_small.dcm`, withIcon);
    await Deno.writeFile(`${dir}/icon.raw`, Uint8Array.from({ length: 64 * 64 }, (_, i) => i * 7));
    const at = (tag: string) => `(0088,0200)[0].${tag}`;
    await dcmtk("dcmodify", [
      "-nb",
      ...["(0028,0002)=1", "(0028,0004)=MONOCHROME2", "(0028,0010)=64", "(0028,0011)=64"]
        .flatMap((v) => ["-i", at(v)]),
      ...["(0028,0100)=8", "(0028,0101)=8", "(0028,0102)=7", "(0028,0103)=0"]
        .flatMap((v) => ["-i", at(v)]),
      "-if",
      at(`(7fe0,0010)=${dir}/icon.raw`),
      withIcon,
    ]);
    const cases: Case[] = [];
    for (
      const [i, [tool, args]]
        of ([["dcmcrle", []], ["dcmcjpls", []], ["dcmcjpeg", ["+e1"]]] as const).entries()
    ) {
      const out = `${dir}/c${i}.dcm`;
      await dcmtk(tool, [...args, withIcon, out]);
      const info = await readDicomFileInfo(out);
      assert.match(await dcmtk("dcmdump", ["+P", "0088,0200", "+p", out]), /PixelSequence/);
      cases.push({ path: out, ts: info.transferSyntaxUid, uid: info.sopInstanceUid });
    }
    // Default mode, -cx, and a peer that takes Implicit VR LE only (the icon's lengths are
    // recomputed again by the converter).
    const runs: [string[], string[] | undefined][] = [[[], undefined], [["-cx"], undefined], [
      [],
      ["+xi", "-pm", "+B"],
    ]];
    for (const [mode, scpArgs] of runs) {
      await sendBatches(cases, mode, async (c, stored, r) => {
        assert.ok(stored, `${c.path} stored:\n${r.stderr}`);
        const ref = (await referenceDecode(c, dir))!;
        // The icon's and the image's Pixel Data as the reference decoded them.
        const [ours, theirs] = [await rawValues(stored), await rawValues(ref)];
        assert.equal(ours.length, 2, `${c.path}: icon and image, native`);
        assert.deepEqual(ours, theirs, `${c.path}: icon and image as the reference's`);
        // Every other element as in the original (Pixel Data and its fragments aside; in
        // Implicit VR, private elements lose their VR: no dictionary knows them).
        const implicit = scpArgs?.includes("+xi") ?? false;
        const compared = (l: string) =>
          !/\((7fe0,0010|fffe,e0dd)\)|\(fffe,e000\) pi/.test(l) &&
          !(implicit && /^\s*\([0-9a-f]{3}[13579bdf],/.test(l));
        assert.deepEqual(
          (await elements(stored)).filter(compared),
          (await elements(c.path)).filter(compared),
          `${c.path}: other elements unchanged`,
        );
      }, scpArgs);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Files made here from uncompressed ones with the reference encoders. */
async function generatedCases(dir: string): Promise<Case[]> {
  const ct = `${corpusDir}/pydicom/test_files/CT_small.dcm`; // 16-bit signed grey
  const rgb = `${corpusDir}/pydicom/test_files/examples_rgb_color.dcm`; // 8-bit RGB
  const mr = `${corpusDir}/pydicom/test_files/MR_small.dcm`; // 16-bit grey
  // A 2-frame RGB and a 15-frame 32-bit dose, uncompressed.
  const rgb2 = `${dir}/rgb2.dcm`;
  await dcmtk("dcmdrle", [`${corpusDir}/pydicom/test_files/SC_rgb_rle_2frame.dcm`, rgb2]);
  const us30 = `${dir}/us30.dcm`; // 30 frames of RGB
  await dcmtk("dcmdjpeg", [`${corpusDir}/pydicom/test_files/examples_ybr_color.dcm`, us30]);
  const make: [string, string, string[]][] = [
    ["dcmcjpeg", rgb, ["+eb"]], // baseline, YBR_FULL_422
    ["dcmcjpeg", rgb, ["+eb", "+s4"]], // baseline 4:4:4, YBR_FULL
    ["dcmcjpeg", rgb, ["+ee"]], // extended 8-bit
    ["dcmcjpeg", ct, ["+e1"]], // lossless SV1, 16-bit signed
    ["dcmcjpeg", mr, ["+el", "+sv", "7"]], // lossless, predictor 7
    ["dcmcjpeg", rgb2, ["+el", "+sv", "2", "+fs", "4"]], // 2 frames, fragments of 4 KB
    ["dcmcjpeg", us30, ["+eb", "-ot"]], // 30 frames, empty offset table
    ["dcmcjpeg", us30, ["+e1", "+fs", "16", "-ot"]], // 30 frames, many fragments, no table
    ["dcmcjpls", ct, ["+el"]],
    ["dcmcjpls", rgb, ["+in"]], // uninterleaved colour
    ["dcmcjpls", rgb, ["+il"]], // line-interleaved
    ["dcmcjpls", rgb, ["+is", "+en"]], // sample-interleaved near-lossless
    ["dcmcjpls", us30, ["+el", "+fs", "8", "-ot"]],
    ["dcmcrle", ct, []],
    ["dcmcrle", rgb, []],
    ["dcmcrle", rgb2, []],
    ["gdcmconv", ct, ["--j2k"]],
    ["gdcmconv", rgb, ["--j2k"]],
    ["gdcmconv", mr, ["--j2k", "--lossy", "-q", "30"]],
  ];
  const cases: Case[] = [];
  for (const [i, [tool, src, args]] of make.entries()) {
    const out = `${dir}/gen${i}.dcm`;
    await dcmtk(tool, [...args, src, out]);
    const info = await readDicomFileInfo(out);
    cases.push({ path: out, ts: info.transferSyntaxUid, uid: info.sopInstanceUid });
  }
  return cases;
}

Deno.test("generated files (dcmcjpeg, dcmcjpls, dcmcrle, gdcmconv; multi-frame, many fragments, no offset table) → decoded pixel-exact, default mode and -cx", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-gen-" });
  try {
    const cases = await generatedCases(dir);
    // Every family and the splitting cases are there.
    for (const ts of ["4.50", "4.51", "4.57", "4.70", "4.80", "4.81", "5", "4.90", "4.91"]) {
      assert.ok(cases.some((c) => c.ts === `1.2.840.10008.1.2.${ts}`), ts);
    }
    await sendAndCompare(cases, ["--decompress", "lossy"]);
    await sendAndCompare(cases, ["-cx", "--decompress", "lossy"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a folder of 17 RLE MR and an RLE SC → DCMTK storescp (uncompressed only): the first association is planned from the first 16 files and carries the 17th; the SC goes on a second; all decoded and stored", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-stream-" });
  const scp = await startStorescp(["-pm", "+B"]);
  try {
    for (let i = 1; i <= 17; i++) {
      const name = `${dir}/a${String(i).padStart(2, "0")}.dcm`;
      await Deno.copyFile(`${corpusDir}/pydicom/test_files/MR_small_RLE.dcm`, name);
    }
    await Deno.copyFile(`${corpusDir}/pydicom/test_files/SC_rgb_rle.dcm`, `${dir}/b.dcm`);
    const r = await runCli(["-v", "127.0.0.1", String(scp.port), dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Summary: 18 files: 18 success/);
    assert.equal(r.lines.filter((l) => l === "I: Requesting Association").length, 2);
    // The two instances (the MR copies share one UID), stored decoded.
    const stored: string[] = [];
    for await (const e of Deno.readDir(scp.dir)) stored.push(`${scp.dir}/${e.name}`);
    assert.equal(stored.length, 2);
    for (const s of stored) {
      assert.equal((await readDicomFileInfo(s)).transferSyntaxUid, "1.2.840.10008.1.2.1");
    }
  } finally {
    await scp.stop();
    await Deno.remove(scp.dir, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});
