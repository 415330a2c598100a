/**
 * A file's data set sent as stored, in one layer: the bytes already in hand from the
 * examination, then the rest read from the file (kept open since the examination, or opened
 * again), followed element by element to its end, counted against the size examined, checked
 * for changes to the file when it starts and ends, and ended with one 0x00 byte when its length
 * is odd. Its length is known up front and its reads are synchronous, so a writer can fill a
 * whole buffer of P-DATA-TF PDUs from it without a promise per fragment and without reading
 * ahead to learn which fragment is the last.
 *
 * @module
 */

import { DatasetBoundaryCheck } from "./check.ts";
import type { Encoding } from "./encoding.ts";
import { ConversionError } from "./errors.ts";
import { checkUnchanged, FileChangedError } from "./guard.ts";
import type { ByteSource, DicomFileInfo } from "./types.ts";

/** Size of a read from the file when the caller's buffer is smaller. */
const BUFFER = 256 * 1024;
/** Caller buffers at least this big are read into directly. */
const DIRECT = 64 * 1024;
/** Read buffers handed back by closed sources, so sending many files allocates few. */
const pool: Uint8Array[] = [];

/**
 * A read buffer of 256 KiB for a file's source: one a closed source gave back (its contents
 * are what that source left in it), or a new one.
 *
 * @example
 * ```ts
 * import { readBuffer } from "./stored.ts";
 * readBuffer().length; // 262144
 * ```
 */
export function readBuffer(): Uint8Array {
  return pool.pop() ?? new Uint8Array(BUFFER);
}

/**
 * A file's source is closed: its read buffer (if any) goes back for the next file's source
 * (see {@link readBuffer}) and its file (if any) is closed; an error closing it means it is
 * closed already, and is ignored. Once per file, never per read.
 *
 * @example
 * ```ts
 * import { closeRead, readBuffer } from "./stored.ts";
 * const file = Deno.openSync("../shared/corpus/pydicom/test_files/CT_small.dcm");
 * closeRead(file, readBuffer());
 * ```
 */
export function closeRead(file: Deno.FsFile | null, buf: Uint8Array | null): void {
  if (buf && pool.length < 4) pool.push(buf);
  if (!file) return;
  try {
    file.close();
  } catch {
    // already closed
  }
}

/**
 * What a source delivers after the last byte of a data set of `total` bytes: nothing (`null`)
 * when `total` is even, else one 0x00 byte written to `p[0]` (returns 1). PS3.5 A.5 asks for
 * it after a deflated bitstream, and peers (DCMTK) reject odd-length P-DATA fragments, so
 * every data set sent is ended so; `p` is not empty. Once per data set, never per read.
 *
 * @example
 * ```ts
 * import { oddEnd } from "./stored.ts";
 * const p = new Uint8Array([7]);
 * oddEnd(10, p); // null
 * oddEnd(11, p); // 1 (p[0] is 0)
 * ```
 */
export function oddEnd(total: number, p: Uint8Array): 1 | null {
  if (total % 2 === 0) return null;
  p[0] = 0;
  return 1;
}

/** Where the bytes of a {@link StoredDataset} come from. */
export interface StoredInput {
  /** Bytes already in hand: the first bytes of the data set (or all of it). */
  bytes: Uint8Array;
  /** The file, positioned just after `bytes`; absent when `bytes` is the whole data set. */
  file?: Deno.FsFile;
  /** Called once on close, after the file is closed (e.g. to hand `bytes` back). */
  release?: () => void;
}

/**
 * The data set of `info`'s file exactly as stored.
 *
 * Reads deliver exactly {@link StoredDataset.length} bytes, then `null`; the read that
 * delivers the last of them has already made every check of the end, and throws instead when
 * one fails: the file ended early or goes on (a {@link FileChangedError} when its size, inode or
 * last write differ from the examination, checked first when `guard` is set), or the data set
 * ends inside an element (a {@link ConversionError} "truncated").
 *
 * @example
 * ```ts
 * import { readDicomFileInfo } from "./file.ts";
 * import { StoredDataset } from "./stored.ts";
 * const path = "../shared/corpus/pydicom/test_files/CT_small.dcm";
 * const info = await readDicomFileInfo(path);
 * const file = Deno.openSync(path);
 * file.seekSync(info.datasetOffset, Deno.SeekMode.Start);
 * const src = new StoredDataset(info, { bytes: new Uint8Array(0), file }, {
 *   explicitVr: true,
 *   littleEndian: true,
 * }, true);
 * const buf = new Uint8Array(src.length);
 * src.readSync(buf); // src.length
 * src.readSync(buf); // null
 * src.close();
 * ```
 */
