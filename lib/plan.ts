/**
 * What to propose: presentation contexts for the files to send, and how the files are
 * grouped into associations. Also the per-file choice of an accepted context.
 *
 * @module
 */

import type { PresentationContextRQ } from "./pdu/types.ts";
import type { AcceptedContext } from "./association.ts";
import {
  DEFAULT_STORAGE_SOP_CLASSES,
  isConvertible,
  TRANSFER_SYNTAXES,
  UNCOMPRESSED_TRANSFER_SYNTAXES,
} from "./uids.ts";
import { canConvert } from "./part10/source.ts";

/** The most presentation contexts one A-ASSOCIATE-RQ may carry (odd ids 1..255). */
export const MAX_CONTEXTS = 128;

/** What a plan needs to know about each file. */
export interface PlannedFile {
  /** SOP Class UID. */
  sopClassUid: string;
  /** Transfer syntax UID. */
  transferSyntaxUid: string;
}

/** One association to open: what it proposes and which files it carries, in order. */
export interface AssociationPlan<F extends PlannedFile> {
  /** Presentation contexts this association proposes. */
  contexts: PresentationContextRQ[];
  /**
   * Files sent over it, in order. Empty for the default association of `storeFiles` in
   * default mode: its proposal doesn't depend on the files, so they are examined as they are
   * sent instead of being listed here.
   */
  files: F[];
  /** "default": the reference's 120-context proposal; "required": exactly the files' needs. */
  kind: "default" | "required";
}

/** How to propose. */
export interface PlanOptions {
  /** `-cx`: one context per (SOP class, transfer syntax) pair found in the files. */
  requiredContexts: boolean;
  /** The transfer syntaxes each default context proposes, in order. */
  transferSyntaxes: readonly string[];
}

/**
 * The reference tool's default proposal: 120 storage SOP classes, ids 1, 3, ... 239, each
 * with `transferSyntaxes`.
 *
 * @example
 * ```ts
 * import { defaultContexts } from "jsr:@x/storescu/plan";
 * const cx = defaultContexts(["1.2.840.10008.1.2"]);
 * cx.length; // 120
 * cx[34].id; // 69 (CT Image Storage)
 * ```
 */
export function defaultContexts(transferSyntaxes: readonly string[]): PresentationContextRQ[] {
  return DEFAULT_STORAGE_SOP_CLASSES.map(([uid], i) => ({
    id: 2 * i + 1,
    abstractSyntax: uid,
    transferSyntaxes: [...transferSyntaxes],
  }));
}

const DEFAULT_SET = new Set(DEFAULT_STORAGE_SOP_CLASSES.map(([uid]) => uid));

/**
 * True when the default proposal (with `ts`) can carry a file of this SOP class and
 * transfer syntax.
 *
 * @example
 * ```ts
 * import { fitsDefault } from "jsr:@x/storescu/plan";
 * const ct = { sopClassUid: "1.2.840.10008.5.1.4.1.1.2", transferSyntaxUid: "1.2.840.10008.1.2" };
 * fitsDefault(ct, ["1.2.840.10008.1.2.1"]); // true: Implicit LE converts to Explicit LE
 * ```
 */
export function fitsDefault(f: PlannedFile, ts: readonly string[]): boolean {
  if (!DEFAULT_SET.has(f.sopClassUid)) return false;
  return ts.some((t) => t === f.transferSyntaxUid || canConvert(f.transferSyntaxUid, t));
}

/** Groups (SOP class, TS-list) proposals into chunks of at most 128 contexts. */
function requiredPlans<F extends PlannedFile>(
  files: F[],
  proposal: (f: F) => string[],
): AssociationPlan<F>[] {
  const keyOf = (f: F) => `${f.sopClassUid}\u0000${f.transferSyntaxUid}`;
  const order: string[] = [];
  const bySop = new Map<string, string[]>();
  const tsFor = new Map<string, string[]>();
  for (const f of files) {
    const k = keyOf(f);
    if (tsFor.has(k)) continue;
    tsFor.set(k, proposal(f));
    const list = bySop.get(f.sopClassUid) ?? [];
    if (list.length === 0) {
      bySop.set(f.sopClassUid, list);
      order.push(f.sopClassUid);
    }
    list.push(k);
  }
  // Grouped by SOP class in order of first appearance, then by TS (reference order).
  const keys = order.flatMap((sop) => bySop.get(sop)!);
  const plans: AssociationPlan<F>[] = [];
  const planOf = new Map<string, AssociationPlan<F>>();
  for (let i = 0; i < keys.length; i += MAX_CONTEXTS) {
    const chunk = keys.slice(i, i + MAX_CONTEXTS);
    const plan: AssociationPlan<F> = {
      kind: "required",
      files: [],
      contexts: chunk.map((k, j) => ({
        id: 2 * j + 1,
        abstractSyntax: k.split("\u0000")[0],
        transferSyntaxes: tsFor.get(k)!,
      })),
    };
    for (const k of chunk) planOf.set(k, plan);
    plans.push(plan);
  }
  for (const f of files) planOf.get(keyOf(f))!.files.push(f);
  return plans;
}

