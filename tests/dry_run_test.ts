/**
 * `--dry-run` and `--probe` (lib/dry_run.ts, lib/cli/dry_run.ts): the plan printed without
 * connecting, pinned against testdata/ and corpus files; the probe's negotiation against DCMTK
 * storescp with a restricted profile and against our SCP, sending nothing; the JSON lines.
 */
import assert from "node:assert/strict";
import { dryRun } from "../lib/dry_run.ts";
import { startStorageScp } from "../lib/scp.ts";
import { ExitCode } from "../cli.ts";
import { freePort, listDir, runCli, sharedDir, startStorescp } from "./peers.ts";

const C = "../shared/corpus/pydicom/test_files";
const DEFAULT_LINE =
  "  proposes contexts 1-239: the 120 storage SOP classes of the default list, " +
  "each in Explicit VR Little Endian, Implicit VR Little Endian, Deflated Explicit VR Little " +
  "Endian, Explicit VR Big Endian";

/** A listener that counts TCP connections (a dry run must make none). */
function countingListener() {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  const loop = (async () => {
    for await (const c of l) {
      connections++;
      c.close();
    }
  })();
  return {
    port: (l.addr as Deno.NetAddr).port,
    get connections() {
      return connections;
    },
    async close() {
      l.close();
      await loop.catch(() => {});
    },
  };
}

Deno.test("--dry-run: testdata/ planned on the default proposal, pinned; no connection made", async () => {
  const peer = countingListener();
  try {
    const r = await runCli(["127.0.0.1", String(peer.port), "testdata", "--dry-run"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        `Dry run for 127.0.0.1:${peer.port} (ANY-SCP) as STORESCU: nothing sent, no connection; assuming the peer accepts the first transfer syntax proposed (--probe asks it)`,
        "Association 1 (the default proposal): 6 files",
        DEFAULT_LINE,
        "  testdata/ct_explicit_le.dcm: CT Image Storage, Explicit VR Little Endian: context 69, sent as it is",
        "  testdata/mr_implicit_le.dcm: MR Image Storage, Implicit VR Little Endian: context 81, converted to Explicit VR Little Endian",
        "  testdata/rtplan_defined_implicit_le.dcm: RT Plan Storage, Implicit VR Little Endian: context 99, converted to Explicit VR Little Endian",
        "  testdata/sc_deflated.dcm: Secondary Capture Image Storage, Deflated Explicit VR Little Endian: context 135, converted to Explicit VR Little Endian",
        "  testdata/sc_nested_undefined_explicit_le.dcm: Secondary Capture Image Storage, Explicit VR Little Endian: context 135, sent as it is",
        "  testdata/us_explicit_be.dcm: Ultrasound Image Storage, Explicit VR Big Endian: context 113, converted to Explicit VR Little Endian",
        "",
      ].join("\n"),
    );
    assert.deepEqual(r.lines, [
      "Dry run: 6 files: 6 to send (4 converted) over 1 association, 0 not sent, 0 skipped",
    ]);
    assert.equal(peer.connections, 0);
  } finally {
    await peer.close();
  }
});

