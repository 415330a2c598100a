/**
 * Issue 5's "done when": a run against a real peer killed halfway reports exactly which files
 * were stored. DCMTK's storescp (Nagle on, so ~40 ms per C-STORE) is SIGKILLed once about a
 * third of the files are on its disk; the CLI's JSON-lines report must then match the disk.
 */

import assert from "node:assert/strict";
import { listDir, spawnCli, startStorescp, writeCtFiles } from "./peers.ts";

const COUNT = 90;

Deno.test("a peer killed halfway: the account names exactly the files it stored", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-kill-" });
  await writeCtFiles(dir, COUNT, { uidRoot: "2.25.99", pixels: new Uint8Array(32 * 1024).fill(7) });
  const scp = await startStorescp([], { nagle: true });
  let killedAt = -1;
  try {
    const cli = spawnCli(["127.0.0.1", String(scp.port), dir, "--report", "-"]);
    const out = cli.output();
    // Kill the peer once about a third of the files are on its disk.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const n = (await listDir(scp.dir)).length;
      if (n >= COUNT / 3) {
        scp.kill();
        killedAt = n;
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(killedAt > 0, "the peer was killed mid-run");
    const r = await out;
    const stderr = new TextDecoder().decode(r.stderr);
    assert.equal(r.code, 3, stderr);
    assert.doesNotMatch(stderr, /Uncaught|^\s+at /m);
    const rows = new TextDecoder().decode(r.stdout).trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(rows.length, COUNT, "one account line per file");

    await scp.stop();
    const onDisk = new Set((await listDir(scp.dir)).map((n) => n.replace(/^CT\./, "")));
    assert.ok(onDisk.size < COUNT, "the kill stopped the run part way");
    const success = new Set(
      rows.filter((x) => x.outcome === "success").map((x) => x.sopInstanceUid),
    );
    // Every file reported stored is on the peer's disk...
    for (const uid of success) assert.ok(onDisk.has(uid), `${uid} reported stored but not on disk`);
    // ...and every file on disk was reported stored, except one the peer may have written
    // just before it died, whose response never came: that one says so.
    const unconfirmed = [...onDisk].filter((uid) => !success.has(uid));
    assert.ok(unconfirmed.length <= 1, `on disk but not reported stored: ${unconfirmed}`);
    for (const uid of unconfirmed) {
      const row = rows.find((x) => x.sopInstanceUid === uid);
      assert.equal(row.outcome, "failure");
      assert.match(row.reason, /storage not confirmed/);
    }
    // The rest were not sent (or failed), each with a reason, and the summary agrees.
    for (const x of rows.filter((x) => x.outcome !== "success")) assert.ok(x.reason, x.path);
    const counts = { success: success.size, other: COUNT - success.size };
    assert.match(
      stderr.trim().split("\n").at(-1)!,
      new RegExp(`^Summary: ${COUNT} files: ${counts.success} success, 0 warning, `),
    );
  } finally {
    await scp.stop();
    await Deno.remove(scp.dir, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});
