/**
 * Seeded fuzzing of reading files: real files (every compressed one in `../shared/corpus/` and a
 * few plain ones) are mutated (bytes flipped, lengths rewritten, cut, spans inserted or
 * dropped, the Pixel Data's fragments damaged), then examined and read out as an uncompressed
 * syntax or a lossless compressed one (RLE, JPEG-LS, JPEG 2000, HTJ2K), which decodes, converts
 * and encodes them. `tests/fuzz_test.ts` runs a short
 * campaign; run a long one with
 *
 * ```sh
 * deno run -A scripts/fuzz_files.ts --seed 7 --count 20000
 * ```
 *
 * A finding is any exception other than the typed ones a file's account is made of
 * (`DicomFileError`, `ConversionError`, `CodecError`, `NativeCodecError`, `FileChangedError`), a
 * read that hasn't ended after 10 s, or more bytes out than a decoded file can hold. Each is
 * printed with the seed and iteration that make it again, and the mutated file is kept.
 *
 * @module
 */

import { Rng } from "./fuzz.ts";
import { readDicomFileInfo } from "../lib/part10/file.ts";
import { openDataset } from "../lib/part10/source.ts";
import { ConversionError, DicomFileError } from "../lib/part10/errors.ts";
import { FileChangedError } from "../lib/part10/guard.ts";
import { CodecError } from "../lib/codecs/types.ts";
import { NativeCodecError } from "../lib/codecs/native.ts";
import { after } from "../lib/watchdog.ts";

/** Where the corpus is (beside the project). */
const CORPUS = decodeURIComponent(new URL("../../shared/corpus/", import.meta.url).pathname);

/** The syntaxes a mutated file is read out as (one each time): decoded, converted, encoded. */
const TARGETS = [
  "1.2.840.10008.1.2.1", // Explicit VR Little Endian
  "1.2.840.10008.1.2", // Implicit VR Little Endian
  "1.2.840.10008.1.2.5", // RLE Lossless (encodes what is uncompressed)
  "1.2.840.10008.1.2.4.80", // JPEG-LS Lossless
  "1.2.840.10008.1.2.4.90", // JPEG 2000 Lossless
  "1.2.840.10008.1.2.4.201", // HTJ2K Lossless
];

/** Plain files mutated beside the compressed ones (conversion and encoding). */
const PLAIN = [
  "variants/ct_small_explicit_le.dcm",
  "variants/ct_small_implicit_le.dcm",
  "variants/ct_small_explicit_be.dcm",
  "variants/ct_small_deflated.dcm",
  "variants/rtplan_undefined_length_seq_implicit.dcm",
];

/** The corpus files the campaign starts from: every encapsulated one and {@link PLAIN}. */
export async function seedFiles(): Promise<string[]> {
  const index = await Deno.readTextFile(`${CORPUS}INDEX.tsv`);
  const rows = index.trim().split("\n").slice(1).map((l) => l.split("\t"));
  const compressed = rows
    .filter((r) => r[4].startsWith("1.2.840.10008.1.2.4.") || r[4] === "1.2.840.10008.1.2.5")
    .map((r) => r[0]);
  return [...compressed, ...PLAIN].map((p) => `${CORPUS}${p}`);
}

/** The offset of the first (7FE0,0010) tag in `b` (little endian), or -1. */
function pixelDataAt(b: Uint8Array): number {
  for (let i = 132; i + 4 <= b.length; i++) {
    if (b[i] === 0xe0 && b[i + 1] === 0x7f && b[i + 2] === 0x10 && b[i + 3] === 0x00) return i;
  }
  return -1;
}

/** One mutation of `src` (a new array), and what it did. */
export function mutate(src: Uint8Array, rng: Rng): { bytes: Uint8Array; what: string } {
  const b = src.slice();
  const pixels = pixelDataAt(b);
  const somewhere = () => rng.int(b.length);
  // Mostly in the header or in the Pixel Data's first fragments, where the structure is.
  const structured = () =>
    pixels > 0 && rng.int(2) === 0
      ? Math.min(b.length - 1, pixels + rng.int(Math.min(2048, b.length - pixels)))
      : 128 + rng.int(Math.min(4096, b.length - 128));
  switch (rng.int(6)) {
    case 0: {
      const n = 1 + rng.int(8);
      for (let i = 0; i < n; i++) b[somewhere()] = rng.int(256);
      return { bytes: b, what: `${n} random bytes` };
    }
    case 1: {
      const at = structured();
      b[at] = rng.int(256);
      return { bytes: b, what: `byte ${at}` };
    }
    case 2: {
      // A length field: an even offset near a structure, rewritten to a telling value.
      const at = structured() & ~1;
      const v = rng.pick([0, 1, 2, 3, 0xffff, 0xfffe, 0xffffffff, 0x7fffffff, rng.int(1 << 20)]);
      const wide = rng.int(2) === 0 && at + 4 <= b.length;
      if (wide) new DataView(b.buffer).setUint32(at, v >>> 0, true);
      else if (at + 2 <= b.length) new DataView(b.buffer).setUint16(at, v & 0xffff, true);
      return { bytes: b, what: `${wide ? "u32" : "u16"} ${v} at ${at}` };
    }
    case 3: {
      const at = rng.int(2) === 0 ? structured() : somewhere();
      return { bytes: b.subarray(0, at), what: `cut at ${at}` };
    }
    case 4: {
      const at = structured();
      const n = 1 + rng.int(16);
      const out = new Uint8Array(b.length + n);
      out.set(b.subarray(0, at));
      out.set(rng.bytes(n), at);
      out.set(b.subarray(at), at + n);
      return { bytes: out, what: `${n} bytes inserted at ${at}` };
    }
    default: {
      const n = Math.min(b.length, 1 + rng.int(16));
      const at = Math.min(structured(), b.length - n);
      const out = new Uint8Array(b.length - n);
      out.set(b.subarray(0, at));
      out.set(b.subarray(Math.min(b.length, at + n)), at);
      return { bytes: out, what: `${n} bytes dropped at ${at}` };
    }
  }
}

