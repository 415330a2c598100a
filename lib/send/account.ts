/**
 * The run's account: the one owner of every file's final result, of retry deferrals, and of
 * the order in which each file's events reach the caller.
 *
 * @module
 */

import type { Timeouts } from "../association.ts";
import type { TranscodePolicy } from "../plan.ts";
import type { ThreadsHolder } from "../codecs/threads.ts";
import type { DicomFileInfo } from "../part10/types.ts";
import { type BadItem, badReason, type Item } from "../queue.ts";
import type { DicomdirRead } from "./inputs.ts";
import { type Journal, journalDestination, openJournal } from "../journal.ts";
import { Interrupt } from "./interrupt.ts";
import { isTransient } from "./reasons.ts";
import { codecThreadsOf, policyOf } from "./options.ts";
import type { FileResult, StoreEvent, StoreOptions } from "./types.ts";

/** Emits one file's events (through the {@link Sequencer} when associations run in parallel). */
export type Emit = (e: StoreEvent) => void;

/**
 * A file's result before it is sent: its identity, outcome `not-sent`.
 *
 * @example
 * ```ts
 * import { resultOf } from "./account.ts";
 * resultOf({ path: "a.dcm", sopClassUid: "1.2", sopInstanceUid: "1.3", transferSyntaxUid: "1.2.840.10008.1.2" } as never).outcome;
 * // "not-sent"
 * ```
 */
export function resultOf(f: DicomFileInfo): FileResult {
  return {
    path: f.path,
    outcome: "not-sent",
    sopClassUid: f.sopClassUid,
    sopInstanceUid: f.sopInstanceUid,
    transferSyntaxUid: f.transferSyntaxUid,
    size: f.size,
  };
}

/** The event that ends a file's events on this round. */
function ends(e: StoreEvent): boolean {
  return e.type === "file-done" || e.type === "file-retry" || e.type === "file-ignored";
}

/**
 * Releases each file's events in send order, so parallel associations log as one would.
 *
 * @example
 * ```ts
 * import { Sequencer } from "./account.ts";
 * const seen: string[] = [];
 * const seq = new Sequencer((e) => seen.push(e.type));
 * seq.emit(1, { type: "file-sending", path: "b" }); // held: file 0 is not done
 * seq.emit(0, { type: "file-sending", path: "a" });
 * seen; // ["file-sending"]
 * ```
 */
