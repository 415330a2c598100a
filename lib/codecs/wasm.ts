/**
 * The codecs' compiled WebAssembly modules, one per specifier and thread: compiled on first use
 * (`import.source`: no permission needed, the module is part of the module graph), and handed
 * to the codec threads when they start, which then instantiate the same compiled code instead
 * of compiling it again (a `WebAssembly.Module` posted to a worker is shared, not copied, with
 * what the engine has optimized of it so far).
 *
 * @module
 */

const modules = new Map<string, Promise<WebAssembly.Module>>();
/** The modules compiled (or adopted) so far, by specifier. */
const ready = new Map<string, WebAssembly.Module>();

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
  let p = modules.get(specifier);
  if (!p) {
    // @ts-expect-error TypeScript doesn't know source phase imports yet; Deno does.
    p = (import.source(specifier) as Promise<WebAssembly.Module>).then((m) => {
      ready.set(specifier, m);
      return m;
    });
    p.catch(() => modules.delete(specifier));
    modules.set(specifier, p);
  }
  return p;
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
  return Object.fromEntries(ready);
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
    ready.set(specifier, m);
    modules.set(specifier, Promise.resolve(m));
  }
}
