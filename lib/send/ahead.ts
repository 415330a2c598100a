/**
 * The next file, taken while the peer stores the one in flight: a file whose Pixel Data is to
 * be decoded or encoded is also opened then, which runs its transcoding as far as its first
 * frame (bounded: one frame ahead, never a whole file), so that the codec works while the
 * peer does instead of after it. Nothing is emitted or recorded until the file's turn; a
 * file opened ahead that isn't sent (its association ended) is closed and put back,
 * untouched, for the next association.
 *
 * @module
 */

import type { Association } from "../association.ts";
import { chooseContext, type ContextChoice } from "../plan.ts";
import { examinedDataset } from "../part10/examined.ts";
import type { FileQueue, Queued } from "../queue.ts";
import type { Run } from "./account.ts";
import { prepare, type Prepared } from "./store.ts";

/** A file taken from the queue and, when it is to be transcoded, being opened. */
export interface Taken extends Queued {
  /** Its context on the association that took it, when chosen then (not chosen twice). */
  choice?: ContextChoice;
  /** Its context and data set, when it was opened ahead of its turn. */
  prepared?: Promise<Prepared>;
}

/**
 * Takes the next file from `queue`; one to be transcoded on `assoc` (and not held in memory
 * from its examination) is opened at once.
 *
 * @example
 * ```ts ignore
 * import { putBack, takeAhead } from "./ahead.ts";
 * const next = takeAhead(run, assoc, queue); // while the peer stores the file in flight
 * const taken = await next;
 * if (taken && !assoc.isEstablished) await putBack(queue, taken);
 * ```
 */
export async function takeAhead(
  run: Run,
  assoc: Association,
  queue: FileQueue,
): Promise<Taken | undefined> {
  const q = await queue.take();
  if (!q || "bad" in q.item || !assoc.isEstablished) return q;
  // Small files are sent from the bytes read when examined: nothing to gain.
  if (examinedDataset(q.item)) return q;
  const choice = chooseContext(q.item, assoc.contexts.values(), run.policy);
  if (!choice) return q;
  if (!choice.transcode) return { ...q, choice };
  return { ...q, choice, prepared: prepare(run, assoc, q.item, choice) };
}

/**
 * Gives back a file taken but not sent, closing its data set if it was opened ahead.
 *
 * @example
 * ```ts ignore
 * import { putBack } from "./ahead.ts";
 * await putBack(queue, taken);
 * ```
 */
export async function putBack(queue: FileQueue, taken: Taken): Promise<void> {
  const p = await taken.prepared;
  if (p && "opened" in p) p.opened.source.close();
  queue.putBack({ item: taken.item, index: taken.index });
}
