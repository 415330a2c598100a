/**
 * One DICOM association over a {@link Transport}: the upper-layer state machine for both
 * roles once the handshake (`association/handshake.ts`) has opened it, the DIMSE and network
 * timeouts, a background PDU reader that reassembles DIMSE messages for the inbox
 * (`association/inbox.ts`), and the P-DATA writer that streams a data set into correctly sized
 * P-DATA-TF PDUs. Its errors and option types live in `association/` too and are exported here.
 *
 * Protocol code here logs nothing: it reports what it sends and receives as
 * {@link AssociationEvent}s, and `lib/log.ts` turns those into text.
 *
 * @module
 */

import type { AssociateAC, AssociateRJ, AssociateRQ, PDataTF, Pdu } from "./pdu/types.ts";
import { ContextResult, PduType } from "./pdu/types.ts";
import { encodePdu } from "./pdu/encode.ts";
import { PduError } from "./pdu/decode.ts";
import type { PduReader } from "./pdu/reader.ts";
import type { Transport } from "./transport.ts";
import { TransportError, writeAll } from "./transport.ts";
import { Watchdog, withTimeout } from "./watchdog.ts";
import type { ByteSource } from "./part10/types.ts";
import { DataSetSourceError, PDataWriter } from "./pdu/pdata_writer.ts";
import type { DimseCommand } from "./dimse/messages.ts";
import { MessageAssembler, type ReceivedMessage } from "./dimse/assembler.ts";
import type { AcceptedContext, AssociationEvent, AssociationOptions } from "./association/types.ts";
import {
  AssociationAbortedError,
  AssociationReleasedError,
  AssociationTimeoutError,
  ConnectionClosedError,
  ProtocolError,
} from "./association/errors.ts";
import {
  abortReason,
  acceptHandshake,
  requestHandshake,
  sendAbortAndClose,
} from "./association/handshake.ts";
import { Inbox } from "./association/inbox.ts";

export { DataSetSourceError };
export type { ReceivedMessage };
export type {
  AcceptedContext,
  AssociationEvent,
  AssociationListener,
  AssociationOptions,
  Timeouts,
} from "./association/types.ts";
export * from "./association/errors.ts";

type State = "established" | "releasing" | "released" | "aborted" | "closed";

/**
 * An established association. Make one with {@link Association.request} (SCU side) or
 * {@link Association.accept} (SCP side).
 */
export class Association {
  /** The A-ASSOCIATE-RQ that opened it. */
  readonly request: AssociateRQ;
  /** The A-ASSOCIATE-AC that accepted it. */
  readonly accept: AssociateAC;
  /** Accepted presentation contexts by id. */
  readonly contexts: ReadonlyMap<number, AcceptedContext>;
  /** The peer's Maximum Length Received (0 = unlimited). */
  readonly peerMaxPduLength: number;

  #transport: Transport;
  #reader: PduReader;
  #options: AssociationOptions;
  #state: State = "established";
  #failure?: Error;
  #inbox = new Inbox();
  #releaseWaiter?: { resolve: () => void; reject: (e: Error) => void };
  #assembler: MessageAssembler;
  #writeLock: Promise<void> = Promise.resolve();
  #writer: PDataWriter;
  #loop: Promise<void>;
  #loopEnded = false;
  #stopWriting = false;
  #abortSending?: Promise<void>;
  /** One timer for the DIMSE timeout of each waiter and the network timeout of each write. */
  #watchdog = new Watchdog((now) => this.#onWatchdog(now));
  /** When the PDU write in progress times out (Infinity: none in progress). */
  #writeDue = Infinity;
  #writeTimedOut = false;

