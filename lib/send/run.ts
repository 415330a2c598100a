/**
 * The run: find the files, plan the associations, send the plans in rounds (retrying
 * transient failures), and return one result per input.
 *
 * @module
 */

import { compareCodePoints } from "../files.ts";
import {
  type AssociationPlan,
  defaultContexts,
  firstAssociationOf,
  fitsDefault,
  LOOKAHEAD,
  planAssociations,
  type PlanOptions,
} from "../plan.ts";
import {
  type BadItem,
  examineFile,
  ExaminingQueue,
  type FileQueue,
  type Item,
  ListQueue,
} from "../queue.ts";
import type { DicomFileInfo } from "../part10/types.ts";
import { Run, Sequencer } from "./account.ts";
import { reasonOf } from "./reasons.ts";
import { planOptionsOf, validateStoreOptions } from "./options.ts";
import { type AssociationOutcome, worker } from "./worker.ts";
import { findInputs, type Inputs, whyNothingToSend } from "./inputs.ts";
import {
  type FileResult,
  GaveUpError,
  NoAcceptedContextsError,
  type Outcome,
  type StoreEvent,
  type StoreOptions,
  type StoreReport,
} from "./types.ts";

/**
 * Sends every DICOM file found under `options.paths` to the peer and returns one result per
 * file. Never throws for network or input errors; rejects with a `StoreOptionsError`
 * when an option is out of range (before reading or connecting anything).
 *
 * @example
 * ```ts ignore
 * import { storeFiles } from "jsr:@x/storescu";
 * const report = await storeFiles({ address: "127.0.0.1", port: 11112, paths: ["testdata"] });
 * console.log(report.counts); // { success: 6, warning: 0, failure: 0, "not-sent": 0, skipped: 0 }
 * ```
 */
export async function storeFiles(options: StoreOptions): Promise<StoreReport> {
  validateStoreOptions(options);
  const run = await Run.start(options);
  try {
    return await sendAll(run);
  } finally {
    run.close();
  }
}

async function sendAll(run: Run): Promise<StoreReport> {
  const options = run.options;
  const found = await findInputs(options, run.emit);
  run.dicomdirs = found.dicomdirs;
  const bytes = options.totalBytes ? totalBytes(found.files) : undefined;
  run.emit({ type: "totals", files: found.files.length, bytes });
  const planOptions = planOptionsOf(options, run.policy);
  if (!run.interrupt.stopped) {
    await sendRounds(run, await firstPlans(run, found, planOptions), planOptions);
  }
  // A stopped run accounts here for every file it never got to, in path order.
  if (run.interrupt.stopped) {
    for (const p of found.files) {
      if (!run.results.has(p) && !run.ignored.has(p)) run.interrupted(p);
    }
  }
  return account(run, found);
}

/** Why nothing at all could be sent (see {@link whyNothingToSend}), from what the run left out. */
function nothingToSend(run: Run, found: Inputs): string | undefined {
  const left = { dicomdirs: run.skippedDicomdirs, ignored: run.ignored.size };
  return whyNothingToSend(found, left, run.options);
}

/** The bytes of every file (one stat each; a file gone meanwhile counts 0). */
function totalBytes(paths: string[]): number {
  let total = 0;
  for (const p of paths) {
    try {
      total += Deno.statSync(p).size;
    } catch {
      // reported when its turn comes
    }
  }
  return total;
}

/** What the first round sends. */
interface FirstPlans {
  /** Default mode: the fixed proposal, its files examined as they are taken. */
  main?: { plan: AssociationPlan<DicomFileInfo>; queue: ExaminingQueue };
  /** Plans made from files already examined. */
  plans: AssociationPlan<DicomFileInfo>[];
  /** Bad files still to be reported at their place in the first plan's order. */
  bad: BadItem[];
}

/**
 * Default mode: the first association proposes the fixed default list whatever the files are,
 * so its files are examined only as they are sent (no record per file held for the whole run);
 * the files it can't carry are set aside for the associations after it. -cx needs every file's
 * (SOP class, transfer syntax) before it can propose anything, and a run where no file fits the
 * default proposal is planned from all of them as well.
 */
