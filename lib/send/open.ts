/**
 * Opening a file's data set for the context chosen for it, and the words when that fails: an
 * image the `--compress` codec can't encode goes uncompressed instead (when the peer accepted
 * that too); a codec failure is named as one ("cannot decode: frame 3 of 30: ...").
 *
 * @module
 */

import type { AcceptedContext } from "../association.ts";
import { CodecError } from "../codecs/types.ts";
import type { ThreadsHolder } from "../codecs/threads.ts";
import { chooseContext, type ContextChoice, type TranscodePolicy } from "../plan.ts";
import { openDataset } from "../part10/source.ts";
import type { ByteSource, DicomFileInfo, Transcoding } from "../part10/types.ts";

/** A data set opened for sending. */
export interface Opened {
  /** The context it goes on (another than the first choice when encoding was refused). */
  choice: ContextChoice;
  /** The data set. */
  source: ByteSource;
  /** How its Pixel Data is transcoded, if it is. */
  transcoding?: Transcoding;
  /** Why the `--compress` syntax wasn't used, when it was chosen first. */
  notEncoded?: string;
}

/**
 * Opens `f` for `choice` (frames decoded on `threads`, when given); when encoding was chosen and the codec refuses the image (1-bit,
 * float, more bits than it takes...), the file goes in the best uncompressed context instead.
 *
 * @example
 * ```ts ignore
 * import { openChosen } from "./open.ts";
 * const { source, choice } = await openChosen(assoc.contexts.values(), file, first, policy);
 * ```
 */
export async function openChosen(
  accepted: Iterable<AcceptedContext>,
  f: DicomFileInfo,
  choice: ContextChoice,
  policy: TranscodePolicy,
  threads?: ThreadsHolder,
): Promise<Opened> {
  try {
    const source = await openDataset(f, choice.context.transferSyntax, { threads });
    return { choice, source, transcoding: source.transcoding };
  } catch (e) {
    if (choice.transcode !== "encode") throw e;
    const plain = chooseContext(f, accepted, { ...policy, compress: undefined });
    if (!plain) {
      if (e instanceof CodecError) {
        throw new CodecError(
          e.code,
          `${e.message}, and the peer accepted no other transfer syntax for this SOP class`,
          { cause: e },
        );
      }
      throw e;
    }
    const source = await openDataset(f, plain.context.transferSyntax, { threads });
    return {
      choice: plain,
      source,
      transcoding: source.transcoding,
      notEncoded: e instanceof Error ? e.message : String(e),
    };
  }
}

/**
 * The reason recorded for a file whose data set couldn't be read, converted or transcoded
 * (`err` may be the data set reader's error with the cause inside).
 *
 * @example
 * ```ts
 * import { unreadableReason } from "./open.ts";
 * import { CodecError } from "../codecs/types.ts";
 * unreadableReason(new CodecError("corrupt", "JPEG-LS decoding: invalid data"), "decode");
 * // "cannot decode: JPEG-LS decoding: invalid data"
 * ```
 */
export function unreadableReason(err: unknown, transcode?: "decode" | "encode"): string {
  // The data set reader's error (DataSetSourceError) carries the codec's as its cause.
  const cause = !(err instanceof CodecError) && err instanceof Error &&
      err.cause instanceof CodecError
    ? err.cause
    : err;
  const message = cause instanceof Error ? cause.message : String(cause);
  if (cause instanceof CodecError) return `cannot ${transcode ?? "decode"}: ${message}`;
  return `cannot read: ${message}`;
}
