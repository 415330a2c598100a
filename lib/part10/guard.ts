/**
 * A {@link ByteSource} wrapper that fails when the file changed after it was examined.
 *
 * @module
 */

import { changedSinceExamined } from "./file.ts";
import type { ByteSource, DicomFileInfo } from "./types.ts";

/**
 * Fails the data set read when the file changed since it was examined (size, inode, or a
 * write), so a file that is rewritten, grows or shrinks while being sent is never reported as
 * stored: the read error comes before the last fragment goes out (and the association is
 * aborted if part of the message did).
 *
 * With `unchanged` (the file's own bytes are sent), the count of bytes read is checked against
 * the size examined as well.
 *
 * @example
 * ```ts ignore
 * import { guardFileChange } from "./guard.ts";
 * const source = guardFileChange(await openDataset(info, info.transferSyntaxUid), info, true);
 * ```
 */
export function guardFileChange(
  source: ByteSource,
  f: DicomFileInfo,
  unchanged: boolean,
): ByteSource {
  const expected = f.size - f.datasetOffset;
  const max = expected + (expected & 1); // an odd data set is padded with one byte
  let count = 0;
  const changed = (now: string) =>
    new Error(`file changed while being sent (${f.size} bytes when examined, ${now})`);
  // Sync stat: an async one is a round trip to the blocking thread pool (2 per file).
  // deno-lint-ignore require-await
  const checkUnchanged = async () => {
    let now: Deno.FileInfo;
    try {
      now = Deno.statSync(f.path);
    } catch {
      throw changed("no longer readable");
    }
    const why = changedSinceExamined(f, now);
    if (why) throw changed(why);
  };
  return {
    async read(p: Uint8Array): Promise<number | null> {
      if (count === 0) await checkUnchanged(); // changed since examined: fail before sending any
      let n: number | null;
      try {
        n = await source.read(p);
      } catch (err) {
        await checkUnchanged(); // a cut data set is most likely a file that changed: say so
        throw err;
      }
      if (n === null) {
        await checkUnchanged();
        if (unchanged && count < expected) throw changed(`${f.datasetOffset + count} read`);
        return null;
      }
      count += n;
      if (unchanged && count > max) throw changed("more read");
      return n;
    },
    close: () => source.close(),
  };
}
