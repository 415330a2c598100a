/**
 * UIDs this tool knows by name: transfer syntaxes (with their encoding properties) and
 * storage SOP classes (the reference tool's default list plus the seed's conformance table).
 *
 * @module
 */

import { DEFAULT_STORAGE_SOP_CLASSES, EXTRA_STORAGE_SOP_CLASSES } from "./uids_data.ts";

export { DEFAULT_STORAGE_SOP_CLASSES, EXTRA_STORAGE_SOP_CLASSES };

/** Implicit VR Little Endian. */
export const IMPLICIT_VR_LE = "1.2.840.10008.1.2";
/** Explicit VR Little Endian. */
export const EXPLICIT_VR_LE = "1.2.840.10008.1.2.1";
/** Deflated Explicit VR Little Endian. */
export const DEFLATED_EXPLICIT_VR_LE = "1.2.840.10008.1.2.1.99";
/** Explicit VR Big Endian (retired, still proposed by the reference tool). */
export const EXPLICIT_VR_BE = "1.2.840.10008.1.2.2";
/** Verification SOP Class (C-ECHO). */
export const VERIFICATION_SOP_CLASS = "1.2.840.10008.1.1";
/** Media Storage Directory Storage: the SOP class of a DICOMDIR (never sent). */
export const MEDIA_STORAGE_DIRECTORY_STORAGE = "1.2.840.10008.1.3.10";

/** How a transfer syntax encodes a data set. */
export interface TransferSyntaxInfo {
  /** The UID. */
  uid: string;
  /** Its name. */
  name: string;
  /** VR written in each element header. */
  explicitVr: boolean;
  /** Little endian byte order. */
  littleEndian: boolean;
  /** The whole data set is raw-deflate compressed. */
  deflated: boolean;
  /** Pixel data is encapsulated (compressed); the data set can't be converted to another. */
  encapsulated: boolean;
}

function ts(
  uid: string,
  name: string,
  explicitVr = true,
  littleEndian = true,
  deflated = false,
  encapsulated = true,
): TransferSyntaxInfo {
  return { uid, name, explicitVr, littleEndian, deflated, encapsulated };
}

const TRANSFER_SYNTAX_LIST: TransferSyntaxInfo[] = [
  ts(IMPLICIT_VR_LE, "Implicit VR Little Endian", false, true, false, false),
  ts(EXPLICIT_VR_LE, "Explicit VR Little Endian", true, true, false, false),
  ts("1.2.840.10008.1.2.1.98", "Encapsulated Uncompressed Explicit VR Little Endian"),
  ts(DEFLATED_EXPLICIT_VR_LE, "Deflated Explicit VR Little Endian", true, true, true, false),
  ts(EXPLICIT_VR_BE, "Explicit VR Big Endian", true, false, false, false),
  ts("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)"),
  ts("1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 and 4)"),
  ts("1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)"),
  ts(
    "1.2.840.10008.1.2.4.70",
    "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])",
  ),
  ts("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless Image Compression"),
  ts("1.2.840.10008.1.2.4.81", "JPEG-LS Lossy (Near-Lossless) Image Compression"),
  ts("1.2.840.10008.1.2.4.90", "JPEG 2000 Image Compression (Lossless Only)"),
  ts("1.2.840.10008.1.2.4.91", "JPEG 2000 Image Compression"),
  ts(
    "1.2.840.10008.1.2.4.92",
    "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)",
  ),
  ts("1.2.840.10008.1.2.4.93", "JPEG 2000 Part 2 Multi-component Image Compression"),
  ts("1.2.840.10008.1.2.4.94", "JPIP Referenced"),
  ts("1.2.840.10008.1.2.4.95", "JPIP Referenced Deflate"),
  ts("1.2.840.10008.1.2.4.100", "MPEG2 Main Profile / Main Level"),
  ts("1.2.840.10008.1.2.4.101", "MPEG2 Main Profile / High Level"),
  ts("1.2.840.10008.1.2.4.102", "MPEG-4 AVC/H.264 High Profile / Level 4.1"),
  ts("1.2.840.10008.1.2.4.103", "MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1"),
  ts("1.2.840.10008.1.2.4.104", "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video"),
  ts("1.2.840.10008.1.2.4.105", "MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video"),
  ts("1.2.840.10008.1.2.4.106", "MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2"),
  ts("1.2.840.10008.1.2.4.107", "HEVC/H.265 Main Profile / Level 5.1"),
  ts("1.2.840.10008.1.2.4.108", "HEVC/H.265 Main 10 Profile / Level 5.1"),
  ts("1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 Image Compression (Lossless Only)"),
  ts(
    "1.2.840.10008.1.2.4.202",
    "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)",
  ),
  ts("1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000 Image Compression"),
  ts("1.2.840.10008.1.2.5", "RLE Lossless"),
  ts("1.2.840.10008.1.2.8.1", "Deflated Image Frame Compression"),
];

