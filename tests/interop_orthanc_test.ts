/**
 * Against Orthanc, a real PACS: every transfer syntax of one CT stored as sent, a permanent
 * rejection for an unknown calling AE title, and conversion plus clean refusal against a
 * strict configuration (Implicit/Explicit LE only, maximum PDU 4096).
 */

import assert from "node:assert/strict";
import { corpusDir, repoRoot, runCli, startOrthanc } from "./peers.ts";
import { readDicomFileInfo } from "../lib/part10/file.ts";
import { isConvertible } from "../lib/uids.ts";

const variants = `${corpusDir}/variants`;

Deno.test("Orthanc: every CT variant stored (compressed ones as sent), default mode", async () => {
  const orthanc = await startOrthanc();
  try {
    const files: string[] = [];
    for await (const e of Deno.readDir(variants)) {
      if (e.name.startsWith("ct_small_")) files.push(`${variants}/${e.name}`);
    }
    files.sort();
    // Each variant has the same SOP Instance UID: send them one by one and check each.
    for (const f of files) {
      const r = await runCli(["127.0.0.1", String(orthanc.dicomPort), f, "-aec", "ORTHANC"]);
      assert.equal(r.code, 0, `${f}: ${r.stderr}`);
      const ids = await orthanc.rest("/instances") as string[];
      assert.equal(ids.length, 1);
      const meta = await orthanc.rest(`/instances/${ids[0]}/metadata?expand`) as Record<
        string,
        string
      >;
      assert.equal(meta.RemoteAET, "STORESCU");
      // Compressed files go unchanged over the extra association; uncompressed ones on the
      // default proposal, where Orthanc picks Explicit VR LE (the first one proposed).
      const own = (await readDicomFileInfo(f)).transferSyntaxUid;
      const expected = isConvertible(own) ? "1.2.840.10008.1.2.1" : own;
      assert.equal(meta.TransferSyntax, expected, f);
      await fetch(`http://127.0.0.1:${orthanc.httpPort}/instances/${ids[0]}`, { method: "DELETE" })
        .then((x) => x.body?.cancel());
    }
  } finally {
    await orthanc.stop();
  }
});

Deno.test("Orthanc strict: unknown calling AE title → rejected (calling AE not recognised), exit 1", async () => {
  const orthanc = await startOrthanc(true);
  try {
    const r = await runCli([
      "127.0.0.1",
      String(orthanc.dicomPort),
      `${repoRoot}/testdata/ct_explicit_le.dcm`,
      "-aet",
      "EVIL",
      "-aec",
      "ORTHANC",
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(r.lines.slice(0, 3), [
      "E: Association Rejected",
      "E: Result: Rejected Permanent, Source: Service User",
      "E: Reason: Calling AE title not recognised",
    ]);
    assert.equal(r.lines.at(-1), "Summary: 1 file: 0 success, 0 warning, 0 failed, 1 not sent");
  } finally {
    await orthanc.stop();
  }
});

Deno.test("Orthanc strict: big endian and deflated converted, JPEG refused by name (max PDU 4096)", async () => {
  const orthanc = await startOrthanc(true);
  try {
    const files = [
      `${variants}/ct_small_explicit_be.dcm`,
      `${corpusDir}/pydicom/test_files/image_dfl.dcm`,
      `${variants}/sc_img2dcm_jpeg_baseline.dcm`,
    ];
    const r = await runCli([
      "127.0.0.1",
      String(orthanc.dicomPort),
      ...files,
      "-aet",
      "TESTSCU",
      "-aec",
      "ORTHANC",
    ]);
    assert.equal(r.code, 3, r.stderr);
    assert.ok(
      r.lines.some((l) =>
        l.startsWith(`E: Not sent: ${files[2]}: Secondary Capture Image Storage in JPEG Baseline`)
      ),
      r.stderr,
    );
    assert.equal(r.lines.at(-1), "Summary: 3 files: 2 success, 0 warning, 0 failed, 1 not sent");
    const ids = await orthanc.rest("/instances") as string[];
    assert.equal(ids.length, 2);
    for (const id of ids) {
      const meta = await orthanc.rest(`/instances/${id}/metadata?expand`) as Record<string, string>;
      assert.ok(["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"].includes(meta.TransferSyntax));
    }
  } finally {
    await orthanc.stop();
  }
});
