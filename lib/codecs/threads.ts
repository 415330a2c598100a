/**
 * Codec threads: frames decoded (or encoded) on Web Workers (`thread.ts`), so that a run
 * decoding or encoding many files uses the machine's other cores while the main thread sends.
 *
 * A {@link CodecThreads} starts no worker until frames have taken about as long on the calling
 * thread as starting workers costs (150 ms: `new Worker` holds the calling thread ~30 ms while
 * the worker's runtime starts, and it is ready ~40 ms later), so a run with little to decode
 * never pays for one; then up to its `max` workers at once, each handed the WebAssembly modules
 * compiled on the calling thread so far (`wasm.ts`: the same compiled code, not compiled again).
 * Until one of them has loaded its codec, frames are done on the calling thread; after that, each frame goes to an idle worker,
 * or waits in order for one. The compressed frame is copied into a buffer
 * that travels to the worker and back (kept for the next frame); the decoded frame comes back
 * in the caller's `into` buffer, moved to the worker and back (never copied). Codec errors
 * come back as the same {@link CodecError}s. A worker that fails (its isolate dies) is not
 * used again, nor are the others: the frame it held fails with the reason, frames waiting and
 * every frame after are decoded on the calling thread.
 *
 * @module
 */

import { BufferPool } from "../buffers.ts";
import { Watchdog } from "../watchdog.ts";
import { compiledModules } from "./wasm.ts";
import { CodecError, type CodecErrorCode, type FrameCodec, type ImageInfo } from "./types.ts";

/** What a worker is told first: the codec to load before it says it is ready. */
export interface ThreadPreload {
  /** The transfer syntax of the codec. */
  preload: string;
  /** To decode or to encode (a family may encode with another build). */
  use: "decode" | "encode";
  /** WebAssembly modules compiled here, by specifier: the worker uses them instead of its own. */
  modules?: Record<string, WebAssembly.Module>;
}

/** A frame for a worker: the transfer syntax picks its codec there. */
export interface ThreadJob {
  /** Sequence number, echoed back. */
  id: number;
  /** Decode a compressed frame, or encode a native one. */
  kind: "decode" | "encode";
  /** The syntax the frame is compressed in, or to be encoded to. */
  transferSyntaxUid: string;
  /** The frame (compressed, or native to encode): `length` bytes at the start of `frame`. */
  frame: ArrayBuffer;
  /** Bytes of `frame` used. */
  length: number;
  /** The image, as stored. */
  image: ImageInfo;
  /** Where to decode (moved to the worker and back), when the caller has a buffer. */
  into?: ArrayBuffer;
}

/** A worker's answer to a {@link ThreadJob}. */
export type ThreadReply =
  | { ready: true }
  | { ready: false; message: string }
  /** The worker ended on an error nothing caught (it closes itself after saying so). */
  | { crashed: string }
  | {
    id: number;
    /** The compressed frame's buffer, back for the next frame. */
    frame: ArrayBuffer;
    /** The decoded (or encoded) frame: `length` bytes from `offset` in `pixels`. */
    pixels: ArrayBuffer;
    offset: number;
    length: number;
  }
  | {
    id: number;
    frame: ArrayBuffer;
    error: { codec?: CodecErrorCode; message: string };
  };

/** How a {@link CodecThreads} starts. */
export interface CodecThreadsOptions {
  /** Milliseconds of codec work on the calling thread before workers start (default 150). */
  startAfterMs?: number;
  /** Called when the workers start (how many). */
  onStart?: (threads: number) => void;
  /** The worker module (tests give a failing one). */
  url?: URL;
  /**
   * Milliseconds a worker may take over one frame (default 60,000): a worker that hasn't answered
   * by then is stopped and the frame fails, so a codec that never returns can't hang the run.
   */
  frameTimeoutMs?: number;
}

/**
 * A run's codec threads: how many it may start and how (the pool's options), and the pool
 * once a file needs it (so that a run decoding nothing never loads this module).
 */
export interface ThreadsHolder extends Omit<CodecThreadsOptions, "url"> {
  /** Threads at most (0: decode on the calling thread). */
  max: number;
  /** The pool, made by the first file decoded. */
  threads?: CodecThreads;
}

interface Pending {
  job: ThreadJob;
  codec: FrameCodec;
  transfer: ArrayBuffer[];
  resolve: (pixels: Uint8Array) => void;
  reject: (e: unknown) => void;
}

