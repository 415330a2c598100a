/**
 * Interrupts (lib/send/interrupt.ts): `signal` stops taking files and lets what is in flight
 * finish; `forceSignal` aborts it. Each moment (before connecting, while the association is
 * requested, mid data set, waiting for a response, during the release) is hit exactly through
 * the run's own events or a transport that counts the bytes going out, against our SCP and
 * DCMTK's storescp; the account is then compared with what the peer stored.
 */

import assert from "node:assert/strict";
import { storeFiles } from "../lib/send.ts";
import type { FileResult, StoreEvent, StoreReport } from "../lib/send.ts";
import { connectTcp } from "../lib/connect.ts";
import type { Transport } from "../lib/transport.ts";
import { startStorageScp } from "../lib/scp.ts";
import { listDir, startStorescp, writeCtFiles } from "./peers.ts";

const COUNT = 6;
/** The file (by index) caught mid data set: 4 MiB, many writes. */
const TARGET = 2;
/**
 * The file caught waiting for its response: a small one (storescp's --sleep-during sleeps at
 * every PDU received).
 */
const WAITED = 0;

type Moment = "before-connect" | "requesting" | "mid-data-set" | "awaiting-response" | "release";

interface Peer {
  port: number;
  /** SOP Instance UIDs stored. */
  stored(): Promise<Set<string>>;
  stop(): Promise<void>;
}

function ourPeer(responseDelay = 0): Promise<Peer> {
  const scp = startStorageScp({ keepData: false, responseDelay });
  return Promise.resolve({
    port: scp.port,
    stored: () => Promise.resolve(new Set(scp.received.map((r) => r.sopInstanceUid))),
    stop: () => scp.close(),
  });
}

async function dcmtkPeer(args: string[] = []): Promise<Peer> {
  const scp = await startStorescp(args);
  return {
    port: scp.port,
    stored: async () => new Set((await listDir(scp.dir)).map((n) => n.replace(/^CT\./, ""))),
    async stop() {
      await scp.stop();
      await Deno.remove(scp.dir, { recursive: true });
    },
  };
}

/** A transport that calls `onWrite` with the bytes written so far, before each write. */
function counting(onWrite: (total: number) => void) {
  return async (o: Parameters<typeof connectTcp>[0]): Promise<Transport> => {
    const t = await connectTcp(o);
    let total = 0;
    return {
      read: (p) => t.read(p),
      write: (p) => {
        onWrite(total);
        return t.write(p).then((n) => (total += n, n));
      },
      close: () => t.close(),
    };
  };
}

interface Outcome {
  report: StoreReport;
  stored: Set<string>;
  byUid: Map<string, FileResult>;
  uids: string[];
}

