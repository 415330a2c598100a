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
  DataSetSourceError,
  ProtocolError,
  type Timeouts,
} from "./association.ts";
import { buildAssociateRQ } from "./acse.ts";
import type { AssociateRJ } from "./pdu/types.ts";
import { ConnectError, type ConnectOptions, connectTcp, type Transport } from "./transport.ts";
import { compareCodePoints, findFiles } from "./files.ts";
import {
  type AssociationPlan,
  chooseContext,
  defaultContexts,
  fitsDefault,
  planAssociations,
} from "./plan.ts";
import {
  type BadItem,
  examineFile,
  ExaminingQueue,
  type FileQueue,
  type Item,
  ListQueue,
  type Queued,
} from "./queue.ts";
import { openDataset } from "./part10/source.ts";
import { changedSinceExamined, examinedDataset } from "./part10/file.ts";
import type { ByteSource, DicomFileInfo } from "./part10/types.ts";
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
  /** Presentation context id used. */
  contextId?: number;
  /** Data set bytes sent. */
  bytes?: number;
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

/** Progress and log-worthy happenings, in order. `lib/log.ts` turns them into text. */
export type StoreEvent =
  | { type: "bad-path"; path: string; reason: string }
  | { type: "skipped-directory"; path: string }
  | { type: "bad-file"; path: string; reason: string; code?: string; phase: "scan" | "send" }
  | { type: "no-files" }
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
  }
  | { type: "store-response"; path: string; response: CStoreRSP }
  | { type: "store-error"; path: string; error: Error }
  | { type: "association-releasing" }
  | { type: "retrying"; files: number; attempt: number; delayMs: number }
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
  /** Associations opened in parallel for each plan (default 1). */
  parallel?: number;
  /**
   * Propose an asynchronous operations window of this many outstanding C-STOREs; used up to
   * what the peer accepts (default 1: none proposed, one at a time).
   */
  asyncWindow?: number;
  /** Re-send files whose failure was transient this many more times (default 0). */
  retries?: number;
  /** First retry delay in ms, doubled for each further attempt (default 1000). */
  retryDelayMs?: number;
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
  /** Results per outcome. */
  counts: Record<Outcome, number>;
  /** Associations established. */
  associations: number;
  /** True when at least one association was wanted and none could be established. */
  noAssociation: boolean;
}

/** The default proposal order: Explicit LE, Implicit LE, Deflated Explicit LE, Explicit BE. */
export const DEFAULT_TRANSFER_SYNTAXES: readonly string[] = UNCOMPRESSED_TRANSFER_SYNTAXES;

/** The peer accepted the association but none of its presentation contexts. */
export class NoAcceptedContextsError extends Error {
  /** Creates the error. */
  constructor() {
    super("No accepted presentation contexts");
    this.name = "NoAcceptedContextsError";
  }
}

function describeRejection(rj: AssociateRJ): string {
  const kind = rj.result === 2 ? "transient" : "permanent";
  return `association rejected (${kind}, source ${rj.source}, reason ${rj.reason})`;
}

function reasonOf(err: Error): string {
  if (err instanceof ConnectError) return `unable to connect to remote (${err.message})`;
  if (err instanceof AssociationRejectedError) return describeRejection(err.reject);
  if (err instanceof AssociationAbortedError) {
    return err.abort ? "association aborted by the peer" : err.message;
  }
  if (err instanceof AssociationReleasedError) return "association released by the peer";
  if (err instanceof ConnectionClosedError) return "connection closed by the peer";
  if (err instanceof NoAcceptedContextsError) return "no accepted presentation contexts";
  return err.message;
}

/** Failures that may go away on their own. */
function isTransient(err: Error): boolean {
  if (err instanceof AssociationRejectedError) return err.reject.result === 2;
  return err instanceof ConnectError || err instanceof AssociationAbortedError ||
    err instanceof AssociationReleasedError || err instanceof ConnectionClosedError ||
    err instanceof AssociationTimeoutError;
}

function fileOf(f: DicomFileInfo): FileResult {
  return {
    path: f.path,
    outcome: "not-sent",
    sopClassUid: f.sopClassUid,
    sopInstanceUid: f.sopInstanceUid,
    transferSyntaxUid: f.transferSyntaxUid,
  };
}

