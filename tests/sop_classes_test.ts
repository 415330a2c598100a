/**
 * Issue 3: any SOP class. One generated instance of every storage SOP class this tool knows
 * (the reference's 120 defaults plus the seed conformance table's extras) reaches our SCP and a
 * real DCMTK storescp; more than 128 (SOP class, transfer syntax) pairs with -cx are split
 * over several associations.
 */

import assert from "node:assert/strict";
import { encodePart10 } from "../lib/part10/writer.ts";
import { allStorageSopClasses, DEFAULT_STORAGE_SOP_CLASSES } from "../lib/uids.ts";
import { storeFiles } from "../lib/send.ts";
import { startStorageScp } from "../lib/scp.ts";
import { listDir, runCli, startStorescp } from "./peers.ts";

const EXPLICIT_LE = "1.2.840.10008.1.2.1";
const IMPLICIT_LE = "1.2.840.10008.1.2";

/** One minimal instance per SOP class (and per transfer syntax given) in a temp dir. */
async function makeInstances(transferSyntaxes: string[]): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "storescu-sop-" });
  let n = 0;
  for (const sop of allStorageSopClasses()) {
    for (const ts of transferSyntaxes) {
      n++;
      const uid = `2.25.7000${String(n).padStart(5, "0")}`;
      const bytes = encodePart10({ sopClassUid: sop, sopInstanceUid: uid, transferSyntaxUid: ts }, [
        { tag: 0x00080016, vr: "UI", value: sop },
        { tag: 0x00080018, vr: "UI", value: uid },
        { tag: 0x00100010, vr: "PN", value: "Sop^Class" },
        { tag: 0x00100020, vr: "LO", value: `ID${n}` },
        { tag: 0x0020000d, vr: "UI", value: "2.25.7000000001" },
        { tag: 0x0020000e, vr: "UI", value: "2.25.7000000002" },
      ]);
      await Deno.writeFile(`${dir}/i${String(n).padStart(4, "0")}.dcm`, bytes);
    }
  }
  return dir;
}

Deno.test("every known storage SOP class (150) is stored by our SCP, default mode", async () => {
  const sops = allStorageSopClasses();
  assert.equal(sops.length, 150);
  const dir = await makeInstances([EXPLICIT_LE]);
  const scp = startStorageScp();
  try {
    const report = await storeFiles({ address: "127.0.0.1", port: scp.port, paths: [dir] });
    assert.equal(report.counts.success, 150, JSON.stringify(report.counts));
    assert.deepEqual(new Set(scp.received.map((r) => r.sopClassUid)), new Set(sops));
    // The 120 defaults on the reference's proposal, the 30 others on one extra association.
    assert.equal(scp.requests.length, 2);
    assert.equal(scp.requests[0].presentationContexts.length, 120);
    assert.equal(scp.requests[1].presentationContexts.length, 30);
  } finally {
    await scp.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("every known storage SOP class is stored by DCMTK storescp (-pm), default mode and -cx", async () => {
  const dir = await makeInstances([EXPLICIT_LE]);
  try {
    for (const extra of [[], ["-cx"]]) {
      const scp = await startStorescp(["-pm"]);
      try {
        const run = await runCli(["127.0.0.1", String(scp.port), dir, ...extra]);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(
          run.lines.at(-1),
          "Summary: 150 files: 150 success, 0 warning, 0 failed, 0 not sent",
        );
        assert.equal((await listDir(scp.dir)).length, 150);
      } finally {
        await scp.stop();
        await Deno.remove(scp.dir, { recursive: true });
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("-cx with 300 (SOP class, TS) pairs: split over 3 associations, odd ids ≤ 255, all stored", async () => {
  const dir = await makeInstances([EXPLICIT_LE, IMPLICIT_LE]);
  const scp = startStorageScp();
  try {
    const report = await storeFiles({
      address: "127.0.0.1",
      port: scp.port,
      paths: [dir],
      requiredContexts: true,
    });
    assert.equal(report.counts.success, 300);
    assert.equal(scp.requests.length, 3);
    const pairs = new Set<string>();
    for (const rq of scp.requests) {
      assert.ok(rq.presentationContexts.length <= 128);
      for (const pc of rq.presentationContexts) {
        assert.equal(pc.id % 2, 1);
        assert.ok(pc.id >= 1 && pc.id <= 255);
        assert.equal(pc.transferSyntaxes.length, 1);
        pairs.add(`${pc.abstractSyntax} ${pc.transferSyntaxes[0]}`);
      }
    }
    assert.equal(pairs.size, 300);
    // Each file went in its own transfer syntax (no conversion with -cx).
    const byUid = new Map(scp.received.map((r) => [r.sopInstanceUid, r.transferSyntaxUid]));
    assert.equal(byUid.size, 300);
  } finally {
    await scp.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the default proposal is the reference's list, in its order", () => {
  assert.equal(DEFAULT_STORAGE_SOP_CLASSES.length, 120);
  assert.equal(DEFAULT_STORAGE_SOP_CLASSES[0][0], "1.2.840.10008.5.1.1.27");
  assert.equal(DEFAULT_STORAGE_SOP_CLASSES[34][0], "1.2.840.10008.5.1.4.1.1.2");
  assert.equal(DEFAULT_STORAGE_SOP_CLASSES[119][0], "1.2.840.10008.5.1.4.34.7");
});
