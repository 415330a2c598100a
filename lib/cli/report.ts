/**
 * The `--report` file: one JSON line per input file.
 *
 * @module
 */

import type { FileResult } from "../send.ts";

/** Writes one JSON object per line. */
export interface ReportWriter {
  /** Writes a file's result as one line. */
  write(r: FileResult): void;
  /** Writes one line of text (a `--dry-run` line, say). */
  line(text: string): void;
  /** Closes the file. */
  close(): void;
}

/** What a line of the `--report` file says first about any input, sent or only planned. */
export interface ResultFields {
  /** The path as given or found. */
  path: string;
  /** How it ended (or would). */
  outcome: string;
  /** SOP Class UID. */
  sopClassUid?: string;
  /** SOP Instance UID. */
  sopInstanceUid?: string;
  /** The file's own transfer syntax. */
  transferSyntaxUid?: string;
  /** The transfer syntax its data set was (or would be) sent in. */
  sentTransferSyntaxUid?: string;
}

/**
 * The fields every `--report` line starts with, in their order, absent ones `null`: those of
 * a run ({@link reportLine}) and of a dry run (`planReportLine`) follow them.
 *
 * @example
 * ```ts
 * import { resultFields } from "./report.ts";
 * resultFields({ path: "a.dcm", outcome: "skipped" });
 * // { path: "a.dcm", outcome: "skipped", sopClassUid: null, sopInstanceUid: null,
 * //   transferSyntaxUid: null, sentTransferSyntaxUid: null }
 * ```
 */
export function resultFields(r: ResultFields): Record<keyof ResultFields, string | null> {
  return {
    path: r.path,
    outcome: r.outcome,
    sopClassUid: r.sopClassUid ?? null,
    sopInstanceUid: r.sopInstanceUid ?? null,
    transferSyntaxUid: r.transferSyntaxUid ?? null,
    sentTransferSyntaxUid: r.sentTransferSyntaxUid ?? null,
  };
}

/**
 * One JSON line for a file result (the `--report` format).
 *
 * @example
 * ```ts
 * import { reportLine } from "./report.ts";
 * reportLine({ path: "a.dcm", outcome: "success", status: 0 });
 * // '{"path":"a.dcm","outcome":"success","sopClassUid":null,...}'
 * ```
 */
export function reportLine(r: FileResult): string {
  return JSON.stringify({
    ...resultFields(r),
    transcoded: r.transcoded ?? null,
    contextId: r.contextId ?? null,
    status: r.status ?? null,
    reason: r.reason ?? null,
    bytes: r.bytes ?? null,
    size: r.size ?? null,
    ms: r.ms ?? null,
    attempts: r.attempts ?? 1,
  });
}

/**
 * Opens the `--report` destination: `-` writes to `stdout`; a file needs write permission
 * (granted up front, never prompted for) and is truncated.
 *
 * @example
 * ```ts ignore
 * import { openReport } from "./report.ts";
 * const report = await openReport("-", (t) => console.log(t));
 * ```
 */
export async function openReport(
  path: string,
  stdout: (text: string) => void,
): Promise<ReportWriter> {
  if (path === "-") {
    return {
      write: (r) => stdout(reportLine(r) + "\n"),
      line: (text) => stdout(text + "\n"),
      close: () => {},
    };
  }
  const perm = await Deno.permissions.query({ name: "write", path });
  if (perm.state !== "granted") {
    throw new Error(
      `--report ${path}: no write permission; give deno --allow-write=${path} (or -W) ` +
        `before the script name, or use --report - for stdout`,
    );
  }
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, create: true, truncate: true });
  } catch (err) {
    throw new Error(`--report ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const enc = new TextEncoder();
  const line = (text: string) => {
    const b = enc.encode(text + "\n");
    let off = 0;
    while (off < b.length) off += file.writeSync(b.subarray(off));
  };
  return { write: (r) => line(reportLine(r)), line, close: () => file.close() };
}
