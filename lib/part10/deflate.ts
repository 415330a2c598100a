/**
 * Streaming raw-deflate layers (Deflated Explicit VR Little Endian), on node:zlib, and the
 * adapters between a {@link ReadFn} and a stream of chunks that the layers are joined with.
 *
 * node:zlib and node:stream are loaded on first use only: importing them costs tens of
 * milliseconds of start-up, and most runs never deflate anything.
 *
 * @module
 */

import type { ReadFn } from "./input.ts";
import { ConversionError } from "./errors.ts";

interface NodeModules {
  Readable: typeof import("node:stream").Readable;
  zlib: typeof import("node:zlib");
}

let nodeModules: Promise<NodeModules> | undefined;

function node(): Promise<NodeModules> {
  return nodeModules ??= (async () => ({
    Readable: (await import("node:stream")).Readable,
    zlib: await import("node:zlib"),
  }))();
}

/**
 * Adapts an async iterable of chunks to a {@link ReadFn} that fills the caller's buffer as far
 * as the chunks go (chunks are copied before the next one is pulled).
 *
 * @example
 * ```ts
 * import { readFnFromChunks } from "./deflate.ts";
 * async function* gen() {
 *   yield new Uint8Array([1, 2, 3]);
 * }
 * const read = readFnFromChunks(gen());
 * const p = new Uint8Array(2);
 * await read(p); // 2
 * ```
 */
export function readFnFromChunks(chunks: AsyncIterable<Uint8Array>): ReadFn {
  const it = chunks[Symbol.asyncIterator]();
  let pending: Uint8Array | null = null;
  let off = 0;
  let done = false;
  return async (p) => {
    let n = 0;
    while (n < p.length) {
      if (pending === null) {
        if (done) break;
        const r = await it.next();
        if (r.done) {
          done = true;
          break;
        }
        pending = r.value;
        off = 0;
      }
      const k = Math.min(p.length - n, pending.length - off);
      p.set(pending.subarray(off, off + k), n);
      n += k;
      off += k;
      if (off >= pending.length) pending = null;
    }
    return n === 0 ? null : n;
  };
}

/**
 * The bytes of `read` as a stream of chunks, read into one reused buffer of `size` bytes (a
 * chunk is valid only until the next one is pulled); the inverse of {@link readFnFromChunks}.
 *
 * @example
 * ```ts
 * import { readChunks, readFnFromChunks } from "./deflate.ts";
 * async function* gen() {
 *   yield new Uint8Array([1, 2, 3]);
 * }
 * for await (const c of readChunks(readFnFromChunks(gen()))) c.length; // 3
 * ```
 */
export async function* readChunks(
  read: ReadFn,
  size = 256 * 1024,
): AsyncGenerator<Uint8Array> {
  const buf = new Uint8Array(size);
  for (;;) {
    const n = await read(buf);
    if (n === null) return;
    yield buf.subarray(0, n);
  }
}

/** The bytes of `read` as chunks, each a new array (node:stream keeps them). */
async function* pull(read: ReadFn, size: number): AsyncGenerator<Uint8Array> {
  for (;;) {
    const buf = new Uint8Array(size);
    const n = await read(buf);
    if (n === null) return;
    yield buf.subarray(0, n);
  }
}

async function* through(
  source: AsyncIterable<Uint8Array>,
  kind: "inflate" | "deflate",
  level = 6,
): AsyncGenerator<Uint8Array> {
  const { Readable, zlib } = await node();
  const transform = kind === "inflate" ? zlib.createInflateRaw() : zlib.createDeflateRaw({ level });
  const readable = Readable.from(source);
  readable.on("error", (e: Error) => transform.destroy(e));
  readable.pipe(transform);
  try {
    for await (const chunk of transform as AsyncIterable<Uint8Array>) {
      yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  } catch (e) {
    throw kind === "inflate" ? corruptStream(e) : e;
  } finally {
    // Bytes after the end of a deflate stream are ignored.
    readable.unpipe(transform);
    readable.destroy();
  }
}

/**
 * zlib's own errors (codes `Z_...`) as the file's account words them; errors from the bytes'
 * source (a read that failed, a file that changed) pass as they are.
 */
function corruptStream(e: unknown): unknown {
  const code = (e as { code?: unknown })?.code;
  if (!(e instanceof Error) || typeof code !== "string" || !code.startsWith("Z_")) return e;
  return code === "Z_BUF_ERROR"
    ? new ConversionError(
      "truncated",
      `the deflated data set ends inside its deflate stream (${e.message})`,
      { cause: e },
    )
    : new ConversionError("malformed", `the deflated data set can't be inflated (${e.message})`, {
      cause: e,
    });
}

/**
 * Inflates a raw-deflate stream (bytes after the end of the deflate stream are ignored).
 *
 * @example
 * ```ts
 * import { deflateRawSync } from "node:zlib";
 * import { inflateReader, readFnFromChunks } from "./deflate.ts";
 * async function* gen() {
 *   yield new Uint8Array(deflateRawSync(new Uint8Array([7, 7, 7])));
 * }
 * const read = inflateReader(readFnFromChunks(gen()));
 * const p = new Uint8Array(8);
 * await read(p); // 3
 * ```
 */
export function inflateReader(read: ReadFn): ReadFn {
  return readFnFromChunks(through(pull(read, 64 * 1024), "inflate"));
}

async function* copies(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const c of chunks) if (c.length > 0) yield c.slice();
}

/**
 * Raw-deflates a stream of chunks (the input chunks may be reused by their producer).
 *
 * @example
 * ```ts
 * import { deflateChunks } from "./deflate.ts";
 * async function* gen() {
 *   yield new Uint8Array(1000);
 * }
 * for await (const c of deflateChunks(gen())) c.length; // compressed bytes
 * ```
 */
export function deflateChunks(
  chunks: AsyncIterable<Uint8Array>,
  level = 6,
): AsyncGenerator<Uint8Array> {
  return through(copies(chunks), "deflate", level);
}
