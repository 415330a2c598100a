/**
 * The run's inputs: the files found under the paths (with `patterns`), the files DICOMDIRs
 * reference (with `dicomdir`), and, when nothing at all can be sent, why.
 *
 * @module
 */

import { compareCodePoints, findFiles, type FoundFiles } from "../files.ts";
import { MEDIA_STORAGE_DIRECTORY_STORAGE } from "../uids.ts";
import { readDicomFileInfo } from "../part10/file.ts";
import type { StoreEvent, StoreOptions } from "./types.ts";

/** What a DICOMDIR read with `dicomdir` gave: how many files it referenced, or why not. */
export type DicomdirRead = { files: number } | { error: string };

/** The inputs of a run. */
export interface Inputs extends FoundFiles {
  /** DICOMDIRs read for their references (`dicomdir` option), by path. */
  dicomdirs: Map<string, DicomdirRead>;
}

function isDicomdir(path: string): Promise<boolean> {
  return readDicomFileInfo(path).then(
    (info) => info.sopClassUid === MEDIA_STORAGE_DIRECTORY_STORAGE,
    () => false,
  );
}

/**
 * Finds the run's files (and reports unusable paths and directories left out through `emit`).
 * With `options.dicomdir`, every file found is checked for being a DICOMDIR, and the files a
 * DICOMDIR references join the inputs (once each, in the usual sorted order); referenced files
 * that don't exist are unusable paths.
 *
 * @example
 * ```ts ignore
 * import { findInputs } from "./inputs.ts";
 * const inputs = await findInputs({ address: "", port: 0, paths: ["cd/"], dicomdir: true }, () => {});
 * inputs.dicomdirs.get("cd/DICOMDIR"); // { files: 31 }
 * ```
 */
export async function findInputs(
  options: Pick<StoreOptions, "paths" | "recurse" | "patterns" | "dicomdir">,
  emit: (e: StoreEvent) => void,
): Promise<Inputs> {
  const found = await findFiles(options.paths, options.recurse ?? false, {
    patterns: options.patterns,
  });
  const dicomdirs = new Map<string, DicomdirRead>();
  if (options.dicomdir) {
    const { readDicomdir } = await import("../dicomdir.ts");
    const added: string[] = [];
    for (const path of found.files) {
      if (!(await isDicomdir(path))) continue;
      try {
        const refs = await readDicomdir(path);
        added.push(...refs.files);
        for (const id of refs.invalid) {
          found.bad.push({
            path: `${path}: ${id}`,
            reason: `referenced by ${path}: not a valid Referenced File ID`,
          });
        }
        for (const p of refs.missing) {
          found.bad.push({ path: p, reason: `referenced by ${path}: no such file or directory` });
        }
        dicomdirs.set(path, { files: refs.files.length + refs.missing.length });
        emit({ type: "dicomdir-read", path, files: refs.files.length + refs.missing.length });
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        dicomdirs.set(path, { error });
        emit({ type: "dicomdir-read", path, files: 0, error });
      }
    }
    if (added.length > 0) found.files = mergeSorted(found.files, added);
  }
  for (const b of found.bad) emit({ type: "bad-path", path: b.path, reason: b.reason });
  for (const d of found.skippedDirectories) emit({ type: "skipped-directory", path: d });
  return { ...found, dicomdirs };
}

/** `files` (sorted, unique) with `more` added: sorted by code point, each path once. */
function mergeSorted(files: string[], more: string[]): string[] {
  const all = [...files, ...more].sort(compareCodePoints);
  return all.filter((p, i) => i === 0 || p !== all[i - 1]);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** How many inputs were left out on purpose, for {@link whyNothingToSend}. */
export interface LeftOut {
  /** DICOMDIRs skipped (or read for their references). */
  dicomdirs: number;
  /** Non-DICOM files ignored (`ignoreNonDicom`). */
  ignored: number;
}

/**
 * Why a run has nothing at all to send, or `undefined` when it has something (or when some
 * input failed: unusable paths are their own account).
 *
 * @example
 * ```ts
 * import { whyNothingToSend } from "./inputs.ts";
 * const found = { files: [], bad: [], skippedDirectories: ["study/a", "study/b"], notMatching: 0 };
 * whyNothingToSend({ ...found, dicomdirs: new Map() }, { dicomdirs: 0, ignored: 0 }, {});
 * // "no file found, only 2 subdirectories (study/a, ...): add -r (--recurse) to look inside them"
 * ```
 */
export function whyNothingToSend(
  inputs: Inputs,
  left: LeftOut,
  options: Pick<StoreOptions, "patterns" | "dicomdir">,
): string | undefined {
  if (inputs.bad.length > 0) return undefined;
  if (inputs.files.length === 0) {
    const dirs = inputs.skippedDirectories;
    const patterns = (options.patterns ?? []).map((p) => `'${p}'`).join(" or ");
    if (inputs.notMatching > 0) {
      return `no file name matches --pattern ${patterns} (${
        plural(inputs.notMatching, "other file")
      } left out)${dirs.length > 0 ? "; subdirectories need -r (--recurse)" : ""}`;
    }
    if (dirs.length > 0) {
      const some = dirs.length > 1 ? `${dirs[0]}, ...` : dirs[0];
      return `no file found, only ${
        plural(dirs.length, "subdirectory", "subdirectories")
      } (${some}): add -r (--recurse) to look inside them`;
    }
    return "no file found: the directories given are empty";
  }
  if (inputs.files.length > left.dicomdirs + left.ignored) return undefined;
  const parts: string[] = [];
  if (left.dicomdirs > 0) {
    const read = [...inputs.dicomdirs.values()].some((d) => "files" in d);
    parts.push(
      `${plural(left.dicomdirs, "DICOMDIR")} (${
        read ? "referencing no file" : "--dicomdir sends the files a DICOMDIR references"
      })`,
    );
  }
  if (left.ignored > 0) {
    parts.push(`${plural(left.ignored, "non-DICOM file")} (ignored: --ignore-non-dicom)`);
  }
  return `every file found was left out: ${parts.join(", ")}`;
}