  private constructor(
    transport: Transport,
    reader: PduReader,
    rq: AssociateRQ,
    ac: AssociateAC,
    options: AssociationOptions,
    role: "requestor" | "acceptor",
  ) {
    this.#transport = transport;
    this.#reader = reader;
    this.request = rq;
    this.accept = ac;
    this.#options = options;
    this.peerMaxPduLength =
      (role === "requestor" ? ac.userInfo.maxLength : rq.userInfo.maxLength) ?? 0;
    const proposed = new Map(rq.presentationContexts.map((c) => [c.id, c]));
    const accepted = new Map<number, AcceptedContext>();
    for (const c of ac.presentationContexts) {
      const p = proposed.get(c.id);
      if (c.result === ContextResult.Acceptance && p) {
        accepted.set(c.id, {
          id: c.id,
          abstractSyntax: p.abstractSyntax,
          transferSyntax: c.transferSyntax,
        });
      }
    }
    this.contexts = accepted;
    this.#assembler = new MessageAssembler((id) => accepted.has(id), {
      command: (command, contextId, hasDataSet) =>
        this.#emit({ type: "dimse-received", command, contextId, hasDataSet }),
      message: (m) => this.#inbox.deliver(m),
    });
    this.#writer = new PDataWriter((bytes) => this.#write(bytes), this.peerMaxPduLength);
    this.#loop = this.#readLoop();
  }

  /**
   * Requests an association (SCU side): sends `rq`, waits up to the ACSE timeout for the
   * answer. On timeout sends A-ABORT and throws {@link AssociationTimeoutError}.
   *
   * @example
   * ```ts ignore
   * import { Association, buildAssociateRQ, connectTcp } from "jsr:@x/storescu/association";
   * const rq = buildAssociateRQ({
   *   callingAeTitle: "STORESCU",
   *   calledAeTitle: "ANY-SCP",
   *   presentationContexts: [
   *     { id: 1, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: ["1.2.840.10008.1.2"] },
   *   ],
   *   maxPduLength: 16382,
   * });
   * const t = await connectTcp({ hostname: "127.0.0.1", port: 11112 });
   * const assoc = await Association.request(t, rq, {
   *   timeouts: { acse: 30, dimse: 30, network: 30 },
   *   maxPduLength: 16382,
   * });
   * await assoc.release();
   * ```
   */
  static async request(
    transport: Transport,
    rq: AssociateRQ,
    options: AssociationOptions,
  ): Promise<Association> {
    const { reader, ac } = await requestHandshake(transport, rq, options);
    return new Association(transport, reader, rq, ac, options, "requestor");
  }

  /**
   * Accepts or rejects an association (SCP side): reads the A-ASSOCIATE-RQ (within the ACSE
   * timeout) and answers with what `decide` returns. Resolves `null` when rejected or when
   * the peer went away before asking.
   *
   * @example
   * ```ts ignore
   * import { Association, negotiateAsAcceptor, wrapConn } from "jsr:@x/storescu/association";
   * const listener = Deno.listen({ hostname: "127.0.0.1", port: 11112 });
   * const transport = wrapConn(await listener.accept());
   * const assoc = await Association.accept(
   *   transport,
   *   (rq) => negotiateAsAcceptor(rq, { transferSyntaxes: ["1.2.840.10008.1.2"], maxPduLength: 0 }),
   *   { timeouts: { acse: 30, dimse: 30, network: 30 }, maxPduLength: 16382 },
   * );
   * ```
   */
  static async accept(
    transport: Transport,
    decide: (rq: AssociateRQ) => AssociateAC | AssociateRJ | Promise<AssociateAC | AssociateRJ>,
    options: AssociationOptions,
  ): Promise<Association | null> {
    const h = await acceptHandshake(transport, decide, options);
    return h && new Association(transport, h.reader, h.rq, h.ac, options, "acceptor");
  }

  /** True while DIMSE messages can be exchanged. */
  get isEstablished(): boolean {
    return this.#state === "established";
  }

  /** Resolves when the background reader has stopped (association over). */
  get done(): Promise<void> {
    return this.#loop;
  }

  #emit(event: AssociationEvent): void {
    this.#options.listener?.(event);
  }

  async #readLoop(): Promise<void> {
    try {
      await this.#readPdus();
    } finally {
      this.#loopEnded = true;
      this.#stopWatchdogWhenIdle();
    }
  }

  /** Stops the timer once nothing can time out any more (no reads, writes or waiters). */
  #stopWatchdogWhenIdle(): void {
    if (this.#loopEnded && this.#writeDue === Infinity && !this.#inbox.waiting) {
      this.#watchdog.stop();
    }
  }

  /** Fails what is overdue; returns the next deadline. */
  #onWatchdog(now: number): number {
    let next = Infinity;
    if (this.#writeDue <= now) {
      // Unblock the stuck write: it then fails with the network timeout.
      this.#writeTimedOut = true;
      this.#writeDue = Infinity;
      this.#transport.close();
    } else next = this.#writeDue;
    const due = this.#inbox.expire(
      now,
      () =>
        new AssociationTimeoutError(
          "dimse",
          "DIMSE timeout reached while waiting for message response",
        ),
    );
    if (due < next) next = due;
    return next;
  }

  async #readPdus(): Promise<void> {
    // Yield once so that the constructor returns before the first read completes.
    await Promise.resolve();
    while (this.#state === "established" || this.#state === "releasing") {
      let pdu: Pdu | null;
      try {
        pdu = await this.#reader.read();
      } catch (err) {
        if (this.#state !== "established" && this.#state !== "releasing") return;
        if (err instanceof PduError) {
          const e = new ProtocolError(`Received an invalid PDU from the peer: ${err.message}`, {
            cause: err,
          });
          await this.#providerAbort(e, abortReason(err));
        } else {
          this.#fail("closed", err instanceof TransportError ? err : new ConnectionClosedError());
        }
        return;
      }
      if (pdu === null) {
        if (this.#state === "established" || this.#state === "releasing") {
          this.#fail("closed", new ConnectionClosedError());
        }
        return;
      }
      if (pdu.type !== PduType.PData) this.#emit({ type: "pdu-received", pdu });
      switch (pdu.type) {
        case PduType.PData: {
          const err = this.#onPData(pdu);
          if (err) {
            await this.#providerAbort(err, 6);
            return;
          }
          break;
        }
        case PduType.ReleaseRQ:
          // The peer asks to release: answer and end (PS3.8 AR-2/AR-4).
          try {
            await this.#writeLocked(encodePdu({ type: PduType.ReleaseRP }));
            this.#emit({ type: "pdu-sent", pdu: { type: PduType.ReleaseRP } });
          } catch {
            // connection already gone
          }
          this.#fail("released", new AssociationReleasedError("Association released by the peer"));
          this.#transport.close();
          return;
        case PduType.ReleaseRP:
          if (this.#state === "releasing") {
            this.#state = "released";
            this.#releaseWaiter?.resolve();
            this.#releaseWaiter = undefined;
            this.#fail("released", new AssociationReleasedError());
            this.#transport.close();
            return;
          }
          await this.#providerAbort(new ProtocolError("Unexpected A-RELEASE-RP"), 2);
          return;
        case PduType.Abort:
          this.#fail("aborted", new AssociationAbortedError("Association Aborted", pdu));
          this.#transport.close();
          return;
        default:
          await this.#providerAbort(
            new ProtocolError(`Unexpected PDU type 0x${pdu.type.toString(16)}`),
            2,
          );
          return;
      }
    }
  }

  /** Reassembles PDVs; returns an error to abort on. */
  #onPData(pdu: PDataTF): Error | undefined {
    for (const pdv of pdu.pdvs) {
      const wrong = this.#assembler.push(pdv);
      if (wrong) return new ProtocolError(wrong);
    }
    return undefined;
  }

  #fail(state: State, err: Error): void {
    if (this.#state === "aborted" || this.#state === "closed" || this.#state === "released") {
      return;
    }
    this.#state = state;
    this.#failure = err;
    this.#stopWriting = true;
    this.#inbox.rejectAll(err);
    if (this.#releaseWaiter) {
      this.#releaseWaiter.reject(err);
      this.#releaseWaiter = undefined;
    }
  }

  async #providerAbort(err: Error, reason: number): Promise<void> {
    this.#fail("aborted", err);
    this.#emit({ type: "aborting", error: err });
    await this.#sendAbortPdu(2, reason);
  }

  /** Sends A-ABORT and closes; {@link Association.abort} waits for one already under way. */
  #sendAbortPdu(source: number, reason: number): Promise<void> {
    this.#abortSending ??= sendAbortAndClose(
      this.#transport,
      (e) => this.#emit(e),
      source,
      reason,
      (bytes) => this.#writeLocked(bytes),
    );
    return this.#abortSending;
  }

  /** Serialises whole-buffer writes so PDUs never interleave; bounded by -tn. */
  #writeLocked(data: Uint8Array): Promise<void> {
    const run = this.#writeLock.then(() => this.#write(data));
    this.#writeLock = run.catch(() => {});
    return run;
  }

  async #write(data: Uint8Array): Promise<void> {
    const seconds = this.#options.timeouts.network;
    if (seconds === null) return await writeAll(this.#transport, data);
    this.#writeDue = performance.now() + seconds * 1000;
    this.#watchdog.wake(this.#writeDue);
    try {
      await writeAll(this.#transport, data);
    } catch (err) {
      if (this.#writeTimedOut) {
        throw new AssociationTimeoutError("network", "Network timeout reached");
      }
      throw err;
    } finally {
      this.#writeDue = Infinity;
      if (this.#loopEnded) this.#stopWatchdogWhenIdle();
    }
  }

  #check(): void {
    if (this.#state !== "established") {
      throw this.#failure ?? new AssociationReleasedError();
    }
  }

  /**
   * Sends one DIMSE message: the command set, then (optionally) the data set streamed from
   * `dataSet` in P-DATA-TF PDUs no longer than the peer's maximum. Resolves the number of
   * data set bytes sent.
   *
   * @example
   * ```ts ignore
   * const bytes = await assoc.sendMessage(69, commandBytes, command, source);
   * ```
   */
  async sendMessage(
    contextId: number,
    commandBytes: Uint8Array,
    command: DimseCommand,
    dataSet?: ByteSource,
  ): Promise<number> {
    this.#check();
    if (!this.contexts.has(contextId)) {
      throw new ProtocolError(`Presentation context ${contextId} was not accepted`);
    }
    let sent = 0;
    const run = this.#writeLock.then(async () => {
      this.#check();
      this.#emit({ type: "dimse-sent", command, contextId, hasDataSet: dataSet !== undefined });
      sent = await this.#writer.writeMessage(contextId, commandBytes, dataSet, () => {
        if (this.#stopWriting) throw this.#failure ?? new ConnectionClosedError();
      });
      if (dataSet) this.#emit({ type: "data-sent", contextId, bytes: sent });
    });
    this.#writeLock = run.catch(() => {});
    try {
      await run;
    } catch (err) {
      if (err instanceof AssociationTimeoutError) {
        this.#fail("aborted", err);
        this.#emit({ type: "aborting", error: err });
        await this.#sendAbortPdu(0, 0);
        throw err;
      }
      if (this.#failure) throw this.#failure;
      if (err instanceof DataSetSourceError) {
        // Part of the message may be on the wire: the association can't go on.
        if (this.#writer.partial) {
          this.#fail("aborted", err);
          this.#emit({ type: "aborting", error: err });
          await this.#sendAbortPdu(0, 0);
        }
        throw err;
      }
      // A write failed: the connection is gone.
      this.#fail("closed", new ConnectionClosedError("Connection closed while sending"));
      this.#transport.close();
      throw this.#failure!;
    }
    return sent;
  }

  /**
   * Waits for the next complete DIMSE message, up to `timeoutSeconds` (default: the DIMSE
   * timeout). Rejects with {@link AssociationTimeoutError} (kind "dimse"), or with the error
   * that ended the association.
   *
   * @example
   * ```ts ignore
   * const { command } = await assoc.receiveMessage();
   * ```
   */
  receiveMessage(timeoutSeconds?: number | null): Promise<ReceivedMessage> {
    const queued = this.#inbox.take();
    if (queued) return Promise.resolve(queued);
    if (this.#state !== "established" && this.#state !== "releasing") {
      return Promise.reject(this.#failure ?? new AssociationReleasedError());
    }
    const seconds = timeoutSeconds === undefined ? this.#options.timeouts.dimse : timeoutSeconds;
    const due = seconds === null ? Infinity : performance.now() + Math.max(0, seconds * 1000);
    // A waiter that times out is dropped, so a late message is kept for the next receive.
    const next = this.#inbox.wait(due);
    if (due < Infinity) this.#watchdog.wake(due);
    return next;
  }

  /**
   * Releases the association: A-RELEASE-RQ, then waits up to the ACSE timeout for the
   * A-RELEASE-RP (aborting when it doesn't come). Never throws.
   *
   * @example
   * ```ts ignore
   * await assoc.release();
   * ```
   */
  async release(): Promise<"released" | "aborted" | "gone"> {
    if (this.#state !== "established") {
      this.#transport.close();
      await this.#loop;
      return "gone";
    }
    this.#state = "releasing";
    const rp = new Promise<void>((resolve, reject) => {
      this.#releaseWaiter = { resolve, reject };
    });
    rp.catch(() => {});
    const rq = { type: PduType.ReleaseRQ } as const;
    try {
      await this.#writeLocked(encodePdu(rq));
      this.#emit({ type: "pdu-sent", pdu: rq });
      await withTimeout(
        rp,
        this.#options.timeouts.acse,
        () => new AssociationTimeoutError("acse", "ACSE timeout waiting for A-RELEASE-RP"),
      );
      await this.#loop;
      return "released";
    } catch (err) {
      if (err instanceof AssociationTimeoutError) {
        this.#fail("aborted", err);
        this.#emit({ type: "aborting" });
        await this.#sendAbortPdu(0, 0);
        await this.#loop;
        return "aborted";
      }
      this.#transport.close();
      await this.#loop;
      return (this.#state as State) === "released" ? "released" : "gone";
    }
  }

  /**
   * Aborts the association (A-ABORT, source service-user unless `source` says 2, the
   * service-provider) and closes the connection. `reason` is reported with the "aborting"
   * event (e.g. a DIMSE timeout).
   *
   * @example
   * ```ts ignore
   * await assoc.abort();
   * ```
   */
  async abort(reason?: Error, source: 0 | 2 = 0): Promise<void> {
    if (this.#state === "established" || this.#state === "releasing") {
      this.#fail("aborted", reason ?? new AssociationAbortedError("Association aborted by us"));
      this.#emit({ type: "aborting", error: reason });
      await this.#sendAbortPdu(source, 0);
    }
    // Our own A-ABORT (after an invalid PDU, say) may be on its way: let it go first.
    if (this.#abortSending) await this.#abortSending;
    this.#transport.close();
    await this.#loop;
  }
}
