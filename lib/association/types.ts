/**
 * The shapes an association is configured and observed with: its timeouts and options, what it
 * accepted, and the events it reports (the `-d` dumps subscribe to them; protocol code logs
 * nothing).
 *
 * @module
 */

import type { Pdu } from "../pdu/types.ts";
import type { DimseCommand } from "../dimse/messages.ts";

/** Timeouts in seconds; `null` waits for ever. */
export interface Timeouts {
  /** -ta: waiting for A-ASSOCIATE-AC/RJ and for A-RELEASE-RP. */
  acse: number | null;
  /** -td: waiting for a DIMSE message (the C-STORE-RSP). */
  dimse: number | null;
  /** -tn: a single network write (or connect) that makes no progress. */
  network: number | null;
}

/** What an association reports to its listeners (the `-d` dumps subscribe to these). */
export type AssociationEvent =
  | { type: "pdu-sent"; pdu: Pdu }
  | { type: "pdu-received"; pdu: Pdu }
  | { type: "dimse-sent"; command: DimseCommand; contextId: number; hasDataSet: boolean }
  | { type: "dimse-received"; command: DimseCommand; contextId: number; hasDataSet: boolean }
  | { type: "data-sent"; contextId: number; bytes: number }
  | { type: "aborting"; error?: Error };

/** A listener for {@link AssociationEvent}s. */
export type AssociationListener = (event: AssociationEvent) => void;

/** An accepted presentation context: the proposal's abstract syntax and the chosen TS. */
export interface AcceptedContext {
  /** Presentation context id (odd, 1..255). */
  id: number;
  /** The SOP class (abstract syntax) UID. */
  abstractSyntax: string;
  /** The accepted transfer syntax UID. */
  transferSyntax: string;
}

/** Options shared by both roles. */
export interface AssociationOptions {
  /** ACSE, DIMSE and network timeouts. */
  timeouts: Timeouts;
  /** Our Maximum Length Received (P-DATA-TF PDU body); 0 = unlimited. */
  maxPduLength: number;
  /** Receives every event; protocol code itself never logs. */
  listener?: AssociationListener;
}
