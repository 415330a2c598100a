/**
 * `deno task demo`: starts our own Storage SCP on a free loopback port, sends `testdata/` to
 * it with the CLI's code path at `-v`, and prints the per-file account.
 *
 * @module
 */

import { main } from "../cli.ts";
import { startStorageScp } from "../lib/scp.ts";
import { uidNameOrUid } from "../lib/uids.ts";

// `deno task` runs from the repository root.
const testdata = "testdata";
const scp = startStorageScp({ aeTitle: "DEMO-SCP" });
console.log(`Storage SCP "DEMO-SCP" listening on 127.0.0.1:${scp.port}`);
console.log(`$ storescu 127.0.0.1 ${scp.port} testdata -aec DEMO-SCP -v\n`);
let code: number;
try {
  code = await main(["127.0.0.1", String(scp.port), testdata, "-aec", "DEMO-SCP", "-v"]);
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
