/**
 * The TLS scenarios of `deno task bench` (ids `tlssmall`, `tlsbig`, `tlsbigreuse`): ours and
 * DCMTK's `storescu +tls` into the same `storescp +tls --ignore` sink, both with a client
 * certificate (mutual TLS, what `storescu +tls` does); ours also with server-only TLS (its other
 * code path); and, on the 1 GiB file, ours over plain TCP into the plain sink of the same kind,
 * for what TLS costs us. The certificates are the repository's TEST-ONLY ones (`testdata/tls/`,
 * ECDSA P-256, made by `scripts/make_test_certs.ts`).
 *
 * @module
 */

import type { TranscodeSummary } from "./transcode.ts";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");
const CERTS = `${ROOT}/testdata/tls`;

/** Scenario ids. */
export const TLS_SCENARIO_IDS = ["tlssmall", "tlsbig", "tlsbigreuse"] as const;

/**
 * `storescp` arguments for the TLS sink: its certificate, the demo CA for client certificates,
 * verified when presented (`-vc`), so one sink serves mutual and server-only clients.
 */
export const TLS_SINK_ARGS: readonly string[] = [
  "+tls",
  `${CERTS}/scp.key`,
  `${CERTS}/scp.pem`,
  "+cf",
  `${CERTS}/ca.pem`,
  "-vc",
];

/** Our CLI's TLS options: mutual TLS (node:tls) or server-only (Deno's own TLS). */
export function oursTlsArgs(mutual: boolean): string[] {
  return [
    "--tls",
    "--tls-ca",
    `${CERTS}/ca.pem`,
    ...(mutual ? ["--tls-cert", `${CERTS}/client.pem`, "--tls-key", `${CERTS}/client.key`] : []),
  ];
}

/** DCMTK `storescu` TLS options: its key and certificate, the demo CA. */
export const DCMTK_TLS_ARGS: readonly string[] = [
  "+tls",
  `${CERTS}/client.key`,
  `${CERTS}/client.pem`,
  "+cf",
  `${CERTS}/ca.pem`,
];

/** Client label suffix of ours with server-only TLS. */
export const SERVER_ONLY = "server-only TLS";
/** Client label suffix of ours over plain TCP into the plain sink, in the 1 GiB scenarios. */
export const PLAIN_TCP = "plain TCP, plain sink";

/** One client's medians in one scenario (the fields of run.ts's summaries used here). */
export type TlsSummary = TranscodeSummary;

const f2 = (x: number) => x.toFixed(2);
const f3 = (x: number) => x.toFixed(3);
const f0 = (x: number) => x.toFixed(0);

/**
 * The report's TLS section: how it was run, a table of wall, CPU and peak RSS with ratios to
 * DCMTK and to our own plain TCP, and the targets (wall ≤ 1.0x DCMTK on 1,000 files and on the
 * 1 GiB file; TLS ≤ 1.3x our plain TCP on the 1 GiB file; peak RSS ≤ 100 MB).
 */
export function tlsSection(summaries: TlsSummary[], ours: string): string[] {
  const rows = summaries.filter((s) => (TLS_SCENARIO_IDS as readonly string[]).includes(s.id));
  if (rows.length === 0) return [];
  const get = (id: string, client: string) => rows.find((s) => s.id === id && s.client === client);
  const lines = [
    "## TLS",
    "",
    "Sink: `storescp +tls KEY CERT +cf CA -vc --ignore` (a client certificate is verified when " +
    "one is presented), `TCP_NODELAY=1`. Ours: `--tls --tls-ca CA --tls-cert CERT --tls-key " +
    "KEY` (mutual TLS, on node:tls) and `--tls --tls-ca CA` (server-only, on Deno's own TLS); " +
    "DCMTK: `TCP_NODELAY=1 storescu +tls KEY CERT +cf CA [+sd]`. The repository's test-only " +
    "ECDSA P-256 certificates (testdata/tls); TLS 1.3 with AES-256-GCM was negotiated. In the " +
    "1 GiB scenarios ours also sends over plain TCP into the plain sink of the same kind: (k) " +
    "the sinks as they come, whose page faults set much of the pace (see (b)); (k2) sinks " +
    "reusing their memory (see (b2)), where the clients do, and encryption (ours) and " +
    "decryption (the sink's), both on this machine's 2 cores, show in full. CPU = user + system " +
    "seconds of the client process (`wait4()`, bench/rusage.c).",
    "",
    "| scenario | client | median wall s | median CPU s | MB/s | peak RSS MB (max) | ours/DCMTK wall | ours/DCMTK CPU | TLS/plain TCP wall | TLS/plain TCP CPU |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const s of rows) {
    const d = get(s.id, "dcmtk");
    const p = get(s.id, `${ours} (${PLAIN_TCP})`);
    const mine = s.client !== "dcmtk" && !s.client.endsWith(`(${PLAIN_TCP})`);
    const vsD = mine && d;
    const vsP = mine && p;
    lines.push(
      `| ${s.title} | ${s.client === "dcmtk" ? "DCMTK" : s.client} | ${f3(s.medianWallS)} | ` +
        `${f3(s.medianCpuS)} | ${f0(s.bytes / 1e6 / s.medianWallS)} | ${f0(s.maxRssMb)} | ` +
        `${vsD ? `**${f2(s.medianWallS / d.medianWallS)}x**` : ""} | ` +
        `${vsD ? `${f2(s.medianCpuS / d.medianCpuS)}x` : ""} | ` +
        `${vsP ? `**${f2(s.medianWallS / p.medianWallS)}x**` : ""} | ` +
        `${vsP ? `${f2(s.medianCpuS / p.medianCpuS)}x` : ""} |`,
    );
  }
  lines.push("", "| target | measured | met |", "| --- | --- | --- |");
  for (const id of ["tlssmall", "tlsbig"]) {
    const [o, d] = [get(id, ours), get(id, "dcmtk")];
    if (!o || !d) continue;
    const r = o.medianWallS / d.medianWallS;
    lines.push(
      `| ${o.title}: wall ≤ 1.0x DCMTK storescu +tls | ${f2(r)}x (${f3(o.medianWallS)} s vs ` +
        `${f3(d.medianWallS)} s; CPU ${f2(o.medianCpuS / d.medianCpuS)}x) | ` +
        `${r <= 1 ? "yes" : "**no**"} |`,
    );
  }
  // The issue's set-up, `storescp +tls --ignore` as it comes, is the target; (k2), where the
  // clients set the pace, is shown for reference.
  for (const [id, target] of [["tlsbig", true], ["tlsbigreuse", false]] as const) {
    const [t, p] = [get(id, ours), get(id, `${ours} (${PLAIN_TCP})`)];
    if (!t || !p) continue;
    const r = t.medianWallS / p.medianWallS;
    lines.push(
      `| ${t.title}: ours over TLS ${target ? "≤ 1.3x" : "vs"} ours over plain TCP (wall) | ` +
        `${f2(r)}x (${f3(t.medianWallS)} s vs ${f3(p.medianWallS)} s; CPU ` +
        `${f2(t.medianCpuS / p.medianCpuS)}x) | ${
          target ? (r <= 1.3 ? "yes" : "**no**") : "(reference)"
        } |`,
    );
    if (target) {
      lines.push(
        `| ${t.title}: our peak RSS ≤ 100 MB | ${f0(t.maxRssMb)} MB | ` +
          `${t.maxRssMb <= 100 ? "yes" : "**no**"} |`,
      );
    }
  }
  lines.push("");
  return lines;
}