Deno.test("--dry-run: corpus files with -xi: conversion, extra association, what can't go, DICOMDIR", async () => {
  const peer = countingListener();
  try {
    const r = await runCli([
      "127.0.0.1",
      String(peer.port),
      `${C}/CT_small.dcm`,
      `${C}/JPEG2000.dcm`,
      `${C}/dicomdirtests/DICOMDIR`,
      `${C}/README.txt`,
      "nope.dcm",
      "-xi",
      "--dry-run",
    ]);
    assert.equal(r.code, ExitCode.SomeNotStored, r.stderr);
    assert.equal(
      r.stdout,
      [
        `Dry run for 127.0.0.1:${peer.port} (ANY-SCP) as STORESCU: nothing sent, no connection; assuming the peer accepts the first transfer syntax proposed (--probe asks it)`,
        "Association 1 (the default proposal): 1 file",
        "  proposes contexts 1-239: the 120 storage SOP classes of the default list, each in Implicit VR Little Endian",
        `  ${C}/CT_small.dcm: CT Image Storage, Explicit VR Little Endian: context 69, converted to Implicit VR Little Endian`,
        "Association 2 (proposing what the files need): 1 file",
        "  proposes context 1: Secondary Capture Image Storage in JPEG 2000 Image Compression",
        // What it could be decoded to (here, without the peer, its own syntax is assumed taken).
        "  proposes context 3: Secondary Capture Image Storage in Explicit VR Little Endian, Implicit VR Little Endian",
        `  ${C}/JPEG2000.dcm: Secondary Capture Image Storage, JPEG 2000 Image Compression: context 1, sent as it is`,
        "Not sent:",
        "  nope.dcm: Cannot access path: no such file or directory",
        `  ${C}/README.txt: Bad DICOM file: not a DICOM file`,
        "Skipped:",
        `  ${C}/dicomdirtests/DICOMDIR: DICOMDIR (a media directory, not an instance): --dicomdir sends the files it references`,
        "",
      ].join("\n"),
    );
    assert.deepEqual(r.lines, [
      "Dry run: 5 files: 2 to send (1 converted) over 2 associations, 2 not sent, 1 skipped",
    ]);
    assert.equal(peer.connections, 0);
  } finally {
    await peer.close();
  }
});

Deno.test("--dry-run -cx: one context per (SOP class, transfer syntax) pair of the files", async () => {
  const r = await runCli(["127.0.0.1", "104", "testdata", "-cx", "--dry-run"]);
  assert.equal(r.code, 0, r.stderr);
  const proposes = r.stdout.split("\n").filter((l) => l.startsWith("  proposes"));
  assert.deepEqual(proposes, [
    "  proposes context 1: CT Image Storage in Explicit VR Little Endian",
    "  proposes context 3: MR Image Storage in Implicit VR Little Endian",
    "  proposes context 5: RT Plan Storage in Implicit VR Little Endian",
    "  proposes context 7: Secondary Capture Image Storage in Deflated Explicit VR Little Endian",
    "  proposes context 9: Secondary Capture Image Storage in Explicit VR Little Endian",
    "  proposes context 11: Ultrasound Image Storage in Explicit VR Big Endian",
  ]);
});

Deno.test("--dry-run --report -: one JSON line per input, the documented shape", async () => {
  const r = await runCli([
    "127.0.0.1",
    "104",
    "testdata/mr_implicit_le.dcm",
    `${C}/README.txt`,
    "-xe",
    "--dry-run",
    "--report",
    "-",
  ]);
  assert.equal(r.code, 3, r.stderr);
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines, [
    {
      path: `${C}/README.txt`,
      outcome: "not-sent",
      sopClassUid: null,
      sopInstanceUid: null,
      transferSyntaxUid: null,
      sentTransferSyntaxUid: null,
      converted: null,
      association: null,
      contextId: null,
      proposedTransferSyntaxes: null,
      reason: "Bad DICOM file: not a DICOM file",
      probed: false,
    },
    {
      path: "testdata/mr_implicit_le.dcm",
      outcome: "planned",
      sopClassUid: "1.2.840.10008.5.1.4.1.1.4",
      sopInstanceUid: lines[1].sopInstanceUid,
      transferSyntaxUid: "1.2.840.10008.1.2",
      sentTransferSyntaxUid: "1.2.840.10008.1.2.1",
      converted: true,
      association: 1,
      contextId: 81,
      proposedTransferSyntaxes: ["1.2.840.10008.1.2.1"],
      reason: null,
      probed: false,
    },
  ]);
  assert.match(lines[1].sopInstanceUid, /^2\.25\.\d+$/);
  // The text plan is not mixed into the JSON on stdout; the closing line is on stderr.
  assert.match(r.lines.at(-1)!, /^Dry run: 2 files: 1 to send \(1 converted\)/);
});

