/**
 * A streaming check that a data set sent unchanged ends where an element ends: a file cut
 * inside its data set must fail before its last fragment goes out, not be "stored".
 *
 * It follows element headers only (values are skipped by length), so it costs nothing per
 * byte of pixel data. It judges truncation only: on anything it can't follow (an unknown
 * explicit VR, say) it stops checking rather than reject a file a peer may well accept.
 *
 * @module
 */

import {
  type Encoding,
  ITEM,
  ITEM_DELIMITATION,
  SEQUENCE_DELIMITATION,
  UNDEFINED_LENGTH,
  VR_KIND,
  vrCode,
} from "./encoding.ts";
import { ConversionError } from "./errors.ts";
import { readU16 as u16, readU32 as u32 } from "../bytes.ts";
import type { ByteSource } from "./types.ts";

const IMPLICIT_LE: Encoding = { explicitVr: false, littleEndian: true };

const UN = vrCode("UN");

/** An open container: an undefined-length sequence (items) or item (elements). */
interface Frame {
  kind: "sequence" | "item";
  enc: Encoding;
}

/**
 * Follows element boundaries over a stream of chunks.
 *
 * @example
 * ```ts
 * import { DatasetBoundaryCheck } from "./check.ts";
 * const check = new DatasetBoundaryCheck({ explicitVr: true, littleEndian: true });
 * // (0010,0010) PN, length 4, "A^B " — cut after two value bytes:
 * check.update(new Uint8Array([0x10, 0, 0x10, 0, 0x50, 0x4e, 4, 0, 0x41, 0x5e]));
 * check.end(); // "data set ends inside element (0010,0010) (2 bytes missing)"
 * ```
 */
export class DatasetBoundaryCheck {
  #enc: Encoding;
  #stack: Frame[] = [];
  /** A header cut between two chunks, gathered here (the rare case). */
  #header = new Uint8Array(12);
  #have = 0;
  #skip = 0;
  #tag = 0;
  #gaveUp = false;

  /** @param enc the data set's encoding (not deflated) */
  constructor(enc: Encoding) {
    this.#enc = enc;
  }

