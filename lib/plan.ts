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
  EXPLICIT_VR_LE,
  IMPLICIT_VR_LE,
  isConvertible,
  TRANSFER_SYNTAXES,
  uidNameOrUid,
  UNCOMPRESSED_TRANSFER_SYNTAXES,
} from "./uids.ts";
import { canConvert } from "./part10/source.ts";
import { canDecode, canEncode, isLossy } from "./codecs/mod.ts";

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

/** `--decompress`: which compressed files may be sent decoded. */
export type DecompressPolicy = "never" | "lossless" | "lossy";

/** What may happen to compressed pixel data on the way (`--decompress`, `--compress`). */
export interface TranscodePolicy {
  /**
   * "never": compressed files go in their own syntax only; "lossless" (default): files whose
   * syntax is lossless may be decoded; "lossy": any decodable file may be.
   */
  decompress: DecompressPolicy;
  /** `--compress`: the lossless syntax uncompressed files are encoded to when accepted. */
  compress?: string;
}

/** The default: decode lossless-compressed files when the peer refuses their syntax. */
export const DEFAULT_POLICY: TranscodePolicy = { decompress: "lossless" };

/** How to propose. */
export interface PlanOptions {
  /** `-cx`: one context per (SOP class, transfer syntax) pair found in the files. */
  requiredContexts: boolean;
  /** The transfer syntaxes each default context proposes, in order. */
  transferSyntaxes: readonly string[];
  /** What may be decoded or encoded (default {@link DEFAULT_POLICY}). */
  policy?: TranscodePolicy;
}

/**
 * True when `policy` lets a file stored in `transferSyntaxUid` be decoded.
 *
 * @example
 * ```ts
 * import { mayDecode } from "jsr:@x/storescu/plan";
 * mayDecode("1.2.840.10008.1.2.4.70", { decompress: "lossless" }); // true
 * mayDecode("1.2.840.10008.1.2.4.50", { decompress: "lossless" }); // false: JPEG Baseline is lossy
 * ```
 */
export function mayDecode(transferSyntaxUid: string, policy: TranscodePolicy): boolean {
  if (policy.decompress === "never" || !canDecode(transferSyntaxUid)) return false;
  return policy.decompress === "lossy" || !isLossy(transferSyntaxUid);
}

/**
 * The default proposal's transfer syntaxes under `policy`: with `--compress`, its syntax
 * first, then `transferSyntaxes`.
 *
 * @example
 * ```ts
 * import { proposedSyntaxes } from "jsr:@x/storescu/plan";
 * proposedSyntaxes(["1.2.840.10008.1.2.1"], { decompress: "lossless", compress: "1.2.840.10008.1.2.5" });
 * // ["1.2.840.10008.1.2.5", "1.2.840.10008.1.2.1"]
 * ```
 */
