/**
 * The high-level sender: files → plan → associations → one result per file.
 *
 * {@link storeFiles} never throws for network or input problems: every file ends in exactly
 * one {@link FileResult} and the caller gets a typed event stream to show progress.
 *
 * @module
 */

import {
  Association,
  AssociationAbortedError,
  type AssociationListener,
  AssociationRejectedError,
  AssociationReleasedError,
  AssociationTimeoutError,
  ConnectionClosedError,
  ProtocolError,
  type Timeouts,
} from "./association.ts";
import { buildAssociateRQ } from "./acse.ts";
import type { AssociateRJ } from "./pdu/types.ts";
import { ConnectError, type ConnectOptions, connectTcp, type Transport } from "./transport.ts";
import { findFiles } from "./files.ts";
import { type AssociationPlan, chooseContext, planAssociations } from "./plan.ts";
import { readDicomFileInfo } from "./part10/file.ts";
import { openDataset } from "./part10/source.ts";
import type { DicomFileInfo } from "./part10/types.ts";
import { type CStoreRQ, type CStoreRSP, encodeCommand, Priority } from "./dimse/messages.ts";
import { hexStatus, statusMeaning, storeStatusCategory } from "./dimse/status.ts";
import { uidNameOrUid, UNCOMPRESSED_TRANSFER_SYNTAXES } from "./uids.ts";

/** How a file's run ended. */
export type Outcome = "success" | "warning" | "failure" | "not-sent";

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
  /** Presentation context id. */
  contextId?: number;
  /** Data set bytes sent. */
  bytes?: number;
  /** Milliseconds from the C-STORE-RQ to its response. */
  ms?: number;
}

/** Progress and log-worthy happenings, in order. `lib/log.ts` turns them into text. */
export type StoreEvent =
  | { type: "bad-path"; path: string; reason: string }
  | { type: "bad-file"; path: string; reason: string; code?: string; phase: "scan" | "send" }
  | { type: "no-files" }
  | { type: "association-requesting"; index: number; plan: AssociationPlan<DicomFileInfo> }
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
  }
  | { type: "store-response"; path: string; response: CStoreRSP }
  | { type: "store-error"; path: string; error: Error }
  | { type: "association-aborting" }
  | { type: "association-releasing" }
  | { type: "file-done"; result: FileResult };

/** What {@link storeFiles} needs. Only `address`, `port` and `paths` are required. */
export interface StoreOptions {
  /** Peer host name or IP address. */
  address: string;
  /** TCP port. */
  port: number;
  /** Files and directories, as on the command line. */
  paths: string[];
  /** Descend into subdirectories. */
  recurse?: boolean;
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
  /** C-STORE priority (default 2, low, like the reference). */
  priority?: number;
  /** Progress events. */
  onEvent?: (event: StoreEvent) => void;
  /** Every association's PDU/DIMSE events (the `-d` dumps). */
  associationListener?: AssociationListener;
  /** Opens the byte pipe (default: TCP). */
  connect?: (options: ConnectOptions) => Promise<Transport>;
}

/** The whole run's account. */
export interface StoreReport {
  /** One per input: unusable paths first, then every file in sorted path order. */
  results: FileResult[];
  /** Files per outcome. */
  counts: Record<Outcome, number>;
  /** Associations established. */
  associations: number;
  /** True when at least one association was wanted and none could be established. */
  noAssociation: boolean;
}

/** The default proposal order: Explicit LE, Implicit LE, Deflated Explicit LE, Explicit BE. */
export const DEFAULT_TRANSFER_SYNTAXES: readonly string[] = UNCOMPRESSED_TRANSFER_SYNTAXES;

type Scanned =
  | { ok: true; path: string; info: DicomFileInfo }
  | { ok: false; path: string; reason: string };

function describeRejection(rj: AssociateRJ): string {
  return `association rejected (result ${rj.result}, source ${rj.source}, reason ${rj.reason})`;
}

function notSentReason(err: Error): string {
  if (err instanceof ConnectError) return `unable to connect to remote: ${err.message}`;
  if (err instanceof AssociationRejectedError) return describeRejection(err.reject);
  if (err instanceof AssociationTimeoutError) return err.message;
  if (err instanceof AssociationAbortedError) return "association aborted";
  if (err instanceof AssociationReleasedError) return "association released by the peer";
  if (err instanceof ConnectionClosedError) return "connection closed";
  return err.message;
}

/**
 * Sends every DICOM file found under `options.paths` to the peer and returns one result per
 * file. Never throws for network or input errors.
 *
 * @example
 * ```ts ignore
 * import { storeFiles } from "./send.ts";
 * const report = await storeFiles({ address: "127.0.0.1", port: 11112, paths: ["testdata"] });
 * console.log(report.counts); // { success: 5, warning: 0, failure: 0, "not-sent": 0 }
 * ```
 */
