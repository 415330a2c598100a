/**
 * Test helpers: a scriptable, fault-injecting DICOM peer on raw `Deno.listen` sockets
 * (127.0.0.1, port 0) that speaks through our own PDU codec, plus a generator of tiny Part-10
 * files. Each connection runs a {@link PeerScript}; the stock scripts in {@link faults} cover
 * refusals, rejections, aborts, silences, broken connections, odd statuses and malformed PDUs.
 *
 * @module
 */

import {
  type AssociateAC,
  type AssociateRQ,
  encodePdu,
  type Pdu,
  PduReader,
  PduType,
  type Pdv,
} from "../lib/pdu/mod.ts";
import { negotiateAsAcceptor } from "../lib/acse.ts";
import {
  type CStoreRQ,
  type CStoreRSP,
  decodeCommand,
  type DimseCommand,
  encodeCommand,
} from "../lib/dimse/messages.ts";
import { ALL_TRANSFER_SYNTAXES } from "../lib/scp.ts";
import { concatBytes } from "../lib/bytes.ts";
import { storeFiles, type StoreOptions, type StoreReport } from "../lib/send.ts";
import { type Level, Logger, LogHandlers } from "../lib/log.ts";
import { exitCodeFor, summaryLine } from "../cli.ts";

/** CT Image Storage. */
export const CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2";
/** Secondary Capture Image Storage. */
export const SC_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.7";
/** Explicit VR Little Endian. */
export const EXPLICIT_LE = "1.2.840.10008.1.2.1";

/** One DIMSE command as the peer read it. */
export interface PeerCommand {
  contextId: number;
  command: DimseCommand;
  hasDataSet: boolean;
}

/** One accepted connection, with helpers to read and answer at the PDU and DIMSE levels. */
export class PeerConn {
  /** The raw socket. */
  readonly conn: Deno.Conn;
  /** Every PDU read so far. */
  readonly received: Pdu[] = [];
  /** The A-ASSOCIATE-RQ, once read by {@link associate}. */
  rq?: AssociateRQ;
  /** The AC sent, once sent. */
  ac?: AssociateAC;
  #reader: PduReader;
  #pdvs: Pdv[] = [];
  #closed = false;

  /** @param conn the accepted socket */
  constructor(conn: Deno.Conn) {
    this.conn = conn;
    this.#reader = new PduReader(conn, { maxPduLength: 0, maxOtherPduLength: 0 });
  }

