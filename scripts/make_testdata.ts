/**
 * Generates the repository's own small sample files into `testdata/` with the element writer
 * in `lib/part10/writer.ts`. Deterministic (UIDs under 2.25 derived from names).
 * Run: `deno run -W -R scripts/make_testdata.ts`.
 *
 * @module
 */

import {
  DEFLATED_EXPLICIT_VR_LE,
  EXPLICIT_VR_BE,
  EXPLICIT_VR_LE,
  IMPLICIT_VR_LE,
} from "../lib/uids.ts";
import { type ElementSpec, encodePart10, type ItemSpec } from "../lib/part10/writer.ts";

/**
 * A deterministic UID under the 2.25 (UUID-derived) root: FNV-1a (128 bit) of `name`.
 *
 * @example
 * ```ts
 * import { uidFor } from "./make_testdata.ts";
 * uidFor("ct").startsWith("2.25."); // true
 * ```
 */
export function uidFor(name: string): string {
  let h = 0x6c62272e07bb014262b821756295c58dn;
  const prime = 0x0000000001000000000000000000013bn;
  const mask = (1n << 128n) - 1n;
  for (const c of new TextEncoder().encode(`storescu-testdata:${name}`)) {
    h = ((h ^ BigInt(c)) * prime) & mask;
  }
  return `2.25.${h >> 1n}`;
}

const CT = "1.2.840.10008.5.1.4.1.1.2";
const MR = "1.2.840.10008.5.1.4.1.1.4";
const SC = "1.2.840.10008.5.1.4.1.1.7";
const RT_PLAN = "1.2.840.10008.5.1.4.1.1.481.5";
const US = "1.2.840.10008.5.1.4.1.1.6.1";

function patient(name: string): ElementSpec[] {
  return [
    { tag: 0x00100010, vr: "PN", value: `TEST^${name.toUpperCase()}` },
    { tag: 0x00100020, vr: "LO", value: `ID-${name}` },
    { tag: 0x00100030, vr: "DA", value: "19700101" },
    { tag: 0x00100040, vr: "CS", value: "O" },
  ];
}

function study(name: string): ElementSpec[] {
  return [
    { tag: 0x0020000d, vr: "UI", value: uidFor(`${name}:study`) },
    { tag: 0x0020000e, vr: "UI", value: uidFor(`${name}:series`) },
    { tag: 0x00200010, vr: "SH", value: "1" },
    { tag: 0x00200011, vr: "IS", value: "1" },
    { tag: 0x00200013, vr: "IS", value: "1" },
  ];
}

function sop(name: string, sopClass: string, modality: string): ElementSpec[] {
  return [
    { tag: 0x00080005, vr: "CS", value: "ISO_IR 100" },
    { tag: 0x00080008, vr: "CS", value: "ORIGINAL\\PRIMARY\\AXIAL" },
    { tag: 0x00080016, vr: "UI", value: sopClass },
    { tag: 0x00080018, vr: "UI", value: uidFor(name) },
    { tag: 0x00080020, vr: "DA", value: "20240102" },
    { tag: 0x00080030, vr: "TM", value: "120000" },
    { tag: 0x00080060, vr: "CS", value: modality },
    { tag: 0x00080070, vr: "LO", value: "storescu test data" },
  ];
}

/** A gradient image, `bits` 8 or 16, little-endian sample bytes. */
function pixels(rows: number, cols: number, bits: number, samples = 1, signed = false): Uint8Array {
  const n = rows * cols * samples;
  const out = new Uint8Array(n * (bits / 8));
  const dv = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const x = i % cols;
    const y = Math.floor(i / cols) % rows;
    if (bits === 8) out[i] = (x * 4 + y * 2 + i % samples * 40) & 0xff;
    else if (signed) dv.setInt16(i * 2, (x - y) * 37 - 1000, true);
    else dv.setUint16(i * 2, x * 64 + y * 16 + 100, true);
  }
  return out;
}

function image(rows: number, cols: number, bits: number, signed: boolean): ElementSpec[] {
  return [
    { tag: 0x00280002, vr: "US", value: [1] },
    { tag: 0x00280004, vr: "CS", value: "MONOCHROME2" },
    { tag: 0x00280010, vr: "US", value: [rows] },
    { tag: 0x00280011, vr: "US", value: [cols] },
    { tag: 0x00280100, vr: "US", value: [bits] },
    { tag: 0x00280101, vr: "US", value: [bits] },
    { tag: 0x00280102, vr: "US", value: [bits - 1] },
    { tag: 0x00280103, vr: "US", value: [signed ? 1 : 0] },
  ];
}

function code(value: string, scheme: string, meaning: string): ItemSpec {
  return {
    elements: [
      { tag: 0x00080100, vr: "SH", value },
      { tag: 0x00080102, vr: "SH", value: scheme },
      { tag: 0x00080104, vr: "LO", value: meaning },
    ],
  };
}