Deno.test("--dry-run: nothing to send says why, exit 5; -q prints nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-dry-" });
  try {
    await Deno.mkdir(`${dir}/sub`);
    const r = await runCli(["127.0.0.1", "104", dir, "--dry-run"]);
    assert.equal(r.code, ExitCode.NothingToSend, r.stderr);
    assert.match(r.stdout, /\nNo files to send: no file found, only 1 subdirectory .*-r/);
    const q = await runCli(["127.0.0.1", "104", "testdata", "--dry-run", "-q"]);
    assert.equal(q.code, 0);
    assert.equal(q.stdout + q.stderr, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--probe against DCMTK storescp (CTOnly profile): CT accepted, the rest refused, nothing stored", async () => {
  const scp = await startStorescp(["-xf", `${sharedDir}/peers/storescp-profiles.cfg`, "CTOnly"]);
  try {
    const r = await runCli([
      "127.0.0.1",
      String(scp.port),
      `${C}/CT_small.dcm`,
      `${C}/MR_small.dcm`,
      "--probe",
    ]);
    assert.equal(r.code, ExitCode.SomeNotStored, r.stderr);
    const refused = "the peer refused the context proposed for it (abstract syntax not " +
      "supported: Explicit VR Little Endian, Implicit VR Little Endian, Deflated Explicit VR " +
      "Little Endian and 1 more)";
    assert.equal(
      r.stdout,
      [
        `Probe of 127.0.0.1:${scp.port} (ANY-SCP) as STORESCU: associations requested and released, nothing sent`,
        "Association 1 (the default proposal): 2 files; the peer accepted 1 of 120 contexts",
        DEFAULT_LINE,
        `  ${C}/CT_small.dcm: CT Image Storage, Explicit VR Little Endian: context 69, sent as it is`,
        `  ${C}/MR_small.dcm: not sent: MR Image Storage in Explicit VR Little Endian: ${refused}`,
        "",
      ].join("\n"),
    );
    assert.deepEqual(r.lines, [
      "Probe: 2 files: 1 accepted (0 converted) over 1 association, 1 not sent, 0 skipped",
    ]);
    assert.deepEqual(await listDir(scp.dir), []);
  } finally {
    const log = await scp.stop();
    await Deno.remove(scp.dir, { recursive: true });
    assert.doesNotMatch(log, /Received Store Request/);
  }
});

Deno.test("--probe against our SCP: what it accepts decides the conversion; nothing received", async () => {
  const scp = startStorageScp({ transferSyntaxes: ["1.2.840.10008.1.2"] });
  try {
    const r = await runCli([
      "127.0.0.1",
      String(scp.port),
      "testdata/ct_explicit_le.dcm",
      `${C}/JPEG2000.dcm`,
      "--probe",
      "--report",
      "-",
      "-v",
    ]);
    assert.equal(r.code, 3, r.stderr);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const [jpeg, ct] = lines;
    assert.equal(ct.outcome, "planned");
    assert.equal(ct.sentTransferSyntaxUid, "1.2.840.10008.1.2");
    assert.equal(ct.converted, true);
    assert.equal(ct.probed, true);
    assert.equal(jpeg.outcome, "not-sent");
    assert.equal(jpeg.association, 2);
    // The peer took it only decoded, which a lossy syntax isn't by default.
    assert.match(
      jpeg.reason,
      /accepted it only as Implicit VR Little Endian; JPEG 2000 Image Compression is lossy: it is sent decoded only with --decompress lossy$/,
    );
    assert.equal(scp.requests.length, 2, "each planned association requested once");
    assert.equal(scp.received.length, 0);
    assert.deepEqual(r.lines.filter((l) => l.startsWith("I: ")), [
      "I: Requesting Association",
      "I: Association Accepted",
      "I: Releasing Association",
      "I: Requesting Association",
      // The JPEG 2000 file's class is proposed decoded too, and accepted so: released.
      "I: Association Accepted",
      "I: Releasing Association",
    ]);
  } finally {
    await scp.close();
  }
});

