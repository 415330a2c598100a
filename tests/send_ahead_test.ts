/**
 * The next file to transcode is opened ahead (lib/send/ahead.ts): while the peer stores the
 * file in flight, the next one is examined, opened and run to its first frame. What that must
 * never change, against a peer that accepts only uncompressed syntaxes (so RLE files are sent
 * decoded):
 *
 * - a file opened ahead whose association then ends is closed, put back, and sent once on the
 *   next association;
 * - a file that changes after it was opened ahead is still caught (not stored);
 * - a file whose first frame can't be decoded fails alone, with its reason, at its turn, and the
 *   association goes on with the next file.
 *
 * "Opened ahead" is seen from outside: this process holds the file open and has read past what
 * an examination reads (16 KiB) while the peer still holds back the response to the file
 * before it (Linux /proc).
 */

import assert from "node:assert/strict";
import { negotiateAsAcceptor } from "../lib/acse.ts";
import { type AssociateAC, PduType } from "../lib/pdu/mod.ts";
import { storeFiles, type StoreReport } from "../lib/send.ts";
import { type PeerConn, type PeerScript, startFaultPeer } from "./fault_peer.ts";
import { corpusDir } from "./peers.ts";

/** A 128x128 16-bit CT image in RLE Lossless, 27,670 bytes (more than an examination reads). */
const RLE_CT = `${corpusDir}/variants/ct_small_rle.dcm`;
const EXPLICIT_LE = "1.2.840.10008.1.2.1";
const IMPLICIT_LE = "1.2.840.10008.1.2";

/** Copies of the RLE CT image, each with its own SOP Instance UID (same length, in place). */
async function rleCopies(count: number): Promise<{ dir: string; paths: string[]; uids: string[] }> {
  const dir = await Deno.makeTempDir({ prefix: "storescu-ahead-" });
  const bytes = await Deno.readFile(RLE_CT);
  const text = new TextDecoder("latin1").decode(bytes);
  // (0008,0018) UI: tag, VR, 16-bit length, value (trailing NUL pad dropped).
  const tag = text.indexOf("\x08\x00\x18\x00UI");
  const length = bytes[tag + 6] | (bytes[tag + 7] << 8);
  const uid = text.slice(tag + 8, tag + 8 + length).replace(/\0$/, "");
  const paths: string[] = [];
  const uids: string[] = [];
  for (let i = 0; i < count; i++) {
    const mine = `${uid.slice(0, -2)}${10 + i}`;
    const copy = bytes.slice();
    for (let at = text.indexOf(uid); at >= 0; at = text.indexOf(uid, at + 1)) {
      copy.set(new TextEncoder().encode(mine), at);
    }
    const path = `${dir}/ct${i}.dcm`;
    await Deno.writeFile(path, copy);
    paths.push(path);
    uids.push(mine);
  }
  return { dir, paths, uids };
}

/** Accepts every class, in Explicit or Implicit VR Little Endian only; false if that failed. */
async function acceptUncompressed(c: PeerConn): Promise<boolean> {
  const rq = await c.associate();
  if (!rq) return false;
  c.ac = negotiateAsAcceptor(rq, {
    transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE],
    maxPduLength: 16382,
  }) as AssociateAC;
  return await c.send(c.ac);
}

/**
 * Read positions of this process's open descriptors of `path` (Deno lets only --allow-all
 * read /proc/self; a shell may).
 */
async function positions(path: string): Promise<number[]> {
  const script = 'cd "/proc/$0/fd" && for f in *; do [ "$(readlink "$f")" = "$1" ] && ' +
    'sed -n "s/^pos:[[:space:]]*//p" "../fdinfo/$f"; done; true';
  const out = await new Deno.Command("sh", {
    args: ["-c", script, String(Deno.pid), path],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "").map(Number);
}

/**
 * Waits until this process holds `path` open and has read past its first 16 KiB (what an
 * examination reads at most): the file is being opened ahead.
 */
async function openedAhead(path: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await positions(path)).some((pos) => pos > 16384)) {
    if (performance.now() > deadline) throw new Error(`${path} was not opened ahead`);
  }
}

/** Whether this process holds `path` open. */
async function isOpen(path: string): Promise<boolean> {
  return (await positions(path)).length > 0;
}

function outcome(report: StoreReport, path: string) {
  const r = report.results.find((x) => x.path === path);
  assert.ok(r, `no result for ${path}`);
  return r;
}

/** Stores every C-STORE that comes with Success, noting its SOP Instance UID. */
async function storeAll(c: PeerConn, received: string[]): Promise<void> {
  for (;;) {
    const store = await c.readStore();
    if (!store) return;
    received.push(store.rq.affectedSopInstanceUid);
    await c.respond(store.contextId, store.rq, 0);
  }
}

/** Accepts (uncompressed only) and reads the first C-STORE, noting its SOP Instance UID. */
async function firstStore(c: PeerConn, received: string[]) {
  if (!(await acceptUncompressed(c))) return null;
  const store = await c.readStore();
  if (store) received.push(store.rq.affectedSopInstanceUid);
  return store;
}

