/**
 * The resume journal (lib/journal.ts): its file format and crash tolerance, skipping what an
 * earlier run stored at the same destination, and a run killed (SIGKILL) mid-way against
 * DCMTK's storescp then run again: every file stored exactly once, except at most the one in
 * flight at each kill.
 */

import assert from "node:assert/strict";
import { journalDestination, JournalError, openJournal } from "../lib/journal.ts";
import { storeFiles } from "../lib/send.ts";
import { startStorageScp } from "../lib/scp.ts";
import { readDicomFileInfo } from "../lib/part10/file.ts";
import { exitCodeFor } from "../cli.ts";
import { listDir, runCli, spawnCli, startStorescp, writeCtFiles } from "./peers.ts";

const HEADER = '{"journal":"storescu","version":1}';
const DEST = "ANY-SCP@127.0.0.1:104";

async function tempJournal(): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "storescu-journal-" });
  return { path: `${dir}/sent.jsonl`, cleanup: () => Deno.remove(dir, { recursive: true }) };
}

Deno.test("journal: created with its header; each confirmed instance is one line at once", async () => {
  const { path, cleanup } = await tempJournal();
  try {
    const j = await openJournal(path, DEST);
    assert.equal(j.size, 0);
    j.confirmed({
      path: "a b\n.dcm",
      sopInstanceUid: "1.2.3",
      size: 10,
      status: 0,
    });
    // Written before close: a crash right now would keep it.
    const lines = (await Deno.readTextFile(path)).split("\n");
    assert.deepEqual(lines, [
      HEADER,
      `{"dest":"${DEST}","uid":"1.2.3","path":"a b\\n.dcm","size":10,"status":0}`,
      "",
    ]);
    j.close();
    const again = await openJournal(path, DEST);
    assert.equal(again.size, 1);
    assert.ok(again.has("1.2.3"));
    again.close();
    // Another destination (AE title, address or port) has stored nothing.
    const other = await openJournal(path, "ARCHIVE@127.0.0.1:104");
    assert.equal(other.size, 0);
    assert.ok(!other.has("1.2.3"));
    other.close();
  } finally {
    await cleanup();
  }
});

Deno.test("journal: a torn last line is ignored, and the next line starts on its own", async () => {
  const { path, cleanup } = await tempJournal();
  try {
    const good = `{"dest":"${DEST}","uid":"1.1","path":"a","size":1,"status":0}`;
    await Deno.writeTextFile(path, `${HEADER}\n${good}\n{"dest":"${DEST}","uid":"1.2","pa`);
    const j = await openJournal(path, DEST);
    assert.equal(j.size, 1);
    assert.ok(j.has("1.1") && !j.has("1.2"));
    j.confirmed({ path: "c", sopInstanceUid: "1.3", size: 3, status: 0 });
    j.close();
    const again = await openJournal(path, DEST);
    assert.ok(again.has("1.1") && again.has("1.3") && !again.has("1.2"));
    again.close();
    // A journal cut short while its header was being written starts afresh.
    await Deno.writeTextFile(path, HEADER.slice(0, 9));
    const fresh = await openJournal(path, DEST);
    fresh.close();
    assert.equal(await Deno.readTextFile(path), HEADER + "\n");
  } finally {
    await cleanup();
  }
});

Deno.test("journal: a file that is not a journal is refused, untouched", async () => {
  const { path, cleanup } = await tempJournal();
  try {
    await Deno.writeTextFile(path, "patient list\nnot ours\n");
    await assert.rejects(() => openJournal(path, DEST), (e: Error) => {
      assert.ok(e instanceof JournalError);
      assert.match(e.message, /not a storescu journal/);
      return true;
    });
    assert.equal(await Deno.readTextFile(path), "patient list\nnot ours\n");
    await assert.rejects(() => openJournal(`${path}/x/y`, DEST), JournalError);
    // A device would never end (/dev/zero) or never take a line (/dev/full).
    await assert.rejects(() => openJournal("/dev/zero", DEST), /not a regular file/);
  } finally {
    await cleanup();
  }
});

Deno.test("journal: the destination is calledAeTitle@address:port", () => {
  assert.equal(journalDestination({ address: "pacs", port: 104 }), "ANY-SCP@pacs:104");
  assert.equal(
    journalDestination({ address: "10.0.0.1", port: 11112, calledAeTitle: "ARCH" }),
    "ARCH@10.0.0.1:11112",
  );
});

