/**
 * Issue 4: sending many files keeps no per-file state beyond the result record. The live heap
 * (after a full GC, in a child process) grows by well under 1 KB per file between a 1,000-file
 * and a 6,000-file run. (RSS itself also reflects V8's heap sizing: see bench/RESULTS.md.)
 */

import assert from "node:assert/strict";
import { startStorageScp } from "../lib/scp.ts";
import { repoRoot, writeCtFiles } from "./peers.ts";

async function makeFiles(dir: string, count: number) {
  await writeCtFiles(dir, count, { prefix: "f", uidRoot: "2.25.31337" });
}

async function liveHeap(port: number, dir: string) {
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--v8-flags=--expose-gc",
      "-N",
      "-R",
      `${repoRoot}/tests/heap_probe.ts`,
      String(port),
      dir,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(r.success, new TextDecoder().decode(r.stderr));
  return JSON.parse(new TextDecoder().decode(r.stdout)) as {
    success: number;
    results: number;
    heapUsed: number;
  };
}

Deno.test("6,000 files: the live heap grows by less than 1 KB a file (the result record)", async () => {
  const small = await Deno.makeTempDir({ prefix: "storescu-mem-" });
  const large = await Deno.makeTempDir({ prefix: "storescu-mem-" });
  const scp = startStorageScp({ keepData: false });
  try {
    await makeFiles(small, 1000);
    await makeFiles(large, 6000);
    const a = await liveHeap(scp.port, small);
    const b = await liveHeap(scp.port, large);
    assert.equal(a.success, 1000);
    assert.equal(b.success, 6000);
    const perFile = (b.heapUsed - a.heapUsed) / 5000;
    console.log(`${perFile.toFixed(0)} bytes of live heap per extra file`);
    assert.ok(perFile < 1024, `${perFile.toFixed(0)} bytes of live heap per extra file`);
  } finally {
    await scp.close();
    await Deno.remove(small, { recursive: true });
    await Deno.remove(large, { recursive: true });
  }
});
