/**
 * The codecs' compiled WebAssembly modules (lib/codecs/wasm.ts): compiled once per thread,
 * listed for the codec threads once compiled, and adopted there instead of compiled again; a
 * module posted to a worker is the same compiled code, instantiated there.
 */
import assert from "node:assert/strict";
import { adoptModules, compiledModules, wasmModule } from "../lib/codecs/wasm.ts";

// (module (func (export "f") (result i32) i32.const 42))
const ANSWER = new Uint8Array([
  0,
  97,
  115,
  109,
  1,
  0,
  0,
  0,
  1,
  5,
  1,
  96,
  0,
  1,
  127,
  3,
  2,
  1,
  0,
  7,
  5,
  1,
  1,
  102,
  0,
  0,
  10,
  6,
  1,
  4,
  0,
  65,
  42,
  11,
]);
const NATIVE = "npm:dcmjs-codecs@0.0.8/build/dcmjs-native-codecs.wasm";

Deno.test("wasm modules: compiled once and listed once compiled; an adopted module is handed out without importing anything", async () => {
  const first = await wasmModule(NATIVE);
  assert.ok(first instanceof WebAssembly.Module);
  assert.equal(await wasmModule(NATIVE), first);
  assert.equal(compiledModules()[NATIVE], first);
  // A specifier that can't be imported: adopted, it is never looked up.
  const fake = "npm:storescu-test-no-such-package@0.0.0/x.wasm";
  const answer = await WebAssembly.compile(ANSWER);
  adoptModules({ [fake]: answer, "npm:not-a-module@0.0.0/y.wasm": {} as WebAssembly.Module });
  assert.equal(await wasmModule(fake), answer);
  assert.equal(compiledModules()[fake], answer);
  assert.equal(compiledModules()["npm:not-a-module@0.0.0/y.wasm"], undefined);
  // What this thread compiled itself is not replaced by an adopted one.
  adoptModules({ [NATIVE]: answer });
  assert.equal(await wasmModule(NATIVE), first);
});

Deno.test("wasm modules: a module posted to a worker is instantiated there from the same compiled code", async () => {
  const answer = await WebAssembly.compile(ANSWER);
  const body = `self.onmessage = (e) => {
    const i = new WebAssembly.Instance(e.data.modules.answer, {});
    self.postMessage(i.exports.f());
  };`;
  const url = `data:application/javascript,${encodeURIComponent(body)}`;
  const worker = new Worker(url, { type: "module" });
  try {
    const got = await new Promise((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(e.message));
      };
      worker.postMessage({ modules: { answer } });
    });
    assert.equal(got, 42);
  } finally {
    worker.terminate();
  }
});
