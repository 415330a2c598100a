/**
 * A small Storage SCP (and Verification SCP) for tests and `deno task demo`: accepts the
 * configured SOP classes and transfer syntaxes, keeps or discards what it receives, and can
 * be told to reject associations or answer with a given status.
 *
 * @module
 */

import { Association, type AssociationListener, type Timeouts } from "./association.ts";
import { type AcceptorPolicy, negotiateAsAcceptor } from "./acse.ts";
import { type AssociateAC, type AssociateRJ, type AssociateRQ, PduType } from "./pdu/types.ts";
import { encodeCommand } from "./dimse/messages.ts";
import type { CStoreRQ } from "./dimse/messages.ts";
import { listenTcp, type Transport, type TransportListener } from "./transport.ts";
import type { TlsServerOptions } from "./tls/options.ts";
import { type UserIdentity, userIdentityOf } from "./user_identity.ts";
import {
  TRANSFER_SYNTAXES,
  UNCOMPRESSED_TRANSFER_SYNTAXES,
  VERIFICATION_SOP_CLASS,
} from "./uids.ts";

export type { TlsServerOptions } from "./tls/options.ts";
export type { UserIdentity } from "./user_identity.ts";

/**
 * How the SCP checks the user identity of each association request (PS3.7 D.3.3.7).
 *
 * @example
 * ```ts
 * import type { UserIdentityCheck } from "./scp.ts";
 * const check: UserIdentityCheck = {
 *   check: (id) => id?.type === "username" && id.username === "alice" && id.password === "s3cret",
 * };
 * ```
 */
export interface UserIdentityCheck {
  /**
   * Decides: `false` rejects the association (A-ASSOCIATE-RJ, permanent, service user, no
   * reason given); `true` accepts it; bytes accept it with that server response (for a
   * Kerberos, SAML or JWT identity). `identity` is undefined when the request carries none.
   */
  check: (
    identity: UserIdentity | undefined,
    request: AssociateRQ,
  ) => boolean | Uint8Array | Promise<boolean | Uint8Array>;
  /**
   * Answer a requested positive response (default true); `false` withholds it, to test
   * requestors that asked for one.
   */
  respond?: boolean;
}

/** One object the SCP received. */
export interface ReceivedObject {
  /** SOP Class UID. */
  sopClassUid: string;
  /** SOP Instance UID. */
  sopInstanceUid: string;
  /** Transfer syntax of the data set received. */
  transferSyntaxUid: string;
  /** Presentation context it arrived on. */
  contextId: number;
  /** Its C-STORE message ID. */
  messageId: number;
  /** The sender's AE title. */
  callingAeTitle: string;
  /** The data set bytes as received (empty when `keepData` is false). */
  dataSet: Uint8Array;
  /** Length of the data set received. */
  length: number;
  /** The status the SCP answered with. */
  status: number;
}

/** How the SCP behaves. */
export interface ScpOptions {
  /** Listen address (default 127.0.0.1) and port (default 0: any free port). */
  hostname?: string;
  /** TCP port. */
  port?: number;
  /** Our AE title; when set, other called AE titles are rejected. */
  aeTitle?: string;
  /** Calling AE titles allowed (others rejected); default all. */
  allowedCallingAeTitles?: string[];
  /** Abstract syntaxes accepted (default: all); Verification (C-ECHO) is always accepted. */
  sopClasses?: Iterable<string>;
  /** The status to answer each C-ECHO with (default 0x0000). */
  echoStatus?: number;
  /** Transfer syntaxes accepted, in preference order (default: the four uncompressed). */
  transferSyntaxes?: readonly string[];
  /** Choose by our order instead of the proposer's. */
  preferOwnOrder?: boolean;
  /** Our Maximum Length Received (default 16382; 0 = unlimited). */
  maxPduLength?: number;
  /** Reject every association with this. */
  reject?: { result: number; source: number; reason: number };
  /**
   * The status to answer each C-STORE with (default 0x0000); a function may return "abort"
   * to A-ABORT the association instead of answering (the object is then not recorded).
   */
  status?: number | ((rq: CStoreRQ, dataSet: Uint8Array) => number | "abort");
  /** Keep received data sets in memory (default true). */
  keepData?: boolean;
  /**
   * Max asynchronous operations we perform (default 1). Above 1 the SCP keeps reading
   * requests while earlier responses are still pending (see `responseDelay`).
   */
  maxOperationsPerformed?: number;
  /** Seconds to wait before answering each C-STORE (default 0). */
  responseDelay?: number;
  /** Timeouts for our side (default 30 s each). */
  timeouts?: Partial<Timeouts>;
  /** Association events (for dumps or assertions). */
  listener?: AssociationListener;
  /** Called for every association request, e.g. to inspect the proposal. */
  onRequest?: (rq: AssociateRQ) => void;
  /** Check the user identity of every association request (default: not checked). */
  userIdentity?: UserIdentityCheck;
  /** Speak DICOM over TLS (only with {@link listenStorageScp}). */
  tls?: TlsServerOptions;
  /** Called with each failed TLS handshake (a client without an acceptable certificate...). */
  onTlsError?: (err: Error) => void;
}

