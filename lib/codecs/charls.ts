/**
 * CharLS's JPEG-LS decoder compiled to WebAssembly by the npm package
 * `@cornerstonejs/codec-charls` (its decode-only build): the same library as the JPEG-LS
 * codec of `dcmjs-codecs`, built so that it decodes a 512x512 16-bit CT frame in ~9.5 ms
 * instead of ~13 (measured on the bench's 100 CT images, byte for byte the same pixels).
 *
 * The package's Emscripten glue is loaded with `import()` and its `.wasm` compiled once
 * (`import.source`), both from full `npm:` specifiers built at run time, so a run that decodes
 * no JPEG-LS loads neither. Instances are made synchronously from the compiled module, and
 * a new one replaces any that failed (a corrupt stream can't leave a half-updated heap behind
 * for the next frame).
 *
 * @module
 */

import { NativeCodecError } from "./native.ts";
import { wasmModule } from "./wasm.ts";

/** The npm package whose decoder this drives. */
export const CHARLS_PACKAGE = "@cornerstonejs/codec-charls@1.2.7";

/** What the glue's module object holds (the embind classes and helpers used here). */
interface GlueModule {
  JpegLSDecoder: new () => GlueDecoder;
  getExceptionMessage?: (e: number) => unknown;
}

interface GlueDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  delete?(): void;
}

type Factory = (arg: Record<string, unknown>) => Promise<unknown>;

let loading: Promise<CharLsDecoder> | undefined;

/**
 * One CharLS decoder.
 *
 * @example
 * ```ts ignore
 * import { CharLsDecoder } from "./charls.ts";
 * const charls = await CharLsDecoder.load();
 * const pixels = charls.decode(jpegLsFrame, new Uint8Array(512 * 512 * 2));
 * ```
 */
export class CharLsDecoder {
  #factory: Factory;
  #module: WebAssembly.Module;
  #glue: GlueModule | undefined;
  #decoder: GlueDecoder | undefined;

  private constructor(factory: Factory, module: WebAssembly.Module) {
    this.#factory = factory;
    this.#module = module;
  }

  /** Loads the glue and compiles the module (once per process). */
  static load(): Promise<CharLsDecoder> {
    loading ??= (async () => {
      const glue = await import(`npm:${CHARLS_PACKAGE}/decodewasmjs`);
      const module = await wasmModule(`npm:${CHARLS_PACKAGE}/decodewasm`);
      return new CharLsDecoder(glue.default as Factory, module);
    })();
    loading.catch(() => loading = undefined);
    return loading;
  }

  /** A decoder of a live instance (a new instance when there is none). */
  #live(): GlueDecoder {
    if (this.#decoder) return this.#decoder;
    const module = this.#module;
    const arg: Record<string, unknown> = {
      // Nothing to the console: protocol code never logs.
      print: () => {},
      printErr: () => {},
      // Synchronous: the glue runs its start-up (embind's classes) before returning.
      instantiateWasm: (
        imports: WebAssembly.Imports,
        receive: (instance: WebAssembly.Instance) => void,
      ) => {
        const instance = new WebAssembly.Instance(module, imports);
        receive(instance);
        return instance.exports;
      },
    };
    this.#factory(arg).catch(() => {});
    const glue = arg as unknown as GlueModule;
    if (typeof glue.JpegLSDecoder !== "function") {
      throw new NativeCodecError("the CharLS module did not start");
    }
    this.#glue = glue;
    this.#decoder = new glue.JpegLSDecoder();
    return this.#decoder;
  }

  /**
   * Decodes one JPEG-LS stream; returns the samples as CharLS lays them out (copied into
   * `into` when it is large enough, else into a new array). Throws {@link NativeCodecError}
   * with CharLS's words.
   */
  decode(encoded: Uint8Array, into?: Uint8Array): Uint8Array {
    try {
      const d = this.#live();
      d.getEncodedBuffer(encoded.length).set(encoded);
      d.decode();
      const decoded = d.getDecodedBuffer();
      if (into && into.length >= decoded.length) {
        const out = into.subarray(0, decoded.length);
        out.set(decoded);
        return out;
      }
      return decoded.slice();
    } catch (e) {
      const message = this.#message(e);
      // A new instance for the next frame, whatever this one's state.
      this.#decoder = undefined;
      this.#glue = undefined;
      throw new NativeCodecError(message);
    }
  }

  #message(e: unknown): string {
    if (e instanceof NativeCodecError) return e.message;
    if (typeof e === "number") {
      // A C++ exception (CharLS's jpegls_error), by its pointer: [type, message].
      try {
        const m = this.#glue?.getExceptionMessage?.(e);
        const text = Array.isArray(m) ? m[m.length - 1] : m;
        if (typeof text === "string" && text !== "") return text;
      } catch {
        // fall through
      }
      return "invalid JPEG-LS stream";
    }
    return e instanceof Error ? e.message : String(e);
  }
}
