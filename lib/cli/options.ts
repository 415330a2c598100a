/**
 * storescu's command line: the option table, the parsed options and their checks.
 *
 * @module
 */

import type { Level } from "../log.ts";
import type { TlsClientOptions } from "../tls/options.ts";
import type { UserIdentityFiles } from "../user_identity.ts";
import { type OptionSpec, parseCommandLine, UsageError } from "./argparse.ts";
import { compileGlob } from "../glob.ts";

export { UsageError };

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
  /** `--echo`: a C-ECHO first (alone when no path is given). */
  echo: boolean;
  /** `--dry-run` (or `--probe`): show the plan, send nothing. */
  dryRun: boolean;
  /** `--probe`: with the dry run, negotiate with the peer. */
  probe: boolean;
  /** `--dest`: a named destination from the config file (every positional is then a path). */
  dest?: string;
  /** `--config`: the destinations file. */
  config?: string;
  /** `--dicomdir`: send the files DICOMDIRs reference. */
  dicomdir: boolean;
  /** `--pattern`: wildcard patterns for file names met in directories. */
  patterns: string[];
  /** `--ignore-non-dicom`: leave non-DICOM files out of the account. */
  ignoreNonDicom: boolean;
  /** `--tls`: DICOM over TLS. */
  tls: boolean;
  /** `--tls-ca` (repeatable): trusted CA certificate files. */
  tlsCa: string[];
  /** `--tls-cert`: our certificate file (mutual TLS). */
  tlsCert?: string;
  /** `--tls-key`: its private key file. */
  tlsKey?: string;
  /** `--tls-server-name`: the name to verify and send as SNI. */
  tlsServerName?: string;
  /** `--tls-insecure`: no verification of the peer's certificate. */
  tlsInsecure: boolean;
  /** `--user`: username of the user identity. */
  user?: string;
  /** `--password-file`: file holding the password (`-`: standard input). */
  passwordFile?: string;
  /** `--kerberos-file`: file holding a Kerberos service ticket. */
  kerberosFile?: string;
  /** `--saml-file`: file holding a SAML assertion. */
  samlFile?: string;
  /** `--jwt-file`: file holding a JSON Web Token. */
  jwtFile?: string;
  /** `--user-response`: ask the peer to confirm the user identity. */
  userResponse: boolean;
  /** The `dest` keys given on the command line (a destination doesn't override them). */
  given?: ReadonlySet<string>;
  /** `--decompress`: which compressed files may be sent decoded. */
  decompress: "never" | "lossless" | "lossy";
  /** `--compress`: encode uncompressed files to this syntax when the peer accepts it. */
  compress?: "rle" | "jpeg-ls" | "j2k" | "htj2k";
  /** `--codec-threads`: threads decoding frames (undefined: the library's default). */
  codecThreads?: number;
  /** `--journal`: the resume journal file. */
  journal?: string;
  /** `--progress` (on even when stderr is not a terminal) or `--no-progress`. */
  progress?: "on" | "off";
}

const SPECS: OptionSpec[] = [
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
  },
  { dest: "recurse", flags: ["-r", "--recurse"], kind: "flag" },
  { dest: "callingAet", flags: ["-aet", "--calling-aet"], kind: "string" },
  { dest: "calledAet", flags: ["-aec", "--called-aet"], kind: "string" },
  { dest: "acseTimeout", flags: ["-ta", "--acse-timeout"], kind: "float" },
  { dest: "dimseTimeout", flags: ["-td", "--dimse-timeout"], kind: "float" },
  {
    dest: "networkTimeout",
    flags: ["-tn", "--network-timeout"],
    kind: "float",
  },
  { dest: "maxPdu", flags: ["-pdu", "--max-pdu"], kind: "int" },
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
  { dest: "parallel", flags: ["--parallel"], kind: "int" },
  { dest: "asyncWindow", flags: ["--async"], kind: "int" },
  { dest: "retry", flags: ["--retry"], kind: "int" },
  { dest: "retryDelay", flags: ["--retry-delay"], kind: "float" },
  { dest: "report", flags: ["--report"], kind: "string" },
  { dest: "echo", flags: ["--echo"], kind: "flag" },
  { dest: "dryRun", flags: ["--dry-run"], kind: "flag" },
  { dest: "probe", flags: ["--probe"], kind: "flag" },
  { dest: "dest", flags: ["--dest"], kind: "string" },
  { dest: "config", flags: ["--config"], kind: "string" },
  { dest: "dicomdir", flags: ["--dicomdir"], kind: "flag" },
  { dest: "patterns", flags: ["--pattern"], kind: "list" },
  { dest: "ignoreNonDicom", flags: ["--ignore-non-dicom"], kind: "flag" },
  {
    dest: "decompress",
    flags: ["--decompress"],
    kind: "choice",
    choices: ["never", "lossless", "lossy"],
  },
  { dest: "codecThreads", flags: ["--codec-threads"], kind: "int" },
  {
    dest: "compress",
    flags: ["--compress"],
    kind: "choice",
    choices: ["rle", "jpeg-ls", "j2k", "htj2k"],
  },
  { dest: "journal", flags: ["--journal"], kind: "string" },
  { dest: "progress", flags: ["--progress"], kind: "flag", group: "progress", value: "on" },
  { dest: "progress", flags: ["--no-progress"], kind: "flag", group: "progress", value: "off" },
  { dest: "tls", flags: ["--tls"], kind: "flag" },
  { dest: "tlsCa", flags: ["--tls-ca"], kind: "list" },
  { dest: "tlsCert", flags: ["--tls-cert"], kind: "string" },
  { dest: "tlsKey", flags: ["--tls-key"], kind: "string" },
  { dest: "tlsServerName", flags: ["--tls-server-name"], kind: "string" },
  { dest: "tlsInsecure", flags: ["--tls-insecure"], kind: "flag" },
  { dest: "user", flags: ["--user"], kind: "string", group: "identity" },
  { dest: "passwordFile", flags: ["--password-file"], kind: "string" },
  { dest: "kerberosFile", flags: ["--kerberos-file"], kind: "string", group: "identity" },
  { dest: "samlFile", flags: ["--saml-file"], kind: "string", group: "identity" },
  { dest: "jwtFile", flags: ["--jwt-file"], kind: "string", group: "identity" },
  { dest: "userResponse", flags: ["--user-response"], kind: "flag" },
];

