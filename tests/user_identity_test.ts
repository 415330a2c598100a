/**
 * User Identity Negotiation (PS3.7 D.3.3.7): the 0x58 sub-item's bytes for each identity type,
 * reading secrets from files, and the whole exchange against our SCP (accepted, rejected,
 * positive response given and withheld).
 */

import assert from "node:assert/strict";
import { buildAssociateRQ } from "../lib/acse.ts";
import { decodePdu } from "../lib/pdu/decode.ts";
import { encodePdu } from "../lib/pdu/encode.ts";
import { type AssociateRQ, PduType } from "../lib/pdu/types.ts";
import {
  identityConfirmed,
  readUserIdentity,
  type UserIdentity,
  UserIdentityError,
  userIdentityOf,
  type UserIdentityRequest,
  userIdentitySubItem,
} from "../lib/user_identity.ts";
import { storeFiles } from "../lib/send.ts";
import { startStorageScp, type UserIdentityCheck } from "../lib/scp.ts";
import { AssociationRejectedError } from "../lib/association.ts";
import { UserIdentityNotConfirmedError } from "../lib/user_identity.ts";
import { writeCtFiles } from "./peers.ts";

const ascii = (s: string) => new TextEncoder().encode(s);

/** The user information sub-items of an encoded A-ASSOCIATE-RQ, by type. */
function subItem(pdu: Uint8Array, type: number): Uint8Array {
  // After the fixed part (74 bytes), items follow; the user information item (0x50) is last.
  let at = 74;
  while (pdu[at] !== 0x50) at += 4 + ((pdu[at + 2] << 8) | pdu[at + 3]);
  const end = at + 4 + ((pdu[at + 2] << 8) | pdu[at + 3]);
  at += 4;
  while (at < end) {
    const len = (pdu[at + 2] << 8) | pdu[at + 3];
    if (pdu[at] === type) return pdu.subarray(at, at + 4 + len);
    at += 4 + len;
  }
  throw new Error(`no sub-item 0x${type.toString(16)}`);
}

function rqWith(identity: UserIdentityRequest): Uint8Array {
  return encodePdu(buildAssociateRQ({
    callingAeTitle: "A",
    calledAeTitle: "B",
    presentationContexts: [{
      id: 1,
      abstractSyntax: "1.2.840.10008.1.1",
      transferSyntaxes: ["1.2.840.10008.1.2"],
    }],
    maxPduLength: 16382,
    userIdentity: userIdentitySubItem(identity),
  }));
}

Deno.test("user identity sub-item 0x58: PS3.7 table D.3-14 layout for each type", () => {
  // Item-type 58H, reserved 00, item-length, user-identity-type, positive-response-requested,
  // primary-field-length, primary-field, secondary-field-length, secondary-field.
  assert.deepEqual(
    [...subItem(rqWith({ type: "username", username: "alice" }), 0x58)],
    [0x58, 0, 0, 11, 1, 0, 0, 5, ...ascii("alice"), 0, 0],
  );
  assert.deepEqual(
    [
      ...subItem(
        rqWith({ type: "username", username: "bob", password: "pw", positiveResponse: true }),
        0x58,
      ),
    ],
    [0x58, 0, 0, 11, 2, 1, 0, 3, ...ascii("bob"), 0, 2, ...ascii("pw")],
  );
  assert.deepEqual(
    [...subItem(rqWith({ type: "kerberos", ticket: new Uint8Array([0x60, 0x82, 0, 1]) }), 0x58)],
    [0x58, 0, 0, 10, 3, 0, 0, 4, 0x60, 0x82, 0, 1, 0, 0],
  );
  assert.deepEqual(
    [...subItem(rqWith({ type: "saml", assertion: "<a/>", positiveResponse: true }), 0x58)],
    [0x58, 0, 0, 10, 4, 1, 0, 4, ...ascii("<a/>"), 0, 0],
  );
  assert.deepEqual(
    [...subItem(rqWith({ type: "jwt", token: "e.p.s" }), 0x58)],
    [0x58, 0, 0, 11, 5, 0, 0, 5, ...ascii("e.p.s"), 0, 0],
  );
  // Username and passcode are UTF-8 (PS3.7 D.3.3.7.1).
  assert.deepEqual(
    [...subItem(rqWith({ type: "username", username: "Zoë", password: "ü" }), 0x58)].slice(4),
    [2, 0, 0, 4, 0x5a, 0x6f, 0xc3, 0xab, 0, 2, 0xc3, 0xbc],
  );
});

Deno.test("user identity: decoded back to what was sent; fields over 65535 bytes refused", () => {
  const identities: UserIdentity[] = [
    { type: "username", username: "alice" },
    { type: "username", username: "alice", password: "s3cret" },
    { type: "kerberos", ticket: new Uint8Array([1, 2, 3]) },
    { type: "saml", assertion: ascii("<saml/>") },
    { type: "jwt", token: "a.b.c" },
  ];
  for (const id of identities) {
    const rq = decodePdu(rqWith({ ...id, positiveResponse: true })) as AssociateRQ;
    assert.equal(rq.type, PduType.AssociateRQ);
    assert.equal(rq.userInfo.userIdentity?.positiveResponseRequested, true);
    assert.deepEqual(userIdentityOf(rq.userInfo.userIdentity!), id);
  }
  assert.throws(
    () => userIdentitySubItem({ type: "jwt", token: "x".repeat(65536) }),
    (e: Error) =>
      e instanceof UserIdentityError && /65536 bytes, more than the 65535/.test(e.message),
  );
  assert.throws(() => userIdentitySubItem({ type: "username", username: "" }), UserIdentityError);
  const item = userIdentitySubItem({ type: "username", username: "a", positiveResponse: true });
  assert.equal(identityConfirmed(item, undefined), false);
  assert.equal(identityConfirmed(item, { serverResponse: new Uint8Array() }), true);
  assert.equal(identityConfirmed({ ...item, positiveResponseRequested: false }, undefined), true);
});

