/**
 * The one small interface every pixel-data codec family implements, and the image attributes
 * they need.
 *
 * @module
 */

/** How the samples of an image are to be read: colour model and layout. */
export interface Colour {
  /** (0028,0002) Samples per Pixel. */
  samplesPerPixel: number;
  /** (0028,0004) Photometric Interpretation, without padding. */
  photometricInterpretation: string;
  /** (0028,0006) Planar Configuration: 0 colour-by-pixel, 1 colour-by-plane. */
  planarConfiguration: number;
}

/** The Image Pixel attributes of a data set, as far as decoding and encoding need them. */
export interface ImageInfo extends Colour {
  /** (0028,0010) Rows. */
  rows: number;
  /** (0028,0011) Columns. */
  columns: number;
  /** (0028,0100) Bits Allocated. */
  bitsAllocated: number;
  /** (0028,0101) Bits Stored. */
  bitsStored: number;
  /** (0028,0103) Pixel Representation: 0 unsigned, 1 two's complement. */
  pixelRepresentation: number;
  /** (0028,0008) Number of Frames (1 when absent). */
  frames: number;
}

/** Why a codec could not do its work. */
export type CodecErrorCode =
  /** The image is outside what the codec (or storescu) handles: 1-bit J2K, 64-bit samples... */
  | "unsupported"
  /** The compressed stream is corrupt or doesn't match the image attributes. */
  | "corrupt"
  /** The codec returned fewer (or more) bytes than the frame holds. */
  | "length";

/**
 * A codec failed on one frame or refused an image.
 *
 * @example
 * ```ts
 * import { CodecError } from "./types.ts";
 * const e = new CodecError("corrupt", "RLE segment 2 ends early");
 * e.code; // "corrupt"
 * ```
 */
export class CodecError extends Error {
  /** Machine-readable reason. */
  readonly code: CodecErrorCode;

  /** Creates the error. */
  constructor(code: CodecErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CodecError";
    this.code = code;
  }
}

/**
 * One codec family (RLE, JPEG, JPEG-LS, JPEG 2000/HTJ2K) set up for one transfer syntax:
 * decodes frames to native pixel data and, where it can, encodes native frames (lossless).
 * Frames are handed over one at a time; a codec keeps nothing from one frame to the next.
 */
export interface FrameCodec {
  /** What runs, for `-d`: the library and how ("CharLS 2.3.4 (WebAssembly)"). */
  readonly name: string;
  /**
   * True when decoding a frame costs enough to be worth a codec thread (milliseconds: the
   * WebAssembly codecs); a frame's trip to a thread and back costs about what decoding an RLE
   * frame here does.
   */
  readonly threaded?: boolean;
  /**
   * The colour model and layout decoded frames come in, for an image stored with `stored`
   * (the Photometric Interpretation doesn't depend on the Planar Configuration: it can be
   * asked before the latter is known). Throws {@link CodecError} "unsupported" when the codec
   * can't deliver pixel data a receiver could read right.
   */
  decodedColour(stored: Colour): Colour;
  /**
   * Decodes one frame of `image` (its attributes as stored) into native pixel data laid out
   * as {@link FrameCodec.decodedColour} said, {@link frameLength} bytes. Throws
   * {@link CodecError}. With `into` (a buffer the caller reuses from frame to frame), the
   * codec may decode into it and return a view of it, valid until the caller reuses it: a new
   * array per frame costs more than the decoding of a simple one (its pages are zeroed and
   * faulted in afresh).
   */
  decode(frame: Uint8Array, image: ImageInfo, into?: Uint8Array): Uint8Array;
  /** The colour model and layout of encoded frames (PS3.5's rules for the syntax). */
  encodedColour?(native: Colour): Colour;
  /** Encodes one native frame of `image` losslessly. Throws {@link CodecError}. */
  encode?(pixels: Uint8Array, image: ImageInfo): Uint8Array;
}

/**
 * Just the colour attributes of `image`.
 *
 * @example
 * ```ts
 * import { colourOf } from "./types.ts";
 * colourOf({ samplesPerPixel: 1, photometricInterpretation: "MONOCHROME2", planarConfiguration: 0, rows: 2 } as never);
 * // { samplesPerPixel: 1, photometricInterpretation: "MONOCHROME2", planarConfiguration: 0 }
 * ```
 */
export function colourOf(image: Colour): Colour {
  return {
    samplesPerPixel: image.samplesPerPixel,
    photometricInterpretation: image.photometricInterpretation,
    planarConfiguration: image.planarConfiguration,
  };
}

/**
 * Bytes of one native frame: rows × columns × samples × bytes per sample (1-bit frames are
 * counted in whole bytes, rounded up).
 *
 * @example
 * ```ts
 * import { frameLength } from "./types.ts";
 * frameLength({ rows: 2, columns: 3, samplesPerPixel: 3, bitsAllocated: 8 } as never); // 18
 * ```
 */
export function frameLength(
  image: Pick<ImageInfo, "rows" | "columns" | "samplesPerPixel" | "bitsAllocated">,
): number {
  const samples = image.rows * image.columns * image.samplesPerPixel;
  return image.bitsAllocated === 1 ? Math.ceil(samples / 8) : samples * (image.bitsAllocated / 8);
}

/**
 * Rearranges a frame between colour-by-pixel (0) and colour-by-plane (1); returns `pixels`
 * itself when the layouts match or there is one sample per pixel.
 *
 * @example
 * ```ts
 * import { toPlanar } from "./types.ts";
 * // 2 RGB pixels, 8-bit, by pixel → by plane
 * toPlanar(new Uint8Array([1, 2, 3, 4, 5, 6]), 3, 1, 0, 1); // [1, 4, 2, 5, 3, 6]
 * ```
 */
export function toPlanar(
  pixels: Uint8Array,
  samples: number,
  bytesPerSample: number,
  from: number,
  to: number,
): Uint8Array {
  if (from === to || samples === 1) return pixels;
  const out = new Uint8Array(pixels.length);
  const count = pixels.length / (samples * bytesPerSample);
  const b = bytesPerSample;
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < count; i++) {
      const planar = (s * count + i) * b;
      const interleaved = (i * samples + s) * b;
      for (let k = 0; k < b; k++) {
        if (to === 1) out[planar + k] = pixels[interleaved + k];
        else out[interleaved + k] = pixels[planar + k];
      }
    }
  }
  return out;
}
