/**
 * The mirror of {@link PduReader} for data: turns a command set and a data set stream into
 * correctly sized P-DATA-TF PDUs (one PDV each, like the reference), gathered into few large
 * writes. The data set is read straight into the outgoing buffer, so a large object streams
 * through one reused buffer instead of being held in memory.
 *
 * @module
 */

import { PDATA_SINGLE_PDV_OVERHEAD as HEADERS, writeSinglePdvHeaders } from "./encode.ts";

/** A pull-based byte stream (the shape of `lib/part10`'s `ByteSource`). */
export interface DataSource {
  /** Reads up to `p.length` bytes into `p`; `null` at the end. */
  read(p: Uint8Array): Promise<number | null>;
  /** {@link DataSource.read}, synchronously, for a source that can (a local file). */
  readSync?(p: Uint8Array): number | null;
  /**
   * How many bytes the source delivers in all, when known up front. The read that delivers
   * the last of them has made every check of the stream's end (it throws instead), so the
   * writer marks that fragment last without reading ahead.
   */
  readonly length?: number;
}

/** Reading the data set failed (the file, not the network): the message can't be finished. */
export class DataSetSourceError extends Error {
  /**
   * Creates the error.
   * @param cause what the source threw
   */
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = "DataSetSourceError";
  }
}

/** The source ended before the length it announced. */
function endedEarly(got: number, length: number): DataSetSourceError {
  return new DataSetSourceError(new Error(`data set ended after ${got} of its ${length} bytes`));
}

/** Fragment size used when the peer sets no maximum length (0 = unlimited). */
const UNLIMITED_FRAGMENT = 1 << 20;
/** Size of the buffer that gathers several P-DATA-TF PDUs into one write. */
const WRITE_BUFFER = 256 * 1024;

async function readSource(src: DataSource, p: Uint8Array): Promise<number | null> {
  try {
    return await src.read(p);
  } catch (err) {
    throw new DataSetSourceError(err);
  }
}

/** A source that can read synchronously. */
type SyncSource = DataSource & { readSync(p: Uint8Array): number | null };

function readSourceSync(src: SyncSource, p: Uint8Array): number | null {
  try {
    return src.readSync(p);
  } catch (err) {
    throw new DataSetSourceError(err);
  }
}

/**
 * Writes DIMSE messages as P-DATA-TF PDUs no longer than the peer's maximum length.
 *
 * @example
 * ```ts
 * import { PDataWriter } from "jsr:@x/storescu/pdu";
 * const pdus: Uint8Array[] = [];
 * const writer = new PDataWriter(async (b) => void pdus.push(b.slice()), 16384);
 * await writer.writeMessage(1, new Uint8Array(10));
 * pdus[0].length; // 22: 6-byte PDU header, 6-byte PDV header, 10 bytes of command
 * ```
 */
export class PDataWriter {
  #write: (bytes: Uint8Array) => Promise<void>;
  #fragment: number;
  #out = new Uint8Array(0);
  #peek?: Uint8Array;
  #partial = false;
  // The message being written.
  #used = 0;
  #contextId = 0;
  #beforeWrite?: () => void;

  /**
   * Creates a writer for one association.
   * @param write sends bytes (whole PDUs only, never a part of one)
   * @param peerMaxPduLength the peer's Maximum Length Received (0 = unlimited)
   */
  constructor(write: (bytes: Uint8Array) => Promise<void>, peerMaxPduLength: number) {
    this.#write = write;
    // One PDV per PDU: its item (4 + 2 + data) is the whole PDU body. Even fragments:
    // DCMTK rejects odd PDV lengths ("Odd Fragment Length").
    this.#fragment = peerMaxPduLength === 0
      ? UNLIMITED_FRAGMENT
      : Math.max(2, (peerMaxPduLength - 6) & ~1);
  }

  /** Data bytes per PDU. */
  get fragmentSize(): number {
    return this.#fragment;
  }

  /** Part of the last message was written before it failed (the peer holds half of it). */
  get partial(): boolean {
    return this.#partial;
  }