/**
 * Releases each file's events in send order, so parallel associations log as one would.
 */
class Sequencer {
  #next = 0;
  #buffers = new Map<number, StoreEvent[]>();
  #done = new Set<number>();
  #out: (e: StoreEvent) => void;
  constructor(out: (e: StoreEvent) => void) {
    this.#out = out;
  }
  emit(index: number, e: StoreEvent): void {
    if (index === this.#next) {
      this.#out(e);
      if (e.type === "file-done" || e.type === "file-retry") {
        this.#next++;
        this.#drain();
      }
      return;
    }
    const buf = this.#buffers.get(index) ?? [];
    buf.push(e);
    this.#buffers.set(index, buf);
    if (e.type === "file-done" || e.type === "file-retry") this.#done.add(index);
  }
  #drain(): void {
    for (;;) {
      const buf = this.#buffers.get(this.#next);
      if (!buf) return;
      this.#buffers.delete(this.#next);
      for (const e of buf) this.#out(e);
      if (!this.#done.has(this.#next)) return;
      this.#done.delete(this.#next);
      this.#next++;
    }
  }
}

/** Shared state of one run. */
class Run {
  readonly options: StoreOptions;
  readonly emit: (e: StoreEvent) => void;
  readonly timeouts: Timeouts;
  readonly results = new Map<string, FileResult>();
  readonly attempts = new Map<string, number>();
  associations = 0;
  wanted = 0;
  /** An error that makes further associations pointless (refused, rejected...). */
  fatal?: Error;
  /** Retries left after this round; transient failures are deferred while > 0. */
  retriesLeft = 0;
  deferred: DicomFileInfo[] = [];

  constructor(options: StoreOptions) {
    this.options = options;
    this.emit = options.onEvent ?? (() => {});
    this.timeouts = {
      acse: options.timeouts?.acse === undefined ? 30 : options.timeouts.acse,
      dimse: options.timeouts?.dimse === undefined ? 30 : options.timeouts.dimse,
      network: options.timeouts?.network === undefined ? 30 : options.timeouts.network,
    };
  }
}

/**
 * Sends every DICOM file found under `options.paths` to the peer and returns one result per
 * file. Never throws for network or input errors.
 *
 * @example
 * ```ts ignore
 * import { storeFiles } from "./send.ts";
 * const report = await storeFiles({ address: "127.0.0.1", port: 11112, paths: ["testdata"] });
 * console.log(report.counts); // { success: 6, warning: 0, failure: 0, "not-sent": 0 }
 * ```
 */
