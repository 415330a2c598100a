/**
 * Text output: a levelled logger (`E: `, `W: `, `I: `, `D: ` prefixes, like the reference
 * tool), and the handlers that turn {@link StoreEvent}s and {@link AssociationEvent}s into
 * the reference tool's log lines and `-d` dumps.
 *
 * @module
 */

import type { AssociationEvent } from "./association.ts";
import {
  AssociationAbortedError,
  AssociationRejectedError,
  ConnectionClosedError,
} from "./association.ts";
import { ConnectError } from "./transport.ts";
import type { StoreEvent } from "./send.ts";
import { InterruptedError, NoAcceptedContextsError } from "./send.ts";
import { type AssociateRQ, PduType } from "./pdu/types.ts";
import { dumpAbort, dumpAssociateAC, dumpAssociateRJ, dumpAssociateRQ } from "./pdu/dump.ts";
import { rejectReasonText, rejectResultText, rejectSourceText } from "./pdu/words.ts";
import { dumpDimse } from "./dimse/dump.ts";
import { hexStatus, statusCategory } from "./dimse/status.ts";
import { uidNameOrUid } from "./uids.ts";

/** Log levels, most verbose first. */
export type Level = "debug" | "info" | "warn" | "error" | "critical";

const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40, critical: 50 };
const LETTER: Record<Level, string> = {
  debug: "D",
  info: "I",
  warn: "W",
  error: "E",
  critical: "C",
};

/** Writes `L: message` lines at or above a threshold; `quiet` writes nothing. */
export class Logger {
  #threshold: number;
  #write: (line: string) => void;

  /**
   * Creates it.
   * @param level the least severe level shown, or "quiet"
   * @param write where each line goes (without a trailing newline)
   */
  constructor(level: Level | "quiet", write: (line: string) => void) {
    this.#threshold = level === "quiet" ? Infinity : RANK[level];
    this.#write = write;
  }

  /** True when lines at `level` are shown. */
  enabled(level: Level): boolean {
    return RANK[level] >= this.#threshold;
  }

  /** Logs one line at `level`. */
  log(level: Level, message: string): void {
    if (RANK[level] >= this.#threshold) this.#write(`${LETTER[level]}: ${message}`);
  }

  /** Logs a DEBUG line. */
  debug(message: string): void {
    this.log("debug", message);
  }
  /** Logs an INFO line. */
  info(message: string): void {
    this.log("info", message);
  }
  /** Logs a WARNING line. */
  warn(message: string): void {
    this.log("warn", message);
  }
  /** Logs an ERROR line. */
  error(message: string): void {
    this.log("error", message);
  }
}

/**
 * A stderr line writer that batches lines into few writes (synchronous, so nothing is lost
 * at exit).
 *
 * @example
 * ```ts
 * import { Logger, stderrWriter } from "jsr:@x/storescu/log";
 * const log = new Logger("error", stderrWriter());
 * log.info("hidden at the default level");
 * ```
 */
export function stderrWriter(): (line: string) => void {
  const enc = new TextEncoder();
  return (line: string) => {
    const bytes = enc.encode(line + "\n");
    let off = 0;
    while (off < bytes.length) off += Deno.stderr.writeSync(bytes.subarray(off));
  };
}

/**
 * Returns a handler for association events that writes the reference tool's `-d` dumps
 * (A-ASSOCIATE-RQ/AC/RJ, A-ABORT, DIMSE messages) and its abort messages.
 *
 * C-STORE-RSP dumps are held back until {@link LogHandlers.onStoreEvent} has written the
 * "Received Store Response" line, to keep the reference's order.
 */
export class LogHandlers {
  #log: Logger;
  #heldDump: string[] | undefined;
  /** "Sending file:" waits for the file's next event, to say how it was transcoded. */
  #sending: string | undefined;
  #lastRequest?: AssociateRQ;
  #reported = new WeakSet<Error>();

  /**
   * Creates the handlers.
   * @param log where lines go
   */
  constructor(log: Logger) {
    this.#log = log;
  }

  #debugLines(lines: string[]): void {
    for (const l of lines) this.#log.debug(l);
  }

  #flushHeld(): void {
    this.#flushSending();
    if (this.#heldDump) this.#debugLines(this.#heldDump);
    this.#heldDump = undefined;
  }

