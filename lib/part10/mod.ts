/**
 * Part-10 files: read what's needed to send a file (`readDicomFileInfo`), open its data set
 * as stored or converted between the uncompressed transfer syntaxes (`openDataset`).
 *
 * @example
 * ```ts
 * import { openDataset, readDicomFileInfo } from "jsr:@x/storescu/part10";
 * const info = await readDicomFileInfo("../shared/corpus/pydicom/test_files/MR_small.dcm");
 * const source = await openDataset(info, "1.2.840.10008.1.2");
 * source.close();
 * ```
 *
 * @module
 */

export type { ByteSource, DicomFileInfo, Transcoding } from "./types.ts";
export { readDicomFileInfo, type ReadInfoOptions } from "./file.ts";
export { changedSinceExamined, examinedDataset, forgetExaminedDataset } from "./examined.ts";
export {
  canConvert,
  canTranscode,
  datasetLength,
  openDataset,
  type OpenOptions,
} from "./source.ts";
export { CodecThreads, type CodecThreadsOptions, type ThreadsHolder } from "../codecs/threads.ts";
export type { Colour, FrameCodec, ImageInfo } from "../codecs/types.ts";
export { convertDataset } from "./convert.ts";
export {
  ConversionError,
  type ConversionErrorCode,
  DicomFileError,
  type DicomFileErrorCode,
} from "./errors.ts";
export { dictionaryVr, type VrContext, vrForTag } from "./dictionary.ts";
export type { Encoding } from "./encoding.ts";
export type { ReadFn } from "./input.ts";
