/**
 * Opens a file's data set as a {@link ByteSource}, as stored or converted to another
 * uncompressed transfer syntax.
 *
 * @module
 */

import { isConvertible, TRANSFER_SYNTAXES } from "../uids.ts";
import { canDecode, canEncode } from "../codecs/mod.ts";
import type { ThreadsHolder } from "../codecs/threads.ts";
import { encodingOf } from "./encoding.ts";
import { checkedDeflatedSource } from "./check.ts";
import { ConversionError, DicomFileError } from "./errors.ts";
import {
  examinedDataset,
  forgetExaminedDataset,
  returnHead,
  takeExaminedFile,
} from "./examined.ts";
import { guardedSource } from "./guard.ts";
import type { ReadFn } from "./input.ts";
import { closeRead, oddEnd, readBuffer, StoredDataset, type StoredInput } from "./stored.ts";
import type { ByteSource, DicomFileInfo } from "./types.ts";

/** Caller buffers at least this big are read into directly. */
const DIRECT = 64 * 1024;

/**
 * True when a data set stored in `from` can be sent as `to`: the same syntax, or both among
 * the four uncompressed ones (Implicit/Explicit VR LE, Deflated Explicit VR LE, Explicit VR BE).
 *
 * @example
 * ```ts
 * import { canConvert } from "jsr:@x/storescu/part10";
 * canConvert("1.2.840.10008.1.2.1", "1.2.840.10008.1.2"); // true
 * canConvert("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2"); // false (JPEG)
 * ```
 */
export function canConvert(from: string, to: string): boolean {
  return from === to || (isConvertible(from) && isConvertible(to));
}

/**
 * True when a data set stored in `from` can be sent as `to` by decoding and/or encoding its
 * Pixel Data: `from` is uncompressed or has a decoder, `to` is uncompressed or has an encoder,
 * and at least one of them is compressed.
 *
 * @example
 * ```ts
 * import { canTranscode } from "jsr:@x/storescu/part10";
 * canTranscode("1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2"); // true (JPEG-LS → Implicit LE)
 * canTranscode("1.2.840.10008.1.2.1", "1.2.840.10008.1.2.4.50"); // false: no lossy encoding
 * ```
 */
export function canTranscode(from: string, to: string): boolean {
  if (from === to || canConvert(from, to)) return false;
  const decodable = isConvertible(from) || canDecode(from);
  const encodable = isConvertible(to) || canEncode(to);
  return decodable && encodable;
}

/**
 * Byte length of the data set as stored (file size minus the data set offset): exact when it
 * is sent in its own transfer syntax.
 *
 * @example
 * ```ts
 * import { datasetLength } from "jsr:@x/storescu/part10";
 * datasetLength({ size: 1000, datasetOffset: 336 } as never); // 664
 * ```
 */
export function datasetLength(info: Pick<DicomFileInfo, "size" | "datasetOffset">): number {
  return Math.max(0, info.size - info.datasetOffset);
}

class FileSource implements ByteSource {
  #file: Deno.FsFile | null;
  #buf: Uint8Array | null = null;
  #start = 0;
  #end = 0;
  #release?: () => void;
  /** Reads `input.file`, after the bytes of `input.bytes`. */
  constructor(input: StoredInput) {
    this.#file = input.file ?? null;
    this.#release = input.release;
    if (input.bytes.length > 0) {
      this.#buf = input.bytes;
      this.#end = input.bytes.length;
    }
  }

