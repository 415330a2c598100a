/**
 * Reading whole PDUs from a byte stream such as a `Deno.Conn`.
 *
 * @module
 */

import { decodePdu, isKnownPduType, PduError } from "./decode.ts";
import { PDU_HEADER_LENGTH } from "./encode.ts";
import { type Pdu, PduType } from "./types.ts";

/** Anything with a `Deno.Reader`-style `read`; `Deno.Conn` and `Deno.FsFile` qualify. */
export interface PduSource {
  /** Read into `p`; resolve to the byte count, or `null` at end of stream. */
  read(p: Uint8Array): Promise<number | null>;
}

/** Options of {@link PduReader}. */
export interface PduReaderOptions {
  /**
   * Largest PDU length field accepted for a P-DATA-TF PDU: our Maximum Length Received.
   * 0 means no limit.
   */
  maxPduLength: number;
  /** Largest PDU length field accepted for any other PDU; default 1 MiB, 0 means no limit. */
  maxOtherPduLength?: number;
}

/** Default limit for PDUs other than P-DATA-TF. */
export const DEFAULT_MAX_OTHER_PDU_LENGTH = 1024 * 1024;

/** Size of the reader's internal buffer, which serves small PDUs without extra reads. */
const BUFFER_SIZE = 64 * 1024;

/** When a PDU's length is not bounded by a limit, bodies grow by at most this much per step. */
const UNTRUSTED_CHUNK = 1024 * 1024;

/**
 * Reads PDUs one at a time from a {@link PduSource}.
 *
 * The declared length of each PDU is checked against the limits as soon as its 6-byte
 * header is in, before any body is read or allocated. Each PDU is decoded from a freshly
 * allocated buffer, so the byte arrays inside a returned PDU (such as PDV data) stay valid
 * after later reads.
 *
 * @example
 * ```ts
 * import { PduReader } from "jsr:@x/storescu/pdu";
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: 11112 });
 * const reader = new PduReader(conn, { maxPduLength: 16382 });
 * const pdu = await reader.read(); // null when the peer closed the connection
 * console.log(pdu?.type, reader.lastPduLength);
 * ```
 */
export class PduReader {
  readonly #src: PduSource;
  readonly #maxPData: number;
  readonly #maxOther: number;
  readonly #buf = new Uint8Array(BUFFER_SIZE);
  #start = 0;
  #end = 0;

  /** Whole byte length (header included) of the last PDU returned by {@link read}. */
  lastPduLength = 0;
  /** Total bytes of all PDUs returned so far. */
  totalBytesRead = 0;

  /**
   * Create a reader over `source`.
   *
   * @param source the stream to read from
   * @param options length limits
   */
  constructor(source: PduSource, options: PduReaderOptions) {
    this.#src = source;
    this.#maxPData = options.maxPduLength;
    this.#maxOther = options.maxOtherPduLength ?? DEFAULT_MAX_OTHER_PDU_LENGTH;
  }

  /**
   * Read the next PDU. Resolves to `null` on a clean end of stream between PDUs.
   *
   * Throws {@link PduError}: `"truncated"` when the stream ends inside a PDU,
   * `"unknown-type"` for an unknown PDU type, `"too-large"` when the declared length is
   * over the limit, and any decoding error of {@link decodePdu}.
   *
   * @example
   * ```ts
   * import { PduReader } from "jsr:@x/storescu/pdu";
   * const bytes = [0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0];
   * let sent = false;
   * const source = {
   *   read(p: Uint8Array) {
   *     if (sent) return Promise.resolve(null);
   *     sent = true;
   *     p.set(bytes);
   *     return Promise.resolve(bytes.length);
   *   },
   * };
   * const reader = new PduReader(source, { maxPduLength: 0 });
   * await reader.read(); // { type: 5 }
   * await reader.read(); // null
   * ```
   */
  async read(): Promise<Pdu | null> {
    if (!(await this.#fill(PDU_HEADER_LENGTH))) {
      if (this.#end === this.#start) return null;
      throw new PduError(
        "truncated",
        `Stream ended inside a PDU header (${this.#end - this.#start} of 6 bytes)`,
      );
    }
    const b = this.#buf;
    const s = this.#start;
    const type = b[s];
    if (!isKnownPduType(type)) {
      throw new PduError(
        "unknown-type",
        `Unknown PDU type 0x${type.toString(16).toUpperCase().padStart(2, "0")}`,
      );
    }
    const length = ((b[s + 2] << 24) >>> 0) + (b[s + 3] << 16) + (b[s + 4] << 8) + b[s + 5];
    const limit = type === PduType.PData ? this.#maxPData : this.#maxOther;
    if (limit > 0 && length > limit) {
      throw new PduError(
        "too-large",
        `PDU type 0x0${type} declares ${length} bytes, more than the limit of ${limit}`,
      );
    }
    const total = PDU_HEADER_LENGTH + length;
    const pdu = limit > 0 || total <= UNTRUSTED_CHUNK
      ? await this.#readSized(total)
      : await this.#readGrowing(total);
    this.lastPduLength = total;
    this.totalBytesRead += total;
    return decodePdu(pdu);
  }

  /**
   * Make at least `n` (≤ buffer size) bytes available in the internal buffer.
   * Returns false if the stream ended first.
   */
  async #fill(n: number): Promise<boolean> {
    if (this.#end - this.#start >= n) return true;
    if (this.#start > 0) {
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    while (this.#end < n) {
      const got = await this.#src.read(this.#buf.subarray(this.#end));
      if (got === null) return false;
      this.#end += got;
    }
    return true;
  }

  /** Move up to `want` buffered bytes into `dst` at `at`; returns how many were moved. */
  #drain(dst: Uint8Array, at: number, want: number): number {
    const n = Math.min(want, this.#end - this.#start);
    dst.set(this.#buf.subarray(this.#start, this.#start + n), at);
    this.#start += n;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return n;
  }

  /** Read into `dst[at..]` until full, straight from the source for large remainders. */
  async #readInto(dst: Uint8Array, at: number): Promise<void> {
    at += this.#drain(dst, at, dst.length - at);
    while (at < dst.length) {
      const remaining = dst.length - at;
      if (remaining >= BUFFER_SIZE) {
        const got = await this.#src.read(dst.subarray(at));
        if (got === null) this.#truncated();
        at += got;
      } else {
        if (!(await this.#fill(1))) this.#truncated();
        at += this.#drain(dst, at, remaining);
      }
    }
  }

  #truncated(): never {
    throw new PduError("truncated", "Stream ended inside a PDU");
  }

  /** Read a PDU whose length is within a trusted limit into one exact buffer. */
  async #readSized(total: number): Promise<Uint8Array> {
    const pdu = new Uint8Array(total);
    await this.#readInto(pdu, 0);
    return pdu;
  }

  /**
   * Read an unbounded PDU in chunks of at most 1 MiB, each allocated only once the
   * previous one is full, so a lying length field costs no more memory than bytes sent.
   */
  async #readGrowing(total: number): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    let got = 0;
    while (got < total) {
      const chunk = new Uint8Array(Math.min(UNTRUSTED_CHUNK, total - got));
      await this.#readInto(chunk, 0);
      chunks.push(chunk);
      got += chunk.length;
    }
    if (chunks.length === 1) return chunks[0];
    const pdu = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      pdu.set(c, at);
      at += c.length;
    }
    return pdu;
  }
}