export function proposedSyntaxes(
  transferSyntaxes: readonly string[],
  policy: TranscodePolicy = DEFAULT_POLICY,
): string[] {
  const c = policy.compress;
  return c ? [c, ...transferSyntaxes.filter((t) => t !== c)] : [...transferSyntaxes];
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

/**
 * The second context proposed for a SOP class beside its files' own: the uncompressed
 * syntaxes its compressed files could be decoded to (unless `--decompress never`; also for
 * lossy files under "lossless", so that a refusal can say which option would send them), and
 * the `--compress` syntax.
 */
function alternatives<F extends PlannedFile>(files: F[], policy: TranscodePolicy): string[] {
  const decoded = policy.decompress !== "never" &&
    files.some((f) => !isConvertible(f.transferSyntaxUid) && canDecode(f.transferSyntaxUid));
  const c = policy.compress;
  const encoded = c !== undefined && canEncode(c) &&
    files.some((f) =>
      f.transferSyntaxUid !== c &&
      (isConvertible(f.transferSyntaxUid) || mayDecode(f.transferSyntaxUid, policy))
    );
  return [...(decoded ? [EXPLICIT_VR_LE, IMPLICIT_VR_LE] : []), ...(encoded ? [c!] : [])];
}

/**
 * Groups (SOP class, TS-list) proposals into associations of at most 128 contexts: per SOP
 * class (in order of first appearance) one context per transfer syntax of its files, then one
 * for {@link alternatives}; a class's contexts stay in one association when they fit.
 */
function requiredPlans<F extends PlannedFile>(
  files: F[],
  proposal: (f: F) => string[],
  policy: TranscodePolicy,
): AssociationPlan<F>[] {
  const keyOf = (f: F) => `${f.sopClassUid}\u0000${f.transferSyntaxUid}`;
  const bySop = new Map<string, { keys: string[]; files: F[] }>();
  const tsFor = new Map<string, string[]>();
  for (const f of files) {
    let entry = bySop.get(f.sopClassUid);
    if (!entry) bySop.set(f.sopClassUid, entry = { keys: [], files: [] });
    entry.files.push(f);
    const k = keyOf(f);
    if (tsFor.has(k)) continue;
    tsFor.set(k, proposal(f));
    entry.keys.push(k);
  }
  // Grouped by SOP class in order of first appearance, then by TS (reference order).
  const groups: { sop: string; lists: string[][]; keys: string[] }[] = [];
  for (const [sop, entry] of bySop) {
    const lists = entry.keys.map((k) => tsFor.get(k)!);
    const alt = alternatives(entry.files, policy);
    const same = (l: string[]) => l.length === alt.length && l.every((t, i) => t === alt[i]);
    if (alt.length > 0 && !lists.some(same)) lists.push(alt);
    groups.push({ sop, lists, keys: entry.keys });
  }
  const plans: AssociationPlan<F>[] = [];
  const planOf = new Map<string, AssociationPlan<F>>();
  let plan: AssociationPlan<F> | undefined;
  const context = (sop: string, ts: string[]) => {
    if (!plan || plan.contexts.length === MAX_CONTEXTS) {
      plan = { kind: "required", files: [], contexts: [] };
      plans.push(plan);
    }
    plan.contexts.push({
      id: 2 * plan.contexts.length + 1,
      abstractSyntax: sop,
      transferSyntaxes: ts,
    });
    return plan;
  };
  for (const g of groups) {
    // A class that fits in a fresh association doesn't straddle two.
    if (
      plan && g.lists.length <= MAX_CONTEXTS && plan.contexts.length + g.lists.length > MAX_CONTEXTS
    ) {
      plan = undefined;
    }
    g.lists.forEach((ts, i) => {
      const p = context(g.sop, ts);
      if (i < g.keys.length) planOf.set(g.keys[i], p);
    });
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
  const policy = options.policy ?? DEFAULT_POLICY;
  if (options.requiredContexts) {
    return requiredPlans(files, (f) => [f.transferSyntaxUid], policy);
  }
  const ts = options.transferSyntaxes;
  const fit: F[] = [];
  const rest: F[] = [];
  for (const f of files) (fitsDefault(f, ts) ? fit : rest).push(f);
  const plans: AssociationPlan<F>[] = [];
  if (fit.length > 0) plans.push({ kind: "default", contexts: defaultContexts(ts), files: fit });
  // Extra association(s): a compressed file proposes its own transfer syntax; an uncompressed
  // one the proposal's list (so -xe/-xb/-xi still hold), its own first when the list has it.
  // Each SOP class also gets a context for what its files may be decoded or encoded to.
  plans.push(...requiredPlans(rest, (f) => {
    const own = f.transferSyntaxUid;
    if (!isConvertible(own)) return [own];
    const list = (ts.length > 0 ? ts : UNCOMPRESSED_TRANSFER_SYNTAXES).filter((t) =>
      canConvert(own, t)
    );
    return list.includes(own) ? [own, ...list.filter((t) => t !== own)] : list;
  }, policy));
  return plans;
}

/**
 * Files a default-mode run examines, at most, before it connects when none of them fits the
 * default proposal: the first association is then planned from these and carries every later
 * file that fits it, examined as it is sent (see {@link planInOrder}).
 */
export const LOOKAHEAD = 16;

/**
 * Whether a file can go on `plan`: true when `plan` proposes every context the file would get
 * planned alone. Decided once per (SOP class, transfer syntax) pair.
 *
 * @example
 * ```ts
 * import { carriedBy, planAssociations } from "jsr:@x/storescu/plan";
 * const rle = { sopClassUid: "1.2.840.10008.5.1.4.1.1.2", transferSyntaxUid: "1.2.840.10008.1.2.5" };
 * const options = { requiredContexts: false, transferSyntaxes: ["1.2.840.10008.1.2.1"] };
 * const [plan] = planAssociations([rle], options);
 * carriedBy(plan, options)({ ...rle }); // true
 * ```
 */
export function carriedBy(
  plan: AssociationPlan<PlannedFile>,
  options: PlanOptions,
): (f: PlannedFile) => boolean {
  const known = new Map<string, boolean>();
  const same = (a: PresentationContextRQ, b: PresentationContextRQ) =>
    a.abstractSyntax === b.abstractSyntax &&
    a.transferSyntaxes.length === b.transferSyntaxes.length &&
    a.transferSyntaxes.every((t, i) => t === b.transferSyntaxes[i]);
  return (f) => {
    const key = `${f.sopClassUid}\u0000${f.transferSyntaxUid}`;
    let fits = known.get(key);
    if (fits === undefined) {
      const alone = planAssociations([f], options);
      fits = alone.length === 1 && alone[0].kind === plan.kind &&
        alone[0].contexts.every((c) => plan.contexts.some((p) => same(c, p)));
      known.set(key, fits);
    }
    return fits;
  };
}

/**
 * The associations of a default-mode run, in the order it makes them: {@link planAssociations}
 * of every file, unless none of the first {@link LOOKAHEAD} fits the default proposal and more
 * follow; then the first association is planned from those and carries every file that fits
 * it (a run examines those as it sends them, without holding a record of each), and the rest
 * are planned after it. `files` in send order; -cx plans from all of them at once.
 *
 * @example
 * ```ts ignore
 * import { planInOrder } from "jsr:@x/storescu/plan";
 * const plans = planInOrder(examined, options); // what a run will propose, association by association
 * ```
 */
export function planInOrder<F extends PlannedFile>(
  files: F[],
  options: PlanOptions,
): AssociationPlan<F>[] {
  if (options.requiredContexts || files.length <= LOOKAHEAD) {
    return planAssociations(files, options);
  }
  const head = files.slice(0, LOOKAHEAD);
  if (head.some((f) => fitsDefault(f, options.transferSyntaxes))) {
    return planAssociations(files, options);
  }
  const first = firstAssociationOf(head, options);
  if (!first) return planAssociations(files, options);
  const carried: F[] = [];
  const rest: F[] = [];
  for (const f of files) (first.carries(f) ? carried : rest).push(f);
  return [{ ...first.plan, files: carried }, ...planAssociations(rest, options)];
}

/**
 * The first association of a default-mode run whose first files (`head`, none of which fits
 * the default proposal) are all it has examined: planned from them (its `files` left empty),
 * with what it carries; `undefined` when they need more than one association (the run then
 * plans from every file). Used by the run and by {@link planInOrder}, so that both plan alike.
 *
 * @example
 * ```ts
 * import { firstAssociationOf } from "jsr:@x/storescu/plan";
 * const rle = { sopClassUid: "1.2.840.10008.5.1.4.1.1.2", transferSyntaxUid: "1.2.840.10008.1.2.5" };
 * const options = { requiredContexts: false, transferSyntaxes: ["1.2.840.10008.1.2.1"] };
 * firstAssociationOf([rle], options)?.carries({ ...rle }); // true
 * ```
 */
export function firstAssociationOf<F extends PlannedFile>(
  head: F[],
  options: PlanOptions,
): { plan: AssociationPlan<F>; carries: (f: PlannedFile) => boolean } | undefined {
  const early = planAssociations(head, options);
  if (early.length !== 1) return undefined;
  return { plan: { ...early[0], files: [] }, carries: carriedBy(early[0], options) };
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
  /** Set when the Pixel Data is decoded (sent uncompressed) or encoded (compressed). */
  transcode?: "decode" | "encode";
}

/**
 * How sending a file stored in `from` as `to` ranks (lower is better), or `undefined` when it
 * can't be done under `policy`: with `--compress`, encoding an uncompressed file; its own
 * syntax; a conversion among the uncompressed syntaxes; decoding; decoding then encoding.
 */
function rank(
  from: string,
  to: string,
  policy: TranscodePolicy,
): { cost: number; transcode?: "decode" | "encode" } | undefined {
  const encodeTo = policy.compress !== undefined && to === policy.compress && canEncode(to);
  if (from === to) return { cost: -1 };
  if (canConvert(from, to)) return { cost: conversionCost(from, to) };
  if (isConvertible(from)) return encodeTo ? { cost: -2, transcode: "encode" } : undefined;
  if (!mayDecode(from, policy)) return undefined;
  if (isConvertible(to)) {
    return { cost: 10 + conversionCost(EXPLICIT_VR_LE, to), transcode: "decode" };
  }
  return encodeTo ? { cost: 100, transcode: "encode" } : undefined;
}

/**
 * Picks the accepted context for a file: with `--compress` an uncompressed file is encoded
 * when the peer accepted that syntax; otherwise the file's own transfer syntax if accepted
 * (its bytes are sent unchanged), else the cheapest conversion among the uncompressed
 * syntaxes, else (compressed files, when `policy` allows) decoding to an accepted
 * uncompressed syntax (Explicit VR LE first), else decoding and encoding to the `--compress`
 * syntax. Lowest id breaks ties.
 *
 * @example
 * ```ts
 * import { chooseContext } from "jsr:@x/storescu/plan";
 * const choice = chooseContext(
 *   { sopClassUid: "1.2.3", transferSyntaxUid: "1.2.840.10008.1.2.1" },
 *   [{ id: 1, abstractSyntax: "1.2.3", transferSyntax: "1.2.840.10008.1.2" }],
 * );
 * choice?.convert; // true
 * const rle = { sopClassUid: "1.2.3", transferSyntaxUid: "1.2.840.10008.1.2.5" };
 * chooseContext(rle, [{ id: 1, abstractSyntax: "1.2.3", transferSyntax: "1.2.840.10008.1.2.1" }])
 *   ?.transcode; // "decode"
 * ```
 */
export function chooseContext(
  file: PlannedFile,
  accepted: Iterable<AcceptedContext>,
  policy: TranscodePolicy = DEFAULT_POLICY,
): ContextChoice | undefined {
  // One pass, no copy: this runs for every file.
  let best: AcceptedContext | undefined;
  let bestCost = Infinity;
  let bestTranscode: "decode" | "encode" | undefined;
  for (const c of accepted) {
    if (c.abstractSyntax !== file.sopClassUid) continue;
    const r = rank(file.transferSyntaxUid, c.transferSyntax, policy);
    if (!r) continue;
    if (r.cost < bestCost || (r.cost === bestCost && c.id < best!.id)) {
      best = c;
      bestCost = r.cost;
      bestTranscode = r.transcode;
    }
  }
  if (!best) return undefined;
  const choice: ContextChoice = { context: best, convert: bestCost !== -1 };
  if (bestTranscode) choice.transcode = bestTranscode;
  return choice;
}

/**
 * Why `policy` kept a compressed file from the accepted contexts of its SOP class that it
 * could have been decoded to (for the failure line), or `undefined` when it didn't.
 *
 * @example
 * ```ts
 * import { policyRefusal } from "jsr:@x/storescu/plan";
 * policyRefusal(
 *   { sopClassUid: "1.2.3", transferSyntaxUid: "1.2.840.10008.1.2.4.50" },
 *   [{ id: 1, abstractSyntax: "1.2.3", transferSyntax: "1.2.840.10008.1.2.1" }],
 *   { decompress: "lossless" },
 * ); // "JPEG Baseline (Process 1) is lossy: it is sent decoded only with --decompress lossy"
 * ```
 */
export function policyRefusal(
  file: PlannedFile,
  accepted: Iterable<AcceptedContext>,
  policy: TranscodePolicy = DEFAULT_POLICY,
): string | undefined {
  const ts = file.transferSyntaxUid;
  if (isConvertible(ts) || !canDecode(ts) || mayDecode(ts, policy)) return undefined;
  let decodable = false;
  for (const c of accepted) {
    if (c.abstractSyntax === file.sopClassUid && isConvertible(c.transferSyntax)) decodable = true;
  }
  if (!decodable) return undefined;
  const name = uidNameOrUid(ts);
  if (policy.decompress === "never") {
    return `${name} is not decoded with --decompress never (--decompress ${
      isLossy(ts) ? "lossy" : "lossless"
    } allows it)`;
  }
  return `${name} is lossy: it is sent decoded only with --decompress lossy`;
}
