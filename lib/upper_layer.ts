/**
 * The DICOM upper layer above the PDUs: the byte pipe ({@link Transport}, TCP with Nagle off),
 * ACSE (building an A-ASSOCIATE-RQ, negotiating as an acceptor, AE title rules) and the
 * {@link Association} state machine for both roles, with its timeouts and streaming P-DATA.
 *
 * ```ts ignore
 * import { Association, buildAssociateRQ, connectTcp } from "jsr:@x/storescu/association";
 * const transport = await connectTcp({ hostname: "127.0.0.1", port: 11112 });
 * const assoc = await Association.request(transport, buildAssociateRQ({
 *   callingAeTitle: "ME",
 *   calledAeTitle: "ANY-SCP",
 *   presentationContexts: [
 *     { id: 1, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: ["1.2.840.10008.1.2"] },
 *   ],
 *   maxPduLength: 16382,
 * }), { timeouts: { acse: 30, dimse: 30, network: 30 }, maxPduLength: 16382 });
 * await assoc.release();
 * ```
 *
 * @module
 */

export * from "./transport.ts";
export * from "./connect.ts";
export * from "./acse.ts";
export * from "./association.ts";
export { connectTls } from "./tls/client.ts";
export { listenTls } from "./tls/server.ts";
export * from "./tls/errors.ts";
export * from "./tls/options.ts";
export type { PemSource } from "./tls/pem.ts";
export * from "./user_identity.ts";