export async function storeFiles(options: StoreOptions): Promise<StoreReport> {
  const run = new Run(options);
  const emit = run.emit;
  const found = await findFiles(options.paths, options.recurse ?? false);
  for (const b of found.bad) emit({ type: "bad-path", path: b.path, reason: b.reason });
  for (const d of found.skippedDirectories) emit({ type: "skipped-directory", path: d });

  const requiredContexts = options.requiredContexts ?? false;
  const planOptions = {
    requiredContexts,
    transferSyntaxes: options.transferSyntaxes ?? DEFAULT_TRANSFER_SYNTAXES,
  };
  // Default mode: the first association proposes the fixed default list whatever the files
  // are, so its files are examined only as they are sent (no record per file held for the
  // whole run); the files it can't carry are set aside for the associations after it.
  // -cx needs every file's (SOP class, transfer syntax) before it can propose anything, and
  // a run where no file fits the default proposal is planned from all of them as well.
  let main: { plan: AssociationPlan<DicomFileInfo>; queue: ExaminingQueue } | undefined;
  let plans: AssociationPlan<DicomFileInfo>[] = [];
  let bad: BadItem[] = [];
  if (!requiredContexts) {
    const ts = planOptions.transferSyntaxes;
    const queue = new ExaminingQueue(found.files, (f) => fitsDefault(f, ts));
    if (await queue.hasCarriable()) {
      main = { plan: { kind: "default", contexts: defaultContexts(ts), files: [] }, queue };
    } else {
      // Everything has been examined: what is left ahead is bad files only.
      for (let q; (q = await queue.take());) bad.push(q.item as BadItem);
      plans = planAssociations(queue.diverted, planOptions);
    }
  } else {
    const good: DicomFileInfo[] = [];
    for (const path of found.files) {
      const item = await examineFile(path);
      if ("bad" in item) bad.push(item);
      else good.push(item);
    }
    plans = planAssociations(good, planOptions);
  }

  // Bad files: with -cx (or when nothing can be sent) they are reported before any
  // association, as the reference does; otherwise at their place in the send order.
  if (!main && (requiredContexts || plans.length === 0)) {
    for (const b of bad) {
      emit({ type: "bad-file", path: b.path, reason: b.bad, code: b.code, phase: "scan" });
      finish(run, { path: b.path, outcome: "not-sent", reason: `Bad DICOM file: ${b.bad}` });
    }
    bad = [];
  }
  if (!main && plans.length === 0) emit({ type: "no-files" });

  const maxRetries = Math.max(0, options.retries ?? 0);
  for (let round = 0;; round++) {
    run.retriesLeft = maxRetries - round;
    run.deferred = [];
    if (main) {
      await runPlan(run, main.plan, main.queue);
      // What the default proposal couldn't carry goes on the association(s) after it.
      plans = planAssociations(main.queue.diverted, planOptions);
      main = undefined;
    }
    for (let i = 0; i < plans.length; i++) {
      const items: Item[] = [...plans[i].files];
      if (round === 0 && i === 0 && bad.length > 0) {
        items.push(...bad);
        items.sort((a, b) => compareCodePoints(a.path, b.path));
        bad = [];
      }
      await runPlan(run, plans[i], new ListQueue(items));
      plans[i].files = []; // done: drop the file records (retries keep their own)
    }
    if (run.deferred.length === 0) break;
    const delayMs = (options.retryDelayMs ?? 1000) * 2 ** round;
    emit({ type: "retrying", files: run.deferred.length, attempt: round + 2, delayMs });
    await new Promise((r) => setTimeout(r, delayMs));
    run.fatal = undefined;
    plans = planAssociations(run.deferred, planOptions);
  }

  const ordered: FileResult[] = [
    ...found.bad.map((b): FileResult => ({
      path: b.path,
      outcome: "not-sent",
      reason: `Cannot access path: ${b.reason}`,
    })),
    ...found.files.map((p) => run.results.get(p)!),
  ];
  const counts: Record<Outcome, number> = { success: 0, warning: 0, failure: 0, "not-sent": 0 };
  for (const r of ordered) counts[r.outcome]++;
  return {
    results: ordered,
    counts,
    associations: run.associations,
    noAssociation: run.wanted > 0 && run.associations === 0,
  };
}

/** Records a final result (or defers a transient failure to the next round). */
function finish(
  run: Run,
  r: FileResult,
  info?: DicomFileInfo,
  emit: (e: StoreEvent) => void = run.emit,
): void {
  const attempts = run.attempts.get(r.path) ?? 0;
  if (info && r.transient && run.retriesLeft > 0) {
    run.deferred.push(info);
    emit({ type: "file-retry", path: r.path, reason: r.reason ?? "" });
    return;
  }
  const result = attempts > 0 ? { ...r, attempts } : r;
  run.attempts.delete(r.path);
  run.results.set(r.path, result);
  emit({ type: "file-done", result });
}

