/**
 * JPEG 2000 (ISO 15444-1) with OpenJPEG 2.5.0 and High-Throughput JPEG 2000 (ISO 15444-15)
 * with OpenJPH 0.18.2, both compiled to WebAssembly.
 *
 * Decoded colour is colour-by-pixel; YBR_RCT and YBR_ICT data come out of the inverse
 * component transform as RGB (as `gdcmconv --raw` stores them). Encoding is lossless
 * (reversible 5/3 wavelet): JPEG 2000 without a component transform (the Photometric
 * Interpretation stays), HTJ2K colour with the reversible one (YBR_RCT, from RGB only: the
 * library encodes colour no other way).
 *
 * @module
 */

import { readJ2kHeader } from "./markers.ts";
import { NativeCodecError, NativeCodecs, type NativeKind } from "./native.ts";
import {
  CodecError,
  type Colour,
  type FrameCodec,
  frameLength,
  type ImageInfo,
  toPlanar,
} from "./types.ts";

function decodedColour(stored: Colour): Colour {
  if (stored.samplesPerPixel !== 1 && stored.samplesPerPixel !== 3) {
    throw new CodecError("unsupported", `JPEG 2000: ${stored.samplesPerPixel} samples per pixel`);
  }
  const pi = stored.photometricInterpretation;
  return {
    samplesPerPixel: stored.samplesPerPixel,
    photometricInterpretation: pi === "YBR_RCT" || pi === "YBR_ICT" ? "RGB" : pi,
    planarConfiguration: stored.samplesPerPixel > 1 ? 0 : stored.planarConfiguration,
  };
}