  /** Next PDU, or null at end of stream or on any read/decoding error. */
  async readPdu(): Promise<Pdu | null> {
    if (this.#closed) return null;
    try {
      const pdu = await this.#reader.read();
      if (pdu) this.received.push(pdu);
      return pdu;
    } catch {
      return null;
    }
  }

  /** Sends a PDU; false when the connection is gone. */
  send(pdu: Pdu): Promise<boolean> {
    return this.sendRaw(encodePdu(pdu));
  }

  /** Writes raw bytes; false when the connection is gone. */
  async sendRaw(bytes: Uint8Array): Promise<boolean> {
    if (this.#closed) return false;
    try {
      let off = 0;
      while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
      return true;
    } catch {
      return false;
    }
  }

  /** Writes `bytes` one byte per write, waiting `delayMs` between bytes. */
  async trickle(bytes: Uint8Array, delayMs = 0): Promise<boolean> {
    for (let i = 0; i < bytes.length; i++) {
      if (!(await this.sendRaw(bytes.subarray(i, i + 1)))) return false;
      await new Promise((r) => setTimeout(r, delayMs));
    }
    return true;
  }

  /** Closes the socket (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }

  /** True once {@link close} ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Reads the A-ASSOCIATE-RQ (null if something else or nothing came). */
  async associate(): Promise<AssociateRQ | null> {
    const pdu = await this.readPdu();
    if (!pdu || pdu.type !== PduType.AssociateRQ) return null;
    this.rq = pdu;
    return pdu;
  }

  /** An AC accepting every proposed context (or none), with our max length `maxPduLength`. */
  makeAc(rq: AssociateRQ, options: { maxPduLength?: number; acceptNone?: boolean } = {}) {
    const ac = negotiateAsAcceptor(rq, {
      transferSyntaxes: ALL_TRANSFER_SYNTAXES,
      maxPduLength: options.maxPduLength ?? 16382,
      abstractSyntaxes: options.acceptNone ? new Set() : undefined,
    }) as AssociateAC;
    return ac;
  }

  /** Reads the RQ and answers with an AC accepting everything; false if that failed. */
  async acceptAll(options: { maxPduLength?: number } = {}): Promise<boolean> {
    const rq = await this.associate();
    if (!rq) return false;
    this.ac = this.makeAc(rq, options);
    return await this.send(this.ac);
  }

  async #nextPdv(): Promise<Pdv | null> {
    while (this.#pdvs.length === 0) {
      const pdu = await this.readPdu();
      if (!pdu || pdu.type !== PduType.PData) return null;
      this.#pdvs.push(...pdu.pdvs);
    }
    return this.#pdvs.shift()!;
  }

  /** Reads PDVs until a command set is complete. */
  async readCommand(): Promise<PeerCommand | null> {
    const parts: Uint8Array[] = [];
    let contextId = 0;
    for (;;) {
      const pdv = await this.#nextPdv();
      if (!pdv || !pdv.isCommand) return null;
      contextId = pdv.contextId;
      parts.push(pdv.data.slice());
      if (pdv.isLast) break;
    }
    const { command, hasDataSet } = decodeCommand(concatBytes(parts));
    return { contextId, command, hasDataSet };
  }

  /** Reads one data set fragment (null at the end of the stream or on a command PDV). */
  async readDataFragment(): Promise<Pdv | null> {
    const pdv = await this.#nextPdv();
    if (!pdv || pdv.isCommand) return null;
    return pdv;
  }

  /** Reads data set fragments until the last one; resolves the whole data set. */
  async readDataSet(): Promise<Uint8Array | null> {
    const parts: Uint8Array[] = [];
    for (;;) {
      const pdv = await this.readDataFragment();
      if (!pdv) return null;
      parts.push(pdv.data.slice());
      if (pdv.isLast) return concatBytes(parts);
    }
  }

  /** Reads a C-STORE-RQ and its data set. */
  async readStore(): Promise<{ contextId: number; rq: CStoreRQ; data: Uint8Array } | null> {
    const cmd = await this.readCommand();
    if (!cmd || cmd.command.kind !== "C-STORE-RQ") return null;
    const data = cmd.hasDataSet ? await this.readDataSet() : new Uint8Array();
    if (!data) return null;
    return { contextId: cmd.contextId, rq: cmd.command, data };
  }

  /** The bytes of a whole P-DATA-TF carrying `command` as a single last command fragment. */
  commandPdu(contextId: number, command: DimseCommand): Uint8Array {
    return encodePdu({
      type: PduType.PData,
      pdvs: [{ contextId, isCommand: true, isLast: true, data: encodeCommand(command, false) }],
    });
  }

  /** A C-STORE-RSP to `rq`, with `overrides`. */
  storeRsp(rq: CStoreRQ, status: number, overrides: Partial<CStoreRSP> = {}): CStoreRSP {
    return {
      kind: "C-STORE-RSP",
      messageIdBeingRespondedTo: rq.messageId,
      affectedSopClassUid: rq.affectedSopClassUid,
      affectedSopInstanceUid: rq.affectedSopInstanceUid,
      status,
      ...overrides,
    };
  }

  /** Answers a store with `status`. */
  respond(
    contextId: number,
    rq: CStoreRQ,
    status: number,
    overrides: Partial<CStoreRSP> = {},
  ): Promise<boolean> {
    return this.sendRaw(this.commandPdu(contextId, this.storeRsp(rq, status, overrides)));
  }

  /**
   * Serves stores with `status(rq)` until a release (answered), an abort or the end of the
   * connection; resolves how the association ended.
   */
  async serve(
    status: (rq: CStoreRQ, data: Uint8Array) => number = () => 0,
    options: { ignoreRelease?: boolean } = {},
  ): Promise<"released" | "release-ignored" | "aborted" | "closed"> {
    for (;;) {
      if (this.#pdvs.length === 0) {
        const pdu = await this.readPdu();
        if (!pdu) return "closed";
        if (pdu.type === PduType.ReleaseRQ) {
          if (options.ignoreRelease) return "release-ignored";
          await this.send({ type: PduType.ReleaseRP });
          return "released";
        }
        if (pdu.type === PduType.Abort) return "aborted";
        if (pdu.type !== PduType.PData) return "closed";
        this.#pdvs.push(...pdu.pdvs);
      }
      const store = await this.readStore();
      if (!store) return "closed";
      await this.respond(store.contextId, store.rq, status(store.rq, store.data));
    }
  }

  /** Reads until the peer closes (or errors), answering nothing; resolves the PDUs read. */
  async drain(): Promise<Pdu[]> {
    const seen: Pdu[] = [];
    for (;;) {
      const pdu = await this.readPdu();
      if (!pdu) return seen;
      seen.push(pdu);
    }
  }
}

/** What a peer does with one connection. Returning ends it (the socket is closed after). */
export type PeerScript = (c: PeerConn) => Promise<void>;

/** A running fault peer. */
export interface FaultPeer {
  port: number;
  /** Every connection accepted so far. */
  connections: PeerConn[];
  /** Errors thrown by scripts (a script bug, not a client fault). */
  scriptErrors: unknown[];
  /** Waits (at most `timeoutMs`, default 1 s) until every running script has ended. */
  idle(timeoutMs?: number): Promise<void>;
  /** Stops listening, closes every connection and waits for all scripts to end. */
  close(): Promise<void>;
}

/**
 * Starts a peer on 127.0.0.1 (free port) running `script` for every connection. Use with
 * `await using` or call `close()` in `finally`.
 *
 * @example
 * ```ts ignore
 * const peer = startFaultPeer(faults.status(0xA700));
 * try { ... } finally { await peer.close(); }
 * ```
 */
export function startFaultPeer(script: PeerScript): FaultPeer & AsyncDisposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connections: PeerConn[] = [];
  const scriptErrors: unknown[] = [];
  const tasks = new Set<Promise<void>>();
  const acceptLoop = (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      (conn as Deno.TcpConn).setNoDelay(true);
      const c = new PeerConn(conn);
      connections.push(c);
      const t: Promise<void> = script(c)
        .catch((e) => {
          scriptErrors.push(e);
        })
        .finally(() => {
          c.close();
          tasks.delete(t);
        });
      tasks.add(t);
    }
  })();
  const idle = async (timeoutMs = 1000) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all([...tasks]),
      new Promise((r) => timer = setTimeout(r, timeoutMs)),
    ]);
    clearTimeout(timer);
  };
  const close = async () => {
    try {
      listener.close();
    } catch {
      // already closed
    }
    await acceptLoop;
    // Let scripts read what the client sent last (e.g. its A-ABORT) before forcing the end.
    await idle();
    for (const c of connections) c.close();
    await Promise.all([...tasks]);
  };
  return {
    port: (listener.addr as Deno.NetAddr).port,
    connections,
    scriptErrors,
    idle,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export function deadPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Stock scripts, one per fault. */
export const faults = {
  /** Accepts the TCP connection and closes it at once. */
  closeImmediately: (): PeerScript => async (c) => {
    await Promise.resolve();
    c.close();
  },
  /** Answers the RQ with an A-ASSOCIATE-RJ. */
  reject: (result: number, source: number, reason: number): PeerScript => async (c) => {
    if (!(await c.associate())) return;
    await c.send({ type: PduType.AssociateRJ, result, source, reason });
    await c.drain();
  },
  /** Answers the RQ with an A-ABORT. */
  abortOnRq: (source = 0, reason = 0): PeerScript => async (c) => {
    if (!(await c.associate())) return;
    await c.send({ type: PduType.Abort, source, reason });
    await c.drain();
  },
  /** Answers with an AC that rejects every context. */
  acceptNone: (): PeerScript => async (c) => {
    const rq = await c.associate();
    if (!rq) return;
    await c.send(c.makeAc(rq, { acceptNone: true }));
    await c.drain();
  },
  /** Reads the RQ and never answers (until the client goes away). */
  silent: (): PeerScript => async (c) => {
    await c.drain();
  },
  /** Answers the RQ with raw bytes (e.g. a malformed PDU), then waits for the end. */
  answerRaw: (bytes: Uint8Array): PeerScript => async (c) => {
    if (!(await c.associate())) return;
    await c.sendRaw(bytes);
    await c.drain();
  },
  /** Sends the AC one byte per write. */
  trickleAc: (delayMs = 0): PeerScript => async (c) => {
    const rq = await c.associate();
    if (!rq) return;
    c.ac = c.makeAc(rq);
    if (!(await c.trickle(encodePdu(c.ac), delayMs))) return;
    await c.serve();
    await c.drain();
  },
  /** Accepts and answers every store with `status` (a number or per-request function). */
  status:
    (status: number | ((rq: CStoreRQ, data: Uint8Array) => number)): PeerScript => async (c) => {
      if (!(await c.acceptAll())) return;
      await c.serve(typeof status === "number" ? () => status : status);
      await c.drain();
    },
  /**
   * Accepts with a small max PDU, reads the command and `fragments` data fragments, then does
   * `then` ("abort": A-ABORT; "close": TCP close) in the middle of the data set.
   */
  midDataSet:
    (then: "abort" | "close", fragments = 1, maxPduLength = 1024): PeerScript => async (c) => {
      if (!(await c.acceptAll({ maxPduLength }))) return;
      const cmd = await c.readCommand();
      if (!cmd) return;
      for (let i = 0; i < fragments; i++) if (!(await c.readDataFragment())) return;
      if (then === "abort") {
        await c.send({ type: PduType.Abort, source: 0, reason: 0 });
        await new Promise((r) => setTimeout(r, 20));
      }
      c.close();
    },
  /**
   * Accepts, reads the command and the first data fragment, then stops reading (a hung
   * archive) for `ms` before closing.
   */
  stopReading: (ms: number): PeerScript => async (c) => {
    if (!(await c.acceptAll())) return;
    if (!(await c.readCommand())) return;
    if (!(await c.readDataFragment())) return;
    await new Promise((r) => setTimeout(r, ms));
    c.close();
  },
  /** Reads the whole first store, then closes the TCP connection instead of answering. */
  closeBeforeRsp: (): PeerScript => async (c) => {
    if (!(await c.acceptAll())) return;
    if (!(await c.readStore())) return;
    c.close();
  },
  /** Reads the whole first store and never answers (until the client goes away). */
  noRsp: (): PeerScript => async (c) => {
    if (!(await c.acceptAll())) return;
    if (!(await c.readStore())) return;
    await c.drain();
  },
  /** Answers the first store with `answer(rq, contextId)` (raw bytes), then waits. */
  answerStoreRaw:
    (answer: (rq: CStoreRQ, contextId: number, c: PeerConn) => Uint8Array): PeerScript =>
    async (c) => {
      if (!(await c.acceptAll())) return;
      const store = await c.readStore();
      if (!store) return;
      await c.sendRaw(answer(store.rq, store.contextId, c));
      await c.drain();
    },
  /** Stores everything but never answers the A-RELEASE-RQ. */
  ignoreRelease: (): PeerScript => async (c) => {
    if (!(await c.acceptAll())) return;
    await c.serve(() => 0, { ignoreRelease: true });
    await c.drain();
  },
  /** Answers `n` stores with Success, then sends its own A-RELEASE-RQ right behind the RSP. */
  releaseAfter: (n: number): PeerScript => async (c) => {
    if (!(await c.acceptAll())) return;
    for (let i = 0; i < n; i++) {
      const store = await c.readStore();
      if (!store) return;
      const rsp = c.commandPdu(store.contextId, c.storeRsp(store.rq, 0));
      const last = i === n - 1;
      await c.sendRaw(last ? concatBytes([rsp, encodePdu({ type: PduType.ReleaseRQ })]) : rsp);
    }
    await c.drain();
  },
};

/**
 * Runs `fault` on the first connection and `then` (default: store everything with Success)
 * on every later one, e.g. the fresh association that takes the files an aborted one left.
 */
export function firstOnly(fault: PeerScript, then: PeerScript = faults.status(0)): PeerScript {
  let n = 0;
  return (c) => (n++ === 0 ? fault(c) : then(c));
}

/** Concatenates byte arrays. */
/** Joins byte arrays (re-exported for the fault tests). */
export { concatBytes as concat } from "../lib/bytes.ts";

// ---------------------------------------------------------------------------------------------
// Tiny Part-10 files

const LONG_VRS = new Set(["OB", "OW", "OF", "OD", "OL", "OV", "SQ", "UC", "UR", "UT", "UN"]);
const enc = new TextEncoder();

/** One Explicit VR Little Endian element (value padded to even length). */
export function element(group: number, elem: number, vr: string, value: Uint8Array | string) {
  let v = typeof value === "string" ? enc.encode(value) : value;
  if (v.length % 2 === 1) {
    const padded = new Uint8Array(v.length + 1);
    padded.set(v);
    padded[v.length] = vr === "UI" || vr === "OB" ? 0 : 0x20;
    v = padded;
  }
  const long = LONG_VRS.has(vr);
  const head = new Uint8Array(long ? 12 : 8);
  const dv = new DataView(head.buffer);
  dv.setUint16(0, group, true);
  dv.setUint16(2, elem, true);
  head[4] = vr.charCodeAt(0);
  head[5] = vr.charCodeAt(1);
  if (long) dv.setUint32(8, v.length, true);
  else dv.setUint16(6, v.length, true);
  return concatBytes([head, v]);
}

/** What goes into a generated file. */
export interface Part10Spec {
  sopClassUid?: string;
  sopInstanceUid?: string;
  transferSyntaxUid?: string;
  /** Bytes of (7FE0,0010) OW pixel data (default 64). */
  pixelBytes?: number;
  /** Leave (0008,0016)/(0008,0018) out of the data set and (0002,0002)/(0002,0003) out of the meta. */
  omitSopClass?: boolean;
  omitSopInstance?: boolean;
  /** Add this to the true (0002,0000) group length. */
  groupLengthDelta?: number;
}

/**
 * A small Part-10 file: preamble, "DICM", meta group, Explicit VR LE data set with SOP Class,
 * SOP Instance, Patient's Name and some pixel data.
 */
export function makePart10(spec: Part10Spec = {}): Uint8Array {
  const cls = spec.sopClassUid ?? SC_IMAGE_STORAGE;
  const inst = spec.sopInstanceUid ?? "1.2.826.0.1.3680043.2.1125.1.1";
  const ts = spec.transferSyntaxUid ?? EXPLICIT_LE;
  const metaBody = concatBytes([
    element(0x0002, 0x0001, "OB", new Uint8Array([0, 1])),
    spec.omitSopClass ? new Uint8Array() : element(0x0002, 0x0002, "UI", cls),
    spec.omitSopInstance ? new Uint8Array() : element(0x0002, 0x0003, "UI", inst),
    element(0x0002, 0x0010, "UI", ts),
    element(0x0002, 0x0012, "UI", "1.2.826.0.1.3680043.2.1125.99"),
  ]);
  const gl = new Uint8Array(4);
  new DataView(gl.buffer).setUint32(0, metaBody.length + (spec.groupLengthDelta ?? 0), true);
  const pixels = new Uint8Array(spec.pixelBytes ?? 64);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7 + 3) & 0xff;
  const dataset = concatBytes([
    spec.omitSopClass ? new Uint8Array() : element(0x0008, 0x0016, "UI", cls),
    spec.omitSopInstance ? new Uint8Array() : element(0x0008, 0x0018, "UI", inst),
    element(0x0010, 0x0010, "PN", "FAULT^TEST"),
    element(0x7fe0, 0x0010, "OW", pixels),
  ]);
  const preamble = new Uint8Array(132);
  preamble.set(enc.encode("DICM"), 128);
  return concatBytes([preamble, element(0x0002, 0x0000, "UL", gl), metaBody, dataset]);
}

