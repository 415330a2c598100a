/**
 * `deno task demo`: starts our own Storage SCP on a free loopback port, sends `testdata/` to
 * it with the CLI's code path at `-v`, and prints the per-file account.
 *
 * `deno task demo --tls` does the same over mutual TLS with a user identity: the SCP presents
 * `testdata/tls/scp.pem`, requires a client certificate from the demo CA and checks the user
 * `demo`; the client trusts the demo CA, presents `testdata/tls/client.pem` and asks for a
 * positive identity response. Those certificates are TEST ONLY (made with nothing but Deno by
 * `scripts/make_test_certs.ts`, valid until 2125, their keys public).
 *
 * @module
 */

import { main } from "../cli.ts";
import { listenStorageScp } from "../lib/scp.ts";
import { uidNameOrUid } from "../lib/uids.ts";

// `deno task` runs from the repository root.
const testdata = "testdata";
const tls = Deno.args.includes("--tls");
const certs = `${testdata}/tls`;
const scp = await listenStorageScp({
  aeTitle: "DEMO-SCP",
  tls: tls
    ? {
      certFile: `${certs}/scp.pem`,
      keyFile: `${certs}/scp.key`,
      caFiles: [`${certs}/ca.pem`],
      requireClientCert: true,
    }
    : undefined,
  userIdentity: tls
    ? { check: (id) => id?.type === "username" && id.username === "demo" }
    : undefined,
});
const args = [
  "127.0.0.1",
  String(scp.port),
  testdata,
  "-aec",
  "DEMO-SCP",
  "-v",
  ...(tls
    ? [
      "--tls",
      "--tls-ca",
      `${certs}/ca.pem`,
      "--tls-cert",
      `${certs}/client.pem`,
      "--tls-key",
      `${certs}/client.key`,
      "--user",
      "demo",
      "--user-response",
    ]
    : []),
];
console.log(
  `Storage SCP "DEMO-SCP" listening on 127.0.0.1:${scp.port}` +
    (tls ? " (TLS, client certificate required, user 'demo' only)" : ""),
);
console.log(`$ storescu ${args.join(" ")}\n`);
let code: number;
try {
  code = await main(args);
} finally {
  await scp.close();
}
console.log(`\nexit status ${code}; the SCP received ${scp.received.length} object(s):`);
for (const r of scp.received) {
  console.log(
    `  ${uidNameOrUid(r.sopClassUid).padEnd(34)} ${r.length.toString().padStart(8)} bytes  ` +
      `${uidNameOrUid(r.transferSyntaxUid)}  status 0x${r.status.toString(16).padStart(4, "0")}`,
  );
}
Deno.exit(code);
