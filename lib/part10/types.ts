/**
 * Shapes shared by the Part-10 reader and the data set converters.
 *
 * @module
 */

/** A pull-based byte stream, read into the caller's buffer (no copies where avoidable). */
export interface ByteSource {
  /**
   * Reads up to `p.length` bytes into `p` and returns how many were read (> 0), or `null`
   * at the end of the stream.
   */
  read(p: Uint8Array): Promise<number | null>;
  /** {@link ByteSource.read}, synchronously, when the source can (a local file). */
  readSync?(p: Uint8Array): number | null;
  /**
   * How many bytes the source delivers in all, when known up front; the read that delivers
   * the last of them has already made every check of the end (it throws instead).
   */
  readonly length?: number;
  /** Releases the underlying file handle. Safe to call more than once. */
  close(): void;
  /** Set when the Pixel Data is decoded or encoded on the way: how, and by which codec. */
  readonly transcoding?: Transcoding;
}

/** How a data set's Pixel Data was transcoded on its way out. */
export interface Transcoding {
  /** "decoded": sent uncompressed; "encoded": compressed on the way (perhaps after decoding). */
  direction: "decoded" | "encoded";
  /** The codec(s) that ran, for `-d` ("CharLS 2.3.4 (WebAssembly, ...)"). */
  codec: string;
  /** Codec threads the frames are decoded or encoded on (absent: on the sending thread). */
  threads?: number;
}

/** What storescu needs to know about one input file, learnt from its first bytes only. */
export interface DicomFileInfo {
  /** The path as given. */
  path: string;
  /** File size in bytes when it was examined. */
  size: number;
  /** The 128-byte preamble and "DICM" are present. */
  hasPreamble: boolean;
  /** A (0002,xxxx) File Meta Information group is present. */
  hasMeta: boolean;
  /** Byte offset in the file where the data set (after the meta group) starts. */
  datasetOffset: number;
  /** SOP Class UID: (0002,0002), or (0008,0016) of the data set when the meta lacks it. */
  sopClassUid: string;
  /** SOP Instance UID: (0002,0003), or (0008,0018) of the data set when the meta lacks it. */
  sopInstanceUid: string;
  /** Transfer syntax of the stored data set: (0002,0010), or detected for raw data sets. */
  transferSyntaxUid: string;
  /**
   * Set only when the meta's (0002,0010) disagrees with how the data set is actually encoded
   * (e.g. meta says Explicit VR but the data set is Implicit): the UID the meta declared.
   * `transferSyntaxUid` then holds the encoding actually found.
   */
  declaredTransferSyntaxUid?: string;
}
