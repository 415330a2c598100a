/**
 * The WebAssembly build of IJG libjpeg 6b (8/12/16-bit, the library DCMTK's JPEG codecs are
 * built on), CharLS 2.3.4, OpenJPEG 2.5.0 and OpenJPH 0.18.2 shipped by the npm package
 * `dcmjs-codecs`, driven through its small C interface by our own glue: only the `.wasm` file
 * is used (the package's JavaScript would pull in dcmjs).
 *
 * The module is compiled on first use only (`import.source`, no permission needed: it is a
 * module of the npm package) and instantiated afresh after any codec error, so a corrupt
 * stream can't leave a half-updated heap behind for the next frame.
 *
 * @module
 */

import { wasmModule } from "./wasm.ts";

/** The codec entry points of the WebAssembly module. */
export type NativeKind = "Jpeg" | "JpegLs" | "Jpeg2000" | "HtJpeg2000";

/** The image a frame belongs to, as the module's context wants it. */
export interface NativeImage {
  /** (0028,0011). */
  columns: number;
  /** (0028,0010). */
  rows: number;
  /** (0028,0100). */
  bitsAllocated: number;
  /** (0028,0101). */
  bitsStored: number;
  /** (0028,0002). */
  samplesPerPixel: number;
  /** (0028,0103): 0 unsigned, 1 signed. */
  pixelRepresentation: number;
  /** (0028,0006): 0 by pixel, 1 by plane. */
  planarConfiguration: number;
  /** (0028,0004). */
  photometricInterpretation: string;
}

/** Codec options (only those storescu uses). */
export interface NativeOptions {
  /** JPEG decoding: convert YCbCr to RGB (libjpeg's `out_color_space = JCS_RGB`). */
  convertColorspaceToRgb?: boolean;
  /** JPEG 2000 encoding: use the reversible colour transform (RGB input only). */
  allowMct?: boolean;
}

/** What the module said when a codec failed. */
export class NativeCodecError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "NativeCodecError";
  }
}

/** The module's Photometric Interpretation enumeration, in its order. */
const PHOTOMETRIC = [
  "MONOCHROME1",
  "MONOCHROME2",
  "PALETTE COLOR",
  "RGB",
  "YBR_FULL",
  "YBR_FULL_422",
  "YBR_PARTIAL_422",
  "YBR_PARTIAL_420",
  "YBR_ICT",
  "YBR_RCT",
  "CMYK",
  "ARGB",
  "HSV",
  "XYB",
];

type Fn = (...args: number[]) => number;
type Exports = Record<string, Fn> & { memory: WebAssembly.Memory };

/** The npm package whose WebAssembly module this drives. */
const PACKAGE = "dcmjs-codecs@0.0.8";

let shared: NativeCodecs | undefined;

/** Compiles the module once (lazily), or takes the one a codec thread was handed. */
function compile(): Promise<WebAssembly.Module> {
  // The full npm specifier (not an import-map name): published on JSR, this module must
  // resolve it without the project's deno.json. Built at run time, so that Deno's module graph
  // doesn't see it: a first run that decodes nothing downloads nothing.
  return wasmModule(`npm:${PACKAGE}/build/dcmjs-native-codecs.wasm`);
}

/**
 * One instance of the module.
 *
 * @example
 * ```ts ignore
 * import { NativeCodecs } from "./native.ts";
 * const codecs = await NativeCodecs.load();
 * const pixels = codecs.decode("JpegLs", frameBytes, image);
 * ```
 */
export class NativeCodecs {
  #module: WebAssembly.Module;
  #x: Exports | undefined;
  #error: string | undefined;

  private constructor(module: WebAssembly.Module) {
    this.#module = module;
  }

  /** Compiles the module (once per process); every codec family shares one instance. */
  static async load(): Promise<NativeCodecs> {
    const module = await compile();
    return shared ??= new NativeCodecs(module);
  }

