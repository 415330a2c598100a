/**
 * An image's frames decoded or encoded in order, for the transcoder: on the calling thread,
 * one frame at a time (decoded into one buffer kept from file to file); or, with
 * {@link CodecThreads} (frames up to 16 MB, codecs worth a thread), up to as many frames ahead
 * as there are threads, handed out in order. Names the frame in errors; checks each decoded
 * frame's length and packs 1-bit frames together.
 *
 * @module
 */

import type { CodecThreads } from "../codecs/threads.ts";
import { CodecError, type FrameCodec, frameLength, type ImageInfo } from "../codecs/types.ts";
import { BufferPool } from "../buffers.ts";

/**
 * Frames larger than this are decoded here, one at a time (memory: several in flight, and as
 * many files opened ahead, would be several of them), and their buffers are not kept.
 */
const AHEAD_LIMIT = 16 * 1024 * 1024;

/**
 * Decoded frames' buffers, kept for the next files: the file being sent and those opened ahead
 * of it (one each, or one per frame in flight when decoded on threads).
 */
const decoded = new BufferPool(6, AHEAD_LIMIT);

/** Concatenates 1-bit frames bit by bit (native multi-frame 1-bit data isn't byte-aligned). */
class BitPacker {
  #carry = 0;
  #bits = 0;
  /** Appends `bits` bits of `frame` (LSB first); returns the whole bytes completed. */
  push(frame: Uint8Array, bits: number): Uint8Array {
    if (this.#bits === 0 && bits % 8 === 0) return frame.subarray(0, bits / 8);
    const out = new Uint8Array(Math.floor((this.#bits + bits) / 8));
    let o = 0;
    let acc = this.#carry;
    let have = this.#bits;
    for (let i = 0; i < bits;) {
      const take = Math.min(8 - have, bits - i, 8 - (i % 8));
      const v = (frame[i >> 3] >> (i % 8)) & ((1 << take) - 1);
      acc |= v << have;
      have += take;
      i += take;
      if (have === 8) {
        out[o++] = acc;
        acc = 0;
        have = 0;
      }
    }
    this.#carry = acc;
    this.#bits = have;
    return out.subarray(0, o);
  }
  /** The last, partial byte (if any). */
  end(): Uint8Array {
    return this.#bits > 0 ? new Uint8Array([this.#carry]) : new Uint8Array(0);
  }
}

/** What decodes or encodes the frames. */
export interface FrameSpec {
  /** The codec for the syntax. */
  codec: FrameCodec;
  /** The stored syntax (decoding) or the one to encode to. */
  transferSyntaxUid: string;
  /** Threads to work on (else here). */
  threads?: CodecThreads;
}

/** The threads to use for frames of `size` bytes, if any (see the module notes). */
function threadsFor(spec: FrameSpec, size: number): CodecThreads | undefined {
  return size <= AHEAD_LIMIT && spec.codec.threaded ? spec.threads : undefined;
}

/**
 * Frames of one image in flight, taken in order: each started on the codec threads (when the
 * spec has them and the frames are small enough) or done at once here; a frame's error names
 * it and surfaces when it is taken.
 */
class FrameQueue {
  protected readonly spec: FrameSpec;
  protected readonly image: ImageInfo;
  /** The threads the frames go to, if any. */
  protected readonly pool: CodecThreads | undefined;
  #index = 0;
  #inFlight: Promise<Uint8Array>[] = [];

  constructor(spec: FrameSpec, image: ImageInfo, frameSize: number) {
    this.spec = spec;
    this.image = image;
    this.pool = threadsFor(spec, frameSize);
  }

  /** Codec threads the frames go to (0: done here). */
  get threads(): number {
    return this.pool?.max ?? 0;
  }

  /** Frames pushed and not yet taken. */
  get pending(): number {
    return this.#inFlight.length;
  }

  /** True when a frame should be taken before the next is pushed. */
  get full(): boolean {
    return this.#inFlight.length > this.threads;
  }

  /**
   * Starts the next frame: `there(pool)` on the threads, else `here()` at once (its codec
   * error thrown now); `check` vets each result (and may throw).
   */
  protected start(
    there: (pool: CodecThreads) => Promise<Uint8Array>,
    here: () => Uint8Array,
    check: (result: Uint8Array, index: number) => Uint8Array = (r) => r,
  ): void {
    const index = this.#index++;
    let p: Promise<Uint8Array>;
    if (this.pool) {
      p = there(this.pool).then((r) => check(r, index), (e) => this.#named(e, index));
      p.catch(() => {}); // taken (and thrown) in order, or dropped with the stream
    } else {
      let r: Uint8Array;
      try {
        r = here();
      } catch (e) {
        this.#named(e, index);
      }
      p = Promise.resolve(check(r, index));
    }
    this.#inFlight.push(p);
  }

  /** The oldest frame's result. */
  protected take(): Promise<Uint8Array> {
    return this.#inFlight.shift()!;
  }

  /** "frame 3 of 30: " in a multi-frame image, else nothing. */
  protected where(index: number): string {
    return this.image.frames > 1 ? `frame ${index + 1} of ${this.image.frames}: ` : "";
  }

  /** Rethrows a codec's error naming the frame. */
  #named(e: unknown, index: number): never {
    if (e instanceof CodecError) {
      throw new CodecError(e.code, this.where(index) + e.message, { cause: e });
    }
    throw e;
  }
}

/**
 * The frames of one image, decoded in order. Push each compressed frame as it comes (it is
 * decoded, or copied for a thread, before `push` returns); take decoded bytes with
 * {@link FrameDecoder.next} whenever {@link FrameDecoder.full}, and the rest at the end. The
 * bytes `next` gives are valid until the following `push` or `next`.
 *
 * @example
 * ```ts ignore
 * import { FrameDecoder } from "./frame_queue.ts";
 * const frames = new FrameDecoder(spec, image, out);
 * for (const f of compressedFrames) {
 *   frames.push(f);
 *   while (frames.full) send(await frames.next());
 * }
 * while (frames.pending > 0) send(await frames.next());
 * send(frames.end());
 * frames.release();
 * ```
 */
export class FrameDecoder extends FrameQueue {
  readonly #size: number;
  readonly #packer: BitPacker | undefined;
  /** Buffers free for the next frame. */
  #free: Uint8Array[] = [];
  /** The buffer of the bytes last handed out (free again at the next call). */
  #out: Uint8Array | undefined;

  /**
   * @param spec the codec, and the threads if any
   * @param image the image as stored
   * @param out the image as decoded (its colour attributes as the codec delivers them)
   */
  constructor(spec: FrameSpec, image: ImageInfo, out: ImageInfo) {
    super(spec, image, frameLength(out));
    this.#size = frameLength(out);
    this.#packer = image.bitsAllocated === 1 ? new BitPacker() : undefined;
  }

  /** Starts decoding the next frame. A codec error may be thrown here or by {@link next}. */
  push(frame: Uint8Array): void {
    this.#recycle();
    const into = this.#free.pop() ?? decoded.take(this.#size);
    const { codec, transferSyntaxUid } = this.spec;
    this.start(
      (pool) => pool.decode(codec, transferSyntaxUid, frame, this.image, into),
      () => codec.decode(frame, this.image, into),
      (pixels, index) => this.#checked(pixels, index),
    );
  }

  /** The next frame's decoded bytes, in order (packed when 1-bit). */
  async next(): Promise<Uint8Array> {
    this.#recycle();
    const pixels = await this.take();
    this.#out = pixels;
    const image = this.image;
    return this.#packer
      ? this.#packer.push(pixels, image.rows * image.columns * image.samplesPerPixel)
      : pixels;
  }

  /** The last partial byte of packed 1-bit frames (else nothing). */
  end(): Uint8Array {
    return this.#packer?.end() ?? new Uint8Array(0);
  }

  /** Gives the buffers back for the next files (frames still in flight keep theirs). */
  release(): void {
    this.#recycle();
    for (const b of this.#free) decoded.give(b);
    this.#free = [];
  }

  #recycle(): void {
    const b = this.#out;
    this.#out = undefined;
    if (b && b.buffer.byteLength >= this.#size) {
      this.#free.push(new Uint8Array(b.buffer as ArrayBuffer, 0, b.buffer.byteLength));
    }
  }

  #checked(pixels: Uint8Array, index: number): Uint8Array {
    if (pixels.length !== this.#size) {
      throw new CodecError(
        "length",
        `${
          this.where(index)
        }the decoder returned ${pixels.length} bytes, the frame holds ${this.#size}`,
      );
    }
    return pixels;
  }
}

/**
 * The native frames of one image, encoded in order (each encoded, or copied for a thread,
 * before `push` returns); take encoded frames with {@link FrameEncoder.next} whenever
 * {@link FrameEncoder.full}, and the rest at the end.
 *
 * @example
 * ```ts ignore
 * import { FrameEncoder } from "./frame_queue.ts";
 * const frames = new FrameEncoder(spec, image);
 * for (const f of nativeFrames) {
 *   frames.push(f);
 *   while (frames.full) send(await frames.next());
 * }
 * while (frames.pending > 0) send(await frames.next());
 * ```
 */
export class FrameEncoder extends FrameQueue {
  /**
   * @param spec the codec, and the threads if any
   * @param image the image (native, as stored)
   */
  constructor(spec: FrameSpec, image: ImageInfo) {
    super(spec, image, frameLength(image));
  }

  /** Starts encoding the next frame. A codec error may be thrown here or by {@link next}. */
  push(pixels: Uint8Array): void {
    const { codec, transferSyntaxUid } = this.spec;
    this.start(
      (pool) => pool.encode(codec, transferSyntaxUid, pixels, this.image),
      () => codec.encode!(pixels, this.image),
    );
  }

  /** The next encoded frame, in order. */
  next(): Promise<Uint8Array> {
    return this.take();
  }
}