/** A running SCP. */
export interface StorageScp {
  /** The port it listens on. */
  port: number;
  /** Host name or IP address. */
  hostname: string;
  /** Every object received so far, in arrival order. */
  received: ReceivedObject[];
  /** Association requests received so far. */
  requests: AssociateRQ[];
  /** The most C-STOREs seen waiting for their response at once, on one association. */
  readonly maxOutstanding: number;
  /** Stops listening and closes open associations. */
  close(): Promise<void>;
}

/**
 * Starts a plain-TCP Storage SCP on loopback; its port is known at once. For TLS use
 * {@link listenStorageScp}.
 *
 * @example
 * ```ts ignore
 * import { startStorageScp } from "jsr:@x/storescu/scp";
 * const scp = startStorageScp({ port: 0 });
 * console.log(scp.port);
 * await scp.close();
 * ```
 */
export function startStorageScp(options: ScpOptions = {}): StorageScp {
  if (options.tls) throw new TypeError("startStorageScp: TLS needs listenStorageScp");
  const hostname = options.hostname ?? "127.0.0.1";
  return serveStorage(listenTcp({ hostname, port: options.port ?? 0 }), options);
}

/**
 * Starts a Storage SCP on loopback, over TLS when `options.tls` is set (a certificate and its
 * key, optionally CAs for client certificates and `requireClientCert`); resolves once it
 * listens. Certificate and key files are read with read permission only.
 *
 * @example
 * ```ts ignore
 * import { listenStorageScp } from "./scp.ts";
 * const scp = await listenStorageScp({
 *   tls: { certFile: "scp.pem", keyFile: "scp.key", caFiles: ["ca.pem"], requireClientCert: true },
 *   userIdentity: { check: (id) => id?.type === "username" && id.username === "alice" },
 * });
 * console.log(scp.port);
 * await scp.close();
 * ```
 */
export async function listenStorageScp(options: ScpOptions = {}): Promise<StorageScp> {
  const where = { hostname: options.hostname ?? "127.0.0.1", port: options.port ?? 0 };
  if (!options.tls) return serveStorage(listenTcp(where), options);
  const { listenTls } = await import("./tls/server.ts");
  return serveStorage(await listenTls(where, options.tls, options.onTlsError), options);
}

/** The answer to an association request once the user identity is checked. */
async function checkIdentity(
  rq: AssociateRQ,
  answer: AssociateAC | AssociateRJ,
  rule: UserIdentityCheck | undefined,
): Promise<AssociateAC | AssociateRJ> {
  if (!rule || answer.type !== PduType.AssociateAC) return answer;
  const item = rq.userInfo.userIdentity;
  const decision = await rule.check(item ? userIdentityOf(item) : undefined, rq);
  if (decision === false) {
    return { type: PduType.AssociateRJ, result: 1, source: 1, reason: 1 };
  }
  if (item?.positiveResponseRequested && rule.respond !== false) {
    // Types 1 and 2 answer with an empty server response (PS3.7 D.3.3.7.2).
    const serverResponse = decision instanceof Uint8Array ? decision : new Uint8Array();
    answer.userInfo.userIdentityResponse = { serverResponse };
  }
  return answer;
}

