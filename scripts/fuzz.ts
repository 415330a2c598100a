/**
 * Seeded fuzzing of the PDU decoder, the stream reader and the acceptor state machine with
 * random and mutated PDUs. `tests/fuzz_test.ts` runs a short campaign; run a long one with
 *
 * ```sh
 * deno run -A scripts/fuzz.ts --seed 7 --count 2000000
 * ```
 *
 * A finding is any exception other than `PduError` from `decodePdu`/`PduReader`, a reader that
 * accepts a PDU longer than its limit or hands the source a buffer larger than it may
 * allocate, or an `Association` (acceptor role) that throws or does not end.
 *
 * @module
 */

import {
  type AssociateAC,
  type AssociateRQ,
  decodePdu,
  emptyUserInformation,
  encodePdu,
  type Pdu,
  PduError,
  PduReader,
  PduType,
} from "../lib/pdu/mod.ts";
import { Association } from "../lib/association.ts";
import { concatBytes } from "../lib/bytes.ts";
import { buildAssociateRQ, negotiateAsAcceptor } from "../lib/acse.ts";
import { encodeCommand } from "../lib/dimse/messages.ts";
import type { Transport } from "../lib/transport.ts";

/** mulberry32: a tiny seeded PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random helpers over one PRNG. */
export class Rng {
  readonly next: () => number;
  /** @param seed any 32-bit number */
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** One of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

const CT = "1.2.840.10008.5.1.4.1.1.2";
const TS = ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2", "1.2.840.10008.1.2.2"];

/** A rich A-ASSOCIATE-RQ (every user-information sub-item type). */
export function sampleRQ(contexts = 3): AssociateRQ {
  const rq = buildAssociateRQ({
    callingAeTitle: "FUZZER",
    calledAeTitle: "ANY-SCP",
    presentationContexts: Array.from({ length: contexts }, (_, i) => ({
      id: 2 * i + 1,
      abstractSyntax: i === 0 ? CT : `1.2.840.10008.5.1.4.1.1.${i + 100}`,
      transferSyntaxes: TS,
    })),
    maxPduLength: 16382,
    asyncOperationsWindow: { maxOperationsInvoked: 4, maxOperationsPerformed: 1 },
  });
  rq.userInfo.roleSelections.push({ sopClassUid: CT, scuRole: true, scpRole: false });
  rq.userInfo.extendedNegotiation.push({ sopClassUid: CT, info: new Uint8Array([1, 0, 1]) });
  rq.userInfo.commonExtendedNegotiation.push({
    sopClassUid: CT,
    serviceClassUid: "1.2.840.10008.4.2",
    relatedGeneralSopClassUids: ["1.2.840.10008.5.1.4.1.1.2.1"],
  });
  rq.userInfo.userIdentity = {
    identityType: 2,
    positiveResponseRequested: true,
    primaryField: new TextEncoder().encode("user"),
    secondaryField: new TextEncoder().encode("pass"),
  };
  return rq;
}

/** The seed vectors: one of each PDU, an AC with 128 contexts, a multi-PDV P-DATA. */
export function seedVectors(): Uint8Array[] {
  const rq = sampleRQ();
  const big = sampleRQ(128);
  const ac = negotiateAsAcceptor(big, { transferSyntaxes: TS, maxPduLength: 16382 }) as AssociateAC;
  ac.userInfo.userIdentityResponse = { serverResponse: new Uint8Array([7, 7]) };
  const acMixed: AssociateAC = {
    ...ac,
    presentationContexts: ac.presentationContexts.map((c, i) =>
      i % 3 === 0 ? { ...c, result: 3, transferSyntax: "" } : c
    ),
    userInfo: { ...emptyUserInformation(), maxLength: 0 },
  };
  const cmd = encodeCommand({
    kind: "C-STORE-RQ",
    messageId: 1,
    affectedSopClassUid: CT,
    affectedSopInstanceUid: "1.2.3.4.5",
    priority: 2,
  }, true);
  const pdus: Pdu[] = [
    rq,
    ac,
    acMixed,
    { type: PduType.AssociateRJ, result: 1, source: 1, reason: 7 },
    {
      type: PduType.PData,
      pdvs: [
        { contextId: 1, isCommand: true, isLast: true, data: cmd },
        { contextId: 1, isCommand: false, isLast: false, data: new Uint8Array(40).fill(9) },
        { contextId: 1, isCommand: false, isLast: true, data: new Uint8Array(2) },
      ],
    },
    { type: PduType.ReleaseRQ },
    { type: PduType.ReleaseRP },
    { type: PduType.Abort, source: 2, reason: 6 },
  ];
  return pdus.map(encodePdu);
}

/** One random mutation of `v` (never modifies `v`). */
export function mutate(rng: Rng, v: Uint8Array, others: Uint8Array[]): Uint8Array {
  const b = v.slice();
  const view = new DataView(b.buffer);
  const at = () => rng.int(Math.max(1, b.length));
  switch (rng.int(12)) {
    case 0: { // bit flips
      const n = 1 + rng.int(8);
      for (let i = 0; i < n && b.length; i++) b[at()] ^= 1 << rng.int(8);
      return b;
    }
    case 1: { // random bytes overwritten
      const n = 1 + rng.int(4);
      for (let i = 0; i < n && b.length; i++) b[at()] = rng.int(256);
      return b;
    }
    case 2: // truncation
      return b.subarray(0, rng.int(b.length + 1));
    case 3: { // PDU length field
      if (b.length < 6) return b;
      const len = view.getUint32(2);
      view.setUint32(
        2,
        rng.pick([
          0,
          1,
          3,
          4,
          len - 1,
          len + 1,
          len + 1000,
          0x7fffffff,
          0xffffffff,
          rng.int(2 ** 32),
        ]) >>> 0,
      );
      return b;
    }
    case 4: { // a 16-bit item length somewhere
      if (b.length < 2) return b;
      const o = rng.int(b.length - 1);
      view.setUint16(
        o,
        rng.pick([
          0,
          1,
          2,
          3,
          4,
          0xffff,
          rng.int(65536),
          view.getUint16(o) + 1,
          view.getUint16(o) - 1,
        ]) & 0xffff,
      );
      return b;
    }
    case 5: { // a 32-bit (PDV) length somewhere
      if (b.length < 4) return b;
      const o = rng.int(b.length - 3);
      view.setUint32(
        o,
        rng.pick([0, 1, 2, 0xffffffff, rng.int(2 ** 32), view.getUint32(o) + 1]) >>> 0,
      );
      return b;
    }
    case 6: { // insertion
      const o = at();
      return concatBytes([b.subarray(0, o), rng.bytes(1 + rng.int(16)), b.subarray(o)]);
    }
    case 7: { // deletion
      const o = at();
      return concatBytes([b.subarray(0, o), b.subarray(Math.min(b.length, o + 1 + rng.int(16)))]);
    }
    case 8: { // duplicate a slice
      const o = at();
      const e = Math.min(b.length, o + 1 + rng.int(64));
      return concatBytes([b.subarray(0, e), b.subarray(o, e), b.subarray(e)]);
    }
    case 9: { // splice with another vector
      const w = rng.pick(others);
      return concatBytes([b.subarray(0, at()), w.subarray(rng.int(w.length + 1))]);
    }
    case 10: { // type byte
      if (b.length) b[0] = rng.pick([0, 1, 2, 3, 4, 5, 6, 7, 8, 0xff, rng.int(256)]);
      return b;
    }
    default: { // random garbage with a plausible header
      const body = rng.bytes(rng.int(96));
      const h = new Uint8Array(6);
      h[0] = 1 + rng.int(7);
      new DataView(h.buffer).setUint32(2, rng.next() < 0.5 ? body.length : rng.int(200));
      return concatBytes([h, body]);
    }
  }
}

/** Makes a fuzz input: a seed vector with 1–4 mutations (sometimes none). */
export function makeInput(rng: Rng, vectors: Uint8Array[]): Uint8Array {
  let b = rng.pick(vectors);
  const n = rng.next() < 0.05 ? 0 : 1 + rng.int(4);
  for (let i = 0; i < n; i++) b = mutate(rng, b, vectors);
  return b;
}

/** What went wrong. */
export interface Finding {
  target: "decode" | "encode" | "reader" | "association";
  input: Uint8Array;
  error: string;
}

/** Feeds `input` to decodePdu (and re-encodes what decodes): only PduError may escape. */
export function fuzzDecode(input: Uint8Array): Finding | undefined {
  let pdu: Pdu;
  try {
    pdu = decodePdu(input);
  } catch (e) {
    if (e instanceof PduError) return undefined;
    return { target: "decode", input, error: String((e as Error)?.stack ?? e) };
  }
  try {
    encodePdu(pdu);
  } catch (e) {
    if (!(e instanceof PduError)) {
      return { target: "encode", input, error: String((e as Error)?.stack ?? e) };
    }
  }
  return undefined;
}

/** A source over `data` handing out random-sized chunks, recording the largest request. */
class ChunkedSource {
  #data: Uint8Array;
  #pos = 0;
  #rng: Rng;
  /** Largest buffer the reader passed to `read`. */
  largestRequest = 0;
  constructor(data: Uint8Array, rng: Rng) {
    this.#data = data;
    this.#rng = rng;
  }
  read(p: Uint8Array): Promise<number | null> {
    this.largestRequest = Math.max(this.largestRequest, p.length);
    if (this.#pos >= this.#data.length) return Promise.resolve(null);
    const n = Math.min(p.length, this.#data.length - this.#pos, 1 + this.#rng.int(300));
    p.set(this.#data.subarray(this.#pos, this.#pos + n));
    this.#pos += n;
    return Promise.resolve(n);
  }
}

const READER_BUFFER = 64 * 1024;

/**
 * Feeds a stream (several inputs back to back) to a PduReader with small limits. Checks that
 * only PduError escapes, that no PDU over its limit is returned, that a header declaring more
 * than the limit fails "too-large", and that the reader never asks the source to fill a buffer
 * bigger than its own 64 KiB buffer or the limit (so it allocated nothing bigger).
 */
export async function fuzzReader(stream: Uint8Array, rng: Rng): Promise<Finding | undefined> {
  const maxPduLength = rng.pick([0, 16, 256, 4096, 16382]);
  const maxOther = rng.pick([64, 1024, 8192]);
  const src = new ChunkedSource(stream, rng);
  const reader = new PduReader(src, { maxPduLength, maxOtherPduLength: maxOther });
  const fail = (error: string): Finding => ({ target: "reader", input: stream, error });
  for (let i = 0; i < 64; i++) {
    const start = reader.totalBytesRead;
    let pdu: Pdu | null;
    try {
      pdu = await reader.read();
    } catch (e) {
      if (!(e instanceof PduError)) return fail(String((e as Error)?.stack ?? e));
      if (stream.length >= start + 6) {
        const type = stream[start];
        const declared = new DataView(stream.buffer, stream.byteOffset).getUint32(start + 2);
        const limit = type === PduType.PData ? maxPduLength : maxOther;
        if (type >= 1 && type <= 7 && limit > 0 && declared > limit && e.code !== "too-large") {
          return fail(`declared ${declared} > limit ${limit} but error was ${e.code}`);
        }
      }
      break;
    }
    if (pdu === null) break;
    const body = reader.lastPduLength - 6;
    const limit = pdu.type === PduType.PData ? maxPduLength : maxOther;
    if (limit > 0 && body > limit) return fail(`accepted a PDU of ${body} bytes over ${limit}`);
  }
  const allowed = Math.max(READER_BUFFER, (maxPduLength || 1 << 20) + 6, maxOther + 6);
  if (src.largestRequest > allowed) {
    return fail(`reader passed a ${src.largestRequest}-byte buffer (allowed ${allowed})`);
  }
  return undefined;
}

/** One end of an in-memory pipe: reads `incoming`, then EOF; writes are counted and dropped. */
class ScriptedTransport implements Transport {
  #in: Uint8Array;
  #pos = 0;
  #rng: Rng;
  #closed = false;
  written = 0;
  constructor(incoming: Uint8Array, rng: Rng) {
    this.#in = incoming;
    this.#rng = rng;
  }
  async read(p: Uint8Array): Promise<number | null> {
    await Promise.resolve();
    if (this.#closed || this.#pos >= this.#in.length) return null;
    const n = Math.min(p.length, this.#in.length - this.#pos, 1 + this.#rng.int(4096));
    p.set(this.#in.subarray(this.#pos, this.#pos + n));
    this.#pos += n;
    return n;
  }
  async write(p: Uint8Array): Promise<number> {
    await Promise.resolve();
    if (this.#closed) throw new Deno.errors.BrokenPipe("closed");
    this.written += p.length;
    return p.length;
  }
  close(): void {
    this.#closed = true;
  }
}

/** A plausible SCU conversation: RQ, a C-STORE (command + data set), release. */
export function conversation(rng: Rng): Uint8Array[] {
  const rq = sampleRQ(1 + rng.int(4));
  const cmd = encodeCommand({
    kind: "C-STORE-RQ",
    messageId: 1 + rng.int(5),
    affectedSopClassUid: CT,
    affectedSopInstanceUid: "1.2.3.4.5",
    priority: 2,
  }, true);
  const data = rng.bytes(2 * rng.int(200));
  const pd = (isCommand: boolean, bytes: Uint8Array) =>
    encodePdu({
      type: PduType.PData,
      pdvs: [{ contextId: 1, isCommand, isLast: true, data: bytes }],
    });
  return [
    encodePdu(rq),
    pd(true, cmd),
    pd(false, data),
    pd(
      true,
      encodeCommand({ kind: "C-ECHO-RQ", messageId: 9, affectedSopClassUid: "1.2.840.10008.1.1" }),
    ),
    encodePdu({ type: PduType.ReleaseRQ }),
  ];
}

/**
 * Plays a mutated conversation to an acceptor over an in-memory transport, drains every
 * message it delivers, and checks that it ends (the returned promise settles) without
 * throwing. Timeouts are short so a stuck state machine shows as a timeout, not a hang.
 */
export async function fuzzAssociation(
  rng: Rng,
  stats: { established: number; messages: number } = { established: 0, messages: 0 },
): Promise<Finding | undefined> {
  const parts = conversation(rng);
  const n = 1 + rng.int(3);
  for (let i = 0; i < n; i++) {
    const k = rng.int(parts.length);
    parts[k] = mutate(rng, parts[k], parts);
  }
  if (rng.next() < 0.2) parts.splice(rng.int(parts.length), 1);
  const stream = concatBytes(parts);
  const transport = new ScriptedTransport(stream, rng);
  const options = {
    timeouts: { acse: 0.2, dimse: 0.2, network: 0.2 },
    maxPduLength: rng.pick([0, 64, 16382]),
  };
  try {
    const assoc = await Association.accept(
      transport,
      (rq) => negotiateAsAcceptor(rq, { transferSyntaxes: TS, maxPduLength: 16382 }),
      options,
    );
    if (assoc) {
      stats.established++;
      for (;;) {
        try {
          await assoc.receiveMessage(0.2);
          stats.messages++;
        } catch {
          break;
        }
      }
      await assoc.abort();
      await assoc.done;
    }
  } catch (e) {
    return { target: "association", input: stream, error: String((e as Error)?.stack ?? e) };
  } finally {
    transport.close();
  }
  return undefined;
}

/** Campaign sizes and where findings go. */
export interface FuzzOptions {
  seed: number;
  /** Inputs for decodePdu (each also fed to the reader 1 time in `readerEvery`). */
  count: number;
  /** Feed every n-th input (and its neighbours, as one stream) to the PduReader. */
  readerEvery?: number;
  /** Association runs. */
  associations?: number;
  /** Stop after this many findings (default 10). */
  maxFindings?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** The result of a campaign. */
export interface FuzzReport {
  decoded: number;
  readerStreams: number;
  associations: number;
  /** Association runs that got past negotiation, and DIMSE messages they delivered. */
  established: number;
  messages: number;
  findings: Finding[];
  ms: number;
}

/** Runs a seeded campaign; deterministic for a given seed and sizes. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const t0 = performance.now();
  const rng = new Rng(options.seed);
  const vectors = seedVectors();
  const findings: Finding[] = [];
  const max = options.maxFindings ?? 10;
  const readerEvery = options.readerEvery ?? 1;
  let readerStreams = 0;
  let window: Uint8Array[] = [];
  for (let i = 0; i < options.count && findings.length < max; i++) {
    // Mostly mutations of valid vectors, some pure noise.
    const input = rng.next() < 0.03 ? rng.bytes(rng.int(128)) : makeInput(rng, vectors);
    const f = fuzzDecode(input);
    if (f) findings.push(f);
    window.push(input);
    if (window.length >= readerEvery) {
      // A stream: a valid PDU or two in front so the reader's buffer carries state over.
      const stream = concatBytes([rng.pick(vectors), ...window.slice(-3)]);
      const r = await fuzzReader(stream, rng);
      if (r) findings.push(r);
      readerStreams++;
      window = [];
    }
    if (options.log && i > 0 && i % 100000 === 0) {
      options.log(
        `${i} inputs, ${findings.length} findings, ${Math.round(performance.now() - t0)} ms`,
      );
    }
  }
  const associations = options.associations ?? 0;
  const stats = { established: 0, messages: 0 };
  for (let i = 0; i < associations && findings.length < max; i++) {
    const f = await fuzzAssociation(rng, stats);
    if (f) findings.push(f);
  }
  return {
    decoded: options.count,
    readerStreams,
    associations,
    ...stats,
    findings,
    ms: performance.now() - t0,
  };
}

function hex(b: Uint8Array): string {
  return [...b.subarray(0, 256)].map((x) => x.toString(16).padStart(2, "0")).join("") +
    (b.length > 256 ? `... (${b.length} bytes)` : "");
}

if (import.meta.main) {
  const args = Deno.args;
  const arg = (name: string, def: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : def;
  };
  const seed = arg("--seed", Date.now() & 0xffffffff);
  const count = arg("--count", 1_000_000);
  const report = await runFuzz({
    seed,
    count,
    readerEvery: arg("--reader-every", 4),
    associations: arg("--associations", Math.ceil(count / 100)),
    log: (l) => console.log(l),
  });
  console.log(
    `seed ${seed}: ${report.decoded} decoded, ${report.readerStreams} reader streams, ` +
      `${report.associations} associations (${report.established} established, ` +
      `${report.messages} messages), ${report.findings.length} findings, ` +
      `${Math.round(report.ms)} ms`,
  );
  for (const f of report.findings) console.log(`${f.target}: ${f.error}\n  input ${hex(f.input)}`);
  Deno.exit(report.findings.length === 0 ? 0 : 1);
}