export async function storeFiles(options: StoreOptions): Promise<StoreReport> {
  const emit = options.onEvent ?? (() => {});
  const timeouts: Timeouts = {
    acse: options.timeouts?.acse === undefined ? 30 : options.timeouts.acse,
    dimse: options.timeouts?.dimse === undefined ? 30 : options.timeouts.dimse,
    network: options.timeouts?.network === undefined ? 30 : options.timeouts.network,
  };
  const found = await findFiles(options.paths, options.recurse ?? false);
  for (const b of found.bad) emit({ type: "bad-path", path: b.path, reason: b.reason });

  const results = new Map<string, FileResult>();
  const finish = (r: FileResult) => {
    results.set(r.path, r);
    emit({ type: "file-done", result: r });
  };

  // Learn each file's SOP class, instance and transfer syntax from its first bytes.
  const scanned: Scanned[] = [];
  for (const path of found.files) {
    try {
      scanned.push({ ok: true, path, info: await readDicomFileInfo(path) });
    } catch (err) {
      scanned.push({ ok: false, path, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  const good = scanned.filter((s): s is Extract<Scanned, { ok: true }> => s.ok).map((s) => s.info);
  const plans = planAssociations(good, {
    requiredContexts: options.requiredContexts ?? false,
    transferSyntaxes: options.transferSyntaxes ?? DEFAULT_TRANSFER_SYNTAXES,
  });

  // Bad files: with -cx (or when nothing can be sent) they are reported before any
  // association, as the reference does; otherwise at their place in the send order.
  const reportBadAtScan = (options.requiredContexts ?? false) || plans.length === 0;
  const badAtSend = new Map<string, string>();
  for (const s of scanned) {
    if (s.ok) continue;
    if (reportBadAtScan) {
      emit({ type: "bad-file", path: s.path, reason: s.reason, phase: "scan" });
      finish({ path: s.path, outcome: "not-sent", reason: `Bad DICOM file: ${s.reason}` });
    } else {
      badAtSend.set(s.path, s.reason);
    }
  }
  if (good.length === 0) emit({ type: "no-files" });

  let associations = 0;
  let wanted = 0;
  let messageId = 1;
  let fatal: Error | undefined;
  const priority = options.priority ?? Priority.Low;

  for (let i = 0; i < plans.length; i++) {
    const plan = plans[i];
    // In default mode the first association also walks the bad files, in sorted order.
    const order: (DicomFileInfo | { bad: string; path: string })[] = [...plan.files];
    if (i === 0 && badAtSend.size > 0) {
      for (const [path, bad] of badAtSend) order.push({ bad, path });
      order.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    }
    const notSent = (reason: string) => {
      for (const f of order) {
        if ("bad" in f) {
          finish({ path: f.path, outcome: "not-sent", reason: `Bad DICOM file: ${f.bad}` });
        } else if (!results.has(f.path)) {
          finish({
            path: f.path,
            outcome: "not-sent",
            reason,
            sopClassUid: f.sopClassUid,
            sopInstanceUid: f.sopInstanceUid,
            transferSyntaxUid: f.transferSyntaxUid,
          });
        }
      }
    };
    if (fatal) {
      notSent(notSentReason(fatal));
      continue;
    }
    wanted++;
    emit({ type: "association-requesting", index: i, plan });
    let assoc: Association;
    try {
      const connect = options.connect ?? connectTcp;
      const transport = await connect({
        hostname: options.address,
        port: options.port,
        timeoutSeconds: timeouts.network,
      });
      const rq = buildAssociateRQ({
        callingAeTitle: options.callingAeTitle ?? "STORESCU",
        calledAeTitle: options.calledAeTitle ?? "ANY-SCP",
        presentationContexts: plan.contexts,
        maxPduLength: options.maxPduLength ?? 16382,
      });
      assoc = await Association.request(transport, rq, {
        timeouts,
        maxPduLength: options.maxPduLength ?? 16382,
        listener: options.associationListener,
      });
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      emit({ type: "association-failed", error: e });
      fatal = e;
      notSent(notSentReason(e));
      continue;
    }
    if (assoc.contexts.size === 0) {
      emit({ type: "association-failed", error: new NoAcceptedContextsError() });
      await assoc.abort();
      notSent("no accepted presentation contexts");
      continue;
    }
    associations++;
    emit({ type: "association-accepted", association: assoc });

    for (const f of order) {
      emit({ type: "file-sending", path: f.path });
      if ("bad" in f) {
        emit({ type: "bad-file", path: f.path, reason: f.bad, phase: "send" });
        finish({ path: f.path, outcome: "not-sent", reason: `Bad DICOM file: ${f.bad}` });
        continue;
      }
      const base: FileResult = {
        path: f.path,
        outcome: "not-sent",
        sopClassUid: f.sopClassUid,
        sopInstanceUid: f.sopInstanceUid,
        transferSyntaxUid: f.transferSyntaxUid,
      };
      if (!assoc.isEstablished) {
        finish({ ...base, reason: `association ended before sending (${lastError(assoc)})` });
        continue;
      }
      const choice = chooseContext(f, assoc.contexts.values());
      if (!choice) {
        const accepted = [...assoc.contexts.values()]
          .filter((c) => c.abstractSyntax === f.sopClassUid)
          .map((c) => c.transferSyntax);
        emit({
          type: "no-context",
          path: f.path,
          sopClassUid: f.sopClassUid,
          transferSyntaxUid: f.transferSyntaxUid,
          accepted,
        });
        const what = accepted.length === 0
          ? `the peer accepted no context for ${uidNameOrUid(f.sopClassUid)}`
          : `the peer accepted ${uidNameOrUid(f.sopClassUid)} only with ${
            accepted.map(uidNameOrUid).join(", ")
          }`;
        finish({
          ...base,
          reason: `no accepted presentation context for its transfer syntax ${
            uidNameOrUid(f.transferSyntaxUid)
          } (${what})`,
        });
        continue;
      }
      const ctx = choice.context;
      let source;
      try {
        source = await openDataset(f, ctx.transferSyntax);
      } catch (err) {
        finish({ ...base, reason: `cannot read: ${err instanceof Error ? err.message : err}` });
        continue;
      }
      const rq: CStoreRQ = {
        kind: "C-STORE-RQ",
        messageId: messageId,
        affectedSopClassUid: f.sopClassUid,
        affectedSopInstanceUid: f.sopInstanceUid,
        priority,
      };
      const sentInfo = {
        ...base,
        sentTransferSyntaxUid: ctx.transferSyntax,
        contextId: ctx.id,
      };
      emit({
        type: "store-request",
        path: f.path,
        request: rq,
        contextId: ctx.id,
        transferSyntaxUid: ctx.transferSyntax,
        fileTransferSyntaxUid: f.transferSyntaxUid,
        converted: choice.convert,
      });
      const started = performance.now();
      let bytes = 0;
      let dataSent = false;
      try {
        bytes = await assoc.sendMessage(ctx.id, encodeCommand(rq, true), rq, source);
        dataSent = true;
        messageId = (messageId + 1) & 0xffff || 1;
        const rsp = await assoc.receiveMessage();
        const ms = Math.round(performance.now() - started);
        if (
          rsp.command.kind !== "C-STORE-RSP" ||
          rsp.command.messageIdBeingRespondedTo !== rq.messageId ||
          (rsp.command.affectedSopInstanceUid !== undefined &&
            rsp.command.affectedSopInstanceUid !== rq.affectedSopInstanceUid)
        ) {
          const err = new ProtocolError("Received an invalid C-STORE-RSP response from the peer");
          await assoc.abort(err);
          finish({
            ...sentInfo,
            outcome: "failure",
            bytes,
            ms,
            reason: "invalid C-STORE-RSP (wrong message or instance); storage not confirmed",
          });
          continue;
        }
        const response = rsp.command;
        emit({ type: "store-response", path: f.path, response });
        const category = storeStatusCategory(response.status);
        const statusText = `${hexStatus(response.status)} - ${statusMeaning(response.status)}`;
        const comment = response.errorComment ? `: ${response.errorComment}` : "";
        if (category === "Success") {
          finish({ ...sentInfo, outcome: "success", status: response.status, bytes, ms });
        } else if (category === "Warning") {
          finish({
            ...sentInfo,
            outcome: "warning",
            status: response.status,
            bytes,
            ms,
            reason: `Warning status ${statusText}${comment}`,
          });
        } else {
          finish({
            ...sentInfo,
            outcome: "failure",
            status: response.status,
            bytes,
            ms,
            reason: `${
              category === "Failure" ? "Failure" : category
            } status ${statusText}${comment}`,
          });
        }
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        if (e instanceof AssociationTimeoutError && e.kind === "dimse") await assoc.abort(e);
        else emit({ type: "store-error", path: f.path, error: e });
        const confirmed = "storage not confirmed";
        finish({
          ...sentInfo,
          outcome: "failure",
          bytes,
          reason: dataSent
            ? `no C-STORE-RSP: ${notSentReason(e)}; ${confirmed}`
            : `sending failed: ${notSentReason(e)}`,
        });
      } finally {
        source.close();
      }
    }
    if (assoc.isEstablished) {
      emit({ type: "association-releasing" });
      await assoc.release();
    } else {
      await assoc.abort();
    }
  }

  const ordered: FileResult[] = [
    ...found.bad.map((b): FileResult => ({
      path: b.path,
      outcome: "not-sent",
      reason: `Cannot access path: ${b.reason}`,
    })),
    ...found.files.map((p) => results.get(p)!),
  ];
  const counts: Record<Outcome, number> = { success: 0, warning: 0, failure: 0, "not-sent": 0 };
  for (const r of ordered) counts[r.outcome]++;
  return {
    results: ordered,
    counts,
    associations,
    noAssociation: wanted > 0 && associations === 0,
  };
}

function lastError(assoc: Association): string {
  return assoc.isEstablished ? "" : "association no longer established";
}

/** The peer accepted the association but none of its presentation contexts. */
export class NoAcceptedContextsError extends Error {
  constructor() {
    super("No accepted presentation contexts");
    this.name = "NoAcceptedContextsError";
  }
}
