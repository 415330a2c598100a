/**
 * The codecs' compiled WebAssembly modules, one per specifier and thread: compiled on first use
 * (`import.source`: no permission needed, the module is part of the module graph), and handed
 * to the codec threads when they start, which then instantiate the same compiled code instead
 * of compiling it again (a `WebAssembly.Module` posted to a worker is shared, not copied, with
 * what the engine has optimized of it so far).
 *
 * @module
 */

/** A specifier's compile, and its module once compiled (or adopted). */
interface Entry {
  compiled: Promise<WebAssembly.Module>;
  module?: WebAssembly.Module;
}

const modules = new Map<string, Entry>();

/**
 * The compiled module at `specifier` (a full `npm:` specifier), compiled once per thread.
 *
 * @example
 * ```ts ignore
 * import { wasmModule } from "./wasm.ts";
 * const module = await wasmModule("npm:dcmjs-codecs@0.0.8/build/dcmjs-native-codecs.wasm");
 * ```
 */
export function wasmModule(specifier: string): Promise<WebAssembly.Module> {
  let entry = modules.get(specifier);
  if (!entry) {
    const e: Entry = {
      // @ts-expect-error TypeScript doesn't know source phase imports yet; Deno does.
      compiled: (import.source(specifier) as Promise<WebAssembly.Module>).then((m) => e.module = m),
    };
    e.compiled.catch(() => modules.delete(specifier));
    modules.set(specifier, entry = e);
  }
  return entry.compiled;
}

/**
 * The modules this thread has compiled so far, to hand to a codec thread.
 *
 * @example
 * ```ts ignore
 * import { compiledModules } from "./wasm.ts";
 * worker.postMessage({ modules: compiledModules() });
 * ```
 */
export function compiledModules(): Record<string, WebAssembly.Module> {
  const out: Record<string, WebAssembly.Module> = {};
  for (const [specifier, { module }] of modules) if (module) out[specifier] = module;
  return out;
}

/**
 * Takes modules compiled by another thread ({@link compiledModules}): {@link wasmModule} hands
 * them out instead of compiling its own.
 *
 * @example
 * ```ts ignore
 * import { adoptModules } from "./wasm.ts";
 * self.onmessage = (e) => adoptModules(e.data.modules ?? {});
 * ```
 */
export function adoptModules(compiled: Record<string, WebAssembly.Module>): void {
  for (const [specifier, m] of Object.entries(compiled)) {
    if (!(m instanceof WebAssembly.Module) || modules.has(specifier)) continue;
    modules.set(specifier, { compiled: Promise.resolve(m), module: m });
  }
}
