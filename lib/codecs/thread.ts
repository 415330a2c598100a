/**
 * A codec thread's body (a Web Worker started by `CodecThreads` in `threads.ts`): loads the codec it is
 * told to preload, says it is ready, then decodes (or encodes) each frame it is sent with the
 * codec for the frame's transfer syntax, answering with the result (a decoded frame in the
 * buffer it was given to decode into, when the codec used it) and the frame's buffer back.
 *
 * @module
 */

import { loadCodec } from "./mod.ts";
import { adoptModules } from "./wasm.ts";
import { CodecError, type ImageInfo } from "./types.ts";
import type { ThreadJob, ThreadPreload, ThreadReply } from "./threads.ts";

/** The worker's global scope, as far as used here. */
interface Scope {
  onmessage: ((e: MessageEvent<ThreadPreload | ThreadJob>) => void) | null;
  postMessage(message: ThreadReply, transfer?: Transferable[]): void;
  close(): void;
}

const scope = globalThis as unknown as Scope;

// Whatever escapes (a throw in a handler, a rejection nobody awaits) ends this worker with one
// line to the pool, which fails the frame it held and does the rest on its own thread, instead
// of Deno printing the error with its stack on the user's terminal.
function crashed(error: unknown): void {
  try {
    scope.postMessage({ crashed: error instanceof Error ? error.message : String(error) });
  } finally {
    scope.close();
  }
}
globalThis.addEventListener("error", (e) => {
  e.preventDefault();
  crashed(e.error ?? e.message);
});
globalThis.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  crashed(e.reason);
});

async function run(job: ThreadJob): Promise<void> {
  const frame = new Uint8Array(job.frame, 0, job.length);
  const into = job.into ? new Uint8Array(job.into) : undefined;
  try {
    const codec = await loadCodec(job.transferSyntaxUid, job.kind);
    const pixels = job.kind === "encode"
      ? codec.encode!(frame, job.image as ImageInfo)
      : codec.decode(frame, job.image as ImageInfo, into);
    const transfer: Transferable[] = [job.frame];
    if (pixels.buffer !== job.frame) transfer.push(pixels.buffer as ArrayBuffer);
    if (job.into && pixels.buffer !== job.into) transfer.push(job.into);
    scope.postMessage({
      id: job.id,
      frame: job.frame,
      pixels: pixels.buffer as ArrayBuffer,
      offset: pixels.byteOffset,
      length: pixels.length,
    }, transfer);
  } catch (e) {
    scope.postMessage({
      id: job.id,
      frame: job.frame,
      error: {
        codec: e instanceof CodecError ? e.code : undefined,
        message: e instanceof Error ? e.message : String(e),
      },
    }, [job.frame]);
  }
}

// One frame at a time: the pool sends the next only after this one's answer.
scope.onmessage = (e) => {
  const m = e.data;
  if ("preload" in m) {
    adoptModules(m.modules ?? {});
    loadCodec(m.preload, m.use).then(
      () => scope.postMessage({ ready: true }),
      (err) => scope.postMessage({ ready: false, message: String(err?.message ?? err) }),
    );
  } else {
    run(m);
  }
};
