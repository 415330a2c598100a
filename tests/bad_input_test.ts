/**
 * Bad inputs: every unusable path or file gets one clear `E:` line with its path and reason,
 * is counted in the summary, and the run goes on with the other files. Also files that change
 * size while they are being sent: never reported as stored with the wrong bytes.
 */

import assert from "node:assert/strict";
import { deflateRawSync } from "node:zlib";
import type { StoreOptions } from "../lib/send.ts";
import { DEFLATED_EXPLICIT_VR_LE as DEFLATED } from "../lib/uids.ts";
import { connectTcp } from "../lib/connect.ts";
import type { Transport } from "../lib/transport.ts";
import { PduType } from "../lib/pdu/mod.ts";
import { runCli } from "./peers.ts";
import {
  datasetOffsetOf,
  type FaultPeer,
  faults,
  type LoggedRun,
  makePart10,
  type PeerScript,
  sendLogged,
  startFaultPeer,
} from "./fault_peer.ts";

const T = 0.5;

type Run = LoggedRun;

function send(port: number, paths: string[], extra: Partial<StoreOptions> = {}): Promise<Run> {
  return sendLogged(port, paths, T, extra);
}

/** A storing peer that records the SOP instances and data sets it received. */
function storingPeer(): FaultPeer & { stored: Map<string, Uint8Array> } {
  const stored = new Map<string, Uint8Array>();
  const peer = startFaultPeer(faults.status((rq, data) => {
    stored.set(rq.affectedSopInstanceUid, data);
    return 0;
  }));
  return Object.assign(peer, { stored });
}

function uid(n: number): string {
  return `1.2.826.0.1.3680043.2.1125.7.${n}`;
}

/** The line every non-stored file must get, at the default level. */
function lineFor(r: Run, path: string): string {
  const res = r.report.results.find((x) => x.path === path);
  assert.ok(res, `no result for ${path}`);
  const word = res.outcome === "failure" ? "Store failed" : "Not sent";
  const line = `E: ${word}: ${path}: ${res.reason}`;
  assert.ok(r.lines.includes(line), `missing ${line}\n${r.lines.join("\n")}`);
  return line;
}

