/**
 * C-STORE and C-ECHO request and response messages (PS3.7 sections 9.3.1 and 9.3.5), as
 * typed objects, and their command-set encoding.
 *
 * @module
 */

import {
  type CommandSet,
  CommandSetError,
  decodeCommandSet,
  encodeCommandSet,
  NO_DATA_SET,
  Tag,
} from "./command.ts";
import { VERIFICATION_SOP_CLASS } from "../uids.ts";

/** Command Field values (PS3.7 annex E). */
export const CommandField = {
  CStoreRQ: 0x0001,
  CStoreRSP: 0x8001,
  CEchoRQ: 0x0030,
  CEchoRSP: 0x8030,
} as const;

/** C-STORE priority values. */
export const Priority = { Medium: 0x0000, High: 0x0001, Low: 0x0002 } as const;

/** A C-STORE request. */
export interface CStoreRQ {
  /** Discriminates the message type. */
  kind: "C-STORE-RQ";
  /** Message ID (0000,0110). */
  messageId: number;
  /** Affected SOP Class UID (0000,0002). */
  affectedSopClassUid: string;
  /** Affected SOP Instance UID (0000,1000). */
  affectedSopInstanceUid: string;
  /** 0 medium, 1 high, 2 low. */
  priority: number;
  /** Move Originator AE Title (0000,1030), for stores on behalf of a C-MOVE. */
  moveOriginatorAeTitle?: string;
  /** Move Originator Message ID (0000,1031). */
  moveOriginatorMessageId?: number;
}

/** A C-STORE response. */
export interface CStoreRSP {
  /** Discriminates the message type. */
  kind: "C-STORE-RSP";
  /** Message ID Being Responded To (0000,0120). */
  messageIdBeingRespondedTo: number;
  /** Affected SOP Class UID (0000,0002). */
  affectedSopClassUid?: string;
  /** Affected SOP Instance UID (0000,1000). */
  affectedSopInstanceUid?: string;
  /** Status (0000,0900). */
  status: number;
  /** Error Comment (0000,0902), when the peer sent one. */
  errorComment?: string;
  /** Offending Element (0000,0901), raw AT values. */
  offendingElement?: Uint8Array;
}

/** A C-ECHO request. */
export interface CEchoRQ {
  /** Discriminates the message type. */
  kind: "C-ECHO-RQ";
  /** Message ID (0000,0110). */
  messageId: number;
  /** Affected SOP Class UID (0000,0002). */
  affectedSopClassUid: string;
}

/** A C-ECHO response. */
export interface CEchoRSP {
  /** Discriminates the message type. */
  kind: "C-ECHO-RSP";
  /** Message ID Being Responded To (0000,0120). */
  messageIdBeingRespondedTo: number;
  /** Affected SOP Class UID (0000,0002). */
  affectedSopClassUid?: string;
  /** Status (0000,0900). */
  status: number;
}

/** A command this tool understands, or an `Other` with the raw command set. */
export type DimseCommand = CStoreRQ | CStoreRSP | CEchoRQ | CEchoRSP | OtherCommand;

/** A command set with a Command Field this tool does not implement. */
export interface OtherCommand {
  /** Discriminates the message type. */
  kind: "Other";
  /** Command Field (0000,0100). */
  commandField: number;
  /** All command elements as decoded. */
  elements: CommandSet;
}

/**
 * Encodes a command as its command set bytes; `hasDataSet` sets (0000,0800).
 *
 * @example
 * ```ts
 * import { encodeCommand } from "jsr:@x/storescu/dimse";
 * const bytes = encodeCommand({
 *   kind: "C-ECHO-RQ",
 *   messageId: 1,
 *   affectedSopClassUid: "1.2.840.10008.1.1",
 * });
 * bytes.length; // 68
 * ```
 */
export function encodeCommand(command: DimseCommand, hasDataSet?: boolean): Uint8Array {
  const m: CommandSet = new Map();
  switch (command.kind) {
    case "C-STORE-RQ":
      m.set(Tag.AffectedSopClassUid, command.affectedSopClassUid);
      m.set(Tag.CommandField, CommandField.CStoreRQ);
      m.set(Tag.MessageId, command.messageId);
      m.set(Tag.Priority, command.priority);
      m.set(Tag.CommandDataSetType, hasDataSet === false ? NO_DATA_SET : 0x0001);
      m.set(Tag.AffectedSopInstanceUid, command.affectedSopInstanceUid);
      if (command.moveOriginatorAeTitle !== undefined) {
        m.set(Tag.MoveOriginatorAeTitle, command.moveOriginatorAeTitle);
      }
      if (command.moveOriginatorMessageId !== undefined) {
        m.set(Tag.MoveOriginatorMessageId, command.moveOriginatorMessageId);
      }
      break;
    case "C-STORE-RSP":
      if (command.affectedSopClassUid !== undefined) {
        m.set(Tag.AffectedSopClassUid, command.affectedSopClassUid);
      }
      m.set(Tag.CommandField, CommandField.CStoreRSP);
      m.set(Tag.MessageIdBeingRespondedTo, command.messageIdBeingRespondedTo);
      m.set(Tag.CommandDataSetType, NO_DATA_SET);
      m.set(Tag.Status, command.status);
      if (command.offendingElement) m.set(Tag.OffendingElement, command.offendingElement);
      if (command.errorComment !== undefined) m.set(Tag.ErrorComment, command.errorComment);
      if (command.affectedSopInstanceUid !== undefined) {
        m.set(Tag.AffectedSopInstanceUid, command.affectedSopInstanceUid);
      }
      break;
    case "C-ECHO-RQ":
      m.set(Tag.AffectedSopClassUid, command.affectedSopClassUid);
      m.set(Tag.CommandField, CommandField.CEchoRQ);
      m.set(Tag.MessageId, command.messageId);
      m.set(Tag.CommandDataSetType, NO_DATA_SET);
      break;
    case "C-ECHO-RSP":
      m.set(Tag.AffectedSopClassUid, command.affectedSopClassUid ?? VERIFICATION_SOP_CLASS);
      m.set(Tag.CommandField, CommandField.CEchoRSP);
      m.set(Tag.MessageIdBeingRespondedTo, command.messageIdBeingRespondedTo);
      m.set(Tag.CommandDataSetType, NO_DATA_SET);
      m.set(Tag.Status, command.status);
      break;
    case "Other":
      for (const [k, v] of command.elements) m.set(k, v);
      m.set(Tag.CommandField, command.commandField);
      break;
  }
  return encodeCommandSet(m);
}

