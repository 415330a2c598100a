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

import { JournalError, storeFiles, type StoreOptions, type StoreReport } from "./lib/send.ts";
import { type Level, Logger, LogHandlers, stderrWriter } from "./lib/log.ts";
import { AeTitleError, validateAeTitle } from "./lib/acse.ts";
import {
  DEFLATED_EXPLICIT_VR_LE,
  EXPLICIT_VR_BE,
  EXPLICIT_VR_LE,
  IMPLICIT_VR_LE,
} from "./lib/uids.ts";
import {
  type CliOptions,
  identityFilesOf,
  parseArgs,
  tlsOptionsOf,
  UsageError,
} from "./lib/cli/options.ts";
import {
  readUserIdentity,
  UserIdentityError,
  type UserIdentityRequest,
} from "./lib/user_identity.ts";
import { HELP, USAGE } from "./lib/cli/help.ts";
import { openReport, reportLine, type ReportWriter } from "./lib/cli/report.ts";
import { SIGNAL_EXIT, stopOnSignals } from "./lib/cli/signals.ts";
import { ProgressLine } from "./lib/progress.ts";

export { type CliOptions, parseArgs, reportLine, UsageError };

const INSECURE_WARNING = "W: --tls-insecure: the peer's certificate is not checked; anyone on " +
  "the network path can read and alter what is sent";

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
  /** Nothing to send: no file found, or every file found was left out (the reason is printed). */
  NothingToSend: 5,
  /** Interrupted by SIGINT (Ctrl-C); every file accounted for. */
  Interrupted: 130,
  /** Stopped by SIGTERM; every file accounted for. */
  Terminated: 143,
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
 * The one-line account printed at the end of every run. Skipped files (DICOMDIRs) and ignored
 * non-DICOM files are mentioned only when there are some.
 *
 * @example
 * ```ts
 * import { summaryLine } from "jsr:@x/storescu/cli";
 * summaryLine({ success: 2, warning: 0, failure: 1, "not-sent": 0, skipped: 0 });
 * // "Summary: 3 files: 2 success, 0 warning, 1 failed, 0 not sent"
 * summaryLine({ success: 2, warning: 0, failure: 0, "not-sent": 0, skipped: 1 }, 3);
 * // "Summary: 3 files: 2 success, 0 warning, 0 failed, 0 not sent, 1 skipped; 3 non-DICOM files ignored"
 * ```
 */
export function summaryLine(
  counts: Omit<StoreReport["counts"], "skipped"> & { skipped?: number },
  ignored = 0,
): string {
  const skipped = counts.skipped ?? 0;
  const total = counts.success + counts.warning + counts.failure + counts["not-sent"] + skipped;
  let line = `Summary: ${total} file${total === 1 ? "" : "s"}: ${counts.success} success, ` +
    `${counts.warning} warning, ${counts.failure} failed, ${counts["not-sent"]} not sent`;
  if (skipped > 0) line += `, ${skipped} skipped`;
  if (ignored > 0) line += `; ${ignored} non-DICOM file${ignored === 1 ? "" : "s"} ignored`;
  return line;
}

/**
 * The exit status for a finished run.
 *
 * @example
 * ```ts
 * import { exitCodeFor } from "jsr:@x/storescu/cli";
 * const counts = { success: 1, warning: 0, failure: 0, "not-sent": 0, skipped: 2 };
 * exitCodeFor({ counts, noAssociation: false });
 * // 0: skipped files were stored by an earlier run
 * ```
 */
export function exitCodeFor(
  report:
    & Pick<StoreReport, "noAssociation" | "nothingToSend">
    & { counts: Pick<StoreReport["counts"], "success" | "warning" | "failure" | "not-sent"> },
): number {
  const { counts } = report;
  const stored = counts.success + counts.warning;
  if (report.noAssociation && stored === 0) return ExitCode.NoAssociation;
  if (counts.failure + counts["not-sent"] > 0) return ExitCode.SomeNotStored;
  if (report.nothingToSend !== undefined) return ExitCode.NothingToSend;
  return ExitCode.Ok;
}

/** Where the CLI writes; replaceable for tests. */
export interface CliIO {
  /** Writes text to standard output. */
  stdout: (text: string) => void;
  /** Writes one line to standard error. */
  stderrLine: (line: string) => void;
  /** Writes raw text to standard error (the progress line; default: the real stderr). */
  stderr?: (text: string) => void;
}