/** The good files around each bad one went; the bad one has its line and reason. */
async function runWithNeighbours(
  badName: string,
  write: (path: string) => Promise<void>,
  reason: RegExp,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "storescu-bad-" });
  const peer = storingPeer();
  try {
    const before = `${dir}/a.dcm`;
    const after = `${dir}/z.dcm`;
    await Deno.writeFile(before, makePart10({ sopInstanceUid: uid(1) }));
    await Deno.writeFile(after, makePart10({ sopInstanceUid: uid(2) }));
    const bad = `${dir}/${badName}`;
    await write(bad);
    const r = await send(peer.port, [dir]);
    const res = r.report.results.find((x) => x.path === bad);
    assert.ok(res, `no result for the bad file: ${JSON.stringify(r.report.results)}`);
    assert.equal(res.outcome, "not-sent");
    assert.match(res.reason!, reason);
    lineFor(r, bad);
    assert.equal(r.report.results.find((x) => x.path === before)?.outcome, "success");
    assert.equal(r.report.results.find((x) => x.path === after)?.outcome, "success");
    assert.deepEqual([...peer.stored.keys()].sort(), [uid(1), uid(2)]);
    assert.equal(r.lines.at(-1), "Summary: 3 files: 2 success, 0 warning, 0 failed, 1 not sent");
    assert.equal(r.code, 3);
  } finally {
    await peer.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const CASES: [string, string, (path: string) => Promise<void>, RegExp][] = [
  [
    "a non-DICOM file",
    "b.txt",
    (p) => Deno.writeTextFile(p, "hello\n".repeat(50)),
    /not a DICOM file/,
  ],
  ["a zero-byte file", "b.dcm", (p) => Deno.writeFile(p, new Uint8Array()), /empty/],
  [
    "a file of 131 bytes (cut inside the preamble)",
    "b.dcm",
    (p) => Deno.writeFile(p, makePart10().subarray(0, 131)),
    /not a DICOM file/,
  ],
  [
    "a Part-10 file cut right after DICM",
    "b.dcm",
    (p) => Deno.writeFile(p, makePart10().subarray(0, 132)),
    /DICM|meta/,
  ],
  [
    "a Part-10 file cut inside the meta group",
    "b.dcm",
    (p) => Deno.writeFile(p, makePart10().subarray(0, 160)),
    /ends inside the meta/,
  ],
  [
    "a meta group length 6 bytes too long",
    "b.dcm",
    (p) => Deno.writeFile(p, makePart10({ groupLengthDelta: 6 })),
    /meta group length/,
  ],
  [
    "a meta group length 6 bytes too short",
    "b.dcm",
    (p) => Deno.writeFile(p, makePart10({ groupLengthDelta: -6 })),
    /meta group length/,
  ],
  [
    "a file without SOP Class UID",
    "b.dcm",
    (p) => Deno.writeFile(p, makePart10({ omitSopClass: true })),
    /no SOP Class UID/,
  ],
  [
    "a file without SOP Instance UID",
    "b.dcm",
    (p) => Deno.writeFile(p, makePart10({ omitSopInstance: true })),
    /no SOP Instance UID/,
  ],
  [
    "a non-ASCII name",
    "b_ünïcødé_файл_文件.dcm",
    (p) => Deno.writeTextFile(p, "not dicom"),
    /not a DICOM file/,
  ],
  [
    "a 250-byte name",
    `b${"x".repeat(245)}.dcm`,
    (p) => Deno.writeTextFile(p, "not dicom"),
    /not a DICOM file/,
  ],
  [
    "a 250-byte multi-byte name",
    `b${"é".repeat(122)}x.dcm`,
    (p) => Deno.writeFile(p, new Uint8Array()),
    /empty/,
  ],
];

for (const [what, name, write, reason] of CASES) {
  Deno.test(`bad input: ${what} gets one line and the run goes on`, async () => {
    assert.ok(new TextEncoder().encode(name).length <= 255);
    await runWithNeighbours(name, write, reason);
  });
}

Deno.test("bad input: good files with a non-ASCII and a 250-byte name are sent and named exactly", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-bad-" });
  const peer = storingPeer();
  try {
    const names = ["ünïcødé_файл_文件.dcm", `${"a".repeat(246)}.dcm`, `${"ñ".repeat(123)}.dcm`];
    for (const [i, n] of names.entries()) {
      assert.ok(new TextEncoder().encode(n).length >= 25);
      await Deno.writeFile(`${dir}/${n}`, makePart10({ sopInstanceUid: uid(i + 1) }));
    }
    const { report, lines } = await sendLogged(peer.port, [dir], T, {}, "info");
    assert.deepEqual(report.counts, {
      success: 3,
      warning: 0,
      failure: 0,
      "not-sent": 0,
      skipped: 0,
    });
    for (const n of names) assert.ok(lines.includes(`I: Sending file: ${dir}/${n}`), n);
    assert.equal(peer.stored.size, 3);
  } finally {
    await peer.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad input: an unreadable file is reported, the others go", async () => {
  // chmod 000 does not stop root (tests often run as root): then use a regular-looking file
  // whose read fails with EIO instead.
  const probe = await Deno.makeTempFile();
  await Deno.chmod(probe, 0o000);
  let privileged = true;
  try {
    (await Deno.open(probe)).close();
  } catch {
    privileged = false;
  }
  await Deno.remove(probe);
  await runWithNeighbours(
    "b.dcm",
    async (p) => {
      if (privileged) await Deno.symlink("/proc/self/mem", p);
      else {
        await Deno.writeFile(p, makePart10({ sopInstanceUid: uid(9) }));
        await Deno.chmod(p, 0o000);
      }
    },
    // Under -R, Deno itself refuses /proc/<pid>/mem ("Requires all access"): also unreadable.
    // It is unreadable, not a bad DICOM file.
    /^Cannot read file: can't (open|read)/,
  );
});

Deno.test("bad input: a file name that is not valid UTF-8 is named as such, the others go", async () => {
  await runWithNeighbours(
    "b-\uFFFD.dcm", // how Deno spells the name it can't decode (found in the listing)
    async (p) => {
      // The real name has a 0xFF byte; only a shell can write it.
      const dir = p.slice(0, p.lastIndexOf("/"));
      await Deno.writeFile(`${dir}/tmp.dcm`, makePart10({ sopInstanceUid: uid(9) }));
      const mv = await new Deno.Command("sh", {
        args: ["-c", 'mv "$1/tmp.dcm" "$1/b-$(printf "\\377").dcm"', "sh", dir],
      }).output();
      assert.ok(mv.success, new TextDecoder().decode(mv.stderr));
    },
    /^Cannot access path: the name is not valid UTF-8, so it cannot be opened as given$/,
  );
});

Deno.test("bad input: a FIFO in a directory is reported as not a regular file, never opened", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-bad-" });
  const peer = storingPeer();
  try {
    await Deno.writeFile(`${dir}/a.dcm`, makePart10({ sopInstanceUid: uid(1) }));
    const fifo = `${dir}/fifo.dcm`;
    const mk = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.ok(mk.success, "mkfifo");
    for (const paths of [[dir], [`${dir}/a.dcm`, fifo]]) {
      const r = await send(peer.port, paths);
      assert.equal(r.lines[0], `E: Cannot access path: ${fifo}`);
      const res = r.report.results.find((x) => x.path === fifo)!;
      assert.equal(res.outcome, "not-sent");
      assert.match(res.reason!, /not a regular file/);
      assert.equal(r.report.results.find((x) => x.path === `${dir}/a.dcm`)?.outcome, "success");
      assert.equal(r.lines.at(-1), "Summary: 2 files: 1 success, 0 warning, 0 failed, 1 not sent");
      assert.equal(r.code, 3);
      assert.ok(r.ms < 1500);
    }
  } finally {
    await peer.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad input: symlink loops in a recursed directory terminate", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-bad-" });
  const peer = storingPeer();
  try {
    await Deno.mkdir(`${dir}/sub/deeper`, { recursive: true });
    await Deno.writeFile(`${dir}/sub/deeper/a.dcm`, makePart10({ sopInstanceUid: uid(1) }));
    await Deno.symlink(dir, `${dir}/sub/deeper/up`); // a loop back to the top
    await Deno.symlink("..", `${dir}/sub/parent`); // a relative loop
    await Deno.symlink(`${dir}/l2`, `${dir}/l1`); // links pointing at each other (ELOOP)
    await Deno.symlink(`${dir}/l1`, `${dir}/l2`);
    const r = await send(peer.port, [dir], { recurse: true });
    assert.equal(
      r.report.results.find((x) => x.path === `${dir}/sub/deeper/a.dcm`)?.outcome,
      "success",
    );
    for (const l of [`${dir}/l1`, `${dir}/l2`]) {
      const res = r.report.results.find((x) => x.path === l)!;
      assert.equal(res.outcome, "not-sent");
      assert.ok(r.lines.includes(`E: Cannot access path: ${l}`));
    }
    assert.equal(r.report.results.length, 3, JSON.stringify(r.report.results));
    assert.equal(peer.stored.size, 1);
    assert.ok(r.ms < 1500);
  } finally {
    await peer.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad input: a missing path is reported first and the run goes on", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-bad-" });
  const peer = storingPeer();
  try {
    await Deno.writeFile(`${dir}/a.dcm`, makePart10({ sopInstanceUid: uid(1) }));
    const missing = `${dir}/nope/missing.dcm`;
    const r = await send(peer.port, [missing, `${dir}/a.dcm`]);
    assert.equal(r.lines[0], `E: Cannot access path: ${missing}`);
    lineFor(r, missing);
    assert.match(r.report.results[0].reason!, /no such file/);
    assert.equal(r.report.results[1].outcome, "success");
    assert.equal(r.code, 3);
  } finally {
    await peer.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad input (CLI): every bad input gets its line, no stack trace, exit 3", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-bad-" });
  const peer = storingPeer();
  try {
    await Deno.writeFile(`${dir}/a.dcm`, makePart10({ sopInstanceUid: uid(1) }));
    await Deno.writeFile(`${dir}/b.dcm`, new Uint8Array());
    await Deno.writeTextFile(`${dir}/c_ünï.txt`, "no");
    await Deno.writeFile(`${dir}/d.dcm`, makePart10().subarray(0, 160));
    await Deno.symlink(dir, `${dir}/loop`);
    const missing = `${dir}/missing.dcm`;
    const r = await runCli(["127.0.0.1", String(peer.port), dir, missing, "-r", "-ta", "1"]);
    assert.equal(r.code, 3, r.stderr);
    assert.doesNotMatch(r.stderr, /error: Uncaught|^\s+at |Traceback/m);
    assert.equal(r.lines[0], `E: Cannot access path: ${missing}`);
    for (const p of [`${dir}/b.dcm`, `${dir}/c_ünï.txt`, `${dir}/d.dcm`, missing]) {
      assert.match(
        r.stderr,
        new RegExp(`^E: Not sent: ${p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: .+`, "m"),
      );
    }
    assert.equal(r.lines.at(-1), "Summary: 5 files: 1 success, 0 warning, 0 failed, 4 not sent");
  } finally {
    await peer.close();
    await Deno.remove(dir, { recursive: true });
  }
});

