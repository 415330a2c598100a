/**
 * The command line: argparse-compatible parsing, usage errors (exit 2), help/version,
 * AE title checks, the reference's log lines for common failures, the summary line and the
 * exit codes. CLI runs are real subprocesses with only `-N -R` (see tests/peers.ts).
 */
import assert from "node:assert/strict";
import { ExitCode, exitCodeFor, parseArgs, summaryLine, UsageError, VERSION } from "../cli.ts";
import { startStorageScp } from "../lib/scp.ts";
import { corpusDir, freePort, runCli, sharedDir } from "./peers.ts";

const CT = `${corpusDir}/pydicom/test_files/CT_small.dcm`;
const MR = `${corpusDir}/pydicom/test_files/MR_small.dcm`;
const USAGE = "usage: storescu [options] addr port path";

function usageError(args: string[]): string {
  try {
    parseArgs(args);
  } catch (err) {
    assert.ok(err instanceof UsageError, `expected UsageError, got ${err}`);
    return err.message;
  }
  assert.fail(`no usage error for ${JSON.stringify(args)}`);
}

// ---------------------------------------------------------------------------------------------
// parseArgs

Deno.test("parseArgs: defaults match the reference", () => {
  const o = parseArgs(["127.0.0.1", "11112", "a.dcm"]);
  assert.equal(o.addr, "127.0.0.1");
  assert.equal(o.port, 11112);
  assert.deepEqual(o.paths, ["a.dcm"]);
  assert.equal(o.callingAet, "STORESCU");
  assert.equal(o.calledAet, "ANY-SCP");
  assert.equal(o.acseTimeout, 30);
  assert.equal(o.dimseTimeout, 30);
  assert.equal(o.networkTimeout, 30);
  assert.equal(o.maxPdu, 16382);
  assert.equal(o.recurse, false);
  assert.equal(o.requiredContexts, false);
  assert.equal(o.requestTs, undefined);
  assert.equal(o.logType, undefined);
  assert.equal(o.logLevel, undefined);
  assert.equal(o.help, false);
  assert.equal(o.version, false);
});

Deno.test("parseArgs: options and positionals in any order, several paths", () => {
  const o = parseArgs([
    "-v",
    "host",
    "-aet",
    "ME",
    "104",
    "a.dcm",
    "-r",
    "dir",
    "-ta",
    "1.5",
    "b.dcm",
    "-pdu",
    "0",
    "-cx",
  ]);
  assert.equal(o.addr, "host");
  assert.equal(o.port, 104);
  assert.deepEqual(o.paths, ["a.dcm", "dir", "b.dcm"]);
  assert.equal(o.logType, "v");
  assert.equal(o.callingAet, "ME");
  assert.equal(o.recurse, true);
  assert.equal(o.acseTimeout, 1.5);
  assert.equal(o.maxPdu, 0);
  assert.equal(o.requiredContexts, true);
});

Deno.test("parseArgs: every long option spelled out", () => {
  const o = parseArgs([
    "h",
    "1",
    "p",
    "--debug",
    "--log-level",
    "info",
    "--recurse",
    "--calling-aet",
    "A",
    "--called-aet",
    "B",
    "--acse-timeout",
    "1",
    "--dimse-timeout",
    "2",
    "--network-timeout",
    "3",
    "--max-pdu",
    "4096",
    "--request-big",
    "--required-contexts",
  ]);
  assert.equal(o.logType, "d");
  assert.equal(o.logLevel, "info");
  assert.equal(o.recurse, true);
  assert.equal(o.callingAet, "A");
  assert.equal(o.calledAet, "B");
  assert.equal(o.acseTimeout, 1);
  assert.equal(o.dimseTimeout, 2);
  assert.equal(o.networkTimeout, 3);
  assert.equal(o.maxPdu, 4096);
  assert.equal(o.requestTs, "xb");
  assert.equal(o.requiredContexts, true);
  assert.equal(parseArgs(["h", "1", "p", "--request-little"]).requestTs, "xe");
  assert.equal(parseArgs(["h", "1", "p", "--request-implicit"]).requestTs, "xi");
  assert.equal(parseArgs(["h", "1", "p", "--quiet"]).logType, "q");
  assert.equal(parseArgs(["h", "1", "p", "--verbose"]).logType, "v");
});

