/**
 * `--echo`: a C-ECHO on its own (`storescu --echo ADDR PORT`) or before sending, with
 * pynetdicom `echoscu`'s `-v` lines and one closing line: `Echo: ...` or `E: Echo failed: ...`.
 *
 * @module
 */

import { echo, type EchoEvent, type EchoOptions } from "../echo.ts";
import type { AssociationEvent } from "../association.ts";
import type { Logger, LogHandlers } from "../log.ts";
import { reasonOf } from "../send/reasons.ts";
import { hexStatus, statusCategory } from "../dimse/status.ts";
import { findInputs } from "../send/inputs.ts";
import type { FileResult, StoreOptions, StoreReport } from "../send/types.ts";

function verboseLine(e: EchoEvent): string {
  switch (e.type) {
    case "association-requesting":
      return "Requesting Association";
    case "association-accepted":
      return "Association Accepted";
    case "echo-request":
      return `Sending Echo Request: MsgID ${e.request.messageId}`;
    case "echo-response": {
      const s = e.response.status;
      return `Received Echo Response (Status: ${
        s === 0 ? "Success" : `${hexStatus(s)} - ${statusCategory(s)}`
      })`;
    }
    case "association-releasing":
      return "Releasing Association";
  }
}

function millis(ms: number): string {
  return ms < 10 ? ms.toFixed(1) : String(Math.round(ms));
}

/**
 * Runs the C-ECHO and writes its lines: `-v` steps, then `Echo: ...` (through `line`, unless
 * quiet) or one `E: Echo failed: ...`. Resolves `undefined` when the peer answered Success,
 * else why not.
 *
 * @example
 * ```ts ignore
 * import { runEcho } from "./echo.ts";
 * const failed = await runEcho({ address: "127.0.0.1", port: 11112 }, log, handlers, print);
 * ```
 */
export async function runEcho(
  options: Omit<EchoOptions, "onEvent" | "associationListener">,
  log: Logger,
  handlers: LogHandlers,
  line: (text: string) => void,
): Promise<string | undefined> {
  // The failure gets one line of its own below: an abort is shown as its INFO step only.
  const listener = (e: AssociationEvent) =>
    handlers.onAssociationEvent(e.type === "aborting" ? { type: "aborting" } : e);
  const where = `${options.address}:${options.port} (${options.calledAeTitle ?? "ANY-SCP"})`;
  let failure: string;
  try {
    const r = await echo({
      ...options,
      onEvent: (e) => log.info(verboseLine(e)),
      associationListener: listener,
    });
    if (r.status === 0) {
      line(`Echo: ${where} answered Success in ${millis(r.ms)} ms`);
      return undefined;
    }
    failure = `the peer answered ${hexStatus(r.status)} - ${statusCategory(r.status)}`;
  } catch (err) {
    failure = reasonOf(err instanceof Error ? err : new Error(String(err)));
  }
  log.error(`Echo failed: ${where}: ${failure}`);
  return failure;
}

/**
 * The account of a run stopped by a failed echo: every input is named, not sent, with the
 * echo's failure as its reason (unusable paths with their own).
 *
 * @example
 * ```ts ignore
 * import { unsentAfterEcho } from "./echo.ts";
 * const report = await unsentAfterEcho(storeOptions, "association rejected (...)");
 * ```
 */
export async function unsentAfterEcho(
  options: StoreOptions,
  failure: string,
): Promise<StoreReport> {
  const emit = options.onEvent ?? (() => {});
  const inputs = await findInputs(options, emit);
  const results: FileResult[] = inputs.bad.map((b) => ({
    path: b.path,
    outcome: "not-sent",
    reason: `Cannot access path: ${b.reason}`,
  }));
  for (const path of inputs.files) {
    const r: FileResult = { path, outcome: "not-sent", reason: `C-ECHO failed: ${failure}` };
    results.push(r);
    emit({ type: "file-done", result: r });
  }
  return {
    results,
    counts: { success: 0, warning: 0, failure: 0, "not-sent": results.length, skipped: 0 },
    associations: 0,
    noAssociation: true,
    ignored: 0,
    interrupted: false,
  };
}
