import assert from "node:assert/strict";
import { Watchdog } from "../lib/watchdog.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("Watchdog: handles each deadline on time, earliest first, then stops", async () => {
  const handled: number[] = [];
  let calls = 0;
  const t0 = performance.now();
  const deadlines = [t0 + 20, t0 + 300];
  const dog = new Watchdog((now) => {
    calls++;
    while (deadlines.length > 0 && deadlines[0] <= now) {
      deadlines.shift();
      handled.push(now - t0);
    }
    return deadlines[0] ?? Infinity;
  });
  dog.wake(t0 + 300);
  dog.wake(t0 + 20); // earlier: moves the timer
  dog.wake(t0 + 200); // later than the pending one: nothing to do
  await sleep(400);
  assert.equal(handled.length, 2);
  // The first is handled by its own timer, well before the second is due (generous bounds:
  // a busy machine fires timers late, never early).
  assert.ok(handled[0] >= 20 && handled[0] < 250, `first at ${handled[0]}`);
  assert.ok(handled[1] >= 300, `second at ${handled[1]}`);
  // A timer may fire a hair early (ms rounding); then the check just names the deadline again.
  assert.ok(calls <= 4, `${calls} calls`);
  dog.stop();
});

Deno.test("Watchdog: a check that names nothing leaves no timer; stop cancels one", async () => {
  let calls = 0;
  const dog = new Watchdog(() => {
    calls++;
    return Infinity;
  });
  dog.wake(performance.now() + 5);
  await sleep(100);
  assert.equal(calls, 1);
  dog.wake(performance.now() + 5);
  dog.stop();
  await sleep(50);
  assert.equal(calls, 1); // and the test's timer sanitizer sees nothing pending
});

Deno.test("Watchdog: thousands of later deadlines arm one timer", async () => {
  let calls = 0;
  const dog = new Watchdog(() => {
    calls++;
    return Infinity;
  });
  const t0 = performance.now();
  for (let i = 0; i < 10_000; i++) dog.wake(t0 + 20 + i);
  await sleep(150);
  assert.equal(calls, 1);
  dog.stop();
});

/** Runs `code` in a fresh Deno; its stdout and how long the process lived (ms). */
async function runScript(code: string): Promise<{ out: string; ms: number }> {
  const t0 = performance.now();
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(r.success, new TextDecoder().decode(r.stderr));
  return { out: new TextDecoder().decode(r.stdout), ms: performance.now() - t0 };
}

const WATCHDOG = new URL("../lib/watchdog.ts", import.meta.url).href;

Deno.test("after: fires once when armed, keeping the process alive until then", async () => {
  const r = await runScript(
    `import { after } from "${WATCHDOG}"; after(300, () => console.log("fired"));`,
  );
  assert.equal(r.out, "fired\n");
  assert.ok(r.ms >= 300, `exited after ${r.ms} ms`);
});

Deno.test("after: once cancelled it neither fires nor keeps the process alive", async () => {
  const r = await runScript(
    `import { after } from "${WATCHDOG}"; const c = after(5000, () => console.log("fired")); c();`,
  );
  assert.equal(r.out, "");
  assert.ok(r.ms < 4000, `exited after ${r.ms} ms`);
});
