/**
 * C-ECHO (the Verification SOP Class, PS3.7 9.1.5 and PS3.4 annex A): asks a peer whether it
 * is there and speaks DICOM, over an association of its own.
 *
 * @module
 */

import {
  Association,
  type AssociationListener,
  ProtocolError,
  type Timeouts,
} from "./association.ts";
import { buildAssociateRQ } from "./acse.ts";
import { connect, type ConnectOptions } from "./connect.ts";
import type { Transport } from "./transport.ts";
import type { TlsClientOptions } from "./tls/options.ts";
import { type UserIdentityRequest, userIdentitySubItem } from "./user_identity.ts";
import { type CEchoRQ, type CEchoRSP, encodeCommand } from "./dimse/messages.ts";
import { EXPLICIT_VR_LE, IMPLICIT_VR_LE, VERIFICATION_SOP_CLASS } from "./uids.ts";
import { NoAcceptedContextsError } from "./send/types.ts";
import { validateConnectionOptions } from "./send/options.ts";

/** What {@link echo} needs. Only `address` and `port` are required. */
export interface EchoOptions {
  /** Peer host name or IP address. */
  address: string;
  /** Peer TCP port. */
  port: number;
  /** Default `STORESCU`. */
  callingAeTitle?: string;
  /** Default `ANY-SCP`. */
  calledAeTitle?: string;
  /** Seconds; each defaults to 30. `null` waits for ever. */
  timeouts?: Partial<Timeouts>;
  /** Our Maximum Length Received; default 16382; 0 = unlimited. */
  maxPduLength?: number;
  /** Progress, for `-v` lines. */
  onEvent?: (event: EchoEvent) => void;
  /** The association's PDU/DIMSE events (the `-d` dumps). */
  associationListener?: AssociationListener;
  /** DICOM over TLS, as for `storeFiles` (default: plain TCP). */
  tls?: TlsClientOptions;
  /** A user identity sent in the association request, as for `storeFiles`. */
  userIdentity?: UserIdentityRequest;
  /** Opens the byte pipe (default: TCP, or TLS when `tls` is set). */
  connect?: (options: ConnectOptions) => Promise<Transport>;
}

/** The steps of an echo, in order. */
export type EchoEvent =
  | { type: "association-requesting" }
  | { type: "association-accepted"; association: Association }
  | { type: "echo-request"; request: CEchoRQ }
  | { type: "echo-response"; response: CEchoRSP }
  | { type: "association-releasing" };

/** What the peer answered. */
export interface EchoResult {
  /** The C-ECHO-RSP status: 0x0000 is Success. */
  status: number;
  /** Milliseconds from the C-ECHO-RQ to its response. */
  ms: number;
  /** Milliseconds from the connect to the A-ASSOCIATE-AC. */
  associationMs: number;
  /** The transfer syntax the peer accepted for Verification. */
  transferSyntaxUid: string;
  /** The peer's Implementation Class UID, Version Name and Maximum Length Received. */
  peer: {
    implementationClassUid?: string;
    implementationVersionName?: string;
    maxPduLength: number;
  };
}

/**
 * Sends one C-ECHO to the peer over a new association (proposing Verification with Implicit
 * and Explicit VR Little Endian) and releases it. Resolves with the response's status, even a
 * non-Success one. Rejects with a `StoreOptionsError` for a wrong option (checked before
 * connecting), and with the association layer's typed errors when no answer came:
 * `ConnectError`, `AssociationRejectedError`, `AssociationAbortedError`,
 * `AssociationTimeoutError`, `ConnectionClosedError`, `ProtocolError` (an invalid response), or
 * {@link NoAcceptedContextsError} when the peer refused Verification.
 *
 * @example
 * ```ts ignore
 * import { echo } from "jsr:@x/storescu";
 * const r = await echo({ address: "127.0.0.1", port: 11112, calledAeTitle: "PACS" });
 * console.log(r.status === 0 ? `alive (${r.ms} ms)` : `status ${r.status}`);
 * ```
 */
export async function echo(options: EchoOptions): Promise<EchoResult> {
  validateConnectionOptions(options);
  const emit = options.onEvent ?? (() => {});
  const timeouts: Timeouts = {
    acse: options.timeouts?.acse === undefined ? 30 : options.timeouts.acse,
    dimse: options.timeouts?.dimse === undefined ? 30 : options.timeouts.dimse,
    network: options.timeouts?.network === undefined ? 30 : options.timeouts.network,
  };
  const maxPduLength = options.maxPduLength ?? 16382;
  emit({ type: "association-requesting" });
  const started = performance.now();
  const userIdentity = options.userIdentity && userIdentitySubItem(options.userIdentity);
  const transport = await (options.connect ?? connect)({
    hostname: options.address,
    port: options.port,
    timeoutSeconds: timeouts.network,
    tls: options.tls,
  });
  const rq = buildAssociateRQ({
    callingAeTitle: options.callingAeTitle ?? "STORESCU",
    calledAeTitle: options.calledAeTitle ?? "ANY-SCP",
    presentationContexts: [{
      id: 1,
      abstractSyntax: VERIFICATION_SOP_CLASS,
      transferSyntaxes: [IMPLICIT_VR_LE, EXPLICIT_VR_LE],
    }],
    maxPduLength,
    userIdentity,
  });
  const assoc = await Association.request(transport, rq, {
    timeouts,
    maxPduLength,
    listener: options.associationListener,
  });
  const associationMs = performance.now() - started;
  const context = assoc.contexts.get(1);
  if (!context) {
    // Like a store run with nothing accepted: a provider A-ABORT.
    await assoc.abort(undefined, 2);
    throw new NoAcceptedContextsError();
  }
  emit({ type: "association-accepted", association: assoc });
  const request: CEchoRQ = {
    kind: "C-ECHO-RQ",
    messageId: 1,
    affectedSopClassUid: VERIFICATION_SOP_CLASS,
  };
  const sent = performance.now();
  let response: CEchoRSP;
  try {
    emit({ type: "echo-request", request });
    await assoc.sendMessage(context.id, encodeCommand(request), request);
    const { command } = await assoc.receiveMessage();
    if (command.kind !== "C-ECHO-RSP" || command.messageIdBeingRespondedTo !== 1) {
      const err = new ProtocolError("Received an invalid C-ECHO-RSP response from the peer");
      await assoc.abort(err);
      throw err;
    }
    response = command;
  } catch (err) {
    await assoc.abort(err instanceof Error ? err : undefined);
    throw err;
  }
  const ms = performance.now() - sent;
  emit({ type: "echo-response", response });
  emit({ type: "association-releasing" });
  await assoc.release();
  const ui = assoc.accept.userInfo;
  return {
    status: response.status,
    ms,
    associationMs,
    transferSyntaxUid: context.transferSyntax,
    peer: {
      implementationClassUid: ui.implementationClassUid,
      implementationVersionName: ui.implementationVersionName,
      maxPduLength: assoc.peerMaxPduLength,
    },
  };
}
