/**
 * storeFiles checks its options before reading or connecting anything, and names the option.
 */

import assert from "node:assert/strict";
import { storeFiles, type StoreOptions, StoreOptionsError } from "../lib/send.ts";
import { Association } from "../lib/association.ts";
import { buildAssociateRQ } from "../lib/acse.ts";
import type { Transport } from "../lib/transport.ts";
import { planOptionsOf, policyOf } from "../lib/send/options.ts";
import { DEFAULT_TRANSFER_SYNTAXES } from "../lib/send/types.ts";

const BASE: StoreOptions = { address: "127.0.0.1", port: 11112, paths: ["testdata"] };

const CASES: [Partial<StoreOptions>, RegExp][] = [
  [{ port: 70000 }, /^port: must be a whole number from 1 to 65535, not 70000$/],
  [{ port: 0 }, /^port: must be a whole number from 1 to 65535, not 0$/],
  [{ port: 1.5 }, /^port: /],
  [{ address: "" }, /^address: /],
  [{ parallel: 0 }, /^parallel: must be a whole number from 1 to 64, not 0$/],
  [{ asyncWindow: 70000 }, /^asyncWindow: /],
  [{ retries: -1 }, /^retries: /],
  [{ retryDelay: -1 }, /^retryDelay: /],
  [{ priority: 3 }, /^priority: /],
  [{ maxPduLength: -5 }, /^maxPduLength: /],
  [{ timeouts: { dimse: -1 } }, /^timeouts\.dimse: /],
  [
    { callingAeTitle: "THIS_IS_WAY_TOO_LONG_AE" },
    /^callingAeTitle: Invalid 'ae_title' value 'THIS_IS_WAY_TOO_LONG_AE' - must not exceed 16/,
  ],
  [{ calledAeTitle: "A\\B" }, /^calledAeTitle: /],
  [{ codecThreads: -1 }, /^codecThreads: must be a whole number from 0 to 64, not -1$/],
  [{ codecThreads: 2.5 }, /^codecThreads: /],
  [{ codecThreadsStartAfterMs: -1 }, /^codecThreadsStartAfterMs: must be 0 or more, not -1$/],
];

Deno.test("send options: a wrong option rejects with a StoreOptionsError naming it, before connecting", async () => {
  // A listener that counts connections: validation must come before any of them.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  (async () => {
    for await (const c of listener) {
      connections++;
      c.close();
    }
  })().catch(() => {});
  const port = (listener.addr as Deno.NetAddr).port;
  try {
    for (const [extra, message] of CASES) {
      const options = { ...BASE, port, ...extra };
      await assert.rejects(storeFiles(options), (e: unknown) => {
        assert.ok(e instanceof StoreOptionsError, `${JSON.stringify(extra)}: ${e}`);
        assert.match(e.message, message);
        return true;
      });
    }
    assert.equal(connections, 0);
  } finally {
    listener.close();
  }
});

Deno.test("send options: the defaults and edge values are accepted", async () => {
  // Nothing listens on the port: the run itself reports the refused connection.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const report = await storeFiles({
    ...BASE,
    port,
    parallel: 64,
    retries: 0,
    retryDelay: 0,
    maxPduLength: 0,
    timeouts: { acse: null, dimse: 0.5, network: 1 },
  });
  assert.equal(report.noAssociation, true);
});

Deno.test("association: a request we cannot encode is our error, not a closed connection", async () => {
  let closed = false;
  const transport: Transport = {
    read: () => Promise.resolve(null),
    write: (p) => Promise.resolve(p.length),
    close: () => {
      closed = true;
    },
  };
  const rq = buildAssociateRQ({
    callingAeTitle: "THIS_IS_WAY_TOO_LONG_AE",
    calledAeTitle: "ANY-SCP",
    presentationContexts: [],
    maxPduLength: 16382,
  });
  await assert.rejects(
    Association.request(transport, rq, {
      timeouts: { acse: 1, dimse: 1, network: 1 },
      maxPduLength: 16382,
    }),
    (e: Error) => {
      assert.doesNotMatch(e.message, /closed/i);
      assert.match(e.message, /AE|title|16/i);
      return true;
    },
  );
  assert.equal(closed, true);
});

Deno.test("planOptionsOf: what a run and a dry run plan with (-cx, proposal, policy)", () => {
  const plain = policyOf({});
  assert.deepEqual(planOptionsOf({}, plain), {
    requiredContexts: false,
    transferSyntaxes: [...DEFAULT_TRANSFER_SYNTAXES],
    policy: plain,
  });
  // --compress: its syntax first, not twice; the policy is the run's own object.
  const rle = {
    compress: "rle" as const,
    transferSyntaxes: ["1.2.840.10008.1.2.5", "1.2.840.10008.1.2"],
  };
  const policy = policyOf(rle);
  const o = planOptionsOf({ ...rle, requiredContexts: true }, policy);
  assert.deepEqual(o.transferSyntaxes, ["1.2.840.10008.1.2.5", "1.2.840.10008.1.2"]);
  assert.equal(o.requiredContexts, true);
  assert.equal(o.policy, policy);
  assert.deepEqual(
    planOptionsOf({ transferSyntaxes: ["1.2.840.10008.1.2"] }, policy).transferSyntaxes,
    ["1.2.840.10008.1.2.5", "1.2.840.10008.1.2"],
  );
});
