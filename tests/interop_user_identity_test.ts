/**
 * User identity from the command line: DCMTK `storescp -d` logs the username we sent; our SCP
 * accepts, rejects, gives or withholds the positive response; and no secret (password, token,
 * ticket, assertion) ever appears in our output, our `-d` dump or the report.
 */

import assert from "node:assert/strict";
import { type CliRun, repoRoot, runCli, startStorescp } from "./peers.ts";
import { startStorageScp, type StorageScp, type UserIdentityCheck } from "../lib/scp.ts";
import type { UserIdentity } from "../lib/user_identity.ts";

const CT = `${repoRoot}/testdata/ct_explicit_le.dcm`;
const PASSWORD = "Tr0ub4dor&3-secret";
const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2VjcmV0LXNpZ25hdHVyZQ";

async function secretFiles(): Promise<{ dir: string; pw: string; jwt: string; saml: string }> {
  const dir = await Deno.makeTempDir({ prefix: "storescu-secrets-" });
  await Deno.writeTextFile(`${dir}/pw`, `${PASSWORD}\n`);
  await Deno.writeTextFile(`${dir}/jwt`, `${TOKEN}\n`);
  await Deno.writeTextFile(`${dir}/saml`, `<Assertion>${PASSWORD}</Assertion>`);
  return { dir, pw: `${dir}/pw`, jwt: `${dir}/jwt`, saml: `${dir}/saml` };
}

function assertNoSecret(r: CliRun) {
  for (const secret of [PASSWORD, TOKEN, "c2VjcmV0LXNpZ25hdHVyZQ"]) {
    assert.ok(!r.stderr.includes(secret), "secret on stderr");
    assert.ok(!r.stdout.includes(secret), "secret on stdout (report)");
  }
}

Deno.test("storescp -d logs the username we sent; our -d dump and report show no password", async () => {
  const s = await secretFiles();
  const scp = await startStorescp(["-d", "--ignore"]);
  let log = "";
  let r: CliRun;
  try {
    r = await runCli([
      "127.0.0.1",
      String(scp.port),
      CT,
      "--user",
      "alice",
      "--password-file",
      s.pw,
      "-d",
      "--report",
      "-",
    ]);
  } finally {
    log = await scp.stop();
  }
  assert.equal(r.code, 0, r.stderr);
  assert.match(log, /Authentication mode 2: Username\/Password/);
  assert.match(log, /Username: \[alice\]/);
  // The password arrived intact (storescp prints it; we never do).
  assert.ok(log.includes(`Password: [${PASSWORD}]`));
  assert.ok(r.lines.includes("D:   Username: [alice]"));
  assert.ok(r.lines.includes(`D:   Password (not dumped) length: ${PASSWORD.length}`));
  assert.ok(
    r.lines.includes(
      "W: The password goes over the network unencrypted: use --tls where the peer can",
    ),
  );
  assertNoSecret(r);
});

