/**
 * The transcoding {@link ByteSource}: a file's data set with its Pixel Data decoded (to any
 * uncompressed syntax) or encoded (to RLE, JPEG-LS, JPEG 2000 or HTJ2K), or both (decoded,
 * then encoded to another compressed syntax), frame by frame.
 *
 * Loaded by `openDataset` with `await import()` only when a file needs it; the codecs are
 * loaded the same way. The stream is run as far as its first frame before the source is
 * handed out, so an image the codec refuses, or a first frame that doesn't decode, fails
 * before any byte is sent (and a refused encoding can fall back to an uncompressed syntax).
 *
 * @module
 */

import { canDecode, canEncode, isLossy, loadCodec } from "../codecs/mod.ts";
import { CodecThreads, type ThreadsHolder } from "../codecs/threads.ts";
import { EXPLICIT_VR_LE, TRANSFER_SYNTAXES, uidNameOrUid } from "../uids.ts";
import { convertDataset } from "./convert.ts";
import { deflateChunks, inflateReader, readChunks, readFnFromChunks } from "./deflate.ts";
import { encodingOf } from "./encoding.ts";
import { ConversionError } from "./errors.ts";
import type { ReadFn } from "./input.ts";
import { oddEnd } from "./stored.ts";
import { transcodeDataset, type TranscodeSpec } from "./transcode.ts";
import type { ByteSource, Transcoding } from "./types.ts";

/** Bytes held while running ahead to the first frame, at most (then the source goes lazy). */
const PRIME_LIMIT = 8 * 1024 * 1024;

class TranscodedSource implements ByteSource {
  readonly transcoding: Transcoding;
  /** Chunks held while running ahead (copies), then those `out` hands out (views). */
  #held: Uint8Array[];
  #out: AsyncGenerator<Uint8Array>;
  /** The chunk being read (a view of `out`'s valid until its next step) and where. */
  #chunk: Uint8Array = new Uint8Array(0);
  #at = 0;
  #close: () => void;
  #closed = false;
  #total = 0;
  #ended = false;

  constructor(
    transcoding: Transcoding,
    held: Uint8Array[],
    out: AsyncGenerator<Uint8Array>,
    close: () => void,
  ) {
    this.transcoding = transcoding;
    this.#held = held;
    this.#out = out;
    this.#close = close;
  }

  async read(p: Uint8Array): Promise<number | null> {
    if (this.#closed || this.#ended) return null;
    if (p.length === 0) return 0;
    // As much as fits, chunk after chunk.
    let n = 0;
    while (n < p.length) {
      let c = this.#chunk;
      if (this.#at === c.length) {
        let next = this.#held.shift();
        if (!next) {
          const r = await this.#out.next();
          if (r.done) break;
          next = r.value;
        }
        this.#chunk = c = next;
        this.#at = 0;
      }
      const k = Math.min(p.length - n, c.length - this.#at);
      p.set(c.subarray(this.#at, this.#at + k), n);
      n += k;
      this.#at += k;
    }
    if (n > 0) {
      this.#total += n;
      return n;
    }
    this.#ended = true;
    return oddEnd(this.#total, p);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#held = [];
    this.#close();
  }
}

/**
 * Opens the data set of a file stored in `from` as `to`, decoding and/or encoding its Pixel
 * Data. `file` is the data set as stored. Throws {@link ConversionError} when no codec fits,
 * and whatever the first frame throws ({@link CodecError}); later errors reject `read`.
 *
 * @example
 * ```ts ignore
 * import { openTranscoded } from "./transcode_source.ts";
 * const src = await openTranscoded(file, "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.1");
 * src.transcoding; // { direction: "decoded", codec: "CharLS 2.3.4 (...)" }
 * ```
 */
export async function openTranscoded(
  file: ByteSource,
  from: string,
  to: string,
  threads?: ThreadsHolder,
): Promise<ByteSource> {
  const src = TRANSFER_SYNTAXES.get(from);
  const dst = TRANSFER_SYNTAXES.get(to);
  const steps: TranscodeSpec[] = [];
  try {
    if (!src || !dst) {
      throw new ConversionError("unsupported", `can't convert ${from} to ${to}`);
    }
    if (src.encapsulated) {
      if (!canDecode(from)) {
        throw new ConversionError("unsupported", `no decoder for ${uidNameOrUid(from)}`);
      }
      steps.push({
        direction: "decode",
        transferSyntaxUid: from,
        codec: await loadCodec(from),
        lossy: isLossy(from),
      });
    }
    if (dst.encapsulated) {
      if (!canEncode(to)) {
        throw new ConversionError("unsupported", `no encoder for ${uidNameOrUid(to)}`);
      }
      steps.push({
        direction: "encode",
        transferSyntaxUid: to,
        codec: await loadCodec(to, "encode"),
      });
    }
  } catch (e) {
    file.close();
    throw e;
  }
  for (const step of steps) {
    if (step.codec.threaded && threads && threads.max > 0) {
      step.threads = threads.threads ??= new CodecThreads(threads.max, threads);
    }
  }

  let read: ReadFn = (p) => file.read(p);
  let chunks: AsyncGenerator<Uint8Array> | undefined;
  const toStream = () => {
    if (chunks) read = readFnFromChunks(chunks);
    chunks = undefined;
  };
  // An uncompressed file to encode: to Explicit VR Little Endian first.
  if (!src!.encapsulated && from !== EXPLICIT_VR_LE) {
    if (src!.deflated) read = inflateReader(read);
    if (!src!.explicitVr || !src!.littleEndian) {
      chunks = convertDataset(read, encodingOf(from)!, encodingOf(EXPLICIT_VR_LE)!);
    }
  }
  const stages = steps.map((spec) => {
    toStream();
    const t = transcodeDataset(read, spec);
    chunks = t.chunks;
    return t;
  });
  // Decoded: on to the syntax the peer accepted.
  if (!dst!.encapsulated && to !== EXPLICIT_VR_LE) {
    toStream();
    chunks = dst!.explicitVr && dst!.littleEndian
      ? readChunks(read)
      : convertDataset(read, encodingOf(EXPLICIT_VR_LE)!, encodingOf(to)!);
    if (dst!.deflated) chunks = deflateChunks(chunks, 1);
  }
  const out = chunks ?? readChunks(read);
  const close = () => {
    file.close();
    out.return(undefined).catch(() => {});
  };

  // Run ahead to the first frame of every stage (bounded), holding what comes out.
  const held: Uint8Array[] = [];
  let size = 0;
  try {
    while (!stages.every((s) => s.ready) && size < PRIME_LIMIT) {
      const r = await out.next();
      if (r.done) break;
      held.push(r.value.slice());
      size += r.value.length;
    }
  } catch (e) {
    close();
    throw e;
  }
  const transcoding: Transcoding = {
    direction: dst!.encapsulated ? "encoded" : "decoded",
    codec: steps.map((s) => s.codec.name).join(" → "),
  };
  const onThreads = Math.max(0, ...stages.map((s) => s.threads));
  if (onThreads > 0) transcoding.threads = onThreads;
  return new TranscodedSource(transcoding, held, out, close);
}