/**
 * Parses the command line the way the reference's argparse does (options and positionals in
 * any order, long options by unique prefix, mutually exclusive groups).
 *
 * @example
 * ```ts
 * import { parseArgs } from "./options.ts";
 * const o = parseArgs(["127.0.0.1", "11112", "a.dcm", "-v", "-aet", "ME"]);
 * o.callingAet; // "ME"
 * ```
 */
export function parseArgs(args: string[]): CliOptions {
  const end = args.indexOf("--");
  const denoFlag = (end < 0 ? args : args.slice(0, end))
    .find((a) => /^(-[ANRWES]$|--allow-|--deny-)/.test(a));
  if (denoFlag !== undefined) {
    throw new UsageError(
      `unrecognized arguments: ${denoFlag} (a Deno permission flag: it goes before the ` +
        `script, e.g. deno run -N -R -W jsr:@x/storescu ...)`,
    );
  }
  const { values, positionals } = parseCommandLine(SPECS, args);
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
    echo: values.echo === true,
    dryRun: values.dryRun === true || values.probe === true,
    probe: values.probe === true,
    dest: values.dest as string | undefined,
    config: values.config as string | undefined,
    dicomdir: values.dicomdir === true,
    patterns: (values.patterns as string[] | undefined) ?? [],
    ignoreNonDicom: values.ignoreNonDicom === true,
    tls: values.tls === true,
    tlsCa: (values.tlsCa as string[] | undefined) ?? [],
    tlsCert: values.tlsCert as string | undefined,
    tlsKey: values.tlsKey as string | undefined,
    tlsServerName: values.tlsServerName as string | undefined,
    tlsInsecure: values.tlsInsecure === true,
    user: values.user as string | undefined,
    passwordFile: values.passwordFile as string | undefined,
    kerberosFile: values.kerberosFile as string | undefined,
    samlFile: values.samlFile as string | undefined,
    jwtFile: values.jwtFile as string | undefined,
    userResponse: values.userResponse === true,
    given: new Set(Object.keys(values)),
    decompress: (values.decompress as CliOptions["decompress"] | undefined) ?? "lossless",
    compress: values.compress as CliOptions["compress"],
    codecThreads: values.codecThreads as number | undefined,
    journal: values.journal as string | undefined,
    progress: values.progress as CliOptions["progress"],
  };
  if (opts.help || opts.version) return opts;
  const rest = peerPositionals(opts, positionals);
  checkModes(opts);
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
      ["--codec-threads", opts.codecThreads ?? 0, 0, 64],
    ] as const
  ) {
    if (v < min || v > max) {
      throw new UsageError(`argument ${name}: must be ${min}-${max}, not ${v}`);
    }
  }
  if (opts.retryDelay < 0) throw new UsageError(`argument --retry-delay: must be 0 or more`);
  if (opts.journal === "") throw new UsageError(`argument --journal: expected a file path`);
  // With --dest the destination may add TLS or an identity: checked once it has (destinations.ts).
  if (opts.dest === undefined) checkSecureOptions(opts);
  opts.paths = rest;
  for (const p of opts.patterns) {
    try {
      compileGlob(p);
    } catch (err) {
      throw new UsageError(`argument --pattern: ${(err as Error).message}: '${p}'`);
    }
  }
  return opts;
}

