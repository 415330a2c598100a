/**
 * Tag → VR lookups for Implicit VR data sets, from the generated dcmtk dictionary table.
 *
 * @module
 */

import { ALPHABET, DATA, RANGES, VRS } from "./dictionary_data.ts";

/** What an element's VR may depend on: values seen earlier in the same data set or item. */
export interface VrContext {
  /** (0028,0103) Pixel Representation: 1 = signed (xs → SS). */
  pixelRepresentation?: number;
}

let tags: Uint32Array | undefined;
let vrIndex: Uint8Array | undefined;

function decode(): void {
  const values = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) values[ALPHABET.charCodeAt(i)] = i;
  const t: number[] = [];
  const v: number[] = [];
  let prev = 0;
  let i = 0;
  while (i < DATA.length) {
    v.push(values[DATA.charCodeAt(i++)]);
    let delta = 0;
    let scale = 1;
    for (;;) {
      const c = values[DATA.charCodeAt(i++)];
      delta += (c & 31) * scale;
      scale *= 32;
      if (c < 32) break;
    }
    prev += delta;
    t.push(prev);
  }
  tags = Uint32Array.from(t);
  vrIndex = Uint8Array.from(v);
}

function parityOk(n: number, parity: string): boolean {
  return parity === "u" || (parity === "e" ? (n & 1) === 0 : (n & 1) === 1);
}

/**
 * The VR that dcmtk's dictionary gives a tag, including its pseudo VRs ("xs", "ox", "lt", "up",
 * "na", "px"); generic rules for group lengths and private creators; `undefined` if unknown.
 *
 * @example
 * ```ts
 * import { dictionaryVr } from "jsr:@x/storescu/part10";
 * dictionaryVr(0x00280106); // "xs"
 * dictionaryVr(0x00091001); // undefined (private)
 * ```
 */
export function dictionaryVr(tag: number): string | undefined {
  if (!tags) decode();
  const t = tags!;
  let lo = 0;
  let hi = t.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const x = t[mid];
    if (x === tag) return VRS[vrIndex![mid]];
    if (x < tag) lo = mid + 1;
    else hi = mid - 1;
  }
  const group = tag >>> 16;
  const elem = tag & 0xffff;
  if (elem === 0) return "UL";
  if ((group & 1) === 1) {
    return elem >= 0x0010 && elem <= 0x00ff ? "LO" : undefined;
  }
  for (const [gLo, gHi, gP, eLo, eHi, eP, vr] of RANGES) {
    if (
      group >= gLo && group <= gHi && elem >= eLo && elem <= eHi && parityOk(group, gP) &&
      parityOk(elem, eP)
    ) return vr;
  }
  return undefined;
}

const LUT_DESCRIPTORS = new Set([
  0x00281100,
  0x00281101,
  0x00281102,
  0x00281103,
  0x00281111,
  0x00281112,
  0x00281113,
  0x00283002,
]);

/**
 * The VR to write for `tag` when converting from Implicit VR: the dictionary VR with pseudo VRs
 * resolved (xs → US, or SS when Pixel Representation is 1; LUT descriptors → US; Pixel Data →
 * OW as dcmtk writes it, whatever Bits Allocated; other ox/lt → OW; up → UL), "UL" for group lengths,
 * "LO" for private creators, "UN" for other private and unknown tags.
 *
 * @example
 * ```ts
 * import { vrForTag } from "jsr:@x/storescu/part10";
 * vrForTag(0x00100010); // "PN"
 * vrForTag(0x00280106, { pixelRepresentation: 1 }); // "SS"
 * vrForTag(0x7fe00010); // "OW"
 * vrForTag(0x00091001); // "UN"
 * ```
 */
export function vrForTag(tag: number, context?: VrContext): string {
  const vr = dictionaryVr(tag);
  switch (vr) {
    case undefined:
    case "na":
      return "UN";
    case "xs":
      if (LUT_DESCRIPTORS.has(tag)) return "US";
      return context?.pixelRepresentation === 1 ? "SS" : "US";
    case "px":
    case "ox":
    case "lt":
      // Like dcmtk: Pixel Data read as Implicit VR is OW (PS3.5 A.1) whatever Bits Allocated.
      return "OW";
    case "up":
      return "UL";
    default:
      return vr;
  }
}
