/**
 * One association's life: connect, negotiate, send files from the shared queue (up to the
 * agreed asynchronous window), match responses, release or abort.
 *
 * @module
 */

import { Association, AssociationTimeoutError, ProtocolError } from "../association.ts";
import { buildAssociateRQ } from "../acse.ts";
import { connect as openTransport } from "../connect.ts";
import type { Transport } from "../transport.ts";
import { userIdentitySubItem } from "../user_identity.ts";
import type { AssociationPlan } from "../plan.ts";
import type { FileQueue } from "../queue.ts";
import type { DicomFileInfo } from "../part10/types.ts";
import type { CStoreRSP } from "../dimse/messages.ts";
import { type Emit, resultOf, type Run } from "./account.ts";
import { isTransient, reasonOf, refusedReason } from "./reasons.ts";
import { completed, type InFlight, prepare, sendOne } from "./store.ts";
import { putBack, takeAhead, type Taken } from "./ahead.ts";
import { NoAcceptedContextsError } from "./types.ts";
import { InterruptedError } from "./interrupt.ts";

/** Where each file's events go, by its place in the send order. */
export type EmitFor = (index: number) => Emit;

/** How one association went. */
export interface AssociationOutcome {
  /** It was established (accepted with at least one context). */
  established: boolean;
  /** Files stored over it (Success or Warning status). */
  stored: number;
  /** What ended it early, if anything. */
  error?: Error;
}

/**
 * Runs one association for `plan`, taking files from `queue` until it is empty or the
 * association ends. Resolves how it went; every file it took has its result recorded (or is
 * put back, untouched, for the next association).
 *
 * @example
 * ```ts ignore
 * import { worker } from "./worker.ts";
 * const { established, stored, error } = await worker(run, plan, queue, () => run.emit);
 * ```
 */
export async function worker(
  run: Run,
  plan: AssociationPlan<DicomFileInfo>,
  queue: FileQueue,
  emitFor: EmitFor,
): Promise<AssociationOutcome> {
  if (run.interrupt.stopped) return { established: false, stored: 0 };
  run.wanted++;
  run.emit({ type: "association-requesting", plan });
  const window = Math.max(1, run.options.asyncWindow ?? 1);
  let assoc: Association;
  try {
    assoc = await requestAssociation(run, plan, window);
  } catch (err) {
    if (run.interrupt.stopped) {
      // Given up on the way: nothing was sent, and the peer is not to blame.
      run.wanted--;
      return { established: false, stored: 0 };
    }
    const e = err instanceof Error ? err : new Error(String(err));
    run.emit({ type: "association-failed", error: e });
    return { established: false, stored: 0, error: e };
  }
  if (assoc.contexts.size === 0) {
    return { established: false, stored: 0, error: await refuseAll(run, assoc, queue, emitFor) };
  }
  run.associations++;
  run.emit({ type: "association-accepted", association: assoc });
  const sender = new Sender(run, assoc, queue, emitFor, window);
  // A stopped run sends no more files (see Sender); a forced stop aborts whatever is going on.
  const off = run.interrupt.onForce(() => void assoc.abort(new InterruptedError()));
  try {
    const error = await sender.drain();
    return { established: true, stored: sender.stored, error };
  } finally {
    off();
  }
}

/**
 * Opens one association proposing `plan`'s contexts (and an asynchronous operations window above 1).
 * A stop meanwhile gives the attempt up at once (nothing is in flight yet): the connection is
 * closed, and an association accepted too late is aborted.
 *
 * @example
 * ```ts ignore
 * import { requestAssociation } from "./worker.ts";
 * const assoc = await requestAssociation(run, plan, 1);
 * ```
 */
export async function requestAssociation(
  run: Run,
  plan: AssociationPlan<DicomFileInfo>,
  window: number,
): Promise<Association> {
  let transport: Transport | undefined;
  let off = () => {};
  const stopped = new Promise<never>((_, reject) => {
    off = run.interrupt.onStop(() => {
      transport?.close();
      reject(new InterruptedError());
    });
  });
  stopped.catch(() => {});
  const requesting = connectAndRequest(run, plan, window, (t) => {
    transport = t;
    if (run.interrupt.stopped) t.close();
  });
  try {
    return await Promise.race([requesting, stopped]);
  } catch (err) {
    if (run.interrupt.stopped) requesting.then((a) => a.abort(), () => {});
    throw err;
  } finally {
    off();
  }
}