Deno.test("parseArgs: long options by unique prefix, --opt=value, ambiguous prefixes", () => {
  const o = parseArgs(["--verb", "--calli", "X", "--called=Y", "--dimse=2.5", "h", "1", "p"]);
  assert.equal(o.logType, "v");
  assert.equal(o.callingAet, "X");
  assert.equal(o.calledAet, "Y");
  assert.equal(o.dimseTimeout, 2.5);
  assert.equal(parseArgs(["--max", "0", "h", "1", "p"]).maxPdu, 0);
  assert.equal(parseArgs(["--requi", "h", "1", "p"]).requiredContexts, true);
  assert.equal(parseArgs(["--request-i", "h", "1", "p"]).requestTs, "xi");
  // --re matches --recurse, --request-*, --required-contexts
  assert.match(usageError(["--re", "h", "1", "p"]), /^ambiguous option: --re could match /);
  assert.match(usageError(["--ca", "X", "h", "1", "p"]), /^ambiguous option: --ca could match /);
  // Short options are never abbreviated.
  assert.equal(usageError(["-ae", "X", "h", "1", "p"]), "unrecognized arguments: -ae");
  assert.equal(usageError(["h", "1", "p", "--bogus"]), "unrecognized arguments: --bogus");
});

Deno.test("parseArgs: -q/-v/-d are mutually exclusive, with argparse's wording", () => {
  assert.equal(
    usageError(["h", "1", "p", "-v", "-d"]),
    "argument -d/--debug: not allowed with argument -v/--verbose",
  );
  assert.equal(
    usageError(["-d", "h", "1", "p", "-v"]),
    "argument -v/--verbose: not allowed with argument -d/--debug",
  );
  assert.equal(
    usageError(["-q", "--debug", "h", "1", "p"]),
    "argument -d/--debug: not allowed with argument -q/--quiet",
  );
  // The same flag twice is fine.
  assert.equal(parseArgs(["-v", "-v", "h", "1", "p"]).logType, "v");
  // -ll is not in the group.
  assert.equal(parseArgs(["-q", "-ll", "debug", "h", "1", "p"]).logLevel, "debug");
});

Deno.test("parseArgs: -xe/-xb/-xi are mutually exclusive but combine with -cx", () => {
  assert.equal(
    usageError(["h", "1", "p", "-xe", "-xi"]),
    "argument -xi/--request-implicit: not allowed with argument -xe/--request-little",
  );
  assert.equal(
    usageError(["h", "1", "p", "-xb", "-xe"]),
    "argument -xe/--request-little: not allowed with argument -xb/--request-big",
  );
  assert.equal(
    usageError(["h", "1", "p", "-xi", "--request-big"]),
    "argument -xb/--request-big: not allowed with argument -xi/--request-implicit",
  );
  const o = parseArgs(["h", "1", "p", "-xi", "-cx"]);
  assert.equal(o.requestTs, "xi");
  assert.equal(o.requiredContexts, true);
});

Deno.test("parseArgs: missing positionals name what is missing", () => {
  assert.equal(usageError([]), "the following arguments are required: addr, port, path");
  assert.equal(usageError(["h"]), "the following arguments are required: port, path");
  assert.equal(usageError(["h", "1"]), "the following arguments are required: path");
  assert.equal(usageError(["-v", "h", "1"]), "the following arguments are required: path");
});