async function firstPlans(
  run: Run,
  found: Inputs,
  planOptions: PlanOptions,
): Promise<FirstPlans> {
  const files = found.files;
  let bad: BadItem[] = [];
  let plans: AssociationPlan<DicomFileInfo>[] = [];
  if (!planOptions.requiredContexts) {
    const ts = planOptions.transferSyntaxes;
    const queue = new ExaminingQueue(files, (f) => fitsDefault(f, ts), {
      skip: (f) => run.skip(f),
      stopped: () => run.interrupt.stopped,
    });
    let carriable = await queue.hasCarriable(LOOKAHEAD);
    if (!carriable && !queue.exhausted) {
      // None of the first files fits the default proposal, and more follow: the first
      // association is planned from those and carries every later file that fits it, each
      // examined as it is sent (not the whole folder first); the rest go after it.
      const first = firstAssociationOf(queue.diverted, planOptions);
      if (first) {
        queue.retarget(first.carries);
        return { main: { plan: first.plan, queue }, plans, bad };
      }
      carriable = await queue.hasCarriable();
    }
    if (carriable) {
      return {
        main: { plan: { kind: "default", contexts: defaultContexts(ts), files: [] }, queue },
        plans,
        bad,
      };
    }
    // Everything has been examined: what is left ahead is bad files only.
    for (let q; (q = await queue.take());) bad.push(q.item as BadItem);
    plans = planAssociations(queue.diverted, planOptions);
  } else {
    const good: DicomFileInfo[] = [];
    let bytes = 0;
    for (const path of files) {
      if (run.interrupt.stopped) return { plans: [], bad: [] };
      const item = await examineFile(path);
      if ("bad" in item) bad.push(item);
      else {
        bytes += item.size;
        if (!run.skip(item)) good.push(item);
      }
    }
    plans = planAssociations(good, planOptions);
    run.emit({ type: "totals", files: files.length, bytes });
  }
  // Bad files: with -cx (or when nothing can be sent) they are reported before any
  // association, as the reference does; otherwise at their place in the send order.
  if (planOptions.requiredContexts || plans.length === 0) {
    for (const b of bad) {
      if (!run.leavesOut(b)) {
        run.emit({ type: "bad-file", path: b.path, reason: b.bad, code: b.code, phase: "scan" });
      }
      run.notSent(b, "");
    }
    bad = [];
  }
  if (plans.length === 0 && run.skipped === 0 && !run.interrupt.stopped) {
    run.emit({ type: "no-files", reason: nothingToSend(run, found) });
  }
  return { plans, bad };
}

/** Sends the plans; files whose failure was transient go again in the next round. */
async function sendRounds(run: Run, first: FirstPlans, planOptions: PlanOptions): Promise<void> {
  let { main, plans, bad } = first;
  const maxRetries = Math.max(0, run.options.retries ?? 0);
  for (let round = 0;; round++) {
    run.retriesLeft = maxRetries - round;
    run.deferred = [];
    if (main) {
      await runPlan(run, main.plan, main.queue);
      // What the default proposal couldn't carry goes on the association(s) after it.
      plans = planAssociations(main.queue.diverted, planOptions);
      main = undefined;
    }
    for (let i = 0; i < plans.length && !run.interrupt.stopped; i++) {
      const items: Item[] = [...plans[i].files];
      if (round === 0 && i === 0 && bad.length > 0) {
        items.push(...bad);
        items.sort((a, b) => compareCodePoints(a.path, b.path));
        bad = [];
      }
      await runPlan(run, plans[i], new ListQueue(items));
      plans[i].files = []; // done: drop the file records (retries keep their own)
    }
    if (run.deferred.length === 0 || run.interrupt.stopped) return;
    const delay = (run.options.retryDelay ?? 1) * 2 ** round;
    run.emit({ type: "retrying", files: run.deferred.length, attempt: round + 2, delay });
    await run.interrupt.sleep(delay * 1000);
    if (run.interrupt.stopped) return;
    run.fatal = undefined;
    plans = planAssociations(run.deferred, planOptions);
  }
}

