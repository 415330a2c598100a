/**
 * The `storescu` command line: options table → {@link storeFiles} → per-file account and
 * exit code. Options, defaults and log wording follow pynetdicom's `storescu`.
 *
 * ```sh
 * deno run -N -R jsr:@x/storescu 127.0.0.1 11112 study/ -r -v
 * ```
 *
 * @module
 */

import { storeFiles, type StoreReport } from "./lib/send.ts";
import { type Level, Logger, LogHandlers, stderrWriter } from "./lib/log.ts";
import { AeTitleError, validateAeTitle } from "./lib/acse.ts";
import {
  DEFLATED_EXPLICIT_VR_LE,
  EXPLICIT_VR_BE,
  EXPLICIT_VR_LE,
  IMPLICIT_VR_LE,
} from "./lib/uids.ts";
import { type CliOptions, parseArgs, UsageError } from "./lib/cli/options.ts";
import { HELP, USAGE } from "./lib/cli/help.ts";
import { openReport, reportLine, type ReportWriter } from "./lib/cli/report.ts";

export { type CliOptions, parseArgs, reportLine, UsageError };

/** This tool's version. */
export const VERSION = "0.1.0";

/** Exit codes. */
export const ExitCode = {
  /** Every file was stored (Success or Warning status), or there was nothing to send. */
  Ok: 0,
  /** No association could be established; nothing was stored. */
  NoAssociation: 1,
  /** Bad command line. */
  Usage: 2,
  /** Some files were not stored (failed or not sent). */
  SomeNotStored: 3,
  /** An unexpected internal error. */
  Internal: 4,
} as const;

function logLevelOf(o: CliOptions): Level | "quiet" {
  if (o.logType === "q") return "quiet";
  let level: Level = "error";
  if (o.logType === "v") level = "info";
  if (o.logType === "d") level = "debug";
  if (o.logLevel) level = o.logLevel;
  return level;
}

function transferSyntaxesOf(o: CliOptions): string[] {
  switch (o.requestTs) {
    case "xe":
      return [EXPLICIT_VR_LE];
    case "xb":
      return [EXPLICIT_VR_BE];
    case "xi":
      return [IMPLICIT_VR_LE];
    default:
      return [EXPLICIT_VR_LE, IMPLICIT_VR_LE, DEFLATED_EXPLICIT_VR_LE, EXPLICIT_VR_BE];
  }
}

/**
 * The one-line account printed at the end of every run.
 *
 * @example
 * ```ts
 * import { summaryLine } from "jsr:@x/storescu/cli";
 * summaryLine({ success: 2, warning: 0, failure: 1, "not-sent": 0 });
 * // "Summary: 3 files: 2 success, 0 warning, 1 failed, 0 not sent"
 * ```
 */
export function summaryLine(counts: StoreReport["counts"]): string {
  const total = counts.success + counts.warning + counts.failure + counts["not-sent"];
  return `Summary: ${total} file${total === 1 ? "" : "s"}: ${counts.success} success, ` +
    `${counts.warning} warning, ${counts.failure} failed, ${counts["not-sent"]} not sent`;
}

/**
 * The exit status for a finished run.
 *
 * @example
 * ```ts
 * import { exitCodeFor } from "jsr:@x/storescu/cli";
 * exitCodeFor({ counts: { success: 1, warning: 0, failure: 0, "not-sent": 0 }, noAssociation: false });
 * // 0
 * ```
 */
export function exitCodeFor(report: Pick<StoreReport, "counts" | "noAssociation">): number {
  const { counts } = report;
  const stored = counts.success + counts.warning;
  if (report.noAssociation && stored === 0) return ExitCode.NoAssociation;
  if (counts.failure + counts["not-sent"] > 0) return ExitCode.SomeNotStored;
  return ExitCode.Ok;
}

/** Where the CLI writes; replaceable for tests. */
export interface CliIO {
  /** Writes text to standard output. */
  stdout: (text: string) => void;
  /** Writes one line to standard error. */
  stderrLine: (line: string) => void;
}

const defaultIO: CliIO = {
  stdout: (text) => {
    const b = new TextEncoder().encode(text);
    let off = 0;
    while (off < b.length) off += Deno.stdout.writeSync(b.subarray(off));
  },
  stderrLine: stderrWriter(),
};

/** An AE title error says which option holds the bad title. */
function checkAeTitle(option: string, value: string): void {
  try {
    validateAeTitle(value);
  } catch (err) {
    if (err instanceof AeTitleError) throw new UsageError(`argument ${option}: ${err.message}`);
    throw err;
  }
}

/**
 * Runs the CLI with `args` and resolves the exit status (does not exit).
 *
 * @example
 * ```ts ignore
 * import { main } from "jsr:@x/storescu/cli";
 * Deno.exit(await main(["127.0.0.1", "11112", "testdata", "-v"]));
 * ```
 */
export async function main(args: string[], io: CliIO = defaultIO): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseArgs(args);
    if (!opts.help && !opts.version) {
      checkAeTitle("-aet/--calling-aet", opts.callingAet);
      checkAeTitle("-aec/--called-aet", opts.calledAet);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderrLine(USAGE);
      io.stderrLine(`storescu: error: ${err.message}`);
      return ExitCode.Usage;
    }
    throw err;
  }
  if (opts.help) {
    io.stdout(HELP);
    return ExitCode.Ok;
  }
  if (opts.version) {
    io.stdout(`storescu v${VERSION}\n`);
    return ExitCode.Ok;
  }
  let report: ReportWriter | undefined;
  if (opts.report !== undefined) {
    try {
      report = await openReport(opts.report, io.stdout);
    } catch (err) {
      io.stderrLine(USAGE);
      io.stderrLine(`storescu: error: ${err instanceof Error ? err.message : String(err)}`);
      return ExitCode.Usage;
    }
  }
  const level = logLevelOf(opts);
  const log = new Logger(level, io.stderrLine);
  const handlers = new LogHandlers(log);
  log.debug(`storescu v${VERSION}`);
  log.debug("");
  const fixTimeout = (v: number, name: string) => {
    if (v >= 0) return v;
    log.warn(`${name} set to 30 seconds`);
    return 30;
  };
  const result = await storeFiles({
    address: opts.addr,
    port: opts.port,
    paths: opts.paths,
    recurse: opts.recurse,
    callingAeTitle: opts.callingAet,
    calledAeTitle: opts.calledAet,
    timeouts: {
      acse: fixTimeout(opts.acseTimeout, "ACSE timeout"),
      dimse: fixTimeout(opts.dimseTimeout, "DIMSE timeout"),
      network: fixTimeout(opts.networkTimeout, "Network timeout"),
    },
    maxPduLength: opts.maxPdu,
    requiredContexts: opts.requiredContexts,
    transferSyntaxes: transferSyntaxesOf(opts),
    parallel: opts.parallel,
    asyncWindow: opts.asyncWindow,
    retries: opts.retry,
    retryDelay: opts.retryDelay,
    onEvent: (e) => {
      handlers.onStoreEvent(e);
      if (e.type === "file-done") report?.write(e.result);
    },
    associationListener: handlers.onAssociationEvent,
  });
  // Unusable paths never reach the sender: report them too.
  for (const r of result.results) if (r.reason?.startsWith("Cannot access path")) report?.write(r);
  report?.close();
  if (level !== "quiet") io.stderrLine(summaryLine(result.counts));
  return exitCodeFor(result);
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    stderrWriter()(`E: Internal error: ${e.message}`);
    code = ExitCode.Internal;
  }
  Deno.exit(code);
}
