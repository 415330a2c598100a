/**
 * The high-level sender: files → plan → associations → one result per file.
 *
 * {@link storeFiles} never throws for network or input problems: every file ends in exactly
 * one {@link FileResult} and the caller gets a typed event stream to show progress.
 *
 * The parts live in `lib/send/`: `run.ts` (planning and retry rounds), `worker.ts` (one
 * association), `store.ts` (one C-STORE), `open.ts` (opening its data set, transcoded when
 * needed), `account.ts` (results and their order), `interrupt.ts` (the caller's stop signals),
 * `byte_progress.ts` (a big file's byte count), `reasons.ts` (the words of the account) and
 * `types.ts` (the public shapes). The resume journal is `lib/journal.ts`.
 *
 * @module
 */

export { storeFiles } from "./send/run.ts";
export { InterruptedError } from "./send/interrupt.ts";
export { JournalError } from "./journal.ts";
export {
  StoreOptionsError,
  validateConnectionOptions,
  validateStoreOptions,
} from "./send/options.ts";
export {
  DEFAULT_TRANSFER_SYNTAXES,
  type FileResult,
  GaveUpError,
  NoAcceptedContextsError,
  type Outcome,
  type StoreEvent,
  type StoreOptions,
  type StoreReport,
} from "./send/types.ts";
export type { Transcoding } from "./part10/types.ts";
