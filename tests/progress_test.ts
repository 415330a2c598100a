// deno-lint-ignore-file no-control-regex no-regex-spaces -- terminal output, spaced columns
/**
 * Progress (lib/progress.ts and the library's totals and byte-progress events): the line's
 * contents and redraw rules with a fake clock, the events `storeFiles` emits, and the CLI
 * under a pseudo-terminal (`script`) against piped stderr.
 */

import assert from "node:assert/strict";
import { ProgressLine } from "../lib/progress.ts";
import { type StoreEvent, storeFiles } from "../lib/send.ts";
import { startStorageScp } from "../lib/scp.ts";
import { connectTcp } from "../lib/connect.ts";
import type { Transport } from "../lib/transport.ts";
import { repoRoot, runCli, writeCtFiles } from "./peers.ts";

const CLEAR = "\r\x1b[K";

function fake(color = false, columns = 200) {
  let now = 0;
  let out = "";
  const p = new ProgressLine({ write: (t) => out += t, color, columns, now: () => now });
  return {
    p,
    tick: (ms: number) => now += ms,
    take: () => {
      const o = out;
      out = "";
      return o;
    },
  };
}

const done = (path: string, size: number, outcome = "success" as const) =>
  ({
    type: "file-done",
    result: { path, outcome, size, bytes: outcome === "success" ? size - 300 : undefined },
  }) as StoreEvent;

Deno.test("progress line: files, bytes, rate, ETA and the current file", () => {
  const { p, tick, take } = fake();
  p.onEvent({ type: "totals", files: 4, bytes: 4_000_000 });
  assert.equal(take(), `${CLEAR}0/4 files  0.00/4.00 MB`);
  tick(1000);
  p.onEvent({ type: "file-sending", path: "dir/a.dcm" });
  p.onEvent(done("dir/a.dcm", 1_000_000));
  p.onEvent({ type: "file-sending", path: "dir/b.dcm" });
  assert.equal(p.text(), "1/4 files  1.00/4.00 MB  1.00 MB/s  ETA 0:03  b.dcm");
  // A big file's byte progress.
  p.onEvent({ type: "file-progress", path: "dir/b.dcm", bytes: 500_000, total: 1_000_000 });
  assert.equal(p.text(), "1/4 files  1.50/4.00 MB  1.50 MB/s  ETA 0:02  b.dcm 50%");
  // Not stored and skipped files are counted apart.
  p.onEvent(done("dir/b.dcm", 1_000_000, "failure" as "success"));
  p.onEvent(done("dir/c.dcm", 1_000_000, "skipped" as "success"));
  assert.match(p.text(), /^3\/4 files \(1 not stored\) \(1 skipped\)  3\.00\/4\.00 MB/);
});

Deno.test("progress line: the total is estimated from the files seen when not given", () => {
  const { p } = fake();
  p.onEvent({ type: "totals", files: 10 });
  assert.equal(p.text(), "0/10 files");
  p.onEvent(done("a.dcm", 2_000_000));
  assert.match(p.text(), /^1\/10 files  2\.00\/~20\.0 MB/);
});

Deno.test("progress line: redrawn at most every 100 ms; log lines go above it", () => {
  const { p, tick, take } = fake();
  p.onEvent({ type: "totals", files: 3, bytes: 3000 });
  take();
  p.onEvent({ type: "file-sending", path: "a.dcm" });
  assert.equal(take(), "", "within 100 ms of the last draw");
  tick(100);
  p.onEvent(done("a.dcm", 1000));
  const drawn = take();
  assert.ok(drawn.startsWith(CLEAR + "1/3 files"), JSON.stringify(drawn));
  // A log line: clear, the line, then the progress line again.
  p.line("E: Store failed: b.dcm: refused");
  assert.equal(take(), `${CLEAR}E: Store failed: b.dcm: refused\n${drawn}`);
  p.end();
  assert.equal(take(), CLEAR);
  // After the end: plain lines, nothing redrawn.
  p.line("Summary: 3 files");
  tick(1000);
  p.onEvent(done("c.dcm", 1000));
  assert.equal(take(), "Summary: 3 files\n");
});

