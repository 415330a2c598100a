/**
 * Interop against dcmtk's real `storescp` (needs dcmtk: these tests fail, not skip, without
 * it). Each test starts its own storescp on a free loopback port and stops it in `finally`.
 * `+B` makes storescp write the data set bytes exactly as received, so they can be compared
 * with the original file's data set (or with `dcmconv`'s conversion of it).
 */
import assert from "node:assert/strict";
import {
  corpusDir,
  datasetOf,
  dcmtk,
  listDir,
  runCli,
  sharedDir,
  startStorescp,
  type Storescp,
} from "./peers.ts";

const TF = `${corpusDir}/pydicom/test_files`;
const CT = `${TF}/CT_small.dcm`; // Explicit VR LE
const MR = `${TF}/MR_small.dcm`; // Explicit VR LE
const MR_IMPLICIT = `${TF}/MR_small_implicit.dcm`;
const RTPLAN = `${TF}/rtplan.dcm`; // Implicit VR LE
const CT_IMPLICIT = `${corpusDir}/variants/ct_small_implicit_le.dcm`;
const CT_RLE = `${corpusDir}/variants/ct_small_rle.dcm`;
const CT_J2K = `${corpusDir}/variants/ct_small_j2k_lossless.dcm`;
const PROFILES = `${sharedDir}/peers/storescp-profiles.cfg`;

const CT_INSTANCE = "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322";

/** Starts storescp, runs `body`, always stops it; the log is attached to any failure. */
async function withStorescp(args: string[], body: (scp: Storescp) => Promise<void>) {
  const scp = await startStorescp(args);
  let log = "";
  try {
    await body(scp);
  } catch (err) {
    log = await scp.stop();
    if (err instanceof Error) err.message += `\n--- storescp log ---\n${log}`;
    throw err;
  } finally {
    if (!log) await scp.stop();
  }
}

/** The data set of a Part-10 file as written (after the meta group). */
async function fileDataset(path: string): Promise<Uint8Array> {
  return await datasetOf(path);
}