/**
 * Takes `addr` and `port` from the positionals (unless a destination gives them: then every
 * positional is a path) and returns the paths; at least one path is needed unless `--echo`.
 */
function peerPositionals(opts: CliOptions, positionals: string[]): string[] {
  const needed = [...(opts.dest === undefined ? ["addr", "port"] : []), "path"];
  const pathsNeeded = opts.echo ? 0 : 1;
  const have = positionals.length;
  if (have < needed.length - 1 + pathsNeeded) {
    const missing = needed.slice(Math.min(have, needed.length)).filter((n) =>
      n !== "path" || pathsNeeded > 0
    );
    throw new UsageError(`the following arguments are required: ${missing.join(", ")}`);
  }
  if (opts.dest !== undefined) return positionals;
  opts.addr = positionals[0];
  const port = positionals[1];
  if (!/^[-+]?\d+$/.test(port.trim())) {
    throw new UsageError(`argument port: invalid int value: '${port}'`);
  }
  opts.port = Number(port);
  if (opts.port < 1 || opts.port > 65535) {
    throw new UsageError(`argument port: must be 1-65535, not ${opts.port}`);
  }
  return positionals.slice(2);
}

/**
 * Checks the `--tls-*` and user identity options that only make sense with another one (also
 * after a destination filled them in).
 *
 * @example
 * ```ts
 * import { checkSecureOptions, parseArgs } from "./options.ts";
 * const o = parseArgs(["pacs", "104", "a.dcm"]);
 * o.tlsCa = ["ca.pem"];
 * try {
 *   checkSecureOptions(o);
 * } catch (e) {
 *   (e as Error).message; // "argument --tls-ca: needs --tls"
 * }
 * ```
 */
export function checkSecureOptions(opts: CliOptions): void {
  const tlsGiven: [string, unknown][] = [
    ["--tls-ca", opts.tlsCa.length > 0 || undefined],
    ["--tls-cert", opts.tlsCert],
    ["--tls-key", opts.tlsKey],
    ["--tls-server-name", opts.tlsServerName],
    ["--tls-insecure", opts.tlsInsecure || undefined],
  ];
  for (const [name, v] of tlsGiven) {
    if (v !== undefined && !opts.tls) throw new UsageError(`argument ${name}: needs --tls`);
  }
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
    throw new UsageError(
      opts.tlsCert === undefined
        ? "argument --tls-key: needs --tls-cert"
        : "argument --tls-cert: needs --tls-key",
    );
  }
  if (opts.passwordFile !== undefined && opts.user === undefined) {
    throw new UsageError("argument --password-file: needs --user");
  }
  const identity = opts.user ?? opts.kerberosFile ?? opts.samlFile ?? opts.jwtFile;
  if (opts.userResponse && identity === undefined) {
    throw new UsageError(
      "argument --user-response: needs a user identity (--user, --kerberos-file, --saml-file " +
        "or --jwt-file)",
    );
  }
}

/** Options that only make sense together. */
function checkModes(opts: CliOptions): void {
  if (opts.config !== undefined && opts.dest === undefined) {
    throw new UsageError("argument --config: only with --dest");
  }
  if (opts.echo && opts.dryRun && !opts.probe) {
    throw new UsageError("argument --echo: not allowed with --dry-run (it connects; use --probe)");
  }
}

/**
 * The TLS settings the options ask for, or `undefined` without `--tls`.
 *
 * @example
 * ```ts
 * import { parseArgs, tlsOptionsOf } from "./options.ts";
 * tlsOptionsOf(parseArgs(["pacs", "2762", "a.dcm", "--tls", "--tls-ca", "ca.pem"]));
 * // { caFiles: ["ca.pem"], certFile: undefined, keyFile: undefined, serverName: undefined, insecure: false }
 * ```
 */
export function tlsOptionsOf(opts: CliOptions): TlsClientOptions | undefined {
  if (!opts.tls) return undefined;
  return {
    caFiles: opts.tlsCa.length > 0 ? opts.tlsCa : undefined,
    certFile: opts.tlsCert,
    keyFile: opts.tlsKey,
    serverName: opts.tlsServerName,
    insecure: opts.tlsInsecure,
  };
}

/**
 * Which files hold the user identity's secrets, as the options name them.
 *
 * @example
 * ```ts
 * import { identityFilesOf, parseArgs } from "./options.ts";
 * identityFilesOf(parseArgs(["pacs", "104", "a.dcm", "--user", "alice", "--user-response"]));
 * // { username: "alice", passwordFile: undefined, ..., positiveResponse: true }
 * ```
 */
export function identityFilesOf(opts: CliOptions): UserIdentityFiles {
  return {
    username: opts.user,
    passwordFile: opts.passwordFile,
    kerberosFile: opts.kerberosFile,
    samlFile: opts.samlFile,
    jwtFile: opts.jwtFile,
    positiveResponse: opts.userResponse,
  };
}
