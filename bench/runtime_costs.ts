/**
 * What the runtime's ways of doing one step of a send cost here, side by side: the
 * alternatives the sender chose between (sync vs async ops, `Deno.FsFile` vs `node:fs`, a stat
 * of the path vs of the open file, read sizes). Prints
 * a Markdown table; `bench/run.ts` puts it in `RESULTS.md`. Each figure is the best of 5
 * rounds (µs per operation, wall clock of a CPU-bound loop), so other work on the machine
 * inflates it less.
 *
 * ```sh
 * deno run -R bench/runtime_costs.ts DIR_OF_SMALL_FILES BIG_FILE
 * ```
 *
 * @module
 */

import { closeSync, fstatSync, openSync, readSync } from "node:fs";

const [dir, big] = Deno.args;
const paths = [...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => `${dir}/${e.name}`)
  .slice(0, 1000);
const head = new Uint8Array(16 * 1024);

interface Row {
  what: string;
  us: number;
  note: string;
}
const rows: Row[] = [];

/** Best of 5 rounds of `fn` over `count` operations, in µs per operation. */
async function best(count: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  let min = Infinity;
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    await fn();
    min = Math.min(min, (performance.now() - t) * 1000 / count);
  }
  return min;
}

async function row(what: string, count: number, note: string, fn: () => unknown) {
  rows.push({ what, us: await best(count, fn), note });
}

// Opening and reading the first 16 KiB of each file (the examination).
await row("Deno.openSync + readSync 16 KiB + close", paths.length, "used", () => {
  for (const p of paths) {
    const f = Deno.openSync(p);
    f.readSync(head);
    f.close();
  }
});
await row(
  "node:fs openSync + readSync 16 KiB + closeSync",
  paths.length,
  "same permission path",
  () => {
    for (const p of paths) {
      const fd = openSync(p, "r");
      readSync(fd, head);
      closeSync(fd);
    }
  },
);
await row(
  "Deno.open + read 16 KiB + close (async)",
  paths.length,
  "a thread-pool round trip each",
  async () => {
    for (const p of paths) {
      const f = await Deno.open(p);
      await f.read(head);
      f.close();
    }
  },
);

// Change checks: a stat of the path, or of the file already open.
const open = paths.slice(0, 200).map((p) => Deno.openSync(p));
await row("Deno.statSync(path)", paths.length, "used (change checks)", () => {
  for (const p of paths) Deno.statSync(p);
});
await row("FsFile.statSync() (fstat)", open.length, "resolves the path again", () => {
  for (const f of open) f.statSync();
});
await row("await Deno.stat(path)", paths.length, "async", async () => {
  for (const p of paths) await Deno.stat(p);
});
for (const f of open) f.close();
const fds = paths.slice(0, 200).map((p) => openSync(p, "r"));
await row("node:fs fstatSync(fd)", fds.length, "", () => {
  for (const fd of fds) fstatSync(fd);
});
for (const fd of fds) closeSync(fd);

// Reading 64 MiB of the big file into 16 KiB PDU slots (16376 data bytes + 12 of headers).
const FRAG = 16376;
const SLOTS = 16;
const out = new Uint8Array(SLOTS * (FRAG + 12));
const MIB = 64;
async function readInto(chunk: number, sync: boolean): Promise<number> {
  const f = Deno.openSync(big);
  const buf = new Uint8Array(chunk);
  let total = 0;
  let slot = 0;
  while (total < MIB << 20) {
    if (chunk <= FRAG) {
      // Straight into the slot: one read per fragment, no copy.
      const at = slot * (FRAG + 12) + 12;
      const n = sync
        ? f.readSync(out.subarray(at, at + FRAG))
        : await f.read(out.subarray(at, at + FRAG));
      if (!n) break;
      total += n;
      slot = (slot + 1) % SLOTS;
      continue;
    }
    const n = sync ? f.readSync(buf) : await f.read(buf);
    if (!n) break;
    for (let o = 0; o < n; o += FRAG) {
      const k = Math.min(FRAG, n - o);
      out.set(buf.subarray(o, o + k), slot * (FRAG + 12) + 12);
      slot = (slot + 1) % SLOTS;
    }
    total += n;
  }
  f.close();
  return total;
}
const perMib = async (what: string, chunk: number, sync: boolean, note: string) =>
  rows.push({ what, us: await best(MIB, () => readInto(chunk, sync)), note });
await perMib(
  "readSync 16 KiB straight into each PDU slot (per MiB)",
  FRAG,
  true,
  "a syscall per fragment",
);
await perMib("readSync 256 KiB + one copy per fragment (per MiB)", 256 * 1024, true, "used");
await perMib("readSync 1 MiB + one copy per fragment (per MiB)", 1024 * 1024, true, "");
await perMib("await read 256 KiB + one copy per fragment (per MiB)", 256 * 1024, false, "async");

console.log("| operation | µs | note |");
console.log("| --- | ---: | --- |");
for (const r of rows) console.log(`| ${r.what} | ${r.us.toFixed(2)} | ${r.note} |`);