/** Opens up to `parallel` associations for one plan and drains its queue through them. */
async function runPlan(run: Run, plan: AssociationPlan<DicomFileInfo>, queue: FileQueue) {
  const parallel = Math.max(1, Math.min(run.options.parallel ?? 1, queue.maxLeft || 1));
  const seq = parallel > 1 ? new Sequencer(run.emit) : undefined;
  const emitFor = (index: number) => (e: StoreEvent) => seq ? seq.emit(index, e) : run.emit(e);
  if (run.fatal) {
    for (let q; (q = await queue.take());) {
      notSent(run, q.item, reasonOf(run.fatal), run.fatal, emitFor(q.index));
    }
    return;
  }
  let errors: Error[] = [];
  let established = 0;
  for (;;) {
    const before = queue.taken;
    errors = [];
    established = 0;
    await Promise.all(
      Array.from({ length: parallel }, async (_, w) => {
        // Stagger the extra associations a little so a peer limiting concurrency can say so.
        if (w > 0) await new Promise((r) => setTimeout(r, 0));
        const err = await worker(run, plan, queue, emitFor, () => established++);
        if (err) errors.push(err);
      }),
    );
    // An association that ended early (the peer aborted on one bad file, say) leaves files
    // never tried: go on with a fresh association while each pass gets somewhere.
    if (established === 0 || queue.taken === before || await queue.isEmpty()) break;
  }
  if (established === 0 && errors.length > 0) {
    const last = errors[errors.length - 1];
    if (!(last instanceof NoAcceptedContextsError)) run.fatal = last;
  }
  // Whatever no association could take is not sent.
  const why = errors.length > 0 ? errors[errors.length - 1] : undefined;
  for (let q; (q = await queue.take());) {
    notSent(run, q.item, why ? reasonOf(why) : "association ended", why, emitFor(q.index));
  }
}

function notSent(
  run: Run,
  item: Item,
  reason: string,
  err?: Error,
  emit: (e: StoreEvent) => void = run.emit,
): void {
  if ("bad" in item) {
    finish(
      run,
      { path: item.path, outcome: "not-sent", reason: `Bad DICOM file: ${item.bad}` },
      undefined,
      emit,
    );
  } else {
    finish(
      run,
      { ...fileOf(item), reason, transient: err ? isTransient(err) : undefined },
      item,
      emit,
    );
  }
}

/** A C-STORE sent and waiting for its response. */
interface InFlight {
  file: DicomFileInfo;
  index: number;
  request: CStoreRQ;
  base: FileResult;
  bytes: number;
  started: number;
  emit: (e: StoreEvent) => void;
}

