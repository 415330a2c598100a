/**
 * DIMSE: command sets (Implicit VR Little Endian with group length), the C-STORE and C-ECHO
 * messages, status codes and their meanings, and the `-d` dumps of messages.
 *
 * ```ts
 * import { decodeCommand, encodeCommand } from "jsr:@x/storescu/dimse";
 * const bytes = encodeCommand({ kind: "C-ECHO-RQ", messageId: 1 });
 * decodeCommand(bytes).command.kind; // "C-ECHO-RQ"
 * ```
 *
 * @module
 */

export * from "./command.ts";
export * from "./messages.ts";
export * from "./status.ts";
export * from "./assembler.ts";
export * from "./dump.ts";
