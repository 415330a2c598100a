/**
 * The words of a file's account: why an association or a file failed, and whether the failure
 * may go away by itself (what `--retry` re-sends).
 *
 * @module
 */

import {
  type Association,
  AssociationAbortedError,
  AssociationRejectedError,
  AssociationReleasedError,
  AssociationTimeoutError,
  ConnectionClosedError,
} from "../association.ts";
import type { AssociateRJ } from "../pdu/types.ts";
import { ConnectError } from "../transport.ts";
import { uidNameOrUid } from "../uids.ts";
import { policyRefusal, type TranscodePolicy } from "../plan.ts";
import { NoAcceptedContextsError } from "./types.ts";
import { InterruptedError } from "./interrupt.ts";

function describeRejection(rj: AssociateRJ): string {
  const kind = rj.result === 2 ? "transient" : "permanent";
  return `association rejected (${kind}, source ${rj.source}, reason ${rj.reason})`;
}

/**
 * The reason written into a file's result for an association-level error.
 *
 * @example
 * ```ts
 * import { reasonOf } from "./reasons.ts";
 * reasonOf(new Error("boom")); // "boom"
 * ```
 */
export function reasonOf(err: Error): string {
  if (err instanceof ConnectError) return `unable to connect to remote (${err.message})`;
  if (err instanceof AssociationRejectedError) return describeRejection(err.reject);
  if (err instanceof AssociationAbortedError) {
    return err.abort ? "association aborted by the peer" : err.message;
  }
  if (err instanceof AssociationReleasedError) return "association released by the peer";
  if (err instanceof ConnectionClosedError) return "connection closed by the peer";
  if (err instanceof NoAcceptedContextsError) return "no accepted presentation contexts";
  if (err instanceof InterruptedError) return "interrupted (association aborted)";
  return err.message;
}

/**
 * True for failures that may go away on their own (refused or reset connection, transient
 * rejection, aborted, released or timed-out association).
 *
 * @example
 * ```ts
 * import { isTransient } from "./reasons.ts";
 * isTransient(new Error("bad file")); // false
 * ```
 */
export function isTransient(err: Error): boolean {
  if (err instanceof AssociationRejectedError) return err.reject.result === 2;
  return err instanceof ConnectError || err instanceof AssociationAbortedError ||
    err instanceof AssociationReleasedError || err instanceof ConnectionClosedError ||
    err instanceof AssociationTimeoutError;
}

const CONTEXT_RESULT = [
  "accepted",
  "user rejection",
  "no reason",
  "abstract syntax not supported",
  "transfer syntaxes not supported",
];

/**
 * What the peer said about the contexts proposed for `sopClass` on this association.
 *
 * @example
 * ```ts ignore
 * import { describeRefusal } from "./reasons.ts";
 * describeRefusal(assoc, "1.2.840.10008.5.1.4.1.1.2");
 * // "the peer refused every context proposed for it (JPEG Baseline (Process 1): ...)"
 * ```
 */
export function describeRefusal(assoc: Association, sopClass: string): string {
  const accepted = [...assoc.contexts.values()].filter((c) => c.abstractSyntax === sopClass);
  if (accepted.length > 0) {
    const names = [...new Set(accepted.map((c) => uidNameOrUid(c.transferSyntax)))];
    return `the peer accepted it only as ${
      names.join(", ")
    }, which this file can't be converted to`;
  }
  const proposed = assoc.request.presentationContexts.filter((c) => c.abstractSyntax === sopClass);
  if (proposed.length === 0) return "not proposed on this association";
  const results = new Map(assoc.accept.presentationContexts.map((c) => [c.id, c.result]));
  // Grouped by the peer's answer, a few syntax names each: a line a person can read.
  const byAnswer = new Map<string, Set<string>>();
  for (const p of proposed) {
    const r = results.get(p.id);
    const answer = r === undefined ? "no answer" : CONTEXT_RESULT[r] ?? `result ${r}`;
    const names = byAnswer.get(answer) ?? new Set();
    for (const ts of p.transferSyntaxes) names.add(uidNameOrUid(ts));
    byAnswer.set(answer, names);
  }
  const parts = [...byAnswer].map(([answer, names]) => `${answer}: ${fewOf([...names])}`);
  const what = proposed.length === 1 ? "the context" : `all ${proposed.length} contexts`;
  return `the peer refused ${what} proposed for it (${parts.join("; ")})`;
}

/** The first few names, and how many more. */
function fewOf(names: string[], few = 3): string {
  const shown = names.slice(0, few).join(", ");
  return names.length > few ? `${shown} and ${names.length - few} more` : shown;
}

/**
 * The reason for a file whose (SOP class, transfer syntax) no accepted context can carry.
 *
 * @example
 * ```ts ignore
 * import { refusedReason } from "./reasons.ts";
 * refusedReason(assoc, file); // "CT Image Storage in JPEG Baseline (Process 1): the peer ..."
 * ```
 */
export function refusedReason(
  assoc: Association,
  f: { sopClassUid: string; transferSyntaxUid: string },
  policy?: TranscodePolicy,
): string {
  const what = `${uidNameOrUid(f.sopClassUid)} in ${uidNameOrUid(f.transferSyntaxUid)}`;
  // A decodable file the policy kept from an uncompressed context the peer accepted.
  const kept = policy && policyRefusal(f, assoc.contexts.values(), policy);
  if (kept) {
    const names = [...assoc.contexts.values()]
      .filter((c) => c.abstractSyntax === f.sopClassUid)
      .map((c) => uidNameOrUid(c.transferSyntax));
    return `${what}: the peer accepted it only as ${fewOf([...new Set(names)])}; ${kept}`;
  }
  return `${what}: ${describeRefusal(assoc, f.sopClassUid)}`;
}