  #flushSending(how = ""): void {
    if (this.#sending !== undefined) this.#log.info(`Sending file: ${this.#sending}${how}`);
    this.#sending = undefined;
  }

  /** Handles one association event. */
  onAssociationEvent = (e: AssociationEvent): void => {
    switch (e.type) {
      case "pdu-sent":
      case "pdu-received": {
        const dir = e.type === "pdu-sent" ? "outgoing" : "incoming";
        if (!this.#log.enabled("debug") && e.pdu.type !== PduType.Abort) return;
        switch (e.pdu.type) {
          case PduType.AssociateRQ:
            this.#lastRequest = e.pdu;
            this.#debugLines(dumpAssociateRQ(e.pdu, dir));
            break;
          case PduType.AssociateAC:
            this.#debugLines(
              dumpAssociateAC(e.pdu, this.#lastRequest?.presentationContexts ?? [], dir),
            );
            break;
          case PduType.AssociateRJ:
            this.#debugLines(dumpAssociateRJ(e.pdu, dir));
            break;
          case PduType.Abort:
            this.#debugLines(dumpAbort(e.pdu, dir));
            break;
        }
        return;
      }
      case "aborting":
        this.#flushHeld();
        // A forced stop was announced by whoever forced it.
        if (e.error && !this.#reported.has(e.error) && !(e.error instanceof InterruptedError)) {
          this.#reported.add(e.error);
          this.#log.error(e.error.message);
        }
        this.#log.info("Aborting Association");
        return;
      case "dimse-sent":
        if (this.#log.enabled("debug")) {
          this.#debugLines(dumpDimse(e.command, "outgoing", e.contextId, e.hasDataSet));
        }
        return;
      case "dimse-received":
        if (!this.#log.enabled("debug")) return;
        if (e.command.kind === "C-STORE-RSP") {
          this.#flushHeld();
          this.#heldDump = dumpDimse(e.command, "incoming", e.contextId, e.hasDataSet);
        } else {
          this.#debugLines(dumpDimse(e.command, "incoming", e.contextId, e.hasDataSet));
        }
        return;
      case "data-sent":
        return;
    }
  };

  /** Handles one store event with the reference tool's wording. */
  onStoreEvent = (e: StoreEvent): void => {
    const log = this.#log;
    // Codec threads may start while a file is opened: not the file's own event.
    if (e.type !== "store-request" && e.type !== "codec-threads-started") this.#flushSending();
    switch (e.type) {
      case "bad-path":
        log.error(`Cannot access path: ${e.path}`);
        // Our addition: like every file not stored, its own line with the reason.
        log.error(`Not sent: ${e.path}: Cannot access path: ${e.reason}`);
        return;
      case "bad-file":
        // One line per file: its "Not sent: ... Bad DICOM file: <why>" line says it all.
        return;
      case "file-ignored":
        log.info(`Ignored (not DICOM): ${e.path}`);
        return;
      case "dicomdir-read":
        if (e.error === undefined) {
          log.info(
            `Read DICOMDIR: ${e.path}: ${e.files} referenced file${e.files === 1 ? "" : "s"}`,
          );
        }
        return;
      case "skipped-directory":
        log.warn(`Not descending into directory without -r: ${e.path}`);
        return;
      case "no-files":
        if (e.reason !== undefined) log.error(`No files to send: ${e.reason}`);
        else log.warn("No suitable DICOM files found");
        return;
      case "association-requesting":
        log.info("Requesting Association");
        return;
      case "association-accepted":
        log.info("Association Accepted");
        return;
      case "association-failed": {
        const err = e.error;
        if (this.#reported.has(err)) return;
        this.#reported.add(err);
        if (err instanceof ConnectError) {
          log.error("Association request failed: unable to connect to remote");
          log.error(`TCP Initialisation Error: ${err.message}`);
        } else if (err instanceof AssociationRejectedError) {
          const rj = err.reject;
          log.error("Association Rejected");
          log.error(
            `Result: ${rejectResultText(rj.result)}, Source: ${rejectSourceText(rj.source)}`,
          );
          log.error(`Reason: ${rejectReasonText(rj.source, rj.reason)}`);
        } else if (err instanceof AssociationAbortedError) {
          log.error("Association Aborted");
        } else if (err instanceof NoAcceptedContextsError) {
          log.error("No accepted presentation contexts");
        } else {
          log.error(err.message);
        }
        return;
      }
      case "file-sending":
        if (log.enabled("info")) this.#sending = e.path;
        return;
      case "no-context":
        log.error(
          `No presentation context for '${uidNameOrUid(e.sopClassUid)}' has been accepted by ` +
            `the peer with '${uidNameOrUid(e.transferSyntaxUid)}' transfer syntax for the SCU role`,
        );
        return;
      case "store-request": {
        const cls = e.request.affectedSopClassUid;
        const suffix = cls === "1.2.840.10008.5.1.4.1.1.2"
          ? ", (CT)"
          : cls === "1.2.840.10008.5.1.4.1.1.4"
          ? ", (MR)"
          : "";
        const t = e.transcoding;
        this.#flushSending(
          t
            ? ` (${t.direction}: ${uidNameOrUid(e.fileTransferSyntaxUid)} → ${
              uidNameOrUid(e.transferSyntaxUid)
            })`
            : "",
        );
        if (e.notEncoded) {
          log.warn(
            `Not encoded: ${e.path}: ${e.notEncoded}; sent as ${uidNameOrUid(e.transferSyntaxUid)}`,
          );
        }
        log.info(`Sending Store Request: MsgID ${e.request.messageId}${suffix}`);
        if (log.enabled("debug")) {
          log.debug(
            `Presentation context ${e.contextId} (${uidNameOrUid(e.transferSyntaxUid)}): ` +
              (t
                ? `Pixel Data ${t.direction} from ${
                  uidNameOrUid(e.fileTransferSyntaxUid)
                } by ${t.codec}${t.threads ? ` (codec threads: up to ${t.threads})` : ""}`
                : e.converted
                ? `data set converted from ${uidNameOrUid(e.fileTransferSyntaxUid)}`
                : "file's data set sent unchanged"),
          );
        }
        return;
      }
      case "store-response": {
        const r = e.response;
        const cat = r.affectedSopClassUid === undefined ? "Unknown" : statusCategory(r.status);
        log.info(`Received Store Response (Status: ${hexStatus(r.status)} - ${cat})`);
        this.#flushHeld();
        return;
      }
      case "store-error": {
        this.#flushHeld();
        const err = e.error;
        if (this.#reported.has(err) || err instanceof InterruptedError) return;
        this.#reported.add(err);
        // The reference's wording: a peer abort is INFO only; a dropped connection has its own
        // line; anything else says what it is.
        if (err instanceof AssociationAbortedError) log.info("Association Aborted");
        else if (err instanceof ConnectionClosedError) {
          log.error("Connection closed while waiting for DIMSE message");
        } else log.error(err.message);
        return;
      }
      case "gave-up":
        log.error(e.error.message);
        return;
      case "association-releasing":
        log.info("Releasing Association");
        return;
      case "file-retry":
        log.warn(`Will retry: ${e.path}: ${e.reason}`);
        return;
      case "retrying":
        log.warn(
          `Retrying ${e.files} file${e.files === 1 ? "" : "s"} in ${e.delay} s ` +
            `(attempt ${e.attempt})`,
        );
        return;
      case "file-done": {
        const r = e.result;
        if (r.outcome === "failure") log.error(`Store failed: ${r.path}: ${r.reason}`);
        else if (r.outcome === "not-sent") {
          // Files a stopped run never got to: counted in the summary, named with -v.
          log.log(
            r.reason === "interrupted" ? "info" : "error",
            `Not sent: ${r.path}: ${r.reason}`,
          );
        } else if (r.outcome === "warning") {
          log.warn(`Stored with warning: ${r.path}: ${r.reason}`);
        } else if (r.outcome === "skipped") {
          // Skipped as stored by an earlier run (the journal; maybe millions): named with -v.
          const journal = r.reason?.startsWith("already stored at ");
          log.log(journal ? "info" : "warn", `Skipped: ${r.path}: ${r.reason}`);
        }
        return;
      }
      case "journal-loaded":
        log.info(
          `Journal ${e.path}: ${e.instances} instance${e.instances === 1 ? "" : "s"} ` +
            `already stored at ${e.destination}`,
        );
        return;
      case "journal-error":
        log.error(`${e.error.message}; files stored from now on are not recorded`);
        return;
      case "codec-threads-started":
        log.debug(`Codec threads started: ${e.threads}`);
        return;
      case "totals":
      case "file-progress":
      case "interrupted":
        return;
    }
  };
}
