/**
 * Presentation contexts and association grouping (lib/plan.ts): the reference's default
 * proposal, `-cx` grouping, the 128-context limit handled by splitting, extra associations for
 * what the default proposal can't carry, and the per-file choice among accepted contexts.
 */
import assert from "node:assert/strict";
import {
  carriedBy,
  chooseContext,
  defaultContexts,
  LOOKAHEAD,
  MAX_CONTEXTS,
  mayDecode,
  planAssociations,
  planInOrder,
  type PlannedFile,
  policyRefusal,
  proposedSyntaxes,
} from "../lib/plan.ts";
import type { AcceptedContext } from "../lib/association.ts";
import {
  DEFLATED_EXPLICIT_VR_LE as DEFL,
  EXPLICIT_VR_BE as BE,
  EXPLICIT_VR_LE as ELE,
  IMPLICIT_VR_LE as ILE,
} from "../lib/uids.ts";
import { sharedDir } from "./peers.ts";

const DEFAULT_TS = [ELE, ILE, DEFL, BE];
const CT = "1.2.840.10008.5.1.4.1.1.2";
const MR = "1.2.840.10008.5.1.4.1.1.4";
const SC = "1.2.840.10008.5.1.4.1.1.7";
const PRIVATE = "1.3.6.1.4.1.9590.100.1.2.1234567";
const RLE = "1.2.840.10008.1.2.5";
const JPEG = "1.2.840.10008.1.2.4.50";
const JLS = "1.2.840.10008.1.2.4.80";
const SV1 = "1.2.840.10008.1.2.4.70";
const MPEG2 = "1.2.840.10008.1.2.4.100";

interface F extends PlannedFile {
  path: string;
}
let n = 0;
const f = (sopClassUid: string, transferSyntaxUid: string): F => ({
  path: `f${n++}`,
  sopClassUid,
  transferSyntaxUid,
});