Deno.test("our SCP: identity accepted, rejected, positive response given and withheld", async () => {
  const s = await secretFiles();
  const seen: (UserIdentity | undefined)[] = [];
  const run = async (rule: UserIdentityCheck, args: string[], stdin?: string) => {
    const scp: StorageScp = startStorageScp({
      userIdentity: {
        ...rule,
        check: (id, rq) => {
          seen.push(id);
          return rule.check(id, rq);
        },
      },
    });
    try {
      const r = await runCli(["127.0.0.1", String(scp.port), CT, "-d", ...args], { stdin });
      assertNoSecret(r);
      return { r, received: scp.received.length };
    } finally {
      await scp.close();
    }
  };
  const alice: UserIdentityCheck = {
    check: (id) => id?.type === "username" && id.username === "alice" && id.password === PASSWORD,
  };
  const withPw = ["--user", "alice", "--password-file", s.pw];

  const ok = await run(alice, withPw);
  assert.equal(ok.r.code, 0, ok.r.stderr);
  assert.deepEqual(seen.at(-1), { type: "username", username: "alice", password: PASSWORD });

  // The password from standard input.
  const stdin = await run(alice, ["--user", "alice", "--password-file", "-"], `${PASSWORD}\n`);
  assert.equal(stdin.r.code, 0, stdin.r.stderr);

  const wrong = await run(alice, ["--user", "mallory"]);
  assert.equal(wrong.r.code, 1);
  assert.equal(wrong.received, 0);
  assert.deepEqual(wrong.r.lines.filter((l) => l.startsWith("E: ")).slice(0, 3), [
    "E: Association Rejected",
    "E: Result: Rejected Permanent, Source: Service User",
    "E: Reason: No reason given",
  ]);

  const confirmed = await run(alice, [...withPw, "--user-response"]);
  assert.equal(confirmed.r.code, 0, confirmed.r.stderr);
  assert.ok(confirmed.r.lines.includes("D:   Positive Response Requested: Yes"));
  assert.ok(confirmed.r.lines.includes("D: User Identity Negotiation Response: Yes"));

  const withheld = await run({ ...alice, respond: false }, [...withPw, "--user-response"]);
  assert.equal(withheld.r.code, 1);
  assert.equal(withheld.received, 0);
  const errors = withheld.r.lines.filter((l) => l.startsWith("E: "));
  assert.match(
    errors[0],
    /^E: User identity not confirmed: the peer accepted the association without the positive response we asked for .*; association aborted$/,
  );
  assert.match(errors[1], /^E: Not sent: .*ct_explicit_le\.dcm: User identity not confirmed: /);
  assert.ok(withheld.r.lines.includes("I: Aborting Association"));
});

Deno.test("our SCP: JWT and SAML identities from files; their server responses shown by length", async () => {
  const s = await secretFiles();
  const scp = startStorageScp({
    userIdentity: {
      check: (id) =>
        id?.type === "jwt" && id.token === TOKEN
          ? new TextEncoder().encode("jwt-ok")
          : id?.type === "saml"
          ? new TextEncoder().encode(`<Response>${PASSWORD}</Response>`)
          : false,
    },
  });
  try {
    const jwt = await runCli([
      "127.0.0.1",
      String(scp.port),
      CT,
      "-d",
      "--jwt-file",
      s.jwt,
      "--user-response",
    ]);
    assert.equal(jwt.code, 0, jwt.stderr);
    assert.ok(jwt.lines.includes(`D:   JSON Web Token (not dumped) length: ${TOKEN.length}`));
    assert.ok(jwt.lines.includes("D:   Server Response (not dumped) length: 6"));
    assertNoSecret(jwt);
    const saml = await runCli(["127.0.0.1", String(scp.port), CT, "-d", "--saml-file", s.saml]);
    assert.equal(saml.code, 0, saml.stderr);
    assert.ok(saml.lines.some((l) => /SAML Assertion \(not dumped\) length: \d+/.test(l)));
    assertNoSecret(saml);
  } finally {
    await scp.close();
  }
});

Deno.test("user identity options: misuse is a usage error; a secret file's path is never echoed", async () => {
  const cases: [string[], string][] = [
    [["--password-file", "pw"], "argument --password-file: needs --user"],
    [["--user-response"], "argument --user-response: needs a user identity"],
    [["--user", "a", "--jwt-file", "t"], "argument --jwt-file: not allowed with argument --user"],
    [
      ["--user", "a", "--password-file", PASSWORD],
      "User identity: cannot read the password file given to --password-file: " +
      "No such file or directory",
    ],
    [
      ["--jwt-file", TOKEN],
      "User identity: cannot read the JSON Web Token file given to --jwt-file: " +
      "No such file or directory",
    ],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(["127.0.0.1", "1", CT, ...args]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.lines[0], "usage: storescu [options] addr port path");
    assert.ok(r.lines[1].startsWith(`storescu: error: ${message}`), r.lines[1]);
    assertNoSecret(r);
  }
});
