/**
 * Folder hygiene (lib/send/inputs.ts and its use by the run): DICOMDIRs skipped or read for
 * their references (`--dicomdir`), `--pattern`, one line per non-DICOM file,
 * `--ignore-non-dicom`, and a run that finds nothing to send saying why (exit 5).
 */
import assert from "node:assert/strict";
import { type StoreEvent, storeFiles, type StoreOptions, type StoreReport } from "../lib/send.ts";
import { startStorageScp, type StorageScp } from "../lib/scp.ts";
import { MEDIA_STORAGE_DIRECTORY_STORAGE } from "../lib/dicomdir.ts";
import { encodePart10, type ItemSpec } from "../lib/part10/writer.ts";
import { ExitCode, exitCodeFor } from "../cli.ts";
import { corpusDir, dcmtk, listDir, runCli, startStorescp, writeCtFiles } from "./peers.ts";

const DIRS = `${corpusDir}/pydicom/test_files/dicomdirtests`;
const DICOMDIR = `${DIRS}/DICOMDIR`;
const CT = `${corpusDir}/pydicom/test_files/CT_small.dcm`;

async function withScp(body: (scp: StorageScp) => Promise<void>) {
  const scp = startStorageScp();
  try {
    await body(scp);
  } finally {
    await scp.close();
  }
}

async function withDir(body: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "storescu-inputs-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function send(
  scp: StorageScp,
  paths: string[],
  extra: Partial<StoreOptions> = {},
): Promise<StoreReport> {
  return storeFiles({ address: "127.0.0.1", port: scp.port, paths, ...extra });
}

/** The SOP Instance UIDs dcmdump reads from `paths`. */
async function instanceUids(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const d = await dcmtk("dcmdump", ["-q", "+P", "0008,0018", p]);
    out.push(d.match(/\[([^\]]*)\]/)![1]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// DICOMDIR

Deno.test("DICOMDIR: skipped (never sent), outcome skipped, one W: line, the run still exits 0", async () => {
  await withScp(async (scp) => {
    const events: StoreEvent[] = [];
    const report = await send(scp, [DICOMDIR, CT], { onEvent: (e) => events.push(e) });
    assert.equal(scp.received.length, 1);
    assert.ok(!scp.received.some((r) => r.sopClassUid === MEDIA_STORAGE_DIRECTORY_STORAGE));
    const dd = report.results.find((r) => r.path === DICOMDIR)!;
    assert.equal(dd.outcome, "skipped");
    assert.match(dd.reason!, /^DICOMDIR .*--dicomdir sends the files it references$/);
    assert.deepEqual(report.counts, {
      success: 1,
      warning: 0,
      failure: 0,
      "not-sent": 0,
      skipped: 1,
    });
    assert.equal(exitCodeFor(report), 0);
    assert.ok(!events.some((e) => e.type === "file-sending" && e.path === DICOMDIR));
  });
  // The CLI: nothing at the default level but the Summary; one W: line with -v.
  await withScp(async (scp) => {
    const r = await runCli(["127.0.0.1", String(scp.port), DICOMDIR, CT]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.lines, [
      "Summary: 2 files: 1 success, 0 warning, 0 failed, 0 not sent, 1 skipped",
    ]);
    const v = await runCli(["127.0.0.1", String(scp.port), DICOMDIR, CT, "-v", "--report", "-"]);
    const w = v.lines.filter((l) => l.startsWith("W: "));
    assert.deepEqual(w, [
      `W: Skipped: ${DICOMDIR}: ${"DICOMDIR (a media directory, not an instance): --dicomdir sends the files it references"}`,
    ]);
    assert.ok(!v.lines.includes(`I: Sending file: ${DICOMDIR}`));
    const lines = v.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.path, l.outcome]), [[CT, "success"], [
      DICOMDIR,
      "skipped",
    ]]);
  });
});

Deno.test("DICOMDIR: every corpus DICOMDIR is recognised (explicit, implicit, big endian, cut)", async () => {
  await withScp(async (scp) => {
    const report = await send(scp, [DIRS]);
    const skipped = report.results.filter((r) => r.outcome === "skipped").map((r) => r.path);
    assert.deepEqual(skipped, [
      `${DIRS}/DICOMDIR`,
      `${DIRS}/DICOMDIR-bigEnd`,
      `${DIRS}/DICOMDIR-empty.dcm`,
      `${DIRS}/DICOMDIR-implicit`,
      `${DIRS}/DICOMDIR-nooffset`,
      `${DIRS}/DICOMDIR-nopatient`,
      `${DIRS}/DICOMDIR-reordered`,
    ]);
    assert.equal(scp.requests.length, 0, "nothing else to send (README.txt is not DICOM)");
  });
});

