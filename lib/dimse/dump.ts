/**
 * The `-d` dump of a DIMSE message in the reference tool's wording.
 *
 * @module
 */

import type { DimseCommand } from "./messages.ts";
import { hexStatus, statusCategory } from "./status.ts";
import { uidNameOrUid } from "../uids.ts";
import { banner } from "../pdu/dump.ts";

const PRIORITY = ["Medium", "High", "Low"];

function row(label: string, value: string | number): string {
  return `${label.padEnd(30)}: ${value}`;
}

/**
 * Dump lines (without the `D: ` prefix) for a DIMSE message.
 *
 * @example
 * ```ts
 * import { dumpDimse } from "jsr:@x/storescu/dimse";
 * const lines = dumpDimse({
 *   kind: "C-ECHO-RQ",
 *   messageId: 1,
 *   affectedSopClassUid: "1.2.840.10008.1.1",
 * }, "outgoing", 1, false);
 * lines[1]; // "Message Type                  : C-ECHO RQ"
 * ```
 */
export function dumpDimse(
  cmd: DimseCommand,
  direction: "outgoing" | "incoming",
  contextId: number,
  hasDataSet: boolean,
): string[] {
  const out = [banner(`${direction === "outgoing" ? "OUTGOING" : "INCOMING"} DIMSE MESSAGE`)];
  switch (cmd.kind) {
    case "C-STORE-RQ":
      out.push(row("Message Type", "C-STORE RQ"));
      if (direction === "incoming") out.push(row("Presentation Context ID", contextId));
      out.push(row("Message ID", cmd.messageId));
      out.push(row("Affected SOP Class UID", uidNameOrUid(cmd.affectedSopClassUid)));
      out.push(row("Affected SOP Instance UID", cmd.affectedSopInstanceUid));
      if (cmd.moveOriginatorAeTitle !== undefined) {
        out.push(row("Move Originator", cmd.moveOriginatorAeTitle));
      }
      out.push(row("Data Set", hasDataSet ? "Present" : "None"));
      out.push(row("Priority", PRIORITY[cmd.priority] ?? String(cmd.priority)));
      break;
    case "C-STORE-RSP":
      out.push(row("Message Type", "C-STORE RSP"));
      if (direction === "incoming") out.push(row("Presentation Context ID", contextId));
      out.push(row("Message ID Being Responded To", cmd.messageIdBeingRespondedTo));
      if (cmd.affectedSopClassUid !== undefined) {
        out.push(row("Affected SOP Class UID", uidNameOrUid(cmd.affectedSopClassUid)));
      }
      if (cmd.affectedSopInstanceUid !== undefined) {
        out.push(row("Affected SOP Instance UID", cmd.affectedSopInstanceUid));
      }
      out.push(row("Status", `${hexStatus(cmd.status)} - ${statusCategory(cmd.status)}`));
      break;
    case "C-ECHO-RQ":
      out.push(row("Message Type", "C-ECHO RQ"));
      if (direction === "incoming") out.push(row("Presentation Context ID", contextId));
      out.push(row("Message ID", cmd.messageId));
      out.push(row("Data Set", hasDataSet ? "Present" : "None"));
      break;
    case "C-ECHO-RSP":
      out.push(row("Message Type", "C-ECHO RSP"));
      if (direction === "incoming") out.push(row("Presentation Context ID", contextId));
      out.push(row("Message ID Being Responded To", cmd.messageIdBeingRespondedTo));
      out.push(row("Status", `${hexStatus(cmd.status)} - ${statusCategory(cmd.status)}`));
      break;
    case "Other":
      out.push(row("Message Type", `0x${cmd.commandField.toString(16).padStart(4, "0")}`));
      out.push(row("Presentation Context ID", contextId));
      break;
  }
  out.push(banner("END DIMSE MESSAGE"));
  return out;
}
