/**
 * The ACSE words: an A-ASSOCIATE-RJ's result, source and reason (PS3.8 table 9-21) and an
 * A-ABORT's source and reason (table 9-26), as pynetdicom words them, for the `-d` dumps and
 * for the rejection lines every run may log.
 *
 * @module
 */

/** What a dump or log line says for a value the tables don't name. */
export const NO_VALUE = "(no value available)";

/**
 * Result text of an A-ASSOCIATE-RJ as the `-d` dump words it ("Rejected (Permanent)").
 *
 * @example
 * ```ts
 * import { rjResultDumpText } from "jsr:@x/storescu/pdu";
 * rjResultDumpText(2); // "Rejected (Transient)"
 * ```
 */
export function rjResultDumpText(result: number): string {
  return ({ 1: "Rejected (Permanent)", 2: "Rejected (Transient)" } as Record<number, string>)[
    result
  ] ?? NO_VALUE;
}

/**
 * Source text of an A-ASSOCIATE-RJ as the `-d` dump words it ("DUL service-user").
 *
 * @example
 * ```ts
 * import { rjSourceDumpText } from "jsr:@x/storescu/pdu";
 * rjSourceDumpText(2); // "DUL service-provider (ACSE related)"
 * ```
 */
export function rjSourceDumpText(source: number): string {
  return ({
    1: "DUL service-user",
    2: "DUL service-provider (ACSE related)",
    3: "DUL service-provider (presentation related)",
  } as Record<number, string>)[source] ?? NO_VALUE;
}

/** Reason tables by source (PS3.8 table 9-21), worded as pynetdicom does. */
const REJECT_REASONS: Record<number, Record<number, string>> = {
  1: {
    1: "No reason given",
    2: "Application context name not supported",
    3: "Calling AE title not recognised",
    4: "Reserved",
    5: "Reserved",
    6: "Reserved",
    7: "Called AE title not recognised",
    8: "Reserved",
    9: "Reserved",
    10: "Reserved",
  },
  2: { 1: "No reason given", 2: "Protocol version not supported" },
  3: {
    0: "Reserved",
    1: "Temporary congestion",
    2: "Local limit exceeded",
    3: "Reserved",
    4: "Reserved",
    5: "Reserved",
    6: "Reserved",
    7: "Reserved",
  },
};

/**
 * The result text of a rejection for the non-debug log line
 * (`E: Result: Rejected Permanent, Source: Service User`).
 *
 * @example
 * ```ts
 * import { rejectResultText } from "jsr:@x/storescu/pdu";
 * rejectResultText(1); // "Rejected Permanent"
 * rejectResultText(9); // "(no value available)"
 * ```
 */
export function rejectResultText(result: number): string {
  return ({ 0: "Accepted", 1: "Rejected Permanent", 2: "Rejected Transient" } as Record<
    number,
    string
  >)[result] ?? NO_VALUE;
}

/**
 * The source text of a rejection for the non-debug log line.
 *
 * @example
 * ```ts
 * import { rejectSourceText } from "jsr:@x/storescu/pdu";
 * rejectSourceText(1); // "Service User"
 * ```
 */
export function rejectSourceText(source: number): string {
  return ({
    1: "Service User",
    2: "Service Provider (ACSE)",
    3: "Service Provider (Presentation)",
  } as Record<number, string>)[source] ?? NO_VALUE;
}

/**
 * The reason text of a rejection (`E: Reason: Called AE title not recognised`); the same
 * wording is used in the `-d` dump.
 *
 * @example
 * ```ts
 * import { rejectReasonText } from "jsr:@x/storescu/pdu";
 * rejectReasonText(1, 7); // "Called AE title not recognised"
 * rejectReasonText(2, 7); // "(no value available)"
 * ```
 */
export function rejectReasonText(source: number, reason: number): string {
  return REJECT_REASONS[source]?.[reason] ?? NO_VALUE;
}

/**
 * Source text of an A-ABORT (PS3.8 table 9-26), as pynetdicom words it.
 *
 * @example
 * ```ts
 * import { abortSourceText } from "jsr:@x/storescu/pdu";
 * abortSourceText(0); // "DUL service-user"
 * ```
 */
export function abortSourceText(source: number): string {
  return ["DUL service-user", "Reserved", "DUL service-provider"][source] ?? NO_VALUE;
}

/**
 * Reason text of an A-ABORT; only meaningful when the source is 2 (service-provider).
 *
 * @example
 * ```ts
 * import { abortReasonText } from "jsr:@x/storescu/pdu";
 * abortReasonText(2, 2); // "Unexpected PDU"
 * abortReasonText(0, 0); // "(no value available)"
 * ```
 */
export function abortReasonText(source: number, reason: number): string {
  if (source !== 2) return NO_VALUE;
  return [
    "No reason given",
    "Unrecognised PDU",
    "Unexpected PDU",
    "Reserved",
    "Unrecognised PDU parameter",
    "Unexpected PDU parameter",
    "Invalid PDU parameter value",
  ][reason] ?? NO_VALUE;
}