function num(m: CommandSet, tag: number, what: string): number {
  const v = m.get(tag);
  if (typeof v !== "number") throw new CommandSetError(`${what} is missing or malformed`);
  return v;
}

function optText(m: CommandSet, tag: number): string | undefined {
  const v = m.get(tag);
  return typeof v === "string" ? v : undefined;
}

/** A decoded command plus whether a data set follows it. */
export interface DecodedCommand {
  /** The decoded command. */
  command: DimseCommand;
  /** A data set follows the command. */
  hasDataSet: boolean;
}

/**
 * Decodes command set bytes into a typed command.
 *
 * @example
 * ```ts
 * import { decodeCommand, encodeCommand } from "jsr:@x/storescu/dimse";
 * const bytes = encodeCommand({ kind: "C-ECHO-RSP", messageIdBeingRespondedTo: 1, status: 0 });
 * decodeCommand(bytes).command.kind; // "C-ECHO-RSP"
 * ```
 */
export function decodeCommand(bytes: Uint8Array): DecodedCommand {
  const m = decodeCommandSet(bytes);
  const field = num(m, Tag.CommandField, "(0000,0100) Command Field");
  const dataSetType = m.get(Tag.CommandDataSetType);
  const hasDataSet = typeof dataSetType === "number" && dataSetType !== NO_DATA_SET;
  switch (field) {
    case CommandField.CStoreRQ: {
      const rq: CStoreRQ = {
        kind: "C-STORE-RQ",
        messageId: num(m, Tag.MessageId, "(0000,0110) Message ID"),
        affectedSopClassUid: optText(m, Tag.AffectedSopClassUid) ?? "",
        affectedSopInstanceUid: optText(m, Tag.AffectedSopInstanceUid) ?? "",
        priority: typeof m.get(Tag.Priority) === "number" ? m.get(Tag.Priority) as number : 0,
      };
      const origAe = optText(m, Tag.MoveOriginatorAeTitle);
      if (origAe !== undefined) rq.moveOriginatorAeTitle = origAe;
      const origId = m.get(Tag.MoveOriginatorMessageId);
      if (typeof origId === "number") rq.moveOriginatorMessageId = origId;
      return { command: rq, hasDataSet };
    }
    case CommandField.CStoreRSP: {
      const rsp: CStoreRSP = {
        kind: "C-STORE-RSP",
        messageIdBeingRespondedTo: num(
          m,
          Tag.MessageIdBeingRespondedTo,
          "(0000,0120) Message ID Being Responded To",
        ),
        status: num(m, Tag.Status, "(0000,0900) Status"),
      };
      const cls = optText(m, Tag.AffectedSopClassUid);
      if (cls !== undefined) rsp.affectedSopClassUid = cls;
      const inst = optText(m, Tag.AffectedSopInstanceUid);
      if (inst !== undefined) rsp.affectedSopInstanceUid = inst;
      const comment = optText(m, Tag.ErrorComment);
      if (comment !== undefined) rsp.errorComment = comment;
      const off = m.get(Tag.OffendingElement);
      if (off instanceof Uint8Array) rsp.offendingElement = off;
      return { command: rsp, hasDataSet };
    }
    case CommandField.CEchoRQ:
      return {
        command: {
          kind: "C-ECHO-RQ",
          messageId: num(m, Tag.MessageId, "(0000,0110) Message ID"),
          affectedSopClassUid: optText(m, Tag.AffectedSopClassUid) ?? VERIFICATION_SOP_CLASS,
        },
        hasDataSet,
      };
    case CommandField.CEchoRSP: {
      const rsp: CEchoRSP = {
        kind: "C-ECHO-RSP",
        messageIdBeingRespondedTo: num(
          m,
          Tag.MessageIdBeingRespondedTo,
          "(0000,0120) Message ID Being Responded To",
        ),
        status: num(m, Tag.Status, "(0000,0900) Status"),
      };
      const cls = optText(m, Tag.AffectedSopClassUid);
      if (cls !== undefined) rsp.affectedSopClassUid = cls;
      return { command: rsp, hasDataSet };
    }
    default:
      return { command: { kind: "Other", commandField: field, elements: m }, hasDataSet };
  }
}
