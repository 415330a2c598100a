/**
 * JPEG (ISO 10918-1): Baseline (Process 1), Extended (Processes 2 & 4, 12-bit), Lossless
 * (Process 14 and its Selection Value 1). Decoding only, with IJG libjpeg 6b (8, 12 and 16-bit
 * builds, as DCMTK's `dcmdjpeg`) compiled to WebAssembly.
 *
 * Colour follows `dcmdjpeg`'s default: YCbCr is converted to RGB exactly when the data set
 * says YBR_FULL, YBR_FULL_422 or YBR_PARTIAL_422 (libjpeg's own guess from JFIF/Adobe markers
 * would corrupt RGB streams written without them), and decoded colour is stored
 * colour-by-pixel.
 *
 * @module
 */

import { readJpegHeader } from "./markers.ts";
import { NativeCodecError, NativeCodecs } from "./native.ts";
import { CodecError, type Colour, type FrameCodec, type ImageInfo } from "./types.ts";

const CONVERTED = new Set(["YBR_FULL", "YBR_FULL_422", "YBR_PARTIAL_422"]);

function decodedColour(stored: Colour): Colour {
  if (stored.samplesPerPixel === 1) return { ...stored };
  if (stored.samplesPerPixel !== 3) {
    throw new CodecError("unsupported", `JPEG: ${stored.samplesPerPixel} samples per pixel`);
  }
  const pi = stored.photometricInterpretation;
  return {
    samplesPerPixel: 3,
    photometricInterpretation: CONVERTED.has(pi) ? "RGB" : pi,
    planarConfiguration: 0,
  };
}

/**
 * Loads the JPEG decoder (compiles the WebAssembly module on first use).
 *
 * @example
 * ```ts ignore
 * import { loadJpegCodec } from "./jpeg.ts";
 * const codec = await loadJpegCodec();
 * const pixels = codec.decode(frame, image);
 * ```
 */
export async function loadJpegCodec(): Promise<FrameCodec> {
  const native = await NativeCodecs.load();
  return {
    name: "IJG libjpeg 6b 8/12/16-bit (WebAssembly, dcmjs-codecs 0.0.8)",
    threaded: true,
    decodedColour,
    decode(frame: Uint8Array, image: ImageInfo, into?: Uint8Array): Uint8Array {
      const h = readJpegHeader(frame);
      if (h.rows !== image.rows || h.columns !== image.columns) {
        throw new CodecError(
          "corrupt",
          `JPEG frame is ${h.columns}x${h.rows}, the data set says ${image.columns}x${image.rows}`,
        );
      }
      if (h.components !== image.samplesPerPixel) {
        throw new CodecError(
          "corrupt",
          `JPEG frame has ${h.components} components, Samples per Pixel is ${image.samplesPerPixel}`,
        );
      }
      const wanted = h.precision > 8 ? 16 : 8;
      if (image.bitsAllocated !== wanted) {
        throw new CodecError(
          "unsupported",
          `${h.precision}-bit JPEG with Bits Allocated ${image.bitsAllocated} (storescu keeps ` +
            `Bits Allocated as it is, and this would need ${wanted})`,
        );
      }
      const convert = image.samplesPerPixel === 3 &&
        CONVERTED.has(image.photometricInterpretation);
      try {
        return native.decode("Jpeg", frame, image, { convertColorspaceToRgb: convert }, into)
          .pixels;
      } catch (e) {
        if (e instanceof NativeCodecError) throw new CodecError("corrupt", `JPEG: ${e.message}`);
        throw e;
      }
    },
  };
}
