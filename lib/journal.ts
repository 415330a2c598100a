/**
 * The resume journal (`--journal FILE`): one JSON line appended per instance confirmed stored,
 * so that a later run to the same destination sends only what is not there yet.
 *
 * ```text
 * {"journal":"storescu","version":1}
 * {"dest":"ANY-SCP@127.0.0.1:11112","uid":"1.2.3.4","path":"study/ct1.dcm","size":525382,"status":0}
 * ```
 *
 * Crash-safe by construction: each line goes to the file in one `write` (append mode) as soon
 * as its C-STORE-RSP is in, before the next file is accounted, and the file is only ever
 * appended to. A process killed at any moment leaves at most a torn last line, which the next
 * run ignores (and ends with a newline before appending). The kernel holds what was written,
 * so `kill -9` loses nothing; a power cut may lose the last lines, and those files are then
 * sent again (the safe way round).
 *
 * @module
 */

/** The first line of every journal. */
const HEADER = '{"journal":"storescu","version":1}';
const READ_CHUNK = 1 << 20;

/** The journal can't be used (no permission, unreadable, not a journal). */
export class JournalError extends Error {
  /** The journal's path. */
  readonly path: string;
  /**
   * Creates the error.
   * @param path the journal's path
   * @param problem what is wrong, one line
   */
  constructor(path: string, problem: string) {
    super(`journal ${path}: ${problem}`);
    this.name = "JournalError";
    this.path = path;
  }
}

/**
 * What a journal line records of a stored file: the fields it reads of the sender's
 * `FileResult` (declared here so that the journal doesn't depend on the sender).
 */
export interface StoredFile {
  /** The path as given or found. */
  path: string;
  /** SOP Instance UID (a file without one is not recorded). */
  sopInstanceUid?: string;
  /** The file's size in bytes when it was examined. */
  size?: number;
  /** The C-STORE-RSP status. */
  status?: number;
}

/** What the sender needs of a journal. */
export interface Journal {
  /** Where the instances it lists are stored: `calledAeTitle@address:port`. */
  readonly destination: string;
  /** Instances an earlier run confirmed stored at {@link Journal.destination}. */
  readonly size: number;
  /** True when an earlier run confirmed `sopInstanceUid` stored at this destination. */
  has(sopInstanceUid: string): boolean;
  /** Appends a stored file (Success or Warning status) at once. Never throws. */
  confirmed(result: StoredFile): void;
  /** The first write error, if appending failed (later instances are then not recorded). */
  readonly error?: JournalError;
  /** Flushes to disk and closes the file. */
  close(): void;
}

/**
 * The destination as the journal names it: `calledAeTitle@address:port`, as given (a host name
 * and its address are two destinations).
 *
 * @example
 * ```ts
 * import { journalDestination } from "./journal.ts";
 * journalDestination({ address: "pacs", port: 104, calledAeTitle: "ARCHIVE" });
 * // "ARCHIVE@pacs:104"
 * ```
 */
export function journalDestination(
  o: { address: string; port: number; calledAeTitle?: string },
): string {
  return `${o.calledAeTitle ?? "ANY-SCP"}@${o.address}:${o.port}`;
}

async function permitted(name: "read" | "write", path: string): Promise<boolean> {
  return (await Deno.permissions.query({ name, path })).state === "granted";
}

function message(err: unknown): string {
  if (err instanceof Deno.errors.NotFound) return "no such directory";
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.IsADirectory) return "is a directory";
  return err instanceof Error ? err.message : String(err);
}

/**
 * Opens (or creates) the journal at `path` for `destination`: loads the instances it lists as
 * stored there and appends to it from then on. Needs read and write permission for `path`
 * (checked first, never prompted for); throws {@link JournalError} otherwise.
 *
 * @example
 * ```ts ignore
 * import { journalDestination, openJournal } from "./journal.ts";
 * const journal = await openJournal("sent.jsonl", journalDestination({ address: "pacs", port: 104 }));
 * journal.has("1.2.3.4"); // false the first time
 * journal.close();
 * ```
 */
export async function openJournal(path: string, destination: string): Promise<Journal> {
  await requirePermissions(path, "write", "read");
  const file = openRegular(path, { read: true, append: true, create: true })!;
  try {
    const { uids, endsTorn, empty } = load(file, path, destination);
    if (empty) file.truncateSync(0);
    if (empty || endsTorn) writeAllSync(file, encoder.encode(empty ? HEADER + "\n" : "\n"));
    return new FileJournal(file, path, destination, uids);
  } catch (err) {
    file.close();
    throw journalError(path, err);
  }
}

/**
 * Reads the journal at `path` without writing to it (a dry run's view): the instances it lists
 * as stored at `destination`; a journal that doesn't exist yet lists none, and is not created.
 * Needs read permission for `path` only (checked first, never prompted for); throws
 * {@link JournalError} when it can't be read or is not a journal. Its `confirmed` appends
 * nothing.
 *
 * @example
 * ```ts ignore
 * import { journalDestination, readJournal } from "./journal.ts";
 * const journal = await readJournal("sent.jsonl", journalDestination({ address: "pacs", port: 104 }));
 * journal.has("1.2.3.4"); // true when an earlier run stored it there
 * ```
 */
export async function readJournal(path: string, destination: string): Promise<Journal> {
  await requirePermissions(path, "read");
  const file = openRegular(path, { read: true }, true);
  if (!file) return new FileJournal(undefined, path, destination, new Set());
  try {
    return new FileJournal(undefined, path, destination, load(file, path, destination).uids);
  } catch (err) {
    throw journalError(path, err);
  } finally {
    file.close();
  }
}

