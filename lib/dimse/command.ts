/**
 * DIMSE command sets (PS3.7 section 6.3 and annex E): group 0000 elements, always encoded
 * Implicit VR Little Endian, led by (0000,0000) Command Group Length.
 *
 * @module
 */

/** A decoded command element value: text for UI/AE/LO, a number for US/UL, raw bytes else. */
export type CommandValue = string | number | Uint8Array;

/** Command set elements keyed by tag (group 0000), e.g. `0x00000100` for Command Field. */
export type CommandSet = Map<number, CommandValue>;

/** Tags of the command elements this tool reads or writes. */
export const Tag = {
  CommandGroupLength: 0x00000000,
  AffectedSopClassUid: 0x00000002,
  RequestedSopClassUid: 0x00000003,
  CommandField: 0x00000100,
  MessageId: 0x00000110,
  MessageIdBeingRespondedTo: 0x00000120,
  MoveDestination: 0x00000600,
  Priority: 0x00000700,
  CommandDataSetType: 0x00000800,
  Status: 0x00000900,
  OffendingElement: 0x00000901,
  ErrorComment: 0x00000902,
  ErrorId: 0x00000903,
  AffectedSopInstanceUid: 0x00001000,
  RequestedSopInstanceUid: 0x00001001,
  MoveOriginatorAeTitle: 0x00001030,
  MoveOriginatorMessageId: 0x00001031,
} as const;

/** Command Data Set Type value meaning "no data set follows". */
export const NO_DATA_SET = 0x0101;

type Kind = "UI" | "US" | "UL" | "AE" | "LO" | "AT";

const KINDS: ReadonlyMap<number, Kind> = new Map<number, Kind>([
  [0x0000, "UL"],
  [0x0002, "UI"],
  [0x0003, "UI"],
  [0x0100, "US"],
  [0x0110, "US"],
  [0x0120, "US"],
  [0x0600, "AE"],
  [0x0700, "US"],
  [0x0800, "US"],
  [0x0900, "US"],
  [0x0901, "AT"],
  [0x0902, "LO"],
  [0x0903, "US"],
  [0x1000, "UI"],
  [0x1001, "UI"],
  [0x1002, "US"],
  [0x1005, "AT"],
  [0x1008, "US"],
  [0x1020, "US"],
  [0x1021, "US"],
  [0x1022, "US"],
  [0x1023, "US"],
  [0x1030, "AE"],
  [0x1031, "US"],
]);

/** A command set that can't be decoded or encoded. */
export class CommandSetError extends Error {
  /**
   * Creates the error.
   * @param message what is wrong
   */
  constructor(message: string) {
    super(message);
    this.name = "CommandSetError";
  }
}

const latin = new TextDecoder("latin1");

/** Encoded length of a value (padded to even; text is ASCII, one byte a character). */
function valueLength(tag: number, value: CommandValue): number {
  if (value instanceof Uint8Array) return value.length;
  if (typeof value === "number") return KINDS.get(tag) === "UL" ? 4 : 2;
  return value.length + (value.length & 1);
}

/**
 * Encodes a command set, Implicit VR LE, sorted by tag, with a computed (0000,0000).
 *
 * @example
 * ```ts
 * import { encodeCommandSet, Tag } from "jsr:@x/storescu/dimse";
 * const bytes = encodeCommandSet(new Map([[Tag.CommandField, 0x0030], [Tag.MessageId, 1]]));
 * bytes.length; // 12 (group length) + 10 + 10
 * ```
 */
export function encodeCommandSet(command: CommandSet): Uint8Array {
  // Sized first, then written in place: one allocation per command set (once per C-STORE).
  const tags: number[] = [];
  let groupLength = 0;
  for (const [tag, value] of command) {
    if (tag === Tag.CommandGroupLength) continue;
    if (tag >>> 16 !== 0) throw new CommandSetError(`tag ${hexTag(tag)} is not in group 0000`);
    tags.push(tag);
    groupLength += 8 + valueLength(tag, value);
  }
  tags.sort((a, b) => a - b);
  const out = new Uint8Array(12 + groupLength);
  const view = new DataView(out.buffer);
  view.setUint32(4, 4, true);
  view.setUint32(8, groupLength, true);
  let p = 12;
  for (const tag of tags) {
    const value = command.get(tag)!;
    const length = valueLength(tag, value);
    view.setUint16(p + 2, tag & 0xffff, true);
    view.setUint32(p + 4, length, true);
    p += 8;
    if (value instanceof Uint8Array) {
      out.set(value, p);
    } else if (typeof value === "number") {
      if (length === 4) view.setUint32(p, value, true);
      else view.setUint16(p, value, true);
    } else {
      for (let i = 0; i < value.length; i++) out[p + i] = value.charCodeAt(i) & 0xff;
      // UI values are padded with NUL, other text with a space.
      if (value.length & 1) out[p + value.length] = KINDS.get(tag) === "UI" ? 0x00 : 0x20;
    }
    p += length;
  }
  return out;
}

function trimText(s: string): string {
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 0 || s.charCodeAt(end - 1) === 0x20)) end--;
  return s.slice(0, end);
}

/**
 * Decodes an Implicit VR LE command set into a {@link CommandSet}.
 *
 * @example
 * ```ts
 * import { decodeCommandSet, encodeCommandSet, Tag } from "jsr:@x/storescu/dimse";
 * const cmd = decodeCommandSet(encodeCommandSet(new Map([[Tag.Status, 0]])));
 * cmd.get(Tag.Status); // 0
 * ```
 */
export function decodeCommandSet(bytes: Uint8Array): CommandSet {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: CommandSet = new Map();
  let p = 0;
  while (p < bytes.length) {
    if (p + 8 > bytes.length) {
      throw new CommandSetError("command set ends inside an element header");
    }
    const group = view.getUint16(p, true);
    const element = view.getUint16(p + 2, true);
    const length = view.getUint32(p + 4, true);
    if (group !== 0) {
      throw new CommandSetError(`element (${hex4(group)},${hex4(element)}) in a command set`);
    }
    if (length > bytes.length - p - 8) {
      throw new CommandSetError(`element (0000,${hex4(element)}) overruns the command set`);
    }
    const value = bytes.subarray(p + 8, p + 8 + length);
    const kind = KINDS.get(element);
    const tag = element;
    if ((kind === "US") && length === 2) out.set(tag, view.getUint16(p + 8, true));
    else if (kind === "UL" && length === 4) out.set(tag, view.getUint32(p + 8, true));
    else if (kind === "UI" || kind === "AE" || kind === "LO") {
      out.set(tag, trimText(latin.decode(value)));
    } else out.set(tag, value.slice());
    p += 8 + length;
  }
  return out;
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, "0");
}

/**
 * Formats a tag as `(GGGG,EEEE)`.
 *
 * @example
 * ```ts
 * import { hexTag } from "jsr:@x/storescu/dimse";
 * hexTag(0x00080016); // "(0008,0016)"
 * ```
 */
export function hexTag(tag: number): string {
  return `(${hex4(tag >>> 16)},${hex4(tag & 0xffff)})`;
}
