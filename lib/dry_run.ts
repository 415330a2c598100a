/**
 * The dry run: what `storeFiles` would do with the same options, without sending. Every input
 * is examined and planned exactly as a run plans it (associations, contexts, the context and
 * transfer syntax each file would use, what would be converted, what can't go). Without the
 * peer, each context is taken as accepted with its first proposed transfer syntax (what most
 * peers do). With `probe`, each planned association is requested from the peer with its real
 * proposal, the answer decides each file's context, and the association is released: no data
 * set is sent.
 *
 * @module
 */

import type { AcceptedContext, Association } from "./association.ts";
import { type AssociationPlan, chooseContext, planInOrder, type TranscodePolicy } from "./plan.ts";
import type { PresentationContextRQ } from "./pdu/types.ts";
import { examineFile } from "./queue.ts";
import { journalDestination, readJournal } from "./journal.ts";
import type { DicomFileInfo } from "./part10/types.ts";
import { Run } from "./send/account.ts";
import { findInputs, type Inputs, whyNothingToSend } from "./send/inputs.ts";
import { reasonOf, refusedReason } from "./send/reasons.ts";
import { requestAssociation } from "./send/worker.ts";
import { planOptionsOf, validateStoreOptions } from "./send/options.ts";
import { type FileResult, NoAcceptedContextsError, type StoreOptions } from "./send/types.ts";

/** {@link StoreOptions} plus whether to ask the peer. */
export interface DryRunOptions extends StoreOptions {
  /** Request each planned association (the real proposal), note the answer, release. */
  probe?: boolean;
}

/** How a file would fare: `planned` (would be sent), `not-sent` (can't go), `skipped`. */
export type PlanOutcome = "planned" | "not-sent" | "skipped";

/** The plan for one input. */
export interface PlannedResult {
  /** The path as given or found. */
  path: string;
  /** Would it be sent. */
  outcome: PlanOutcome;
  /** Why not (or why skipped). */
  reason?: string;
  /** SOP Class UID. */
  sopClassUid?: string;
  /** SOP Instance UID. */
  sopInstanceUid?: string;
  /** The file's own transfer syntax. */
  transferSyntaxUid?: string;
  /**
   * The association (1, 2, ... in {@link DryRunReport.associations}) that would carry it (or
   * was planned to, when the peer refused it).
   */
  association?: number;
  /** The presentation context it would use. */
  contextId?: number;
  /** The transfer syntaxes proposed in that context. */
  proposedTransferSyntaxes?: string[];
  /** The transfer syntax its data set would be sent in. */
  sentTransferSyntaxUid?: string;
  /** The data set would be converted to `sentTransferSyntaxUid`. */
  converted?: boolean;
  /** Its Pixel Data would be decoded or encoded (`--decompress`, `--compress`). */
  transcode?: "decode" | "encode";
}

/** One planned association. */
export interface PlannedAssociation {
  /** 1, 2, ... in the order they would be opened. */
  number: number;
  /** `default`: the reference's 120-context proposal; `required`: exactly what files need. */
  kind: "default" | "required";
  /** What it proposes. */
  contexts: PresentationContextRQ[];
  /** Files it would carry. */
  files: number;
  /** With `probe`: the contexts the peer accepted. */
  accepted?: AcceptedContext[];
  /** With `probe`: why it could not be established. */
  error?: string;
}

/** The whole plan. */
export interface DryRunReport {
  /** The peer was asked (`probe`). */
  probed: boolean;
  /** The associations a run would open, in order. */
  associations: PlannedAssociation[];
  /** One per input: unusable paths first, then every file in sorted path order. */
  results: PlannedResult[];
  /** Results per outcome. */
  counts: Record<PlanOutcome, number>;
  /** Planned files whose data set would be converted. */
  converted: number;
  /** Non-DICOM files left out (`ignoreNonDicom`). */
  ignored: number;
  /** Why nothing at all would be sent (as {@link StoreReport}'s). */
  nothingToSend?: string;
  /** With `probe`: associations were wanted and none could be established. */
  noAssociation: boolean;
}

/**
 * Plans a run without sending: examines every input, plans the associations and, with
 * `probe`, negotiates each with the peer and releases it. With `journal`, the files it lists
 * as stored at this destination are `skipped`, as a run skips them; the journal is only read
 * (a missing one skips nothing and is not created). Never throws for network or input errors (a
 * wrong option is a `StoreOptionsError`, as with `storeFiles`; a journal that can't be read or
 * is not one, a `JournalError`). Events (`onEvent`, `associationListener`) are those of a run's
 * associations.
 *
 * @example
 * ```ts ignore
 * import { dryRun } from "jsr:@x/storescu";
 * const plan = await dryRun({ address: "127.0.0.1", port: 11112, paths: ["study/"], probe: true });
 * for (const r of plan.results) console.log(r.path, r.outcome, r.sentTransferSyntaxUid ?? r.reason);
 * ```
 */
