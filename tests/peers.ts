/**
 * Test helpers: real peers (dcmtk's storescp, Orthanc) on loopback, free ports, running the CLI
 * as a subprocess with only net and read permissions, generated CT files.
 *
 * @module
 */

import { concatBytes } from "../lib/bytes.ts";
import { type ElementSpec, encodePart10 } from "../lib/part10/writer.ts";

const ROOT = new URL("../", import.meta.url);

/** The repository root as a path. */
export const repoRoot: string = decodeURIComponent(ROOT.pathname).replace(/\/$/, "");

/** `../shared` beside the repository. */
export const sharedDir: string = `${repoRoot}/../shared`;

/** The interop corpus. */
export const corpusDir: string = `${sharedDir}/corpus`;

let bindlo: Promise<string> | undefined;

/** Builds the loopback-only LD_PRELOAD shim from ../shared/peers/bindlo.c (once). */
export function bindloPath(): Promise<string> {
  bindlo ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "storescu-bindlo-" });
    const out = `${dir}/bindlo.so`;
    const r = await new Deno.Command("cc", {
      args: ["-shared", "-fPIC", "-O2", "-o", out, `${sharedDir}/peers/bindlo.c`, "-ldl"],
      stderr: "piped",
    }).output();
    if (!r.success) {
      throw new Error(`cannot build bindlo.so: ${new TextDecoder().decode(r.stderr)}`);
    }
    return out;
  })();
  return bindlo;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function waitForPort(port: number, child: Deno.ChildProcess, log: () => string) {
  for (let i = 0; i < 200; i++) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 25));
    }
    const done = await Promise.race([child.status, new Promise((r) => setTimeout(r, 0, null))]);
    if (done) throw new Error(`storescp exited early: ${log()}`);
  }
  throw new Error(`storescp did not listen on ${port}: ${log()}`);
}

/** A running dcmtk storescp. */
export interface Storescp {
  port: number;
  /** Output directory (`-od`). */
  dir: string;
  /** Stops it and returns its log. */
  stop(): Promise<string>;
  /** Kills it at once (SIGKILL), as a crash would. */
  kill(): void;
}

/**
 * Starts dcmtk's `storescp` on a free loopback port with `args` (e.g. `["+xa", "-pm"]`),
 * storing into a fresh temp dir, with TCP_NODELAY=1.
 */
export async function startStorescp(
  args: string[] = [],
  options: { nagle?: boolean } = {},
): Promise<Storescp> {
  const shim = await bindloPath();
  const dir = await Deno.makeTempDir({ prefix: "storescu-storescp-" });
  const port = freePort();
  const child = new Deno.Command("storescp", {
    args: [...args, "-od", dir, String(port)],
    env: options.nagle ? { LD_PRELOAD: shim } : { LD_PRELOAD: shim, TCP_NODELAY: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const chunks: Uint8Array[] = [];
  const drain = async (s: ReadableStream<Uint8Array>) => {
    for await (const c of s) chunks.push(c);
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  const log = () => new TextDecoder().decode(concatBytes(chunks));
  await waitForPort(port, child, log);
  return {
    port,
    dir,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
      await child.status;
      await drained;
      return log();
    },
    kill() {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    },
  };
}

/** The result of running the CLI. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stderr split into lines (no trailing empty line). */
  lines: string[];
}

/**
 * Runs `cli.ts` in a subprocess with only `-N -R --no-prompt` (plus `denoFlags`), as a user
 * would, with `env` added to the environment.
 */
export async function runCli(
  args: string[],
  opts: { cwd?: string; denoFlags?: string[]; env?: Record<string, string>; stdin?: string } = {},
): Promise<CliRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-N",
      "-R",
      "--no-prompt",
      ...(opts.denoFlags ?? []),
      `${repoRoot}/cli.ts`,
      ...args,
    ],
    cwd: opts.cwd ?? repoRoot,
    env: opts.env,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const r = await child.output();
  const stderr = new TextDecoder().decode(r.stderr);
  return {
    code: r.code,
    stdout: new TextDecoder().decode(r.stdout),
    stderr,
    lines: stderr.split("\n").filter((l, i, a) => !(l === "" && i === a.length - 1)),
  };
}

/**
 * Starts `cli.ts` in a subprocess (`-N -R` and `denoArgs`), stdout and stderr piped, for tests
 * that act on it while it runs (signals, kills).
 */
export function spawnCli(args: string[], denoArgs: string[] = []): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-N", "-R", ...denoArgs, `${repoRoot}/cli.ts`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs a dcmtk tool and returns its stdout; throws on failure. */
export async function dcmtk(tool: string, args: string[]): Promise<string> {
  const r = await new Deno.Command(tool, { args, stdout: "piped", stderr: "piped" }).output();
  if (!r.success) {
    throw new Error(`${tool} ${args.join(" ")} failed: ${new TextDecoder().decode(r.stderr)}`);
  }
  return new TextDecoder().decode(r.stdout);
}