/** What `dcmconv <option>` makes of `path`, as data set bytes. */
async function dcmconvDataset(option: string, path: string): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir({ prefix: "storescu-dcmconv-" });
  try {
    await dcmtk("dcmconv", [option, path, `${dir}/out.dcm`]);
    return await datasetOf(`${dir}/out.dcm`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The stored file's (0002,0010), as dcmtk names it. */
async function storedTs(path: string): Promise<string> {
  const out = await dcmtk("dcmdump", ["-q", "+P", "0002,0010", path]);
  return out.match(/=(\S+)/)?.[1] ?? out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

Deno.test("storescp: default mode stores CT and MR byte-exact, converts an Implicit RT Plan", async () => {
  await withStorescp(["+B"], async (scp) => {
    const r = await runCli(["127.0.0.1", String(scp.port), CT, MR, RTPLAN]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.lines, ["Summary: 3 files: 3 success, 0 warning, 0 failed, 0 not sent"]);
    const names = await listDir(scp.dir);
    assert.deepEqual(names, [
      `CT.${CT_INSTANCE}`,
      "MR.1.3.6.1.4.1.5962.1.1.4.1.1.20040826185059.5457",
      // rtplan.dcm's meta (0002,0003) says 1.2.999…; the C-STORE names the data set's own
      // (0008,0018), as the reference does, and storescp names the file after it.
      "RP.1.2.777.777.77.7.7777.7777.20030903150023",
    ]);
    assert.deepEqual(await fileDataset(`${scp.dir}/${names[0]}`), await datasetOf(CT));
    assert.deepEqual(await fileDataset(`${scp.dir}/${names[1]}`), await datasetOf(MR));
    // storescp prefers Explicit LE: the Implicit plan arrives converted, like dcmconv +te.
    assert.equal(await storedTs(`${scp.dir}/${names[2]}`), "LittleEndianExplicit");
    assert.deepEqual(
      await fileDataset(`${scp.dir}/${names[2]}`),
      await dcmconvDataset("+te", RTPLAN),
    );
  });
});

Deno.test("storescp: -cx sends every file on its own TS, compressed included", async () => {
  // +uf: CT_small and its RLE/J2K variants share one SOP Instance UID.
  await withStorescp(["+B", "+xa", "+uf"], async (scp) => {
    const files = [CT, MR_IMPLICIT, CT_RLE, CT_J2K];
    const r = await runCli(["127.0.0.1", String(scp.port), "-cx", ...files]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.lines, ["Summary: 4 files: 4 success, 0 warning, 0 failed, 0 not sent"]);
    const stored = await Promise.all(
      (await listDir(scp.dir)).map((n) => fileDataset(`${scp.dir}/${n}`)),
    );
    assert.equal(stored.length, 4);
    for (const f of files) {
      const want = await datasetOf(f);
      assert.ok(stored.some((s) => equalBytes(s, want)), `no byte-exact copy of ${f}`);
    }
  });
});

Deno.test("storescp: -xe converts an Implicit file to Explicit LE (same bytes as dcmconv +te)", async () => {
  await withStorescp(["+B"], async (scp) => {
    const r = await runCli(["127.0.0.1", String(scp.port), "-xe", MR_IMPLICIT, CT]);
    assert.equal(r.code, 0, r.stderr);
    const names = await listDir(scp.dir);
    assert.equal(names.length, 2);
    const ct = names.find((n) => n.startsWith("CT."))!;
    const mr = names.find((n) => n.startsWith("MR."))!;
    assert.equal(await storedTs(`${scp.dir}/${mr}`), "LittleEndianExplicit");
    assert.deepEqual(
      await fileDataset(`${scp.dir}/${mr}`),
      await dcmconvDataset("+te", MR_IMPLICIT),
    );
    assert.deepEqual(await fileDataset(`${scp.dir}/${ct}`), await datasetOf(CT));
  });
});

Deno.test("storescp: -xi converts an Explicit LE file to Implicit (same bytes as dcmconv +ti)", async () => {
  await withStorescp(["+B"], async (scp) => {
    const r = await runCli(["127.0.0.1", String(scp.port), "-xi", CT]);
    assert.equal(r.code, 0, r.stderr);
    const [name] = await listDir(scp.dir);
    assert.equal(await storedTs(`${scp.dir}/${name}`), "LittleEndianImplicit");
    assert.deepEqual(await fileDataset(`${scp.dir}/${name}`), await dcmconvDataset("+ti", CT));
  });
});

Deno.test("storescp: an Implicit file to a storescp preferring Explicit LE arrives explicit", async () => {
  await withStorescp(["+B", "+xe"], async (scp) => {
    const r = await runCli(["127.0.0.1", String(scp.port), CT_IMPLICIT]);
    assert.equal(r.code, 0, r.stderr);
    const [name] = await listDir(scp.dir);
    assert.equal(await storedTs(`${scp.dir}/${name}`), "LittleEndianExplicit");
    // Private elements have no dictionary VR for us: compare the public ones element by element.
    assert.deepEqual(
      publicElements(await dump(`${scp.dir}/${name}`)),
      publicElements(await dump(CT_IMPLICIT)),
    );
  });
});

/** dcmdump lines of the data set (no meta, no comments). */
async function dump(path: string): Promise<string[]> {
  const out = await dcmtk("dcmdump", ["-q", "+L", "-dc", path]);
  return out.split("\n").filter((l) => /^\s*\(/.test(l) && !/^\(0002,/.test(l));
}

/** Dump lines of even-group elements, with their values (VR kept). */
function publicElements(lines: string[]): string[] {
  return lines.filter((l) => {
    const m = l.match(/^\s*\(([0-9a-f]{4}),/);
    return m !== null && parseInt(m[1], 16) % 2 === 0;
  });
}

Deno.test("storescp: an Implicit file to an Explicit-Big-Endian-only storescp is converted", async () => {
  await withStorescp(["+B", "-xf", PROFILES, "ExplicitBEOnly"], async (scp) => {
    const r = await runCli(["127.0.0.1", String(scp.port), CT_IMPLICIT]);
    assert.equal(r.code, 0, r.stderr);
    const [name] = await listDir(scp.dir);
    assert.equal(await storedTs(`${scp.dir}/${name}`), "BigEndianExplicit");
    const got = publicElements(await dump(`${scp.dir}/${name}`));
    assert.ok(got.length > 50);
    assert.deepEqual(got, publicElements(await dump(CT_IMPLICIT)));
  });
});

Deno.test("storescp: no accepted context for MR (CTOnly) → error line, exit 3, CT stored", async () => {
  await withStorescp(["+B", "-xf", PROFILES, "CTOnly"], async (scp) => {
    const r = await runCli(["127.0.0.1", String(scp.port), CT, MR]);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(
      r.lines[0],
      "E: No presentation context for 'MR Image Storage' has been accepted by the peer with " +
        "'Explicit VR Little Endian' transfer syntax for the SCU role",
    );
    assert.ok(r.lines[1].startsWith(`E: Not sent: ${MR}: `), r.lines[1]);
    assert.equal(r.lines.at(-1), "Summary: 2 files: 1 success, 0 warning, 0 failed, 1 not sent");
    assert.equal(r.lines.length, 3);
    const names = await listDir(scp.dir);
    assert.deepEqual(names, [`CT.${CT_INSTANCE}`]);
    assert.deepEqual(await fileDataset(`${scp.dir}/${names[0]}`), await datasetOf(CT));
  });
});

Deno.test("storescp --refuse: rejected association → exit 1, nothing stored", async () => {
  await withStorescp(["--refuse"], async (scp) => {
    const r = await runCli(["127.0.0.1", String(scp.port), CT, MR]);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(r.lines.slice(0, 3), [
      "E: Association Rejected",
      "E: Result: Rejected Permanent, Source: Service User",
      "E: Reason: No reason given",
    ]);
    assert.ok(r.lines[3].startsWith(`E: Not sent: ${CT}: association rejected`));
    assert.ok(r.lines[4].startsWith(`E: Not sent: ${MR}: association rejected`));
    assert.equal(r.lines[5], "Summary: 2 files: 0 success, 0 warning, 0 failed, 2 not sent");
    assert.deepEqual(await listDir(scp.dir), []);
  });
});

/** The reference's `-v` lines for a successful run (storescu-behaviour.md §7a). */
async function referenceVerboseLines(): Promise<string[]> {
  const md = await Deno.readTextFile(`${sharedDir}/reference/storescu-behaviour.md`);
  const section = md.slice(md.indexOf("### 7a."));
  const block = section.match(/`-v`:\n```\n([\s\S]*?)```/);
  assert.ok(block, "no -v block in §7a");
  return block[1].trimEnd().split("\n");
}

Deno.test("storescp: -v lines of a successful run are the reference's §7a lines + Summary", async () => {
  const ref = await referenceVerboseLines();
  assert.equal(ref.length, 6);
  await withStorescp([], async (scp) => {
    const r = await runCli(["-v", "127.0.0.1", String(scp.port), CT]);
    assert.equal(r.code, 0, r.stderr);
    const expected = ref.map((l) =>
      l.startsWith("I: Sending file: ") ? `I: Sending file: ${CT}` : l
    );
    assert.deepEqual(r.lines, [
      ...expected,
      "Summary: 1 file: 1 success, 0 warning, 0 failed, 0 not sent",
    ]);
  });
});
