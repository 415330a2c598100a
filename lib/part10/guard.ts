/**
 * Noticing that a file changed between its examination and the end of its sending: another
 * size, another file in its place, or a write since (see {@link changedSinceExamined}). A data
 * set read from a changed file must never be reported as stored.
 *
 * @module
 */

import { changedSinceExamined } from "./examined.ts";
import type { ByteSource, DicomFileInfo } from "./types.ts";

/**
 * The file of a record is no longer the one examined (or can no longer be read).
 *
 * @example
 * ```ts
 * import { FileChangedError } from "./guard.ts";
 * const e = new FileChangedError({ size: 1000 } as never, "998 bytes now");
 * e.message; // "file changed while being sent (1000 bytes when examined, 998 bytes now)"
 * ```
 */
export class FileChangedError extends Error {
  /**
   * Creates it.
   * @param info the record as examined
   * @param now what is different now
   */
  constructor(info: DicomFileInfo, now: string) {
    super(`file changed while being sent (${info.size} bytes when examined, ${now})`);
    this.name = "FileChangedError";
  }
}

/**
 * Throws {@link FileChangedError} when the file at `info.path` is no longer the one examined.
 * One `stat` of the path (synchronous: an async one is a round trip to Deno's blocking thread
 * pool, and a stat of an open file costs Deno a readlink per path component).
 *
 * @example
 * ```ts
 * import { readDicomFileInfo } from "./file.ts";
 * import { checkUnchanged } from "./guard.ts";
 * checkUnchanged(await readDicomFileInfo("../shared/corpus/pydicom/test_files/CT_small.dcm"));
 * ```
 */
export function checkUnchanged(info: DicomFileInfo): void {
  let now: Deno.FileInfo;
  try {
    now = Deno.statSync(info.path);
  } catch {
    throw new FileChangedError(info, "no longer readable");
  }
  const why = changedSinceExamined(info, now);
  if (why) throw new FileChangedError(info, why);
}

/**
 * Wraps a data set source whose bytes come from `info`'s file: the file is checked when the
 * data set starts, when a read fails (a cut data set is most likely a file that changed: say
 * so) and when it ends, before the end is reported. With `unchanged` (the file's bytes sent as
 * they are), the bytes are also counted against the size examined (plus one padding byte when
 * odd).
 *
 * @example
 * ```ts ignore
 * import { guardedSource } from "./guard.ts";
 * const src = guardedSource(converted, info, false);
 * ```
 */
export function guardedSource(
  source: ByteSource,
  info: DicomFileInfo,
  unchanged: boolean,
): ByteSource {
  const expected = Math.max(0, info.size - info.datasetOffset);
  const max = expected + (expected & 1); // an odd data set is padded with one byte
  let started = false;
  let count = 0;
  return {
    async read(p: Uint8Array): Promise<number | null> {
      if (!started) {
        started = true;
        checkUnchanged(info); // changed since examined: fail before sending any
      }
      let n: number | null;
      try {
        n = await source.read(p);
      } catch (err) {
        checkUnchanged(info);
        throw err;
      }
      if (n === null) {
        checkUnchanged(info);
        if (unchanged && count < expected) {
          throw new FileChangedError(info, `${info.datasetOffset + count} read`);
        }
        return null;
      }
      count += n;
      if (unchanged && count > max) throw new FileChangedError(info, "more read");
      return n;
    },
    close: () => source.close(),
    transcoding: source.transcoding,
  };
}