export class Sequencer {
  #next = 0;
  #buffers = new Map<number, StoreEvent[]>();
  #done = new Set<number>();
  #out: Emit;
  /** @param out where events go, in file order */
  constructor(out: Emit) {
    this.#out = out;
  }
  /** Passes on (or holds back) event `e` of the file at place `index`. */
  emit(index: number, e: StoreEvent): void {
    if (index === this.#next) {
      this.#out(e);
      if (ends(e)) {
        this.#next++;
        this.#drain();
      }
      return;
    }
    const buf = this.#buffers.get(index) ?? [];
    buf.push(e);
    this.#buffers.set(index, buf);
    if (ends(e)) this.#done.add(index);
  }
  /**
   * Passes on everything held back, in file order, without waiting for the files still
   * missing (an interrupted run: those files are accounted for after the plan).
   */
  flush(): void {
    const held = [...this.#buffers.keys()].sort((a, b) => a - b);
    for (const index of held) for (const e of this.#buffers.get(index)!) this.#out(e);
    this.#buffers.clear();
    this.#done.clear();
  }
  #drain(): void {
    for (;;) {
      const buf = this.#buffers.get(this.#next);
      if (!buf) return;
      this.#buffers.delete(this.#next);
      for (const e of buf) this.#out(e);
      if (!this.#done.has(this.#next)) return;
      this.#done.delete(this.#next);
      this.#next++;
    }
  }
}

/**
 * Shared state of one run: options, timeouts, every final result, and the files deferred to
 * the next retry round.
 *
 * @example
 * ```ts
 * import { Run } from "./account.ts";
 * const run = new Run({ address: "127.0.0.1", port: 11112, paths: [] });
 * run.finish({ path: "a.dcm", outcome: "not-sent", reason: "no file" });
 * run.results.get("a.dcm")?.outcome; // "not-sent"
 * ```
 */
export class Run {
  /** What the caller asked for. */
  readonly options: StoreOptions;
  /** The caller's event handler. */
  readonly emit: Emit;
  /** ACSE, DIMSE and network timeouts in seconds (`null`: none). */
  readonly timeouts: Timeouts;
  /** What may be decoded or encoded (`decompress`, `compress`). */
  readonly policy: TranscodePolicy;
  /** Final results by path. */
  readonly results: Map<string, FileResult> = new Map();
  /** Attempts so far of files not yet final. */
  readonly attempts: Map<string, number> = new Map();
  /** Associations established. */
  associations = 0;
  /** Associations wanted (requested). */
  wanted = 0;
  /** An error that makes further associations pointless (refused, rejected...). */
  fatal?: Error;
  /** Retries left after this round; transient failures are deferred while > 0. */
  retriesLeft = 0;
  /** Files whose transient failure is retried in the next round. */
  deferred: DicomFileInfo[] = [];
  /** Associations in a row that ended early without storing anything. */
  fruitless = 0;
  /** DICOMDIRs read for their references (`dicomdir` option), by path. */
  dicomdirs: ReadonlyMap<string, DicomdirRead> = new Map();
  /** Non-DICOM files left out of the account (`ignoreNonDicom`). */
  readonly ignored: Set<string> = new Set();
  /** DICOMDIRs skipped. */
  skippedDicomdirs = 0;
  /** The last failure of each file waiting for a retry (its account if the run is stopped). */
  readonly retrying: Map<string, FileResult> = new Map();
  /** The caller's stop signals. */
  readonly interrupt: Interrupt;
  /** The resume journal, when one is used. */
  journal?: Journal;
  /** Files skipped (already stored, says the journal). */
  skipped = 0;
  /** The threads that decode frames (started by the files that need them). */
  readonly codecThreads: ThreadsHolder;

  /**
   * Starts a run: opens its journal (throwing `JournalError` when it can't be used) and
   * listens to its stop signals until {@link Run.close}.
   */
  static async start(options: StoreOptions): Promise<Run> {
    const journal = options.journal === undefined
      ? undefined
      : await openJournal(options.journal, journalDestination(options));
    const run = new Run(options, true);
    run.journal = journal;
    if (journal) {
      run.emit({
        type: "journal-loaded",
        path: options.journal!,
        destination: journal.destination,
        instances: journal.size,
      });
    }
    return run;
  }

  /** Ends the run: stops listening to its signals, closes its journal, stops codec threads. */
  close(): void {
    this.interrupt.dispose();
    this.journal?.close();
    this.codecThreads.threads?.close();
  }

  /**
   * @param options the run's options
   * @param signals listen to `options.signal` and `forceSignal` (until {@link Run.close})
   */
  constructor(options: StoreOptions, signals = false) {
    this.options = options;
    this.emit = options.onEvent ?? (() => {});
    this.policy = policyOf(options);
    this.codecThreads = {
      max: codecThreadsOf(options),
      onStart: (threads) => this.emit({ type: "codec-threads-started", threads }),
      startAfterMs: options.codecThreadsStartAfterMs,
    };
    this.interrupt = new Interrupt(
      signals ? options.signal : undefined,
      signals ? options.forceSignal : undefined,
      (force) => this.emit({ type: "interrupted", force }),
    );
    this.timeouts = {
      acse: options.timeouts?.acse === undefined ? 30 : options.timeouts.acse,
      dimse: options.timeouts?.dimse === undefined ? 30 : options.timeouts.dimse,
      network: options.timeouts?.network === undefined ? 30 : options.timeouts.network,
    };
  }

  /** Counts one attempt at sending the file at `path` (an association was tried for it). */
  tried(path: string): void {
    this.attempts.set(path, (this.attempts.get(path) ?? 0) + 1);
  }

  /**
   * Records a final result, or defers a transient failure of `info` to the next round while
   * retries are left.
   */
  finish(r: FileResult, info?: DicomFileInfo, emit: Emit = this.emit): void {
    const attempts = this.attempts.get(r.path) ?? 0;
    if (info && r.transient && this.retriesLeft > 0 && !this.interrupt.stopped) {
      this.deferred.push(info);
      this.retrying.set(r.path, r);
      emit({ type: "file-retry", path: r.path, reason: r.reason ?? "" });
      return;
    }
    const result = attempts > 0 ? { ...r, attempts } : r;
    this.attempts.delete(r.path);
    this.retrying.delete(r.path);
    this.results.set(r.path, result);
    if (this.journal && (result.outcome === "success" || result.outcome === "warning")) {
      const failed = this.journal.error;
      this.journal.confirmed(result);
      if (!failed && this.journal.error) {
        this.emit({ type: "journal-error", error: this.journal.error });
      }
    }
    emit({ type: "file-done", result });
  }

  /**
   * True for a file left out on purpose rather than failed: a DICOMDIR (skipped, unless it
   * could not be read for its references) or, with `ignoreNonDicom`, a file that is not DICOM.
   */
  leavesOut(item: Item): boolean {
    if (!("bad" in item)) return false;
    if (item.code === "dicomdir") return !this.#dicomdirError(item.path);
    return item.code === "not-dicom" && this.options.ignoreNonDicom === true;
  }

  #dicomdirError(path: string): string | undefined {
    const read = this.dicomdirs.get(path);
    return read && "error" in read ? read.error : undefined;
  }

  /** Ends a DICOMDIR (skipped) or an ignored non-DICOM file (left out of the account). */
  #leaveOut(item: BadItem, emit: Emit): void {
    if (item.code !== "dicomdir") {
      this.ignored.add(item.path);
      emit({ type: "file-ignored", path: item.path, reason: item.bad });
      return;
    }
    this.skippedDicomdirs++;
    const read = this.dicomdirs.get(item.path);
    const reason = read && "files" in read
      ? `DICOMDIR: read for the ${read.files} file${read.files === 1 ? "" : "s"} it references`
      : "DICOMDIR (a media directory, not an instance): --dicomdir sends the files it references";
    this.finish({ path: item.path, outcome: "skipped", reason }, undefined, emit);
  }