/** The sample files: name → [meta transfer syntax, SOP class, elements]. */
function samples(): Record<string, [string, string, ElementSpec[]]> {
  const ct = "ct_explicit_le";
  const mr = "mr_implicit_le";
  const sc = "sc_nested_undefined_explicit_le";
  const rt = "rtplan_defined_implicit_le";
  const be = "us_explicit_be";
  const dfl = "sc_deflated";
  return {
    [ct]: [EXPLICIT_VR_LE, CT, [
      ...sop(ct, CT, "CT"),
      { tag: 0x00090010, vr: "LO", value: "STORESCU TEST" },
      { tag: 0x00091001, vr: "SL", value: [-123456] },
      { tag: 0x00091002, vr: "DS", value: "3.25" },
      ...patient(ct),
      { tag: 0x00180050, vr: "DS", value: "1.25" },
      { tag: 0x00180060, vr: "DS", value: "120" },
      ...study(ct),
      { tag: 0x00200032, vr: "DS", value: "-100\\-100\\25.5" },
      { tag: 0x00200037, vr: "DS", value: "1\\0\\0\\0\\1\\0" },
      ...image(64, 64, 16, true),
      { tag: 0x00280106, vr: "SS", value: [-3331] },
      { tag: 0x00280107, vr: "SS", value: [1331] },
      { tag: 0x00281050, vr: "DS", value: "40" },
      { tag: 0x00281051, vr: "DS", value: "400" },
      { tag: 0x00281052, vr: "DS", value: "-1024" },
      { tag: 0x00281053, vr: "DS", value: "1" },
      { tag: 0x7fe00010, vr: "OW", value: pixels(64, 64, 16, 1, true) },
    ]],
    [mr]: [IMPLICIT_VR_LE, MR, [
      ...sop(mr, MR, "MR"),
      ...patient(mr),
      { tag: 0x00180080, vr: "DS", value: "500" },
      { tag: 0x00180081, vr: "DS", value: "20" },
      { tag: 0x00180087, vr: "DS", value: "1.5" },
      ...study(mr),
      ...image(64, 64, 16, false),
      { tag: 0x00280106, vr: "US", value: [100] },
      { tag: 0x00280107, vr: "US", value: [4132] },
      { tag: 0x7fe00010, vr: "OW", value: pixels(64, 64, 16) },
    ]],
    [sc]: [EXPLICIT_VR_LE, SC, [
      ...sop(sc, SC, "OT"),
      {
        tag: 0x00081032,
        vr: "SQ",
        undefinedLength: true,
        value: [
          {
            undefinedLength: true,
            elements: [
              { tag: 0x00080100, vr: "SH", value: "SC-1" },
              { tag: 0x00080102, vr: "SH", value: "99TEST" },
              { tag: 0x00080104, vr: "LO", value: "Nested test code" },
              {
                tag: 0x00400260,
                vr: "SQ",
                undefinedLength: true,
                value: [
                  { undefinedLength: true, elements: code("N-1", "99TEST", "inner one").elements },
                  { elements: code("N-2", "99TEST", "inner two (defined length)").elements },
                ],
              },
            ],
          },
          code("SC-2", "99TEST", "second item, defined length"),
        ],
      },
      ...patient(sc),
      { tag: 0x00080064, vr: "CS", value: "WSD" },
      ...study(sc),
      { tag: 0x00280002, vr: "US", value: [3] },
      { tag: 0x00280004, vr: "CS", value: "RGB" },
      { tag: 0x00280006, vr: "US", value: [0] },
      { tag: 0x00280010, vr: "US", value: [16] },
      { tag: 0x00280011, vr: "US", value: [16] },
      { tag: 0x00280100, vr: "US", value: [8] },
      { tag: 0x00280101, vr: "US", value: [8] },
      { tag: 0x00280102, vr: "US", value: [7] },
      { tag: 0x00280103, vr: "US", value: [0] },
      { tag: 0x7fe00010, vr: "OB", value: pixels(16, 16, 8, 3) },
    ]],
    [rt]: [IMPLICIT_VR_LE, RT_PLAN, [
      ...sop(rt, RT_PLAN, "RTPLAN"),
      ...patient(rt),
      ...study(rt),
      { tag: 0x300a0002, vr: "SH", value: "PLAN1" },
      { tag: 0x300a000c, vr: "CS", value: "PATIENT" },
      {
        tag: 0x300a0010,
        vr: "SQ",
        value: [
          {
            elements: [
              { tag: 0x300a0012, vr: "IS", value: "1" },
              { tag: 0x300a0013, vr: "UI", value: uidFor(`${rt}:dose-ref`) },
              { tag: 0x300a0014, vr: "CS", value: "SITE" },
              { tag: 0x300a0020, vr: "CS", value: "TARGET" },
              { tag: 0x300a0026, vr: "DS", value: "60" },
            ],
          },
        ],
      },
      {
        tag: 0x300a0070,
        vr: "SQ",
        value: [
          {
            elements: [
              { tag: 0x300a0071, vr: "IS", value: "1" },
              { tag: 0x300a0078, vr: "IS", value: "30" },
              { tag: 0x300a0080, vr: "IS", value: "2" },
              {
                tag: 0x300c0004,
                vr: "SQ",
                value: [1, 2].map((b) => ({
                  elements: [
                    { tag: 0x300a0082, vr: "DS", value: "0\\0\\0" },
                    { tag: 0x300a0084, vr: "DS", value: "1.0" },
                    { tag: 0x300a0086, vr: "DS", value: "100.5" },
                    { tag: 0x300c0006, vr: "IS", value: String(b) },
                  ],
                })),
              },
            ],
          },
        ],
      },
      {
        tag: 0x300a00b0,
        vr: "SQ",
        value: [1, 2].map((b) => ({
          elements: [
            { tag: 0x300a00b2, vr: "SH", value: "LINAC" },
            { tag: 0x300a00b3, vr: "CS", value: "MU" },
            { tag: 0x300a00c0, vr: "IS", value: String(b) },
            { tag: 0x300a00c2, vr: "LO", value: `BEAM${b}` },
            { tag: 0x300a00c4, vr: "CS", value: "STATIC" },
            { tag: 0x300a00c6, vr: "CS", value: "PHOTON" },
            { tag: 0x300a0110, vr: "IS", value: "2" },
            {
              tag: 0x300a0111,
              vr: "SQ",
              value: [0, 1].map((i) => ({
                elements: [
                  { tag: 0x300a0112, vr: "IS", value: String(i) },
                  { tag: 0x300a0114, vr: "DS", value: "6" },
                  { tag: 0x300a011e, vr: "DS", value: String(b * 90) },
                  { tag: 0x300a0134, vr: "DS", value: String(i) },
                ],
              })),
            },
          ],
        })),
      },
    ]],
    [be]: [EXPLICIT_VR_BE, US, [
      ...sop(be, US, "US"),
      { tag: 0x00090010, vr: "LO", value: "STORESCU BE" },
      { tag: 0x00091011, vr: "FD", value: [Math.PI, -2.5] },
      { tag: 0x00091012, vr: "FL", value: [1.5] },
      { tag: 0x00091013, vr: "AT", value: [0x00280010, 0x7fe00010] },
      { tag: 0x00091014, vr: "UL", value: [0x01020304] },
      { tag: 0x00091015, vr: "OB", value: new Uint8Array([1, 2, 3, 4, 5, 6]) },
      ...patient(be),
      {
        tag: 0x00186011,
        vr: "SQ",
        value: [
          {
            elements: [
              { tag: 0x00186012, vr: "US", value: [1] },
              { tag: 0x00186014, vr: "US", value: [1] },
              { tag: 0x00186016, vr: "UL", value: [0] },
              { tag: 0x00186018, vr: "UL", value: [0] },
              { tag: 0x0018601a, vr: "UL", value: [0] },
              { tag: 0x0018601c, vr: "UL", value: [31] },
              { tag: 0x0018601e, vr: "UL", value: [31] },
              { tag: 0x0018602c, vr: "FD", value: [0.01] },
              { tag: 0x0018602e, vr: "FD", value: [0.01] },
            ],
          },
        ],
      },
      ...study(be),
      ...image(32, 32, 16, false),
      { tag: 0x7fe00010, vr: "OW", value: pixels(32, 32, 16) },
    ]],
    [dfl]: [DEFLATED_EXPLICIT_VR_LE, SC, [
      ...sop(dfl, SC, "OT"),
      ...patient(dfl),
      { tag: 0x00080064, vr: "CS", value: "WSD" },
      ...study(dfl),
      ...image(48, 48, 8, false),
      { tag: 0x7fe00010, vr: "OB", value: pixels(48, 48, 8) },
    ]],
  };
}

/** Sorts elements by tag, in items too (the writer keeps the given order). */
function sorted(elements: ElementSpec[]): ElementSpec[] {
  return [...elements].sort((a, b) => a.tag - b.tag).map((e) =>
    e.vr === "SQ"
      ? {
        ...e,
        value: (e.value as ItemSpec[]).map((i) => ({ ...i, elements: sorted(i.elements) })),
      }
      : e
  );
}

if (import.meta.main) {
  const dir = new URL("../testdata/", import.meta.url);
  await Deno.mkdir(dir, { recursive: true });
  for (const [name, [ts, sopClass, elements]] of Object.entries(samples())) {
    const bytes = encodePart10({
      sopClassUid: sopClass,
      sopInstanceUid: uidFor(name),
      transferSyntaxUid: ts,
      implementationClassUid: uidFor("implementation"),
    }, sorted(elements));
    const path = new URL(`${name}.dcm`, dir);
    await Deno.writeFile(path, bytes);
    console.log(`${path.pathname}: ${bytes.length} bytes`);
  }
}
