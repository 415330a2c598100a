/**
 * Ctrl-C and kill for the command line (lib/cli/signals.ts), with real signals against DCMTK's
 * storescp: the run stops taking files, finishes (or, on a second signal, aborts) what is in
 * flight, writes a report line for every file, prints the summary and exits 130 or 143.
 */

import assert from "node:assert/strict";
import { listDir, repoRoot, spawnCli, startStorescp, writeCtFiles } from "./peers.ts";

const COUNT = 60;

interface Row {
  path: string;
  outcome: string;
  sopInstanceUid: string | null;
  reason: string | null;
}

/** Runs the CLI against a Nagle storescp (~40 ms a file) and sends `signals` mid-run. */
async function interrupted(signals: Deno.Signal[], extra: string[] = []) {
  const dir = await Deno.makeTempDir({ prefix: "storescu-sig-" });
  await writeCtFiles(dir, COUNT, { uidRoot: "2.25.6161" });
  // --fork: one storescp process per association, for --parallel.
  const scp = await startStorescp(extra.length > 0 ? ["--fork"] : [], { nagle: true });
  try {
    const cli = spawnCli(["127.0.0.1", String(scp.port), dir, "--report", "-", ...extra]);
    const collect = async (s: ReadableStream<Uint8Array>, into: string[]) => {
      const dec = new TextDecoder();
      for await (const c of s) into.push(dec.decode(c, { stream: true }));
    };
    const [out, err]: string[][] = [[], []];
    const drained = Promise.all([collect(cli.stdout, out), collect(cli.stderr, err)]);
    const until = async (done: () => boolean | Promise<boolean>) => {
      const deadline = Date.now() + 20_000;
      while (!(await done()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 3));
    };
    await until(async () => (await listDir(scp.dir)).length >= 5);
    for (const [i, s] of signals.entries()) {
      // The next signal once the last one was seen (two at once may be taken as one).
      if (i > 0) await until(() => (err.join("").match(/^Interrupted/gm) ?? []).length >= i);
      cli.kill(s);
    }
    const { code } = await cli.status;
    await drained;
    const stderr = err.join("");
    const rows: Row[] = out.join("").trim().split("\n").map((l) => JSON.parse(l));
    await scp.stop();
    const onDisk = new Set((await listDir(scp.dir)).map((n) => n.replace(/^CT\./, "")));
    return { code, stderr, rows, onDisk };
  } finally {
    await scp.stop();
    await Deno.remove(scp.dir, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
}

function checkAccount(
  r: Awaited<ReturnType<typeof interrupted>>,
  signal: string,
): { success: Set<string> } {
  assert.doesNotMatch(r.stderr, /Uncaught|^\s+at /m);
  assert.match(
    r.stderr,
    new RegExp(`^Interrupted \\(${signal}\\): no more files will be sent`, "m"),
  );
  assert.equal(r.rows.length, COUNT, "one report line per file");
  const success = new Set(
    r.rows.filter((x) => x.outcome === "success").map((x) => x.sopInstanceUid!),
  );
  assert.ok(r.onDisk.size >= 5 && success.size < COUNT, `stopped part way: ${success.size}`);
  for (const uid of success) assert.ok(r.onDisk.has(uid), `${uid} reported stored, not on disk`);
  for (const x of r.rows.filter((x) => x.outcome === "not-sent")) {
    assert.equal(x.reason, "interrupted");
    assert.ok(!x.sopInstanceUid || !r.onDisk.has(x.sopInstanceUid), `${x.path} is on disk`);
  }
  const counts = {
    success: success.size,
    notSent: r.rows.filter((x) => x.outcome === "not-sent").length,
  };
  assert.equal(
    r.stderr.trim().split("\n").at(-1),
    `Summary: ${COUNT} files: ${counts.success} success, 0 warning, ` +
      `${COUNT - counts.success - counts.notSent} failed, ${counts.notSent} not sent`,
  );
  return { success };
}

Deno.test("SIGINT: in-flight file finished, every file accounted for, summary, exit 130", async () => {
  const r = await interrupted(["SIGINT"]);
  assert.equal(r.code, 130, r.stderr);
  const { success } = checkAccount(r, "SIGINT");
  // Nothing was aborted: the peer stored exactly what the account says.
  assert.deepEqual([...r.onDisk].sort(), [...success].sort());
  assert.equal(r.rows.filter((x) => x.outcome === "failure").length, 0);
});

Deno.test("SIGTERM: the same account, exit 143", async () => {
  const r = await interrupted(["SIGTERM"]);
  assert.equal(r.code, 143, r.stderr);
  const { success } = checkAccount(r, "SIGTERM");
  assert.deepEqual([...r.onDisk].sort(), [...success].sort());
});

Deno.test("SIGINT twice: what is in flight is aborted, and says so", async () => {
  const r = await interrupted(["SIGINT", "SIGINT"]);
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /^Interrupted again \(SIGINT\): aborting the association$/m);
  const { success } = checkAccount(r, "SIGINT");
  // On disk but not reported stored: only a file whose response the abort cut off.
  const unconfirmed = [...r.onDisk].filter((uid) => !success.has(uid));
  assert.ok(unconfirmed.length <= 1, `${unconfirmed}`);
  for (const uid of unconfirmed) {
    const row = r.rows.find((x) => x.sopInstanceUid === uid)!;
    assert.equal(row.outcome, "failure");
    assert.match(row.reason!, /storage not confirmed/);
  }
});

Deno.test("SIGINT twice with --parallel 3: every association stops, the account holds", async () => {
  const r = await interrupted(["SIGINT", "SIGINT"], ["--parallel", "3"]);
  assert.equal(r.code, 130, r.stderr);
  const { success } = checkAccount(r, "SIGINT");
  const unconfirmed = [...r.onDisk].filter((uid) => !success.has(uid));
  assert.ok(unconfirmed.length <= 3, `${unconfirmed}`);
  for (const uid of unconfirmed) {
    assert.match(r.rows.find((x) => x.sopInstanceUid === uid)!.reason!, /storage not confirmed/);
  }
});

Deno.test("signal listeners: gone after main() returns, and never keep the process alive", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-sig-" });
  const scp = await startStorescp();
  try {
    await writeCtFiles(dir, 2);
    const run = async (after: string) => {
      const script = `${dir}.run.ts`;
      await Deno.writeTextFile(
        script,
        `import { main } from ${JSON.stringify(`${repoRoot}/cli.ts`)};\n` +
          `const code = await main(["127.0.0.1", "${scp.port}", ${JSON.stringify(dir)}, "-q"]);\n` +
          `console.log("main returned " + code);\n${after}`,
      );
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-N", "-R", "--allow-run", script],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const hung = new Promise<"hung">((r) => timer = setTimeout(() => r("hung"), 15_000));
      const r = await Promise.race([child.output(), hung]);
      clearTimeout(timer);
      if (r === "hung") {
        child.kill("SIGKILL");
        await child.status;
        throw new Error("the process was kept alive after main() returned");
      }
      return { out: new TextDecoder().decode(r.stdout), signal: r.signal, code: r.code };
    };
    // Nothing after main(): the process ends by itself.
    const plain = await run("");
    assert.match(plain.out, /main returned 0/);
    assert.equal(plain.code, 0);
    // A SIGINT after main() takes the default action: no listener of ours is left to catch it.
    const killed = await run(
      `Deno.kill(Deno.pid, "SIGINT");\n` +
        `await new Promise((r) => setTimeout(r, 2000));\nconsole.log("still alive");\n`,
    );
    assert.doesNotMatch(killed.out, /still alive/);
    assert.equal(killed.signal, "SIGINT");
  } finally {
    await scp.stop();
    await Deno.remove(scp.dir, { recursive: true });
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(`${dir}.run.ts`).catch(() => {});
  }
});
