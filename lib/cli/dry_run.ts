/**
 * `--dry-run` and `--probe`: the plan as text (stdout) or as JSON lines (`--report`), and the
 * closing line.
 *
 * @module
 */

import type { DryRunReport, PlannedAssociation, PlannedResult } from "../dry_run.ts";
import { DEFAULT_STORAGE_SOP_CLASSES, uidNameOrUid } from "../uids.ts";
import { resultFields } from "./report.ts";

function names(uids: readonly string[]): string {
  return uids.map(uidNameOrUid).join(", ");
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function fileLine(r: PlannedResult): string {
  // A refusal's reason names the SOP class and transfer syntax already.
  if (r.outcome !== "planned") return `  ${r.path}: not sent: ${r.reason}`;
  const what = `${uidNameOrUid(r.sopClassUid!)}, ${uidNameOrUid(r.transferSyntaxUid!)}`;
  const how = r.transcode
    ? `${r.transcode}d to ${uidNameOrUid(r.sentTransferSyntaxUid!)}`
    : r.converted
    ? `converted to ${uidNameOrUid(r.sentTransferSyntaxUid!)}`
    : "sent as it is";
  return `  ${r.path}: ${what}: context ${r.contextId}, ${how}`;
}

function associationLines(a: PlannedAssociation, probed: boolean): string[] {
  const head = `Association ${a.number} (${
    a.kind === "default" ? "the default proposal" : "proposing what the files need"
  }): ${plural(a.files, "file")}`;
  let answer = "";
  if (a.error !== undefined) answer = `; not established: ${a.error}`;
  else if (probed && a.accepted) {
    answer = `; the peer accepted ${a.accepted.length} of ${plural(a.contexts.length, "context")}`;
  }
  const lines = [head + answer];
  if (a.kind === "default" && a.contexts.length === DEFAULT_STORAGE_SOP_CLASSES.length) {
    lines.push(
      `  proposes contexts 1-${a.contexts.at(-1)!.id}: the ${a.contexts.length} storage SOP ` +
        `classes of the default list, each in ${names(a.contexts[0].transferSyntaxes)}`,
    );
  } else {
    for (const c of a.contexts) {
      lines.push(
        `  proposes context ${c.id}: ${uidNameOrUid(c.abstractSyntax)} in ${
          names(c.transferSyntaxes)
        }`,
      );
    }
  }
  return lines;
}

/**
 * The plan as text: a header, each association with what it proposes and the files it would
 * carry, then the inputs that can't go and those skipped.
 *
 * @example
 * ```ts ignore
 * import { planText } from "./dry_run.ts";
 * console.log(planText(await dryRun(options), "127.0.0.1:11112 (ANY-SCP), as STORESCU"));
 * ```
 */
export function planText(plan: DryRunReport, peer: string): string {
  const out: string[] = [
    plan.probed
      ? `Probe of ${peer}: associations requested and released, nothing sent`
      : `Dry run for ${peer}: nothing sent, no connection; assuming the peer accepts the ` +
        "first transfer syntax proposed (--probe asks it)",
  ];
  const byAssociation = new Map<number, PlannedResult[]>();
  const notSent: PlannedResult[] = [];
  const skipped: PlannedResult[] = [];
  for (const r of plan.results) {
    if (r.association !== undefined) {
      const list = byAssociation.get(r.association) ?? [];
      list.push(r);
      byAssociation.set(r.association, list);
    } else if (r.outcome === "skipped") skipped.push(r);
    else notSent.push(r);
  }
  for (const a of plan.associations) {
    out.push(...associationLines(a, plan.probed));
    for (const r of byAssociation.get(a.number) ?? []) out.push(fileLine(r));
  }
  if (notSent.length > 0) {
    out.push("Not sent:");
    for (const r of notSent) out.push(`  ${r.path}: ${r.reason}`);
  }
  if (skipped.length > 0) {
    out.push("Skipped:");
    for (const r of skipped) out.push(`  ${r.path}: ${r.reason}`);
  }
  if (plan.nothingToSend !== undefined) out.push(`No files to send: ${plan.nothingToSend}`);
  return out.join("\n") + "\n";
}

/**
 * The closing line of a dry run (stderr, like the Summary of a run).
 *
 * @example
 * ```ts
 * import { planSummaryLine } from "./dry_run.ts";
 * planSummaryLine({
 *   probed: false,
 *   associations: [],
 *   results: [],
 *   counts: { planned: 2, "not-sent": 1, skipped: 0 },
 *   converted: 1,
 *   ignored: 0,
 *   noAssociation: false,
 * });
 * // "Dry run: 3 files: 2 to send (1 converted) over 0 associations, 1 not sent, 0 skipped"
 * ```
 */
export function planSummaryLine(plan: DryRunReport): string {
  const c = plan.counts;
  const total = c.planned + c["not-sent"] + c.skipped;
  let line = `${plan.probed ? "Probe" : "Dry run"}: ${plural(total, "file")}: ${c.planned} ${
    plan.probed ? "accepted" : "to send"
  } (${c.planned === 0 ? "none" : plan.converted} converted) over ${
    plural(plan.associations.length, "association")
  }, ${c["not-sent"]} not sent, ${c.skipped} skipped`;
  if (plan.ignored > 0) line += `; ${plural(plan.ignored, "non-DICOM file")} ignored`;
  return line;
}

/**
 * One JSON line for a planned input (the `--report` format of a dry run).
 *
 * @example
 * ```ts
 * import { planReportLine } from "./dry_run.ts";
 * planReportLine({ path: "a.dcm", outcome: "skipped", reason: "DICOMDIR" }, false);
 * // '{"path":"a.dcm","outcome":"skipped","sopClassUid":null,...,"probed":false}'
 * ```
 */
export function planReportLine(r: PlannedResult, probed: boolean): string {
  return JSON.stringify({
    ...resultFields(r),
    converted: r.converted ?? null,
    association: r.association ?? null,
    contextId: r.contextId ?? null,
    proposedTransferSyntaxes: r.proposedTransferSyntaxes ?? null,
    reason: r.reason ?? null,
    probed,
  });
}
