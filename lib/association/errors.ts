/**
 * How an association ends other than by our own release: rejected, aborted, timed out, closed,
 * broken by the peer, or released by it. Each is one line for the log and the file's account.
 *
 * @module
 */

import type { Abort, AssociateRJ } from "../pdu/types.ts";

/** The peer answered the A-ASSOCIATE-RQ with an A-ASSOCIATE-RJ. */
export class AssociationRejectedError extends Error {
  /** The reject PDU. */
  readonly reject: AssociateRJ;
  /**
   * Creates the error.
   * @param reject the A-ASSOCIATE-RJ received
   */
  constructor(reject: AssociateRJ) {
    super("Association Rejected");
    this.name = "AssociationRejectedError";
    this.reject = reject;
  }
}

/** The association ended by A-ABORT (either side) or a provider abort. */
export class AssociationAbortedError extends Error {
  /** The A-ABORT received from the peer, when there was one. */
  readonly abort?: Abort;
  /**
   * Creates it.
   * @param message one line for the log
   * @param abort the peer's A-ABORT PDU, if any
   */
  constructor(message: string, abort?: Abort) {
    super(message);
    this.name = "AssociationAbortedError";
    this.abort = abort;
  }
}

/** A timer ran out. `kind` says which. */
export class AssociationTimeoutError extends Error {
  /** Which timeout fired. */
  readonly kind: "acse" | "dimse" | "network";
  /**
   * Creates it.
   * @param kind which timer
   * @param message one line for the log
   */
  constructor(kind: "acse" | "dimse" | "network", message: string) {
    super(message);
    this.name = "AssociationTimeoutError";
    this.kind = kind;
  }
}

/** The TCP connection closed without a release or abort. */
export class ConnectionClosedError extends Error {
  /**
   * Creates the error.
   * @param message one line for the log
   */
  constructor(message = "Connection closed") {
    super(message);
    this.name = "ConnectionClosedError";
  }
}

/** The peer broke the protocol (bad PDU, PDU out of sequence, unknown context...). */
export class ProtocolError extends Error {
  /**
   * Creates the error.
   * @param message one line for the log
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ProtocolError";
  }
}

/** The peer released the association (it sent A-RELEASE-RQ, or answered ours). */
export class AssociationReleasedError extends Error {
  /**
   * Creates the error.
   * @param message one line for the log
   */
  constructor(message = "Association released") {
    super(message);
    this.name = "AssociationReleasedError";
  }
}
