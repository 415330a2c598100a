/**
 * Deflated Explicit VR LE both ways against DCMTK's storescp, and the `-d` line saying which
 * context each file used and whether its data set was converted.
 */

import assert from "node:assert/strict";
import { corpusDir, runCli, startStorescp } from "./peers.ts";

const DEFLATED = "1.2.840.10008.1.2.1.99";
const EXPLICIT = "1.2.840.10008.1.2.1";
const dict = { DCMDICTPATH: "/usr/share/libdcmtk17/dicom.dic" };

async function dump(path: string, extra: string[] = []): Promise<string[]> {
  const r = await new Deno.Command("dcmdump", {
    args: ["-q", "+L", "-Un", ...extra, path],
    env: dict,
    stdout: "piped",
  }).output();
  return new TextDecoder("latin1").decode(r.stdout).split("\n")
    .filter((l) => /^\s*\([0-9a-f]{4},[0-9a-f]{4}\)/.test(l))
    .filter((l) => !/^\((0002,|[0-9a-f]{4},0000\))/.test(l))
    // storescp re-encodes what it stores and drops Data Set Trailing Padding.
    .filter((l) => !l.startsWith("(fffc,fffc)"))
    .map((l) => l.replace(/\s+#.*$/, ""));
}

async function metaTs(path: string): Promise<string> {
  const line = (await new Deno.Command("dcmdump", {
    args: ["-q", "-Un", "+P", "0002,0010", path],
    env: dict,
    stdout: "piped",
  }).output()).stdout;
  return new TextDecoder().decode(line).match(/\[([^\]]*)\]/)?.[1].replace(/\0/g, "") ?? "";
}

async function onlyFile(dir: string): Promise<string> {
  const names = [];
  for await (const e of Deno.readDir(dir)) if (e.isFile) names.push(e.name);
  assert.equal(names.length, 1, names.join(", "));
  return `${dir}/${names[0]}`;
}

Deno.test("explicit LE file to a storescp preferring Deflated: deflated on the fly, same elements", async () => {
  const scp = await startStorescp(["+xd"]);
  const original = `${corpusDir}/pydicom/test_files/CT_small.dcm`;
  try {
    const r = await runCli(["127.0.0.1", String(scp.port), original, "-d"]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      r.lines.includes(
        "D: Presentation context 69 (Deflated Explicit VR Little Endian): data set converted " +
          "from Explicit VR Little Endian",
      ),
      r.stderr,
    );
    const stored = await onlyFile(scp.dir);
    assert.equal(await metaTs(stored), DEFLATED);
    assert.deepEqual(await dump(stored), await dump(original));
  } finally {
    await scp.stop();
    await Deno.remove(scp.dir, { recursive: true });
  }
});

Deno.test("deflated file to a storescp without Deflated: inflated, same elements; own TS unchanged", async () => {
  const deflated = `${corpusDir}/variants/ct_small_deflated.dcm`;
  {
    const scp = await startStorescp(["+xe"]);
    try {
      const r = await runCli(["127.0.0.1", String(scp.port), deflated, "-d"]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(
        r.lines.some((l) =>
          /^D: Presentation context \d+ \(Explicit VR Little Endian\): data set converted from Deflated Explicit VR Little Endian$/
            .test(l)
        ),
        r.stderr,
      );
      const stored = await onlyFile(scp.dir);
      assert.equal(await metaTs(stored), EXPLICIT);
      assert.deepEqual(await dump(stored), await dump(deflated));
    } finally {
      await scp.stop();
      await Deno.remove(scp.dir, { recursive: true });
    }
  }
  {
    // With -cx the deflated file is proposed as it is and sent unchanged.
    const scp = await startStorescp(["+xd", "+B"]);
    try {
      const r = await runCli(["127.0.0.1", String(scp.port), deflated, "-d", "-cx"]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(
        r.lines.includes(
          "D: Presentation context 1 (Deflated Explicit VR Little Endian): file's data set sent unchanged",
        ),
        r.stderr,
      );
      const stored = await onlyFile(scp.dir);
      assert.equal(await metaTs(stored), DEFLATED);
      assert.deepEqual(await dump(stored), await dump(deflated));
    } finally {
      await scp.stop();
      await Deno.remove(scp.dir, { recursive: true });
    }
  }
});
