/**
 * DICOMDIR files (Media Storage Directory Storage, PS3.10 section 8): recognising them, and
 * reading the files a DICOMDIR references (`--dicomdir`, like dcmsend's `+rd`): each record of
 * the Directory Record Sequence (0004,1220) that has a Referenced File ID (0004,1500) names a
 * file by its path components, relative to the DICOMDIR's own folder.
 *
 * @module
 */

import { readDicomFileInfo } from "./part10/file.ts";
import {
  type Encoding,
  ITEM,
  ITEM_DELIMITATION,
  LONG_VRS,
  SEQUENCE_DELIMITATION,
  UNDEFINED_LENGTH,
} from "./part10/encoding.ts";
import { MEDIA_STORAGE_DIRECTORY_STORAGE, TRANSFER_SYNTAXES } from "./uids.ts";

export { MEDIA_STORAGE_DIRECTORY_STORAGE };

const DIRECTORY_RECORD_SEQUENCE = 0x00041220;
const RECORD_IN_USE_FLAG = 0x00041410;
const REFERENCED_FILE_ID = 0x00041500;

/** A DICOMDIR that can't be read (the message says why, without the path). */
export class DicomdirError extends Error {
  /** The DICOMDIR's path. */
  readonly path: string;

  /**
   * Creates the error.
   * @param path the DICOMDIR's path
   * @param message why it can't be read
   */
  constructor(path: string, message: string) {
    super(message);
    this.name = "DicomdirError";
    this.path = path;
  }
}

/** What a DICOMDIR references. */
export interface DicomdirReferences {
  /** Referenced files as paths (the DICOMDIR's folder joined with the file ID), in record order. */
  files: string[];
  /** File IDs that can't name a file under the DICOMDIR's folder (`..`, empty components). */
  invalid: string[];
  /** Referenced paths that don't exist (in either case). */
  missing: string[];
}

class Truncated extends Error {}

/**
 * Called for each element of a walk: returns where the element ends when it walked the value
 * itself (a sequence it looks into), or `undefined` to have it skipped.
 */
type Visit = (tag: number, vr: string | undefined, off: number, len: number) => number | undefined;

/** A cursor over a data set in one encoding. */
class Reader {
  readonly dv: DataView;
  constructor(readonly buf: Uint8Array) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** The element header at `off`: tag, VR (explicit only), length, header length. */
  header(off: number, enc: Encoding): { tag: number; vr?: string; len: number; hl: number } {
    if (off + 8 > this.buf.length) throw new Truncated();
    const le = enc.littleEndian;
    const tag = ((this.dv.getUint16(off, le) << 16) | this.dv.getUint16(off + 2, le)) >>> 0;
    if (!enc.explicitVr || tag >>> 16 === 0xfffe) {
      return { tag, len: this.dv.getUint32(off + 4, le), hl: 8 };
    }
    const vr = String.fromCharCode(this.buf[off + 4], this.buf[off + 5]);
    if (LONG_VRS.has(vr)) {
      if (off + 12 > this.buf.length) throw new Truncated();
      return { tag, vr, len: this.dv.getUint32(off + 8, le), hl: 12 };
    }
    return { tag, vr, len: this.dv.getUint16(off + 6, le), hl: 8 };
  }

  /**
   * Walks the items of a sequence value at `off` of length `len` (maybe undefined), each
   * item's data set with `visit`; returns where the sequence ends.
   */
  items(off: number, len: number, enc: Encoding, visit?: Visit): number {
    const end = len === UNDEFINED_LENGTH ? Infinity : off + len;
    while (off < end) {
      const h = this.header(off, enc);
      off += h.hl;
      if (h.tag === SEQUENCE_DELIMITATION) return off;
      if (h.tag !== ITEM) throw new Truncated();
      off = this.elements(off, h.len === UNDEFINED_LENGTH ? Infinity : off + h.len, enc, visit);
    }
    return off;
  }

  /**
   * Walks elements from `off` up to `end` (`Infinity`: up to an item delimitation), handing
   * each to `visit`; returns where the walk stopped.
   */
  elements(off: number, end: number, enc: Encoding, visit?: Visit): number {
    // A record whose declared length runs past the end of the file (seen in the wild) ends
    // with the file, as long as no element in it is cut.
    if (end !== Infinity) end = Math.min(end, this.buf.length);
    while (off < end) {
      const h = this.header(off, enc);
      off += h.hl;
      if (h.tag === ITEM_DELIMITATION) return off;
      const walked = visit?.(h.tag, h.vr, off, h.len);
      if (walked !== undefined) off = walked;
      else if (h.len === UNDEFINED_LENGTH) {
        // A sequence (or encapsulated pixel data): its items, in this encoding, or implicit
        // little endian inside UN (PS3.5 6.2.2).
        off = this.items(off, h.len, h.vr === "UN" ? IMPLICIT_LE : enc);
      } else off += h.len;
      if (off > this.buf.length) throw new Truncated();
    }
    return off;
  }
}

