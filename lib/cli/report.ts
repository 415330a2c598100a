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
    path: r.path,
    outcome: r.outcome,
    sopClassUid: r.sopClassUid ?? null,
    sopInstanceUid: r.sopInstanceUid ?? null,
    transferSyntaxUid: r.transferSyntaxUid ?? null,
    sentTransferSyntaxUid: r.sentTransferSyntaxUid ?? null,
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