async function connectAndRequest(
  run: Run,
  plan: AssociationPlan<DicomFileInfo>,
  window: number,
  connected: (t: Transport) => void,
): Promise<Association> {
  const options = run.options;
  const rq = buildAssociateRQ({
    callingAeTitle: options.callingAeTitle ?? "STORESCU",
    calledAeTitle: options.calledAeTitle ?? "ANY-SCP",
    presentationContexts: plan.contexts,
    maxPduLength: options.maxPduLength ?? 16382,
    asyncOperationsWindow: window > 1
      ? { maxOperationsInvoked: window, maxOperationsPerformed: 1 }
      : undefined,
    userIdentity: options.userIdentity && userIdentitySubItem(options.userIdentity),
  });
  const connect = options.connect ?? openTransport;
  const transport = await connect({
    hostname: options.address,
    port: options.port,
    timeoutSeconds: run.timeouts.network,
    tls: options.tls,
  });
  connected(transport);
  return await Association.request(transport, rq, {
    timeouts: run.timeouts,
    maxPduLength: options.maxPduLength ?? 16382,
    listener: options.associationListener,
  });
}

/** No context accepted: abort, and name for each file what the peer said about it. */
async function refuseAll(
  run: Run,
  assoc: Association,
  queue: FileQueue,
  emitFor: EmitFor,
): Promise<Error> {
  const e = new NoAcceptedContextsError();
  run.emit({ type: "association-failed", error: e });
  // Like the reference: a provider A-ABORT (source 2).
  await assoc.abort(undefined, 2);
  for (let q; !run.interrupt.stopped && (q = await queue.take());) {
    const { item, index } = q;
    if ("bad" in item) run.notSent(item, "", undefined, emitFor(index));
    else {run.finish(
        { ...resultOf(item), reason: refusedReason(assoc, item) },
        undefined,
        emitFor(index),
      );}
  }
  return e;
}

/** Sends over one established association, keeping up to `limit` C-STOREs in flight. */
class Sender {
  #run: Run;
  #assoc: Association;
  #queue: FileQueue;
  #emitFor: EmitFor;
  #limit: number;
  #messageId = 1;
  #inFlight = new Map<number, InFlight>();
  /**
   * Files taken (examined, and opened when transcoded) while the peer works on the one in
   * flight: one, or when files are decoded on codec threads, one more per thread (each
   * decodes its first frame on a thread meanwhile).
   */
  #ahead: Promise<Taken | undefined>[] = [];
  /** How many to keep taken (see {@link Sender.#ahead}). */
  #depth = 1;
  #ended: Error | undefined;
  /** Files stored (Success or Warning status) over this association. */
  stored = 0;

  constructor(run: Run, assoc: Association, queue: FileQueue, emitFor: EmitFor, window: number) {
    this.#run = run;
    this.#assoc = assoc;
    this.#queue = queue;
    this.#emitFor = emitFor;
    // The window the peer agreed to: 0 means unlimited, absent means one at a time.
    const agreed = assoc.accept.userInfo.asyncOperationsWindow?.maxOperationsInvoked;
    this.#limit = window > 1 && agreed !== undefined
      ? (agreed === 0 ? window : Math.min(agreed, window))
      : 1;
  }

