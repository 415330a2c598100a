/**
 * The sender's public shapes: options, per-file results, the event stream and the report.
 *
 * @module
 */

import type { Association, AssociationListener, Timeouts } from "../association.ts";
import type { ConnectOptions } from "../connect.ts";
import type { Transport } from "../transport.ts";
import type { TlsClientOptions } from "../tls/options.ts";
import type { UserIdentityRequest } from "../user_identity.ts";
import type { AssociationPlan } from "../plan.ts";
import type { DicomFileInfo, Transcoding } from "../part10/types.ts";
import type { CStoreRQ, CStoreRSP } from "../dimse/messages.ts";
import { UNCOMPRESSED_TRANSFER_SYNTAXES } from "../uids.ts";

/**
 * How a file's run ended: stored (`success`, `warning`), not stored (`failure`: sent, or part
 * sent, and refused or never confirmed; `not-sent`: never sent), or `skipped`: left out on
 * purpose and not a failure: a DICOMDIR (a media directory rather than an instance to store), or
 * an instance already stored at this destination by an earlier run, as its resume journal says
 * (`journal` option).
 */
export type Outcome = "success" | "warning" | "failure" | "not-sent" | "skipped";

/** The account of one input file. */
export interface FileResult {
  /** The path as given or found. */
  path: string;
  /** How it ended. */
  outcome: Outcome;
  /** The C-STORE-RSP status, when one came. */
  status?: number;
  /** Why the file was not stored, or what the warning was. */
  reason?: string;
  /** SOP Class UID. */
  sopClassUid?: string;
  /** SOP Instance UID. */
  sopInstanceUid?: string;
  /** The file's own transfer syntax. */
  transferSyntaxUid?: string;
  /** The transfer syntax the data set was sent in. */
  sentTransferSyntaxUid?: string;
  /** Set when the Pixel Data was decoded (sent uncompressed) or encoded on the way. */
  transcoded?: "decoded" | "encoded";
  /** Presentation context id used. */
  contextId?: number;
  /** Data set bytes sent. */
  bytes?: number;
  /** The file's size in bytes when it was examined. */
  size?: number;
  /** Milliseconds from the C-STORE-RQ to its response. */
  ms?: number;
  /** How many times it was sent or tried (1 unless retried). */
  attempts?: number;
  /**
   * The failure may go away by itself (connection refused or reset, transient rejection,
   * 0xA7xx out of resources, association aborted or timed out): `--retry` re-sends these.
   */
  transient?: boolean;
}

/**
 * Progress and log-worthy happenings, in order. `lib/log.ts` turns them into text.
 *
 * Two kinds are not held back for the file order: `file-progress` (a big file's data set going
 * out, at most every 100 ms per file), and the `file-done` of a `skipped` file (decided when
 * the file is examined, ahead of its turn).
 */
export type StoreEvent =
  | {
    type: "totals";
    /** Files found (unusable paths not counted). */
    files: number;
    /** Their bytes, when known: with `totalBytes`, or with `requiredContexts` (read up front). */
    bytes?: number;
  }
  | {
    type: "file-progress";
    path: string;
    /** Data set bytes read so far. */
    bytes: number;
    /** The data set's length in the file (a converted one may come out longer or shorter). */
    total: number;
  }
  | { type: "interrupted"; force: boolean }
  | { type: "journal-loaded"; path: string; destination: string; instances: number }
  | { type: "journal-error"; error: Error }
  /** Codec threads started (frames had taken long enough on the main thread). */
  | { type: "codec-threads-started"; threads: number }
  | { type: "bad-path"; path: string; reason: string }
  | { type: "skipped-directory"; path: string }
  | { type: "bad-file"; path: string; reason: string; code?: string; phase: "scan" | "send" }
  /** Nothing can be sent; `reason` says why when no file at all was a candidate. */
  | { type: "no-files"; reason?: string }
  /** A DICOMDIR read for the files it references (`dicomdir` option). */
  | { type: "dicomdir-read"; path: string; files: number; error?: string }
  /** A non-DICOM file left out of the account (`ignoreNonDicom` option). */
  | { type: "file-ignored"; path: string; reason: string }
  | { type: "association-requesting"; plan: AssociationPlan<DicomFileInfo> }
  | { type: "association-accepted"; association: Association }
  | { type: "association-failed"; error: Error }
  | { type: "file-sending"; path: string }
  | {
    type: "no-context";
    path: string;
    sopClassUid: string;
    transferSyntaxUid: string;
    accepted: string[];
  }
  | {
    type: "store-request";
    path: string;
    request: CStoreRQ;
    contextId: number;
    transferSyntaxUid: string;
    fileTransferSyntaxUid: string;
    converted: boolean;
    /** Set when the Pixel Data is decoded or encoded: how, and by which codec. */
    transcoding?: Transcoding;
    /** Why the `--compress` syntax the peer accepted wasn't used (the codec refused the image). */
    notEncoded?: string;
  }
  | { type: "store-response"; path: string; response: CStoreRSP }
  | { type: "store-error"; path: string; error: Error }
  | { type: "association-releasing" }
  | { type: "gave-up"; error: GaveUpError }
  | { type: "retrying"; files: number; attempt: number; delay: number }
  | { type: "file-retry"; path: string; reason: string }
  | { type: "file-done"; result: FileResult };

