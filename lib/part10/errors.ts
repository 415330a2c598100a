/**
 * Typed errors of the Part-10 reader and the data set converter.
 *
 * @module
 */

/** Why a file could not be used. */
export type DicomFileErrorCode =
  | "empty"
  | "not-dicom"
  | "truncated"
  | "bad-meta"
  | "missing-uid"
  | "bad-uid"
  | "unreadable";

/**
 * A file that is not a usable DICOM file (the message says which file and why).
 *
 * @example
 * ```ts
 * import { DicomFileError } from "jsr:@x/storescu/part10";
 * const e = new DicomFileError("a.dcm", "empty", "zero-byte file");
 * e.message; // "a.dcm: zero-byte file"
 * ```
 */
export class DicomFileError extends Error {
  /** The path as given. */
  readonly path: string;
  /** Machine-readable reason. */
  readonly code: DicomFileErrorCode;
  /** Short human reason, without the path. */
  readonly reason: string;

  /** Creates the error. */
  constructor(path: string, code: DicomFileErrorCode, reason: string, options?: ErrorOptions) {
    super(`${path}: ${reason}`, options);
    this.name = "DicomFileError";
    this.path = path;
    this.code = code;
    this.reason = reason;
  }
}

/** Why a data set could not be re-encoded. */
export type ConversionErrorCode =
  | "unsupported"
  | "encapsulated"
  | "malformed"
  | "truncated";

/**
 * A data set that cannot be converted to the requested transfer syntax.
 *
 * @example
 * ```ts
 * import { ConversionError } from "jsr:@x/storescu/part10";
 * const e = new ConversionError("encapsulated", "compressed pixel data can't be converted");
 * e.code; // "encapsulated"
 * ```
 */
export class ConversionError extends Error {
  /** Machine-readable reason. */
  readonly code: ConversionErrorCode;

  /** Creates the error. */
  constructor(code: ConversionErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConversionError";
    this.code = code;
  }
}
