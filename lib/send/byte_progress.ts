/**
 * A big file's byte progress, counted where its bytes are read (a {@link ByteSource} wrapper),
 * not per PDU: small files are not wrapped at all, and a wrapped one looks at the clock once
 * per MiB read.
 *
 * @module
 */

import type { ByteSource } from "../part10/types.ts";

/** Files smaller than this get no byte progress (they go out in a few milliseconds). */
export const BYTE_PROGRESS_MIN_SIZE = 1 << 20;
/** Bytes read between two looks at the clock. */
const STEP = 1 << 20;
/** At most one report per this many milliseconds. */
const INTERVAL_MS = 100;

/**
 * Wraps `source` so that `report(bytes)` is called with the bytes read so far, at most every
 * 100 ms (and not at all for a source read within the first 100 ms).
 *
 * @example
 * ```ts
 * import { withByteProgress } from "./byte_progress.ts";
 * const inner = { read: () => Promise.resolve(null), close() {} };
 * const src = withByteProgress(inner, (n) => console.log(n));
 * await src.read(new Uint8Array(16)); // null
 * ```
 */
export function withByteProgress(source: ByteSource, report: (bytes: number) => void): ByteSource {
  let bytes = 0;
  let nextLook = STEP;
  let last = performance.now();
  const counted = (n: number | null) => {
    if (n === null) return n;
    bytes += n;
    if (bytes >= nextLook) {
      nextLook = bytes + STEP;
      const now = performance.now();
      if (now - last >= INTERVAL_MS) {
        last = now;
        report(bytes);
      }
    }
    return n;
  };
  const inner = source.readSync?.bind(source);
  return {
    read: async (p: Uint8Array) => counted(await source.read(p)),
    // What the writer's fast path needs, passed through (lib/pdu/pdata_writer.ts).
    readSync: inner && ((p: Uint8Array) => counted(inner(p))),
    length: source.length,
    transcoding: source.transcoding,
    close: () => source.close(),
  };
}