Deno.test("parseArgs: bad int and float values", () => {
  assert.equal(usageError(["h", "abc", "p"]), "argument port: invalid int value: 'abc'");
  assert.equal(usageError(["h", "1.5", "p"]), "argument port: invalid int value: '1.5'");
  assert.equal(
    usageError(["h", "1", "p", "-ta", "x"]),
    "argument -ta/--acse-timeout: invalid float value: 'x'",
  );
  assert.equal(
    usageError(["h", "1", "p", "-td", ""]),
    "argument -td/--dimse-timeout: invalid float value: ''",
  );
  assert.equal(
    usageError(["h", "1", "p", "-tn", "1s"]),
    "argument -tn/--network-timeout: invalid float value: '1s'",
  );
  assert.equal(
    usageError(["h", "1", "p", "-pdu", "1.5"]),
    "argument -pdu/--max-pdu: invalid int value: '1.5'",
  );
  assert.equal(
    usageError(["h", "1", "p", "-pdu", "x"]),
    "argument -pdu/--max-pdu: invalid int value: 'x'",
  );
  assert.equal(
    usageError(["h", "1", "p", "-ta"]),
    "argument -ta/--acse-timeout: expected one argument",
  );
  assert.equal(
    usageError(["h", "1", "p", "-aet", "-v"]),
    "argument -aet/--calling-aet: expected one argument",
  );
  // Negative numbers are values, as in argparse (timeouts are then fixed up by main()).
  assert.equal(parseArgs(["h", "1", "p", "-ta", "-1"]).acseTimeout, -1);
  assert.equal(parseArgs(["h", "1", "p", "-ta", "0.25"]).acseTimeout, 0.25);
  assert.equal(parseArgs(["h", "1", "p", "-ta", ".5"]).acseTimeout, 0.5);
  // An empty journal path is a usage error here, not the library's option error (which main
  // would only report as an internal error).
  assert.equal(
    usageError(["h", "1", "p", "--journal", ""]),
    "argument --journal: expected a file path",
  );
});

Deno.test("parseArgs: port and -pdu ranges", () => {
  assert.equal(parseArgs(["h", "65535", "p"]).port, 65535);
  assert.match(usageError(["h", "70000", "p"]), /^argument port: /);
  assert.match(usageError(["h", "1", "p", "-pdu", "-1"]), /^argument -pdu\/--max-pdu: /);
  assert.match(usageError(["h", "1", "p", "-pdu", "4294967296"]), /^argument -pdu\/--max-pdu: /);
  assert.equal(parseArgs(["h", "1", "p", "-pdu", "4294967295"]).maxPdu, 4294967295);
});

Deno.test("parseArgs: -ll accepts warn (not warning) and the other four levels", () => {
  for (const l of ["critical", "error", "warn", "info", "debug"]) {
    assert.equal(parseArgs(["h", "1", "p", "-ll", l]).logLevel, l);
  }
  assert.equal(
    usageError(["h", "1", "p", "-ll", "warning"]),
    "argument -ll/--log-level: invalid choice: 'warning' " +
      "(choose from 'critical', 'error', 'warn', 'info', 'debug')",
  );
  assert.match(usageError(["h", "1", "p", "--log-level", "INFO"]), /invalid choice: 'INFO'/);
});

Deno.test("parseArgs: -h and --version need no positionals", () => {
  assert.equal(parseArgs(["-h"]).help, true);
  assert.equal(parseArgs(["--help"]).help, true);
  assert.equal(parseArgs(["--version"]).version, true);
  assert.equal(parseArgs(["--vers"]).version, true);
});

// ---------------------------------------------------------------------------------------------
// summaryLine and exitCodeFor

Deno.test("summaryLine: wording and pluralisation", () => {
  assert.equal(
    summaryLine({ success: 2, warning: 1, failure: 1, "not-sent": 3, skipped: 0 }),
    "Summary: 7 files: 2 success, 1 warning, 1 failed, 3 not sent",
  );
  assert.equal(
    summaryLine({ success: 2, warning: 0, failure: 0, "not-sent": 0, skipped: 3 }),
    "Summary: 5 files: 2 success, 0 warning, 0 failed, 0 not sent, 3 skipped",
  );
  assert.equal(
    summaryLine({ success: 1, warning: 0, failure: 0, "not-sent": 0, skipped: 0 }),
    "Summary: 1 file: 1 success, 0 warning, 0 failed, 0 not sent",
  );
  assert.equal(
    summaryLine({ success: 0, warning: 0, failure: 0, "not-sent": 0, skipped: 0 }),
    "Summary: 0 files: 0 success, 0 warning, 0 failed, 0 not sent",
  );
});

