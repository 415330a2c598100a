/**
 * Decoding or encoding a data set's Pixel Data as it streams past, one frame at a time.
 *
 * Input and output are Explicit VR Little Endian (every encapsulated syntax is; an
 * uncompressed file in another syntax is converted to it first, and the result converted on
 * to the syntax the peer accepted). Every element is passed on byte for byte except:
 *
 * - group 0028, the Image Pixel attributes: Photometric Interpretation, Planar Configuration,
 *   Lossy Image Compression and the group length written for what the frames become (see
 *   `image_group.ts`);
 * - (7FE0,0000) group length: recomputed after decoding, dropped after encoding (an
 *   encapsulated element has no length to count);
 * - (7FE0,0001)/(7FE0,0002) Extended Offset Table and its lengths: used to find the frames,
 *   then dropped (native Pixel Data has no offset tables; encoded frames get an empty Basic
 *   Offset Table, since offsets can't be known before every frame is encoded);
 * - (7FE0,0010) Pixel Data itself.
 *
 * Pixel Data inside a sequence: native Pixel Data passes unchanged in both directions (it is
 * valid in every syntax, as DCMTK writes icons). Encapsulated Pixel Data in the Icon Image
 * Sequence (0088,0200) is decoded like the image's own: the sequence (at most 16 MB) is held,
 * each item with encapsulated Pixel Data goes through a transcoder of its own, and the
 * lengths that change are recomputed (`items.ts`). Encapsulated Pixel Data in any other
 * sequence is refused, so nothing is ever sent under a transfer syntax its bytes don't match.
 *
 * @module
 */

import { concatBytes } from "../bytes.ts";
import { FrameSplitter, opensJpeg, opensJpeg2000 } from "../codecs/frames.ts";
import type { CodecThreads } from "../codecs/threads.ts";
import { CodecError, type FrameCodec, frameLength, type ImageInfo } from "../codecs/types.ts";
import {
  encodeHeader,
  type Encoding,
  ITEM,
  ITEM_DELIMITATION,
  PIXEL_DATA,
  SEQUENCE_DELIMITATION,
  tagString,
  UNDEFINED_LENGTH,
} from "./encoding.ts";
import { BufferPool } from "../buffers.ts";
import { FrameDecoder, FrameEncoder } from "./frame_queue.ts";
import { evenLength, ImageGroup, nativeLength } from "./image_group.ts";
import { type ElementHeader as Header, ElementInput, type ReadFn } from "./input.ts";
import { readBytes, rewriteItems } from "./items.ts";
import { ConversionError } from "./errors.ts";

/** What to do with the Pixel Data. */
export interface TranscodeSpec {
  /** "decode": encapsulated → native; "encode": native → encapsulated. */
  direction: "decode" | "encode";
  /** Decode: the syntax the pixel data is stored in; encode: the syntax to encode to. */
  transferSyntaxUid: string;
  /** The codec for that syntax. */
  codec: FrameCodec;
  /** Decode: the stored syntax may be lossy, so (0028,2110) must say "01". */
  lossy?: boolean;
  /** Threads to decode or encode frames on (else on this one). */
  threads?: CodecThreads;
}

const LE: Encoding = { explicitVr: true, littleEndian: true };
const IMPLICIT_LE: Encoding = { explicitVr: false, littleEndian: true };
const CHUNK = 256 * 1024;
/** Buffers larger than this are not kept for the next file. */
const SPARE_LIMIT = 16 * 1024 * 1024;
/**
 * Transcoders' input buffers (grown to a compressed frame), kept for the next files: the file
 * being sent and those opened ahead of it.
 */
const inputs = new BufferPool(4, SPARE_LIMIT);

const EXTENDED_OFFSETS = 0x7fe00001;
const EXTENDED_LENGTHS = 0x7fe00002;
const FLOAT_PIXEL_DATA = 0x7fe00008;
const DOUBLE_PIXEL_DATA = 0x7fe00009;
const ICON_IMAGE_SEQUENCE = 0x00880200;
/** The most of an Icon Image Sequence held to decode its icons. */
const ICON_LIMIT = 16 * 1024 * 1024;

