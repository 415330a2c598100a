/**
 * lib/send.ts beyond the reference's single association: --parallel, --async, --retry and
 * the --report JSON lines, against our own SCP.
 */

import assert from "node:assert/strict";
import { type StoreEvent, storeFiles, type StoreOptions, type StoreReport } from "../lib/send.ts";
import { type ScpOptions, startStorageScp, type StorageScp } from "../lib/scp.ts";
import { exitCodeFor, main, reportLine } from "../cli.ts";
import { repoRoot, runCli, writeCtFiles } from "./peers.ts";

/** Writes `n` small Explicit VR LE CT files into a temp dir; returns dir and instance UIDs. */
async function makeFiles(n: number): Promise<{ dir: string; uids: string[] }> {
  const dir = await Deno.makeTempDir({ prefix: "storescu-modes-" });
  const { uids } = await writeCtFiles(dir, n);
  return { dir, uids };
}

/** `n` files and our SCP (its options may depend on the files' UIDs); both removed after. */
async function withScp(
  n: number,
  scpOptions: (uids: string[]) => ScpOptions,
  body: (ctx: { dir: string; uids: string[]; scp: StorageScp }) => Promise<void>,
): Promise<void> {
  const { dir, uids } = await makeFiles(n);
  const scp = startStorageScp(scpOptions(uids));
  try {
    await body({ dir, uids, scp });
  } finally {
    await scp.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** storeFiles of `dir` to `scp`. */
function send(scp: StorageScp, dir: string, extra: Partial<StoreOptions>): Promise<StoreReport> {
  return storeFiles({ address: "127.0.0.1", port: scp.port, paths: [dir], ...extra });
}

Deno.test("--parallel: every file stored once, over N associations, logged in file order", async () => {
  const events: StoreEvent[] = [];
  await withScp(12, () => ({}), async ({ dir, scp }) => {
    const report = await send(scp, dir, { parallel: 3, onEvent: (e) => events.push(e) });
    assert.equal(report.counts.success, 12);
    assert.equal(report.associations, 3);
    assert.equal(scp.requests.length, 3);
    const inst = scp.received.map((r) => r.sopInstanceUid);
    assert.equal(new Set(inst).size, 12, "no double sends");
    const sending = events.filter((e) => e.type === "file-sending").map((e) =>
      (e as { path: string }).path
    );
    assert.deepEqual(sending, [...sending].sort(), "per-file events come out in file order");
    const done = events.filter((e) => e.type === "file-done").map((e) =>
      (e as { result: { path: string } }).result.path
    );
    assert.deepEqual(done, [...done].sort());
  });
});

Deno.test("--parallel: an aborted association does not lose the files queued on another", async () => {
  let aborted = false;
  const options = (uids: string[]): ScpOptions => ({
    status: (rq) => {
      if (rq.affectedSopInstanceUid === uids[4] && !aborted) {
        aborted = true;
        return "abort";
      }
      return 0;
    },
  });
  await withScp(9, options, async ({ dir, scp }) => {
    const report = await send(scp, dir, { parallel: 2, timeouts: { dimse: 2 } });
    const byPath = new Map(report.results.map((r) => [r.path.split("/").pop(), r]));
    assert.equal(byPath.get("ct00004.dcm")?.outcome, "failure");
    assert.match(byPath.get("ct00004.dcm")!.reason!, /storage not confirmed/);
    assert.equal(report.counts.success, 8, JSON.stringify(report.results, null, 1));
    assert.equal(exitCodeFor(report), 3);
  });
});

Deno.test("--async: several C-STOREs in flight when the peer accepts the window", async () => {
  const options = () => ({ maxOperationsPerformed: 4, responseDelay: 0.03 });
  await withScp(10, options, async ({ dir, scp }) => {
    const report = await send(scp, dir, { asyncWindow: 8 });
    assert.equal(report.counts.success, 10);
    const window = scp.requests[0].userInfo.asyncOperationsWindow;
    assert.deepEqual(window, { maxOperationsInvoked: 8, maxOperationsPerformed: 1 });
    assert.ok(scp.maxOutstanding > 1, `outstanding ${scp.maxOutstanding}`);
    assert.ok(scp.maxOutstanding <= 4, `outstanding ${scp.maxOutstanding}`);
    const ids = scp.received.map((r) => r.messageId);
    assert.equal(new Set(ids).size, ids.length, "message ids unique on the association");
    assert.equal(new Set(scp.received.map((r) => r.sopInstanceUid)).size, 10);
  });
});

Deno.test("--async: a peer that refuses the window gets one C-STORE at a time", async () => {
  const options = () => ({ maxOperationsPerformed: 1, responseDelay: 0.01 });
  await withScp(5, options, async ({ dir, scp }) => {
    const report = await send(scp, dir, { asyncWindow: 8 });
    assert.equal(report.counts.success, 5);
    assert.equal(scp.maxOutstanding, 1);
  });
});

Deno.test("--retry: transient 0xA700 re-sent on a new association; stored files never twice", async () => {
  const seen = new Map<string, number>();
  const options = (uids: string[]): ScpOptions => ({
    status: (rq) => {
      const n = (seen.get(rq.affectedSopInstanceUid) ?? 0) + 1;
      seen.set(rq.affectedSopInstanceUid, n);
      return rq.affectedSopInstanceUid === uids[1] && n === 1 ? 0xA700 : 0;
    },
  });
  const events: StoreEvent[] = [];
  await withScp(4, options, async ({ dir, uids, scp }) => {
    const report = await send(scp, dir, {
      retries: 2,
      retryDelay: 0.01,
      onEvent: (e) => events.push(e),
    });
    assert.equal(report.counts.success, 4);
    assert.equal(seen.get(uids[1]), 2);
    for (const u of [uids[0], uids[2], uids[3]]) assert.equal(seen.get(u), 1);
    assert.equal(report.results.find((r) => r.sopInstanceUid === uids[1])?.attempts, 2);
    assert.equal(scp.requests.length, 2, "a second association for the retry");
    assert.ok(events.some((e) => e.type === "retrying"));
  });
});

Deno.test("--retry: permanent failures (0xA900) are not retried", async () => {
  await withScp(2, () => ({ status: 0xA900 }), async ({ dir, scp }) => {
    const report = await send(scp, dir, { retries: 3, retryDelay: 0.01 });
    assert.equal(report.counts.failure, 2);
    assert.equal(scp.received.length, 2);
    assert.equal(scp.requests.length, 1);
  });
});

Deno.test("--retry: connection refused is retried with backoff, then reported not sent", async () => {
  const { dir } = await makeFiles(1);
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const events: StoreEvent[] = [];
  try {
    const started = performance.now();
    const report = await storeFiles({
      address: "127.0.0.1",
      port,
      paths: [dir],
      retries: 2,
      retryDelay: 0.02,
      onEvent: (e) => events.push(e),
    });
    assert.ok(performance.now() - started >= 60, "20 ms then 40 ms of backoff");
    assert.equal(report.counts["not-sent"], 1);
    // Every round was an attempt, as the log's "attempt 3" says, though none got to sending.
    assert.equal(report.results[0].attempts, 3);
    assert.equal(events.filter((e) => e.type === "association-requesting").length, 3);
    assert.equal(exitCodeFor(report), 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--retry: a late peer gets the file on a later round; attempts count every round", async () => {
  const { dir } = await makeFiles(2);
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const events: StoreEvent[] = [];
  let scp: StorageScp | undefined;
  try {
    const report = await storeFiles({
      address: "127.0.0.1",
      port,
      paths: [dir],
      retries: 3,
      retryDelay: 0.05,
      onEvent: (e) => {
        events.push(e);
        // The peer comes up while the second round waits.
        if (e.type === "retrying" && e.attempt === 3) scp = startStorageScp({ port });
      },
    });
    assert.equal(report.counts.success, 2, JSON.stringify(report.results));
    const said = events.filter((e) => e.type === "retrying").map((e) => e.attempt);
    assert.deepEqual(said, [2, 3]);
    for (const r of report.results) assert.equal(r.attempts, 3);
  } finally {
    await scp?.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--report -: one JSON line per file on stdout", async () => {
  const options = (uids: string[]): ScpOptions => ({
    status: (rq) => (rq.affectedSopInstanceUid === uids[2] ? 0xB000 : 0),
  });
  let out = "";
  const lines: string[] = [];
  await withScp(3, options, async ({ dir, uids, scp }) => {
    const code = await main(["127.0.0.1", String(scp.port), dir, "--report", "-"], {
      stdout: (t) => (out += t),
      stderrLine: (l) => lines.push(l),
    });
    assert.equal(code, 0);
    const rows = out.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(rows.length, 3);
    assert.deepEqual(rows.map((r) => r.outcome), ["success", "success", "warning"]);
    assert.equal(rows[2].status, 0xB000);
    assert.equal(rows[0].sopInstanceUid, uids[0]);
    assert.equal(rows[0].transferSyntaxUid, "1.2.840.10008.1.2.1");
    assert.equal(rows[0].sentTransferSyntaxUid, "1.2.840.10008.1.2.1");
    assert.equal(typeof rows[0].bytes, "number");
    assert.equal(lines.at(-1), "Summary: 3 files: 2 success, 1 warning, 0 failed, 0 not sent");
    assert.equal(reportLine({ path: "x", outcome: "not-sent" }).startsWith('{"path":"x"'), true);
  });
});

Deno.test("--report FILE without write permission: one line, exit 2, nothing sent", async () => {
  const r = await runCli(["127.0.0.1", "9", `${repoRoot}/testdata`, "--report", "/tmp/x.jsonl"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /storescu: error: --report \/tmp\/x\.jsonl: no write permission/);
  assert.doesNotMatch(r.stderr, /Uncaught|at file:/);
});
