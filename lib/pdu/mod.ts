/**
 * The DICOM upper-layer PDU codec: data model, encoder, decoder, stream reader and the
 * pynetdicom-style debug dump.
 *
 * @example
 * ```ts
 * import { decodePdu, encodePdu, PduType } from "jsr:@x/storescu/pdu";
 * const bytes = encodePdu({ type: PduType.ReleaseRQ });
 * decodePdu(bytes); // { type: 5 }
 * ```
 *
 * @module
 */

export * from "./types.ts";
export {
  encodePdu,
  PDATA_SINGLE_PDV_OVERHEAD,
  PDU_HEADER_LENGTH,
  PDV_HEADER_LENGTH,
  pdvControlByte,
  writeSinglePdvHeaders,
} from "./encode.ts";
export { decodePdu, isKnownPduType, PduError, type PduErrorCode } from "./decode.ts";
export { type DataSource, PDataWriter } from "./pdata_writer.ts";
export {
  DEFAULT_MAX_OTHER_PDU_LENGTH,
  PduReader,
  type PduReaderOptions,
  type PduSource,
} from "./reader.ts";
export {
  banner,
  contextResultText,
  dumpAbort,
  dumpAssociateAC,
  dumpAssociateRJ,
  dumpAssociateRQ,
  type DumpDirection,
  userIdentityTypeText,
} from "./dump.ts";
export {
  abortReasonText,
  abortSourceText,
  rejectReasonText,
  rejectResultText,
  rejectSourceText,
  rjResultDumpText,
  rjSourceDumpText,
} from "./words.ts";