Deno.test("progress line: colours only when asked; cut to the terminal width", () => {
  const plain = fake(false, 30);
  plain.p.onEvent({ type: "totals", files: 1000, bytes: 4_000_000_000 });
  const out = plain.take();
  assert.equal(out, `${CLEAR}0/1,000 files  0.00/4,000 MB`.slice(0, CLEAR.length + 29));
  assert.doesNotMatch(out, /\x1b\[[0-9;]*m/);
  const coloured = fake(true);
  coloured.p.onEvent({ type: "totals", files: 2 });
  assert.match(coloured.take(), /\x1b\[1m0\/2\x1b\[0m files/);
});

/** A transport whose writes take a while, so a 4 MiB data set takes over 100 ms to go out. */
async function slow(o: Parameters<typeof connectTcp>[0]): Promise<Transport> {
  const t = await connectTcp(o);
  return {
    read: (p) => t.read(p),
    write: async (p) => {
      await new Promise((r) => setTimeout(r, 15));
      return t.write(p);
    },
    close: () => t.close(),
  };
}

Deno.test("storeFiles: totals up front; byte progress for big files only, when asked", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-progress-" });
  const scp = startStorageScp({ keepData: false });
  try {
    await writeCtFiles(dir, 2, { pixels: new Uint8Array(1000) });
    await writeCtFiles(dir, 1, {
      prefix: "big",
      uidRoot: "2.25.77",
      pixels: new Uint8Array(4 << 20),
    });
    let size = 0;
    for await (const e of Deno.readDir(dir)) size += (await Deno.stat(`${dir}/${e.name}`)).size;
    const run = async (more: { byteProgress?: boolean; totalBytes?: boolean }) => {
      const events: StoreEvent[] = [];
      const r = await storeFiles({
        address: "127.0.0.1",
        port: scp.port,
        paths: [dir],
        connect: slow,
        onEvent: (e) => events.push(e),
        ...more,
      });
      assert.equal(r.counts.success, 3);
      return events;
    };
    const events = await run({ byteProgress: true, totalBytes: true });
    const totals = events.findIndex((e) => e.type === "totals");
    assert.ok(totals >= 0 && totals < events.findIndex((e) => e.type === "association-requesting"));
    assert.deepEqual(events[totals], { type: "totals", files: 3, bytes: size });
    const progress = events.filter((e) => e.type === "file-progress");
    assert.ok(progress.length >= 1, "the big file reports its progress");
    let last = 0;
    for (const e of progress) {
      assert.ok(e.path.endsWith("big00000.dcm"), e.path);
      assert.ok(e.bytes > last && e.bytes <= e.total, `${e.bytes} of ${e.total}`);
      last = e.bytes;
    }
    // Reported while the file was going out: before its response.
    const response = events.findIndex((e) =>
      e.type === "store-response" && e.path.endsWith("big00000.dcm")
    );
    assert.ok(events.indexOf(progress[0]) < response);
    // Off by default, and the byte total is only counted when asked.
    const quiet = await run({});
    assert.equal(quiet.filter((e) => e.type === "file-progress").length, 0);
    assert.deepEqual(quiet.find((e) => e.type === "totals"), {
      type: "totals",
      files: 3,
      bytes: undefined,
    });
  } finally {
    await scp.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** Runs the CLI on a pseudo-terminal (util-linux `script`); returns what the terminal got. */
async function onTerminal(args: string[], env: Record<string, string> = {}) {
  const cmd = [Deno.execPath(), "run", "-N", "-R", `${repoRoot}/cli.ts`, ...args]
    .map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  // A clean environment: only what Deno needs, so that the caller's NO_COLOR doesn't leak in.
  const keep: Record<string, string> = {};
  for (const k of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
    const v = Deno.env.get(k);
    if (v !== undefined) keep[k] = v;
  }
  const r = await new Deno.Command("script", {
    args: ["-qec", cmd, "/dev/null"],
    clearEnv: true,
    env: { ...keep, TERM: "xterm", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: r.code, out: new TextDecoder().decode(r.stdout) };
}

Deno.test("CLI on a terminal: a live progress line that never garbles the log lines", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-progress-" });
  const scp = startStorageScp({ keepData: false, responseDelay: 0.015 });
  try {
    await writeCtFiles(dir, 30);
    await Deno.writeTextFile(`${dir}/notes.txt`, "not DICOM");
    const { code, out } = await onTerminal(["127.0.0.1", String(scp.port), dir, "-v"]);
    assert.equal(code, 3, out);
    assert.match(out, /\x1b\[1m\d+\/31\x1b\[0m files/, "drawn, in colour");
    assert.match(out, /\r\x1b\[K\x1b\[1m\d+\/31\x1b\[0m files  [\d.]+\/~?[\d.]+ MB  [\d.]+ MB\/s/);
    // Every log line starts on a cleared line and ends it: none is written into the progress line.
    const logLines = [...out.matchAll(/(.{0,3})([IE]: [^\r\n]*)(\r?\n)/g)];
    assert.ok(logLines.length >= 30 * 3);
    for (const [, before, line] of logLines) {
      assert.ok(
        before.endsWith("\x1b[K") || before === "",
        `garbled: ${JSON.stringify(before + line)}`,
      );
    }
    // The summary ends the output on a line of its own, the progress line cleared before it.
    assert.match(
      out,
      /\r\x1b\[KSummary: 31 files: 30 success, 0 warning, 0 failed, 1 not sent\r?\n$/,
    );
    // The report on the same terminal (stdout) is written above the line too.
    const report = await onTerminal(["127.0.0.1", String(scp.port), dir, "--report", "-"]);
    const rows = [...report.out.matchAll(/(.{0,3})(\{"path":[^\r\n]*)(\r?\n)/g)];
    assert.equal(rows.length, 31);
    for (const [, before, row] of rows) {
      assert.ok(
        before.endsWith("\x1b[K") || before === "",
        `garbled: ${JSON.stringify(before + row)}`,
      );
      JSON.parse(row);
    }
  } finally {
    await scp.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CLI: no progress line with NO_COLOR colours, with --no-progress, -q, or a pipe", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-progress-" });
  const scp = startStorageScp({ keepData: false });
  try {
    await writeCtFiles(dir, 5);
    const args = ["127.0.0.1", String(scp.port), dir];
    // NO_COLOR: the line, without colours.
    const noColor = await onTerminal(args, { NO_COLOR: "1" });
    assert.match(noColor.out, /\r\x1b\[K\d\/5 files/);
    assert.doesNotMatch(noColor.out, /\x1b\[[0-9;]*m/);
    // --no-progress and -q: nothing but the summary (and with -q, nothing at all).
    const off = await onTerminal([...args, "--no-progress"]);
    assert.equal(
      off.out.replace(/\r/g, ""),
      "Summary: 5 files: 5 success, 0 warning, 0 failed, 0 not sent\n",
    );
    const quiet = await onTerminal([...args, "-q"]);
    assert.equal(quiet.out, "");
    // stderr to a pipe: no line, no control characters.
    const piped = await runCli(args);
    assert.equal(piped.code, 0);
    assert.equal(piped.stderr, "Summary: 5 files: 5 success, 0 warning, 0 failed, 0 not sent\n");
    // --progress forces it on even then.
    const forced = await runCli([...args, "--progress"]);
    assert.match(forced.stderr, /^\r\x1b\[K0\/5 files/);
    assert.match(forced.stderr, /\r\x1b\[KSummary: 5 files: 5 success/);
  } finally {
    await scp.close();
    await Deno.remove(dir, { recursive: true });
  }
});
