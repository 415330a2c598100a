/**
 * Run by tests/memory_test.ts in its own process (`--v8-flags=--expose-gc`): sends a folder to
 * a peer with storeFiles, collects garbage, and prints the live heap and the result count.
 *
 * @module
 */

import { storeFiles } from "../lib/send.ts";

const [port, dir] = Deno.args;
const report = await storeFiles({ address: "127.0.0.1", port: Number(port), paths: [dir] });
(globalThis as unknown as { gc: () => void }).gc();
console.log(JSON.stringify({
  success: report.counts.success,
  results: report.results.length,
  heapUsed: Deno.memoryUsage().heapUsed,
}));