async function referenceTable(): Promise<[number, string][]> {
  const text = await Deno.readTextFile(
    `${sharedDir}/reference/captures/default_contexts_table.md`,
  );
  return text.split("\n")
    .map((l) => l.match(/^\|\s*(\d+)\s*\|\s*([\d.]+)\s*\|/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => [Number(m[1]), m[2]]);
}

Deno.test("defaultContexts: the reference's 120 SOP classes, ids 1..239, in its order", async () => {
  const table = await referenceTable();
  assert.equal(table.length, 120);
  const cx = defaultContexts(DEFAULT_TS);
  assert.deepEqual(cx.map((c) => [c.id, c.abstractSyntax]), table);
  for (const c of cx) assert.deepEqual(c.transferSyntaxes, DEFAULT_TS);
  assert.equal(cx[34].id, 69);
  assert.equal(cx[34].abstractSyntax, CT);
  // Each context owns its list (mutating one doesn't touch the others).
  cx[0].transferSyntaxes.push("x");
  assert.deepEqual(cx[1].transferSyntaxes, DEFAULT_TS);
  assert.deepEqual(defaultContexts([ILE]).map((c) => c.transferSyntaxes), Array(120).fill([ILE]));
});

Deno.test("planAssociations: default mode, one association for the files it can carry", () => {
  const files = [f(CT, ELE), f(MR, ILE), f(SC, DEFL), f(CT, BE)];
  const plans = planAssociations(files, { requiredContexts: false, transferSyntaxes: DEFAULT_TS });
  assert.equal(plans.length, 1);
  assert.equal(plans[0].kind, "default");
  assert.equal(plans[0].contexts.length, 120);
  assert.deepEqual(plans[0].files, files);
  assert.deepEqual(
    planAssociations([], { requiredContexts: false, transferSyntaxes: DEFAULT_TS }),
    [],
  );
  assert.deepEqual(
    planAssociations([], { requiredContexts: true, transferSyntaxes: DEFAULT_TS }),
    [],
  );
});

Deno.test("planAssociations: default mode adds an association for compressed and unknown classes", () => {
  const ct = f(CT, ELE);
  const rle = f(CT, RLE);
  const priv = f(PRIVATE, ELE);
  const jpeg = f(SC, JPEG);
  const rle2 = f(CT, RLE);
  const plans = planAssociations([ct, rle, priv, jpeg, rle2], {
    requiredContexts: false,
    transferSyntaxes: DEFAULT_TS,
  });
  assert.equal(plans.length, 2);
  assert.deepEqual(plans[0].files, [ct]);
  assert.equal(plans[1].kind, "required");
  assert.deepEqual(plans[1].files, [rle, priv, jpeg, rle2]);
  // Each class of compressed files gets a second context with the uncompressed syntaxes
  // (also for lossy JPEG Baseline: if the peer takes only those, the failure line can say
  // that --decompress lossy would send the file).
  assert.deepEqual(plans[1].contexts, [
    { id: 1, abstractSyntax: CT, transferSyntaxes: [RLE] },
    { id: 3, abstractSyntax: CT, transferSyntaxes: [ELE, ILE] },
    { id: 5, abstractSyntax: PRIVATE, transferSyntaxes: [ELE, ILE, DEFL, BE] },
    { id: 7, abstractSyntax: SC, transferSyntaxes: [JPEG] },
    { id: 9, abstractSyntax: SC, transferSyntaxes: [ELE, ILE] },
  ]);
  // --decompress never: today's proposal, the compressed syntaxes alone.
  const never = planAssociations([ct, rle, jpeg], {
    requiredContexts: false,
    transferSyntaxes: DEFAULT_TS,
    policy: { decompress: "never" },
  });
  assert.deepEqual(never[1].contexts.map((c) => c.transferSyntaxes), [[RLE], [JPEG]]);
  // Nothing the default proposal can carry: no default association at all.
  const only = planAssociations([rle], { requiredContexts: false, transferSyntaxes: DEFAULT_TS });
  assert.equal(only.length, 1);
  assert.equal(only[0].kind, "required");
});

Deno.test("planAssociations: with -xi an Explicit file is still carried by the default proposal", () => {
  const plans = planAssociations([f(CT, ELE), f(MR, BE)], {
    requiredContexts: false,
    transferSyntaxes: [ILE],
  });
  assert.equal(plans.length, 1);
  assert.deepEqual(plans[0].contexts[34].transferSyntaxes, [ILE]);
});

Deno.test("planAssociations: -cx, one context per (SOP class, TS), grouped by class", () => {
  const files = [
    f(CT, ILE),
    f(MR, ELE),
    f(CT, ELE),
    f(MR, ELE),
    f(CT, ILE),
    f(CT, RLE),
    f(PRIVATE, ELE),
  ];
  const plans = planAssociations(files, { requiredContexts: true, transferSyntaxes: DEFAULT_TS });
  assert.equal(plans.length, 1);
  assert.equal(plans[0].kind, "required");
  assert.deepEqual(plans[0].contexts, [
    { id: 1, abstractSyntax: CT, transferSyntaxes: [ILE] },
    { id: 3, abstractSyntax: CT, transferSyntaxes: [ELE] },
    { id: 5, abstractSyntax: CT, transferSyntaxes: [RLE] },
    { id: 7, abstractSyntax: CT, transferSyntaxes: [ELE, ILE] }, // RLE may be sent decoded
    { id: 9, abstractSyntax: MR, transferSyntaxes: [ELE] },
    { id: 11, abstractSyntax: PRIVATE, transferSyntaxes: [ELE] },
  ]);
  // Files keep their order.
  assert.deepEqual(plans[0].files, files);
});

Deno.test("planAssociations: -cx over 128 pairs splits into associations of ≤128 odd ids", () => {
  const files: F[] = [];
  for (let i = 0; i < 300; i++) files.push(f(`1.2.3.${i}`, ELE));
  files.push(f("1.2.3.0", ILE)); // pair 301, grouped with class 1.2.3.0 → first association
  files.push(f("1.2.3.299", ELE)); // a repeat: no new pair
  const plans = planAssociations(files, { requiredContexts: true, transferSyntaxes: DEFAULT_TS });
  assert.deepEqual(plans.map((p) => p.contexts.length), [128, 128, 45]);
  assert.equal(MAX_CONTEXTS, 128);
  for (const p of plans) {
    assert.deepEqual(p.contexts.map((c) => c.id), p.contexts.map((_, i) => 2 * i + 1));
    assert.ok(p.contexts.at(-1)!.id <= 255);
    // Each file goes to the association that proposes its pair.
    for (const file of p.files) {
      assert.ok(
        p.contexts.some((c) =>
          c.abstractSyntax === file.sopClassUid && c.transferSyntaxes[0] === file.transferSyntaxUid
        ),
      );
    }
  }
  assert.deepEqual(plans[0].contexts.slice(0, 2).map((c) => c.transferSyntaxes), [[ELE], [ILE]]);
  assert.equal(plans.reduce((k, p) => k + p.files.length, 0), files.length);
  // Exactly 128 pairs fit in one association.
  const exact = planAssociations(files.slice(0, 128), {
    requiredContexts: true,
    transferSyntaxes: DEFAULT_TS,
  });
  assert.equal(exact.length, 1);
  assert.equal(exact[0].contexts.at(-1)!.id, 255);
});

Deno.test("planAssociations: default mode, >128 unknown classes split as well", () => {
  const files: F[] = [];
  for (let i = 0; i < 130; i++) files.push(f(`1.2.3.${i}`, RLE));
  const plans = planAssociations([f(CT, ELE), ...files], {
    requiredContexts: false,
    transferSyntaxes: DEFAULT_TS,
  });
  // Two contexts per class (RLE, and the syntaxes it may be decoded to), never split apart.
  assert.deepEqual(plans.map((p) => [p.kind, p.contexts.length]), [
    ["default", 120],
    ["required", 128],
    ["required", 128],
    ["required", 4],
  ]);
  for (const p of plans.slice(1)) {
    for (let i = 0; i < p.contexts.length; i += 2) {
      assert.deepEqual(p.contexts[i].transferSyntaxes, [RLE]);
      assert.deepEqual(p.contexts[i + 1].transferSyntaxes, [ELE, ILE]);
      assert.equal(p.contexts[i + 1].abstractSyntax, p.contexts[i].abstractSyntax);
    }
  }
  const never = planAssociations(files, {
    requiredContexts: false,
    transferSyntaxes: DEFAULT_TS,
    policy: { decompress: "never" },
  });
  assert.deepEqual(never.map((p) => p.contexts.length), [128, 2]);
});

const ctx = (id: number, abstractSyntax: string, transferSyntax: string): AcceptedContext => ({
  id,
  abstractSyntax,
  transferSyntax,
});

Deno.test("chooseContext: the file's own TS first, whatever its id", () => {
  const accepted = [ctx(1, CT, ILE), ctx(3, CT, ELE), ctx(5, MR, ELE)];
  assert.deepEqual(chooseContext(f(CT, ELE), accepted), { context: accepted[1], convert: false });
  assert.deepEqual(chooseContext(f(CT, ILE), accepted), { context: accepted[0], convert: false });
  // Input order doesn't matter.
  assert.deepEqual(chooseContext(f(CT, ELE), [...accepted].reverse()), {
    context: accepted[1],
    convert: false,
  });
});

Deno.test("chooseContext: otherwise the cheapest conversion, lowest id on ties", () => {
  // Explicit LE file: Implicit LE (cost 1) beats Deflated (3) and Big Endian (2).
  const a = [ctx(1, CT, DEFL), ctx(3, CT, BE), ctx(5, CT, ILE), ctx(7, CT, ILE)];
  assert.deepEqual(chooseContext(f(CT, ELE), a), { context: a[2], convert: true });
  // Big endian over deflated.
  const b = [ctx(1, CT, DEFL), ctx(9, CT, BE)];
  assert.deepEqual(chooseContext(f(CT, ILE), b), { context: b[1], convert: true });
  // Deflated file to Explicit LE.
  assert.deepEqual(chooseContext(f(CT, DEFL), [ctx(1, CT, ELE)])?.convert, true);
});

Deno.test("chooseContext: compressed files need an exact match with --decompress never; other classes never match", () => {
  const never = { decompress: "never" } as const;
  assert.equal(chooseContext(f(CT, RLE), [ctx(1, CT, ELE), ctx(3, CT, ILE)], never), undefined);
  assert.equal(chooseContext(f(CT, ELE), [ctx(1, CT, RLE), ctx(3, CT, JPEG)]), undefined);
  assert.deepEqual(chooseContext(f(CT, RLE), [ctx(1, CT, ELE), ctx(3, CT, RLE)]), {
    context: ctx(3, CT, RLE),
    convert: false,
  });
  assert.equal(chooseContext(f(MR, ELE), [ctx(1, CT, ELE)]), undefined);
  assert.equal(chooseContext(f(MR, ELE), []), undefined);
});

Deno.test("mayDecode: the --decompress policy by transfer syntax", () => {
  for (const ts of [RLE, SV1, JLS, "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.90"]) {
    assert.equal(mayDecode(ts, { decompress: "lossless" }), true, ts);
    assert.equal(mayDecode(ts, { decompress: "never" }), false, ts);
  }
  for (
    const ts of [JPEG, "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.91"]
  ) {
    assert.equal(mayDecode(ts, { decompress: "lossless" }), false, ts);
    assert.equal(mayDecode(ts, { decompress: "lossy" }), true, ts);
  }
  // No decoder at all.
  assert.equal(mayDecode(MPEG2, { decompress: "lossy" }), false);
});

Deno.test("chooseContext: a refused compressed syntax is decoded to an accepted uncompressed one", () => {
  // Explicit VR LE first, whatever the ids.
  const a = [ctx(1, CT, ILE), ctx(3, CT, ELE)];
  assert.deepEqual(chooseContext(f(CT, RLE), a), {
    context: a[1],
    convert: true,
    transcode: "decode",
  });
  assert.deepEqual(chooseContext(f(CT, RLE), [ctx(1, CT, BE)])?.transcode, "decode");
  // Its own syntax, when accepted, wins: bytes unchanged.
  assert.deepEqual(chooseContext(f(CT, RLE), [ctx(1, CT, ELE), ctx(3, CT, RLE)]), {
    context: ctx(3, CT, RLE),
    convert: false,
  });
  // Lossy: only with --decompress lossy.
  assert.equal(chooseContext(f(CT, JPEG), a), undefined);
  assert.equal(chooseContext(f(CT, JPEG), a, { decompress: "lossy" })?.transcode, "decode");
  assert.equal(chooseContext(f(CT, MPEG2), a, { decompress: "lossy" }), undefined);
});

Deno.test("chooseContext: --compress encodes uncompressed files when its syntax was accepted", () => {
  const policy = { decompress: "lossless", compress: JLS } as const;
  const a = [ctx(1, CT, ELE), ctx(3, CT, JLS)];
  assert.deepEqual(chooseContext(f(CT, ELE), a, policy), {
    context: a[1],
    convert: true,
    transcode: "encode",
  });
  assert.equal(chooseContext(f(CT, ILE), a, policy)?.transcode, "encode");
  // Refused: the uncompressed syntaxes as before.
  assert.deepEqual(chooseContext(f(CT, ILE), [ctx(1, CT, ELE)], policy), {
    context: ctx(1, CT, ELE),
    convert: true,
  });
  // A compressed file: its own syntax, else decoded, else decoded and encoded.
  assert.deepEqual(chooseContext(f(CT, JLS), a, policy), { context: a[1], convert: false });
  assert.equal(chooseContext(f(CT, RLE), a, policy)?.transcode, "decode");
  assert.deepEqual(chooseContext(f(CT, RLE), [ctx(3, CT, JLS)], policy), {
    context: ctx(3, CT, JLS),
    convert: true,
    transcode: "encode",
  });
  // ... as far as the decompress policy allows.
  assert.equal(chooseContext(f(CT, JPEG), [ctx(3, CT, JLS)], policy), undefined);
  // No --compress: an accepted compressed syntax is no use to an uncompressed file.
  assert.equal(chooseContext(f(CT, ELE), [ctx(3, CT, JLS)]), undefined);
});

Deno.test("policyRefusal: names the syntax and the option that would send the file decoded", () => {
  const a = [ctx(1, CT, ELE)];
  assert.equal(
    policyRefusal(f(CT, JPEG), a),
    "JPEG Baseline (Process 1) is lossy: it is sent decoded only with --decompress lossy",
  );
  assert.equal(
    policyRefusal(f(CT, RLE), a, { decompress: "never" }),
    "RLE Lossless is not decoded with --decompress never (--decompress lossless allows it)",
  );
  assert.match(policyRefusal(f(CT, JPEG), a, { decompress: "never" })!, /--decompress lossy/);
  // Nothing the policy stopped: no uncompressed context, a decodable file, no decoder at all.
  assert.equal(policyRefusal(f(CT, JPEG), [ctx(1, CT, RLE)]), undefined);
  assert.equal(policyRefusal(f(CT, RLE), a), undefined);
  assert.equal(policyRefusal(f(CT, MPEG2), a, { decompress: "never" }), undefined);
  assert.equal(policyRefusal(f(CT, ELE), a), undefined);
});

Deno.test("planAssociations: --compress proposes its syntax first and for each class of the extra association", () => {
  const policy = { decompress: "lossless", compress: RLE } as const;
  assert.deepEqual(proposedSyntaxes(DEFAULT_TS, policy), [RLE, ...DEFAULT_TS]);
  assert.deepEqual(proposedSyntaxes(DEFAULT_TS), DEFAULT_TS);
  assert.deepEqual(proposedSyntaxes([RLE, ILE], policy), [RLE, ILE]);
  const files = [f(CT, ELE), f(CT, JLS), f(PRIVATE, ILE), f(SC, JPEG)];
  const cx = planAssociations(files, { requiredContexts: true, transferSyntaxes: [], policy });
  assert.deepEqual(cx[0].contexts.map((c) => [c.abstractSyntax, c.transferSyntaxes]), [
    [CT, [ELE]],
    [CT, [JLS]],
    [CT, [ELE, ILE, RLE]],
    [PRIVATE, [ILE]],
    [PRIVATE, [RLE]],
    [SC, [JPEG]], // lossy: not re-encoded under --decompress lossless
    [SC, [ELE, ILE]],
  ]);
  const ts = proposedSyntaxes(DEFAULT_TS, policy);
  const plans = planAssociations(files, { requiredContexts: false, transferSyntaxes: ts, policy });
  assert.equal(plans[0].kind, "default");
  assert.deepEqual(plans[0].contexts[34].transferSyntaxes, [RLE, ELE, ILE, DEFL, BE]);
  assert.deepEqual(plans[1].contexts.map((c) => [c.abstractSyntax, c.transferSyntaxes]), [
    [CT, [JLS]],
    [CT, [ELE, ILE, RLE]],
    [PRIVATE, [ILE, ELE, DEFL, BE]],
    [PRIVATE, [RLE]],
    [SC, [JPEG]],
    [SC, [ELE, ILE]],
  ]);
});

Deno.test("planInOrder: a folder of compressed files is planned from its first LOOKAHEAD; later files that fit go on that association, others after it", () => {
  const options = { requiredContexts: false, transferSyntaxes: DEFAULT_TS };
  const ct = () => f(CT, RLE);
  // At most LOOKAHEAD files, or a default-fitting file among the first: as planAssociations.
  const few = [...Array.from({ length: LOOKAHEAD }, ct), f(MR, RLE)].slice(1);
  assert.deepEqual(planInOrder(few, options), planAssociations(few, options));
  const mixed = [ct(), ct(), f(CT, ELE), ...Array.from({ length: 20 }, ct), f(MR, RLE)];
  assert.deepEqual(planInOrder(mixed, options), planAssociations(mixed, options));
  // 20 RLE CT, an RLE MR, two more RLE CT, an uncompressed CT: the first association is
  // planned from the first 16 CT (CT's contexts only) and carries every RLE CT; the rest is
  // planned after it as always: the default proposal (the uncompressed CT), then the MR's.
  const cts = Array.from({ length: 20 }, ct);
  const mr = f(MR, RLE);
  const late = [ct(), ct()];
  const plain = f(CT, ELE);
  const plans = planInOrder([...cts, mr, ...late, plain], options);
  assert.deepEqual(plans.map((p) => p.kind), ["required", "default", "required"]);
  assert.deepEqual(plans[0].files, [...cts, ...late]);
  assert.deepEqual(plans[0].contexts.map((c) => [c.abstractSyntax, c.transferSyntaxes]), [
    [CT, [RLE]],
    [CT, [ELE, ILE]],
  ]);
  assert.deepEqual(plans[1].files, [plain]);
  assert.deepEqual(plans[2].files, [mr]);
  // -cx: every pair known first, one plan.
  const cx = { ...options, requiredContexts: true };
  assert.deepEqual(planInOrder([...cts, mr], cx), planAssociations([...cts, mr], cx));
  // carriedBy: what the first plan carries.
  const fits = carriedBy(plans[0], options);
  assert.deepEqual([fits(ct()), fits(mr), fits(plain), fits(f(CT, JLS))], [
    true,
    false,
    false,
    false,
  ]);
});
