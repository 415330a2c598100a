/**
 * storescu: a DICOM Storage SCU for Deno, as a library and a CLI.
 *
 * Run it: `deno run -N -R jsr:@x/storescu ADDR PORT PATH... [options]`.
 *
 * Use it: {@link storeFiles} sends every DICOM file under the given paths and resolves one
 * {@link FileResult} per file; it never throws for network or input problems. {@link echo}
 * checks that a peer answers (C-ECHO); {@link dryRun} plans a send (and, with `probe`, asks
 * the peer what it accepts) without sending anything.
 *
 * ```ts ignore
 * import { echo, storeFiles } from "jsr:@x/storescu";
 * await echo({ address: "127.0.0.1", port: 11112 }); // throws if the peer can't be reached
 * const report = await storeFiles({ address: "127.0.0.1", port: 11112, paths: ["study/"] });
 * for (const r of report.results) console.log(r.path, r.outcome, r.reason ?? "");
 * ```
 *
 * The layers have their own entries: `jsr:@x/storescu/pdu` (the PDU codec),
 * `/dimse` (command sets and messages), `/association` (transport, ACSE, the association state
 * machine), `/part10` (reading and converting Part-10 files), `/plan` (presentation contexts),
 * `/scp` (a small Storage SCP), `/log` (the reference tool's log lines), `/uids` (transfer
 * syntaxes and storage SOP classes by name) and `/cli`.
 *
 * @module
 */

export {
  DEFAULT_TRANSFER_SYNTAXES,
  type FileResult,
  GaveUpError,
  InterruptedError,
  JournalError,
  NoAcceptedContextsError,
  type Outcome,
  type StoreEvent,
  storeFiles,
  type StoreOptions,
  StoreOptionsError,
  type StoreReport,
  type Transcoding,
} from "./lib/send.ts";
export {
  AssociationAbortedError,
  AssociationRejectedError,
  AssociationReleasedError,
  AssociationTimeoutError,
  ConnectionClosedError,
  ProtocolError,
} from "./lib/association.ts";
export { ConnectError, TransportError } from "./lib/transport.ts";
export { echo, type EchoEvent, type EchoOptions, type EchoResult } from "./lib/echo.ts";
export {
  dryRun,
  type DryRunOptions,
  type DryRunReport,
  type PlannedAssociation,
  type PlannedResult,
  type PlanOutcome,
} from "./lib/dry_run.ts";
export { TlsError, type TlsErrorKind } from "./lib/tls/errors.ts";
export type { TlsClientOptions } from "./lib/tls/options.ts";
export {
  type UserIdentity,
  UserIdentityError,
  UserIdentityNotConfirmedError,
  type UserIdentityRequest,
} from "./lib/user_identity.ts";

if (import.meta.main) {
  const { main, ExitCode } = await import("./cli.ts");
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const line = new TextEncoder().encode(`E: Internal error: ${msg}\n`);
    Deno.stderr.writeSync(line);
    code = ExitCode.Internal;
  }
  Deno.exit(code);
}