/** Opens up to `parallel` associations for one plan and drains its queue through them. */
async function runPlan(run: Run, plan: AssociationPlan<DicomFileInfo>, queue: FileQueue) {
  const parallel = Math.max(1, Math.min(run.options.parallel ?? 1, queue.maxLeft || 1));
  const seq = parallel > 1 ? new Sequencer(run.emit) : undefined;
  const emitFor = (index: number) => (e: StoreEvent) => seq ? seq.emit(index, e) : run.emit(e);
  if (run.interrupt.stopped) return;
  if (run.fatal) {
    for (let q; (q = await queue.take());) {
      run.tried(q.item.path);
      run.notSent(q.item, reasonOf(run.fatal), run.fatal, emitFor(q.index));
    }
    return;
  }
  let last: Error | undefined;
  let established = 0;
  for (;;) {
    const before = queue.taken;
    const outcomes = await Promise.all(
      Array.from({ length: parallel }, async (_, w) => {
        // Stagger the extra associations a little so a peer limiting concurrency can say so.
        if (w > 0) await new Promise((r) => setTimeout(r, 0));
        return await worker(run, plan, queue, emitFor);
      }),
    );
    established = outcomes.filter((o) => o.established).length;
    last = outcomes.findLast((o) => o.error)?.error;
    if (countFruitless(run, outcomes)) {
      last = run.fatal;
      break;
    }
    // An association that ended early (the peer aborted on one bad file, say) leaves files
    // never tried: go on with a fresh association while each pass gets somewhere.
    if (established === 0 || queue.taken === before || await queue.isEmpty()) break;
  }
  if (run.interrupt.stopped) {
    // What is left is accounted for after the run, without examining it; events held back
    // for the files before it go out now.
    seq?.flush();
    return;
  }
  if (established === 0 && last && !(last instanceof NoAcceptedContextsError)) run.fatal = last;
  // Whatever no association could take is not sent (this round was an attempt for it).
  for (let q; (q = await queue.take());) {
    run.tried(q.item.path);
    run.notSent(q.item, last ? reasonOf(last) : "association ended", last, emitFor(q.index));
  }
}

/** Associations ended early with nothing stored, in a row, before the run gives up. */
export const GIVE_UP_AFTER = 3;

/**
 * Counts associations that ended early without storing anything; after
 * {@link GIVE_UP_AFTER} in a row the run gives up on the peer (sets `run.fatal`) and true is
 * returned. A peer that aborts every association after accepting it would otherwise get a new
 * one for every file.
 */
function countFruitless(run: Run, outcomes: AssociationOutcome[]): boolean {
  if (run.interrupt.stopped) return false; // ended by the caller, not by the peer
  for (const o of outcomes) {
    if (o.stored > 0) run.fruitless = 0;
    else if (o.established && o.error) run.fruitless++;
  }
  if (run.fruitless < GIVE_UP_AFTER) return false;
  const error = new GaveUpError(run.fruitless);
  run.fatal = error;
  run.emit({ type: "gave-up", error });
  return true;
}

/**
 * The report: unusable paths first, then every file in sorted path order (ignored non-DICOM
 * files left out).
 */
function account(run: Run, found: Inputs): StoreReport {
  const ordered: FileResult[] = [
    ...found.bad.map((b): FileResult => ({
      path: b.path,
      outcome: "not-sent",
      reason: `Cannot access path: ${b.reason}`,
    })),
  ];
  for (const p of found.files) if (!run.ignored.has(p)) ordered.push(run.results.get(p)!);
  const counts: Record<Outcome, number> = {
    success: 0,
    warning: 0,
    failure: 0,
    "not-sent": 0,
    skipped: 0,
  };
  for (const r of ordered) counts[r.outcome]++;
  return {
    results: ordered,
    counts,
    associations: run.associations,
    noAssociation: run.wanted > 0 && run.associations === 0,
    ignored: run.ignored.size,
    nothingToSend: nothingToSend(run, found),
    interrupted: run.interrupt.stopped,
  };
}