Deno.test("exitCodeFor: 0 stored (warnings too), 1 no association, 3 some not stored, 5 nothing", () => {
  const c = (success: number, warning: number, failure: number, notSent: number) => ({
    success,
    warning,
    failure,
    "not-sent": notSent,
    skipped: 0,
  });
  assert.equal(exitCodeFor({ counts: c(3, 0, 0, 0), noAssociation: false }), ExitCode.Ok);
  assert.equal(exitCodeFor({ counts: c(1, 2, 0, 0), noAssociation: false }), 0);
  assert.equal(exitCodeFor({ counts: c(0, 0, 0, 0), noAssociation: false }), 0);
  assert.equal(exitCodeFor({ counts: c(0, 0, 0, 2), noAssociation: true }), 1);
  assert.equal(exitCodeFor({ counts: c(1, 0, 0, 1), noAssociation: false }), 3);
  assert.equal(exitCodeFor({ counts: c(1, 0, 1, 0), noAssociation: false }), 3);
  assert.equal(exitCodeFor({ counts: c(0, 0, 0, 1), noAssociation: false }), 3);
  // Something stored although an (extra) association failed: 3, not 1.
  assert.equal(exitCodeFor({ counts: c(1, 0, 0, 1), noAssociation: true }), 3);
  // Nothing to send at all (no file found, or only DICOMDIRs / ignored files): 5.
  const none = { counts: c(0, 0, 0, 0), noAssociation: false, nothingToSend: "empty" };
  assert.equal(exitCodeFor(none), ExitCode.NothingToSend);
  // Skipped files (stored by an earlier run, says the journal) count as stored.
  const skipped = (counts: ReturnType<typeof c>) => ({ counts: { ...counts, skipped: 4 } });
  assert.equal(exitCodeFor({ ...skipped(c(1, 0, 0, 0)), noAssociation: false }), 0);
  assert.equal(exitCodeFor({ ...skipped(c(0, 0, 0, 0)), noAssociation: false }), 0);
  assert.equal(exitCodeFor({ ...skipped(c(0, 0, 1, 0)), noAssociation: false }), 3);
  assert.deepEqual(ExitCode, {
    Ok: 0,
    NoAssociation: 1,
    Usage: 2,
    SomeNotStored: 3,
    Internal: 4,
    NothingToSend: 5,
    Interrupted: 130,
    Terminated: 143,
  });
});

// ---------------------------------------------------------------------------------------------
// The CLI as a subprocess (only -N -R; --no-prompt makes a missing permission fail loudly)

function assertUsageExit(
  r: { code: number; stdout: string; lines: string[]; stderr: string },
  error: string,
) {
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, "");
  assert.deepEqual(r.lines, [USAGE, `storescu: error: ${error}`]);
  assert.doesNotMatch(r.stderr, /\n\s+at |Error:|Uncaught/);
}

Deno.test("cli: usage errors exit 2 with the usage line and one error line", async () => {
  assertUsageExit(await runCli([]), "the following arguments are required: addr, port, path");
  assertUsageExit(
    await runCli(["h", "1", "p", "-v", "-d"]),
    "argument -d/--debug: not allowed with argument -v/--verbose",
  );
  assertUsageExit(
    await runCli(["h", "1", "p", "-ll", "warning"]),
    "argument -ll/--log-level: invalid choice: 'warning' " +
      "(choose from 'critical', 'error', 'warn', 'info', 'debug')",
  );
  assertUsageExit(await runCli(["h", "x", "p"]), "argument port: invalid int value: 'x'");
  // Port 0 is no port to connect to: refused by the usage check, not later as "out of range".
  assertUsageExit(await runCli(["h", "0", "p"]), "argument port: must be 1-65535, not 0");
  assertUsageExit(await runCli(["h", "65536", "p"]), "argument port: must be 1-65535, not 65536");
});