/** Errors that are a file's honest account, not a finding. */
function expected(e: unknown): boolean {
  return e instanceof DicomFileError || e instanceof ConversionError ||
    e instanceof CodecError || e instanceof NativeCodecError || e instanceof FileChangedError;
}

/** What one mutated file did: read out, refused (with the typed error), or a finding. */
export type Outcome =
  | { kind: "read"; bytes: number }
  | { kind: "refused"; error: string }
  | { kind: "finding"; error: string };

/** The most a read-out may hold: the decoded Pixel Data can't exceed this for corpus files. */
const MAX_OUT = 256 * 1024 * 1024;

/** Examines `path` and reads it out as `target`, within `ms`. */
export async function readOut(path: string, target: string, ms = 10_000): Promise<Outcome> {
  let cancel: (() => void) | undefined;
  const late = new Promise<Outcome>((resolve) => {
    cancel = after(ms, () => resolve({ kind: "finding", error: `no end after ${ms} ms` }));
  });
  const work = (async (): Promise<Outcome> => {
    const buf = new Uint8Array(16384);
    try {
      const info = await readDicomFileInfo(path);
      const src = await openDataset(info, target);
      let total = 0;
      try {
        for (let n; (n = await src.read(buf)) !== null;) {
          total += n;
          if (total > MAX_OUT) return { kind: "finding", error: `more than ${MAX_OUT} bytes out` };
        }
      } finally {
        src.close();
      }
      return { kind: "read", bytes: total };
    } catch (e) {
      const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      if (expected(e)) return { kind: "refused", error: text };
      return {
        kind: "finding",
        error: e instanceof Error && e.stack ? e.stack : text,
      };
    }
  })();
  try {
    return await Promise.race([work, late]);
  } finally {
    cancel?.();
  }
}

/** One campaign's tally. */
export interface Campaign {
  read: number;
  refused: number;
  findings: { iteration: number; seedFile: string; what: string; target: string; error: string }[];
}

/**
 * Runs `count` mutations from `seed` into `dir` (one file, rewritten each time; a finding's file
 * is kept beside it).
 *
 * @example
 * ```ts ignore
 * const c = await fuzzFiles(7, 100, await Deno.makeTempDir());
 * c.findings.length; // 0
 * ```
 */
export async function fuzzFiles(
  seed: number,
  count: number,
  dir: string,
  onIteration?: (line: string) => void,
  from = 0,
  only?: string,
  extraSeeds: string[] = [],
): Promise<Campaign> {
  const rng = new Rng(seed);
  const seeds = [...await seedFiles(), ...extraSeeds].filter((p) => !only || p.includes(only));
  const originals = new Map<string, Uint8Array>();
  const campaign: Campaign = { read: 0, refused: 0, findings: [] };
  const path = `${dir}/mutated.dcm`;
  for (let i = 0; i < count; i++) {
    const seedFile = rng.pick(seeds);
    let src = originals.get(seedFile);
    if (!src) originals.set(seedFile, src = await Deno.readFile(seedFile));
    const { bytes, what } = mutate(src, rng);
    const target = rng.pick(TARGETS);
    if (i < from) continue; // replaying the sequence up to where a finding is
    await Deno.writeFile(path, bytes);
    onIteration?.(`${i} ${seedFile} (${what}) -> ${target}`);
    const outcome = await readOut(path, target);
    if (outcome.kind === "read") campaign.read++;
    else if (outcome.kind === "refused") campaign.refused++;
    else {
      campaign.findings.push({ iteration: i, seedFile, what, target, error: outcome.error });
      await Deno.writeFile(`${dir}/finding_${seed}_${i}.dcm`, bytes);
    }
  }
  return campaign;
}

if (import.meta.main) {
  const arg = (name: string, fallback: number) => {
    const i = Deno.args.indexOf(name);
    return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
  };
  const seed = arg("--seed", 1);
  const count = arg("--count", 1000);
  const dir = await Deno.makeTempDir({ prefix: "storescu-fuzz-files-" });
  // --trace: each iteration on stderr before it runs (a read that never ends, synchronously,
  // can't be timed out from here: the last line names it).
  const trace = Deno.args.includes("--trace")
    ? (line: string) => Deno.stderr.writeSync(new TextEncoder().encode(line + "\n"))
    : undefined;
  const o = Deno.args.indexOf("--only"); // seed files whose path has this in it
  // --seeds DIR: the .dcm files in DIR are seeds too (multi-frame files, icons made locally).
  const d = Deno.args.indexOf("--seeds");
  const extra = d < 0 ? [] : [...Deno.readDirSync(Deno.args[d + 1])]
    .filter((e) => e.isFile && e.name.endsWith(".dcm"))
    .map((e) => `${Deno.args[d + 1]}/${e.name}`);
  const c = await fuzzFiles(
    seed,
    count,
    dir,
    trace,
    arg("--from", 0),
    o >= 0 ? Deno.args[o + 1] : undefined,
    extra,
  );
  for (const f of c.findings) {
    console.log(
      `FINDING seed ${seed} iteration ${f.iteration}: ${f.seedFile} (${f.what}) -> ${f.target}\n${f.error}\n`,
    );
  }
  console.log(
    `${count} mutated files: ${c.read} read out, ${c.refused} refused with a reason, ${c.findings.length} findings (files in ${dir})`,
  );
  Deno.exit(c.findings.length > 0 ? 1 : 0);
}