/** Sends COUNT files (the TARGET one 4 MiB) and stops (or forces) at `moment`. */
async function interruptAt(peer: Peer, moment: Moment, force: boolean): Promise<Outcome> {
  const dir = await Deno.makeTempDir({ prefix: "storescu-interrupt-" });
  try {
    const { paths, uids } = await writeCtFiles(dir, COUNT, { uidRoot: "2.25.8181" });
    // The target file: big, so that its data set takes many writes.
    await writeCtFiles(dir, 1, {
      uidRoot: `2.25.8181${String(TARGET).padStart(6, "0")}.`,
      prefix: `ct${String(TARGET).padStart(5, "0")}-`,
      pixels: new Uint8Array(4 << 20).fill(9),
    });
    await Deno.remove(paths[TARGET]);
    const files = (await listDir(dir)).map((n) => `${dir}/${n}`);
    assert.equal(files.length, COUNT);
    uids[TARGET] = `2.25.8181${String(TARGET).padStart(6, "0")}.000000`;

    const stop = new AbortController();
    const hard = new AbortController();
    const fire = () => (force ? hard : stop).abort();
    if (moment === "before-connect") fire();
    let armedAt = -1;
    const onEvent = (e: StoreEvent) => {
      if (moment === "requesting" && e.type === "association-requesting") fire();
      if (e.type === "store-request") {
        const uid = e.request.affectedSopInstanceUid;
        // The data set is out in 150 ms; its response (delayed by the peer) is not.
        if (moment === "awaiting-response" && uid === uids[WAITED]) setTimeout(fire, 150);
        if (moment === "mid-data-set" && uid === uids[TARGET]) armedAt = 0;
      }
      if (moment === "release" && e.type === "association-releasing") fire();
    };
    const report = await storeFiles({
      address: "127.0.0.1",
      port: peer.port,
      paths: [dir],
      signal: stop.signal,
      forceSignal: hard.signal,
      onEvent,
      timeouts: { acse: 10, dimse: 10, network: 10 },
      connect: counting((total) => {
        if (armedAt === 0) armedAt = total;
        else if (armedAt > 0 && total - armedAt >= 1 << 20) {
          armedAt = -1;
          fire();
        }
      }),
    });
    const stored = await peer.stored();
    const byUid = new Map(report.results.map((r) => [r.sopInstanceUid ?? r.path, r]));
    // Whatever the moment: one result per file, and the account agrees with the peer.
    assert.equal(report.results.length, COUNT);
    assert.equal(report.interrupted, true);
    for (const r of report.results) {
      const uid = r.sopInstanceUid;
      if (r.outcome === "success") assert.ok(uid && stored.has(uid), `${r.path} not stored`);
      else if (r.outcome === "not-sent") {
        assert.ok(!uid || !stored.has(uid), `${r.path} stored but reported not sent`);
        assert.equal(r.reason, "interrupted");
      } else {
        assert.equal(r.outcome, "failure", JSON.stringify(r));
        assert.match(r.reason!, /interrupted \(association aborted\)/);
      }
    }
    for (const uid of stored) {
      const r = report.results.find((x) => x.sopInstanceUid === uid);
      assert.ok(r && r.outcome !== "not-sent", `${uid} stored but not accounted as sent`);
    }
    return { report, stored, byUid, uids };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const outcomes = (o: Outcome) => o.uids.map((u) => o.byUid.get(u)?.outcome ?? "not-sent");

for (const peerName of ["our SCP", "DCMTK storescp"] as const) {
  const peer = (slow = false) =>
    peerName === "our SCP"
      ? ourPeer(slow ? 0.4 : 0)
      : dcmtkPeer(slow ? ["--sleep-during", "1"] : []);

  Deno.test(`interrupt (${peerName}): stopped before connecting, nothing is sent`, async () => {
    const p = await peer();
    try {
      const o = await interruptAt(p, "before-connect", false);
      assert.deepEqual(o.report.counts, {
        success: 0,
        warning: 0,
        failure: 0,
        "not-sent": COUNT,
        skipped: 0,
      });
      assert.equal(o.stored.size, 0);
      assert.equal(o.report.associations, 0);
      assert.equal(o.report.noAssociation, false, "no association was wanted");
    } finally {
      await p.stop();
    }
  });

  Deno.test(`interrupt (${peerName}): while requesting the association, gives it up`, async () => {
    const p = await peer();
    try {
      const o = await interruptAt(p, "requesting", false);
      assert.equal(o.report.counts["not-sent"], COUNT);
      assert.equal(o.stored.size, 0);
    } finally {
      await p.stop();
    }
  });

  Deno.test(`interrupt (${peerName}): mid data set, the file in flight finishes`, async () => {
    const p = await peer();
    try {
      const o = await interruptAt(p, "mid-data-set", false);
      assert.deepEqual(outcomes(o), [
        "success",
        "success",
        "success",
        "not-sent",
        "not-sent",
        "not-sent",
      ]);
    } finally {
      await p.stop();
    }
  });

  Deno.test(`interrupt (${peerName}): mid data set, forced: aborted, not stored`, async () => {
    const p = await peer();
    try {
      const o = await interruptAt(p, "mid-data-set", true);
      assert.deepEqual(outcomes(o), [
        "success",
        "success",
        "failure",
        "not-sent",
        "not-sent",
        "not-sent",
      ]);
      assert.match(o.byUid.get(o.uids[TARGET])!.reason!, /^sending failed: interrupted/);
      assert.ok(!o.stored.has(o.uids[TARGET]), "a data set cut short is not stored");
    } finally {
      await p.stop();
    }
  });

  Deno.test(`interrupt (${peerName}): awaiting a response, it is awaited`, async () => {
    const p = await peer(true);
    try {
      const o = await interruptAt(p, "awaiting-response", false);
      assert.deepEqual(outcomes(o).slice(0, WAITED + 2), ["success", "not-sent"]);
    } finally {
      await p.stop();
    }
  });

  Deno.test(`interrupt (${peerName}): awaiting a response, forced: not confirmed`, async () => {
    const p = await peer(true);
    try {
      const o = await interruptAt(p, "awaiting-response", true);
      assert.deepEqual(outcomes(o).slice(WAITED, WAITED + 2), ["failure", "not-sent"]);
      assert.match(
        o.byUid.get(o.uids[WAITED])!.reason!,
        /^no C-STORE-RSP: interrupted \(association aborted\); storage not confirmed$/,
      );
    } finally {
      await p.stop();
    }
  });

  for (const force of [false, true]) {
    Deno.test(
      `interrupt (${peerName}): during the release${force ? ", forced" : ""}, all stored`,
      async () => {
        const p = await peer();
        try {
          const o = await interruptAt(p, "release", force);
          assert.equal(o.report.counts.success, COUNT);
          assert.equal(o.stored.size, COUNT);
        } finally {
          await p.stop();
        }
      },
    );
  }
}

Deno.test("interrupt: a peer that never answers the association request is given up at once", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of listener) held.push(c);
  })();
  const dir = await Deno.makeTempDir({ prefix: "storescu-interrupt-" });
  try {
    await writeCtFiles(dir, 3);
    const stop = new AbortController();
    const started = performance.now();
    const report = await storeFiles({
      address: "127.0.0.1",
      port: (listener.addr as Deno.NetAddr).port,
      paths: [dir],
      signal: stop.signal,
      onEvent: (e) => {
        if (e.type === "association-requesting") setTimeout(() => stop.abort(), 200);
      },
    });
    assert.ok(performance.now() - started < 5000, "not held for the 30 s ACSE timeout");
    assert.equal(report.counts["not-sent"], 3);
    assert.ok(report.results.every((r) => r.reason === "interrupted"));
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const c of held) c.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("interrupt: during a retry delay, the files keep their last failure", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-interrupt-" });
  const port = (() => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const p = (l.addr as Deno.NetAddr).port;
    l.close();
    return p;
  })();
  try {
    await writeCtFiles(dir, 2);
    const stop = new AbortController();
    const started = performance.now();
    const report = await storeFiles({
      address: "127.0.0.1",
      port, // nobody listens: connection refused, a transient failure
      paths: [dir],
      retries: 3,
      retryDelay: 20,
      signal: stop.signal,
      onEvent: (e) => {
        if (e.type === "retrying") stop.abort();
      },
    });
    assert.ok(performance.now() - started < 5000, "the 20 s delay was cut short");
    assert.equal(report.results.length, 2);
    for (const r of report.results) {
      assert.equal(r.outcome, "not-sent");
      assert.match(r.reason!, /^unable to connect to remote .*; not retried: interrupted$/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("interrupt: nothing stays attached to the caller's signals after the run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-interrupt-" });
  const scp = startStorageScp({ keepData: false });
  try {
    await writeCtFiles(dir, 2);
    const stop = new AbortController();
    const hard = new AbortController();
    const seen: string[] = [];
    const report = await storeFiles({
      address: "127.0.0.1",
      port: scp.port,
      paths: [dir],
      signal: stop.signal,
      forceSignal: hard.signal,
      onEvent: (e) => seen.push(e.type),
    });
    assert.equal(report.counts.success, 2);
    assert.equal(report.interrupted, false);
    // A listener left on the signals would report an interrupt now.
    stop.abort();
    hard.abort();
    assert.ok(!seen.includes("interrupted"), seen.join(" "));
  } finally {
    await scp.close();
    await Deno.remove(dir, { recursive: true });
  }
});