Deno.test("cli: a Deno permission flag after the script says where it goes", async () => {
  for (const flag of ["-W", "--allow-write=r.jsonl", "-N"]) {
    assertUsageExit(
      await runCli(["127.0.0.1", "11112", CT, "--report", "r.jsonl", flag]),
      `unrecognized arguments: ${flag} (a Deno permission flag: it goes before the script, ` +
        "e.g. deno run -N -R -W jsr:@x/storescu ...)",
    );
  }
  // After "--" it is a path like any other.
  const r = await runCli(["127.0.0.1", String(freePort()), "--", "-W"]);
  assert.notEqual(r.code, 2, r.stderr);
  assert.match(r.stderr, /Not sent: -W: Cannot access path/);
});

Deno.test("cli: invalid AE titles exit 2 with one line, no stack trace", async () => {
  assertUsageExit(
    await runCli(["-aet", "ABCDEFGHIJKLMNOPQ", "127.0.0.1", "1", CT]),
    "argument -aet/--calling-aet: Invalid 'ae_title' value 'ABCDEFGHIJKLMNOPQ' - must not exceed 16 characters",
  );
  assertUsageExit(
    await runCli(["-aec", "", "127.0.0.1", "1", CT]),
    "argument -aec/--called-aet: Invalid 'ae_title' value - must not be an empty str",
  );
  assertUsageExit(
    await runCli(["-aec", "A\\B", "127.0.0.1", "1", CT]),
    "argument -aec/--called-aet: Invalid 'ae_title' value 'A\\B' - must not contain control characters or backslashes",
  );
  assertUsageExit(
    await runCli(["--calling-aet", "    ", "127.0.0.1", "1", CT]),
    "argument -aet/--calling-aet: Invalid 'ae_title' value '    ' - must not consist entirely of spaces",
  );
});

Deno.test("cli: -h prints the help to stdout and exits 0", async () => {
  const r = await runCli(["-h"]);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, "");
  assert.ok(r.stdout.startsWith(`${USAGE}\n`), r.stdout.slice(0, 80));
  // Every option line of the reference's help is in ours, unchanged.
  const ref = await Deno.readTextFile(`${sharedDir}/reference/captures/storescu_help.txt`);
  for (const line of ref.split("\n")) {
    if (/^ {2}-/.test(line)) assert.ok(r.stdout.includes(line), `help lacks: ${line}`);
  }
  assert.match(r.stdout, /Exit status:/);
  const r2 = await runCli(["127.0.0.1", "1", "x", "--help"]);
  assert.equal(r2.code, 0);
  assert.equal(r2.stdout, r.stdout);
});

Deno.test("cli: --version prints to stdout and exits 0, with or without positionals", async () => {
  for (const args of [["--version"], ["127.0.0.1", "1", "x", "--version"]]) {
    const r = await runCli(args);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `storescu v${VERSION}\n`);
    assert.equal(r.stderr, "");
  }
});

Deno.test("cli: connection refused gives the reference's lines and exit 1", async () => {
  const port = freePort();
  const r = await runCli(["127.0.0.1", String(port), CT]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, "");
  assert.equal(r.lines.length, 4, r.stderr);
  assert.deepEqual(r.lines.slice(0, 2), [
    "E: Association request failed: unable to connect to remote",
    `E: TCP Initialisation Error: Connection refused by 127.0.0.1:${port} (nothing is listening on that port)`,
  ]);
  // Our own addition: the file is named, with the reason (wording is ours, not pinned).
  assert.ok(r.lines[2].startsWith(`E: Not sent: ${CT}: `), r.lines[2]);
  assert.match(r.lines[2], /Connection refused/);
  assert.equal(r.lines[3], "Summary: 1 file: 0 success, 0 warning, 0 failed, 1 not sent");
  const v = await runCli(["127.0.0.1", String(port), CT, MR, "-v"]);
  assert.equal(v.code, 1);
  assert.deepEqual(v.lines.slice(0, 4), [
    "I: Requesting Association",
    "E: Association request failed: unable to connect to remote",
    `E: TCP Initialisation Error: Connection refused by 127.0.0.1:${port} (nothing is listening on that port)`,
    // No "I: Aborting Association": there was no association to abort.
    `E: Not sent: ${CT}: unable to connect to remote (Connection refused by 127.0.0.1:${port} (nothing is listening on that port))`,
  ]);
  assert.equal(v.lines.length, 6, v.stderr);
  assert.ok(v.lines[4].startsWith(`E: Not sent: ${MR}: `), v.lines[4]);
  assert.equal(v.lines[5], "Summary: 2 files: 0 success, 0 warning, 0 failed, 2 not sent");
});

