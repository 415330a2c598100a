/**
 * The files waiting for an association, handed out one at a time in send order.
 *
 * {@link ListQueue} holds files already examined (a plan's list). {@link ExaminingQueue}
 * examines each path only when it is taken, so a run of 100,000 files never holds 100,000
 * file records at once: each record lives from its examination to its C-STORE-RSP. Files
 * the association being filled can't carry are set aside for a later one.
 *
 * @module
 */

import { readDicomFileInfo } from "./part10/file.ts";
import { forgetExaminedDataset } from "./part10/examined.ts";
import { DicomFileError } from "./part10/errors.ts";
import { MEDIA_STORAGE_DIRECTORY_STORAGE } from "./uids.ts";
import type { DicomFileInfo } from "./part10/types.ts";

/** A file that can't be sent (not DICOM, unreadable...), kept at its place in the order. */
export interface BadItem {
  /** The path as given or found. */
  path: string;
  /** Why it can't be sent. */
  bad: string;
  /** The {@link DicomFileError} code, when there is one; `dicomdir` for a DICOMDIR. */
  code?: string;
}

/** A file to send, or one to report at its place. */
export type Item = DicomFileInfo | BadItem;

/**
 * The reason written into a bad file's result: an unreadable file is not called a bad DICOM
 * file.
 *
 * @example
 * ```ts
 * import { badReason } from "./queue.ts";
 * badReason({ path: "a", bad: "not a DICOM file", code: "not-dicom" }); // "Bad DICOM file: not a DICOM file"
 * badReason({ path: "b", bad: "can't open: permission denied", code: "unreadable" });
 * // "Cannot read file: can't open: permission denied"
 * ```
 */
export function badReason(item: BadItem): string {
  return item.code === "unreadable"
    ? `Cannot read file: ${item.bad}`
    : `Bad DICOM file: ${item.bad}`;
}

/** An item and its place in the order it was taken (0, 1, ...). */
export interface Queued {
  /** The file, or why it can't be sent. */
  item: Item;
  /** Its place in the plan's send order (events are released in this order). */
  index: number;
}

/** Files for the association(s) draining one plan. */
export interface FileQueue {
  /** The next item, or `undefined` when there is none left. */
  take(): Promise<Queued | undefined>;
  /**
   * Gives back an item taken but not sent (its association ended first); it is handed out
   * again, with the same index, before anything new.
   */
  putBack(q: Queued): void;
  /** True when nothing is left to take. */
  isEmpty(): Promise<boolean>;
  /** Items taken so far (put-back ones excluded). */
  readonly taken: number;
  /** No more than this many items are left. */
  readonly maxLeft: number;
}

/**
 * Examines one file's first bytes: its SOP class, instance and transfer syntax, or why it
 * can't be sent (a DICOMDIR is never sent: it is a {@link BadItem} with code `dicomdir`).
 * With `keepSmall`, a file that fits in the first read keeps its data set with the record,
 * to be sent without reading it again, and a bigger one is kept open with its first bytes
 * (for records that live until their file is sent, not for a whole run's list).
 *
 * @example
 * ```ts
 * import { examineFile } from "./queue.ts";
 * const item = await examineFile("../shared/corpus/pydicom/test_files/CT_small.dcm");
 * "bad" in item; // false
 * ```
 */
