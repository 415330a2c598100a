/**
 * storescu: a DICOM Storage SCU for Deno, as a library and a CLI.
 *
 * Run it: `deno run -N -R jsr:@x/storescu ADDR PORT PATH... [options]`.
 *
 * Use it:
 * ```ts ignore
 * import { storeFiles } from "jsr:@x/storescu";
 * const report = await storeFiles({ address: "127.0.0.1", port: 11112, paths: ["study/"] });
 * for (const r of report.results) console.log(r.path, r.outcome, r.reason ?? "");
 * ```
 *
 * The layers are exported too: the PDU codec, ACSE negotiation, DIMSE messages, the
 * association, Part-10 reading, the planner and a small Storage SCP.
 *
 * @module
 */

export * from "./lib/pdu/mod.ts";
export * from "./lib/acse.ts";
export * from "./lib/dimse/command.ts";
export * from "./lib/dimse/messages.ts";
export * from "./lib/dimse/status.ts";
export * from "./lib/dimse/dump.ts";
export * from "./lib/association.ts";
export * from "./lib/transport.ts";
export * from "./lib/part10/mod.ts";
export * from "./lib/uids.ts";
export * from "./lib/files.ts";
export * from "./lib/plan.ts";
export * from "./lib/send.ts";
export * from "./lib/scp.ts";
export * from "./lib/log.ts";

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
