/**
 * Reads what storescu needs to know about a DICOM file from its first bytes: preamble, File
 * Meta Information, SOP Class/Instance UIDs, transfer syntax and where the data set starts.
 *
 * @module
 */

import {
  DEFLATED_EXPLICIT_VR_LE,
  EXPLICIT_VR_BE,
  EXPLICIT_VR_LE,
  IMPLICIT_VR_LE,
  TRANSFER_SYNTAXES,
} from "../uids.ts";
import { readU16 as u16, readU32 as u32 } from "../bytes.ts";
import { type Encoding, KNOWN_VRS, LONG_VRS } from "./encoding.ts";
import { DicomFileError } from "./errors.ts";
import type { DicomFileInfo } from "./types.ts";
import { scanDataset, uidValue } from "./walker.ts";
import {
  FIRST_READ_SIZE,
  firstReadBuffer,
  keepDataset,
  keepOpen,
  returnHead,
  stampExamined,
} from "./examined.ts";

/** How far into a data set we look for (0008,0016)/(0008,0018) when the meta lacks them. */
const UID_SEARCH_LIMIT = 1024 * 1024;

const EXPLICIT_LE: Encoding = { explicitVr: true, littleEndian: true };
const IMPLICIT_LE: Encoding = { explicitVr: false, littleEndian: true };
const EXPLICIT_BE: Encoding = { explicitVr: true, littleEndian: false };

interface Head {
  bytes: Uint8Array;
  /** The whole file is in `bytes`. */
  complete: boolean;
}

// Sync reads: every async file op is a round trip to Deno's blocking thread pool, which
// costs more than reading 16 KB of a local file (see bench/RESULTS.md).
function readFully(file: Deno.FsFile, buf: Uint8Array): number {
  let n = 0;
  while (n < buf.length) {
    const r = file.readSync(buf.subarray(n));
    if (r === null) break;
    n += r;
  }
  return n;
}

