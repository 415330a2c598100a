/**
 * DIMSE messages put back together from the PDVs of P-DATA-TF PDUs (PS3.8 9.3.5, Annex E):
 * a message is its command set's fragments, then (when the command says one follows) its data
 * set's, each ending with a fragment marked last, all on one presentation context. What breaks
 * those rules is named, for the association to abort on.
 *
 * @module
 */

import type { Pdv } from "../pdu/types.ts";
import { concatBytes } from "../bytes.ts";
import { CommandSetError } from "./command.ts";
import { decodeCommand, type DimseCommand } from "./messages.ts";

/** A complete DIMSE message received on the association. */
export interface ReceivedMessage {
  /** Presentation context id. */
  contextId: number;
  /** The decoded command. */
  command: DimseCommand;
  /** The data set bytes, when one followed the command. */
  dataSet?: Uint8Array;
}

/** What an assembler hands on as fragments complete. */
export interface AssemblerSink {
  /** A command set is complete (its data set, if any, still to come). */
  command(command: DimseCommand, contextId: number, hasDataSet: boolean): void;
  /** A whole message is complete. */
  message(message: ReceivedMessage): void;
}

/** A message under reassembly. */
interface Assembly {
  contextId: number;
  commandParts: Uint8Array[];
  command?: DimseCommand;
  dataParts: Uint8Array[];
}

/**
 * Reassembles DIMSE messages from PDVs, one message at a time.
 *
 * @example
 * ```ts
 * import { MessageAssembler } from "./assembler.ts";
 * import { encodeCommand } from "./messages.ts";
 * const got: string[] = [];
 * const assembler = new MessageAssembler((id) => id === 1, {
 *   command: (c) => got.push(c.kind),
 *   message: (m) => got.push(`message on ${m.contextId}`),
 * });
 * const echo = encodeCommand({
 *   kind: "C-ECHO-RQ",
 *   messageId: 1,
 *   affectedSopClassUid: "1.2.840.10008.1.1",
 * });
 * assembler.push({ contextId: 1, isCommand: true, isLast: true, data: echo }); // undefined
 * got; // ["C-ECHO-RQ", "message on 1"]
 * ```
 */
export class MessageAssembler {
  readonly #accepted: (contextId: number) => boolean;
  readonly #sink: AssemblerSink;
  #a: Assembly | undefined;

  /**
   * Creates an assembler for one association.
   * @param accepted whether a presentation context was accepted (fragments on others are refused)
   * @param sink where completed command sets and messages go
   */
  constructor(accepted: (contextId: number) => boolean, sink: AssemblerSink) {
    this.#accepted = accepted;
    this.#sink = sink;
  }

  /**
   * Takes the next PDV. Returns why the fragment breaks the rules (a reason to abort the
   * association on), or `undefined`. Throws what decoding a command set throws, other than
   * the {@link CommandSetError} it returns as a reason.
   */
  push(pdv: Pdv): string | undefined {
    if (!this.#accepted(pdv.contextId)) {
      return `P-DATA on presentation context ${pdv.contextId}, not accepted`;
    }
    let a = this.#a;
    if (!a) {
      if (!pdv.isCommand) return "Data set fragment without a command";
      a = this.#a = { contextId: pdv.contextId, commandParts: [], dataParts: [] };
    }
    if (pdv.contextId !== a.contextId) return "Presentation context changed inside a message";
    if (!a.command) {
      if (!pdv.isCommand) return "Data set fragment inside a command";
      a.commandParts.push(pdv.data);
      if (!pdv.isLast) return undefined;
      let decoded;
      try {
        decoded = decodeCommand(concatBytes(a.commandParts));
      } catch (err) {
        if (err instanceof CommandSetError) return `Invalid command set: ${err.message}`;
        throw err;
      }
      a.command = decoded.command;
      this.#sink.command(a.command, a.contextId, decoded.hasDataSet);
      if (!decoded.hasDataSet) this.#done({ contextId: a.contextId, command: a.command });
      return undefined;
    }
    if (pdv.isCommand) return "Command fragment inside a data set";
    a.dataParts.push(pdv.data);
    if (pdv.isLast) {
      this.#done({ contextId: a.contextId, command: a.command, dataSet: concatBytes(a.dataParts) });
    }
    return undefined;
  }

  #done(m: ReceivedMessage): void {
    this.#a = undefined;
    this.#sink.message(m);
  }
}