Deno.test("user identity: secrets read from files; one trailing line break dropped from password and token", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-uid-" });
  await Deno.writeTextFile(`${dir}/pw`, "s3cret\r\n");
  await Deno.writeTextFile(`${dir}/jwt`, "h.p.s\n");
  await Deno.writeFile(`${dir}/krb`, new Uint8Array([0x60, 0x0a, 0x0a]));
  await Deno.writeTextFile(`${dir}/saml`, "<Assertion/>\n");
  assert.deepEqual(
    await readUserIdentity({ username: "alice", passwordFile: `${dir}/pw` }),
    { type: "username", username: "alice", password: "s3cret", positiveResponse: false },
  );
  assert.deepEqual(
    await readUserIdentity({ jwtFile: `${dir}/jwt`, positiveResponse: true }),
    { type: "jwt", token: "h.p.s", positiveResponse: true },
  );
  assert.deepEqual(
    (await readUserIdentity({ kerberosFile: `${dir}/krb` }) as { ticket: Uint8Array }).ticket,
    new Uint8Array([0x60, 0x0a, 0x0a]),
  );
  assert.deepEqual(
    (await readUserIdentity({ samlFile: `${dir}/saml` }) as { assertion: Uint8Array }).assertion,
    ascii("<Assertion/>\n"),
  );
  assert.equal(await readUserIdentity({}), undefined);
  await assert.rejects(
    readUserIdentity({ username: "alice", passwordFile: `${dir}/nope` }),
    (e: Error) =>
      e instanceof UserIdentityError &&
      e.message ===
        "User identity: cannot read the password file given to --password-file: " +
          "No such file or directory",
  );
});

Deno.test("user identity: '-' reads the password from standard input", async () => {
  const script = `
    import { readUserIdentity } from "${new URL("../lib/user_identity.ts", import.meta.url)}";
    const id = await readUserIdentity({ username: "u", passwordFile: "-" });
    console.log(JSON.stringify(id));`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(ascii("from-stdin\n"));
  await w.close();
  const out = await child.output();
  assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), {
    type: "username",
    username: "u",
    password: "from-stdin",
    positiveResponse: false,
  });
});

async function exchange(
  identity: UserIdentityRequest | undefined,
  rule: UserIdentityCheck,
) {
  const dir = await Deno.makeTempDir({ prefix: "storescu-uid-" });
  const { paths } = await writeCtFiles(dir, 3);
  const seen: (UserIdentity | undefined)[] = [];
  const scp = startStorageScp({
    userIdentity: {
      ...rule,
      check: (id, rq) => {
        seen.push(id);
        return rule.check(id, rq);
      },
    },
  });
  const failures: Error[] = [];
  try {
    const report = await storeFiles({
      address: "127.0.0.1",
      port: scp.port,
      paths,
      userIdentity: identity,
      onEvent: (e) => {
        if (e.type === "association-failed") failures.push(e.error);
      },
    });
    return { report, failures, seen, received: scp.received.length };
  } finally {
    await scp.close();
  }
}

const alice: UserIdentityRequest = { type: "username", username: "alice", password: "s3cret" };
const isAlice: UserIdentityCheck = {
  check: (id) => id?.type === "username" && id.username === "alice" && id.password === "s3cret",
};

Deno.test("user identity against our SCP: accepted, with and without a positive response", async () => {
  const plain = await exchange(alice, isAlice);
  assert.deepEqual(plain.seen, [alice]);
  assert.equal(plain.report.counts.success, 3);
  const confirmed = await exchange({ ...alice, positiveResponse: true }, isAlice);
  assert.equal(confirmed.report.counts.success, 3);
  // A Kerberos identity confirmed with a server response (its bytes are the SCP's choice).
  const ticket = new Uint8Array([9, 9, 9]);
  const krb = await exchange({ type: "kerberos", ticket, positiveResponse: true }, {
    check: (id) => id?.type === "kerberos" ? new Uint8Array([1]) : false,
  });
  assert.equal(krb.report.counts.success, 3);
});

Deno.test("user identity against our SCP: rejected (A-ASSOCIATE-RJ), or no identity when one is needed", async () => {
  for (const id of [{ ...alice, password: "wrong" }, undefined]) {
    const r = await exchange(id, isAlice);
    assert.equal(r.received, 0);
    assert.equal(r.report.noAssociation, true);
    assert.equal(r.report.counts["not-sent"], 3);
    const e = r.failures[0];
    assert.ok(e instanceof AssociationRejectedError);
    assert.deepEqual(
      { result: e.reject.result, source: e.reject.source, reason: e.reject.reason },
      { result: 1, source: 1, reason: 1 },
    );
  }
});

Deno.test("user identity against our SCP: a positive response asked for and withheld aborts", async () => {
  const r = await exchange({ ...alice, positiveResponse: true }, { ...isAlice, respond: false });
  assert.equal(r.received, 0);
  assert.equal(r.report.noAssociation, true);
  assert.deepEqual(r.report.counts, {
    success: 0,
    warning: 0,
    failure: 0,
    "not-sent": 3,
    skipped: 0,
  });
  assert.ok(r.failures[0] instanceof UserIdentityNotConfirmedError);
  assert.match(
    r.report.results[0].reason!,
    /^User identity not confirmed: .*; association aborted$/,
  );
  // Not asked for: the same SCP is fine.
  assert.equal((await exchange(alice, { ...isAlice, respond: false })).report.counts.success, 3);
});
