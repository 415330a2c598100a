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

import { type FileResult, storeFiles, type StoreReport } from "./lib/send.ts";
import { type Level, Logger, LogHandlers, stderrWriter } from "./lib/log.ts";
import { AeTitleError, validateAeTitle } from "./lib/acse.ts";
import {
  DEFLATED_EXPLICIT_VR_LE,
  EXPLICIT_VR_BE,
  EXPLICIT_VR_LE,
  IMPLICIT_VR_LE,
} from "./lib/uids.ts";

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

const USAGE = "usage: storescu [options] addr port path";

const HELP = `${USAGE}

The storescu application implements a Service Class User (SCU) for the Storage
Service Class. For each DICOM file on the command line it sends a C-STORE
message to a Storage Service Class Provider (SCP) and waits for a response.

options:
  -h, --help            show this help message and exit

Parameters:
  addr                  TCP/IP address or hostname of DICOM peer
  port                  TCP/IP port number of peer
  path                  DICOM file or directory to be transmitted

General Options:
  --version             print version information and exit
  -q, --quiet           quiet mode, print no warnings and errors
  -v, --verbose         verbose mode, print processing details
  -d, --debug           debug mode, print debug information
  -ll [l], --log-level [l]
                        use level l for the logger (critical, error, warn,
                        info, debug)

Input Options:
  -r, --recurse         recursively search the given directory

Network Options:
  -aet [a]etitle, --calling-aet [a]etitle
                        set my calling AE title (default: STORESCU)
  -aec [a]etitle, --called-aet [a]etitle
                        set called AE title of peer (default: ANY-SCP)
  -ta [s]econds, --acse-timeout [s]econds
                        timeout for ACSE messages (default: 30 s)
  -td [s]econds, --dimse-timeout [s]econds
                        timeout for DIMSE messages (default: 30 s)
  -tn [s]econds, --network-timeout [s]econds
                        timeout for the network (default: 30 s)
  -pdu [n]umber of bytes, --max-pdu [n]umber of bytes
                        set max receive pdu to n bytes (0 for unlimited,
                        default: 16382)

Transfer Syntax Options:
  -xe, --request-little
                        request explicit VR little endian TS only
  -xb, --request-big    request explicit VR big endian TS only
  -xi, --request-implicit
                        request implicit VR little endian TS only

Miscellaneous Options:
  -cx, --required-contexts
                        only request the presentation contexts required for
                        the input DICOM file(s)

Our additions:
  --parallel [n]        send over n associations at once (default: 1)
  --async [n]           propose an asynchronous operations window of n
                        outstanding C-STOREs (default: 1, none proposed)
  --retry [n]           re-send files that failed for a transient reason
                        (refused, reset, aborted, timed out, 0xA7xx) up to n
                        more times, over a new association (default: 0)
  --retry-delay [s]econds
                        first retry delay, doubled each time (default: 1 s)
  --report [f]ile       write one JSON line per file to f ('-' for stdout);
                        needs write permission for f (-W)

Exit status:
  0  every file was stored (Success or Warning status)
  1  no association could be established; nothing was stored
  2  bad command line
  3  some files were not stored (each is named on stderr with its reason)
  4  internal error
`;

/** Parsed command line. */
export interface CliOptions {
  /** Peer address. */
  addr: string;
  /** TCP port. */
  port: number;
  /** Files and directories to send. */
  paths: string[];
  /** `--version` given. */
  version: boolean;
  /** `-h` given. */
  help: boolean;
  /** `-q`, `-v` or `-d`. */
  logType?: "q" | "v" | "d";
  /** `-ll` level. */
  logLevel?: Level;
  /** `-r` given. */
  recurse: boolean;
  /** `-aet`. */
  callingAet: string;
  /** `-aec`. */
  calledAet: string;
  /** `-ta` seconds. */
  acseTimeout: number;
  /** `-td` seconds. */
  dimseTimeout: number;
  /** `-tn` seconds. */
  networkTimeout: number;
  /** `-pdu` bytes (0 = unlimited). */
  maxPdu: number;
  /** `-xe`, `-xb` or `-xi`. */
  requestTs?: "xe" | "xb" | "xi";
  /** `-cx` given. */
  requiredContexts: boolean;
  /** `--parallel`: associations at once. */
  parallel: number;
  /** `--async`: asynchronous operations window to propose. */
  asyncWindow: number;
  /** `--retry`: extra attempts for transient failures. */
  retry: number;
  /** `--retry-delay`: first retry delay in seconds. */
  retryDelay: number;
  /** `--report`: JSON-lines report file, `-` for stdout. */
  report?: string;
}