const IMPLICIT_LE: Encoding = { explicitVr: false, littleEndian: true };

function text(bytes: Uint8Array): string {
  return new TextDecoder("latin1").decode(bytes).replace(/[\0 ]+$/, "").trim();
}

/**
 * The Referenced File IDs of a DICOMDIR's data set, each as its path components, in record
 * order; records marked inactive (Record In-use Flag 0000H) are left out.
 *
 * @example
 * ```ts
 * import { referencedFileIds } from "./dicomdir.ts";
 * referencedFileIds(new Uint8Array(0), { explicitVr: true, littleEndian: true }); // []
 * ```
 */
export function referencedFileIds(dataSet: Uint8Array, enc: Encoding): string[][] {
  const r = new Reader(dataSet);
  const ids: string[][] = [];
  const record = (start: number, end: number) => {
    let id: string[] | undefined;
    let inUse = true;
    const stop = r.elements(start, end, enc, (t, _vr, o, l) => {
      if (l === UNDEFINED_LENGTH) return undefined;
      if (t === REFERENCED_FILE_ID) id = text(dataSet.subarray(o, o + l)).split("\\");
      if (t === RECORD_IN_USE_FLAG && l === 2) inUse = r.dv.getUint16(o, enc.littleEndian) !== 0;
      return undefined;
    });
    if (id && inUse) ids.push(id.map((c) => c.trim()));
    return stop;
  };
  r.elements(0, dataSet.length, enc, (tag, vr, off, len) => {
    if (tag !== DIRECTORY_RECORD_SEQUENCE || vr === "UN") return undefined;
    // Each item is one directory record.
    const end = len === UNDEFINED_LENGTH ? Infinity : off + len;
    let at = off;
    while (at < end) {
      const h = r.header(at, enc);
      at += h.hl;
      if (h.tag === SEQUENCE_DELIMITATION) break;
      if (h.tag !== ITEM) throw new Truncated();
      at = record(at, h.len === UNDEFINED_LENGTH ? Infinity : at + h.len);
    }
    return at;
  });
  return ids;
}

function folderOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i + 1);
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads the files a DICOMDIR references, as paths under its folder. A file ID whose path is
 * missing as written is also looked for in lower case (media mounted with lower-cased names);
 * paths found neither way are listed in `missing`.
 * Throws {@link DicomdirError} when the file is not a readable DICOMDIR.
 *
 * @example
 * ```ts
 * import { readDicomdir } from "./dicomdir.ts";
 * const dir = "../shared/corpus/pydicom/test_files/dicomdirtests";
 * const refs = await readDicomdir(`${dir}/DICOMDIR`);
 * refs.files[0]; // "../shared/corpus/pydicom/test_files/dicomdirtests/77654033/CR1/6154"
 * ```
 */
export async function readDicomdir(path: string): Promise<DicomdirReferences> {
  let info;
  try {
    info = await readDicomFileInfo(path);
  } catch (err) {
    throw new DicomdirError(path, err instanceof Error ? err.message : String(err));
  }
  if (info.sopClassUid !== MEDIA_STORAGE_DIRECTORY_STORAGE) {
    throw new DicomdirError(path, "not a DICOMDIR (Media Storage Directory Storage)");
  }
  const ts = TRANSFER_SYNTAXES.get(info.transferSyntaxUid);
  if (!ts || ts.encapsulated) {
    throw new DicomdirError(path, `unexpected transfer syntax ${info.transferSyntaxUid}`);
  }
  let data: Uint8Array = Deno.readFileSync(path).subarray(info.datasetOffset);
  if (ts.deflated) {
    const { inflateRawSync } = await import("node:zlib");
    data = new Uint8Array(inflateRawSync(data));
  }
  let ids: string[][];
  try {
    ids = referencedFileIds(data, { explicitVr: ts.explicitVr, littleEndian: ts.littleEndian });
  } catch (err) {
    if (err instanceof Truncated || err instanceof RangeError) {
      throw new DicomdirError(path, "its Directory Record Sequence is cut short or malformed");
    }
    throw err;
  }
  const folder = folderOf(path);
  const files: string[] = [];
  const invalid: string[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const id of ids) {
    if (
      id.some((c) => c === "" || c === "." || c === ".." || c.includes("/") || c.includes("\0"))
    ) {
      invalid.push(id.join("\\"));
      continue;
    }
    let p = folder + id.join("/");
    if (seen.has(p)) continue;
    seen.add(p);
    if (!exists(p)) {
      const lower = folder + id.join("/").toLowerCase();
      if (!exists(lower)) {
        missing.push(p);
        continue;
      }
      p = lower;
    }
    files.push(p);
  }
  return { files, invalid, missing };
}
