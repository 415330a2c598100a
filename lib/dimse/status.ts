/**
 * Status codes of the Storage service class (PS3.4 annex B.2.3) and the general statuses of
 * PS3.7 annex C, classified the way the reference tool logs them.
 *
 * @module
 */

/** The class of a DIMSE status. */
export type StatusCategory = "Success" | "Warning" | "Failure" | "Cancel" | "Pending" | "Unknown";

const MEANINGS: ReadonlyMap<number, string> = new Map([
  [0x0000, "Success"],
  [0x0105, "No such attribute"],
  [0x0106, "Invalid attribute value"],
  [0x0107, "Attribute list error"],
  [0x0110, "Processing failure"],
  [0x0111, "Duplicate SOP Instance"],
  [0x0112, "No such SOP Instance"],
  [0x0113, "No such event type"],
  [0x0114, "No such argument"],
  [0x0115, "Invalid argument value"],
  [0x0116, "Attribute value out of range"],
  [0x0117, "Invalid object instance"],
  [0x0118, "No such SOP Class"],
  [0x0119, "Class-instance conflict"],
  [0x0120, "Missing attribute"],
  [0x0121, "Missing attribute value"],
  [0x0122, "SOP Class not supported"],
  [0x0123, "No such action"],
  [0x0124, "Refused: not authorised"],
  [0x0210, "Duplicate invocation"],
  [0x0211, "Unrecognised operation"],
  [0x0212, "Mistyped argument"],
  [0x0213, "Resource limitation"],
  [0xB000, "Coercion of data elements"],
  [0xB006, "Elements discarded"],
  [0xB007, "Data set does not match SOP Class"],
  [0xFE00, "Cancel"],
  [0xFF00, "Pending"],
  [0xFF01, "Pending"],
]);

/**
 * Classifies a C-STORE response status as the reference tool does (PS3.4 B.2.3 plus the
 * general statuses): anything outside the known ranges, pending included, is `Unknown` for
 * the log text; {@link storeStatusCategory} gives `Pending` separately for callers.
 *
 * @example
 * ```ts
 * import { statusCategory } from "jsr:@x/storescu/dimse";
 * statusCategory(0xA700); // "Failure"
 * statusCategory(0xB000); // "Warning"
 * statusCategory(0x1234); // "Unknown"
 * ```
 */
export function statusCategory(status: number): StatusCategory {
  if (status === 0x0000) return "Success";
  if ([0xB000, 0xB006, 0xB007, 0x0107, 0x0116].includes(status)) return "Warning";
  if (
    (status >= 0xA700 && status <= 0xA7FF) ||
    (status >= 0xA900 && status <= 0xA9FF) ||
    (status >= 0xC000 && status <= 0xCFFF) ||
    status === 0x0105 || status === 0x0106 ||
    (status >= 0x0110 && status <= 0x0115) ||
    (status >= 0x0117 && status <= 0x0119) ||
    (status >= 0x0120 && status <= 0x0124) ||
    (status >= 0x0210 && status <= 0x0213)
  ) return "Failure";
  if (status === 0xFE00) return "Cancel";
  return "Unknown";
}

/**
 * Like {@link statusCategory} but reports 0xFF00/0xFF01 as `Pending`.
 *
 * @example
 * ```ts
 * import { storeStatusCategory } from "jsr:@x/storescu/dimse";
 * storeStatusCategory(0xFF00); // "Pending"
 * ```
 */
export function storeStatusCategory(status: number): StatusCategory {
  if (status === 0xFF00 || status === 0xFF01) return "Pending";
  return statusCategory(status);
}

/**
 * A human meaning for a C-STORE status, e.g. "Refused: Out of Resources".
 *
 * @example
 * ```ts
 * import { statusMeaning } from "jsr:@x/storescu/dimse";
 * statusMeaning(0xA700); // "Refused: Out of Resources"
 * statusMeaning(0xC123); // "Error: Cannot understand"
 * ```
 */
export function statusMeaning(status: number): string {
  const known = MEANINGS.get(status);
  if (known) return known;
  if (status >= 0xA700 && status <= 0xA7FF) return "Refused: Out of Resources";
  if (status >= 0xA900 && status <= 0xA9FF) return "Error: Data Set does not match SOP Class";
  if (status >= 0xC000 && status <= 0xCFFF) return "Error: Cannot understand";
  return "Unknown status";
}

/**
 * Formats a status as `0xA700` (four upper-case hex digits).
 *
 * @example
 * ```ts
 * import { hexStatus } from "jsr:@x/storescu/dimse";
 * hexStatus(0xb000); // "0xB000"
 * ```
 */
export function hexStatus(status: number): string {
  return "0x" + status.toString(16).toUpperCase().padStart(4, "0");
}