class FileHead {
  #head: Head;
  #file: Deno.FsFile;
  #path: string;
  constructor(path: string, file: Deno.FsFile, head: Head) {
    this.#path = path;
    this.#file = file;
    this.#head = head;
  }
  get bytes(): Uint8Array {
    return this.#head.bytes;
  }
  get complete(): boolean {
    return this.#head.complete;
  }
  /** Reads more of the file so that at least `n` bytes (or the whole file) are in `bytes`. */
  extend(n: number): void {
    const cur = this.#head.bytes;
    if (this.#head.complete || cur.length >= n) return;
    const more = new Uint8Array(Math.max(n, cur.length * 2));
    more.set(cur);
    let got: number;
    try {
      got = readFully(this.#file, more.subarray(cur.length));
    } catch (e) {
      throw new DicomFileError(this.#path, "unreadable", `can't read: ${errText(e)}`, {
        cause: e,
      });
    }
    const total = cur.length + got;
    this.#head = { bytes: more.subarray(0, total), complete: total < more.length };
  }
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function looksExplicit(b: Uint8Array, off: number): boolean {
  return off + 6 <= b.length && KNOWN_VRS.has(String.fromCharCode(b[off + 4], b[off + 5]));
}

interface Meta {
  end: number;
  sopClassUid?: string;
  sopInstanceUid?: string;
  transferSyntaxUid?: string;
}

/** Parses the (0002,xxxx) group starting at `start`. */
function parseMeta(path: string, head: FileHead, start: number): Meta {
  const meta: Meta = { end: start };
  let off = start;
  let expectedEnd: number | undefined;
  for (;;) {
    head.extend(off + 12);
    const b = head.bytes;
    if (off + 4 > b.length) {
      if (off < b.length) throw new DicomFileError(path, "truncated", "file ends inside the meta");
      break; // end of file right after the meta group
    }
    const group = u16(b, off);
    if (group !== 0x0002) break;
    if (off + 8 > b.length) {
      throw new DicomFileError(path, "truncated", "file ends inside the meta");
    }
    const elem = u16(b, off + 2);
    let len: number;
    let hl: number;
    if (looksExplicit(b, off)) {
      const vr = String.fromCharCode(b[off + 4], b[off + 5]);
      if (LONG_VRS.has(vr)) {
        if (off + 12 > b.length) {
          throw new DicomFileError(path, "truncated", "file ends inside the meta");
        }
        len = u32(b, off + 8);
        hl = 12;
      } else {
        len = u16(b, off + 6);
        hl = 8;
      }
    } else {
      len = u32(b, off + 4);
      hl = 8;
    }
    if (len === 0xffffffff) {
      throw new DicomFileError(path, "bad-meta", "undefined length in the meta group");
    }
    head.extend(off + hl + len + 12);
    const bb = head.bytes;
    if (off + hl + len > bb.length) {
      throw new DicomFileError(path, "truncated", "file ends inside the meta");
    }
    const value = bb.subarray(off + hl, off + hl + len);
    if (elem === 0x0000 && len === 4) expectedEnd = off + hl + len + u32(value, 0);
    else if (elem === 0x0002) meta.sopClassUid = uidValue(value);
    else if (elem === 0x0003) meta.sopInstanceUid = uidValue(value);
    else if (elem === 0x0010) meta.transferSyntaxUid = uidValue(value);
    off += hl + len;
  }
  meta.end = off;
  if (expectedEnd !== undefined && expectedEnd !== off) {
    throw new DicomFileError(
      path,
      "bad-meta",
      `meta group length says ${expectedEnd - start - 12} bytes but the group has ${
        off - start - 12
      }`,
    );
  }
  if (off === start) {
    if (head.complete && head.bytes.length < start + 8) {
      throw new DicomFileError(path, "truncated", "file ends after DICM");
    }
    throw new DicomFileError(path, "bad-meta", "no meta elements after DICM");
  }
  return meta;
}

/** Guesses how a raw data set (no meta) is encoded from its first elements. */
function detectEncoding(b: Uint8Array): Encoding | undefined {
  const candidates: Encoding[] = [EXPLICIT_LE, EXPLICIT_BE, IMPLICIT_LE];
  for (const enc of candidates) {
    if (b.length < 8) return undefined;
    const group = enc.littleEndian ? u16(b, 0) : (b[0] << 8) | b[1];
    if (group < 0x0001 || group > 0x7fe0) continue;
    if (enc.explicitVr && !looksExplicit(b, 0)) continue;
    const r = scanDataset(b, enc);
    if (r.valid && r.elements >= 1) return enc;
  }
  return undefined;
}

function uidOf(enc: Encoding, deflated: boolean): string {
  if (!enc.explicitVr) return IMPLICIT_VR_LE;
  if (!enc.littleEndian) return EXPLICIT_VR_BE;
  return deflated ? DEFLATED_EXPLICIT_VR_LE : EXPLICIT_VR_LE;
}

/** Finds (0008,0016)/(0008,0018) at the start of the data set. */
async function datasetUids(
  head: FileHead,
  offset: number,
  enc: Encoding,
  deflated: boolean,
): Promise<{ sopClassUid?: string; sopInstanceUid?: string }> {
  let limit = Math.max(head.bytes.length, FIRST_READ_SIZE);
  for (;;) {
    head.extend(limit);
    let data = head.bytes.subarray(offset);
    if (deflated) {
      try {
        // Loaded here only: importing node:zlib costs tens of ms of start-up.
        const { inflateRawSync } = await import("node:zlib");
        data = new Uint8Array(inflateRawSync(data, { finishFlush: 2 /* Z_SYNC_FLUSH */ }));
      } catch {
        return {};
      }
    }
    const r = scanDataset(data, enc);
    if (!r.needMore || head.complete || limit >= UID_SEARCH_LIMIT) return r;
    limit *= 4;
  }
}

/**
 * Reads the preamble, File Meta Information and (when needed) the first data set elements of
 * a file, with one open and usually one read. Data sets without meta (Implicit/Explicit VR
 * Little Endian, Explicit VR Big Endian) are recognised and their encoding detected.
 * Throws {@link DicomFileError} with a `code` when the file can't be used.
 *
 * @example
 * ```ts
 * import { readDicomFileInfo } from "jsr:@x/storescu/part10";
 * const info = await readDicomFileInfo("../shared/corpus/pydicom/test_files/CT_small.dcm");
 * info.transferSyntaxUid; // "1.2.840.10008.1.2.1"
 * info.datasetOffset; // 336
 * ```
 */
export async function readDicomFileInfo(
  path: string,
  options: ReadInfoOptions = {},
): Promise<DicomFileInfo> {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (e) {
    throw new DicomFileError(path, "unreadable", `can't open: ${errText(e)}`, { cause: e });
  }
  // The first-read buffers are reused: scanning thousands of files would otherwise put a
  // 16 KiB array per file through the young generation (the info keeps no view into it).
  const first = firstReadBuffer();
  let keptBytes = false;
  let keptFile = false;
  try {
    let n: number;
    try {
      n = readFully(file, first);
    } catch (e) {
      throw new DicomFileError(path, "unreadable", `can't read: ${errText(e)}`, { cause: e });
    }
    const head = new FileHead(path, file, {
      bytes: first.subarray(0, n),
      complete: n < FIRST_READ_SIZE,
    });
    const info = await examine(path, head);
    // Thousands of files share a handful of SOP classes and transfer syntaxes: keep one copy.
    info.sopClassUid = intern(info.sopClassUid);
    info.transferSyntaxUid = intern(info.transferSyntaxUid);
    if (head.complete && options.keepSmall) {
      // The first-read buffer itself goes with the record, back to the pool once sent.
      info.size = head.bytes.length;
      keepDataset(info, head.bytes.subarray(info.datasetOffset));
      keptBytes = true;
    } else {
      // Read again when sent: remember which file this was and when it was last written.
      // A stat of the path, not of the open file: Deno resolves the path again (a readlink
      // per path component) for a stat of an open file, and not for a stat of the path.
      const st = Deno.statSync(path);
      info.size = head.complete ? head.bytes.length : st.size;
      stampExamined(info, st);
      if (!head.complete && options.keepOpen && head.bytes.buffer === first.buffer) {
        keepOpen(info, { file, head: head.bytes });
        keptFile = true;
      }
    }
    return info;
  } finally {
    if (!keptFile) file.close();
    if (!keptBytes && !keptFile) returnHead(first);
  }
}

/** Options of {@link readDicomFileInfo}. */
export interface ReadInfoOptions {
  /**
   * When the whole file fits in the first read (16 KiB), keep a copy of its data set with the
   * record (see `examinedDataset` in `examined.ts`), so that sending it reads nothing again.
   * For records that live only until their file is sent: each one then holds up to 16 KiB.
   */
  keepSmall?: boolean;
  /**
   * When the file is bigger than the first read, keep it open with the bytes read so far (see
   * `takeExaminedFile` in `examined.ts`), so that sending it neither opens it again nor reads
   * its start twice. For records about to be sent: no more than `MAX_KEPT_OPEN` files are kept
   * open at once (the oldest is closed first; sending it then opens the file again).
   */
  keepOpen?: boolean;
}

const interned = new Map<string, string>();

function intern(uid: string): string {
  const known = interned.get(uid);
  if (known !== undefined) return known;
  if (interned.size < 4096) interned.set(uid, uid);
  return uid;
}

async function examine(path: string, head: FileHead): Promise<DicomFileInfo> {
  const b = head.bytes;
  if (b.length === 0 && head.complete) throw new DicomFileError(path, "empty", "empty file");
  const hasPreamble = b.length >= 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 &&
    b[131] === 0x4d; // "DICM"
  let metaStart = -1;
  if (hasPreamble) metaStart = 132;
  else if (b.length >= 8 && u16(b, 0) === 0x0002 && looksExplicit(b, 0)) metaStart = 0;

  let meta: Meta | undefined;
  if (metaStart >= 0) meta = parseMeta(path, head, metaStart);
  const datasetOffset = meta ? meta.end : 0;
  const info: DicomFileInfo = {
    path,
    size: 0,
    hasPreamble,
    hasMeta: meta !== undefined,
    datasetOffset,
    sopClassUid: meta?.sopClassUid ?? "",
    sopInstanceUid: meta?.sopInstanceUid ?? "",
    transferSyntaxUid: meta?.transferSyntaxUid ?? "",
  };

  let enc: Encoding | undefined;
  let deflated = false;
  const declared = info.transferSyntaxUid
    ? TRANSFER_SYNTAXES.get(info.transferSyntaxUid)
    : undefined;
  const datasetStart = head.bytes.subarray(datasetOffset);
  if (info.transferSyntaxUid === "") {
    enc = detectEncoding(datasetStart);
    if (!enc) {
      if (meta) {
        if (datasetStart.length === 0) {
          throw new DicomFileError(path, "missing-uid", "no data set after the meta");
        }
        throw new DicomFileError(path, "bad-meta", "no transfer syntax in the meta");
      }
      throw new DicomFileError(path, "not-dicom", "not a DICOM file");
    }
    info.transferSyntaxUid = uidOf(enc, false);
  } else if (declared) {
    enc = { explicitVr: declared.explicitVr, littleEndian: declared.littleEndian };
    deflated = declared.deflated;
    const checkable = info.transferSyntaxUid === IMPLICIT_VR_LE ||
      info.transferSyntaxUid === EXPLICIT_VR_LE;
    if (checkable && datasetStart.length >= 8) {
      // Like pydicom: trust the data set's own encoding over a wrong meta header.
      const explicitLooking = looksExplicit(datasetStart, 0);
      if (explicitLooking !== enc.explicitVr) {
        const other = explicitLooking ? EXPLICIT_LE : IMPLICIT_LE;
        if (scanDataset(datasetStart, other).valid) {
          info.declaredTransferSyntaxUid = info.transferSyntaxUid;
          info.transferSyntaxUid = uidOf(other, false);
          enc = other;
        }
      }
    }
  }

  // The C-STORE must name the data set's own (0008,0016)/(0008,0018) (the reference takes
  // them from the data set too); they are almost always in the bytes already read, so prefer
  // them when found there, and fall back to the meta's copies.
  if (enc && !deflated && info.sopClassUid && info.sopInstanceUid) {
    const r = scanDataset(head.bytes.subarray(datasetOffset), enc);
    if (r.sopClassUid) info.sopClassUid = r.sopClassUid;
    if (r.sopInstanceUid) info.sopInstanceUid = r.sopInstanceUid;
  }
  if (!info.sopClassUid || !info.sopInstanceUid) {
    if (enc) {
      const found = await datasetUids(head, datasetOffset, enc, deflated);
      info.sopClassUid ||= found.sopClassUid ?? "";
      info.sopInstanceUid ||= found.sopInstanceUid ?? "";
    }
    if (!info.sopClassUid || !info.sopInstanceUid) {
      const which = !info.sopClassUid ? "SOP Class UID" : "SOP Instance UID";
      throw new DicomFileError(path, "missing-uid", `no ${which}`);
    }
  }
  // A UID that isn't one (PS3.5 9.1: digits and dots, at most 64; pynetdicom's default check)
  // is this file's fault: refused here, it can't put a context no peer can read into the
  // association the other files go on.
  checkUid(path, "Transfer Syntax UID", info.transferSyntaxUid);
  checkUid(path, "SOP Class UID", info.sopClassUid);
  checkUid(path, "SOP Instance UID", info.sopInstanceUid);
  return info;
}

/** Throws {@link DicomFileError} "bad-uid" when `uid` isn't a UID. */
function checkUid(path: string, name: string, uid: string): void {
  if (!UID.test(uid)) {
    throw new DicomFileError(path, "bad-uid", `${name} is not a UID: ${JSON.stringify(uid)}`);
  }
}

/** A UID's characters and length (PS3.5 9.1), without the rules on its components. */
const UID = /^[0-9.]{1,64}$/;