/** One association: connect, negotiate, send from the shared queue, release. */
async function worker(
  run: Run,
  plan: AssociationPlan<DicomFileInfo>,
  queue: FileQueue,
  emitFor: (index: number) => (e: StoreEvent) => void,
  onEstablished: () => void,
): Promise<Error | undefined> {
  const options = run.options;
  run.wanted++;
  run.emit({ type: "association-requesting", plan });
  const window = Math.max(1, options.asyncWindow ?? 1);
  let assoc: Association;
  try {
    const connect = options.connect ?? connectTcp;
    const transport = await connect({
      hostname: options.address,
      port: options.port,
      timeoutSeconds: run.timeouts.network,
    });
    const rq = buildAssociateRQ({
      callingAeTitle: options.callingAeTitle ?? "STORESCU",
      calledAeTitle: options.calledAeTitle ?? "ANY-SCP",
      presentationContexts: plan.contexts,
      maxPduLength: options.maxPduLength ?? 16382,
      asyncOperationsWindow: window > 1
        ? { maxOperationsInvoked: window, maxOperationsPerformed: 1 }
        : undefined,
    });
    assoc = await Association.request(transport, rq, {
      timeouts: run.timeouts,
      maxPduLength: options.maxPduLength ?? 16382,
      listener: options.associationListener,
    });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    run.emit({ type: "association-failed", error: e });
    return e;
  }
  if (assoc.contexts.size === 0) {
    const e = new NoAcceptedContextsError();
    run.emit({ type: "association-failed", error: e });
    // Like the reference: a provider A-ABORT (source 2).
    await assoc.abort(undefined, 2);
    // Name, for each file, what the peer said about its SOP class and transfer syntax.
    for (let q; (q = await queue.take());) {
      const { item, index } = q;
      if ("bad" in item) {
        notSent(run, item, "", undefined, emitFor(index));
      } else {
        finish(
          run,
          {
            ...fileOf(item),
            reason: `${uidNameOrUid(item.sopClassUid)} in ${
              uidNameOrUid(item.transferSyntaxUid)
            }: ${describeRefusal(assoc, item.sopClassUid)}`,
          },
          undefined,
          emitFor(index),
        );
      }
    }
    return e;
  }
  run.associations++;
  onEstablished();
  run.emit({ type: "association-accepted", association: assoc });

  // The window the peer agreed to: 0 means unlimited, absent means one at a time.
  const agreed = assoc.accept.userInfo.asyncOperationsWindow?.maxOperationsInvoked;
  const limit = window > 1 && agreed !== undefined
    ? (agreed === 0 ? window : Math.min(agreed, window))
    : 1;
  let messageId = 1;
  const inFlight = new Map<number, InFlight>();
  let ended: Error | undefined;

  const failInFlight = (err: Error) => {
    for (const f of inFlight.values()) {
      f.emit({ type: "store-error", path: f.file.path, error: err });
      finish(
        run,
        {
          ...f.base,
          outcome: "failure",
          bytes: f.bytes,
          reason: `no C-STORE-RSP: ${reasonOf(err)}; storage not confirmed`,
          transient: isTransient(err),
        },
        f.file,
        f.emit,
      );
    }
    inFlight.clear();
  };

  // The next file is taken (examined) while the peer works on the one in flight.
  let next: Promise<Queued | undefined> | undefined;
  while (!ended) {
    // Fill the window.
    while (inFlight.size < limit && assoc.isEstablished) {
      const q = await (next ?? queue.take());
      next = undefined;
      if (!q) break;
      if (!assoc.isEstablished) {
        // The association ended while the file was being examined: leave it for the next.
        queue.putBack(q);
        break;
      }
      const { item, index } = q;
      const emit = emitFor(index);
      run.attempts.set(item.path, (run.attempts.get(item.path) ?? 0) + 1);
      emit({ type: "file-sending", path: item.path });
      if ("bad" in item) {
        emit({
          type: "bad-file",
          path: item.path,
          reason: item.bad,
          code: item.code,
          phase: "send",
        });
        finish(
          run,
          {
            path: item.path,
            outcome: "not-sent",
            reason: `Bad DICOM file: ${item.bad}`,
          },
          undefined,
          emit,
        );
        continue;
      }
      const sent = await sendOne(run, assoc, item, index, messageId, emit);
      if (sent === "skipped") continue;
      messageId = (messageId + 1) & 0xffff || 1;
      if (sent instanceof Error) {
        ended = sent;
        break;
      }
      inFlight.set(sent.request.messageId, sent);
    }
    if (inFlight.size === 0) break;
    next ??= queue.take();
    // Wait for one response.
    let rsp;
    try {
      rsp = await assoc.receiveMessage();
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      if (e instanceof AssociationTimeoutError && e.kind === "dimse") await assoc.abort(e);
      failInFlight(e);
      ended = e;
      break;
    }
    const cmd = rsp.command;
    const f = cmd.kind === "C-STORE-RSP" ? inFlight.get(cmd.messageIdBeingRespondedTo) : undefined;
    if (
      !f || cmd.kind !== "C-STORE-RSP" ||
      (cmd.affectedSopInstanceUid !== undefined &&
        cmd.affectedSopInstanceUid !== f.request.affectedSopInstanceUid)
    ) {
      const err = new ProtocolError("Received an invalid C-STORE-RSP response from the peer");
      await assoc.abort(err);
      for (const x of inFlight.values()) {
        finish(
          run,
          {
            ...x.base,
            outcome: "failure",
            bytes: x.bytes,
            reason: "invalid C-STORE-RSP (wrong message ID or SOP instance); storage not confirmed",
          },
          x.file,
          x.emit,
        );
      }
      inFlight.clear();
      ended = err;
      break;
    }
    inFlight.delete(cmd.messageIdBeingRespondedTo);
    completed(run, f, cmd);
  }
  // Taken ahead but not sent: back to the queue for the next association.
  const unsent = await next;
  if (unsent) queue.putBack(unsent);

  if (assoc.isEstablished) {
    run.emit({ type: "association-releasing" });
    await assoc.release();
  } else {
    await assoc.abort();
  }
  return ended;
}