/** Offset of the data set in a file made by {@link makePart10}. */
export function datasetOffsetOf(file: Uint8Array): number {
  const gl = new DataView(file.buffer, file.byteOffset).getUint32(132 + 8, true);
  return 132 + 12 + gl;
}

/**
 * Writes `count` files `f00.dcm`, `f01.dcm`... (distinct SOP instances) into a fresh temp dir;
 * resolves the dir and the sorted paths.
 */
export async function makeFiles(
  count: number,
  spec: Part10Spec = {},
): Promise<{ dir: string; paths: string[] }> {
  const dir = await Deno.makeTempDir({ prefix: "storescu-fault-" });
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const p = `${dir}/f${String(i).padStart(2, "0")}.dcm`;
    await Deno.writeFile(
      p,
      makePart10({ ...spec, sopInstanceUid: `1.2.826.0.1.3680043.2.1125.1.${i + 1}` }),
    );
    paths.push(p);
  }
  return { dir, paths };
}

/** A storeFiles run with the CLI's log lines (Summary line included) and exit code. */
export interface LoggedRun {
  report: StoreReport;
  lines: string[];
  ms: number;
  code: number;
}

/**
 * Runs storeFiles against a peer on 127.0.0.1 with the real log handlers collecting lines at
 * `level`, every timeout set to `timeout` seconds.
 */
export async function sendLogged(
  port: number,
  paths: string[],
  timeout: number,
  extra: Partial<StoreOptions> = {},
  level: Level = "error",
): Promise<LoggedRun> {
  const lines: string[] = [];
  const h = new LogHandlers(new Logger(level, (l) => lines.push(l)));
  const t0 = performance.now();
  const report = await storeFiles({
    address: "127.0.0.1",
    port,
    paths,
    timeouts: { acse: timeout, dimse: timeout, network: timeout },
    onEvent: h.onStoreEvent,
    associationListener: h.onAssociationEvent,
    ...extra,
  });
  const ms = performance.now() - t0;
  lines.push(summaryLine(report.counts));
  return { report, lines, ms, code: exitCodeFor(report) };
}
