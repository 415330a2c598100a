/**
 * Splitting encapsulated Pixel Data into frames as its fragments stream past (PS3.5 A.4):
 * by the Basic Offset Table, else the Extended Offset Table (7FE0,0001), else (one frame)
 * every fragment, else at fragments that open with the codec's start marker (JPEG and
 * JPEG-LS: FFD8; JPEG 2000: FF4F FF51), else one fragment per frame (RLE, G.2). A frame may
 * span several fragments; only one frame is held at a time.
 *
 * @module
 */

import { concatBytes } from "../bytes.ts";
import { CodecError } from "./types.ts";

/** How to find frame boundaries in one Pixel Data element. */
export interface FrameLayout {
  /** Number of Frames (1 when the data set has none). */
  frames: number;
  /**
   * Offsets of each frame's first fragment (from the first fragment's item tag): the Basic
   * Offset Table, or the Extended Offset Table when the former is empty. Empty when neither.
   */
  offsets: readonly number[];
  /** True when a fragment opens with the codec's start marker (a frame begins there). */
  opensFrame?: (fragment: Uint8Array) => boolean;
}

/**
 * True when `fragment` opens with a JPEG or JPEG-LS SOI marker (FFD8).
 *
 * @example
 * ```ts
 * import { opensJpeg } from "./frames.ts";
 * opensJpeg(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])); // true
 * ```
 */
export function opensJpeg(fragment: Uint8Array): boolean {
  return fragment.length >= 2 && fragment[0] === 0xff && fragment[1] === 0xd8;
}

/**
 * True when `fragment` opens with a JPEG 2000 codestream (SOC + SIZ: FF4F FF51) or a JP2
 * signature box (some writers wrap frames in JP2).
 *
 * @example
 * ```ts
 * import { opensJpeg2000 } from "./frames.ts";
 * opensJpeg2000(new Uint8Array([0xff, 0x4f, 0xff, 0x51])); // true
 * ```
 */
export function opensJpeg2000(fragment: Uint8Array): boolean {
  const f = fragment;
  if (f.length >= 4 && f[0] === 0xff && f[1] === 0x4f && f[2] === 0xff && f[3] === 0x51) {
    return true;
  }
  return f.length >= 8 && f[0] === 0 && f[1] === 0 && f[2] === 0 && f[3] === 0x0c &&
    f[4] === 0x6a && f[5] === 0x50 && f[6] === 0x20 && f[7] === 0x20;
}

/**
 * Gathers fragments into frames. Feed every fragment after the offset table with
 * {@link FrameSplitter.push}; each call returns the frame the fragment closed, if any, and
 * {@link FrameSplitter.finish} returns the last one. Frames are copies (the fragments may be
 * views of a reused buffer).
 *
 * @example
 * ```ts
 * import { FrameSplitter } from "./frames.ts";
 * const split = new FrameSplitter({ frames: 2, offsets: [] }); // no table, no marker: RLE
 * split.push(0, new Uint8Array([1, 2])); // undefined: frame 1 may go on
 * split.push(10, new Uint8Array([3, 4])); // Uint8Array [1, 2]: frame 1
 * split.finish(); // Uint8Array [3, 4]: frame 2
 * ```
 */
export class FrameSplitter {
  #layout: FrameLayout;
  #starts: ReadonlySet<number>;
  #parts: Uint8Array[] = [];
  /** Frames begun so far. */
  #begun = 0;

  /** @param layout where the frames start */
  constructor(layout: FrameLayout) {
    const o = layout.offsets;
    for (let i = 0; i < o.length; i++) {
      if ((i === 0 && o[0] !== 0) || (i > 0 && o[i] <= o[i - 1])) {
        throw new CodecError(
          "corrupt",
          `offset table entry ${i + 1} (${o[i]}) doesn't ascend from 0`,
        );
      }
    }
    if (o.length > 0 && o.length !== layout.frames) {
      throw new CodecError(
        "corrupt",
        `offset table lists ${o.length} frames, Number of Frames is ${layout.frames}`,
      );
    }
    this.#layout = layout;
    this.#starts = new Set(o);
  }

  /**
   * Whether a fragment at `offset` opening with `head` would begin a frame, by the layout
   * alone (not where the splitter stands): lets a reader that peeked at the next item know
   * that the current fragment ends its frame (see {@link FrameSplitter.pushLast}).
   */
  wouldOpen(offset: number, head: Uint8Array): boolean {
    const { frames, offsets, opensFrame } = this.#layout;
    if (offsets.length > 0) return this.#starts.has(offset);
    if (frames === 1) return false;
    return opensFrame ? opensFrame(head) : true;
  }

  /** Frames completed and handed out so far. */
  get completed(): number {
    return Math.max(0, this.#begun - (this.#parts.length > 0 ? 1 : 0));
  }

  #opens(offset: number, fragment: Uint8Array): boolean {
    const { frames, offsets, opensFrame } = this.#layout;
    if (this.#begun === 0) return true;
    if (offsets.length > 0) {
      const next = offsets[this.#begun];
      if (next === undefined || offset < next) return false;
      if (offset === next) return true;
      throw new CodecError(
        "corrupt",
        `offset table says frame ${this.#begun + 1} starts at ${next}, no fragment starts there`,
      );
    }
    if (frames === 1) return false;
    return opensFrame ? opensFrame(fragment) : true;
  }

  /**
   * Takes the next fragment (`offset`: its item tag's position from the first fragment's).
   * Returns the frame it closed, if it opens a new one.
   */
  push(offset: number, fragment: Uint8Array): Uint8Array | undefined {
    if (fragment.length === 0) return undefined;
    let done: Uint8Array | undefined;
    if (this.#opens(offset, fragment)) {
      if (this.#begun === this.#layout.frames) {
        throw new CodecError(
          "corrupt",
          `Pixel Data holds more than the ${this.#layout.frames} frame(s) Number of Frames says`,
        );
      }
      if (this.#parts.length > 0) done = concatBytes(this.#parts);
      this.#parts = [];
      this.#begun++;
    }
    this.#parts.push(fragment.slice());
    return done;
  }

  /**
   * Takes a fragment known to end its frame (the next item opens another frame or ends the
   * Pixel Data) and returns the frames it completes: a frame wholly in this fragment is the
   * fragment itself, not a copy (valid as long as `fragment` is).
   */
  pushLast(offset: number, fragment: Uint8Array): Uint8Array[] {
    const done: Uint8Array[] = [];
    if (fragment.length === 0) {
      if (this.#parts.length > 0) done.push(concatBytes(this.#parts));
      this.#parts = [];
      return done;
    }
    if (this.#opens(offset, fragment)) {
      if (this.#begun === this.#layout.frames) {
        throw new CodecError(
          "corrupt",
          `Pixel Data holds more than the ${this.#layout.frames} frame(s) Number of Frames says`,
        );
      }
      if (this.#parts.length > 0) done.push(concatBytes(this.#parts));
      this.#begun++;
      done.push(fragment);
    } else {
      done.push(concatBytes([...this.#parts, fragment]));
    }
    this.#parts = [];
    return done;
  }

  /** Ends the fragments; returns the last frame. Throws when frames are missing. */
  finish(): Uint8Array | undefined {
    const last = this.#parts.length > 0 ? concatBytes(this.#parts) : undefined;
    this.#parts = [];
    if (this.#begun !== this.#layout.frames) {
      throw new CodecError(
        "corrupt",
        `Pixel Data holds ${this.#begun} frame(s), Number of Frames says ${this.#layout.frames}`,
      );
    }
    return last;
  }
}