export async function examineFile(path: string, keepSmall = false): Promise<Item> {
  try {
    const info = await readDicomFileInfo(path, { keepSmall, keepOpen: keepSmall });
    if (info.sopClassUid !== MEDIA_STORAGE_DIRECTORY_STORAGE) return info;
    forgetExaminedDataset(info);
    return { path, bad: "DICOMDIR (Media Storage Directory Storage)", code: "dicomdir" };
  } catch (err) {
    if (err instanceof DicomFileError) return { path, bad: err.reason, code: err.code };
    return { path, bad: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * A queue over items already in hand.
 *
 * @example
 * ```ts
 * import { ListQueue } from "./queue.ts";
 * const q = new ListQueue([{ path: "x", bad: "not DICOM" }]);
 * (await q.take())?.index; // 0
 * await q.isEmpty(); // true
 * ```
 */
export class ListQueue implements FileQueue {
  #items: Item[];
  #next = 0;
  #returned = new Returned();

  /** @param items in send order (the queue keeps the array) */
  constructor(items: Item[]) {
    this.#items = items;
  }

  take(): Promise<Queued | undefined> {
    const back = this.#returned.take();
    if (back) return Promise.resolve(back);
    if (this.#next >= this.#items.length) return Promise.resolve(undefined);
    const index = this.#next++;
    const item = this.#items[index];
    // Let the record go with the file: the queue holds only what is still to be sent.
    (this.#items as (Item | undefined)[])[index] = undefined;
    return Promise.resolve({ item, index });
  }

  putBack(q: Queued): void {
    this.#returned.add(q);
  }

  isEmpty(): Promise<boolean> {
    return Promise.resolve(this.#returned.size === 0 && this.#next >= this.#items.length);
  }

  get taken(): number {
    return this.#next - this.#returned.size;
  }

  get maxLeft(): number {
    return this.#returned.size + this.#items.length - this.#next;
  }
}

/** Items given back, handed out again lowest index first. */
class Returned {
  #items: Queued[] = [];

  get size(): number {
    return this.#items.length;
  }

  add(q: Queued): void {
    let i = this.#items.length;
    while (i > 0 && this.#items[i - 1].index > q.index) i--;
    this.#items.splice(i, 0, q);
  }

  take(): Queued | undefined {
    return this.#items.shift();
  }
}

/**
 * A queue over paths, each examined when taken. A file that `carry` refuses (one the
 * association being filled can't carry) is not handed out but kept in {@link ExaminingQueue.diverted}, for a
 * later association; files that can't be sent are handed out as {@link BadItem}s so they are
 * reported at their place.
 *
 * @example
 * ```ts ignore
 * import { ExaminingQueue } from "./queue.ts";
 * const q = new ExaminingQueue(paths, (f) => f.sopClassUid === "1.2.840.10008.5.1.4.1.1.2");
 * for (let x; (x = await q.take());) console.log(x.index, x.item.path);
 * q.diverted; // the files that were not CT images
 * ```
 */
export class ExaminingQueue implements FileQueue {
  /** Files examined and set aside, in order. */
  readonly diverted: DicomFileInfo[] = [];
  #paths: string[];
  #carry: (f: DicomFileInfo) => boolean;
  #skip: ((f: DicomFileInfo) => boolean) | undefined;
  #stopped: (() => boolean) | undefined;
  #nextPath = 0;
  #ahead: Item[] = [];
  /** Items handed out so far (the next index). */
  #handed = 0;
  #returned = new Returned();
  /** Serialises examinations so that items keep path order under concurrent takers. */
  #lock: Promise<unknown> = Promise.resolve();
  /** Examination order of the items held (for {@link ExaminingQueue.retarget}). */
  #order = new WeakMap<Item, number>();

  /**
   * @param paths in send order (read, not kept beyond the run)
   * @param carry whether the association being filled can carry a file
   * @param options `skip` is called for each file examined: one it returns true for is dropped
   *   (the caller has accounted for it: already stored, say); once `stopped` returns true no
   *   more paths are examined, as if the list ended there
   */
  constructor(
    paths: string[],
    carry: (f: DicomFileInfo) => boolean,
    options: { skip?: (f: DicomFileInfo) => boolean; stopped?: () => boolean } = {},
  ) {
    this.#paths = paths;
    this.#carry = carry;
    this.#skip = options.skip;
    this.#stopped = options.stopped;
  }

  take(): Promise<Queued | undefined> {
    const run = this.#lock.then(async () => {
      const back = this.#returned.take();
      if (back) return back;
      const item = await this.#peek();
      if (item === undefined) return undefined;
      this.#ahead.shift();
      return { item, index: this.#handed++ };
    });
    this.#lock = run.catch(() => {});
    return run;
  }

  putBack(q: Queued): void {
    this.#returned.add(q);
  }

  isEmpty(): Promise<boolean> {
    const run = this.#lock.then(async () =>
      this.#returned.size === 0 && (await this.#peek()) === undefined
    );
    this.#lock = run.catch(() => {});
    return run;
  }

  /**
   * True when some file the association can carry is left (bad ones before it are kept); false
   * when none is, or, with `limit`, when `limit` files were set aside before one it can carry
   * ({@link ExaminingQueue.exhausted} then says whether every path was examined).
   */
  hasCarriable(limit = Infinity): Promise<boolean> {
    const run = this.#lock.then(async () => {
      for (let i = 0;; i++) {
        while (i >= this.#ahead.length) {
          if (this.diverted.length >= limit) return false;
          if (!(await this.#examineNext())) return false;
        }
        if (!("bad" in this.#ahead[i])) return true;
      }
    });
    this.#lock = run.catch(() => {});
    return run;
  }

  get taken(): number {
    return this.#handed - this.#returned.size;
  }

  /** True once every path was examined (or the run was stopped). */
  get exhausted(): boolean {
    return this.#nextPath >= this.#paths.length || (this.#stopped?.() ?? false);
  }

  /**
   * Carries what `carry` says from now on: the files set aside so far that it carries come back,
   * at their place among the items not yet handed out (call before the first is).
   */
  retarget(carry: (f: DicomFileInfo) => boolean): void {
    this.#carry = carry;
    const back = this.diverted.filter(carry);
    if (back.length === 0) return;
    const kept = this.diverted.filter((f) => !carry(f));
    this.diverted.splice(0, this.diverted.length, ...kept);
    const order = (x: Item) => this.#order.get(x) ?? 0;
    this.#ahead = [...this.#ahead, ...back].sort((a, b) => order(a) - order(b));
  }

  get maxLeft(): number {
    return this.#returned.size + this.#ahead.length + this.#paths.length - this.#nextPath;
  }

  /** The next item to hand out, examining paths as needed (call under the lock). */
  async #peek(): Promise<Item | undefined> {
    while (this.#ahead.length === 0) {
      if (!(await this.#examineNext())) return undefined;
    }
    return this.#ahead[0];
  }

  /** Examines one more path into the look-ahead or the diverted list; false at the end. */
  async #examineNext(): Promise<boolean> {
    if (this.#nextPath >= this.#paths.length || this.#stopped?.()) return false;
    // Each record handed out lives until its file is sent: small files keep their bytes.
    const item = await examineFile(this.#paths[this.#nextPath], true);
    this.#order.set(item, this.#nextPath++);
    if (!("bad" in item) && this.#skip?.(item)) forgetExaminedDataset(item);
    else if ("bad" in item || this.#carry(item)) this.#ahead.push(item);
    else {
      forgetExaminedDataset(item); // set aside for the rest of the run: facts only
      this.diverted.push(item);
    }
    return true;
  }
}
