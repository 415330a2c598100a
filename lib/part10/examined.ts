/**
 * What an examination leaves with a file's record for its send: the file kept open after its
 * first read (a bounded number of them), the data set of a small file read whole, the stamp
 * (inode, last write) that tells whether the file changed since, and the first-read buffers,
 * reused from file to file. `file.ts` examines and leaves these; the send takes them.
 *
 * @module
 */

import type { DicomFileInfo } from "./types.ts";

/** Bytes of an examination's first read (the buffers kept here are this size). */
export const FIRST_READ_SIZE = 16 * 1024;

/** First-read buffers back from earlier files, for the next ones. */
const firstReads: Uint8Array[] = [];

/**
 * A buffer for an examination's first read: one given back earlier, or a new one. (Scanning
 * thousands of files would otherwise put a 16 KiB array per file through the young generation.)
 *
 * @example
 * ```ts
 * import { FIRST_READ_SIZE, firstReadBuffer, returnHead } from "./examined.ts";
 * const buf = firstReadBuffer();
 * buf.length === FIRST_READ_SIZE; // true
 * returnHead(buf); // for the next file
 * ```
 */
export function firstReadBuffer(): Uint8Array {
  return firstReads.pop() ?? new Uint8Array(FIRST_READ_SIZE);
}

/** A file kept open from its examination: the handle, just after the bytes in `head`. */
export interface ExaminedFile {
  /** The open file, positioned at `head.length`. */
  file: Deno.FsFile;
  /** The file's first bytes (the examination's first read). */
  head: Uint8Array;
}

/** How many files `readDicomFileInfo`'s `keepOpen` keeps open at once. */
export const MAX_KEPT_OPEN = 16;

/** Files kept open, oldest first (a record taken or forgotten leaves at once). */
const keptOpen = new Map<DicomFileInfo, ExaminedFile>();

/**
 * Keeps `kept` open for `info` until it is taken ({@link takeExaminedFile}) or forgotten; the
 * oldest kept is closed first when {@link MAX_KEPT_OPEN} are.
 *
 * @example
 * ```ts ignore
 * keepOpen(info, { file, head });
 * ```
 */
export function keepOpen(info: DicomFileInfo, kept: ExaminedFile): void {
  if (keptOpen.size >= MAX_KEPT_OPEN) {
    const [oldest] = keptOpen.keys();
    releaseKept(oldest);
  }
  keptOpen.set(info, kept);
}

function releaseKept(info: DicomFileInfo): void {
  const kept = keptOpen.get(info);
  if (!kept) return;
  keptOpen.delete(info);
  try {
    kept.file.close();
  } catch {
    // already closed
  }
  returnHead(kept.head);
}

/**
 * Hands over the file kept open for `info` by `readDicomFileInfo`'s `keepOpen`, or
 * `undefined` (not kept, already taken, or closed to make room). The caller then owns the
 * handle and closes it, and passes `head` back with {@link returnHead} once done with it.
 *
 * @example
 * ```ts
 * import { readDicomFileInfo } from "./file.ts";
 * import { returnHead, takeExaminedFile } from "./examined.ts";
 * const info = await readDicomFileInfo("../shared/corpus/pydicom/test_files/CT_small.dcm", {
 *   keepOpen: true,
 * });
 * const kept = takeExaminedFile(info)!; // the file, read up to kept.head.length
 * kept.file.close();
 * returnHead(kept.head);
 * ```
 */
export function takeExaminedFile(info: DicomFileInfo): ExaminedFile | undefined {
  const kept = keptOpen.get(info);
  if (kept) keptOpen.delete(info);
  return kept;
}

/**
 * Gives the first-read buffer under `head` (from {@link takeExaminedFile}) back for the next
 * files examined; `head` must not be used afterwards.
 *
 * @example
 * ```ts ignore
 * returnHead(kept.head);
 * ```
 */
export function returnHead(head: Uint8Array): void {
  if (head.buffer.byteLength === FIRST_READ_SIZE && firstReads.length < 8) {
    firstReads.push(new Uint8Array(head.buffer));
  }
}

/** Which file each record was read from, and its last write then (by record). */
const stamps = new WeakMap<DicomFileInfo, { ino: number | null; mtime: number | null }>();

/**
 * Remembers which file `info` was read from and when it was last written (`st`: a stat of its
 * path at the examination), for {@link changedSinceExamined}.
 *
 * @example
 * ```ts ignore
 * stampExamined(info, Deno.statSync(path));
 * ```
 */
export function stampExamined(info: DicomFileInfo, st: Deno.FileInfo): void {
  stamps.set(info, { ino: st.ino, mtime: st.mtime?.getTime() ?? null });
}

/**
 * Why the file of `info` is no longer the one examined, given a fresh `stat` of its path:
 * another size, another file (inode), or written since; `undefined` when nothing says so.
 *
 * @example
 * ```ts
 * import { changedSinceExamined, readDicomFileInfo } from "jsr:@x/storescu/part10";
 * const path = "../shared/corpus/pydicom/test_files/CT_small.dcm";
 * const info = await readDicomFileInfo(path);
 * changedSinceExamined(info, Deno.statSync(path)); // undefined
 * ```
 */
export function changedSinceExamined(info: DicomFileInfo, now: Deno.FileInfo): string | undefined {
  if (now.size !== info.size) return `${now.size} bytes now`;
  const then = stamps.get(info);
  if (!then) return undefined;
  if (then.ino !== null && now.ino !== null && now.ino !== then.ino) return "replaced since";
  const mtime = now.mtime?.getTime() ?? null;
  if (then.mtime !== null && mtime !== null && mtime !== then.mtime) return "written since";
  return undefined;
}

/** Data sets of small files as examined, by record (`readDicomFileInfo`'s `keepSmall`). */
const snapshots = new WeakMap<DicomFileInfo, Uint8Array>();

/**
 * Keeps the data set of a small file read whole (`bytes`, in a first-read buffer) with `info`:
 * sent from these bytes, never read again.
 *
 * @example
 * ```ts ignore
 * keepDataset(info, head.subarray(info.datasetOffset));
 * ```
 */
export function keepDataset(info: DicomFileInfo, bytes: Uint8Array): void {
  snapshots.set(info, bytes);
}

/**
 * The data set bytes kept with `info` when it was read with `keepSmall` (the whole file was
 * small), else `undefined`. What is sent from them is exactly what was examined, whatever
 * happens to the file afterwards.
 *
 * @example
 * ```ts
 * import { examinedDataset, readDicomFileInfo } from "jsr:@x/storescu/part10";
 * const path = "../shared/corpus/pydicom/test_files/CT_small.dcm"; // 39 KB: too big
 * examinedDataset(await readDicomFileInfo(path, { keepSmall: true })); // undefined
 * ```
 */
export function examinedDataset(info: DicomFileInfo): Uint8Array | undefined {
  return snapshots.get(info);
}

/**
 * Drops the bytes kept with `info`, and closes the file kept open for it (once sent, or when
 * the record is set aside for later and keeps only its facts); their buffer is reused for the
 * next files examined. Sending the record again reads the file again.
 *
 * @example
 * ```ts ignore
 * forgetExaminedDataset(info);
 * ```
 */
export function forgetExaminedDataset(info: DicomFileInfo): void {
  releaseKept(info);
  const bytes = snapshots.get(info);
  if (!bytes) return;
  snapshots.delete(info);
  returnHead(bytes);
}