/** Every transfer syntax this tool knows, by UID. */
export const TRANSFER_SYNTAXES: ReadonlyMap<string, TransferSyntaxInfo> = new Map(
  TRANSFER_SYNTAX_LIST.map((t) => [t.uid, t]),
);

/** The four transfer syntaxes a data set can be converted between, element by element. */
export const UNCOMPRESSED_TRANSFER_SYNTAXES: readonly string[] = [
  EXPLICIT_VR_LE,
  IMPLICIT_VR_LE,
  DEFLATED_EXPLICIT_VR_LE,
  EXPLICIT_VR_BE,
];

/**
 * True when data sets in `uid` can be re-encoded element by element (one of the four
 * uncompressed transfer syntaxes).
 *
 * @example
 * ```ts
 * import { isConvertible } from "jsr:@x/storescu/uids";
 * isConvertible("1.2.840.10008.1.2"); // true
 * isConvertible("1.2.840.10008.1.2.4.50"); // false (JPEG)
 * ```
 */
export function isConvertible(uid: string): boolean {
  return UNCOMPRESSED_TRANSFER_SYNTAXES.includes(uid);
}

const SOP_CLASS_NAMES: ReadonlyMap<string, string> = new Map([
  [VERIFICATION_SOP_CLASS, "Verification SOP Class"],
  ...DEFAULT_STORAGE_SOP_CLASSES,
  ...EXTRA_STORAGE_SOP_CLASSES,
  ["1.2.840.10008.1.3.10", "Media Storage Directory Storage"],
] as [string, string][]);

/**
 * The name of a known SOP class or transfer syntax, or `undefined`.
 *
 * @example
 * ```ts
 * import { uidName } from "jsr:@x/storescu/uids";
 * uidName("1.2.840.10008.5.1.4.1.1.2"); // "CT Image Storage"
 * ```
 */
export function uidName(uid: string): string | undefined {
  return SOP_CLASS_NAMES.get(uid) ?? TRANSFER_SYNTAXES.get(uid)?.name;
}

/**
 * The name of a UID if known, else the UID itself (for messages).
 *
 * @example
 * ```ts
 * import { uidNameOrUid } from "jsr:@x/storescu/uids";
 * uidNameOrUid("1.2.3.4"); // "1.2.3.4"
 * ```
 */
export function uidNameOrUid(uid: string): string {
  return uidName(uid) ?? uid;
}

/**
 * The storage SOP classes this tool knows: the 120 default ones then the seed's extras.
 *
 * @example
 * ```ts
 * import { allStorageSopClasses } from "jsr:@x/storescu/uids";
 * allStorageSopClasses().length; // 150
 * ```
 */
export function allStorageSopClasses(): string[] {
  return [...DEFAULT_STORAGE_SOP_CLASSES, ...EXTRA_STORAGE_SOP_CLASSES].map(([uid]) => uid);
}