interface Thread {
  worker: Worker;
  ready: boolean;
  busy?: Pending;
  /** When the frame it holds times out (`performance.now()` ms). */
  due?: number;
}

/**
 * Decodes frames on up to `max` worker threads, in the order asked.
 *
 * @example
 * ```ts ignore
 * import { CodecThreads } from "./threads.ts";
 * import { loadCodec } from "./mod.ts";
 * const threads = new CodecThreads(2);
 * const rle = await loadCodec("1.2.840.10008.1.2.5");
 * const pixels = await threads.decode(rle, "1.2.840.10008.1.2.5", frame, image);
 * threads.close(); // the run is over: stop the workers
 * ```
 */
export class CodecThreads {
  /** Workers at most. */
  readonly max: number;
  readonly #url: URL;
  readonly #startAfterMs: number;
  readonly #onStart: ((threads: number) => void) | undefined;
  readonly #frameTimeoutMs: number;
  /** Fails a worker's frame that is overdue (armed only while a worker holds one). */
  #watchdog = new Watchdog((now) => this.#onWatchdog(now));
  #threads: Thread[] = [];
  #queue: Pending[] = [];
  /** Milliseconds of codec work done here while no worker was ready. */
  #spent = 0;
  /** Set once workers were started (or were not to be: closed): never twice. */
  #started = false;
  #nextId = 1;
  /** The frames' buffers back from the workers, for the next frames. */
  #spare = new BufferPool(8, 16 * 1024 * 1024);

  /**
   * Makes the pool; no worker starts until frames have taken `startAfterMs` here.
   *
   * @param max workers at most (0: every frame done on the calling thread)
   * @param options when to start, whom to tell, and the worker module
   */
  constructor(max: number, options: CodecThreadsOptions = {}) {
    this.max = Math.max(0, Math.floor(max));
    this.#url = options.url ?? new URL("./thread.ts", import.meta.url);
    this.#startAfterMs = options.startAfterMs ?? 150;
    this.#onStart = options.onStart;
    this.#frameTimeoutMs = options.frameTimeoutMs ?? 60_000;
  }

  /** Workers started and not failed (for `-d` and the tests). */
  get running(): number {
    return this.#threads.length;
  }

  /** Workers that have loaded their codec and take frames. */
  get ready(): number {
    return this.#threads.filter((t) => t.ready).length;
  }

