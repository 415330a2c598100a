/**
 * The words of the account: refusals stay one readable line however many contexts were refused.
 */

import assert from "node:assert/strict";
import { describeRefusal, refusedReason } from "../lib/send/reasons.ts";
import type { Association } from "../lib/association.ts";
import { TRANSFER_SYNTAXES } from "../lib/uids.ts";

const CT = "1.2.840.10008.5.1.4.1.1.2";

/** An association whose peer answered each proposed context with `result`. */
function refusedAll(syntaxesPerContext: string[][], result: number): Association {
  const proposed = syntaxesPerContext.map((ts, i) => ({
    id: 2 * i + 1,
    abstractSyntax: CT,
    transferSyntaxes: ts,
  }));
  return {
    contexts: new Map(),
    request: { presentationContexts: proposed },
    accept: {
      presentationContexts: proposed.map((p) => ({ id: p.id, result, transferSyntax: "" })),
    },
  } as unknown as Association;
}

Deno.test("reasons: one refused context is named with its syntaxes and the peer's answer", () => {
  const assoc = refusedAll([["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"]], 4);
  assert.equal(
    describeRefusal(assoc, CT),
    "the peer refused the context proposed for it (transfer syntaxes not supported: " +
      "Explicit VR Little Endian, Implicit VR Little Endian)",
  );
});

Deno.test("reasons: many refused contexts stay one short line (grouped, a few names each)", () => {
  // Every transfer syntax we know, one context each (as -cx proposes for a folder of them).
  const all = [...TRANSFER_SYNTAXES.keys()].map((uid) => [uid]);
  assert.ok(all.length > 20);
  const line = refusedReason(refusedAll(all, 4), {
    sopClassUid: CT,
    transferSyntaxUid: "1.2.840.10008.1.2.4.50",
  });
  assert.ok(line.length <= 300, `${line.length} characters: ${line}`);
  assert.match(line, new RegExp(`all ${all.length} contexts proposed for it`));
  assert.match(line, new RegExp(`and ${all.length - 3} more\\)$`));
});

Deno.test("reasons: a class accepted only in other syntaxes says which", () => {
  const assoc = {
    contexts: new Map([[1, { id: 1, abstractSyntax: CT, transferSyntax: "1.2.840.10008.1.2" }]]),
  } as unknown as Association;
  assert.equal(
    describeRefusal(assoc, CT),
    "the peer accepted it only as Implicit VR Little Endian, which this file can't be converted to",
  );
});
