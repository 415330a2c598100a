/**
 * Opening an association, before there is one: the requestor's A-ASSOCIATE-RQ and the wait for
 * the answer, the acceptor's wait for the request and its answer, each bounded by the ACSE and
 * network timeouts, and the A-ABORT that ends a handshake gone wrong (PS3.8 9.2, AA-8). What a
 * handshake leaves ({@link Handshake}) becomes an `Association`.
 *
 * @module
 */

import type { Abort, AssociateAC, AssociateRJ, AssociateRQ, Pdu } from "../pdu/types.ts";
import { PduType } from "../pdu/types.ts";
import { encodePdu } from "../pdu/encode.ts";
import { PduError } from "../pdu/decode.ts";
import { PduReader } from "../pdu/reader.ts";
import type { Transport } from "../transport.ts";
import { TransportError, writeAll } from "../transport.ts";
import { identityConfirmed, UserIdentityNotConfirmedError } from "../user_identity.ts";
import { withTimeout } from "../watchdog.ts";
import type { AssociationListener, AssociationOptions } from "./types.ts";
import {
  AssociationAbortedError,
  AssociationRejectedError,
  AssociationTimeoutError,
  ConnectionClosedError,
  ProtocolError,
} from "./errors.ts";

/** An accepted handshake: the reader (holding whatever came after the answer) and both PDUs. */
export interface Handshake {
  /** The connection's PDU reader, to go on reading with. */
  reader: PduReader;
  /** The A-ASSOCIATE-RQ. */
  rq: AssociateRQ;
  /** The A-ASSOCIATE-AC. */
  ac: AssociateAC;
}

/**
 * Sends `rq` and waits up to the ACSE timeout for the answer (requestor). Throws
 * {@link AssociationRejectedError}, {@link AssociationAbortedError},
 * {@link AssociationTimeoutError} (after sending A-ABORT), {@link ProtocolError},
 * `UserIdentityNotConfirmedError` or {@link ConnectionClosedError}; the transport is closed
 * whenever it throws.
 *
 * @example
 * ```ts ignore
 * const { reader, ac } = await requestHandshake(transport, rq, options);
 * ```
 */
export async function requestHandshake(
  transport: Transport,
  rq: AssociateRQ,
  options: AssociationOptions,
): Promise<Handshake> {
  const reader = new PduReader(transport, { maxPduLength: options.maxPduLength });
  const emit = options.listener ?? (() => {});
  // Encoded before the try: a request we can't encode is our error, not a closed connection.
  let bytes: Uint8Array;
  try {
    bytes = encodePdu(rq);
  } catch (err) {
    transport.close();
    throw err;
  }
  try {
    await withTimeout(
      writeAll(transport, bytes),
      options.timeouts.network,
      () => new AssociationTimeoutError("network", "Network timeout reached"),
    );
    emit({ type: "pdu-sent", pdu: rq });
  } catch (err) {
    transport.close();
    if (err instanceof AssociationTimeoutError || err instanceof TransportError) throw err;
    throw new ConnectionClosedError(`Connection closed while sending the association request`);
  }
  let pdu: Pdu | null;
  try {
    pdu = await withTimeout(
      reader.read(),
      options.timeouts.acse,
      () =>
        new AssociationTimeoutError(
          "acse",
          "ACSE timeout reached while waiting for response to association request",
        ),
    );
  } catch (err) {
    if (err instanceof AssociationTimeoutError) {
      emit({ type: "aborting", error: err });
      await sendAbortAndClose(transport, emit, 0, 0);
      throw err;
    }
    if (err instanceof PduError) {
      // PS3.8 AA-8: an invalid PDU is answered with A-ABORT (provider), like the default case.
      const e = new ProtocolError("Received an invalid A-ASSOCIATE response from the peer", {
        cause: err,
      });
      emit({ type: "aborting", error: e });
      await sendAbortAndClose(transport, emit, 2, abortReason(err));
      throw e;
    }
    transport.close();
    // A transport error names its cause (the peer refused our TLS certificate, say).
    if (err instanceof TransportError) throw err;
    throw new ConnectionClosedError("Connection closed while waiting for association response");
  }
  if (pdu === null) {
    transport.close();
    throw new ConnectionClosedError("Connection closed while waiting for association response");
  }
  emit({ type: "pdu-received", pdu });
  switch (pdu.type) {
    case PduType.AssociateAC: {
      if (!identityConfirmed(rq.userInfo.userIdentity, pdu.userInfo.userIdentityResponse)) {
        const e = new UserIdentityNotConfirmedError();
        emit({ type: "aborting", error: e });
        await sendAbortAndClose(transport, emit, 0, 0);
        throw e;
      }
      return { reader, rq, ac: pdu };
    }
    case PduType.AssociateRJ:
      transport.close();
      throw new AssociationRejectedError(pdu);
    case PduType.Abort:
      transport.close();
      throw new AssociationAbortedError("Association Aborted", pdu);
    default: {
      const err = new ProtocolError("Received an invalid A-ASSOCIATE response from the peer");
      emit({ type: "aborting", error: err });
      await sendAbortAndClose(transport, emit, 2, 2);
      throw err;
    }
  }
}