/** Reads the data set of a Part-10 file (after preamble and meta) as dcmtk stored it. */
export async function datasetOf(path: string): Promise<Uint8Array> {
  const bytes = await Deno.readFile(path);
  const view = new DataView(bytes.buffer);
  // preamble 128 + "DICM" + (0002,0000) UL explicit: 4 + 2 + 2 + 4
  const groupLength = view.getUint32(128 + 4 + 8, true);
  return bytes.subarray(128 + 4 + 12 + groupLength);
}

/** Files in a directory (names only, sorted). */
export async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isFile) names.push(e.name);
  return names.sort();
}

/** A running Orthanc (a real PACS) with its own config and storage. */
export interface Orthanc {
  dicomPort: number;
  httpPort: number;
  /** GET (or POST with a body) on its REST API; returns the parsed JSON. */
  rest(path: string, body?: string): Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * Starts Orthanc on free loopback ports with ../shared/peers/orthanc.json (or `strict`:
 * orthanc-strict.json) and `overrides`, storing in a fresh temp dir. Stopped with SIGKILL
 * (its own shutdown takes seconds; its data dir is thrown away anyway).
 */
export async function startOrthanc(
  strict = false,
  overrides: Record<string, unknown> = {},
): Promise<Orthanc> {
  const shim = await bindloPath();
  const dir = await Deno.makeTempDir({ prefix: "storescu-orthanc-" });
  const base = await Deno.readTextFile(
    `${sharedDir}/peers/${strict ? "orthanc-strict.json" : "orthanc.json"}`,
  );
  // The shared configs have // comments: drop them, then fill in our own ports and paths.
  const config = JSON.parse(base.replace(/^\s*\/\/.*$/gm, "")) as Record<string, unknown>;
  const dicomPort = freePort();
  const httpPort = freePort();
  Object.assign(config, {
    StorageDirectory: `${dir}/storage`,
    IndexDirectory: `${dir}/index`,
    DicomPort: dicomPort,
    HttpPort: httpPort,
  }, overrides);
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(config));
  const child = new Deno.Command("Orthanc", {
    args: [`${dir}/config.json`],
    env: { LD_PRELOAD: shim },
    stdout: "null",
    stderr: "null",
  }).spawn();
  const rest = async (path: string, body?: string) => {
    const r = await fetch(`http://127.0.0.1:${httpPort}${path}`, {
      method: body === undefined ? "GET" : "POST",
      body,
    });
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return await r.json();
  };
  for (let i = 0;; i++) {
    try {
      await rest("/system");
      break;
    } catch {
      if (i > 400) {
        child.kill("SIGKILL");
        await child.status;
        throw new Error("Orthanc did not start");
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  return {
    dicomPort,
    httpPort,
    rest,
    async stop() {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await child.status;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** A CT instance for the tests: minimal, Explicit VR LE unless told otherwise. */
export interface CtFileOptions {
  /** File names are `${prefix}${index padded to 5}.dcm` (default "ct"). */
  prefix?: string;
  /** SOP Instance UIDs are `${uidRoot}${index padded to 6}` (default "2.25.4242"). */
  uidRoot?: string;
  /** Pixel Data value, when wanted. */
  pixels?: Uint8Array;
  transferSyntaxUid?: string;
}

/**
 * Writes `count` small CT files into `dir` (with our own Part-10 writer) and returns their
 * paths and SOP Instance UIDs, in order.
 */
export async function writeCtFiles(
  dir: string,
  count: number,
  options: CtFileOptions = {},
): Promise<{ paths: string[]; uids: string[] }> {
  const ct = "1.2.840.10008.5.1.4.1.1.2";
  const paths: string[] = [];
  const uids: string[] = [];
  for (let i = 0; i < count; i++) {
    const uid = `${options.uidRoot ?? "2.25.4242"}${String(i).padStart(6, "0")}`;
    const path = `${dir}/${options.prefix ?? "ct"}${String(i).padStart(5, "0")}.dcm`;
    const elements: ElementSpec[] = [
      { tag: 0x00080016, vr: "UI", value: ct },
      { tag: 0x00080018, vr: "UI", value: uid },
      { tag: 0x00080060, vr: "CS", value: "CT" },
      { tag: 0x00100010, vr: "PN", value: `Test^${i}` },
    ];
    if (options.pixels) elements.push({ tag: 0x7fe00010, vr: "OW", value: options.pixels });
    await Deno.writeFile(
      path,
      encodePart10({
        sopClassUid: ct,
        sopInstanceUid: uid,
        transferSyntaxUid: options.transferSyntaxUid ?? "1.2.840.10008.1.2.1",
      }, elements),
    );
    paths.push(path);
    uids.push(uid);
  }
  return { paths, uids };
}