/** Groups the transcoder reads element by element: Image Pixel (0028) and Pixel Data (7FE0). */
const ownGroup = (group: number) => group === 0x0028 || group === 0x7fe0;

class Transcoder {
  readonly #in: ElementInput;
  readonly #spec: TranscodeSpec;
  /** The Image Pixel attributes seen at the top level. */
  readonly #group: ImageGroup;
  #extendedOffsets: number[] = [];
  /** While an Icon Image Sequence is held: its encapsulated Pixel Data is copied, not refused. */
  #holding = false;
  /** The frames being decoded, once Pixel Data comes. */
  #frames: FrameDecoder | undefined;
  /** Set once the first frame is through (or there was no Pixel Data): what could be refused has been. */
  ready = false;
  /** Codec threads decoding this image's frames, once its first frame is through (0: none). */
  threads = 0;

  constructor(read: ReadFn, spec: TranscodeSpec) {
    this.#in = new ElementInput(read, CHUNK, inputs.take(CHUNK));
    this.#spec = spec;
    this.#group = new ImageGroup(spec);
  }

  #truncated(): never {
    return this.#in.truncated();
  }

  #malformed(what: string): never {
    return this.#in.malformed(what);
  }

  /** The whole element (header and value) as one copy; for small elements only. */
  async #whole(h: Header): Promise<Uint8Array> {
    const n = h.headerLength + h.length;
    if (!(await this.#in.ensure(n))) this.#truncated();
    return this.#in.take(n).slice();
  }

  async *run(): AsyncGenerator<Uint8Array> {
    try {
      yield* this.#run();
    } finally {
      // Done with them (every chunk handed out was consumed): the next files' transcoders
      // reuse them.
      inputs.give(this.#in.buffer);
      this.#frames?.release();
      this.#frames = undefined;
    }
  }

  async *#run(): AsyncGenerator<Uint8Array> {
    const group = this.#group;
    for (;;) {
      if (!group.holding) {
        // Elements that pass as they are, while wholly buffered: one chunk for the lot.
        const n = this.#in.plainElements(ownGroup);
        if (n > 0) {
          yield this.#in.take(n);
          continue;
        }
      }
      const h = await this.#in.header(LE);
      if (h === null) break;
      const g = h.tag >>> 16;
      if (group.holding && g !== 0x0028) yield concatBytes(group.end());
      if (g === 0x0028) {
        if (h.length === UNDEFINED_LENGTH || h.vr === "SQ") {
          const parts: Uint8Array[] = [];
          for await (const c of this.#copy(h, 0, LE)) parts.push(c.slice());
          group.hold(h.tag, concatBytes(parts));
        } else group.hold(h.tag, await this.#whole(h), h.headerLength);
        continue;
      }
      if (g === 0x7fe0 && (h.tag & 0xffff) === 0 && h.length === 4) {
        // (7FE0,0000): the group's new length is only known after decoding; see #pixelGroup.
        await this.#whole(h);
        if (this.#spec.direction === "decode") yield group.pixelGroupLength();
        continue;
      }
      if (h.tag === EXTENDED_OFFSETS || h.tag === EXTENDED_LENGTHS) {
        const bytes = await this.#whole(h);
        if (h.tag === EXTENDED_OFFSETS) {
          const dv = new DataView(bytes.buffer, h.headerLength);
          this.#extendedOffsets = [];
          for (let i = 0; i + 8 <= h.length; i += 8) {
            this.#extendedOffsets.push(Number(dv.getBigUint64(i, true)));
          }
        }
        continue;
      }
      if (h.tag === ICON_IMAGE_SEQUENCE && h.vr === "SQ" && this.#spec.direction === "decode") {
        yield await this.#icons(h);
        continue;
      }
      if (h.tag === PIXEL_DATA) {
        if (this.#spec.direction === "decode") yield* this.#decodePixelData(h);
        else yield* this.#encodePixelData(h);
        continue;
      }
      if (
        this.#spec.direction === "encode" &&
        (h.tag === FLOAT_PIXEL_DATA || h.tag === DOUBLE_PIXEL_DATA)
      ) {
        throw new CodecError("unsupported", "float pixel data can't be encoded");
      }
      yield* this.#copy(h, 0, LE);
    }
    if (group.holding) yield concatBytes(group.end());
    this.ready = true;
  }

  async *#decodePixelData(h: Header): AsyncGenerator<Uint8Array> {
    const input = this.#in;
    if (h.length !== UNDEFINED_LENGTH) {
      // Native Pixel Data in a compressed syntax: already what the target wants.
      yield* this.#copy(h, 0, LE);
      return;
    }
    const image = this.#group.image();
    const out: ImageInfo = { ...image, ...this.#group.colour };
    input.skip(h.headerLength);
    // Basic Offset Table: the first item.
    const bot = await this.#in.header(IMPLICIT_LE);
    if (!bot || bot.tag !== ITEM) this.#malformed("no Basic Offset Table item in Pixel Data");
    const botValue = (await this.#whole(bot)).subarray(8);
    const offsets: number[] = [];
    const dv = new DataView(botValue.buffer, botValue.byteOffset, botValue.byteLength);
    for (let i = 0; i + 4 <= botValue.length; i += 4) offsets.push(dv.getUint32(i, true));
    const family = this.#spec.transferSyntaxUid;
    const split = new FrameSplitter({
      frames: image.frames,
      offsets: offsets.length > 0 ? offsets : this.#extendedOffsets,
      opensFrame: family === "1.2.840.10008.1.2.5"
        ? undefined
        : /\.4\.(9\d|20\d)$/.test(family)
        ? opensJpeg2000
        : opensJpeg,
    });
    const total = nativeLength(image);
    const frames = this.#frames = new FrameDecoder(this.#spec, image, out);
    this.threads = frames.threads;
    let pos = 0;
    const header = () => {
      if (!this.ready) {
        this.ready = true;
        return [
          encodeHeader(LE, PIXEL_DATA, image.bitsAllocated <= 8 ? "OB" : "OW", evenLength(total)),
        ];
      }
      return [];
    };
    for (;;) {
      const item = await this.#in.header(IMPLICIT_LE);
      if (!item) this.#truncated();
      if (item.tag === SEQUENCE_DELIMITATION) {
        input.skip(8);
        break;
      }
      if (item.tag !== ITEM || item.length === UNDEFINED_LENGTH) {
        this.#malformed(`expected a fragment item in Pixel Data, found ${tagString(item.tag)}`);
      }
      const size = 8 + item.length;
      // Peek at the next item too: when it opens another frame (or ends the Pixel Data), this
      // fragment ends its frame and is decoded where it lies, without a copy.
      await input.ensure(size + 16);
      if (input.available < size) this.#truncated();
      const next = input.available >= size + 8
        ? ((input.u16(size, true) << 16) | input.u16(size + 2, true)) >>> 0
        : undefined;
      const closes = next === SEQUENCE_DELIMITATION ||
        (next === ITEM && split.wouldOpen(pos + size, input.peek(size + 16).subarray(size + 8)));
      input.skip(8);
      const fragment = input.take(item.length);
      const complete = closes ? split.pushLast(pos, fragment) : [split.push(pos, fragment)];
      pos += size;
      for (const frame of complete) {
        if (!frame) continue;
        frames.push(frame);
        while (frames.full) {
          const bytes = await frames.next();
          yield* header();
          yield bytes;
        }
      }
    }
    const last = split.finish();
    if (last) frames.push(last);
    while (frames.pending > 0) {
      const bytes = await frames.next();
      yield* header();
      yield bytes;
    }
    const tail = frames.end();
    if (tail.length > 0) yield tail;
    if (total % 2) yield new Uint8Array(1);
  }

  async *#encodePixelData(h: Header): AsyncGenerator<Uint8Array> {
    const input = this.#in;
    if (h.length === UNDEFINED_LENGTH) {
      this.#malformed("encapsulated Pixel Data in an uncompressed data set");
    }
    const image = this.#group.image();
    if (image.bitsAllocated % 8 !== 0) {
      throw new CodecError("unsupported", `Bits Allocated ${image.bitsAllocated} isn't encoded`);
    }
    const each = frameLength(image);
    const total = each * image.frames;
    if (h.length !== total && h.length !== total + 1) {
      throw new CodecError(
        "corrupt",
        `Pixel Data holds ${h.length} bytes; ${image.frames} frame(s) of ${each} make ${total}`,
      );
    }
    input.skip(h.headerLength);
    const frames = new FrameEncoder(this.#spec, image);
    this.threads = frames.threads;
    const item = (encoded: Uint8Array): Uint8Array[] => {
      const odd = encoded.length % 2;
      const parts = [encodeHeader(LE, ITEM, undefined, encoded.length + odd), encoded];
      if (odd) parts.push(new Uint8Array(1));
      if (!this.ready) {
        this.ready = true;
        // Before the first frame: the element, and an empty Basic Offset Table.
        parts.unshift(
          encodeHeader(LE, PIXEL_DATA, "OB", UNDEFINED_LENGTH),
          encodeHeader(LE, ITEM, undefined, 0),
        );
      }
      return parts;
    };
    for (let f = 0; f < image.frames; f++) {
      if (!(await input.ensure(each))) this.#truncated();
      frames.push(input.take(each));
      while (frames.full) yield* item(await frames.next());
    }
    while (frames.pending > 0) yield* item(await frames.next());
    if (image.frames === 0) this.ready = true;
    yield encodeHeader(LE, SEQUENCE_DELIMITATION, undefined, 0);
    if (h.length > total) {
      if (!(await input.ensure(h.length - total))) this.#truncated();
      input.skip(h.length - total);
    }
  }

  /**
   * The Icon Image Sequence (header `h` not yet consumed), held whole, with each icon that is
   * encapsulated decoded by a transcoder of its own (see the module notes).
   */
  async #icons(h: Header): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let size = 0;
    this.#holding = true;
    try {
      for await (const c of this.#copy(h, 0, LE)) {
        size += c.length;
        if (size > ICON_LIMIT) {
          throw new CodecError("unsupported", "an Icon Image Sequence over 16 MB isn't transcoded");
        }
        parts.push(c.slice());
      }
    } finally {
      this.#holding = false;
    }
    const spec = { ...this.#spec, threads: undefined };
    return await rewriteItems(concatBytes(parts), async (item) => {
      const out: Uint8Array[] = [];
      try {
        for await (const c of transcodeDataset(readBytes(item), spec).chunks) out.push(c.slice());
      } catch (e) {
        // Say it was the icon, not the image, that failed.
        const what = (m: string) => `Icon Image Sequence: ${m}`;
        if (e instanceof CodecError) throw new CodecError(e.code, what(e.message), { cause: e });
        if (e instanceof ConversionError) {
          throw new ConversionError(e.code, what(e.message), { cause: e });
        }
        throw e;
      }
      return concatBytes(out);
    });
  }

  /**
   * Passes one element on unchanged (header `h` not yet consumed), following sequences to
   * their end; encapsulated Pixel Data nested in them is refused (or, in a held Icon Image
   * Sequence, copied as it is to be decoded).
   */
  async *#copy(h: Header, depth: number, enc: Encoding): AsyncGenerator<Uint8Array> {
    const input = this.#in;
    if (depth > 0 && h.tag === PIXEL_DATA && h.length === UNDEFINED_LENGTH) {
      // A held icon item's own Pixel Data is at depth 1; anything deeper isn't decoded.
      if (!this.#holding || depth !== 1) {
        throw new CodecError(
          "unsupported",
          "encapsulated Pixel Data inside a sequence other than the Icon Image Sequence isn't transcoded",
        );
      }
      yield input.take(h.headerLength);
      yield* this.#items(null, depth, IMPLICIT_LE, true);
      return;
    }
    const whole = h.headerLength + h.length;
    if (h.vr !== "SQ" && h.length !== UNDEFINED_LENGTH && whole <= input.available) {
      yield input.take(whole); // already buffered: one chunk (most elements)
      return;
    }
    yield input.take(h.headerLength);
    if (h.length === UNDEFINED_LENGTH) {
      if (h.vr === "UN") yield* this.#items(null, depth, IMPLICIT_LE);
      else if (h.vr === "SQ" || h.vr === undefined) yield* this.#items(null, depth, enc);
      else this.#malformed(`undefined length in ${h.vr} element ${tagString(h.tag)}`);
      return;
    }
    if (h.vr === "SQ") {
      yield* this.#items(input.pos + h.length, depth, enc);
      return;
    }
    let remaining = h.length;
    while (remaining > 0) {
      if (input.available === 0 && !(await input.ensure(1))) this.#truncated();
      const n = Math.min(input.available, remaining, CHUNK);
      remaining -= n;
      yield input.take(n);
    }
  }

  /** Items to their end (`fragments`: Pixel Data fragments, each copied as it is). */
  async *#items(
    end: number | null,
    depth: number,
    enc: Encoding,
    fragments = false,
  ): AsyncGenerator<Uint8Array> {
    const input = this.#in;
    for (;;) {
      if (end !== null && input.pos >= end) return;
      const h = await this.#in.header(enc);
      if (!h) this.#truncated();
      if (h.tag === SEQUENCE_DELIMITATION && end === null) {
        yield input.take(8);
        return;
      }
      if (h.tag !== ITEM) this.#malformed(`expected an item, found ${tagString(h.tag)}`);
      if (fragments) {
        if (h.length === UNDEFINED_LENGTH) this.#malformed("a fragment of undefined length");
        if (!(await input.ensure(8 + h.length))) this.#truncated();
        yield input.take(8 + h.length);
        continue;
      }
      yield input.take(8);
      const itemEnd = h.length === UNDEFINED_LENGTH ? null : input.pos + h.length;
      for (;;) {
        if (itemEnd !== null && input.pos >= itemEnd) break;
        const e = await this.#in.header(enc);
        if (!e) this.#truncated();
        if (e.tag === ITEM_DELIMITATION && itemEnd === null) {
          yield input.take(8);
          break;
        }
        yield* this.#copy(e, depth + 1, enc);
      }
    }
  }
}

/**
 * A data set stream (Explicit VR Little Endian) with its Pixel Data decoded or encoded; see
 * the module notes for what changes. `ready` turns true once the first frame is through, so
 * a caller can run the stream that far before committing to send it; `threads` then says on
 * how many codec threads the frames are decoded (0: on this one).
 *
 * @example
 * ```ts ignore
 * import { transcodeDataset } from "./transcode.ts";
 * import { loadCodec } from "../codecs/mod.ts";
 * const codec = await loadCodec("1.2.840.10008.1.2.5");
 * const t = transcodeDataset(read, { direction: "decode", transferSyntaxUid: "1.2.840.10008.1.2.5", codec });
 * for await (const chunk of t.chunks) send(chunk);
 * ```
 */
export function transcodeDataset(
  read: ReadFn,
  spec: TranscodeSpec,
): { chunks: AsyncGenerator<Uint8Array>; readonly ready: boolean; readonly threads: number } {
  const t = new Transcoder(read, spec);
  return {
    chunks: t.run(),
    get ready() {
      return t.ready;
    },
    get threads() {
      return t.threads;
    },
  };
}