/**
 * Splits `files` (already in send order) into associations.
 *
 * Default mode: one association with the reference's 120-context proposal for every file it
 * can carry, then extra associations proposing exactly what the other files need (SOP
 * classes outside the list, compressed transfer syntaxes). `-cx`: one context per
 * (SOP class, TS) pair, split over several associations past 128 pairs.
 *
 * @example
 * ```ts
 * import { planAssociations } from "jsr:@x/storescu/plan";
 * const plans = planAssociations(
 *   [{ sopClassUid: "1.2.840.10008.5.1.4.1.1.2", transferSyntaxUid: "1.2.840.10008.1.2" }],
 *   { requiredContexts: true, transferSyntaxes: [] },
 * );
 * plans[0].contexts; // [{ id: 1, abstractSyntax: "1.2...1.2", transferSyntaxes: ["1.2.840.10008.1.2"] }]
 * ```
 */
export function planAssociations<F extends PlannedFile>(
  files: F[],
  options: PlanOptions,
): AssociationPlan<F>[] {
  if (files.length === 0) return [];
  if (options.requiredContexts) return requiredPlans(files, (f) => [f.transferSyntaxUid]);
  const ts = options.transferSyntaxes;
  const fit: F[] = [];
  const rest: F[] = [];
  for (const f of files) (fitsDefault(f, ts) ? fit : rest).push(f);
  const plans: AssociationPlan<F>[] = [];
  if (fit.length > 0) plans.push({ kind: "default", contexts: defaultContexts(ts), files: fit });
  // Extra association(s): the file's own TS first, then (when it converts) the proposal's TSs.
  // Extra association(s): a compressed file proposes its own transfer syntax; an uncompressed
  // one the proposal's list (so -xe/-xb/-xi still hold), its own first when the list has it.
  plans.push(...requiredPlans(rest, (f) => {
    const own = f.transferSyntaxUid;
    if (!isConvertible(own)) return [own];
    const list = (ts.length > 0 ? ts : UNCOMPRESSED_TRANSFER_SYNTAXES).filter((t) =>
      canConvert(own, t)
    );
    return list.includes(own) ? [own, ...list.filter((t) => t !== own)] : list;
  }));
  return plans;
}

/** Rough cost of converting `from` to `to`, for choosing among accepted contexts. */
function conversionCost(from: string, to: string): number {
  if (from === to) return 0;
  const a = TRANSFER_SYNTAXES.get(from);
  const b = TRANSFER_SYNTAXES.get(to);
  if (!a || !b) return 9;
  let cost = 1;
  if (a.deflated || b.deflated) cost += 2;
  if (a.littleEndian !== b.littleEndian) cost += 1;
  return cost;
}

/** The context chosen for a file, and whether its data set must be converted. */
export interface ContextChoice {
  /** The accepted context to use. */
  context: AcceptedContext;
  /** The data set must be converted to the context's transfer syntax. */
  convert: boolean;
}

/**
 * Picks the accepted context for a file: the file's own transfer syntax if accepted (its
 * bytes are sent unchanged), else the cheapest conversion; lowest id breaks ties.
 *
 * @example
 * ```ts
 * import { chooseContext } from "jsr:@x/storescu/plan";
 * const choice = chooseContext(
 *   { sopClassUid: "1.2.3", transferSyntaxUid: "1.2.840.10008.1.2.1" },
 *   [{ id: 1, abstractSyntax: "1.2.3", transferSyntax: "1.2.840.10008.1.2" }],
 * );
 * choice?.convert; // true
 * ```
 */
export function chooseContext(
  file: PlannedFile,
  accepted: Iterable<AcceptedContext>,
): ContextChoice | undefined {
  // One pass, no copy: this runs for every file.
  let best: AcceptedContext | undefined;
  let bestCost = Infinity;
  for (const c of accepted) {
    if (c.abstractSyntax !== file.sopClassUid) continue;
    let cost: number;
    if (c.transferSyntax === file.transferSyntaxUid) cost = -1;
    else if (canConvert(file.transferSyntaxUid, c.transferSyntax)) {
      cost = conversionCost(file.transferSyntaxUid, c.transferSyntax);
    } else continue;
    if (cost < bestCost || (cost === bestCost && c.id < best!.id)) {
      best = c;
      bestCost = cost;
    }
  }
  return best ? { context: best, convert: bestCost >= 0 } : undefined;
}
