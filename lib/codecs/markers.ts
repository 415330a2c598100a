/**
 * The frame header of a JPEG or JPEG-LS stream (ISO 10918-1 B.2, ISO 14495-1 C.2): read before
 * decoding, so that a stream that doesn't match the data set's attributes is refused instead
 * of decoded into the wrong layout.
 *
 * @module
 */

import { CodecError } from "./types.ts";

/** What the SOF and first SOS segments say. */
export interface JpegHeader {
  /** The SOF marker (0xFFC0–0xFFCF, 0xFFF7 for JPEG-LS). */
  sof: number;
  /** Sample precision P in bits. */
  precision: number;
  /** Number of lines Y. */
  rows: number;
  /** Samples per line X. */
  columns: number;
  /** Components in the frame Nf. */
  components: number;
  /** Components in the first scan Ns. */
  scanComponents: number;
  /** JPEG-LS: interleave mode of the first scan (0 none, 1 line, 2 sample). */
  interleave: number;
}

/**
 * Reads the frame header of a JPEG or JPEG-LS stream (up to its first SOS).
 * Throws {@link CodecError} "corrupt" when there is none.
 *
 * @example
 * ```ts
 * import { readJpegHeader } from "./markers.ts";
 * // SOI, SOF0 (P 8, Y 2, X 3, 1 component), SOS (1 component)
 * const jpeg = new Uint8Array([
 *   0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0, 2, 0, 3, 1, 1, 0x11, 0,
 *   0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0,
 * ]);
 * readJpegHeader(jpeg).columns; // 3
 * ```
 */
export function readJpegHeader(frame: Uint8Array): JpegHeader {
  const f = frame;
  if (f.length < 4 || f[0] !== 0xff || f[1] !== 0xd8) {
    throw new CodecError("corrupt", "the frame doesn't start with a JPEG SOI marker (FFD8)");
  }
  let header: JpegHeader | undefined;
  let i = 2;
  while (i + 4 <= f.length) {
    if (f[i] !== 0xff) {
      throw new CodecError("corrupt", `no JPEG marker at byte ${i} of the frame`);
    }
    const m = 0xff00 | f[i + 1];
    if (m === 0xffff) {
      i++; // fill byte
      continue;
    }
    if (m === 0xff01 || (m >= 0xffd0 && m <= 0xffd7)) {
      // TEM and RSTn stand alone (no length). Whatever follows must be the next marker: IJG
      // libjpeg 6b (DCMTK's dcmdjpeg too) loops for ever on some streams with bytes there.
      i += 2;
      continue;
    }
    if (m === 0xffd8 || m === 0xffd9) {
      throw new CodecError(
        "corrupt",
        `a JPEG ${m === 0xffd8 ? "SOI" : "EOI"} marker at byte ${i} before the frame header`,
      );
    }
    const length = (f[i + 2] << 8) | f[i + 3];
    const body = i + 4;
    if (length < 2 || body + length - 2 > f.length) break;
    const isSof = (m >= 0xffc0 && m <= 0xffcf && m !== 0xffc4 && m !== 0xffc8 && m !== 0xffcc) ||
      m === 0xfff7;
    if (isSof && length >= 8) {
      header = {
        sof: m,
        precision: f[body],
        rows: (f[body + 1] << 8) | f[body + 2],
        columns: (f[body + 3] << 8) | f[body + 4],
        components: f[body + 5],
        scanComponents: 0,
        interleave: 0,
      };
    } else if (m === 0xffda) {
      if (!header) break;
      const ns = f[body];
      header.scanComponents = ns;
      // JPEG-LS: Ns, Ns × (Ci, Tmi), NEAR, ILV, Al/Ah
      header.interleave = f[body + 1 + 2 * ns + 1] ?? 0;
      return header;
    }
    i = body + length - 2;
  }
  throw new CodecError("corrupt", "no complete JPEG frame header (SOF and SOS) in the frame");
}

/** What a JPEG 2000 codestream's SIZ segment says. */
export interface J2kHeader {
  /** Image width (Xsiz − XOsiz). */
  columns: number;
  /** Image height (Ysiz − YOsiz). */
  rows: number;
  /** Components (Csiz). */
  components: number;
  /** Bit depth of the first component. */
  precision: number;
  /** The first component is signed. */
  signed: boolean;
}

/**
 * Reads the SIZ segment of a JPEG 2000 (or HTJ2K) codestream, which may sit inside a JP2
 * wrapper. Throws {@link CodecError} "corrupt" when there is none.
 *
 * @example
 * ```ts
 * import { readJ2kHeader } from "./markers.ts";
 * // SOC, SIZ (Lsiz 41): Rsiz 0, 64x32 at 0,0, tiles 64x32 at 0,0, 1 component of 16 bits, signed
 * const siz = new Uint8Array([
 *   0xff, 0x4f, 0xff, 0x51, 0, 41, 0, 0, 0, 0, 0, 64, 0, 0, 0, 32, 0, 0, 0, 0, 0, 0, 0, 0,
 *   0, 0, 0, 64, 0, 0, 0, 32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x8f, 1, 1,
 * ]);
 * readJ2kHeader(siz); // { columns: 64, rows: 32, components: 1, precision: 16, signed: true }
 * ```
 */
export function readJ2kHeader(frame: Uint8Array): J2kHeader {
  const f = frame;
  // The codestream starts with SOC + SIZ; in a JP2 file it follows the boxes before it.
  let i = -1;
  const limit = Math.min(f.length - 4, 64 * 1024);
  for (let k = 0; k <= limit; k++) {
    if (f[k] === 0xff && f[k + 1] === 0x4f && f[k + 2] === 0xff && f[k + 3] === 0x51) {
      i = k + 4;
      break;
    }
  }
  if (i < 0 || i + 40 > f.length) {
    throw new CodecError("corrupt", "no JPEG 2000 codestream header (SOC, SIZ) in the frame");
  }
  const dv = new DataView(f.buffer, f.byteOffset, f.byteLength);
  const xsiz = dv.getUint32(i + 4);
  const ysiz = dv.getUint32(i + 8);
  const xo = dv.getUint32(i + 12);
  const yo = dv.getUint32(i + 16);
  const components = dv.getUint16(i + 36);
  const ssiz = f[i + 38];
  return {
    columns: xsiz - xo,
    rows: ysiz - yo,
    components,
    precision: (ssiz & 0x7f) + 1,
    signed: (ssiz & 0x80) !== 0,
  };
}