  /**
   * Writes the command set (control 0x01, last 0x03) and, when given, the data set (0x00,
   * last 0x02) read from `dataSet`. `beforeWrite` may throw to stop between writes (an
   * association that ended meanwhile). Resolves the data set bytes written.
   */
  async writeMessage(
    contextId: number,
    command: Uint8Array,
    dataSet?: DataSource,
    beforeWrite?: () => void,
  ): Promise<number> {
    const size = Math.max(WRITE_BUFFER, this.#fragment + HEADERS);
    if (this.#out.length < size) this.#out = new Uint8Array(size);
    this.#used = 0;
    this.#partial = false;
    this.#contextId = contextId;
    this.#beforeWrite = beforeWrite;
    try {
      // A command set fits the empty buffer (it always does): no promise for it.
      if (!this.#putCommand(command)) await this.#writeCommand(command);
      let bytes = 0;
      if (dataSet) {
        // Data set fragments are read straight into the write buffer.
        const length = dataSet.length;
        bytes = length
          ? await this.#writeKnownLength(dataSet, length)
          : await this.#writeReadingAhead(dataSet);
      }
      await this.#flush();
      return bytes;
    } finally {
      this.#beforeWrite = undefined;
    }
  }

  #header(at: number, len: number, command: boolean, last: boolean): void {
    writeSinglePdvHeaders(this.#out, at, len, this.#contextId, command, last);
  }

  /** True when a PDU of `n` data bytes doesn't fit what is left of the buffer. */
  #full(n: number): boolean {
    return this.#used + n + HEADERS > this.#out.length;
  }

  async #flush(): Promise<void> {
    if (this.#used === 0) return;
    this.#beforeWrite?.();
    this.#partial = true;
    await this.#write(this.#out.subarray(0, this.#used));
    this.#used = 0;
  }

  /** Puts a command set that fits in one PDU into the empty buffer; false when it doesn't. */
  #putCommand(command: Uint8Array): boolean {
    if (command.length > this.#fragment || this.#full(command.length)) return false;
    this.#header(this.#used, command.length, true, true);
    this.#out.set(command, this.#used + HEADERS);
    this.#used += command.length + HEADERS;
    return true;
  }

  async #writeCommand(command: Uint8Array): Promise<void> {
    const frag = this.#fragment;
    for (let off = 0; off < command.length || off === 0; off += frag) {
      const part = command.subarray(off, Math.min(off + frag, command.length));
      const last = off + frag >= command.length;
      if (this.#full(part.length)) await this.#flush();
      this.#header(this.#used, part.length, true, last);
      this.#out.set(part, this.#used + HEADERS);
      this.#used += part.length + HEADERS;
      if (last) break;
    }
  }

  /**
   * Data set fragments of a source that says its length: the fragment that reaches it is the
   * last. A source with `readSync` fills a whole write buffer without a promise per fragment.
   */
  async #writeKnownLength(dataSet: DataSource, length: number): Promise<number> {
    const sync = dataSet.readSync ? dataSet as SyncSource : undefined;
    let total = 0;
    while (total < length) {
      if (this.#full(Math.min(this.#fragment, length - total))) await this.#flush();
      total = sync
        ? this.#fillSync(sync, total, length)
        : await this.#fillOne(dataSet, total, length);
    }
    return total;
  }

  /** Fills the write buffer with as many fragments as fit, synchronously; the new total. */
  #fillSync(src: SyncSource, total: number, length: number): number {
    const frag = this.#fragment;
    const out = this.#out;
    for (;;) {
      const want = Math.min(frag, length - total);
      const at = this.#used + HEADERS;
      if (want === 0 || at + want > out.length) return total;
      let n = 0;
      while (n < want) {
        const r = readSourceSync(src, out.subarray(at + n, at + want));
        if (r === null) throw endedEarly(total + n, length);
        n += r;
      }
      total += n;
      this.#header(this.#used, n, false, total === length);
      this.#used = at + n;
    }
  }

  /** One fragment from an asynchronous source; the new total. */
  async #fillOne(src: DataSource, total: number, length: number): Promise<number> {
    const want = Math.min(this.#fragment, length - total);
    const at = this.#used + HEADERS;
    let n = 0;
    while (n < want) {
      const r = await readSource(src, this.#out.subarray(at + n, at + want));
      if (r === null) throw endedEarly(total + n, length);
      n += r;
    }
    total += n;
    this.#header(this.#used, n, false, total === length);
    this.#used = at + n;
    return total;
  }

  /**
   * Data set fragments of a source of unknown length: whether a full fragment is the last one
   * is only known by reading ahead, and those bytes open the next fragment.
   */
  async #writeReadingAhead(dataSet: DataSource): Promise<number> {
    const frag = this.#fragment;
    let total = 0;
    let pending = 0;
    for (;;) {
      if (this.#full(frag)) await this.#flush();
      const out = this.#out;
      const at = this.#used;
      let n = 0;
      if (pending > 0) {
        out.set(this.#peek!.subarray(0, pending), at + HEADERS);
        n = pending;
        pending = 0;
      }
      let eof = false;
      while (n < frag) {
        const r = await readSource(dataSet, out.subarray(at + HEADERS + n, at + HEADERS + frag));
        if (r === null) {
          eof = true;
          break;
        }
        n += r;
      }
      if (!eof) {
        if (!this.#peek || this.#peek.length < frag) this.#peek = new Uint8Array(frag);
        const r = await readSource(dataSet, this.#peek.subarray(0, frag));
        if (r === null) eof = true;
        else pending = r;
      }
      this.#header(at, n, false, eof);
      this.#used += n + HEADERS;
      total += n;
      if (eof) return total;
    }
  }
}