Deno.test("cli: -q prints nothing at all, whatever happens", async () => {
  const refused = await runCli(["-q", "127.0.0.1", String(freePort()), CT]);
  assert.equal(refused.code, 1);
  assert.equal(refused.stdout, "");
  assert.equal(refused.stderr, "");
  const scp = startStorageScp();
  try {
    const ok = await runCli(["127.0.0.1", String(scp.port), CT, "--quiet", "nope"]);
    assert.equal(ok.code, 3);
    assert.equal(ok.stdout, "");
    assert.equal(ok.stderr, "");
    assert.equal(scp.received.length, 1);
  } finally {
    await scp.close();
  }
});

Deno.test("cli: a successful run prints only the summary by default, exit 0", async () => {
  const scp = startStorageScp();
  try {
    const r = await runCli(["127.0.0.1", String(scp.port), MR, CT]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.deepEqual(r.lines, ["Summary: 2 files: 2 success, 0 warning, 0 failed, 0 not sent"]);
    assert.deepEqual(scp.received.map((o) => o.messageId), [1, 2]);
  } finally {
    await scp.close();
  }
});

Deno.test("cli: -v lines of a successful run, and -ll overrides -v", async () => {
  const scp = startStorageScp();
  try {
    const r = await runCli(["-v", "127.0.0.1", String(scp.port), CT]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.lines, [
      "I: Requesting Association",
      "I: Association Accepted",
      `I: Sending file: ${CT}`,
      "I: Sending Store Request: MsgID 1, (CT)",
      "I: Received Store Response (Status: 0x0000 - Success)",
      "I: Releasing Association",
      "Summary: 1 file: 1 success, 0 warning, 0 failed, 0 not sent",
    ]);
    const quieter = await runCli(["-v", "-ll", "error", "127.0.0.1", String(scp.port), CT]);
    assert.equal(quieter.code, 0);
    assert.deepEqual(quieter.lines, [
      "Summary: 1 file: 1 success, 0 warning, 0 failed, 0 not sent",
    ]);
  } finally {
    await scp.close();
  }
});

Deno.test("cli: missing path → 'Cannot access path' first, exit 3; other files still sent", async () => {
  const scp = startStorageScp();
  try {
    const only = await runCli(["127.0.0.1", String(scp.port), "no/such/file.dcm"]);
    assert.equal(only.code, 3, only.stderr);
    assert.equal(only.lines[0], "E: Cannot access path: no/such/file.dcm");
    assert.equal(
      only.lines.at(-1),
      "Summary: 1 file: 0 success, 0 warning, 0 failed, 1 not sent",
    );
    assert.equal(scp.requests.length, 0, "no association for nothing to send");

    const mixed = await runCli(["127.0.0.1", String(scp.port), "missing.dcm", CT]);
    assert.equal(mixed.code, 3, mixed.stderr);
    assert.equal(mixed.lines[0], "E: Cannot access path: missing.dcm");
    assert.equal(
      mixed.lines.at(-1),
      "Summary: 2 files: 1 success, 0 warning, 0 failed, 1 not sent",
    );
    assert.equal(scp.received.length, 1);
  } finally {
    await scp.close();
  }
});

Deno.test("cli: each file not stored is named with its reason (failure status → exit 3)", async () => {
  const scp = startStorageScp({
    status: (rq) => rq.affectedSopClassUid === "1.2.840.10008.5.1.4.1.1.4" ? 0xA700 : 0,
  });
  try {
    const r = await runCli(["127.0.0.1", String(scp.port), CT, MR]);
    assert.equal(r.code, 3, r.stderr);
    assert.deepEqual(r.lines, [
      `E: Store failed: ${MR}: Failure status 0xA700 - Refused: Out of Resources`,
      "Summary: 2 files: 1 success, 0 warning, 1 failed, 0 not sent",
    ]);
  } finally {
    await scp.close();
  }
});

// ---------------------------------------------------------------------------------------------
// TLS and user identity options

Deno.test("parseArgs: TLS options map onto the library's settings; --tls-ca repeats", async () => {
  const { tlsOptionsOf, identityFilesOf } = await import("../lib/cli/options.ts");
  const base = ["pacs", "2762", "a.dcm"];
  assert.equal(tlsOptionsOf(parseArgs(base)), undefined);
  const o = parseArgs([
    ...base,
    "--tls",
    "--tls-ca",
    "a.pem",
    "--tls-ca=b.pem",
    "--tls-cert",
    "me.pem",
    "--tls-key",
    "me.key",
    "--tls-server-name",
    "pacs.example.org",
  ]);
  assert.deepEqual(tlsOptionsOf(o), {
    caFiles: ["a.pem", "b.pem"],
    certFile: "me.pem",
    keyFile: "me.key",
    serverName: "pacs.example.org",
    insecure: false,
  });
  assert.equal(tlsOptionsOf(parseArgs([...base, "--tls", "--tls-insecure"]))?.insecure, true);
  assert.deepEqual(
    identityFilesOf(parseArgs([...base, "--user", "u", "--password-file", "-", "--user-resp"])),
    {
      username: "u",
      passwordFile: "-",
      kerberosFile: undefined,
      samlFile: undefined,
      jwtFile: undefined,
      positiveResponse: true,
    },
  );
});

Deno.test("parseArgs: TLS options without --tls, or a certificate without its key, are usage errors", () => {
  const base = ["pacs", "2762", "a.dcm"];
  assert.equal(usageError([...base, "--tls-ca", "a.pem"]), "argument --tls-ca: needs --tls");
  assert.equal(usageError([...base, "--tls-insecure"]), "argument --tls-insecure: needs --tls");
  assert.equal(
    usageError([...base, "--tls-server-name", "x"]),
    "argument --tls-server-name: needs --tls",
  );
  assert.equal(
    usageError([...base, "--tls", "--tls-cert", "c.pem"]),
    "argument --tls-cert: needs --tls-key",
  );
  assert.equal(
    usageError([...base, "--tls", "--tls-key", "k.pem"]),
    "argument --tls-key: needs --tls-cert",
  );
  assert.equal(
    usageError([...base, "--tls-c", "x"]),
    "ambiguous option: --tls-c could match --tls-ca, --tls-cert",
  );
  assert.equal(
    usageError([...base, "--kerberos-file", "k", "--saml-file", "s"]),
    "argument --saml-file: not allowed with argument --kerberos-file",
  );
});

Deno.test("cli: --help names the TLS versions, the cipher suites' profile and every new option", async () => {
  const r = await runCli(["--help"]);
  assert.equal(r.code, 0);
  assert.match(
    r.stdout,
    /TLS 1\.2 and 1\.3 only, with the cipher suites Deno's TLS offers by\ndefault/,
  );
  for (
    const opt of [
      "--tls ",
      "--tls-ca [f]ile",
      "--tls-cert [f]ile",
      "--tls-key [f]ile",
      "--tls-server-name [n]ame",
      "--tls-insecure",
      "--user [n]ame",
      "--password-file [f]ile",
      "--kerberos-file [f]ile",
      "--saml-file [f]ile",
      "--jwt-file [f]ile",
      "--user-response",
    ]
  ) assert.ok(r.stdout.includes(`  ${opt}`), opt);
  for (const line of r.stdout.split("\n")) assert.ok(line.length <= 80, line);
});