  async read(p: Uint8Array): Promise<number | null> {
    if (p.length === 0) return 0;
    if (this.#start < this.#end) {
      const n = Math.min(p.length, this.#end - this.#start);
      p.set(this.#buf!.subarray(this.#start, this.#start + n));
      this.#start += n;
      return n;
    }
    const file = this.#file;
    if (!file) return null;
    if (p.length >= DIRECT) return file.readSync(p);
    if (this.#release) this.#done();
    this.#buf ??= readBuffer();
    const r = file.readSync(this.#buf);
    if (r === null) return null;
    this.#start = 0;
    this.#end = r;
    return await this.read(p);
  }

  /** The bytes in hand are used up: hand their buffer back. */
  #done(): void {
    this.#release?.();
    this.#release = undefined;
    this.#buf = null;
  }

  close(): void {
    const file = this.#file;
    this.#file = null;
    if (this.#release) this.#done();
    const buf = this.#buf;
    this.#buf = null;
    this.#start = this.#end = 0;
    closeRead(file, buf);
  }
}

class ChunkSource implements ByteSource {
  #read: ReadFn;
  #onClose: () => void;
  #closed = false;
  constructor(read: ReadFn, onClose: () => void) {
    this.#read = read;
    this.#onClose = onClose;
  }
  async read(p: Uint8Array): Promise<number | null> {
    if (this.#closed) return null;
    return await this.#read(p);
  }
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose();
  }
}

// Sync calls: every async file op is a round trip to Deno's blocking thread pool, which
// costs more than opening or reading a local file (see bench/RESULTS.md).
function openAt(info: DicomFileInfo): StoredInput {
  // Kept open since the examination: no second open, and its first bytes are in hand.
  const kept = takeExaminedFile(info);
  if (kept) {
    return {
      bytes: kept.head.subarray(info.datasetOffset),
      file: kept.file,
      release: () => returnHead(kept.head),
    };
  }
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(info.path, { read: true });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new DicomFileError(info.path, "unreadable", `can't open: ${msg}`, { cause: e });
  }
  if (info.datasetOffset > 0) file.seekSync(info.datasetOffset, Deno.SeekMode.Start);
  return { bytes: new Uint8Array(0), file };
}

/** How {@link openDataset} may transcode. */
export interface OpenOptions {
  /**
   * Threads to decode frames on, when a file is decoded (`CodecThreads` of the codecs'
   * `threads.ts`, made by the first file that needs them); else on the calling thread.
   */
  threads?: ThreadsHolder;
}

/**
 * Opens the data set of a file for sending in `targetTransferSyntax`: the file's own bytes
 * from `datasetOffset` when the syntax is unchanged, else a streaming converter (memory stays
 * bounded except for one buffered sequence at a time), else (see {@link canTranscode}) a
 * source that decodes and/or encodes the Pixel Data frame by frame, loaded with its codec
 * only then; its `transcoding` says how. Throws {@link ConversionError} when the conversion is
 * impossible, and a codec's error when it refuses the image or its first frame; errors found
 * later (e.g. encapsulated pixel data in an uncompressed syntax, a corrupt later frame)
 * reject `read`.
 *
 * @example
 * ```ts
 * import { readDicomFileInfo } from "jsr:@x/storescu/part10";
 * import { openDataset } from "jsr:@x/storescu/part10";
 * const info = await readDicomFileInfo("../shared/corpus/pydicom/test_files/CT_small.dcm");
 * const src = await openDataset(info, "1.2.840.10008.1.2");
 * const buf = new Uint8Array(65536);
 * let total = 0;
 * for (let n; (n = await src.read(buf)) !== null;) total += n;
 * src.close();
 * ```
 */
export async function openDataset(
  info: DicomFileInfo,
  targetTransferSyntax: string,
  options: OpenOptions = {},
): Promise<ByteSource> {
  const from = info.transferSyntaxUid;
  const snapshot = examinedDataset(info);
  // Bytes kept from the examination are the file as examined: nothing can change under them.
  // A file read again is checked for changes since (size, inode, last write).
  const input = (): StoredInput =>
    snapshot ? { bytes: snapshot, release: () => forgetExaminedDataset(info) } : openAt(info);
  const guard = (src: ByteSource, unchanged: boolean) =>
    snapshot ? src : guardedSource(src, info, unchanged);
  if (from === targetTransferSyntax) {
    // Unchanged bytes are checked to end on an element boundary (a cut file must not be
    // "stored"); a deflated stream is inflated on the side to be followed.
    const enc = encodingOf(from);
    const ts = TRANSFER_SYNTAXES.get(from);
    if (!ts?.deflated) return new StoredDataset(info, input(), ts && enc, !snapshot);
    return guard(new EvenSource(checkedDeflatedSource(new FileSource(input()))), true);
  }
  if (!canConvert(from, targetTransferSyntax)) {
    // Pixel Data to decode or encode: loaded only when a file needs it.
    if (canTranscode(from, targetTransferSyntax)) {
      const { openTranscoded } = await import("./transcode_source.ts");
      return guard(
        await openTranscoded(new FileSource(input()), from, targetTransferSyntax, options.threads),
        false,
      );
    }
    throw new ConversionError(
      "unsupported",
      `can't convert ${from} to ${targetTransferSyntax} (only between uncompressed syntaxes)`,
    );
  }
  const src = TRANSFER_SYNTAXES.get(from)!;
  const dst = TRANSFER_SYNTAXES.get(targetTransferSyntax)!;
  // Loaded on the first conversion only: a plain send needs none of it (nor the dictionary).
  const { convertDataset } = await import("./convert.ts");
  const { deflateChunks, inflateReader, readChunks, readFnFromChunks } = await import(
    "./deflate.ts"
  );
  const fileSource = new FileSource(input());
  let read: ReadFn = (p) => fileSource.read(p);
  if (src.deflated) read = inflateReader(read);
  // Explicit VR LE <-> Deflated Explicit VR LE only (de)compresses: the elements stay as they
  // are, so skip the element walk.
  let chunks = src.explicitVr === dst.explicitVr && src.littleEndian === dst.littleEndian
    ? readChunks(read)
    : convertDataset(read, encodingOf(from)!, encodingOf(targetTransferSyntax)!);
  // Level 1: on-the-fly compression for a peer that picked Deflated from our proposal; the
  // default level costs several times the CPU for a few per cent of size.
  if (dst.deflated) chunks = deflateChunks(chunks, 1);
  return guard(
    new EvenSource(
      new ChunkSource(readFnFromChunks(chunks), () => {
        fileSource.close();
        chunks.return(undefined).catch(() => {});
      }),
    ),
    false,
  );
}

/**
 * Ends an odd-length stream with one 0x00 byte (see {@link oddEnd}): an odd-length
 * uncompressed data set is malformed anyway.
 */
class EvenSource implements ByteSource {
  #inner: ByteSource;
  #total = 0;
  #ended = false;
  constructor(inner: ByteSource) {
    this.#inner = inner;
  }
  async read(p: Uint8Array): Promise<number | null> {
    if (this.#ended || p.length === 0) return this.#ended ? null : 0;
    const n = await this.#inner.read(p);
    if (n !== null) {
      this.#total += n;
      return n;
    }
    this.#ended = true;
    return oddEnd(this.#total, p);
  }
  close(): void {
    this.#inner.close();
  }
}
