/**
 * Input discovery: turns the command line's paths into the sorted list of files to send,
 * with the reference tool's rules (directories listed, `-r` recursion, de-duplication by
 * exact string, sorting by code point) and without its silent drops.
 *
 * @module
 */

/** A path that could not be used as input, and why. */
export interface BadPath {
  /** The path as given or found. */
  path: string;
  /** Why. */
  reason: string;
}

/** The result of {@link findFiles}. */
export interface FoundFiles {
  /** Regular files (or links to them), de-duplicated and sorted by code point. */
  files: string[];
  /** Paths given or met that are neither a file nor a usable directory. */
  bad: BadPath[];
  /** Subdirectories not descended into because recursion was off. */
  skippedDirectories: string[];
}

/**
 * Compares two strings by Unicode code point (Python's `sorted` order for `str`).
 *
 * @example
 * ```ts
 * import { compareCodePoints } from "./files.ts";
 * ["b", "a", "B"].sort(compareCodePoints); // ["B", "a", "b"]
 * ```
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

function join(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

/**
 * Deno hands over file names as UTF-8 strings: a name that is not valid UTF-8 arrives with
 * U+FFFD in it and can't be opened under that string.
 */
const NOT_UTF8 = "the name is not valid UTF-8, so it cannot be opened as given";

function reasonOf(err: unknown, path = ""): string {
  if (path.includes("\uFFFD")) return NOT_UTF8;
  if (err instanceof Deno.errors.NotFound) return "no such file or directory";
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Error) return err.message;
  return String(err);
}

async function statOrNull(path: string): Promise<Deno.FileInfo | Error> {
  try {
    return await Deno.stat(path);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

async function listDir(
  dir: string,
  recurse: boolean,
  out: string[],
  bad: BadPath[],
  skipped: string[],
): Promise<void> {
  // Entries are taken one at a time (a folder of 100,000 files is never held as entries,
  // only as the paths kept).
  let entries: Iterable<Deno.DirEntry>;
  try {
    entries = Deno.readDirSync(dir);
  } catch (err) {
    bad.push({ path: dir, reason: `cannot list directory: ${reasonOf(err)}` });
    return;
  }
  try {
    await addEntries(dir, entries, recurse, out, bad, skipped);
  } catch (err) {
    bad.push({ path: dir, reason: `cannot list directory: ${reasonOf(err)}` });
  }
}

async function addEntries(
  dir: string,
  entries: Iterable<Deno.DirEntry>,
  recurse: boolean,
  out: string[],
  bad: BadPath[],
  skipped: string[],
): Promise<void> {
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.name.includes("\uFFFD") && (await statOrNull(p)) instanceof Error) {
      bad.push({ path: p, reason: NOT_UTF8 });
    } else if (e.isFile) {
      out.push(p);
    } else if (e.isDirectory) {
      if (recurse) await listDir(p, recurse, out, bad, skipped);
      else skipped.push(p);
    } else if (e.isSymlink) {
      // Links to files are sent (as the reference does); links to directories are not
      // followed (no loops); broken links are reported instead of dropped silently.
      const st = await statOrNull(p);
      if (st instanceof Error) {
        bad.push({
          path: p,
          reason: p.includes("\uFFFD") ? NOT_UTF8 : `broken link: ${reasonOf(st)}`,
        });
      } else if (st.isFile) out.push(p);
      else if (!st.isDirectory) bad.push({ path: p, reason: "not a regular file" });
    } else {
      bad.push({ path: p, reason: "not a regular file" });
    }
  }
}

/**
 * Expands `paths` into input files.
 *
 * @example
 * ```ts ignore
 * import { findFiles } from "./files.ts";
 * const { files, bad } = await findFiles(["testdata"], false);
 * ```
 */
export async function findFiles(paths: string[], recurse: boolean): Promise<FoundFiles> {
  const out: string[] = [];
  const bad: BadPath[] = [];
  const skipped: string[] = [];
  for (const p of paths) {
    const st = await statOrNull(p);
    if (st instanceof Error) {
      bad.push({ path: p, reason: reasonOf(st, p) });
    } else if (st.isFile) {
      out.push(p);
    } else if (st.isDirectory) {
      await listDir(p, recurse, out, bad, skipped);
    } else {
      bad.push({ path: p, reason: "not a regular file" });
    }
  }
  // Sorted in place; a path named twice (overlapping arguments) is sent once.
  out.sort(compareCodePoints);
  let n = 0;
  for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[n - 1]) out[n++] = out[i];
  out.length = n;
  const files = out;
  return { files, bad, skippedDirectories: skipped.sort(compareCodePoints) };
}