for (const mode of ["default", "-cx", "--parallel 2"] as const) {
  Deno.test(`journal (${mode}): a second run skips what the first stored`, async () => {
    const { path, cleanup } = await tempJournal();
    const dir = await Deno.makeTempDir({ prefix: "storescu-journal-" });
    const scp = startStorageScp({ keepData: false });
    try {
      const { paths } = await writeCtFiles(dir, 6);
      const base = {
        address: "127.0.0.1",
        port: scp.port,
        paths: [dir],
        journal: path,
        requiredContexts: mode === "-cx",
        parallel: mode === "--parallel 2" ? 2 : 1,
      };
      // First run: half the files only.
      await Deno.mkdir(`${dir}/later`);
      for (const p of paths.slice(3)) await Deno.rename(p, p.replace(dir, `${dir}/later`));
      const first = await storeFiles(base);
      assert.equal(first.counts.success, 3);
      for (const p of paths.slice(3)) await Deno.rename(p.replace(dir, `${dir}/later`), p);
      await Deno.remove(`${dir}/later`);
      const requests = scp.requests.length;

      const done: string[] = [];
      const second = await storeFiles({
        ...base,
        onEvent: (e) => e.type === "file-done" && done.push(`${e.result.outcome}`),
      });
      assert.deepEqual(second.results.map((r) => r.outcome), [
        "skipped",
        "skipped",
        "skipped",
        "success",
        "success",
        "success",
      ]);
      assert.equal(
        second.results[0].reason,
        `already stored at ANY-SCP@127.0.0.1:${scp.port} (journal)`,
      );
      assert.equal(second.results[0].sopInstanceUid, "2.25.4242000000");
      assert.equal(done.filter((o) => o === "skipped").length, 3, "each skip is an event too");
      assert.equal(second.counts.skipped, 3);
      assert.equal(exitCodeFor(second), 0);
      // The peer got each instance once.
      assert.equal(scp.received.length, 6);
      assert.equal(new Set(scp.received.map((r) => r.sopInstanceUid)).size, 6);

      // Everything there already: nothing to send, no association at all, exit status 0.
      const third = await storeFiles(base);
      assert.equal(third.counts.skipped, 6);
      assert.equal(third.associations, 0);
      assert.equal(scp.requests.length, requests + (mode === "--parallel 2" ? 2 : 1));
      assert.equal(exitCodeFor(third), 0);

      // Another destination (called AE title) is another journal's business: sent again.
      const other = await storeFiles({ ...base, calledAeTitle: "OTHER" });
      assert.equal(other.counts.success, 6);
    } finally {
      await scp.close();
      await cleanup();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("journal: failed and not-sent files are not recorded", async () => {
  const { path, cleanup } = await tempJournal();
  const dir = await Deno.makeTempDir({ prefix: "storescu-journal-" });
  const scp = startStorageScp({
    keepData: false,
    status: (rq) => rq.affectedSopInstanceUid.endsWith("1") ? 0xA700 : 0,
  });
  try {
    await writeCtFiles(dir, 3);
    await Deno.writeTextFile(`${dir}/notes.txt`, "not DICOM");
    const r = await storeFiles({
      address: "127.0.0.1",
      port: scp.port,
      paths: [dir],
      journal: path,
    });
    assert.equal(r.counts.success, 2);
    const uids = (await Deno.readTextFile(path)).trim().split("\n").slice(1).map((l) =>
      JSON.parse(l).uid
    );
    assert.deepEqual(uids, ["2.25.4242000000", "2.25.4242000002"]);
  } finally {
    await scp.close();
    await cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--journal without write permission: one line, exit 2, nothing sent, no prompt", async () => {
  const { path, cleanup } = await tempJournal();
  const scp = startStorageScp({ keepData: false });
  try {
    const r = await runCli(["127.0.0.1", String(scp.port), "testdata", "--journal", path]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.lines.length, 2, r.stderr);
    assert.match(
      r.lines[1],
      new RegExp(
        `^storescu: error: --journal ${path}: no write permission; give deno ` +
          `--allow-write=${path} before the script name$`,
      ),
    );
    assert.equal(scp.requests.length, 0);
    await assert.rejects(() => Deno.stat(path), Deno.errors.NotFound);
  } finally {
    await scp.close();
    await cleanup();
  }
});

/** SOP Instance UIDs of the files storescp wrote (+uf: one file per object received). */
async function storedUids(dir: string): Promise<string[]> {
  const uids: string[] = [];
  for (const n of await listDir(dir)) {
    uids.push((await readDicomFileInfo(`${dir}/${n}`)).sopInstanceUid);
  }
  return uids;
}

Deno.test("journal: killed (SIGKILL) mid-way and run again: every file stored once", async () => {
  const COUNT = 60;
  const KILLS = [8, 25];
  const { path, cleanup } = await tempJournal();
  const dir = await Deno.makeTempDir({ prefix: "storescu-journal-" });
  // Nagle: ~40 ms a file, so a kill lands at a random point of some file's exchange.
  const scp = await startStorescp(["+uf"], { nagle: true });
  const cli = (extra: string[] = []) =>
    spawnCli(["127.0.0.1", String(scp.port), dir, "--journal", path, ...extra], [
      `--allow-write=${path}`,
    ]);
  try {
    await writeCtFiles(dir, COUNT, { uidRoot: "2.25.5151" });
    for (const at of KILLS) {
      const child = cli();
      const out = child.output();
      const deadline = Date.now() + 20_000;
      while ((await listDir(scp.dir)).length < at && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 3));
      }
      child.kill("SIGKILL");
      const r = await out;
      assert.equal(r.signal, "SIGKILL");
    }
    const last = await cli(["-v"]).output();
    const stderr = new TextDecoder().decode(last.stderr);
    assert.equal(last.code, 0, stderr);
    const summary = stderr.trim().split("\n").at(-1)!;
    const m = summary.match(
      /^Summary: 60 files: (\d+) success, 0 warning, 0 failed, 0 not sent, (\d+) skipped$/,
    );
    assert.ok(m, summary);
    assert.ok(Number(m[2]) >= KILLS[1] - KILLS.length, `skipped ${m[2]}`);

    const stored = await storedUids(scp.dir);
    const times = new Map<string, number>();
    for (const u of stored) times.set(u, (times.get(u) ?? 0) + 1);
    assert.equal(times.size, COUNT, "every file stored");
    const twice = [...times].filter(([, n]) => n > 1);
    // At most the file in flight at each kill went twice.
    assert.ok(twice.length <= KILLS.length, `stored more than once: ${twice}`);
    assert.ok(twice.every(([, n]) => n === 2));
    assert.equal(stored.length, COUNT + twice.length);
  } finally {
    await scp.stop();
    await Deno.remove(scp.dir, { recursive: true });
    await cleanup();
    await Deno.remove(dir, { recursive: true });
  }
});
