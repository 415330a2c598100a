/**
 * The Image Pixel attributes (group 0028) of a data set whose Pixel Data is decoded or
 * encoded on its way: held as they stream past, read into the image the codec needs, and
 * written out again for what the frames become (PS3.3 C.7.6.3; PS3.5 8.2 and Annex A.4):
 *
 * - (0028,0004) Photometric Interpretation and (0028,0006) Planar Configuration: what the
 *   codec says the frames now are;
 * - (0028,2110) Lossy Image Compression: "01" after decoding a lossy syntax (added if absent);
 * - (0028,0000) group length: recomputed;
 * - every other element of the group byte for byte.
 *
 * @module
 */

import { concatBytes } from "../bytes.ts";
import {
  CodecError,
  type Colour,
  type FrameCodec,
  frameLength,
  type ImageInfo,
} from "../codecs/types.ts";
import { encodeHeader, type Encoding, tagString } from "./encoding.ts";

const LE: Encoding = { explicitVr: true, littleEndian: true };

const GROUP_LENGTH = 0x00280000;
const SAMPLES = 0x00280002;
const PHOTOMETRIC = 0x00280004;
const PLANAR = 0x00280006;
const FRAMES = 0x00280008;
const ROWS = 0x00280010;
const COLUMNS = 0x00280011;
const BITS_ALLOCATED = 0x00280100;
const BITS_STORED = 0x00280101;
const PIXEL_REPRESENTATION = 0x00280103;
const LOSSY_COMPRESSION = 0x00282110;

const ASCII = new TextDecoder("latin1");

function text(bytes: Uint8Array | undefined): string {
  return bytes ? ASCII.decode(bytes).replace(/[\0 ]+$/, "").replace(/^ +/, "") : "";
}

function element(tag: number, vr: string, value: Uint8Array): Uint8Array {
  return concatBytes([encodeHeader(LE, tag, vr, value.length), value]);
}

function csValue(s: string): Uint8Array {
  return new TextEncoder().encode(s.length % 2 ? `${s} ` : s);
}

function usValue(v: number): Uint8Array {
  return new Uint8Array([v & 0xff, v >> 8]);
}

function ulValue(v: number): Uint8Array {
  const value = new Uint8Array(4);
  new DataView(value.buffer).setUint32(0, v, true);
  return value;
}

/** `n` rounded up to even (a value's padded length). */
export function evenLength(n: number): number {
  return n + (n % 2);
}

/**
 * Bytes of all frames of native pixel data (1-bit frames packed together), unpadded.
 *
 * @example
 * ```ts
 * import { nativeLength } from "./image_group.ts";
 * nativeLength({
 *   rows: 512, columns: 512, samplesPerPixel: 1, bitsAllocated: 16, bitsStored: 12,
 *   pixelRepresentation: 0, planarConfiguration: 0, photometricInterpretation: "MONOCHROME2",
 *   frames: 2,
 * }); // 1048576
 * ```
 */
export function nativeLength(image: ImageInfo): number {
  if (image.bitsAllocated === 1) {
    return Math.ceil((image.rows * image.columns * image.samplesPerPixel * image.frames) / 8);
  }
  return frameLength(image) * image.frames;
}

/** How the frames are changed: by which codec, which way, from a lossy syntax or not. */
export interface ImageGroupSpec {
  /** "decode": encapsulated → native; "encode": native → encapsulated. */
  direction: "decode" | "encode";
  /** The codec that says which colour model the frames come out in. */
  codec: FrameCodec;
  /** Decode: the stored syntax may be lossy, so (0028,2110) must say "01". */
  lossy?: boolean;
}

/**
 * Group 0028 of one data set, held element by element until the group ends and then written
 * again for the transcoded frames; afterwards it describes the image for the codec.
 *
 * @example
 * ```ts
 * import { ImageGroup } from "./image_group.ts";
 * import { rleCodec } from "../codecs/rle.ts";
 * const group = new ImageGroup({ direction: "encode", codec: rleCodec });
 * // (0028,0002) US 3 and (0028,0004) CS "RGB", as read (header and value).
 * group.hold(0x00280002, new Uint8Array([0x28, 0, 2, 0, 0x55, 0x53, 2, 0, 3, 0]), 8);
 * group.hold(0x00280004, new Uint8Array([0x28, 0, 4, 0, 0x43, 0x53, 4, 0, 0x52, 0x47, 0x42, 0x20]), 8);
 * group.end().length; // 3: (0028,0006) US 1 is added (RLE colour is by plane)
 * group.colour.planarConfiguration; // 1
 * ```
 */
export class ImageGroup {
  readonly #spec: ImageGroupSpec;
  /** Values of the elements read (header stripped). */
  readonly #values = new Map<number, Uint8Array>();
  /** The group's elements as read, until it ends. */
  #held = new Map<number, Uint8Array>();
  /** Colour model after transcoding, or why the codec can't deliver one. */
  #colour: Colour | CodecError | undefined;

  /** @param spec how the frames are changed */
  constructor(spec: ImageGroupSpec) {
    this.#spec = spec;
  }