  #current(): Encoding {
    const stack = this.#stack;
    return stack.length > 0 ? stack[stack.length - 1].enc : this.#enc;
  }

  /** Size of the header that starts at `b[o]` (8 or 12), judged from its first 6 bytes. */
  #headerSize(b: Uint8Array, o: number): number {
    const enc = this.#current();
    if (!enc.explicitVr || u16(b, o, enc.littleEndian) === 0xfffe) return 8;
    return VR_KIND[(b[o + 4] << 8) | b[o + 5]] === 2 ? 12 : 8;
  }

  /**
   * Takes `n` bytes that lie inside the value being skipped (pixel data, mostly) without
   * looking at them; false when they don't (then {@link update} must see them). Small, so
   * that the per-fragment call stays cheap to run and to compile.
   */
  skip(n: number): boolean {
    if (this.#skip < n) return false;
    this.#skip -= n;
    return true;
  }

  /** Feeds the next bytes of the data set. */
  update(chunk: Uint8Array): void {
    let off = 0;
    const end = chunk.length;
    while (off < end && !this.#gaveUp) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, end - off);
        this.#skip -= n;
        off += n;
      } else if (this.#have === 0 && end - off >= 12) {
        // The whole header is in this chunk (nearly always): read it where it lies.
        off += this.#element(chunk, off);
      } else {
        off = this.#gather(chunk, off);
      }
    }
  }

  /** Gathers a header cut between chunks, byte by byte; reads it once it is whole. */
  #gather(chunk: Uint8Array, off: number): number {
    const h = this.#header;
    while (off < chunk.length) {
      h[this.#have++] = chunk[off++];
      if (this.#have >= 6 && this.#have === this.#headerSize(h, 0)) {
        this.#have = 0;
        this.#element(h, 0);
        break;
      }
    }
    return off;
  }

  /** Reads the whole element header at `b[o]` and follows it; returns its size. */
  #element(b: Uint8Array, o: number): number {
    const enc = this.#current();
    const le = enc.littleEndian;
    const group = u16(b, o, le);
    const tag = ((group << 16) | u16(b, o + 2, le)) >>> 0;
    this.#tag = tag;
    if (group === 0xfffe) {
      const len = u32(b, o + 4, le);
      if (tag === ITEM) {
        if (len === UNDEFINED_LENGTH) this.#stack.push({ kind: "item", enc });
        else this.#skip = len;
      } else if (tag === ITEM_DELIMITATION || tag === SEQUENCE_DELIMITATION) {
        const want = tag === ITEM_DELIMITATION ? "item" : "sequence";
        if (this.#stack.at(-1)?.kind !== want) this.#gaveUp = true;
        else this.#stack.pop();
      } else {
        this.#gaveUp = true;
      }
      return 8;
    }
    let vr = 0;
    let len: number;
    let size = 8;
    if (enc.explicitVr) {
      vr = (b[o + 4] << 8) | b[o + 5];
      const kind = VR_KIND[vr];
      if (kind === 0) {
        this.#gaveUp = true;
        return 8;
      }
      if (kind === 2) {
        size = 12;
        len = u32(b, o + 8, le);
      } else len = u16(b, o + 6, le);
    } else {
      len = u32(b, o + 4, le);
    }
    if (len !== UNDEFINED_LENGTH) {
      this.#skip = len;
      return size;
    }
    // Undefined length: a sequence (SQ, or any element in implicit VR), encapsulated pixel
    // data (items of defined length), or UN holding an implicit VR LE sequence.
    this.#stack.push({ kind: "sequence", enc: vr === UN ? IMPLICIT_LE : enc });
    return size;
  }

  /** Why the data set does not end at an element boundary, or `undefined` when it does. */
  end(): string | undefined {
    if (this.#gaveUp) return undefined;
    if (this.#have > 0) return "data set ends inside an element header";
    if (this.#skip > 0) {
      return `data set ends inside element ${tagText(this.#tag)} (${this.#skip} bytes missing)`;
    }
    if (this.#stack.length > 0) return "data set ends inside a sequence or item";
    return undefined;
  }
}

function tagText(tag: number): string {
  const h = (n: number) => n.toString(16).toUpperCase().padStart(4, "0");
  return `(${h(tag >>> 16)},${h(tag & 0xffff)})`;
}

/**
 * Wraps a source of unchanged data set bytes so that a truncated data set fails at its end
 * (with a {@link ConversionError} "truncated") instead of reporting the end of the stream.
 *
 * @example
 * ```ts ignore
 * import { checkedSource } from "./check.ts";
 * const src = checkedSource(fileSource, { explicitVr: true, littleEndian: true });
 * ```
 */
export function checkedSource(source: ByteSource, enc: Encoding): ByteSource {
  const check = new DatasetBoundaryCheck(enc);
  return {
    async read(p: Uint8Array): Promise<number | null> {
      const n = await source.read(p);
      if (n === null) {
        const why = check.end();
        if (why) throw new ConversionError("truncated", why);
        return null;
      }
      check.update(p.subarray(0, n));
      return n;
    },
    close: () => source.close(),
  };
}

/** Chunks handed from the sending side to the checking side, with a little slack. */
class Channel implements AsyncIterable<Uint8Array> {
  #chunks: Uint8Array[] = [];
  #ended = false;
  #wakeReader?: () => void;
  #wakeWriter?: () => void;

  get size(): number {
    return this.#chunks.length;
  }

  push(c: Uint8Array): void {
    this.#chunks.push(c);
    this.#wakeReader?.();
  }

  end(): void {
    this.#ended = true;
    this.#wakeReader?.();
  }

  /** Resolves once the reader has taken a chunk (or ended). */
  taken(): Promise<void> {
    return new Promise((r) => this.#wakeWriter = r);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        const c = this.#chunks.shift();
        if (c) {
          this.#wakeWriter?.();
          yield c;
          continue;
        }
        if (this.#ended) return;
        await new Promise<void>((r) => this.#wakeReader = r);
        this.#wakeReader = undefined;
      }
    } finally {
      this.#ended = true;
      this.#wakeWriter?.();
    }
  }
}

/**
 * {@link checkedSource} for a Deflated Explicit VR Little Endian data set sent unchanged: the
 * bytes read are also inflated on the side and followed element by element, so a deflate
 * stream that is cut or corrupt, or that inflates to a cut data set, fails at its end instead
 * of being sent as complete. Costs one inflate of the data set.
 *
 * @example
 * ```ts ignore
 * import { checkedDeflatedSource } from "./check.ts";
 * const src = checkedDeflatedSource(fileSource);
 * ```
 */
export function checkedDeflatedSource(source: ByteSource): ByteSource {
  const check = new DatasetBoundaryCheck({ explicitVr: true, littleEndian: true });
  const channel = new Channel();
  let failure: string | undefined;
  let checking = true;
  const checked = (async () => {
    const { inflateReader, readFnFromChunks } = await import("./deflate.ts");
    const read = inflateReader(readFnFromChunks(channel));
    const buf = new Uint8Array(64 * 1024);
    try {
      for (let n; (n = await read(buf)) !== null;) check.update(buf.subarray(0, n));
      failure = check.end();
    } catch (err) {
      failure = `deflated data set can't be inflated (${
        err instanceof Error ? err.message : String(err)
      })`;
    } finally {
      checking = false;
    }
  })();
  return {
    async read(p: Uint8Array): Promise<number | null> {
      const n = await source.read(p);
      if (n === null) {
        channel.end();
        await checked;
        if (failure) throw new ConversionError("truncated", failure);
        return null;
      }
      if (checking) {
        channel.push(p.slice(0, n));
        // Stay close behind the sending: a few chunks in hand at most.
        while (checking && channel.size > 4) await channel.taken();
      }
      return n;
    },
    close: () => {
      channel.end();
      source.close();
    },
  };
}