/** Sends one file's C-STORE-RQ and data set. */
async function sendOne(
  run: Run,
  assoc: Association,
  f: DicomFileInfo,
  index: number,
  messageId: number,
  emit: (e: StoreEvent) => void,
): Promise<InFlight | Error | "skipped"> {
  const base = fileOf(f);
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
    finish(
      run,
      {
        ...base,
        reason: `${uidNameOrUid(f.sopClassUid)} in ${uidNameOrUid(f.transferSyntaxUid)}: ${
          describeRefusal(assoc, f.sopClassUid)
        }`,
      },
      undefined,
      emit,
    );
    return "skipped";
  }
  const ctx = choice.context;
  let source: ByteSource;
  try {
    source = await openDataset(f, ctx.transferSyntax);
    // Bytes kept from the examination are the file as examined: nothing can change under them.
    if (!examinedDataset(f)) source = guardFileChange(source, f, !choice.convert);
  } catch (err) {
    finish(
      run,
      {
        ...base,
        reason: `cannot read: ${err instanceof Error ? err.message : String(err)}`,
      },
      undefined,
      emit,
    );
    return "skipped";
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
  };
  emit({
    type: "store-request",
    path: f.path,
    request,
    contextId: ctx.id,
    transferSyntaxUid: ctx.transferSyntax,
    fileTransferSyntaxUid: f.transferSyntaxUid,
    converted: choice.convert,
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
      finish(
        run,
        {
          ...sentBase,
          outcome: established ? "not-sent" : "failure",
          reason: `cannot read: ${e.message}`,
        },
        undefined,
        emit,
      );
      return established ? "skipped" : e;
    }
    emit({ type: "store-error", path: f.path, error: e });
    finish(
      run,
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

const CONTEXT_RESULT = [
  "accepted",
  "user rejection",
  "no reason",
  "abstract syntax not supported",
  "transfer syntaxes not supported",
];

/** What the peer said about the contexts proposed for `sopClass` on this association. */
function describeRefusal(assoc: Association, sopClass: string): string {
  const accepted = [...assoc.contexts.values()].filter((c) => c.abstractSyntax === sopClass);
  if (accepted.length > 0) {
    const names = [...new Set(accepted.map((c) => uidNameOrUid(c.transferSyntax)))];
    return `the peer accepted it only as ${
      names.join(", ")
    }, which this file can't be converted to`;
  }
  const proposed = assoc.request.presentationContexts.filter((c) => c.abstractSyntax === sopClass);
  if (proposed.length === 0) return "not proposed on this association";
  const results = new Map(assoc.accept.presentationContexts.map((c) => [c.id, c.result]));
  const parts = proposed.map((p) => {
    const r = results.get(p.id);
    return `${p.transferSyntaxes.map(uidNameOrUid).join(", ")}: ${
      r === undefined ? "no answer" : CONTEXT_RESULT[r] ?? `result ${r}`
    }`;
  });
  return `the peer refused every context proposed for it (${parts.join("; ")})`;
}

/** Turns a matched C-STORE-RSP into the file's result. */
function completed(run: Run, f: InFlight, response: CStoreRSP): void {
  const ms = Math.round(performance.now() - f.started);
  f.emit({ type: "store-response", path: f.file.path, response });
  const category = storeStatusCategory(response.status);
  const statusText = `${hexStatus(response.status)} - ${statusMeaning(response.status)}`;
  const comment = response.errorComment ? `: ${response.errorComment}` : "";
  const common = { ...f.base, status: response.status, bytes: f.bytes, ms };
  if (category === "Success") {
    finish(run, { ...common, outcome: "success" }, f.file, f.emit);
  } else if (category === "Warning") {
    finish(
      run,
      {
        ...common,
        outcome: "warning",
        reason: `Warning status ${statusText}${comment}`,
      },
      f.file,
      f.emit,
    );
  } else {
    finish(
      run,
      {
        ...common,
        outcome: "failure",
        reason: `${category} status ${statusText}${comment}`,
        transient: response.status >= 0xA700 && response.status <= 0xA7FF,
      },
      f.file,
      f.emit,
    );
  }
}

/**
 * Fails the data set read when the file changed since it was examined (size, inode, or a
 * write), so a file that is rewritten, grows or shrinks while being sent is never reported as
 * stored: the read error comes before the last fragment goes out (and the association is
 * aborted if part of the message did).
 */
function guardFileChange(source: ByteSource, f: DicomFileInfo, unchanged: boolean): ByteSource {
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