Deno.test("--dicomdir: the referenced files are sent in the DICOMDIR's place (our SCP)", async () => {
  await withScp(async (scp) => {
    const events: StoreEvent[] = [];
    const report = await send(scp, [DICOMDIR], { dicomdir: true, onEvent: (e) => events.push(e) });
    const files = report.results.filter((r) => r.path !== DICOMDIR);
    assert.equal(files.length, 31);
    assert.ok(files.every((r) => r.outcome === "success"));
    assert.equal(files[0].path, `${DIRS}/77654033/CR1/6154`);
    assert.deepEqual(
      scp.received.map((r) => r.sopInstanceUid).sort(),
      (await instanceUids(files.map((f) => f.path))).sort(),
    );
    const dd = report.results.find((r) => r.path === DICOMDIR)!;
    assert.equal(dd.outcome, "skipped");
    assert.equal(dd.reason, "DICOMDIR: read for the 31 files it references");
    assert.ok(events.some((e) => e.type === "dicomdir-read" && e.files === 31));
  });
});

Deno.test("--dicomdir with -r over the same folder: each file sent once", async () => {
  await withScp(async (scp) => {
    const report = await send(scp, [`${DIRS}/TINY_ALPHA`], { dicomdir: true, recurse: true });
    assert.equal(report.counts.success, 50);
    assert.equal(report.counts.skipped, 1);
    assert.equal(new Set(scp.received.map((r) => r.sopInstanceUid)).size, 50);
    assert.equal(scp.received.length, 50);
  });
});

function dicomdirWith(ids: string[]): Uint8Array {
  const records: ItemSpec[] = ids.map((id) => ({
    elements: [
      { tag: 0x00041430, vr: "CS", value: "IMAGE" },
      { tag: 0x00041500, vr: "CS", value: id },
    ],
    undefinedLength: true,
  }));
  return encodePart10({
    sopClassUid: MEDIA_STORAGE_DIRECTORY_STORAGE,
    sopInstanceUid: "2.25.99",
    transferSyntaxUid: "1.2.840.10008.1.2.1",
  }, [{ tag: 0x00041220, vr: "SQ", value: records, undefinedLength: true }]);
}

Deno.test("--dicomdir: a referenced file that is missing is an unusable path named with its DICOMDIR", async () => {
  await withDir(async (dir) => {
    await writeCtFiles(dir, 1, { prefix: "IM" });
    await Deno.writeFile(`${dir}/DICOMDIR`, dicomdirWith(["IM00000.dcm", "IM99999.dcm"]));
    await withScp(async (scp) => {
      const r = await runCli([
        "127.0.0.1",
        String(scp.port),
        `${dir}/DICOMDIR`,
        "--dicomdir",
        "--report",
        "-",
      ]);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.lines[0], `E: Cannot access path: ${dir}/IM99999.dcm`);
      assert.ok(r.lines.includes(
        `E: Not sent: ${dir}/IM99999.dcm: Cannot access path: referenced by ${dir}/DICOMDIR: ` +
          "no such file or directory",
      ));
      assert.equal(
        r.lines.at(-1),
        "Summary: 3 files: 1 success, 0 warning, 0 failed, 1 not sent, 1 skipped",
      );
      assert.equal(scp.received.length, 1);
      assert.equal(r.stdout.trim().split("\n").length, 3, "each in the report");
    });
  });
});

Deno.test("--dicomdir: a DICOMDIR that can't be read is not sent, with the reason", async () => {
  await withDir(async (dir) => {
    const bytes = dicomdirWith(["IM1", "IM2"]);
    await Deno.writeFile(`${dir}/DICOMDIR`, bytes.subarray(0, bytes.length - 12));
    await withScp(async (scp) => {
      const report = await send(scp, [`${dir}/DICOMDIR`], { dicomdir: true });
      assert.deepEqual(report.results, [{
        path: `${dir}/DICOMDIR`,
        outcome: "not-sent",
        reason: "Bad DICOMDIR: its Directory Record Sequence is cut short or malformed",
      }]);
      assert.equal(exitCodeFor(report), ExitCode.SomeNotStored);
    });
  });
});

