/**
 * JPEG-LS (ISO 14495-1), lossless and near-lossless, with CharLS compiled to WebAssembly:
 * decoded by CharLS 2.4.4 (`@cornerstonejs/codec-charls`, ~28% faster than the build below),
 * encoded by CharLS 2.3.4 (`dcmjs-codecs`).
 *
 * Decoded colour keeps the data set's Planar Configuration, as `dcmdjpls` does by default
 * (CharLS returns uninterleaved scans plane by plane and interleaved ones pixel by pixel: the
 * frame is rearranged when the two differ). Encoding is lossless, colour-by-pixel (PS3.5 8.2.3
 * after CP-1843), at the precision of Bits Allocated so that every stored bit comes back
 * (including those of signed data above Bits Stored).
 *
 * @module
 */

import { readJpegHeader } from "./markers.ts";
import { CHARLS_PACKAGE, CharLsDecoder } from "./charls.ts";
import { NativeCodecError, NativeCodecs } from "./native.ts";
import {
  CodecError,
  type Colour,
  colourOf,
  type FrameCodec,
  frameLength,
  type ImageInfo,
  toPlanar,
} from "./types.ts";

function checkImage(image: ImageInfo): void {
  if (image.bitsAllocated !== 8 && image.bitsAllocated !== 16) {
    throw new CodecError("unsupported", `JPEG-LS: Bits Allocated ${image.bitsAllocated}`);
  }
  if (image.samplesPerPixel !== 1 && image.samplesPerPixel !== 3) {
    throw new CodecError("unsupported", `JPEG-LS: ${image.samplesPerPixel} samples per pixel`);
  }
}

function wrap(e: unknown, what: string): never {
  if (e instanceof NativeCodecError) {
    throw new CodecError("corrupt", `JPEG-LS ${what}: ${e.message}`);
  }
  throw e;
}

/**
 * Decodes one frame with `decode` (a CharLS build), after checking its header against the
 * data set; uninterleaved (ILV 0) colour comes plane by plane, the others pixel by pixel.
 */
function decodeFrame(
  frame: Uint8Array,
  image: ImageInfo,
  decode: (frame: Uint8Array) => Uint8Array,
): Uint8Array {
  checkImage(image);
  const h = readJpegHeader(frame);
  if (h.sof !== 0xfff7) throw new CodecError("corrupt", "not a JPEG-LS stream (no SOF55)");
  if (h.rows !== image.rows || h.columns !== image.columns) {
    throw new CodecError(
      "corrupt",
      `JPEG-LS frame is ${h.columns}x${h.rows}, the data set says ${image.columns}x${image.rows}`,
    );
  }
  if (h.components !== image.samplesPerPixel) {
    throw new CodecError(
      "corrupt",
      `JPEG-LS frame has ${h.components} components, Samples per Pixel is ${image.samplesPerPixel}`,
    );
  }
  if ((h.precision > 8 ? 16 : 8) !== image.bitsAllocated) {
    throw new CodecError(
      "unsupported",
      `${h.precision}-bit JPEG-LS with Bits Allocated ${image.bitsAllocated}`,
    );
  }
  let pixels: Uint8Array;
  try {
    pixels = decode(frame);
  } catch (e) {
    wrap(e, "decoding");
  }
  if (pixels.length !== frameLength(image)) return pixels; // the caller reports it
  const got = image.samplesPerPixel > 1 && h.interleave === 0 ? 1 : 0;
  return toPlanar(
    pixels,
    image.samplesPerPixel,
    image.bitsAllocated / 8,
    got,
    image.planarConfiguration,
  );
}

/**
 * Loads the JPEG-LS codec for `use`: decoding with CharLS 2.4.4 from
 * `@cornerstonejs/codec-charls` (the faster build), encoding (and decoding) with CharLS 2.3.4
 * from `dcmjs-codecs`; each WebAssembly module is compiled on first use.
 *
 * @example
 * ```ts ignore
 * import { loadJpegLsCodec } from "./jpegls.ts";
 * const codec = await loadJpegLsCodec("decode");
 * const pixels = codec.decode(frame, image);
 * ```
 */
export async function loadJpegLsCodec(use: "decode" | "encode"): Promise<FrameCodec> {
  if (use === "decode") {
    const charls = await CharLsDecoder.load();
    return {
      name: `CharLS 2.4.4 (WebAssembly, ${CHARLS_PACKAGE.replace(/@(?=[^@]+$)/, " ")})`,
      threaded: true,
      decodedColour: colourOf,
      decode: (frame: Uint8Array, image: ImageInfo, into?: Uint8Array): Uint8Array =>
        decodeFrame(frame, image, (f) => charls.decode(f, into)),
    };
  }
  const native = await NativeCodecs.load();
  return {
    name: "CharLS 2.3.4 (WebAssembly, dcmjs-codecs 0.0.8)",
    threaded: true,
    decodedColour: colourOf,
    decode: (frame: Uint8Array, image: ImageInfo, into?: Uint8Array): Uint8Array =>
      decodeFrame(frame, image, (f) => native.decode("JpegLs", f, image, {}, into).pixels),
    encodedColour: (native: Colour) => ({
      ...colourOf(native),
      planarConfiguration: native.samplesPerPixel > 1 ? 0 : native.planarConfiguration,
    }),
    encode(pixels: Uint8Array, image: ImageInfo): Uint8Array {
      checkImage(image);
      if (
        image.samplesPerPixel > 1 && image.photometricInterpretation !== "RGB" &&
        image.photometricInterpretation !== "YBR_FULL"
      ) {
        throw new CodecError(
          "unsupported",
          `JPEG-LS: ${image.photometricInterpretation} colour (PS3.5 allows RGB and YBR_FULL)`,
        );
      }
      const interleaved = toPlanar(
        pixels,
        image.samplesPerPixel,
        image.bitsAllocated / 8,
        image.planarConfiguration,
        0,
      );
      try {
        return native.encode("JpegLs", interleaved, { ...image, planarConfiguration: 0 });
      } catch (e) {
        wrap(e, "encoding");
      }
    },
  };
}