  /** True while elements of the group are held (it has begun and not ended). */
  get holding(): boolean {
    return this.#held.size > 0;
  }

  /**
   * Holds one element of group 0028 as read (`bytes`: header and value, a copy it keeps);
   * `valueOffset` is where its value starts, or undefined for one whose value isn't read (a
   * sequence).
   */
  hold(tag: number, bytes: Uint8Array, valueOffset?: number): void {
    if (valueOffset !== undefined) this.#values.set(tag, bytes.subarray(valueOffset));
    this.#held.set(tag, bytes);
  }

  /**
   * Ends the group: its elements in tag order, with the colour attributes (and group length,
   * if it had one) written for the frames as they will be.
   */
  end(): Uint8Array[] {
    const v = this.#values;
    const us = (tag: number, otherwise: number) => {
      const b = v.get(tag);
      return b && b.length >= 2 ? b[0] | (b[1] << 8) : otherwise;
    };
    const stored: Colour = {
      samplesPerPixel: us(SAMPLES, 1),
      photometricInterpretation: text(v.get(PHOTOMETRIC)),
      planarConfiguration: us(PLANAR, 0),
    };
    const { codec, direction } = this.#spec;
    try {
      this.#colour = direction === "decode"
        ? codec.decodedColour(stored)
        : codec.encodedColour?.(stored) ?? stored;
    } catch (e) {
      // Raised when the Pixel Data comes: a data set without any is sent all the same.
      this.#colour = e instanceof CodecError ? e : new CodecError("unsupported", String(e));
    }
    const out = this.#held;
    this.#held = new Map();
    const colour = this.#colour instanceof CodecError ? undefined : this.#colour;
    if (colour && v.has(PHOTOMETRIC)) {
      out.set(PHOTOMETRIC, element(PHOTOMETRIC, "CS", csValue(colour.photometricInterpretation)));
    }
    if (colour && (v.has(PLANAR) || colour.samplesPerPixel > 1)) {
      out.set(PLANAR, element(PLANAR, "US", usValue(colour.planarConfiguration)));
    }
    if (direction === "decode" && this.#spec.lossy && v.has(ROWS)) {
      if (text(v.get(LOSSY_COMPRESSION)) !== "01") {
        out.set(LOSSY_COMPRESSION, element(LOSSY_COMPRESSION, "CS", csValue("01")));
      }
    }
    const tags = [...out.keys()].sort((a, b) => a - b);
    if (out.has(GROUP_LENGTH)) {
      let size = 0;
      for (const t of tags) if (t !== GROUP_LENGTH) size += out.get(t)!.length;
      out.set(GROUP_LENGTH, element(GROUP_LENGTH, "UL", ulValue(size)));
    }
    return tags.map((t) => out.get(t)!);
  }

  /** The colour model of the transcoded frames; call {@link ImageGroup.image} first. */
  get colour(): Colour {
    return this.#colour as Colour;
  }

  /**
   * The image attributes, once Pixel Data comes. Throws a {@link CodecError} when one it
   * needs is missing or invalid, or when the codec can't deliver the colour model.
   */
  image(): ImageInfo {
    const v = this.#values;
    const us = (tag: number, name: string): number => {
      const b = v.get(tag);
      if (!b || b.length < 2) {
        throw new CodecError("corrupt", `${name} ${tagString(tag)} is missing`);
      }
      return b[0] | (b[1] << 8);
    };
    const framesText = text(v.get(FRAMES));
    const frames = framesText === "" ? 1 : Number(framesText);
    if (!Number.isInteger(frames) || frames < 1) {
      throw new CodecError(
        "corrupt",
        `Number of Frames ${JSON.stringify(framesText)} is not a count`,
      );
    }
    const b = v.get(PLANAR);
    const image: ImageInfo = {
      rows: us(ROWS, "Rows"),
      columns: us(COLUMNS, "Columns"),
      samplesPerPixel: v.has(SAMPLES) ? us(SAMPLES, "Samples per Pixel") : 1,
      bitsAllocated: us(BITS_ALLOCATED, "Bits Allocated"),
      bitsStored: v.has(BITS_STORED) ? us(BITS_STORED, "Bits Stored") : 0,
      pixelRepresentation: v.has(PIXEL_REPRESENTATION)
        ? us(PIXEL_REPRESENTATION, "Pixel Representation")
        : 0,
      planarConfiguration: b && b.length >= 2 ? b[0] | (b[1] << 8) : 0,
      photometricInterpretation: text(v.get(PHOTOMETRIC)),
      frames,
    };
    if (image.bitsStored === 0) image.bitsStored = image.bitsAllocated;
    if (this.#colour instanceof CodecError) throw this.#colour;
    if (!this.#colour) {
      throw new CodecError("corrupt", "no Image Pixel attributes before Pixel Data");
    }
    return image;
  }

  /** (7FE0,0000) after decoding: the native Pixel Data element is all the group keeps. */
  pixelGroupLength(): Uint8Array {
    return element(0x7fe00000, "UL", ulValue(12 + evenLength(nativeLength(this.image()))));
  }
}
