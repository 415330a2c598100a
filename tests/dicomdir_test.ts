/**
 * DICOMDIR reading (lib/dicomdir.ts): the Referenced File IDs of the corpus's DICOMDIRs (DCMTK's
 * dcmmkdir output and pydicom's variants: big endian, implicit, reordered, cut short) compared
 * with dcmdump's reading, and generated ones for the corner cases.
 */
import assert from "node:assert/strict";
import {
  DicomdirError,
  MEDIA_STORAGE_DIRECTORY_STORAGE,
  readDicomdir,
  referencedFileIds,
} from "../lib/dicomdir.ts";
import { type ElementSpec, encodePart10, type ItemSpec } from "../lib/part10/writer.ts";
import { corpusDir, dcmtk } from "./peers.ts";

const DIRS = `${corpusDir}/pydicom/test_files/dicomdirtests`;

/** dcmdump's list of Referenced File IDs, as paths under the DICOMDIR's folder. */
async function dcmdumpReferences(path: string): Promise<string[]> {
  const out = await dcmtk("dcmdump", ["+L", "+P", "0004,1500", path]);
  const folder = path.slice(0, path.lastIndexOf("/") + 1);
  return [...out.matchAll(/\(0004,1500\) CS \[([^\]]*)\]/g)].map((m) =>
    folder + m[1].split("\\").join("/")
  );
}

for (
  const name of [
    "DICOMDIR",
    "DICOMDIR-bigEnd",
    "DICOMDIR-implicit",
    "DICOMDIR-nopatient",
    "DICOMDIR-reordered",
    "TINY_ALPHA/DICOMDIR",
  ]
) {
  Deno.test(`readDicomdir: corpus ${name} gives dcmdump's references, every file there`, async () => {
    const path = `${DIRS}/${name}`;
    const refs = await readDicomdir(path);
    const expected = await dcmdumpReferences(path);
    assert.ok(expected.length >= 31, `${expected.length} references`);
    assert.deepEqual(refs.files, expected);
    assert.deepEqual(refs.invalid, []);
    assert.deepEqual(refs.missing, []);
  });
}

Deno.test("readDicomdir: a record running past the end of the file (DICOMDIR-nooffset) ends there", async () => {
  const refs = await readDicomdir(`${DIRS}/DICOMDIR-nooffset`);
  assert.deepEqual(refs.files, await dcmdumpReferences(`${DIRS}/DICOMDIR`));
});

Deno.test("readDicomdir: a DICOMDIR without records references nothing", async () => {
  assert.deepEqual(await readDicomdir(`${DIRS}/DICOMDIR-empty.dcm`), {
    files: [],
    invalid: [],
    missing: [],
  });
});

Deno.test("readDicomdir: a file that is not a DICOMDIR is a DicomdirError", async () => {
  await assert.rejects(
    () => readDicomdir(`${DIRS}/77654033/CR1/6154`),
    (e) => e instanceof DicomdirError && /not a DICOMDIR/.test(e.message),
  );
  await assert.rejects(
    () => readDicomdir(`${DIRS}/README.txt`),
    (e) => e instanceof DicomdirError && /not a DICOM file/.test(e.message),
  );
});

// ---------------------------------------------------------------------------------------------
// Generated DICOMDIRs

function record(id: string | undefined, extra: ElementSpec[] = [], undefinedLength = true) {
  const elements: ElementSpec[] = [
    { tag: 0x00041400, vr: "UL", value: [0] },
    ...extra,
    { tag: 0x00041430, vr: "CS", value: id ? "IMAGE" : "PATIENT" },
  ];
  if (id) elements.push({ tag: 0x00041500, vr: "CS", value: id });
  // A private sequence in a record is walked over.
  elements.push({
    tag: 0x00091010,
    vr: "SQ",
    value: [{ elements: [{ tag: 0x00100010, vr: "PN", value: "X" }], undefinedLength: true }],
    undefinedLength: true,
  });
  return { elements, undefinedLength } satisfies ItemSpec;
}

function dicomdirBytes(records: ItemSpec[], transferSyntaxUid: string, undefinedSq = true) {
  return encodePart10({
    sopClassUid: MEDIA_STORAGE_DIRECTORY_STORAGE,
    sopInstanceUid: "2.25.77",
    transferSyntaxUid,
  }, [
    { tag: 0x00041130, vr: "CS", value: "TEST" },
    { tag: 0x00041220, vr: "SQ", value: records, undefinedLength: undefinedSq },
  ]);
}