/** A command-line error: printed after the usage line, exit status 2. */
export class UsageError extends Error {
  /**
   * Creates the error.
   * @param message the argparse-style text after "storescu: error: "
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

type Spec = {
  dest: string;
  flags: string[];
  kind: "flag" | "string" | "float" | "int" | "choice";
  choices?: string[];
  group?: string;
  value?: string;
  metavar?: string;
};

const SPECS: Spec[] = [
  { dest: "help", flags: ["-h", "--help"], kind: "flag" },
  { dest: "version", flags: ["--version"], kind: "flag" },
  { dest: "logType", flags: ["-q", "--quiet"], kind: "flag", group: "log", value: "q" },
  { dest: "logType", flags: ["-v", "--verbose"], kind: "flag", group: "log", value: "v" },
  { dest: "logType", flags: ["-d", "--debug"], kind: "flag", group: "log", value: "d" },
  {
    dest: "logLevel",
    flags: ["-ll", "--log-level"],
    kind: "choice",
    choices: ["critical", "error", "warn", "info", "debug"],
    metavar: "[l]",
  },
  { dest: "recurse", flags: ["-r", "--recurse"], kind: "flag" },
  { dest: "callingAet", flags: ["-aet", "--calling-aet"], kind: "string", metavar: "[a]etitle" },
  { dest: "calledAet", flags: ["-aec", "--called-aet"], kind: "string", metavar: "[a]etitle" },
  { dest: "acseTimeout", flags: ["-ta", "--acse-timeout"], kind: "float", metavar: "[s]econds" },
  { dest: "dimseTimeout", flags: ["-td", "--dimse-timeout"], kind: "float", metavar: "[s]econds" },
  {
    dest: "networkTimeout",
    flags: ["-tn", "--network-timeout"],
    kind: "float",
    metavar: "[s]econds",
  },
  { dest: "maxPdu", flags: ["-pdu", "--max-pdu"], kind: "int", metavar: "[n]umber of bytes" },
  { dest: "requestTs", flags: ["-xe", "--request-little"], kind: "flag", group: "ts", value: "xe" },
  { dest: "requestTs", flags: ["-xb", "--request-big"], kind: "flag", group: "ts", value: "xb" },
  {
    dest: "requestTs",
    flags: ["-xi", "--request-implicit"],
    kind: "flag",
    group: "ts",
    value: "xi",
  },
  { dest: "requiredContexts", flags: ["-cx", "--required-contexts"], kind: "flag" },
  { dest: "parallel", flags: ["--parallel"], kind: "int", metavar: "[n]" },
  { dest: "asyncWindow", flags: ["--async"], kind: "int", metavar: "[n]" },
  { dest: "retry", flags: ["--retry"], kind: "int", metavar: "[n]" },
  { dest: "retryDelay", flags: ["--retry-delay"], kind: "float", metavar: "[s]econds" },
  { dest: "report", flags: ["--report"], kind: "string", metavar: "[f]ile" },
];

function findSpec(arg: string): { spec: Spec; flag: string } {
  for (const spec of SPECS) {
    for (const f of spec.flags) if (f === arg) return { spec, flag: f };
  }
  if (arg.startsWith("--")) {
    // argparse allows any unique prefix of a long option.
    const hits = SPECS.flatMap((spec) =>
      spec.flags.filter((f) => f.startsWith("--") && f.startsWith(arg)).map((flag) => ({
        spec,
        flag,
      }))
    );
    if (hits.length === 1) return hits[0];
    if (hits.length > 1) {
      throw new UsageError(
        `ambiguous option: ${arg} could match ${hits.map((h) => h.flag).join(", ")}`,
      );
    }
  }
  throw new UsageError(`unrecognized arguments: ${arg}`);
}

function isNumberLike(s: string): boolean {
  return /^-\d+(\.\d*)?$|^-\.\d+$/.test(s);
}

function flagNames(spec: Spec): string {
  return spec.flags.join("/");
}

/**
 * Parses the command line the way the reference's argparse does (options and positionals in
 * any order, long options by unique prefix, mutually exclusive groups).
 *
 * @example
 * ```ts
 * import { parseArgs } from "./cli.ts";
 * const o = parseArgs(["127.0.0.1", "11112", "a.dcm", "-v", "-aet", "ME"]);
 * o.callingAet; // "ME"
 * ```
 */
export function parseArgs(args: string[]): CliOptions {
  const values: Record<string, string | number | boolean> = {};
  const seenGroup = new Map<string, Spec>();
  const positionals: string[] = [];
  let onlyPositionals = false;
  for (let i = 0; i < args.length; i++) {
    let arg = args[i];
    if (onlyPositionals || !arg.startsWith("-") || arg === "-" || isNumberLike(arg)) {
      positionals.push(arg);
      continue;
    }
    if (arg === "--") {
      onlyPositionals = true;
      continue;
    }
    let inline: string | undefined;
    if (arg.startsWith("--") && arg.includes("=")) {
      inline = arg.slice(arg.indexOf("=") + 1);
      arg = arg.slice(0, arg.indexOf("="));
    }
    const { spec } = findSpec(arg);
    if (spec.group) {
      const prev = seenGroup.get(spec.group);
      if (prev && prev !== spec) {
        throw new UsageError(
          `argument ${flagNames(spec)}: not allowed with argument ${flagNames(prev)}`,
        );
      }
      seenGroup.set(spec.group, spec);
    }
    if (spec.kind === "flag") {
      if (inline !== undefined) {
        throw new UsageError(`argument ${flagNames(spec)}: ignored explicit argument '${inline}'`);
      }
      values[spec.dest] = spec.value ?? true;
      continue;
    }
    let v = inline;
    if (v === undefined) {
      const next = args[i + 1];
      if (next === undefined || (next.startsWith("-") && !isNumberLike(next) && next !== "-")) {
        throw new UsageError(`argument ${flagNames(spec)}: expected one argument`);
      }
      v = next;
      i++;
    }
    switch (spec.kind) {
      case "string":
        values[spec.dest] = v;
        break;
      case "float": {
        const n = Number(v);
        if (v.trim() === "" || Number.isNaN(n)) {
          throw new UsageError(`argument ${flagNames(spec)}: invalid float value: '${v}'`);
        }
        values[spec.dest] = n;
        break;
      }
      case "int": {
        if (!/^[-+]?\d+$/.test(v.trim())) {
          throw new UsageError(`argument ${flagNames(spec)}: invalid int value: '${v}'`);
        }
        values[spec.dest] = Number(v);
        break;
      }
      case "choice":
        if (!spec.choices!.includes(v)) {
          throw new UsageError(
            `argument ${flagNames(spec)}: invalid choice: '${v}' (choose from ${
              spec.choices!.map((c) => `'${c}'`).join(", ")
            })`,
          );
        }
        values[spec.dest] = v;
        break;
    }
  }
  const opts: CliOptions = {
    addr: "",
    port: 0,
    paths: [],
    version: values.version === true,
    help: values.help === true,
    logType: values.logType as CliOptions["logType"],
    logLevel: values.logLevel as Level | undefined,
    recurse: values.recurse === true,
    callingAet: (values.callingAet as string | undefined) ?? "STORESCU",
    calledAet: (values.calledAet as string | undefined) ?? "ANY-SCP",
    acseTimeout: (values.acseTimeout as number | undefined) ?? 30,
    dimseTimeout: (values.dimseTimeout as number | undefined) ?? 30,
    networkTimeout: (values.networkTimeout as number | undefined) ?? 30,
    maxPdu: (values.maxPdu as number | undefined) ?? 16382,
    requestTs: values.requestTs as CliOptions["requestTs"],
    requiredContexts: values.requiredContexts === true,
    parallel: (values.parallel as number | undefined) ?? 1,
    asyncWindow: (values.asyncWindow as number | undefined) ?? 1,
    retry: (values.retry as number | undefined) ?? 0,
    retryDelay: (values.retryDelay as number | undefined) ?? 1,
    report: values.report as string | undefined,
  };
  if (opts.help || opts.version) return opts;
  const missing = ["addr", "port", "path"].slice(Math.min(positionals.length, 3));
  if (positionals.length < 3) {
    throw new UsageError(`the following arguments are required: ${missing.join(", ")}`);
  }
  opts.addr = positionals[0];
  const port = positionals[1];
  if (!/^[-+]?\d+$/.test(port.trim())) {
    throw new UsageError(`argument port: invalid int value: '${port}'`);
  }
  opts.port = Number(port);
  if (opts.port < 0 || opts.port > 65535) {
    throw new UsageError(`argument port: must be 0-65535, not ${opts.port}`);
  }
  if (opts.maxPdu < 0) {
    throw new UsageError(
      `argument -pdu/--max-pdu: must be 0 (unlimited) or more, not ${opts.maxPdu}`,
    );
  }
  if (opts.maxPdu > 0xffffffff) {
    throw new UsageError(`argument -pdu/--max-pdu: must be at most 4294967295`);
  }
  for (
    const [name, v, min, max] of [
      ["--parallel", opts.parallel, 1, 64],
      ["--async", opts.asyncWindow, 1, 65535],
      ["--retry", opts.retry, 0, 100],
    ] as const
  ) {
    if (v < min || v > max) {
      throw new UsageError(`argument ${name}: must be ${min}-${max}, not ${v}`);
    }
  }
  if (opts.retryDelay < 0) throw new UsageError(`argument --retry-delay: must be 0 or more`);
  opts.paths = positionals.slice(2);
  return opts;
}

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
 * import { summaryLine } from "./cli.ts";
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
 * import { exitCodeFor } from "./cli.ts";
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

/**
 * Runs the CLI with `args` and resolves the exit status (does not exit).
 *
 * @example
 * ```ts ignore
 * import { main } from "./cli.ts";
 * Deno.exit(await main(["127.0.0.1", "11112", "testdata", "-v"]));
 * ```
 */
export async function main(args: string[], io: CliIO = defaultIO): Promise<number> {
  let opts: CliOptions;
  try {
    opts = parseArgs(args);
    if (!opts.help && !opts.version) {
      validateAeTitle(opts.callingAet);
      validateAeTitle(opts.calledAet);
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof AeTitleError) {
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
      report = await openReport(opts.report, io);
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
    retryDelayMs: opts.retryDelay * 1000,
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

/** Writes one JSON object per line. */
interface ReportWriter {
  write(r: FileResult): void;
  close(): void;
}

/**
 * One JSON line for a file result (the `--report` format).
 *
 * @example
 * ```ts
 * import { reportLine } from "./cli.ts";
 * reportLine({ path: "a.dcm", outcome: "success", status: 0 });
 * // '{"path":"a.dcm","outcome":"success","sopClassUid":null,...}'
 * ```
 */
export function reportLine(r: FileResult): string {
  return JSON.stringify({
    path: r.path,
    outcome: r.outcome,
    sopClassUid: r.sopClassUid ?? null,
    sopInstanceUid: r.sopInstanceUid ?? null,
    transferSyntaxUid: r.transferSyntaxUid ?? null,
    sentTransferSyntaxUid: r.sentTransferSyntaxUid ?? null,
    contextId: r.contextId ?? null,
    status: r.status ?? null,
    reason: r.reason ?? null,
    bytes: r.bytes ?? null,
    ms: r.ms ?? null,
    attempts: r.attempts ?? 1,
  });
}

async function openReport(path: string, io: CliIO): Promise<ReportWriter> {
  if (path === "-") {
    return { write: (r) => io.stdout(reportLine(r) + "\n"), close: () => {} };
  }
  const perm = await Deno.permissions.query({ name: "write", path });
  if (perm.state !== "granted") {
    throw new Error(
      `--report ${path}: no write permission; run with -W (or --allow-write=${path}), ` +
        `or use --report - for stdout`,
    );
  }
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, create: true, truncate: true });
  } catch (err) {
    throw new Error(`--report ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const enc = new TextEncoder();
  return {
    write: (r) => {
      const b = enc.encode(reportLine(r) + "\n");
      let off = 0;
      while (off < b.length) off += file.writeSync(b.subarray(off));
    },
    close: () => file.close(),
  };
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
