/**
 * Transcoding scenarios of `deno task bench` (ids `jls`, `rle`, `sv1`, `j2k`, `bigrle`): ours
 * vs DCMTK's `dcmsend +dls` (which decodes JPEG, JPEG-LS and RLE) into the same
 * `storescp --ignore` sink, which accepts only uncompressed syntaxes, so every file is sent
 * decoded. The compressed files are made here from the bench's CT images with DCMTK's own
 * encoders (and GDCM's for JPEG 2000, which dcmsend can't decode: ours alone, in MB/s).
 *
 * Wall time, CPU time (user + system, from `wait4()` by bench/rusage.c) and peak RSS, with ratios.
 *
 * @module
 */

import { writeMultiFrame } from "./gen.ts";

/** Scenario ids, in run order. */
export const TRANSCODE_IDS = ["jls", "rle", "sv1", "j2k", "bigrle"] as const;

/** What each scenario sends, made once. */
export interface TranscodeData {
  /** Folders of `count` files each, by id. */
  dirs: Record<"jls" | "rle" | "sv1" | "j2k", string>;
  /** Sum of the file sizes, by id. */
  bytes: Record<"jls" | "rle" | "sv1" | "j2k" | "bigrle", number>;
  /** The 1 GiB multi-frame RLE file (when asked for). */
  big?: string;
  /** Files per folder. */
  count: number;
  /** One line describing the data. */
  description: string;
}

const TOOLS: Record<"jls" | "rle" | "sv1" | "j2k", [string, string[]]> = {
  jls: ["dcmcjpls", []], // JPEG-LS lossless
  rle: ["dcmcrle", []],
  sv1: ["dcmcjpeg", ["+e1"]], // JPEG Lossless, first-order prediction
  j2k: ["gdcmconv", ["--j2k"]], // JPEG 2000 lossless
};