  /**
   * Ends a file the journal lists as already stored at this destination (outcome `skipped`);
   * false when it is not listed (or there is no journal).
   */
  skip(f: DicomFileInfo): boolean {
    if (!this.journal?.has(f.sopInstanceUid)) return false;
    this.skipped++;
    this.finish({
      ...resultOf(f),
      outcome: "skipped",
      reason: `already stored at ${this.journal.destination} (journal)`,
    });
    return true;
  }

  /** Ends a file a stopped run never got to (or whose retry it never sent). */
  interrupted(path: string): void {
    const last = this.retrying.get(path);
    this.finish(
      last
        ? { ...last, reason: `${last.reason}; not retried: interrupted`, transient: undefined }
        : { path, outcome: "not-sent", reason: "interrupted" },
    );
  }

  /** Ends an item that was never sent: a bad file, or one no association could take. */
  notSent(item: Item, reason: string, err?: Error, emit: Emit = this.emit): void {
    if (this.leavesOut(item)) return this.#leaveOut(item as BadItem, emit);
    if ("bad" in item && item.code === "dicomdir") {
      const why = this.#dicomdirError(item.path);
      this.finish(
        { path: item.path, outcome: "not-sent", reason: `Bad DICOMDIR: ${why}` },
        undefined,
        emit,
      );
    } else if ("bad" in item) {
      this.finish(
        { path: item.path, outcome: "not-sent", reason: badReason(item) },
        undefined,
        emit,
      );
    } else {
      this.finish(
        { ...resultOf(item), reason, transient: err ? isTransient(err) : undefined },
        item,
        emit,
      );
    }
  }
}