Deno.test("--dicomdir against DCMTK storescp: the corpus DICOMDIR's 31 files are stored", async () => {
  const scp = await startStorescp(["-pm"]);
  try {
    const r = await runCli(["127.0.0.1", String(scp.port), DICOMDIR, "--dicomdir"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.lines, [
      "Summary: 32 files: 31 success, 0 warning, 0 failed, 0 not sent, 1 skipped",
    ]);
    assert.equal((await listDir(scp.dir)).length, 31);
  } finally {
    await scp.stop();
    await Deno.remove(scp.dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// Non-DICOM files

Deno.test("a non-DICOM file gets one line at the default level (and still counts: exit 3)", async () => {
  await withDir(async (dir) => {
    await writeCtFiles(dir, 1);
    await Deno.writeTextFile(`${dir}/notes.txt`, "not DICOM\n");
    await withScp(async (scp) => {
      const r = await runCli(["127.0.0.1", String(scp.port), dir]);
      assert.equal(r.code, 3, r.stderr);
      assert.deepEqual(r.lines, [
        `E: Not sent: ${dir}/notes.txt: Bad DICOM file: not a DICOM file`,
        "Summary: 2 files: 1 success, 0 warning, 0 failed, 1 not sent",
      ]);
      // With -cx the files are examined before the association: still one line.
      const cx = await runCli(["127.0.0.1", String(scp.port), dir, "-cx"]);
      assert.equal(cx.lines.filter((l) => l.includes("notes.txt")).length, 1, cx.stderr);
    });
  });
});

Deno.test("a file whose SOP Class UID isn't a UID is not sent, alone; the others are stored (our SCP and DCMTK storescp)", async () => {
  await withDir(async (dir) => {
    const first = (await writeCtFiles(dir, 3)).paths[0];
    // Its SOP Class UID (meta and data set) with one digit damaged into a byte no UID has (read as
    // "\u2039"): before, it went into the proposal and our A-ASSOCIATE-RQ couldn't be written for
    // any file.
    const bytes = await Deno.readFile(first);
    const uid = new TextEncoder().encode("1.2.840.10008.5.1.4.1.1.2");
    for (let k = 0; k + uid.length <= bytes.length; k++) {
      if (uid.every((c, m) => bytes[k + m] === c)) bytes[k + 22] = 0x8b;
    }
    await Deno.writeFile(`${dir}/bad_uid.dcm`, bytes);
    const expected = [
      `E: Not sent: ${dir}/bad_uid.dcm: Bad DICOM file: SOP Class UID is not a UID: "1.2.840.10008.5.1.4.1.\u2039.2"`,
      "Summary: 4 files: 3 success, 0 warning, 0 failed, 1 not sent",
    ];
    await withScp(async (scp) => {
      const r = await runCli(["127.0.0.1", String(scp.port), dir]);
      assert.equal(r.code, 3, r.stderr);
      assert.deepEqual(r.lines, expected);
    });
    const scp = await startStorescp([]);
    try {
      const r = await runCli(["127.0.0.1", String(scp.port), dir]);
      assert.equal(r.code, 3, r.stderr);
      assert.deepEqual(r.lines, expected);
      assert.equal((await listDir(scp.dir)).length, 3);
    } finally {
      await scp.stop();
      await Deno.remove(scp.dir, { recursive: true });
    }
  });
});

Deno.test("--ignore-non-dicom: not-DICOM files leave the account; broken DICOM files stay in it", async () => {
  await withDir(async (dir) => {
    await writeCtFiles(dir, 3);
    await Deno.writeTextFile(`${dir}/a_notes.txt`, "not DICOM\n");
    await Deno.writeTextFile(`${dir}/ct00001.txt`, "between two CT files\n");
    await Deno.writeFile(`${dir}/empty.dcm`, new Uint8Array());
    await withScp(async (scp) => {
      for (const parallel of [1, 2]) {
        const events: StoreEvent[] = [];
        const report = await send(scp, [dir], {
          ignoreNonDicom: true,
          parallel,
          onEvent: (e) => events.push(e),
        });
        assert.deepEqual(report.results.map((r) => [r.path.slice(dir.length + 1), r.outcome]), [
          ["ct00000.dcm", "success"],
          ["ct00001.dcm", "success"],
          ["ct00002.dcm", "success"],
          ["empty.dcm", "not-sent"], // an empty file is more likely a failed copy: reported
        ]);
        assert.equal(report.ignored, 2);
        const ignored = events.filter((e) => e.type === "file-ignored");
        assert.deepEqual(ignored.map((e) => (e as { path: string }).path), [
          `${dir}/a_notes.txt`,
          `${dir}/ct00001.txt`,
        ]);
        // Events stay in file order around the ignored files (parallel: through the sequencer).
        const order = events.filter((e) => e.type === "file-done" || e.type === "file-ignored")
          .map((e) => e.type === "file-done" ? e.result.path : (e as { path: string }).path);
        assert.deepEqual(order, [...order].sort());
      }
    });
    await Deno.remove(`${dir}/empty.dcm`);
    await withScp(async (scp) => {
      const r = await runCli([
        "127.0.0.1",
        String(scp.port),
        dir,
        "--ignore-non-dicom",
        "--report",
        "-",
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.lines, [
        "Summary: 3 files: 3 success, 0 warning, 0 failed, 0 not sent; 2 non-DICOM files ignored",
      ]);
      assert.equal(r.stdout.trim().split("\n").length, 3);
      const v = await runCli(["127.0.0.1", String(scp.port), dir, "--ignore-non-dicom", "-v"]);
      assert.ok(v.lines.includes(`I: Ignored (not DICOM): ${dir}/a_notes.txt`), v.stderr);
      assert.ok(!v.lines.includes(`I: Sending file: ${dir}/a_notes.txt`));
    });
  });
});

// ---------------------------------------------------------------------------------------------
// --pattern

Deno.test("--pattern: only matching names are taken from directories; named files always", async () => {
  await withDir(async (dir) => {
    await writeCtFiles(dir, 2, { prefix: "IM" });
    await writeCtFiles(dir, 1, { prefix: "XX", uidRoot: "2.25.5151" });
    await Deno.writeTextFile(`${dir}/README`, "x");
    await withScp(async (scp) => {
      const report = await send(scp, [dir, `${dir}/XX00000.dcm`], { patterns: ["IM*.dcm"] });
      assert.deepEqual(report.results.map((r) => r.path.slice(dir.length + 1)), [
        "IM00000.dcm",
        "IM00001.dcm",
        "XX00000.dcm",
      ]);
      assert.equal(report.counts.success, 3);
      const r = await runCli(["127.0.0.1", String(scp.port), dir, "--pattern", "IM0000[1]*"]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.lines, ["Summary: 1 file: 1 success, 0 warning, 0 failed, 0 not sent"]);
    });
  });
});

Deno.test("--pattern: an unclosed [ is a usage error", async () => {
  const r = await runCli(["127.0.0.1", "1", ".", "--pattern", "IM[0-9"]);
  assert.equal(r.code, 2);
  assert.equal(
    r.lines[1],
    "storescu: error: argument --pattern: '[' at position 3 is never closed: 'IM[0-9'",
  );
});

// ---------------------------------------------------------------------------------------------
// Nothing to send

Deno.test("nothing to send: says why at the default level, exits 5, never connects", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/only/a`, { recursive: true });
    await Deno.mkdir(`${dir}/only/b`, { recursive: true });
    await writeCtFiles(`${dir}/only/a`, 1);
    await Deno.mkdir(`${dir}/empty`);
    await Deno.mkdir(`${dir}/mixed`);
    await Deno.writeTextFile(`${dir}/mixed/notes.txt`, "x");
    await Deno.writeFile(`${dir}/mixed/DICOMDIR`, dicomdirWith([]));
    await withScp(async (scp) => {
      const cases: [string[], string][] = [
        [
          [`${dir}/only`],
          `no file found, only 2 subdirectories (${dir}/only/a, ...): add -r (--recurse) to look inside them`,
        ],
        [[`${dir}/empty`], "no file found: the directories given are empty"],
        [
          [`${dir}/only`, "-r", "--pattern", "*.dicom"],
          "no file name matches --pattern '*.dicom' (1 other file left out)",
        ],
        [
          [`${dir}/mixed`, "--ignore-non-dicom"],
          "every file found was left out: 1 DICOMDIR (--dicomdir sends the files a DICOMDIR " +
          "references), 1 non-DICOM file (ignored: --ignore-non-dicom)",
        ],
        [
          [`${dir}/mixed/DICOMDIR`, "--dicomdir"],
          "every file found was left out: 1 DICOMDIR (referencing no file)",
        ],
      ];
      for (const [args, why] of cases) {
        const r = await runCli(["127.0.0.1", String(scp.port), ...args]);
        assert.equal(r.code, ExitCode.NothingToSend, `${args}: ${r.stderr}`);
        assert.equal(r.lines[0], `E: No files to send: ${why}`);
        assert.match(r.lines.at(-1)!, /^Summary: /);
      }
      assert.equal(scp.requests.length, 0);
      // The library says the same in its report.
      const report = await send(scp, [`${dir}/only`]);
      assert.match(report.nothingToSend!, /add -r/);
      // Not "nothing to send" when something failed: a missing path is exit 3, as before.
      const missing = await runCli(["127.0.0.1", String(scp.port), `${dir}/nope`]);
      assert.equal(missing.code, 3);
      assert.ok(!missing.lines.some((l) => l.startsWith("E: No files to send")));
      // Nor when the only file is not DICOM: that one is named and counted (exit 3).
      const bad = await runCli(["127.0.0.1", String(scp.port), `${dir}/mixed/notes.txt`]);
      assert.equal(bad.code, 3);
    });
  });
});