  /**
   * Decodes one frame of `image` (stored in `transferSyntaxUid`, which `codec` decodes) on a
   * worker when one is ready, else with `codec` here. `frame` is copied before this returns;
   * `into` (a whole buffer, as from a pool) is moved to the worker: use the returned view, not
   * `into`, afterwards. Rejects with what the codec threw ({@link CodecError}).
   */
  decode(
    codec: FrameCodec,
    transferSyntaxUid: string,
    frame: Uint8Array,
    image: ImageInfo,
    into?: Uint8Array,
  ): Promise<Uint8Array> {
    const whole = into && into.byteOffset === 0 && into.byteLength === into.buffer.byteLength &&
      into.buffer instanceof ArrayBuffer;
    return this.#run(
      "decode",
      codec,
      transferSyntaxUid,
      frame,
      image,
      whole ? into.buffer as ArrayBuffer : undefined,
      () => codec.decode(frame, image, into),
    );
  }

  /**
   * Encodes one native frame of `image` to `transferSyntaxUid` (which `codec` encodes) on a
   * worker when one is ready, else with `codec` here; like {@link CodecThreads.decode}.
   */
  encode(
    codec: FrameCodec,
    transferSyntaxUid: string,
    pixels: Uint8Array,
    image: ImageInfo,
  ): Promise<Uint8Array> {
    return this.#run(
      "encode",
      codec,
      transferSyntaxUid,
      pixels,
      image,
      undefined,
      () => codec.encode!(pixels, image),
    );
  }

  #run(
    kind: "decode" | "encode",
    codec: FrameCodec,
    transferSyntaxUid: string,
    frame: Uint8Array,
    image: ImageInfo,
    into: ArrayBuffer | undefined,
    here: () => Uint8Array,
  ): Promise<Uint8Array> {
    if (!this.#started && this.#spent >= this.#startAfterMs) this.#spawn(kind, transferSyntaxUid);
    if (!this.#threads.some((t) => t.ready)) {
      const t0 = performance.now();
      try {
        return Promise.resolve(here());
      } catch (e) {
        return Promise.reject(e);
      } finally {
        this.#spent += performance.now() - t0;
      }
    }
    const buffer = this.#spare.take(frame.length).buffer as ArrayBuffer;
    new Uint8Array(buffer, 0, frame.length).set(frame);
    const job: ThreadJob = {
      id: this.#nextId++,
      kind,
      transferSyntaxUid,
      frame: buffer,
      length: frame.length,
      image: { ...image },
      into,
    };
    const transfer = into ? [buffer, into] : [buffer];
    return new Promise((resolve, reject) => {
      this.#queue.push({ job, codec, transfer, resolve, reject });
      this.#dispatch();
    });
  }

  /** Stops every worker; frames still waiting are decoded here, any in a worker fail. */
  close(): void {
    this.#started = true;
    this.#watchdog.stop();
    for (const t of this.#threads) {
      t.worker.terminate();
      t.busy?.reject(new Error("codec thread stopped: the run is over"));
    }
    this.#threads = [];
    for (const p of this.#queue.splice(0)) this.#here(p);
  }

  #spawn(use: "decode" | "encode", preload: string): void {
    this.#started = true;
    if (this.max === 0) return;
    this.#onStart?.(this.max);
    // The codec compiled here (frames were done here first) is shared with the workers.
    const modules = compiledModules();
    for (let i = this.#threads.length; i < this.max; i++) {
      let worker: Worker;
      try {
        worker = new Worker(this.#url, { type: "module" });
      } catch {
        return;
      }
      const t: Thread = { worker, ready: false };
      this.#threads.push(t);
      worker.onmessage = (e: MessageEvent<ThreadReply>) => this.#reply(t, e.data);
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        this.#fail(t, e.message);
      };
      worker.onmessageerror = () => this.#fail(t, "a message could not be read");
      worker.postMessage({ preload, use, modules } satisfies ThreadPreload);
    }
  }

  #reply(t: Thread, m: ThreadReply): void {
    if ("crashed" in m) return this.#fail(t, m.crashed);
    if ("ready" in m) {
      if (!m.ready) return this.#fail(t, m.message);
      t.ready = true;
      return this.#dispatch();
    }
    const p = t.busy;
    t.busy = undefined;
    t.due = undefined;
    if (!p || p.job.id !== m.id) return this.#fail(t, "answer to no frame asked");
    this.#spare.give(new Uint8Array(m.frame));
    if ("error" in m) {
      const e = m.error;
      p.reject(e.codec ? new CodecError(e.codec, e.message) : new Error(e.message));
    } else {
      p.resolve(new Uint8Array(m.pixels, m.offset, m.length));
    }
    this.#dispatch();
  }

  #dispatch(): void {
    for (const t of this.#threads) {
      if (this.#queue.length === 0) return;
      if (!t.ready || t.busy) continue;
      const p = this.#queue.shift()!;
      t.busy = p;
      t.due = performance.now() + this.#frameTimeoutMs;
      this.#watchdog.wake(t.due);
      try {
        t.worker.postMessage(p.job, p.transfer);
      } catch (e) {
        return this.#fail(t, e instanceof Error ? e.message : String(e));
      }
    }
    if (this.#threads.length === 0) {
      // No worker left to wait for.
      for (const p of this.#queue.splice(0)) this.#here(p);
    }
  }

  /**
   * A worker failed: no more are started; the frame it held fails (its bytes went with it),
   * the others finish what they hold, and frames left waiting are decoded here.
   */
  #fail(t: Thread, why: string): void {
    t.worker.terminate();
    this.#threads = this.#threads.filter((x) => x !== t);
    t.busy?.reject(new Error(`codec thread failed: ${why}`));
    t.busy = undefined;
    t.due = undefined;
    this.#dispatch();
  }

  /** Stops the workers whose frame is overdue; returns the next deadline (Infinity: none). */
  #onWatchdog(now: number): number {
    let next = Infinity;
    for (const t of [...this.#threads]) {
      if (t.due === undefined) continue;
      if (t.due <= now) {
        this.#fail(t, `no answer after ${this.#frameTimeoutMs / 1000} s (the codec didn't return)`);
      } else next = Math.min(next, t.due);
    }
    return next;
  }

  /** Decodes or encodes a job that never left this thread. */
  #here(p: Pending): void {
    const { job, codec } = p;
    try {
      const frame = new Uint8Array(job.frame, 0, job.length);
      p.resolve(
        job.kind === "encode"
          ? codec.encode!(frame, job.image)
          : codec.decode(frame, job.image, job.into && new Uint8Array(job.into)),
      );
    } catch (e) {
      p.reject(e);
    }
  }
}