/** What {@link storeFiles} needs. Only `address`, `port` and `paths` are required. */
export interface StoreOptions {
  /** Peer host name or IP address. */
  address: string;
  /** Peer TCP port. */
  port: number;
  /** Files and directories, as on the command line. */
  paths: string[];
  /** Descend into subdirectories. */
  recurse?: boolean;
  /**
   * Wildcard patterns (`*`, `?`, `[...]`): a file found in a directory is taken only when its
   * base name matches one of them; files named in `paths` are always taken. Default: all.
   */
  patterns?: string[];
  /**
   * Send the files each DICOMDIR references (like dcmsend `+rd`); every input file is checked
   * for being a DICOMDIR first. Either way a DICOMDIR itself is never sent (outcome `skipped`).
   */
  dicomdir?: boolean;
  /** Leave files that are not DICOM at all out of the account instead of counting them. */
  ignoreNonDicom?: boolean;
  /** Default `STORESCU`. */
  callingAeTitle?: string;
  /** Default `ANY-SCP`. */
  calledAeTitle?: string;
  /** Seconds; each defaults to 30. `null` waits for ever. */
  timeouts?: Partial<Timeouts>;
  /** Our Maximum Length Received; default 16382; 0 = unlimited. */
  maxPduLength?: number;
  /** `-cx`: propose only the (SOP class, TS) pairs of the files. */
  requiredContexts?: boolean;
  /** Transfer syntaxes of the default proposal (default: Explicit LE, Implicit LE, Deflated, BE). */
  transferSyntaxes?: string[];
  /**
   * Which compressed files may be sent decoded when the peer refuses their syntax: "never",
   * "lossless" (default: files whose syntax is lossless) or "lossy" (any).
   */
  decompress?: "never" | "lossless" | "lossy";
  /**
   * Encode uncompressed files (losslessly) to this syntax when the peer accepts it: "rle",
   * "jpeg-ls", "j2k" or "htj2k" (default: none).
   */
  compress?: "rle" | "jpeg-ls" | "j2k" | "htj2k";
  /**
   * Threads (Web Workers) that decode compressed frames (and encode them, with `compress`)
   * while the main thread sends; 0 does it all on the main thread. Default: the machine's
   * cores, at most 4 (0 on a single core). Started once frames have taken
   * {@link StoreOptions.codecThreadsStartAfterMs} on the main thread; stopped when the run ends.
   */
  codecThreads?: number;
  /**
   * Milliseconds of decoding (or encoding) on the main thread before the codec threads start
   * (default 150: about what starting them costs, so a run with little to do never starts any).
   */
  codecThreadsStartAfterMs?: number;
  /** C-STORE priority (default 2, low, like the reference). */
  priority?: number;
  /** Associations opened in parallel for each plan (default 1). */
  parallel?: number;
  /**
   * Propose an asynchronous operations window of this many outstanding C-STOREs; used up to
   * what the peer accepts (default 1: none proposed, one at a time).
   */
  asyncWindow?: number;
  /** Re-send files whose failure was transient this many more times (default 0). */
  retries?: number;
  /** First retry delay in seconds, doubled for each further attempt (default 1). */
  retryDelay?: number;
  /** Progress events. */
  onEvent?: (event: StoreEvent) => void;
  /**
   * Stops the run: no more files are taken; the C-STOREs in flight finish (their responses are
   * awaited, bounded by the DIMSE timeout) and the association is released; an association
   * being requested is given up. Every file not sent ends `not-sent` with reason
   * "interrupted", and the report has `interrupted: true`.
   */
  signal?: AbortSignal;
  /**
   * Also aborts what is in flight (A-ABORT): a file whose response never came ends `failure`,
   * "storage not confirmed". The CLI aborts `signal` on the first Ctrl-C and this on the second.
   */
  forceSignal?: AbortSignal;
  /**
   * Stat every file up front so that the `totals` event carries the exact byte count (one
   * `stat` per file: 10–20 µs each in Deno, a few % of sending small files; off by default).
   */
  totalBytes?: boolean;
  /**
   * Emit `file-progress` events while the data set of a file of 1 MiB or more goes out (counted
   * in the file reader, at most one event every 100 ms per file). Off by default.
   */
  byteProgress?: boolean;
  /**
   * A resume journal file (`lib/journal.ts`): each instance confirmed stored is appended
   * (destination, SOP Instance UID, path, size, status) at once; instances the journal already
   * lists for this destination (`calledAeTitle@address:port`) are not sent again but end
   * `skipped`. Needs read and write permission for that file only; {@link storeFiles} throws a
   * `JournalError` before sending anything when it can't be used.
   */
  journal?: string;
  /** Every association's PDU/DIMSE events (the `-d` dumps). */
  associationListener?: AssociationListener;
  /**
   * DICOM over TLS (1.2 or 1.3): trusted CAs, our certificate for mutual TLS, the name to
   * verify. PEM files are read once per run, with read permission only.
   */
  tls?: TlsClientOptions;
  /** A user identity (PS3.7 D.3.3.7) sent in every association request. */
  userIdentity?: UserIdentityRequest;
  /** Opens the byte pipe (default: `connect()` of the transport: TCP, or TLS when `tls` is set). */
  connect?: (options: ConnectOptions) => Promise<Transport>;
}