// --- Files that change while being sent ------------------------------------------------------

type Change = "truncate" | "grow" | "rewrite";

async function change(path: string, how: Change, offset: number): Promise<void> {
  if (how === "truncate") await Deno.truncate(path, offset + 1000);
  else if (how === "rewrite") {
    // Same size, other pixel values near the end (not yet sent in the mid-send case).
    const f = await Deno.open(path, { write: true });
    const size = (await f.stat()).size;
    await f.seek(size - 8192, Deno.SeekMode.Start);
    await f.write(new Uint8Array(4096).fill(0xaa));
    f.close();
  } else {
    const f = await Deno.open(path, { append: true });
    await f.write(new Uint8Array(300_000).fill(0x55));
    f.close();
  }
}

/**
 * Sends two files; the peer changes the first one (when the A-ASSOCIATE-RQ arrives, i.e.
 * after it was examined, or when its C-STORE-RQ arrives, i.e. while it is being sent) and
 * reports what it received. Our writes after the first data set PDUs are held until the peer
 * has made the change, so "while being sent" is deterministic.
 */
async function changingFile(how: Change, when: "before-send" | "mid-send") {
  const dir = await Deno.makeTempDir({ prefix: "storescu-change-" });
  const first = `${dir}/a.dcm`;
  const original = makePart10({ sopInstanceUid: uid(1), pixelBytes: 1024 * 1024 });
  await Deno.writeFile(first, original);
  // Written a while ago, as files being sent are: file times tick in steps of a few ms, so a
  // rewrite within the same step as the previous write can't be told apart by its time.
  const past = new Date(Date.now() - 60_000);
  await Deno.utime(first, past, past);
  await Deno.writeFile(`${dir}/b.dcm`, makePart10({ sopInstanceUid: uid(2) }));
  const offset = datasetOffsetOf(original);
  const gate = Promise.withResolvers<void>();
  const received = new Map<string, Uint8Array>();
  let connections = 0;
  const script: PeerScript = async (c) => {
    const rq = await c.associate();
    if (!rq) return;
    if (connections++ > 0) {
      // A fresh association for what the first one left: just store.
      await c.send(c.makeAc(rq));
      await c.serve((r, data) => (received.set(r.affectedSopInstanceUid, data), 0));
      return;
    }
    if (when === "before-send") await change(first, how, offset);
    await c.send(c.makeAc(rq));
    if (when === "mid-send") {
      const cmd = await c.readCommand();
      if (!cmd || cmd.command.kind !== "C-STORE-RQ") return;
      const frag = await c.readDataFragment();
      if (!frag) return;
      await change(first, how, offset);
      gate.resolve();
      const rest = await c.readDataSet();
      if (rest) {
        received.set(
          cmd.command.affectedSopInstanceUid,
          new Uint8Array([...frag.data, ...rest]),
        );
        await c.respond(cmd.contextId, cmd.command, 0);
      } else return;
    }
    gate.resolve();
    await c.serve((r, data) => {
      received.set(r.affectedSopInstanceUid, data);
      return 0;
    });
  };
  const peer = startFaultPeer(script);
  let writes = 0;
  const connect = async (o: Parameters<typeof connectTcp>[0]): Promise<Transport> => {
    const t = await connectTcp(o);
    return {
      read: (p) => t.read(p),
      // Write 1 is the A-ASSOCIATE-RQ, write 2 the command and the first 256 KiB of data.
      write: async (p) => (++writes > 2 && await gate.promise, await t.write(p)),
      close: () => t.close(),
    };
  };
  try {
    const r = await send(peer.port, [dir], { connect });
    await peer.idle();
    return { r, received, original: original.subarray(offset), peer };
  } finally {
    gate.resolve();
    await peer.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const CHANGED = { truncate: "truncated", grow: "grown", rewrite: "rewritten in place" } as const;

for (const how of ["truncate", "grow", "rewrite"] as const) {
  for (const when of ["before-send", "mid-send"] as const) {
    Deno.test(`bad input: a file that is ${CHANGED[how]} ${when} is never reported as stored`, async () => {
      const { r, received, original, peer } = await changingFile(how, when);
      const res = r.report.results[0];
      const got = received.get(uid(1));
      if (res.outcome === "success" || res.outcome === "warning") {
        // Only acceptable if what the peer stored is exactly the file as examined.
        assert.ok(got, "reported stored but the peer has nothing");
        // (Not deepEqual: its diff of two 1 MiB arrays takes minutes.)
        const same = got.length === original.length && got.every((b, i) => b === original[i]);
        assert.ok(same, `reported stored with the wrong bytes (${got.length} bytes stored)`);
      } else {
        assert.match(res.reason!, /file changed while being sent/);
        lineFor(r, res.path);
        assert.equal(got, undefined, "the peer got a complete (wrong) data set");
      }
      assert.notEqual(res.outcome, "success", "the change must be noticed");
      if (when === "mid-send") {
        // Part of the message was on the wire: the association had to be aborted; the next
        // file goes over a fresh one.
        const aborts = peer.connections[0].received.filter((p) => p.type === PduType.Abort);
        assert.equal(aborts.length, 1, "A-ABORT after a half-sent message");
        assert.equal(peer.connections.length, 2);
      } else {
        // Noticed before anything of it went out: the same association goes on.
        assert.equal(peer.connections.length, 1);
      }
      assert.equal(r.report.results[1].outcome, "success");
      assert.ok(received.has(uid(2)));
      assert.equal(r.code, 3);
    });
  }
}

Deno.test({
  name: "bad input: a Part-10 file cut inside the data set is not reported as stored",
  // Unchanged data sets are followed element by element as they stream
  // (lib/part10/check.ts), so the cut is found before the last fragment goes out.
  fn: async () => {
    const good = makePart10({ sopInstanceUid: uid(3) });
    await runWithNeighbours(
      "b.dcm",
      (p) => Deno.writeFile(p, good.subarray(0, good.length - 20)),
      /truncated|ends inside/,
    );
  },
});

for (const cut of ["stream", "data set"] as const) {
  Deno.test(`bad input: a deflated file sent unchanged whose ${cut} is cut is not reported as stored`, async () => {
    // The deflate stream is inflated on the side as it is sent (lib/part10/check.ts).
    const plain = makePart10({ sopInstanceUid: uid(3), transferSyntaxUid: DEFLATED });
    const off = datasetOffsetOf(plain);
    const body = plain.subarray(off);
    const deflated = cut === "stream"
      ? deflateRawSync(body).subarray(0, -6)
      : deflateRawSync(body.subarray(0, body.length - 20));
    const dir = await Deno.makeTempDir({ prefix: "storescu-bad-" });
    const peer = storingPeer();
    try {
      const bad = `${dir}/b.dcm`;
      await Deno.writeFile(`${dir}/a.dcm`, makePart10({ sopInstanceUid: uid(1) }));
      await Deno.writeFile(bad, new Uint8Array([...plain.subarray(0, off), ...deflated]));
      // -cx proposes the file's own transfer syntax: the peer takes it, nothing is converted.
      const r = await send(peer.port, [dir], { requiredContexts: true });
      const res = r.report.results.find((x) => x.path === bad)!;
      assert.equal(res.sentTransferSyntaxUid, DEFLATED);
      assert.notEqual(res.outcome, "success");
      assert.match(res.reason!, cut === "stream" ? /can't be inflated/ : /ends inside/);
      lineFor(r, bad);
      assert.deepEqual([...peer.stored.keys()], [uid(1)]);
      assert.equal(r.code, 3);
    } finally {
      await peer.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
