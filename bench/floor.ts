/**
 * The bench's "deno: floor" client: the least a sender written for Deno does for the same
 * job, to show what the runtime itself costs. One association proposing the files' own
 * (SOP class, transfer syntax) pairs; for each file, in order: examine its first bytes
 * (`readDicomFileInfo`), read the rest in 256 KiB chunks straight into P-DATA-TF PDUs of the
 * peer's size, gathered into 256 KiB writes, and wait for its C-STORE-RSP. No boundary
 * check, no change check, no events, no log, no account: not a tool, a yardstick. Prints
 * `sent N`.
 *
 * ```sh
 * deno run -N -R bench/floor.ts 127.0.0.1 11112 /tmp/study
 * ```
 *
 * @module
 */

import { readDicomFileInfo } from "../lib/part10/file.ts";
import type { DicomFileInfo } from "../lib/part10/types.ts";
import { buildAssociateRQ } from "../lib/acse.ts";
import { encodePdu, writeSinglePdvHeaders } from "../lib/pdu/encode.ts";
import { PduReader } from "../lib/pdu/reader.ts";
import { type AssociateAC, PduType } from "../lib/pdu/types.ts";
import { encodeCommand } from "../lib/dimse/messages.ts";
import { connectTcp } from "../lib/connect.ts";
import { writeAll } from "../lib/transport.ts";

const [host, port, ...inputs] = Deno.args;
const paths: string[] = [];
for (const p of inputs) {
  if (Deno.statSync(p).isDirectory) {
    for (const e of Deno.readDirSync(p)) if (e.isFile) paths.push(`${p}/${e.name}`);
  } else paths.push(p);
}
paths.sort();

// Proposal: the pairs of the first file (the bench's folders hold one kind of file).
const first = await readDicomFileInfo(paths[0]);
const transport = await connectTcp({ hostname: host, port: Number(port) });
const rq = buildAssociateRQ({
  callingAeTitle: "FLOOR",
  calledAeTitle: "ANY-SCP",
  presentationContexts: [{
    id: 1,
    abstractSyntax: first.sopClassUid,
    transferSyntaxes: [first.transferSyntaxUid],
  }],
  maxPduLength: 16382,
});
await writeAll(transport, encodePdu(rq));
const reader = new PduReader(transport, { maxPduLength: 16382 });
const ac = await reader.read();
if (ac?.type !== PduType.AssociateAC || ac.presentationContexts[0]?.result !== 0) {
  throw new Error("floor: association not accepted");
}
const peerMax = (ac as AssociateAC).userInfo.maxLength || 1 << 20;
const frag = (peerMax - 6) & ~1;

const out = new Uint8Array(256 * 1024);
const chunk = new Uint8Array(256 * 1024);
let used = 0;
const flush = async () => {
  await writeAll(transport, out.subarray(0, used));
  used = 0;
};

async function send(info: DicomFileInfo, messageId: number): Promise<void> {
  const command = encodeCommand({
    kind: "C-STORE-RQ",
    messageId,
    affectedSopClassUid: info.sopClassUid,
    affectedSopInstanceUid: info.sopInstanceUid,
    priority: 2,
  }, true);
  used = writeSinglePdvHeaders(out, 0, command.length, 1, true, true);
  out.set(command, used);
  used += command.length;
  const file = Deno.openSync(info.path);
  file.seekSync(info.datasetOffset, Deno.SeekMode.Start);
  let left = info.size - info.datasetOffset;
  let start = 0;
  let end = 0;
  while (left > 0) {
    const n = Math.min(frag, left);
    if (used + 12 + n > out.length) await flush();
    for (let k = 0; k < n;) {
      if (start === end) {
        end = file.readSync(chunk) ?? 0;
        start = 0;
        if (end === 0) throw new Error(`floor: ${info.path} is shorter than examined`);
      }
      const m = Math.min(n - k, end - start);
      out.set(chunk.subarray(start, start + m), used + 12 + k);
      start += m;
      k += m;
    }
    left -= n;
    used = writeSinglePdvHeaders(out, used, n, 1, false, left === 0) + n;
  }
  file.close();
  await flush();
  const rsp = await reader.read();
  if (rsp?.type !== PduType.PData) throw new Error("floor: no C-STORE-RSP");
}

let id = 1;
for (const path of paths) {
  await send(await readDicomFileInfo(path), id);
  id = (id + 1) & 0xffff || 1;
}
await writeAll(transport, encodePdu({ type: PduType.ReleaseRQ }));
await reader.read();
transport.close();
console.log(`sent ${paths.length}`);