  /** Sends until the queue is empty or the association ends; then releases or aborts. */
  async drain(): Promise<Error | undefined> {
    while (!this.#ended) {
      await this.#fill();
      if (this.#inFlight.size === 0) break;
      if (!this.#run.interrupt.stopped) this.#takeAhead();
      await this.#receiveOne();
    }
    // Taken ahead but not sent: back to the queue for the next association.
    for (const next of this.#ahead.splice(0)) {
      const unsent = await next;
      if (unsent) await putBack(this.#queue, unsent);
    }
    if (this.#assoc.isEstablished) {
      this.#run.emit({ type: "association-releasing" });
      await this.#assoc.release();
    } else {
      await this.#assoc.abort();
    }
    return this.#ended;
  }

  /** Sends files until the window is full, the queue is empty or the association ends. */
  async #fill(): Promise<void> {
    const run = this.#run;
    const stop = run.interrupt;
    while (this.#inFlight.size < this.#limit && this.#assoc.isEstablished && !stop.stopped) {
      const q = await (this.#ahead.shift() ?? this.#take());
      if (!q) return;
      if (!this.#assoc.isEstablished || stop.stopped) {
        // The association ended (or the run was stopped) while the file was being examined.
        await putBack(this.#queue, q);
        return;
      }
      const { item, index } = q;
      const emit = this.#emitFor(index);
      if (run.leavesOut(item)) {
        run.notSent(item, "", undefined, emit);
        continue;
      }
      run.tried(item.path);
      emit({ type: "file-sending", path: item.path });
      if ("bad" in item) {
        emit({
          type: "bad-file",
          path: item.path,
          reason: item.bad,
          code: item.code,
          phase: "send",
        });
        run.notSent(item, "", undefined, emit);
        continue;
      }
      // Files decoded on codec threads keep them busy; others need only one taken ahead.
      if (q.prepared) {
        q.prepared.then((p) => {
          this.#depth = 1 + ("opened" in p ? p.opened.transcoding?.threads ?? 0 : 0);
        });
      } else this.#depth = 1;
      const prepared = q.prepared ?? prepare(run, this.#assoc, item, q.choice);
      const sent = await sendOne(run, this.#assoc, item, index, this.#messageId, emit, prepared);
      if (sent === "skipped") continue;
      this.#messageId = (this.#messageId + 1) & 0xffff || 1;
      if (sent instanceof Error) {
        this.#ended = sent;
        return;
      }
      this.#inFlight.set(sent.request.messageId, sent);
    }
  }

  #take(): Promise<Taken | undefined> {
    return takeAhead(this.#run, this.#assoc, this.#queue);
  }

  /** Keeps {@link Sender.#depth} files taken ahead (at least one). */
  #takeAhead(): void {
    while (this.#ahead.length < this.#depth) this.#ahead.push(this.#take());
  }

  /** Waits for one response and settles the file it answers. */
  async #receiveOne(): Promise<void> {
    let rsp;
    try {
      rsp = await this.#assoc.receiveMessage();
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      if (e instanceof AssociationTimeoutError && e.kind === "dimse") await this.#assoc.abort(e);
      this.#failInFlight((f) => {
        f.emit({ type: "store-error", path: f.file.path, error: e });
        return {
          reason: `no C-STORE-RSP: ${reasonOf(e)}; storage not confirmed`,
          transient: isTransient(e),
        };
      });
      this.#ended = e;
      return;
    }
    const f = this.#matching(rsp.command);
    if (!f) {
      const err = new ProtocolError("Received an invalid C-STORE-RSP response from the peer");
      await this.#assoc.abort(err);
      this.#failInFlight(() => ({
        reason:
          "invalid C-STORE-RSP (wrong message ID, SOP class or SOP instance); storage not confirmed",
      }));
      this.#ended = err;
      return;
    }
    this.#inFlight.delete(f.request.messageId);
    if (completed(this.#run, f, rsp.command as CStoreRSP)) this.stored++;
  }

  /** The C-STORE in flight that `cmd` validly answers, if any. */
  #matching(cmd: { kind: string }): InFlight | undefined {
    if (cmd.kind !== "C-STORE-RSP") return undefined;
    const rsp = cmd as CStoreRSP;
    const f = this.#inFlight.get(rsp.messageIdBeingRespondedTo);
    if (!f) return undefined;
    // PS3.7 9.1.1.1.3/4: the response's affected SOP class and instance, when present, equal
    // the request's.
    const req = f.request;
    if (
      rsp.affectedSopInstanceUid !== undefined &&
      rsp.affectedSopInstanceUid !== req.affectedSopInstanceUid
    ) return undefined;
    if (
      rsp.affectedSopClassUid !== undefined && rsp.affectedSopClassUid !== req.affectedSopClassUid
    ) return undefined;
    return f;
  }

  /** Fails every C-STORE in flight: its response will never come. */
  #failInFlight(why: (f: InFlight) => { reason: string; transient?: boolean }): void {
    for (const f of this.#inFlight.values()) {
      this.#run.finish(
        { ...f.base, outcome: "failure", bytes: f.bytes, ...why(f) },
        f.file,
        f.emit,
      );
    }
    this.#inFlight.clear();
  }
}