async function tool(cmd: string, args: string[]): Promise<void> {
  const r = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  if (!r.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(r.stderr).trim()}`);
  }
}

async function size(dir: string): Promise<number> {
  let n = 0;
  for await (const e of Deno.readDir(dir)) n += (await Deno.stat(`${dir}/${e.name}`)).size;
  return n;
}

/**
 * Encodes the first `count` of `ctPaths` into one folder per wanted id (two encoders at a
 * time), and the 1 GiB multi-frame image to RLE when `bigFrames` > 0.
 *
 * @example
 * ```ts ignore
 * const data = await writeTranscodeData(tmp, small.paths, 100, 2048, new Set(["jls", "bigrle"]));
 * ```
 */
export async function writeTranscodeData(
  tmp: string,
  ctPaths: string[],
  count: number,
  bigFrames: number,
  want: ReadonlySet<string>,
  root: string,
): Promise<TranscodeData> {
  const dirs = {} as TranscodeData["dirs"];
  const bytes = { jls: 0, rle: 0, sv1: 0, j2k: 0, bigrle: 0 };
  const parts: string[] = [];
  const sources = ctPaths.slice(0, count);
  for (const id of ["jls", "rle", "sv1", "j2k"] as const) {
    const dir = `${tmp}/tc-${id}`;
    dirs[id] = dir;
    await Deno.mkdir(dir, { recursive: true });
    if (!want.has(id)) continue;
    const [cmd, args] = TOOLS[id];
    for (let i = 0; i < sources.length; i += 2) {
      await Promise.all(
        sources.slice(i, i + 2).map((p) => tool(cmd, [...args, p, `${dir}/${p.split("/").pop()}`])),
      );
    }
    bytes[id] = await size(dir);
    parts.push(
      `${sources.length} ${cmd} ${args.join(" ")} CT (${(bytes[id] / 1e6).toFixed(1)} MB)`,
    );
  }
  let big: string | undefined;
  if (want.has("bigrle") && bigFrames > 0) {
    const raw = `${tmp}/tc-big-raw.dcm`;
    await writeMultiFrame(raw, bigFrames, root);
    big = `${tmp}/tc-big-rle.dcm`;
    await tool("dcmcrle", [raw, big]);
    await Deno.remove(raw);
    bytes.bigrle = (await Deno.stat(big)).size;
    parts.push(
      `one ${bigFrames}-frame 512x512x16-bit image (${
        (bigFrames * 512 * 512 * 2 / 2 ** 30).toFixed(2)
      } GiB decoded) as RLE by dcmcrle (${(bytes.bigrle / 1e6).toFixed(0)} MB)`,
    );
  }
  return { dirs, bytes, big, count: sources.length, description: parts.join(", ") };
}

/** The DCMTK side: `dcmsend +dls` (decode lossless compression when the peer refuses it). */
export function dcmsendArgs(port: number, inputs: string[]): string[] {
  const dirs = inputs.some((p) => {
    try {
      return Deno.statSync(p).isDirectory;
    } catch {
      return false;
    }
  });
  return ["+dls", ...(dirs ? ["+sd"] : []), "127.0.0.1", String(port), ...inputs];
}

/** One client's medians in one scenario (the fields of run.ts's summaries used here). */
export interface TranscodeSummary {
  id: string;
  title: string;
  client: string;
  files: number;
  bytes: number;
  medianWallS: number;
  medianCpuS: number;
  maxRssMb: number;
}

const f2 = (x: number) => x.toFixed(2);
const f3 = (x: number) => x.toFixed(3);
const f0 = (x: number) => x.toFixed(0);

/**
 * The report's transcoding section: a table of wall, CPU and peak RSS with ours/DCMTK ratios,
 * and the targets (wall ≤ 1.0x dcmsend on each; peak RSS ≤ 250 MB on the 1 GiB file).
 */
export function transcodeSection(summaries: TranscodeSummary[], ours: string): string[] {
  const rows = summaries.filter((s) => (TRANSCODE_IDS as readonly string[]).includes(s.id));
  if (rows.length === 0) return [];
  const lines = [
    "## Transcoding",
    "",
    "Every file sent decoded: the sink (`storescp --ignore`) accepts only uncompressed " +
    "syntaxes. DCMTK: `TCP_NODELAY=1 dcmsend +dls [+sd] 127.0.0.1 PORT <dir|file>`. " +
    "CPU = user + system seconds of the client process (`wait4()`). JPEG 2000 " +
    "has no dcmsend codec: ours alone, in MB/s (of compressed input). Ours decodes JPEG, " +
    "JPEG-LS and JPEG 2000 frames on its codec threads (the default: one per core, at most 4; " +
    `here ${Math.min(navigator.hardwareConcurrency ?? 1, 4)}) and RLE on its main thread; ` +
    "dcmsend decodes on its one thread. `ours (--codec-threads 0)`: the same send decoding on " +
    "the main thread only (RLE always is).",
    "",
    "| scenario | client | median wall s | median CPU s | MB/s | peak RSS MB (max) | ours/DCMTK wall | ours/DCMTK CPU |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const s of rows) {
    const d = rows.find((o) => o.id === s.id && o.client === "dcmtk");
    const mine = s.client !== "dcmtk" && d;
    lines.push(
      `| ${s.title} | ${s.client === "dcmtk" ? "DCMTK dcmsend" : s.client} | ` +
        `${f3(s.medianWallS)} | ${f3(s.medianCpuS)} | ${f0(s.bytes / 1e6 / s.medianWallS)} | ` +
        `${f0(s.maxRssMb)} | ${mine ? `**${f2(s.medianWallS / d.medianWallS)}x**` : ""} | ` +
        `${mine ? `${f2(s.medianCpuS / d.medianCpuS)}x` : ""} |`,
    );
  }
  lines.push("", "| target | measured | met |", "| --- | --- | --- |");
  for (const id of ["jls", "rle", "sv1", "bigrle"]) {
    const o = rows.find((s) => s.id === id && s.client === ours);
    const d = rows.find((s) => s.id === id && s.client === "dcmtk");
    if (!o || !d) continue;
    const r = o.medianWallS / d.medianWallS;
    lines.push(
      `| ${o.title}: wall ≤ 1.0x dcmsend | ${f2(r)}x (${f3(o.medianWallS)} s vs ${
        f3(d.medianWallS)
      } s; CPU ${f2(o.medianCpuS / d.medianCpuS)}x) | ${r <= 1 ? "yes" : "**no**"} |`,
    );
    if (id === "bigrle") {
      lines.push(
        `| ${o.title}: our peak RSS ≤ 250 MB | ${f0(o.maxRssMb)} MB (dcmsend ${
          f0(d.maxRssMb)
        } MB) | ${o.maxRssMb <= 250 ? "yes" : "**no**"} |`,
      );
    }
  }
  const j = rows.find((s) => s.id === "j2k" && s.client === ours);
  if (j) {
    lines.push(
      `| ${j.title}: throughput (reported) | ${f0(j.bytes / 1e6 / j.medianWallS)} MB/s, ${
        f2(j.files / j.medianWallS)
      } images/s | (reference) |`,
    );
  }
  lines.push("");
  return lines;
}