function serveStorage(listener: TransportListener, options: ScpOptions): StorageScp {
  const hostname = listener.hostname;
  const received: ReceivedObject[] = [];
  const requests: AssociateRQ[] = [];
  const open = new Set<Association>();
  let maxOutstanding = 0;
  const tasks = new Set<Promise<void>>();
  const timeouts: Timeouts = {
    acse: options.timeouts?.acse ?? 30,
    dimse: options.timeouts?.dimse ?? 30,
    network: options.timeouts?.network ?? 30,
  };
  const policy: AcceptorPolicy = {
    aeTitle: options.aeTitle,
    allowedCallingAeTitles: options.allowedCallingAeTitles,
    abstractSyntaxes: options.sopClasses
      ? new Set([VERIFICATION_SOP_CLASS, ...options.sopClasses])
      : undefined,
    transferSyntaxes: options.transferSyntaxes ?? UNCOMPRESSED_TRANSFER_SYNTAXES,
    preferOwnOrder: options.preferOwnOrder,
    maxPduLength: options.maxPduLength ?? 16382,
    maxOperationsPerformed: options.maxOperationsPerformed,
    reject: options.reject,
  };

  const serve = async (transport: Transport) => {
    const assoc = await Association.accept(transport, (rq) => {
      requests.push(rq);
      options.onRequest?.(rq);
      return checkIdentity(rq, negotiateAsAcceptor(rq, policy), options.userIdentity);
    }, { timeouts, maxPduLength: policy.maxPduLength, listener: options.listener });
    if (!assoc) return;
    open.add(assoc);
    let outstanding = 0;
    const pending = new Set<Promise<void>>();
    try {
      for (;;) {
        let msg;
        try {
          msg = await assoc.receiveMessage(null);
        } catch {
          return; // released, aborted or closed
        }
        const cmd = msg.command;
        if (cmd.kind === "C-ECHO-RQ") {
          const rsp = {
            kind: "C-ECHO-RSP",
            messageIdBeingRespondedTo: cmd.messageId,
            affectedSopClassUid: cmd.affectedSopClassUid,
            status: options.echoStatus ?? 0,
          } as const;
          await assoc.sendMessage(msg.contextId, encodeCommand(rsp), rsp).catch(() => {});
        } else if (cmd.kind === "C-STORE-RQ") {
          const data = msg.dataSet ?? new Uint8Array();
          const decided = typeof options.status === "function"
            ? options.status(cmd, data)
            : options.status ?? 0;
          if (decided === "abort") {
            await assoc.abort();
            return;
          }
          const status = decided;
          const ctx = assoc.contexts.get(msg.contextId)!;
          received.push({
            sopClassUid: cmd.affectedSopClassUid,
            sopInstanceUid: cmd.affectedSopInstanceUid,
            transferSyntaxUid: ctx.transferSyntax,
            contextId: msg.contextId,
            messageId: cmd.messageId,
            callingAeTitle: assoc.request.callingAeTitle,
            dataSet: options.keepData === false ? new Uint8Array() : data,
            length: data.length,
            status,
          });
          const rsp = {
            kind: "C-STORE-RSP",
            messageIdBeingRespondedTo: cmd.messageId,
            affectedSopClassUid: cmd.affectedSopClassUid,
            affectedSopInstanceUid: cmd.affectedSopInstanceUid,
            status,
          } as const;
          outstanding++;
          maxOutstanding = Math.max(maxOutstanding, outstanding);
          const answer = (async () => {
            if (options.responseDelay) {
              await new Promise((r) => setTimeout(r, options.responseDelay! * 1000));
            }
            outstanding--;
            await assoc.sendMessage(msg.contextId, encodeCommand(rsp), rsp).catch(() => {});
          })();
          if ((options.maxOperationsPerformed ?? 1) > 1) {
            pending.add(answer);
            answer.finally(() => pending.delete(answer));
          } else {
            await answer;
          }
        }
      }
    } finally {
      await Promise.all(pending);
      open.delete(assoc);
    }
  };

  const acceptLoop = (async () => {
    for (;;) {
      const conn = await listener.accept();
      if (!conn) return;
      const t = serve(conn).catch(() => {}).finally(() => tasks.delete(t));
      tasks.add(t);
    }
  })();

  return {
    port: listener.port,
    hostname,
    received,
    requests,
    get maxOutstanding() {
      return maxOutstanding;
    },
    async close() {
      listener.close();
      await acceptLoop;
      await Promise.all([...open].map((a) => a.abort()));
      await Promise.all([...tasks]);
    },
  };
}

/** Every transfer syntax this tool knows, for an SCP that accepts anything. */
export const ALL_TRANSFER_SYNTAXES: readonly string[] = [
  ...UNCOMPRESSED_TRANSFER_SYNTAXES,
  ...[...TRANSFER_SYNTAXES.keys()].filter((t) => !UNCOMPRESSED_TRANSFER_SYNTAXES.includes(t)),
];