  #exports(): Exports {
    if (this.#x) return this.#x;
    const mem = () => this.#x!.memory.buffer;
    const text = (p: number, n: number) => new TextDecoder().decode(new Uint8Array(mem(), p, n));
    const ok = 0;
    const imports = {
      env: {
        onCodecsException: (p: number, n: number) => {
          // "JpegDecoder8::ErrorExit::Bogus marker length": the library's words are the last part.
          this.#error = text(p, n).split("::").pop()!.trim();
          throw new NativeCodecError(this.#error);
        },
        onCodecsInfo: () => {},
        onCodecsTrace: () => {},
        emscripten_notify_memory_growth: () => {},
      },
      wasi_snapshot_preview1: {
        proc_exit: (code: number) => {
          throw new NativeCodecError(`codec module exited (${code})`);
        },
        clock_time_get: () => ok,
        // Messages a library prints (never to the console: protocol code never logs).
        fd_write: (_fd: number, iovs: number, count: number, written: number) => {
          const dv = new DataView(mem());
          let n = 0;
          for (let i = 0; i < count; i++) n += dv.getUint32(iovs + 8 * i + 4, true);
          dv.setUint32(written, n, true);
          return ok;
        },
        fd_close: () => ok,
        fd_seek: () => ok,
        environ_sizes_get: (count: number, size: number) => {
          const dv = new DataView(mem());
          dv.setUint32(count, 0, true);
          dv.setUint32(size, 0, true);
          return ok;
        },
        environ_get: () => ok,
      },
    };
    const instance = new WebAssembly.Instance(this.#module, imports);
    const x = instance.exports as unknown as Exports;
    this.#x = x;
    x._initialize?.();
    return x;
  }

  #context(x: Exports, image: NativeImage): number {
    const ctx = x.CreateCodecsContext();
    x.SetColumns(ctx, image.columns);
    x.SetRows(ctx, image.rows);
    x.SetBitsAllocated(ctx, image.bitsAllocated);
    x.SetBitsStored(ctx, image.bitsStored);
    x.SetSamplesPerPixel(ctx, image.samplesPerPixel);
    x.SetPixelRepresentation(ctx, image.pixelRepresentation);
    x.SetPlanarConfiguration(ctx, image.planarConfiguration);
    x.SetPhotometricInterpretation(
      ctx,
      Math.max(0, PHOTOMETRIC.indexOf(image.photometricInterpretation)),
    );
    return ctx;
  }

  /** Runs `fn`; any failure drops the instance (a new one is made for the next call). */
  #guard<T>(fn: (x: Exports) => T): T {
    this.#error = undefined;
    try {
      return fn(this.#exports());
    } catch (e) {
      this.#x = undefined;
      if (e instanceof NativeCodecError) throw e;
      // A trap (out of bounds, unreachable...): the library hit something it can't handle.
      throw new NativeCodecError(this.#error ?? (e instanceof Error ? e.message : String(e)));
    }
  }

  /**
   * Decodes one frame; returns the decoded bytes as the library laid them out (copied into
   * `into` when it is large enough, else into a new array), with the photometric
   * interpretation and planar configuration it reports.
   */
  decode(
    kind: NativeKind,
    encoded: Uint8Array,
    image: NativeImage,
    options: NativeOptions = {},
    into?: Uint8Array,
  ): { pixels: Uint8Array; photometricInterpretation: string; planarConfiguration: number } {
    return this.#guard((x) => {
      const ctx = this.#context(x, image);
      const params = x.CreateDecoderParameters();
      x.SetConvertColorspaceToRgb(params, options.convertColorspaceToRgb ? 1 : 0);
      x.SetEncodedBufferSize(ctx, encoded.length);
      new Uint8Array(x.memory.buffer, x.GetEncodedBuffer(ctx), encoded.length).set(encoded);
      x[`Decode${kind}`](ctx, params);
      const size = x.GetDecodedBufferSize(ctx);
      const decoded = new Uint8Array(x.memory.buffer, x.GetDecodedBuffer(ctx), size);
      let pixels: Uint8Array;
      if (into && into.length >= size) {
        pixels = into.subarray(0, size);
        pixels.set(decoded);
      } else pixels = decoded.slice();
      const result = {
        pixels,
        photometricInterpretation: PHOTOMETRIC[x.GetPhotometricInterpretation(ctx)] ?? "",
        planarConfiguration: x.GetPlanarConfiguration(ctx),
      };
      // Released on success only: after a failure the whole instance is dropped.
      x.ReleaseDecoderParameters(params);
      x.ReleaseCodecsContext(ctx);
      return result;
    });
  }

  /** Encodes one frame (lossless). */
  encode(
    kind: NativeKind,
    pixels: Uint8Array,
    image: NativeImage,
    options: NativeOptions = {},
  ): Uint8Array {
    return this.#guard((x) => {
      const ctx = this.#context(x, image);
      const params = x.CreateEncoderParameters();
      x.SetLossy(params, 0);
      x.SetAllowMct(params, options.allowMct ? 1 : 0);
      x.SetProgressionOrder(params, 0);
      x.SetRate(params, 20);
      x.SetQuality(params, 90);
      x.SetSmoothingFactor(params, 0);
      x.SetSampleFactor(params, 0);
      x.SetPredictor(params, 1);
      x.SetPointTransform(params, 0);
      x.SetAllowedLossyError(params, 0);
      x.SetDecodedBufferSize(ctx, pixels.length);
      new Uint8Array(x.memory.buffer, x.GetDecodedBuffer(ctx), pixels.length).set(pixels);
      x[`Encode${kind}`](ctx, params);
      const size = x.GetEncodedBufferSize(ctx);
      const out = new Uint8Array(x.memory.buffer, x.GetEncodedBuffer(ctx), size).slice();
      x.ReleaseEncoderParameters(params);
      x.ReleaseCodecsContext(ctx);
      return out;
    });
  }
}