/** Throws {@link JournalError} unless deno granted each of `names` for `path` (never prompts). */
async function requirePermissions(path: string, ...names: ("read" | "write")[]): Promise<void> {
  for (const name of names) {
    if (!(await permitted(name, path))) {
      throw new JournalError(
        path,
        `no ${name} permission; give deno --allow-${name}=${path} before the script name`,
      );
    }
  }
}

/**
 * Opens `path` as a regular file, or throws {@link JournalError}; with `missingOk`, a path that
 * doesn't exist is `undefined` instead.
 */
function openRegular(
  path: string,
  options: Deno.OpenOptions,
  missingOk = false,
): Deno.FsFile | undefined {
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, options);
  } catch (err) {
    if (missingOk && err instanceof Deno.errors.NotFound) return undefined;
    throw new JournalError(path, message(err));
  }
  if (!file.statSync().isFile) {
    file.close();
    throw new JournalError(path, "not a regular file");
  }
  return file;
}

/** `err` as a {@link JournalError} about `path` (one already is passed on as it is). */
function journalError(path: string, err: unknown): JournalError {
  return err instanceof JournalError ? err : new JournalError(path, message(err));
}

const encoder = new TextEncoder();

function writeAllSync(file: Deno.FsFile, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
}

/** True when `bytes[at..]` starts with `want`. */
function startsWith(bytes: Uint8Array, at: number, end: number, want: Uint8Array): boolean {
  if (end - at < want.length) return false;
  for (let i = 0; i < want.length; i++) if (bytes[at + i] !== want[i]) return false;
  return true;
}

/**
 * Reads the journal: the instances stored at `destination`, whether it ends in a torn line,
 * and whether it is empty (nothing but, at most, a torn header). Works on the bytes: each UID
 * becomes a string of its own (a slice of a decoded chunk would keep the whole chunk alive).
 */
function load(file: Deno.FsFile, path: string, destination: string) {
  const uids = new Set<string>();
  // Our own lines: the UID is read straight after this prefix (UIDs hold digits and dots only).
  const prefix = encoder.encode(`{"dest":${JSON.stringify(destination)},"uid":"`);
  const header = encoder.encode(HEADER);
  let buf = new Uint8Array(READ_CHUNK);
  let have = 0;
  let lineNo = 0;
  const line = (at: number, end: number) => {
    if (lineNo++ === 0) {
      if (end - at !== header.length || !startsWith(buf, at, end, header)) {
        throw new JournalError(path, "not a storescu journal");
      }
      return;
    }
    // Another destination's line, or one torn by a crash while others were appended after it.
    if (!startsWith(buf, at, end, prefix) || buf[end - 1] !== 0x7d) return;
    const from = at + prefix.length;
    const quote = buf.indexOf(0x22, from);
    if (quote > from && quote < end) {
      uids.add(String.fromCharCode.apply(null, buf.subarray(from, quote) as unknown as number[]));
    }
  };
  for (;;) {
    if (have === buf.length) {
      const bigger = new Uint8Array(buf.length * 2); // a line longer than a chunk
      bigger.set(buf);
      buf = bigger;
    }
    const n = file.readSync(buf.subarray(have));
    if (n === null) break;
    const scanFrom = have;
    have += n;
    let start = 0;
    // (Bytes past `have` are stale: a newline found there is not one.)
    for (let nl = buf.indexOf(0x0a, scanFrom); nl !== -1 && nl < have;) {
      line(start, nl);
      start = nl + 1;
      nl = buf.indexOf(0x0a, start);
    }
    buf.copyWithin(0, start, have);
    have -= start;
  }
  // What follows the last newline was being written when a run stopped: ignored. A journal
  // holding only (part of) its header line was cut short while being created: start afresh.
  const empty = lineNo === 0 && startsWith(header, 0, header.length, buf.subarray(0, have));
  if (lineNo === 0 && !empty) throw new JournalError(path, "not a storescu journal");
  return { uids, endsTorn: have > 0, empty };
}

class FileJournal implements Journal {
  readonly destination: string;
  error?: JournalError;
  /** Where stored instances are appended (none: read only). */
  #file: Deno.FsFile | undefined;
  #path: string;
  #uids: Set<string>;
  #prefix: string;

  constructor(
    file: Deno.FsFile | undefined,
    path: string,
    destination: string,
    uids: Set<string>,
  ) {
    this.#file = file;
    this.#path = path;
    this.destination = destination;
    this.#uids = uids;
    this.#prefix = `{"dest":${JSON.stringify(destination)},"uid":`;
  }

  get size(): number {
    return this.#uids.size;
  }

  has(uid: string): boolean {
    return this.#uids.has(uid);
  }

  confirmed(r: StoredFile): void {
    if (!this.#file || this.error || r.sopInstanceUid === undefined) return;
    const line = `${this.#prefix}${JSON.stringify(r.sopInstanceUid)},"path":${
      JSON.stringify(r.path)
    },"size":${r.size ?? null},"status":${r.status ?? null}}\n`;
    try {
      // One write for the whole line (append mode): a crash leaves it whole or torn at the end.
      writeAllSync(this.#file, encoder.encode(line));
    } catch (err) {
      this.error = new JournalError(this.#path, `cannot append: ${message(err)}`);
    }
  }

  close(): void {
    const file = this.#file;
    if (!file) return;
    this.#file = undefined;
    try {
      file.syncDataSync();
    } catch {
      // best effort: what was written is with the kernel already
    }
    file.close();
  }
}
