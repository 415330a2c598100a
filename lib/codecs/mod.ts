/**
 * Pixel-data codecs by transfer syntax: which syntaxes storescu can decode and encode, which
 * are lossy, and the codec for one (loaded with `await import()` the first time a file needs
 * it: a run that transcodes nothing never loads any).
 *
 * @example
 * ```ts
 * import { canDecode, isLossy } from "./mod.ts";
 * canDecode("1.2.840.10008.1.2.4.80"); // true (JPEG-LS)
 * isLossy("1.2.840.10008.1.2.4.50"); // true (JPEG Baseline)
 * ```
 *
 * @module
 */

import type { FrameCodec } from "./types.ts";

export { CodecError, type CodecErrorCode } from "./types.ts";
export type { Colour, FrameCodec, ImageInfo } from "./types.ts";

/** RLE Lossless. */
export const RLE_LOSSLESS = "1.2.840.10008.1.2.5";
/** JPEG-LS Lossless. */
export const JPEG_LS_LOSSLESS = "1.2.840.10008.1.2.4.80";
/** JPEG 2000 (Lossless Only). */
export const JPEG_2000_LOSSLESS = "1.2.840.10008.1.2.4.90";
/** HTJ2K (Lossless Only). */
export const HTJ2K_LOSSLESS = "1.2.840.10008.1.2.4.201";

type Family = "rle" | "jpeg" | "jpeg-ls" | "j2k" | "htj2k";

const FAMILY: ReadonlyMap<string, Family> = new Map([
  [RLE_LOSSLESS, "rle"],
  ["1.2.840.10008.1.2.4.50", "jpeg"],
  ["1.2.840.10008.1.2.4.51", "jpeg"],
  ["1.2.840.10008.1.2.4.57", "jpeg"],
  ["1.2.840.10008.1.2.4.70", "jpeg"],
  [JPEG_LS_LOSSLESS, "jpeg-ls"],
  ["1.2.840.10008.1.2.4.81", "jpeg-ls"],
  [JPEG_2000_LOSSLESS, "j2k"],
  ["1.2.840.10008.1.2.4.91", "j2k"],
  [HTJ2K_LOSSLESS, "htj2k"],
  ["1.2.840.10008.1.2.4.202", "htj2k"],
  ["1.2.840.10008.1.2.4.203", "htj2k"],
]);

/**
 * Syntaxes whose compression may have lost information: JPEG Baseline and Extended, JPEG-LS
 * near-lossless, JPEG 2000 and HTJ2K that are not "Lossless Only" (such files are treated as
 * lossy whatever their streams say, as `dcmsend` does).
 */
const LOSSY: ReadonlySet<string> = new Set([
  "1.2.840.10008.1.2.4.50",
  "1.2.840.10008.1.2.4.51",
  "1.2.840.10008.1.2.4.81",
  "1.2.840.10008.1.2.4.91",
  "1.2.840.10008.1.2.4.93",
  "1.2.840.10008.1.2.4.203",
]);

/** The `--compress` names and the (lossless) syntax each encodes to. */
export const COMPRESSIONS: Readonly<Record<string, string>> = {
  rle: RLE_LOSSLESS,
  "jpeg-ls": JPEG_LS_LOSSLESS,
  j2k: JPEG_2000_LOSSLESS,
  htj2k: HTJ2K_LOSSLESS,
};

/**
 * True when storescu can decode pixel data stored in `transferSyntaxUid`.
 *
 * @example
 * ```ts
 * import { canDecode } from "./mod.ts";
 * canDecode("1.2.840.10008.1.2.4.100"); // false (MPEG-2)
 * ```
 */
export function canDecode(transferSyntaxUid: string): boolean {
  return FAMILY.has(transferSyntaxUid);
}

/**
 * True when storescu can encode to `transferSyntaxUid` (the `--compress` syntaxes).
 *
 * @example
 * ```ts
 * import { canEncode } from "./mod.ts";
 * canEncode("1.2.840.10008.1.2.4.80"); // true
 * canEncode("1.2.840.10008.1.2.4.50"); // false: no lossy encoding
 * ```
 */
export function canEncode(transferSyntaxUid: string): boolean {
  return Object.values(COMPRESSIONS).includes(transferSyntaxUid);
}

/**
 * True when pixel data in `transferSyntaxUid` may have been compressed lossily.
 *
 * @example
 * ```ts
 * import { isLossy } from "./mod.ts";
 * isLossy("1.2.840.10008.1.2.4.91"); // true
 * isLossy("1.2.840.10008.1.2.4.90"); // false
 * ```
 */
export function isLossy(transferSyntaxUid: string): boolean {
  return LOSSY.has(transferSyntaxUid);
}

const loaded = new Map<string, Promise<FrameCodec>>();

/**
 * The codec for `transferSyntaxUid`, loaded on first use, to decode or to encode (`use`: a
 * family may decode with another build than it encodes with). Throws `TypeError` for a syntax
 * {@link canDecode} refuses.
 *
 * @example
 * ```ts
 * import { loadCodec } from "./mod.ts";
 * const rle = await loadCodec("1.2.840.10008.1.2.5");
 * rle.name; // "RLE Lossless (TypeScript, PackBits in WebAssembly; PS3.5 Annex G)"
 * ```
 */
export function loadCodec(
  transferSyntaxUid: string,
  use: "decode" | "encode" = "decode",
): Promise<FrameCodec> {
  const family = FAMILY.get(transferSyntaxUid);
  if (!family) return Promise.reject(new TypeError(`no codec for ${transferSyntaxUid}`));
  const key = family === "jpeg-ls" ? `${family} ${use}` : family;
  let p = loaded.get(key);
  if (!p) {
    p = load(family, use);
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));
  }
  return p;
}

async function load(family: Family, use: "decode" | "encode"): Promise<FrameCodec> {
  switch (family) {
    case "rle":
      return (await import("./rle.ts")).rleCodec;
    case "jpeg":
      return await (await import("./jpeg.ts")).loadJpegCodec();
    case "jpeg-ls":
      return await (await import("./jpegls.ts")).loadJpegLsCodec(use);
    case "j2k":
      return await (await import("./j2k.ts")).loadJ2kCodec(false);
    case "htj2k":
      return await (await import("./j2k.ts")).loadJ2kCodec(true);
  }
}