export async function dryRun(options: DryRunOptions): Promise<DryRunReport> {
  validateStoreOptions(options);
  const run = new Run(options);
  // What an earlier run stored is skipped, as a run would; the journal is only read.
  if (options.journal !== undefined) {
    run.journal = await readJournal(options.journal, journalDestination(options));
  }
  const inputs = await findInputs(options, run.emit);
  run.dicomdirs = inputs.dicomdirs;
  const planned = new Map<string, PlannedResult>();
  const good: DicomFileInfo[] = [];
  for (const path of inputs.files) {
    const item = await examineFile(path);
    if ("bad" in item) run.notSent(item, "");
    else if (!run.skip(item)) good.push(item);
  }
  const plans = planInOrder(good, planOptionsOf(options, run.policy));
  const associations: PlannedAssociation[] = [];
  let fatal: Error | undefined;
  for (const plan of plans) {
    const entry: PlannedAssociation = {
      number: associations.length + 1,
      kind: plan.kind,
      contexts: plan.contexts,
      files: plan.files.length,
    };
    associations.push(entry);
    if (!options.probe) {
      const choose = proposalChooser(plan.contexts, run.policy);
      for (const f of plan.files) planned.set(f.path, planFile(f, entry, choose(f), plan));
    } else if (fatal) {
      for (const f of plan.files) planned.set(f.path, cannotGo(f, reasonOf(fatal), entry));
    } else {
      fatal = await probe(run, plan, entry, planned);
    }
  }
  return account(run, inputs, planned, associations, options.probe === true);
}

/** Asks the peer about one plan; returns the error that makes further requests pointless. */
async function probe(
  run: Run,
  plan: AssociationPlan<DicomFileInfo>,
  entry: PlannedAssociation,
  planned: Map<string, PlannedResult>,
): Promise<Error | undefined> {
  run.wanted++;
  run.emit({ type: "association-requesting", plan });
  let assoc: Association;
  try {
    assoc = await requestAssociation(run, plan, Math.max(1, run.options.asyncWindow ?? 1));
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    run.emit({ type: "association-failed", error: e });
    entry.error = reasonOf(e);
    for (const f of plan.files) planned.set(f.path, cannotGo(f, entry.error, entry));
    return e;
  }
  entry.accepted = [...assoc.contexts.values()];
  for (const f of plan.files) {
    const choice = chooseContext(f, assoc.contexts.values(), run.policy);
    planned.set(
      f.path,
      choice
        ? planFile(f, entry, choice, plan)
        : cannotGo(f, refusedReason(assoc, f, run.policy), entry),
    );
  }
  if (assoc.contexts.size === 0) {
    const e = new NoAcceptedContextsError();
    run.emit({ type: "association-failed", error: e });
    entry.error = reasonOf(e);
    await assoc.abort(undefined, 2);
    return undefined;
  }
  run.associations++;
  run.emit({ type: "association-accepted", association: assoc });
  run.emit({ type: "association-releasing" });
  await assoc.release();
  return undefined;
}

/**
 * Without the peer's answer: as if it accepted every context with the first transfer syntax
 * proposed, as most peers do (DCMTK's storescp, Orthanc, ours): with the default proposal, a
 * file in another uncompressed syntax is then converted to Explicit VR Little Endian.
 */
function proposalChooser(contexts: PresentationContextRQ[], policy: TranscodePolicy) {
  const bySop = new Map<string, AcceptedContext[]>();
  for (const c of contexts) {
    const list = bySop.get(c.abstractSyntax) ?? [];
    list.push({
      id: c.id,
      abstractSyntax: c.abstractSyntax,
      transferSyntax: c.transferSyntaxes[0],
    });
    bySop.set(c.abstractSyntax, list);
  }
  return (f: DicomFileInfo) => chooseContext(f, bySop.get(f.sopClassUid) ?? [], policy);
}

function identity(f: DicomFileInfo) {
  return {
    path: f.path,
    sopClassUid: f.sopClassUid,
    sopInstanceUid: f.sopInstanceUid,
    transferSyntaxUid: f.transferSyntaxUid,
  };
}

function planFile(
  f: DicomFileInfo,
  entry: PlannedAssociation,
  choice: ReturnType<typeof chooseContext>,
  plan: AssociationPlan<DicomFileInfo>,
): PlannedResult {
  if (!choice) return cannotGo(f, "no proposed context can carry it", entry);
  const proposed = plan.contexts.find((c) => c.id === choice.context.id);
  return {
    ...identity(f),
    outcome: "planned",
    association: entry.number,
    contextId: choice.context.id,
    proposedTransferSyntaxes: proposed?.transferSyntaxes,
    sentTransferSyntaxUid: choice.context.transferSyntax,
    converted: choice.convert,
    ...(choice.transcode ? { transcode: choice.transcode } : {}),
  };
}

function cannotGo(f: DicomFileInfo, reason: string, entry?: PlannedAssociation): PlannedResult {
  return { ...identity(f), outcome: "not-sent", reason, association: entry?.number };
}

function fromResult(r: FileResult): PlannedResult {
  return {
    path: r.path,
    outcome: r.outcome === "skipped" ? "skipped" : "not-sent",
    reason: r.reason,
  };
}

function account(
  run: Run,
  inputs: Inputs,
  planned: Map<string, PlannedResult>,
  associations: PlannedAssociation[],
  probed: boolean,
): DryRunReport {
  const results: PlannedResult[] = inputs.bad.map((b) => ({
    path: b.path,
    outcome: "not-sent",
    reason: `Cannot access path: ${b.reason}`,
  }));
  for (const p of inputs.files) {
    if (run.ignored.has(p)) continue;
    results.push(planned.get(p) ?? fromResult(run.results.get(p)!));
  }
  const counts: Record<PlanOutcome, number> = { planned: 0, "not-sent": 0, skipped: 0 };
  let converted = 0;
  for (const r of results) {
    counts[r.outcome]++;
    if (r.converted) converted++;
  }
  const left = { dicomdirs: run.skippedDicomdirs, ignored: run.ignored.size };
  return {
    probed,
    associations,
    results,
    counts,
    converted,
    ignored: run.ignored.size,
    nothingToSend: whyNothingToSend(inputs, left, run.options),
    noAssociation: run.wanted > 0 && run.associations === 0,
  };
}