/** The whole run's account. */
export interface StoreReport {
  /** One per input: unusable paths first, then every file in sorted path order. */
  results: FileResult[];
  /** Results per outcome. */
  counts: Record<Outcome, number>;
  /** Associations established. */
  associations: number;
  /** True when at least one association was wanted and none could be established. */
  noAssociation: boolean;
  /** Non-DICOM files left out of the account (`ignoreNonDicom`). */
  ignored: number;
  /**
   * Set when the run had nothing at all to send and nothing failed: why (no file found, only
   * subdirectories without `recurse`, no name matching `patterns`, only DICOMDIRs...).
   */
  nothingToSend?: string;
  /** True when `signal` stopped the run before it was done. */
  interrupted: boolean;
}

/** The default proposal order: Explicit LE, Implicit LE, Deflated Explicit LE, Explicit BE. */
export const DEFAULT_TRANSFER_SYNTAXES: readonly string[] = UNCOMPRESSED_TRANSFER_SYNTAXES;

/**
 * The peer ended several associations in a row (aborted, closed, timed out) without storing
 * anything: the run stops asking it instead of opening one association per file.
 */
export class GaveUpError extends Error {
  /** Associations in a row that stored nothing. */
  readonly associations: number;
  /**
   * Creates the error.
   * @param associations how many associations in a row stored nothing
   */
  constructor(associations: number) {
    super(
      `Giving up on this peer: it ended ${associations} associations in a row ` +
        `without storing a file`,
    );
    this.name = "GaveUpError";
    this.associations = associations;
  }
}

/** The peer accepted the association but none of its presentation contexts. */
export class NoAcceptedContextsError extends Error {
  /** Creates the error. */
  constructor() {
    super("No accepted presentation contexts");
    this.name = "NoAcceptedContextsError";
  }
}
