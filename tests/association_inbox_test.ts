import assert from "node:assert/strict";
import { Inbox } from "../lib/association/inbox.ts";
import type { ReceivedMessage } from "../lib/dimse/assembler.ts";
import { withTimeout } from "../lib/watchdog.ts";

/** A C-STORE-RSP on context `n` (the context id tells the messages apart). */
const message = (n: number): ReceivedMessage => ({
  contextId: n,
  command: { kind: "C-STORE-RSP", messageIdBeingRespondedTo: n, status: 0 },
});

Deno.test("Inbox: messages go to waiters oldest first, else queue in order", async () => {
  const inbox = new Inbox();
  const a = inbox.wait(Infinity);
  const b = inbox.wait(Infinity);
  assert.equal(inbox.waiting, true);
  inbox.deliver(message(1));
  inbox.deliver(message(2));
  inbox.deliver(message(3));
  assert.equal((await a).contextId, 1);
  assert.equal((await b).contextId, 2);
  assert.equal(inbox.waiting, false);
  assert.equal(inbox.take()?.contextId, 3);
  assert.equal(inbox.take(), undefined);
});

Deno.test("Inbox: expire drops only overdue waiters, names the next deadline, keeps late messages", async () => {
  const inbox = new Inbox();
  const overdue = inbox.wait(100);
  const later = inbox.wait(500);
  const never = inbox.wait(Infinity);
  const next = inbox.expire(200, () => new Error("DIMSE timeout"));
  assert.equal(next, 500);
  await assert.rejects(overdue, /DIMSE timeout/);
  // The message that comes after a timeout goes to the next waiter, not to the dropped one.
  inbox.deliver(message(7));
  assert.equal((await later).contextId, 7);
  assert.equal(inbox.expire(10_000, () => new Error("late")), Infinity);
  inbox.rejectAll(new Error("association aborted"));
  await assert.rejects(never, /association aborted/);
  assert.equal(inbox.waiting, false);
});

Deno.test("withTimeout: rejects with the made error when late, passes the value when on time", async () => {
  await assert.rejects(
    withTimeout(new Promise<void>(() => {}), 0.01, () => new Error("too late")),
    /too late/,
  );
  assert.equal(await withTimeout(Promise.resolve(5), 0.01, () => new Error("x")), 5);
  assert.equal(await withTimeout(Promise.resolve(6), null, () => new Error("x")), 6);
});
