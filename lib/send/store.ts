/**
 * One C-STORE on an established association: choose the context, open the data set, send the
 * request and data set, and turn the response into the file's result.
 *
 * @module
 */

import { type Association, DataSetSourceError } from "../association.ts";
import { chooseContext, type ContextChoice } from "../plan.ts";
import { datasetLength } from "../part10/source.ts";
import type { ByteSource, DicomFileInfo } from "../part10/types.ts";
import { type CStoreRQ, type CStoreRSP, encodeCommand, Priority } from "../dimse/messages.ts";
import { hexStatus, statusMeaning, storeStatusCategory } from "../dimse/status.ts";
import { type Emit, resultOf, type Run } from "./account.ts";
import { isTransient, reasonOf, refusedReason } from "./reasons.ts";
import { openChosen, type Opened, unreadableReason } from "./open.ts";
import type { FileResult } from "./types.ts";
import { BYTE_PROGRESS_MIN_SIZE, withByteProgress } from "./byte_progress.ts";

/** A C-STORE sent and waiting for its response. */
export interface InFlight {
  /** The file sent. */
  file: DicomFileInfo;
  /** Its place in the plan's send order. */
  index: number;
  /** The request sent. */
  request: CStoreRQ;
  /** Its result so far (context, transfer syntax sent). */
  base: FileResult;
  /** Data set bytes sent. */
  bytes: number;
  /** `performance.now()` when the request went out. */
  started: number;
  /** Where the file's events go. */
  emit: Emit;
}

/**
 * A file's context chosen and its data set opened for it, or why not: no context fits, or the
 * data set can't be opened (`error`). Nothing is emitted or recorded yet.
 */
export type Prepared =
  | { choice: undefined }
  | { choice: ContextChoice; error: unknown }
  | { choice: ContextChoice; opened: Opened };

/**
 * Chooses the context for `f` on `assoc` and opens its data set for it (never rejects).
 *
 * @example
 * ```ts ignore
 * import { prepare } from "./store.ts";
 * const p = await prepare(run, assoc, file);
 * if ("opened" in p) p.opened.source.close();
 * ```
 */
export async function prepare(
  run: Run,
  assoc: Association,
  f: DicomFileInfo,
  choice: ContextChoice | undefined = chooseContext(f, assoc.contexts.values(), run.policy),
): Promise<Prepared> {
  if (!choice) return { choice };
  try {
    return {
      choice,
      opened: await openChosen(assoc.contexts.values(), f, choice, run.policy, run.codecThreads),
    };
  } catch (error) {
    return { choice, error };
  }
}

/**
 * Sends one file's C-STORE-RQ and data set (`prepared`: its context and data set, when they
 * were prepared ahead of its turn). Resolves the request in flight; `"skipped"` when the file
 * was ended without sending (no context, unreadable); an `Error` when the association failed
 * under it (the file's result is already recorded).
 *
 * @example
 * ```ts ignore
 * import { sendOne } from "./store.ts";
 * const sent = await sendOne(run, assoc, file, 0, 1, run.emit);
 * ```
 */
export async function sendOne(
  run: Run,
  assoc: Association,
  f: DicomFileInfo,
  index: number,
  messageId: number,
  emit: Emit,
  prepared: Promise<Prepared> = prepare(run, assoc, f),
): Promise<InFlight | Error | "skipped"> {
  const base = resultOf(f);
  const p = await prepared;
  if (!p.choice) {
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
    run.finish({ ...base, reason: refusedReason(assoc, f, run.policy) }, undefined, emit);
    return "skipped";
  }
  if ("error" in p) {
    run.finish({ ...base, reason: unreadableReason(p.error, p.choice.transcode) }, undefined, emit);
    return "skipped";
  }
  const opened = p.opened;
  const ctx = opened.choice.context;
  const transcoded = opened.transcoding?.direction;
  // A file read again is checked against its examination (size, inode, last write) by the
  // source itself (lib/part10/guard.ts): a file that changed fails before its last fragment.
  let source: ByteSource = opened.source;
  if (run.options.byteProgress && f.size >= BYTE_PROGRESS_MIN_SIZE) {
    const total = datasetLength(f);
    source = withByteProgress(
      source,
      (bytes) => run.emit({ type: "file-progress", path: f.path, bytes, total }),
    );
  }
  const request: CStoreRQ = {
    kind: "C-STORE-RQ",
    messageId,
    affectedSopClassUid: f.sopClassUid,
    affectedSopInstanceUid: f.sopInstanceUid,
    priority: run.options.priority ?? Priority.Low,
  };
  const sentBase: FileResult = {
    ...base,
    sentTransferSyntaxUid: ctx.transferSyntax,
    contextId: ctx.id,
    ...(transcoded ? { transcoded } : {}),
  };
  emit({
    type: "store-request",
    path: f.path,
    request,
    contextId: ctx.id,
    transferSyntaxUid: ctx.transferSyntax,
    fileTransferSyntaxUid: f.transferSyntaxUid,
    converted: opened.choice.convert,
    transcoding: opened.transcoding,
    notEncoded: opened.notEncoded,
  });
  const started = performance.now();
  try {
    const bytes = await assoc.sendMessage(ctx.id, encodeCommand(request, true), request, source);
    return { file: f, index, request, base: sentBase, bytes, started, emit };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    // A file that can't be read is named by its result line; network errors get their own.
    if (e instanceof DataSetSourceError) {
      // The file, not the network: not sent at all when none of it went out; otherwise the
      // association was aborted mid-message and the file failed.
      const established = assoc.isEstablished;
      run.finish(
        {
          ...sentBase,
          outcome: established ? "not-sent" : "failure",
          reason: unreadableReason(e, transcoded === "encoded" ? "encode" : "decode"),
        },
        undefined,
        emit,
      );
      return established ? "skipped" : e;
    }
    emit({ type: "store-error", path: f.path, error: e });
    run.finish(
      {
        ...sentBase,
        outcome: "failure",
        reason: `sending failed: ${reasonOf(e)}`,
        transient: isTransient(e),
      },
      f,
      emit,
    );
    return e;
  } finally {
    source.close();
  }
}

/**
 * Turns a matched C-STORE-RSP into the file's result; true when the file was stored (Success
 * or Warning status).
 *
 * @example
 * ```ts ignore
 * import { completed } from "./store.ts";
 * completed(run, inFlight, { kind: "C-STORE-RSP", status: 0, messageIdBeingRespondedTo: 1 });
 * ```
 */
export function completed(run: Run, f: InFlight, response: CStoreRSP): boolean {
  const ms = Math.round(performance.now() - f.started);
  f.emit({ type: "store-response", path: f.file.path, response });
  const category = storeStatusCategory(response.status);
  const statusText = `${hexStatus(response.status)} - ${statusMeaning(response.status)}`;
  const comment = response.errorComment ? `: ${response.errorComment}` : "";
  const common = { ...f.base, status: response.status, bytes: f.bytes, ms };
  if (category === "Success") {
    run.finish({ ...common, outcome: "success" }, f.file, f.emit);
    return true;
  }
  if (category === "Warning") {
    run.finish(
      { ...common, outcome: "warning", reason: `Warning status ${statusText}${comment}` },
      f.file,
      f.emit,
    );
    return true;
  }
  run.finish(
    {
      ...common,
      outcome: "failure",
      reason: `${category} status ${statusText}${comment}`,
      transient: response.status >= 0xA700 && response.status <= 0xA7FF,
    },
    f.file,
    f.emit,
  );
  return false;
}