async function withFolder(body: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "storescu-dicomdir-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (
  const [ts, name] of [
    ["1.2.840.10008.1.2.1", "Explicit VR LE"],
    ["1.2.840.10008.1.2", "Implicit VR LE"],
    ["1.2.840.10008.1.2.2", "Explicit VR BE"],
    ["1.2.840.10008.1.2.1.99", "Deflated"],
  ]
) {
  Deno.test(`readDicomdir: generated (${name}, undefined and defined lengths)`, async () => {
    await withFolder(async (dir) => {
      await Deno.mkdir(`${dir}/A/B`, { recursive: true });
      for (const f of ["A/B/IM1", "A/B/IM2", "A/IM3"]) await Deno.writeTextFile(`${dir}/${f}`, "x");
      for (const undefinedSq of [true, false]) {
        const records = [
          record(undefined),
          record("A\\B\\IM1"),
          record("A\\B\\IM2 ", [], false), // padded, defined-length item
          record("A\\IM3"),
          record("A\\B\\IM1"), // twice: once
        ];
        await Deno.writeFile(`${dir}/DICOMDIR`, dicomdirBytes(records, ts, undefinedSq));
        const refs = await readDicomdir(`${dir}/DICOMDIR`);
        assert.deepEqual(refs.files, [`${dir}/A/B/IM1`, `${dir}/A/B/IM2`, `${dir}/A/IM3`]);
      }
    });
  });
}

Deno.test("readDicomdir: inactive records left out; '..' and empty components refused; missing files listed", async () => {
  await withFolder(async (dir) => {
    await Deno.writeTextFile(`${dir}/IM1`, "x");
    await Deno.writeFile(
      `${dir}/DICOMDIR`,
      dicomdirBytes([
        record("IM1"),
        record("GONE", [{ tag: 0x00041410, vr: "US", value: [0] }]), // inactive
        record("..\\..\\ETC\\PASSWD"),
        record("A\\\\B"),
        record("NOFILE"),
      ], "1.2.840.10008.1.2.1"),
    );
    const refs = await readDicomdir(`${dir}/DICOMDIR`);
    assert.deepEqual(refs.files, [`${dir}/IM1`]);
    assert.deepEqual(refs.invalid, ["..\\..\\ETC\\PASSWD", "A\\\\B"]);
    assert.deepEqual(refs.missing, [`${dir}/NOFILE`]);
  });
});

Deno.test("readDicomdir: a file ID missing as written is found in lower case (media mounted so)", async () => {
  await withFolder(async (dir) => {
    await Deno.mkdir(`${dir}/pt000000`);
    await Deno.writeTextFile(`${dir}/pt000000/im000001`, "x");
    await Deno.writeFile(
      `${dir}/DICOMDIR`,
      dicomdirBytes([record("PT000000\\IM000001")], "1.2.840.10008.1.2.1"),
    );
    assert.deepEqual((await readDicomdir(`${dir}/DICOMDIR`)).files, [`${dir}/pt000000/im000001`]);
  });
});

Deno.test("readDicomdir: a relative DICOMDIR path gives relative references", async () => {
  const refs = await readDicomdir(
    "../shared/corpus/pydicom/test_files/dicomdirtests/DICOMDIR",
  );
  assert.equal(
    refs.files[0],
    "../shared/corpus/pydicom/test_files/dicomdirtests/77654033/CR1/6154",
  );
});

Deno.test("readDicomdir: a record cut inside an element is a DicomdirError", async () => {
  await withFolder(async (dir) => {
    const bytes = dicomdirBytes([record("IM1"), record("IM2")], "1.2.840.10008.1.2.1");
    await Deno.writeFile(`${dir}/DICOMDIR`, bytes.subarray(0, bytes.length - 40));
    await assert.rejects(
      () => readDicomdir(`${dir}/DICOMDIR`),
      (e) => e instanceof DicomdirError && /cut short or malformed/.test(e.message),
    );
  });
});

Deno.test("referencedFileIds: nothing in an empty data set", () => {
  assert.deepEqual(
    referencedFileIds(new Uint8Array(0), { explicitVr: true, littleEndian: true }),
    [],
  );
});