/** Runs storeFiles over `paths` against a peer running `script`; then `check`s the report. */
async function sendTo(
  script: PeerScript,
  paths: string[],
  dir: string,
  check: (report: StoreReport) => Promise<void> | void,
): Promise<void> {
  const peer = startFaultPeer(script);
  try {
    await check(
      await storeFiles({
        address: "127.0.0.1",
        port: peer.port,
        paths,
        timeouts: { acse: 5, dimse: 5, network: 5 },
      }),
    );
  } finally {
    await peer.close();
    await Deno.remove(dir, { recursive: true });
  }
  assert.deepEqual(peer.scriptErrors, []);
}

Deno.test("a file opened ahead whose association then ends is closed, put back and sent once on the next association", async () => {
  const { dir, paths, uids } = await rleCopies(3);
  const received: string[][] = [];
  const script: PeerScript = async (c) => {
    const mine: string[] = [];
    received.push(mine);
    if (received.length > 1) {
      if (await acceptUncompressed(c)) await storeAll(c, mine);
      return;
    }
    // The first file arrives; its response is held until the second is opened ahead, then
    // the association is aborted.
    if (!(await firstStore(c, mine))) return;
    await openedAhead(paths[1]);
    await c.send({ type: PduType.Abort, source: 0, reason: 0 });
    await new Promise((r) => setTimeout(r, 20));
  };
  await sendTo(script, paths, dir, async (report) => {
    assert.equal(outcome(report, paths[0]).outcome, "failure");
    assert.match(outcome(report, paths[0]).reason ?? "", /no C-STORE-RSP/);
    for (const p of paths.slice(1)) {
      assert.deepEqual(
        [outcome(report, p).outcome, outcome(report, p).transcoded],
        ["success", "decoded"],
      );
    }
    // The second file went out once, on the second association; nothing was left open.
    assert.deepEqual(received, [[uids[0]], [uids[1], uids[2]]]);
    assert.equal(report.associations, 2);
    for (const p of paths) assert.ok(!(await isOpen(p)), `${p} left open`);
  });
});

Deno.test("a file that changes after it was opened ahead is not stored: file changed while being sent", async () => {
  const { dir, paths, uids } = await rleCopies(3);
  const received: string[] = [];
  const script: PeerScript = async (c) => {
    const store = await firstStore(c, received);
    if (!store) return;
    // The second file is opened (and decoded) ahead; then it changes on disk.
    await openedAhead(paths[1]);
    const f = await Deno.open(paths[1], { append: true });
    await f.write(new Uint8Array(2));
    f.close();
    await c.respond(store.contextId, store.rq, 0);
    await storeAll(c, received);
  };
  await sendTo(script, paths, dir, (report) => {
    assert.equal(outcome(report, paths[0]).outcome, "success");
    const changed = outcome(report, paths[1]);
    assert.equal(changed.outcome, "not-sent");
    assert.match(
      changed.reason ?? "",
      /file changed while being sent \(27670 bytes when examined, 27672 bytes now\)/,
    );
    assert.equal(outcome(report, paths[2]).outcome, "success");
    assert.deepEqual(received, [uids[0], uids[2]]);
    assert.equal(report.associations, 1);
  });
});

Deno.test("a file opened ahead whose first frame can't be decoded fails alone, with its reason; the association goes on", async () => {
  const { dir, paths, uids } = await rleCopies(3);
  // The second file's RLE header lists 5 segments where a 16-bit grey image has 2.
  const bad = await Deno.readFile(paths[1]);
  const header = [2, 0, 0, 0, 64, 0, 0, 0];
  let at = -1;
  for (let i = 0; i + 8 <= bad.length && at < 0; i++) {
    if (header.every((b, k) => bad[i + k] === b)) at = i;
  }
  assert.ok(at > 0, "no RLE header found");
  bad[at] = 5;
  await Deno.writeFile(paths[1], bad);
  const received: string[] = [];
  const script: PeerScript = async (c) => {
    const store = await firstStore(c, received);
    if (!store) return;
    // Time for the next file to be opened (and to fail) ahead of its turn.
    await new Promise((r) => setTimeout(r, 100));
    await c.respond(store.contextId, store.rq, 0);
    await storeAll(c, received);
  };
  await sendTo(script, paths, dir, async (report) => {
    assert.equal(outcome(report, paths[0]).outcome, "success");
    const failed = outcome(report, paths[1]);
    assert.equal(failed.outcome, "not-sent");
    assert.equal(failed.reason, "cannot decode: RLE: header lists 5 segments, the image needs 2");
    assert.equal(outcome(report, paths[2]).outcome, "success");
    assert.deepEqual(received, [uids[0], uids[2]]);
    assert.equal(report.associations, 1);
    for (const p of paths) assert.ok(!(await isOpen(p)), `${p} left open`);
  });
});