/** True when every sample of a grey frame fits Bits Stored (signed: sign-extended from it). */
function fitsBitsStored(pixels: Uint8Array, image: ImageInfo): boolean {
  const bs = image.bitsStored;
  if (bs >= image.bitsAllocated) return true;
  const signed = image.pixelRepresentation === 1;
  if (image.bitsAllocated === 8) {
    for (const v of pixels) {
      const x = signed ? (v << 24) >> 24 : v;
      if (signed ? x < -(1 << (bs - 1)) || x >= 1 << (bs - 1) : x >= 1 << bs) return false;
    }
    return true;
  }
  const dv = new DataView(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  for (let i = 0; i + 1 < pixels.length; i += 2) {
    const x = signed ? dv.getInt16(i, true) : dv.getUint16(i, true);
    if (signed ? x < -(1 << (bs - 1)) || x >= 1 << (bs - 1) : x >= 1 << bs) return false;
  }
  return true;
}

function checkDecodable(kind: NativeKind, image: ImageInfo): void {
  if (image.bitsAllocated !== 8 && image.bitsAllocated !== 16) {
    throw new CodecError("unsupported", `JPEG 2000: Bits Allocated ${image.bitsAllocated}`);
  }
  // The library's JPEG 2000 colour path and its HTJ2K 8-bit path are 8-bit unsigned only.
  if (kind === "Jpeg2000" && image.samplesPerPixel > 1 && image.bitsAllocated !== 8) {
    throw new CodecError("unsupported", "JPEG 2000: colour with more than 8 bits per sample");
  }
  if (kind === "HtJpeg2000" && image.bitsAllocated === 8 && image.pixelRepresentation === 1) {
    throw new CodecError("unsupported", "HTJ2K: signed 8-bit data");
  }
}

function checkEncodable(kind: NativeKind, pixels: Uint8Array, image: ImageInfo): void {
  checkDecodable(kind, image);
  const spp = image.samplesPerPixel;
  if (spp > 1 && (image.bitsAllocated !== 8 || image.pixelRepresentation !== 0)) {
    throw new CodecError("unsupported", "JPEG 2000: colour with more than 8 bits per sample");
  }
  if (kind === "HtJpeg2000" && spp > 1 && image.photometricInterpretation !== "RGB") {
    throw new CodecError(
      "unsupported",
      `HTJ2K: ${image.photometricInterpretation} colour (the encoder applies the RGB transform)`,
    );
  }
  if (spp === 1 && image.bitsAllocated === 16 && image.bitsStored <= 8) {
    throw new CodecError("unsupported", "JPEG 2000: Bits Stored 8 or less in 16-bit words");
  }
  if (kind === "Jpeg2000" && spp === 1 && !fitsBitsStored(pixels, image)) {
    throw new CodecError(
      "unsupported",
      `JPEG 2000: pixel values use bits above Bits Stored (${image.bitsStored}), which a ` +
        "codestream of that precision can't keep",
    );
  }
}

function wrap(e: unknown, what: string): never {
  if (e instanceof NativeCodecError) {
    throw new CodecError("corrupt", `${what}: ${e.message}`);
  }
  throw e;
}

function codec(native: NativeCodecs, kind: NativeKind): FrameCodec {
  const label = kind === "Jpeg2000" ? "JPEG 2000" : "HTJ2K";
  return {
    name: kind === "Jpeg2000"
      ? "OpenJPEG 2.5.0 (WebAssembly, dcmjs-codecs 0.0.8)"
      : "OpenJPH 0.18.2 (WebAssembly, dcmjs-codecs 0.0.8)",
    threaded: true,
    decodedColour,
    decode(frame: Uint8Array, image: ImageInfo, into?: Uint8Array): Uint8Array {
      checkDecodable(kind, image);
      // The library sizes its output from the data set's Rows and Columns and reads that many
      // samples whatever the codestream holds: check them first.
      const h = readJ2kHeader(frame);
      if (h.rows !== image.rows || h.columns !== image.columns) {
        throw new CodecError(
          "corrupt",
          `${label} frame is ${h.columns}x${h.rows}, the data set says ${image.columns}x${image.rows}`,
        );
      }
      if (h.components !== image.samplesPerPixel) {
        throw new CodecError(
          "corrupt",
          `${label} frame has ${h.components} components, Samples per Pixel is ${image.samplesPerPixel}`,
        );
      }
      if (h.precision > image.bitsAllocated) {
        throw new CodecError(
          "corrupt",
          `${label} frame has ${h.precision}-bit samples, Bits Allocated is ${image.bitsAllocated}`,
        );
      }
      // The libraries return nothing at all for some corrupt streams, without an error: the
      // caller checks the length against the frame.
      let pixels: Uint8Array;
      try {
        pixels = native.decode(kind, frame, image, {}, into).pixels;
      } catch (e) {
        wrap(e, `${label} decoding`);
      }
      if (pixels.length !== frameLength(image)) {
        throw new CodecError(
          "length",
          `${label}: the decoder returned ${pixels.length} bytes, the frame holds ${
            frameLength(image)
          }`,
        );
      }
      return pixels;
    },
    encodedColour(native: Colour): Colour {
      const colour = native.samplesPerPixel > 1;
      return {
        samplesPerPixel: native.samplesPerPixel,
        photometricInterpretation: kind === "HtJpeg2000" && colour
          ? "YBR_RCT"
          : native.photometricInterpretation,
        planarConfiguration: colour ? 0 : native.planarConfiguration,
      };
    },
    encode(pixels: Uint8Array, image: ImageInfo): Uint8Array {
      checkEncodable(kind, pixels, image);
      const interleaved = toPlanar(pixels, image.samplesPerPixel, 1, image.planarConfiguration, 0);
      try {
        return native.encode(kind, interleaved, { ...image, planarConfiguration: 0 }, {
          allowMct: false,
        });
      } catch (e) {
        wrap(e, `${label} encoding`);
      }
    },
  };
}

/**
 * Loads the JPEG 2000 codec (OpenJPEG), or the HTJ2K one (OpenJPH) with `ht`.
 *
 * @example
 * ```ts ignore
 * import { loadJ2kCodec } from "./j2k.ts";
 * const codec = await loadJ2kCodec(false);
 * const pixels = codec.decode(frame, image);
 * ```
 */
export async function loadJ2kCodec(ht: boolean): Promise<FrameCodec> {
  return codec(await NativeCodecs.load(), ht ? "HtJpeg2000" : "Jpeg2000");
}