Deno.test("--probe: a peer that can't be reached or rejects: exit 1, no further request", async () => {
  const port = freePort();
  const r = await runCli(["127.0.0.1", String(port), "testdata", "--probe"]);
  assert.equal(r.code, ExitCode.NoAssociation, r.stderr);
  assert.match(
    r.stdout.split("\n")[1],
    /^Association 1 \(the default proposal\): 6 files; not established: unable to connect/,
  );
  const scp = startStorageScp({ reject: { result: 1, source: 1, reason: 3 } });
  try {
    const report = await dryRun({
      address: "127.0.0.1",
      port: scp.port,
      paths: ["testdata/ct_explicit_le.dcm", `${C}/JPEG2000.dcm`],
      probe: true,
    });
    assert.equal(report.noAssociation, true);
    assert.equal(scp.requests.length, 1, "a rejection is not asked again");
    assert.deepEqual(report.counts, { planned: 0, "not-sent": 2, skipped: 0 });
    assert.ok(report.results.every((x) => /^association rejected \(permanent/.test(x.reason!)));
    assert.equal(report.associations[1].error, undefined, "never requested");
  } finally {
    await scp.close();
  }
});

Deno.test("dryRun(): the library's plan (with and without probe) is what storeFiles then does", async () => {
  const plan = await dryRun({ address: "127.0.0.1", port: 1, paths: ["testdata"] });
  assert.equal(plan.probed, false);
  assert.equal(plan.associations.length, 1);
  assert.equal(plan.associations[0].contexts.length, 120);
  assert.deepEqual(plan.counts, { planned: 6, "not-sent": 0, skipped: 0 });
  assert.equal(plan.converted, 4);
  // A peer preferring its own order (Implicit first): only the probe can know.
  for (const preferOwnOrder of [false, true]) {
    const scp = startStorageScp({
      transferSyntaxes: ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"],
      preferOwnOrder,
    });
    try {
      const probed = await dryRun({
        address: "127.0.0.1",
        port: scp.port,
        paths: ["testdata"],
        probe: true,
      });
      const { storeFiles } = await import("../lib/send.ts");
      const report = await storeFiles({
        address: "127.0.0.1",
        port: scp.port,
        paths: ["testdata"],
      });
      assert.equal(report.counts.success, 6);
      const sent = scp.received.map((o) => [o.sopInstanceUid, o.contextId, o.transferSyntaxUid]);
      const planned = (p: typeof plan) =>
        p.results.map((r) => [r.sopInstanceUid, r.contextId, r.sentTransferSyntaxUid]);
      assert.deepEqual(sent, planned(probed));
      if (preferOwnOrder) assert.notDeepEqual(sent, planned(plan));
      else assert.deepEqual(sent, planned(plan));
    } finally {
      await scp.close();
    }
  }
});

Deno.test("--probe: an association where nothing is accepted is aborted, as a run does (--decompress never: the compressed syntax alone)", async () => {
  const scp = startStorageScp({ transferSyntaxes: ["1.2.840.10008.1.2"] });
  try {
    const r = await runCli([
      "127.0.0.1",
      String(scp.port),
      `${C}/JPEG2000.dcm`,
      "--probe",
      "--decompress",
      "never",
      "-v",
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(r.lines.filter((l) => l.startsWith("I: ")), [
      "I: Requesting Association",
      "I: Aborting Association", // nothing accepted: a provider A-ABORT
    ]);
    assert.equal(scp.received.length, 0);
  } finally {
    await scp.close();
  }
});

Deno.test("--dry-run --journal: what the journal lists as stored there is skipped, as a run would; the journal is only read", async () => {
  const { journalDestination, JournalError, openJournal } = await import("../lib/journal.ts");
  const { readDicomFileInfo } = await import("../lib/part10/file.ts");
  const dir = await Deno.makeTempDir({ prefix: "storescu-dry-journal-" });
  try {
    const ct = await readDicomFileInfo("testdata/ct_explicit_le.dcm");
    const journalPath = `${dir}/sent.jsonl`;
    const journal = await openJournal(
      journalPath,
      journalDestination({ address: "127.0.0.1", port: 104 }),
    );
    journal.confirmed({ ...ct, status: 0 });
    // Stored at another destination: not skipped here.
    const other = await openJournal(
      `${dir}/other.jsonl`,
      journalDestination({ address: "pacs", port: 104 }),
    );
    other.confirmed({ ...ct, status: 0 });
    journal.close();
    other.close();
    const before = await Deno.readFile(journalPath);

    const plan = await dryRun({
      address: "127.0.0.1",
      port: 104,
      paths: ["testdata"],
      journal: journalPath,
    });
    assert.deepEqual(plan.counts, { planned: 5, "not-sent": 0, skipped: 1 });
    const skipped = plan.results.find((r) => r.outcome === "skipped")!;
    assert.equal(skipped.path, "testdata/ct_explicit_le.dcm");
    assert.equal(skipped.reason, "already stored at ANY-SCP@127.0.0.1:104 (journal)");
    assert.deepEqual(await Deno.readFile(journalPath), before);
    const elsewhere = await dryRun({
      address: "127.0.0.1",
      port: 104,
      paths: ["testdata"],
      journal: `${dir}/other.jsonl`,
    });
    assert.equal(elsewhere.counts.skipped, 0);

    // A journal not made yet skips nothing and is not created.
    const none = await dryRun({
      address: "127.0.0.1",
      port: 104,
      paths: ["testdata"],
      journal: `${dir}/new.jsonl`,
    });
    assert.deepEqual(none.counts, { planned: 6, "not-sent": 0, skipped: 0 });
    await assert.rejects(() => Deno.stat(`${dir}/new.jsonl`), Deno.errors.NotFound);
    await assert.rejects(
      () =>
        dryRun({
          address: "127.0.0.1",
          port: 104,
          paths: ["testdata"],
          journal: "testdata/ct_explicit_le.dcm",
        }),
      (e) => e instanceof JournalError && /not a storescu journal/.test(e.message),
    );

    // The CLI with read permission only (-N -R): the Skipped section and the count.
    const r = await runCli(["127.0.0.1", "104", "testdata", "--dry-run", "--journal", journalPath]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /\nSkipped:\n {2}testdata\/ct_explicit_le\.dcm: already stored at ANY-SCP@127\.0\.0\.1:104 \(journal\)\n/,
    );
    assert.match(
      r.stderr,
      /Dry run: 6 files: 5 to send \(4 converted\) over 1 association, 0 not sent, 1 skipped/,
    );
    assert.deepEqual(await Deno.readFile(journalPath), before);
    const bad = await runCli([
      "127.0.0.1",
      "104",
      "testdata",
      "--dry-run",
      "--journal",
      "testdata/ct_explicit_le.dcm",
    ]);
    assert.equal(bad.code, ExitCode.Usage);
    assert.match(
      bad.stderr,
      /storescu: error: --journal testdata\/ct_explicit_le\.dcm: not a storescu journal/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a folder of compressed files: the first association is planned from its first files and carries the later ones that fit, examined as they are sent; the dry run plans the same", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-stream-" });
  const scp = startStorageScp({
    transferSyntaxes: ["1.2.840.10008.1.2.5", "1.2.840.10008.1.2.1"],
  });
  try {
    // 17 RLE MR, an RLE Secondary Capture, one more RLE MR (names sort in that order).
    for (let i = 1; i <= 17; i++) {
      await Deno.copyFile(`${C}/MR_small_RLE.dcm`, `${dir}/a${String(i).padStart(2, "0")}.dcm`);
    }
    await Deno.copyFile(`${C}/SC_rgb_rle.dcm`, `${dir}/b.dcm`);
    await Deno.copyFile(`${C}/MR_small_RLE.dcm`, `${dir}/c.dcm`);
    const options = { address: "127.0.0.1", port: scp.port, paths: [dir] };
    const plan = await dryRun(options);
    assert.deepEqual(plan.associations.map((a) => a.files), [18, 1]);
    const { storeFiles } = await import("../lib/send.ts");
    const report = await storeFiles(options);
    assert.equal(report.counts.success, 19);
    // Two associations: MR's contexts only (planned from the first 16), then the SC's.
    const MR = "1.2.840.10008.5.1.4.1.1.4";
    const SC = "1.2.840.10008.5.1.4.1.1.7";
    assert.deepEqual(
      scp.requests.map((rq) => [...new Set(rq.presentationContexts.map((c) => c.abstractSyntax))]),
      [[MR], [SC]],
    );
    assert.deepEqual(
      scp.received.map((o) => o.sopClassUid),
      [...Array(18).fill(MR), SC],
    );
    // What was sent is what the dry run planned.
    const sent = report.results.map((r) => [r.path, r.contextId, r.sentTransferSyntaxUid]);
    const planned = plan.results.map((r) => [r.path, r.contextId, r.sentTransferSyntaxUid]);
    assert.deepEqual(sent, planned);
  } finally {
    await scp.close();
    await Deno.remove(dir, { recursive: true });
  }
});