/**
 * Reads the A-ASSOCIATE-RQ (within the ACSE timeout) and answers with what `decide` returns
 * (acceptor). Resolves `null`, the transport closed, when it rejected or the peer went away or
 * broke the protocol before asking.
 *
 * @example
 * ```ts ignore
 * const h = await acceptHandshake(transport, (rq) => negotiateAsAcceptor(rq, policy), options);
 * ```
 */
export async function acceptHandshake(
  transport: Transport,
  decide: (rq: AssociateRQ) => AssociateAC | AssociateRJ | Promise<AssociateAC | AssociateRJ>,
  options: AssociationOptions,
): Promise<Handshake | null> {
  const reader = new PduReader(transport, { maxPduLength: options.maxPduLength });
  const emit = options.listener ?? (() => {});
  let pdu: Pdu | null;
  try {
    pdu = await withTimeout(
      reader.read(),
      options.timeouts.acse,
      () => new AssociationTimeoutError("acse", "ACSE timeout waiting for association request"),
    );
  } catch (err) {
    if (err instanceof PduError) await sendAbortAndClose(transport, emit, 2, abortReason(err));
    else transport.close();
    return null;
  }
  if (pdu === null) {
    transport.close();
    return null;
  }
  emit({ type: "pdu-received", pdu });
  if (pdu.type !== PduType.AssociateRQ) {
    await sendAbortAndClose(transport, emit, 2, 2);
    return null;
  }
  const answer = await decide(pdu);
  try {
    await writeAll(transport, encodePdu(answer));
    emit({ type: "pdu-sent", pdu: answer });
  } catch {
    transport.close();
    return null;
  }
  if (answer.type === PduType.AssociateRJ) {
    // Give the peer a moment to read the RJ before the close.
    await new Promise((r) => setTimeout(r, 10));
    transport.close();
    return null;
  }
  return { reader, rq: pdu, ac: answer };
}

/**
 * The A-ABORT reason for a PDU that can't be read (PS3.8 9.3.8): 1 for an unrecognized PDU
 * type, 6 (invalid PDU parameter value) otherwise.
 *
 * @example
 * ```ts ignore
 * abortReason(new PduError("unknown-type", "PDU type 0x42")); // 1
 * ```
 */
export function abortReason(err: PduError): number {
  return err.code === "unknown-type" ? 1 : 6;
}

/**
 * Sends A-ABORT (giving up after a second: it may wait behind a blocked write) and closes the
 * transport; `write` is how the association writes (behind its write lock, once established).
 *
 * @example
 * ```ts ignore
 * await sendAbortAndClose(transport, emit, 2, 2); // provider abort, unexpected PDU
 * ```
 */
export async function sendAbortAndClose(
  transport: Transport,
  emit: AssociationListener,
  source: number,
  reason: number,
  write: (bytes: Uint8Array) => Promise<void> = (bytes) => writeAll(transport, bytes),
): Promise<void> {
  const pdu: Abort = { type: PduType.Abort, source, reason };
  try {
    await withTimeout(write(encodePdu(pdu)), 1, () => new Error("timeout"));
    emit({ type: "pdu-sent", pdu });
  } catch {
    // peer gone; nothing more to say
  }
  transport.close();
}