export class StoredDataset implements ByteSource {
  /** Bytes delivered in all: the data set as examined, plus one 0x00 when that is odd. */
  readonly length: number;
  #info: DicomFileInfo;
  #guard: boolean;
  #check: DatasetBoundaryCheck | null;
  #input: StoredInput | null;
  #bytes: Uint8Array;
  #at = 0;
  #file: Deno.FsFile | null;
  #buf: Uint8Array | null = null;
  #start = 0;
  #end = 0;
  /** Data set bytes expected, and delivered so far. */
  #data: number;
  #count = 0;
  #delivered = 0;
  #started = false;
  #endChecked = false;

  /**
   * @param info the record the file was examined into
   * @param input the bytes in hand and the open file
   * @param enc the data set's encoding, to follow its elements; `undefined`: not followed
   * @param guard check the file for changes since the examination (not for bytes kept from it)
   */
  constructor(
    info: DicomFileInfo,
    input: StoredInput,
    enc: Encoding | undefined,
    guard: boolean,
  ) {
    this.#info = info;
    this.#input = input;
    this.#bytes = input.bytes;
    this.#file = input.file ?? null;
    this.#guard = guard && this.#file !== null;
    this.#check = enc ? new DatasetBoundaryCheck(enc) : null;
    this.#data = this.#file ? Math.max(0, info.size - info.datasetOffset) : input.bytes.length;
    this.length = this.#data + (this.#data & 1);
  }

  // deno-lint-ignore require-await
  async read(p: Uint8Array): Promise<number | null> {
    return this.readSync(p);
  }

  /** {@link StoredDataset.read}, synchronously. */
  readSync(p: Uint8Array): number | null {
    if (!this.#input) return null;
    if (!this.#started) {
      this.#started = true;
      if (this.#guard) checkUnchanged(this.#info); // changed since examined: fail before any
    }
    if (p.length === 0) return 0;
    let n = 0;
    const want = Math.min(p.length, this.#data - this.#count);
    if (want > 0) {
      n = this.#fill(p, want);
      if (n === 0) this.#fail(); // the file ended early
      const check = this.#check;
      if (check && !check.skip(n)) check.update(p.subarray(0, n));
      this.#count += n;
    }
    if (this.#count === this.#data && !this.#endChecked) {
      this.#endChecked = true;
      this.#ended();
    }
    if (this.#count === this.#data && n < p.length && this.#delivered + n < this.length) {
      p[n++] = 0; // odd length: one padding byte
    }
    if (n === 0) return null;
    this.#delivered += n;
    return n;
  }

  /** Moves up to `want` bytes into `p`: fewer only when the file ends first. */
  #fill(p: Uint8Array, want: number): number {
    let n = 0;
    if (this.#at < this.#bytes.length) {
      n = Math.min(want, this.#bytes.length - this.#at);
      p.set(this.#bytes.subarray(this.#at, this.#at + n));
      this.#at += n;
    }
    while (n < want) {
      if (this.#start < this.#end) {
        const k = Math.min(want - n, this.#end - this.#start);
        p.set(this.#buf!.subarray(this.#start, this.#start + k), n);
        this.#start += k;
        n += k;
        continue;
      }
      const file = this.#file;
      if (!file) break;
      if (want - n >= DIRECT) {
        // Big enough to read into directly.
        const r = this.#readFile(file, p.subarray(n, want));
        if (r === 0) break;
        n += r;
      } else {
        // Never past the size examined: what lies beyond is found by the end's check.
        const left = this.#data - this.#count - n;
        const buf = this.#buf ??= readBuffer();
        const r = this.#readFile(file, buf.subarray(0, Math.min(BUFFER, left)));
        if (r === 0) break;
        this.#start = 0;
        this.#end = r;
      }
    }
    return n;
  }

  #readFile(file: Deno.FsFile, p: Uint8Array): number {
    try {
      return file.readSync(p) ?? 0;
    } catch (err) {
      if (this.#guard) checkUnchanged(this.#info); // a read error is most likely a change
      throw err;
    }
  }

  /** All the data set is in: checks that the file ends here and the data set too. */
  #ended(): void {
    const file = this.#file;
    // Guarded, the file's size now must be the size examined; else one more read must find
    // nothing.
    if (this.#guard) checkUnchanged(this.#info);
    else if (file) {
      const probe = this.#buf ??= readBuffer();
      if (this.#readFile(file, probe.subarray(0, 1)) > 0) this.#fail("more read");
    }
    const why = this.#check?.end();
    if (why) throw new ConversionError("truncated", why);
  }

  /** The file is not as long as examined: say why, the file's change first. */
  #fail(extra?: string): never {
    if (this.#guard) checkUnchanged(this.#info);
    if (!extra) {
      const why = this.#check?.end();
      if (why) throw new ConversionError("truncated", why);
    }
    throw new FileChangedError(
      this.#info,
      extra ?? `${this.#info.datasetOffset + this.#count} read`,
    );
  }

  close(): void {
    const input = this.#input;
    if (!input) return;
    this.#input = null;
    const file = this.#file;
    this.#file = null;
    const buf = this.#buf;
    this.#buf = null;
    this.#start = this.#end = 0;
    closeRead(file, buf);
    input.release?.();
  }
}