function writeSyncAll(to: { writeSync(p: Uint8Array): number }, text: string): void {
  const b = new TextEncoder().encode(text);
  let off = 0;
  while (off < b.length) off += to.writeSync(b.subarray(off));
}

const defaultIO: CliIO = {
  stdout: (text) => writeSyncAll(Deno.stdout, text),
  stderrLine: stderrWriter(),
  stderr: (text) => writeSyncAll(Deno.stderr, text),
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

/** The library's options for a command line; events go to the log and the report. */
function storeOptionsOf(
  opts: CliOptions,
  log: Logger,
  handlers: LogHandlers,
  report: ReportWriter | undefined,
  progress: ProgressLine | undefined,
  userIdentity: UserIdentityRequest | undefined,
): StoreOptions {
  const fixTimeout = (v: number, name: string) => {
    if (v >= 0) return v;
    log.warn(`${name} set to 30 seconds`);
    return 30;
  };
  return {
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
    patterns: opts.patterns,
    dicomdir: opts.dicomdir,
    ignoreNonDicom: opts.ignoreNonDicom,
    decompress: opts.decompress,
    compress: opts.compress,
    codecThreads: opts.codecThreads,
    journal: opts.journal,
    byteProgress: progress !== undefined,
    tls: tlsOptionsOf(opts),
    userIdentity,
    onEvent: (e) => {
      handlers.onStoreEvent(e);
      progress?.onEvent(e);
      if (e.type === "file-done") report?.write(e.result);
    },
    associationListener: handlers.onAssociationEvent,
  };
}

/** The progress line, when wanted: on a terminal (or with --progress), never with -q. */
function progressFor(opts: CliOptions, quiet: boolean, io: CliIO): ProgressLine | undefined {
  const tty = Deno.stderr.isTerminal();
  if (quiet || opts.progress === "off" || (opts.progress !== "on" && !tty)) return undefined;
  if (opts.dryRun || (opts.echo && opts.paths.length === 0)) return undefined; // nothing sent
  let columns = 80;
  try {
    if (tty) columns = Deno.consoleSize().columns || 80;
  } catch {
    // not a console after all
  }
  const raw = io.stderr ?? ((text: string) => writeSyncAll(Deno.stderr, text));
  return new ProgressLine({ write: raw, color: tty && !Deno.noColor, columns });
}

/** Lines for stdout: above the progress line when both go to the terminal. */
function stdoutBeside(io: CliIO, progress: () => ProgressLine | undefined): (text: string) => void {
  if (!Deno.stdout.isTerminal()) return io.stdout;
  return (text) => {
    const p = progress();
    if (p) p.above(() => io.stdout(text));
    else io.stdout(text);
  };
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
  let configPath: string | undefined;
  try {
    opts = parseArgs(args);
    if (!opts.help && !opts.version) {
      // Destinations, echo and dry runs are loaded only when asked for: a plain send doesn't
      // pay for parsing them.
      if (opts.dest !== undefined) {
        configPath = (await import("./lib/cli/destinations.ts")).applyDestination(opts);
      }
      checkAeTitle("-aet/--calling-aet", opts.callingAet);
      checkAeTitle("-aec/--called-aet", opts.calledAet);
    }
  } catch (err) {
    if (err instanceof Error && err.name === "DestinationError") {
      io.stderrLine(`storescu: error: ${err.message}`);
      return ExitCode.Usage;
    }
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
  let userIdentity: UserIdentityRequest | undefined;
  try {
    userIdentity = await readUserIdentity(identityFilesOf(opts));
  } catch (err) {
    if (!(err instanceof UserIdentityError)) throw err;
    io.stderrLine(USAGE);
    io.stderrLine(`storescu: error: ${err.message}`);
    return ExitCode.Usage;
  }
  let report: ReportWriter | undefined;
  if (opts.report !== undefined) {
    try {
      report = await openReport(opts.report, stdoutBeside(io, () => progress));
    } catch (err) {
      io.stderrLine(USAGE);
      io.stderrLine(`storescu: error: ${err instanceof Error ? err.message : String(err)}`);
      return ExitCode.Usage;
    }
  }
  const level = logLevelOf(opts);
  const progress = progressFor(opts, level === "quiet", io);
  // With a progress line, every stderr line is written above it.
  const stderrLine = progress ? progress.line : io.stderrLine;
  const log = new Logger(level, stderrLine);
  const handlers = new LogHandlers(log);
  log.debug(`storescu v${VERSION}`);
  log.debug("");
  if (configPath !== undefined) {
    log.info(
      `Destination ${opts.dest}: ${opts.addr}:${opts.port} (${opts.calledAet}), from ${configPath}`,
    );
  }
  // Loud on purpose: shown at every level but -q.
  if (opts.tlsInsecure && level !== "quiet") stderrLine(INSECURE_WARNING);
  if (userIdentity?.type === "username" && userIdentity.password !== undefined && !opts.tls) {
    log.warn("The password goes over the network unencrypted: use --tls where the peer can");
  }
  const options = storeOptionsOf(opts, log, handlers, report, progress, userIdentity);
  const say = (line: string) => level !== "quiet" && stderrLine(line);
  let result: StoreReport;
  let interruptedBy: "SIGINT" | "SIGTERM" | undefined;
  const echoCli = opts.echo ? await import("./lib/cli/echo.ts") : undefined;
  const echoFailed = await echoCli?.runEcho(options, log, handlers, say);
  if (opts.echo && opts.paths.length === 0) {
    report?.close();
    return echoFailed === undefined ? ExitCode.Ok : ExitCode.NoAssociation;
  }
  if (echoFailed !== undefined) result = await echoCli!.unsentAfterEcho(options, echoFailed);
  else if (opts.dryRun) {
    const planned = await planOnly(options, opts, report, io, say);
    return planned instanceof JournalError ? journalUnusable(planned, report, io) : planned;
  } else {
    const sent = await send(options, say, progress);
    if (sent instanceof JournalError) return journalUnusable(sent, report, io);
    result = sent.result;
    interruptedBy = sent.signal;
  }
  // Unusable paths never reach the sender: report them too.
  for (const r of result.results) if (r.reason?.startsWith("Cannot access path")) report?.write(r);
  report?.close();
  progress?.end();
  say(summaryLine(result.counts, result.ignored));
  if (interruptedBy) return SIGNAL_EXIT[interruptedBy];
  return exitCodeFor(result);
}

/** A journal that can't be used is a usage error: said like one, exit 2. */
function journalUnusable(e: JournalError, report: ReportWriter | undefined, io: CliIO): number {
  report?.close();
  io.stderrLine(USAGE);
  io.stderrLine(`storescu: error: --${e.message}`);
  return ExitCode.Usage;
}

/**
 * The run itself, stopped cleanly by Ctrl-C or SIGTERM (the listeners live for the run only);
 * a journal that can't be used is handed back (a usage error).
 */
async function send(
  options: StoreOptions,
  say: (line: string) => void,
  progress: ProgressLine | undefined,
): Promise<{ result: StoreReport; signal?: "SIGINT" | "SIGTERM" } | JournalError> {
  const stop = stopOnSignals(say);
  try {
    const result = await storeFiles({
      ...options,
      signal: stop.signal,
      forceSignal: stop.forceSignal,
    });
    return { result, signal: result.interrupted ? stop.received : undefined };
  } catch (err) {
    if (err instanceof JournalError) return err;
    throw err;
  } finally {
    stop.dispose();
    progress?.end();
  }
}

/**
 * `--dry-run`/`--probe`: the plan on stdout (or as JSON lines with `--report`), no data sent; a
 * journal that can't be read is handed back (a usage error).
 */
async function planOnly(
  options: StoreOptions,
  opts: CliOptions,
  report: ReportWriter | undefined,
  io: CliIO,
  say: (line: string) => void,
): Promise<number | JournalError> {
  const { dryRun } = await import("./lib/dry_run.ts");
  const { planReportLine, planSummaryLine, planText } = await import("./lib/cli/dry_run.ts");
  const { onEvent, ...rest } = options;
  let plan;
  try {
    plan = await dryRun({
      ...rest,
      probe: opts.probe,
      // The plan says what happens to each file: only the association steps are logged.
      onEvent: (e) => e.type.startsWith("association") && onEvent?.(e),
    });
  } catch (err) {
    if (err instanceof JournalError) return err;
    throw err;
  }
  for (const r of plan.results) report?.line(planReportLine(r, plan.probed));
  report?.close();
  if (opts.report !== "-" && opts.logType !== "q") {
    io.stdout(
      planText(plan, `${opts.addr}:${opts.port} (${opts.calledAet}) as ${opts.callingAet}`),
    );
  }
  say(planSummaryLine(plan));
  return exitCodeFor({
    counts: {
      success: plan.counts.planned,
      warning: 0,
      failure: 0,
      "not-sent": plan.counts["not-sent"],
    },
    noAssociation: plan.noAssociation,
    nothingToSend: plan.nothingToSend,
  });
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
