/**
 * C-ECHO (lib/echo.ts, `--echo` in lib/cli/echo.ts): against our SCP, DCMTK's storescp and
 * Orthanc; alone (`storescu --echo ADDR PORT`) and before sending, where a failed echo sends
 * nothing and names every file.
 */
import assert from "node:assert/strict";
import { echo, type EchoEvent } from "../lib/echo.ts";
import { startStorageScp } from "../lib/scp.ts";
import {
  AssociationRejectedError,
  ConnectionClosedError,
  ProtocolError,
} from "../lib/association.ts";
import { ConnectError } from "../lib/transport.ts";
import { NoAcceptedContextsError } from "../lib/send.ts";
import { IMPLEMENTATION_CLASS_UID } from "../lib/acse.ts";
import { PduType } from "../lib/pdu/mod.ts";
import { faults, startFaultPeer } from "./fault_peer.ts";
import {
  freePort,
  listDir,
  repoRoot,
  runCli,
  startOrthanc,
  startStorescp,
  writeCtFiles,
} from "./peers.ts";

const VERIFICATION = "1.2.840.10008.1.1";
const ECHO_OK = /^Echo: 127\.0\.0\.1:\d+ \(ANY-SCP\) answered Success in [\d.]+ ms$/;

Deno.test("echo(): our SCP answers Success; Verification proposed with Implicit then Explicit LE", async () => {
  const scp = startStorageScp();
  try {
    const events: EchoEvent["type"][] = [];
    const r = await echo({
      address: "127.0.0.1",
      port: scp.port,
      onEvent: (e) => events.push(e.type),
    });
    assert.equal(r.status, 0);
    assert.equal(r.transferSyntaxUid, "1.2.840.10008.1.2");
    assert.equal(r.peer.implementationClassUid, IMPLEMENTATION_CLASS_UID);
    assert.equal(r.peer.maxPduLength, 16382);
    assert.ok(r.ms >= 0 && r.associationMs >= 0);
    assert.deepEqual(events, [
      "association-requesting",
      "association-accepted",
      "echo-request",
      "echo-response",
      "association-releasing",
    ]);
    assert.deepEqual(scp.requests[0].presentationContexts, [{
      id: 1,
      abstractSyntax: VERIFICATION,
      transferSyntaxes: ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"],
    }]);
    assert.equal(scp.received.length, 0);
  } finally {
    await scp.close();
  }
});

Deno.test("echo(): our SCP restricted to CT still accepts Verification; its status is returned", async () => {
  const scp = startStorageScp({ sopClasses: ["1.2.840.10008.5.1.4.1.1.2"], echoStatus: 0x0122 });
  try {
    const r = await echo({ address: "127.0.0.1", port: scp.port });
    assert.equal(r.status, 0x0122);
  } finally {
    await scp.close();
  }
});

Deno.test("echo(): typed errors: refused, rejected, no Verification, invalid response, closed", async () => {
  await assert.rejects(() => echo({ address: "127.0.0.1", port: freePort() }), ConnectError);
  const rejecting = startStorageScp({ reject: { result: 1, source: 1, reason: 7 } });
  try {
    await assert.rejects(
      () => echo({ address: "127.0.0.1", port: rejecting.port }),
      (e) => e instanceof AssociationRejectedError && e.reject.reason === 7,
    );
  } finally {
    await rejecting.close();
  }
  // A peer that accepts the association but not Verification: we A-ABORT as a provider.
  {
    await using peer = startFaultPeer(faults.acceptNone());
    await assert.rejects(
      () => echo({ address: "127.0.0.1", port: peer.port }),
      NoAcceptedContextsError,
    );
    await new Promise((r) => setTimeout(r, 50));
    const abort = peer.connections[0].received.find((p) => p.type === PduType.Abort);
    assert.equal(abort?.type === PduType.Abort && abort.source, 2);
  }
  // A C-ECHO-RSP answering another message ID.
  {
    await using peer = startFaultPeer(async (c) => {
      if (!(await c.acceptAll())) return;
      const rq = await c.readCommand();
      assert.equal(rq?.command.kind, "C-ECHO-RQ");
      await c.sendRaw(c.commandPdu(rq!.contextId, {
        kind: "C-ECHO-RSP",
        messageIdBeingRespondedTo: 7,
        affectedSopClassUid: VERIFICATION,
        status: 0,
      }));
      await c.drain();
    });
    await assert.rejects(() => echo({ address: "127.0.0.1", port: peer.port }), ProtocolError);
  }
  // A peer that drops the connection instead of answering.
  {
    await using peer = startFaultPeer(async (c) => {
      if (!(await c.acceptAll())) return;
      await c.readCommand();
      c.close();
    });
    await assert.rejects(
      () => echo({ address: "127.0.0.1", port: peer.port }),
      ConnectionClosedError,
    );
  }
});

Deno.test("--echo alone: exit 0 and one line; -v has echoscu's lines; failures one E: line, exit 1", async () => {
  const scp = startStorageScp({ aeTitle: "MYSCP" });
  try {
    const ok = await runCli(["--echo", "127.0.0.1", String(scp.port), "-aec", "MYSCP"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, "");
    assert.equal(ok.lines.length, 1, ok.stderr);
    assert.match(ok.lines[0], /^Echo: 127\.0\.0\.1:\d+ \(MYSCP\) answered Success in [\d.]+ ms$/);
    const v = await runCli(["--echo", "127.0.0.1", String(scp.port), "-aec", "MYSCP", "-v"]);
    assert.deepEqual(v.lines.slice(0, 5), [
      "I: Requesting Association",
      "I: Association Accepted",
      "I: Sending Echo Request: MsgID 1",
      "I: Received Echo Response (Status: Success)",
      "I: Releasing Association",
    ]);
    const q = await runCli(["--echo", "127.0.0.1", String(scp.port), "-aec", "MYSCP", "-q"]);
    assert.equal(q.code, 0);
    assert.equal(q.stderr, "");
    const wrongAe = await runCli(["--echo", "127.0.0.1", String(scp.port), "-aec", "OTHER"]);
    assert.equal(wrongAe.code, 1);
    assert.deepEqual(wrongAe.lines, [
      `E: Echo failed: 127.0.0.1:${scp.port} (OTHER): association rejected (permanent, source 1, reason 7)`,
    ]);
  } finally {
    await scp.close();
  }
  const port = freePort();
  const refused = await runCli(["--echo", "127.0.0.1", String(port)]);
  assert.equal(refused.code, 1);
  assert.equal(refused.lines.length, 1, refused.stderr);
  assert.match(
    refused.lines[0],
    new RegExp(
      `^E: Echo failed: 127\\.0\\.0\\.1:${port} \\(ANY-SCP\\): unable to connect .*refused`,
    ),
  );
  const status = startStorageScp({ echoStatus: 0x0211 });
  try {
    const r = await runCli(["--echo", "127.0.0.1", String(status.port)]);
    assert.equal(r.code, 1);
    assert.deepEqual(r.lines, [
      `E: Echo failed: 127.0.0.1:${status.port} (ANY-SCP): the peer answered 0x0211 - Failure`,
    ]);
  } finally {
    await status.close();
  }
  // --echo needs addr and port only.
  const usage = await runCli(["--echo", "127.0.0.1"]);
  assert.equal(usage.code, 2);
  assert.equal(usage.lines[1], "storescu: error: the following arguments are required: port");
});

Deno.test("--echo against DCMTK storescp: Success; its --refuse gives the rejection", async () => {
  const scp = await startStorescp();
  try {
    const r = await runCli(["--echo", "127.0.0.1", String(scp.port)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.lines[0], ECHO_OK);
    assert.deepEqual(await listDir(scp.dir), []);
  } finally {
    await scp.stop();
    await Deno.remove(scp.dir, { recursive: true });
  }
  const refusing = await startStorescp(["--refuse"]);
  try {
    const r = await runCli(["--echo", "127.0.0.1", String(refusing.port)]);
    assert.equal(r.code, 1);
    assert.match(r.lines[0], /^E: Echo failed: .*: association rejected \(permanent, /);
  } finally {
    await refusing.stop();
    await Deno.remove(refusing.dir, { recursive: true });
  }
});

Deno.test("--echo against DCMTK storescp without Verification in its profile: no accepted context", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-echo-cfg-" });
  const cfg = `${dir}/noecho.cfg`;
  await Deno.writeTextFile(
    cfg,
    [
      "[[TransferSyntaxes]]",
      "[Uncompressed]",
      "TransferSyntax1 = LittleEndianExplicit",
      "TransferSyntax2 = LittleEndianImplicit",
      "[[PresentationContexts]]",
      "[NoEcho]",
      "PresentationContext1 = CTImageStorage\\Uncompressed",
      "[[Profiles]]",
      "[NoEcho]",
      "PresentationContexts = NoEcho",
      "",
    ].join("\n"),
  );
  const scp = await startStorescp(["-xf", cfg, "NoEcho"]);
  try {
    const r = await runCli(["--echo", "127.0.0.1", String(scp.port)]);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(r.lines, [
      `E: Echo failed: 127.0.0.1:${scp.port} (ANY-SCP): no accepted presentation contexts`,
    ]);
  } finally {
    await scp.stop();
    await Deno.remove(scp.dir, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--echo against Orthanc: a known caller is answered, an unknown one rejected", async () => {
  const orthanc = await startOrthanc(true);
  try {
    const port = String(orthanc.dicomPort);
    const ok = await runCli(["--echo", "127.0.0.1", port, "-aet", "TESTSCU", "-aec", "ORTHANC"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.lines[0], /^Echo: 127\.0\.0\.1:\d+ \(ORTHANC\) answered Success in /);
    const r = await echo({
      address: "127.0.0.1",
      port: orthanc.dicomPort,
      callingAeTitle: "TESTSCU",
      calledAeTitle: "ORTHANC",
    });
    assert.equal(r.status, 0);
    assert.equal(r.peer.maxPduLength, 4096);
    const bad = await runCli(["--echo", "127.0.0.1", port, "-aec", "ORTHANC"]);
    assert.equal(bad.code, 1);
    assert.match(
      bad.lines[0],
      /^E: Echo failed: .*\(ORTHANC\): association rejected \(permanent, /,
    );
  } finally {
    await orthanc.stop();
  }
});

Deno.test("--echo with paths: echo first, then the files over a new association", async () => {
  const scp = await startStorescp();
  try {
    const ct = `${repoRoot}/testdata/ct_explicit_le.dcm`;
    const r = await runCli(["--echo", "127.0.0.1", String(scp.port), ct, "-v"]);
    assert.equal(r.code, 0, r.stderr);
    const firstSend = r.lines.indexOf(`I: Sending file: ${ct}`);
    const echoLine = r.lines.findIndex((l) => ECHO_OK.test(l));
    assert.ok(echoLine >= 0 && echoLine < firstSend, r.stderr);
    assert.equal(r.lines.filter((l) => l === "I: Requesting Association").length, 2);
    assert.equal(r.lines.at(-1), "Summary: 1 file: 1 success, 0 warning, 0 failed, 0 not sent");
    assert.equal((await listDir(scp.dir)).length, 1);
  } finally {
    await scp.stop();
    await Deno.remove(scp.dir, { recursive: true });
  }
});

Deno.test("--echo with paths, echo failing: nothing sent, every file named not sent, exit 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-echo-" });
  const scp = startStorageScp({ aeTitle: "RIGHT" });
  try {
    await writeCtFiles(dir, 2);
    const r = await runCli([
      "--echo",
      "127.0.0.1",
      String(scp.port),
      dir,
      `${dir}/missing.dcm`,
      "-aec",
      "WRONG",
      "--report",
      "-",
    ]);
    assert.equal(r.code, 1, r.stderr);
    const why = "association rejected (permanent, source 1, reason 7)";
    assert.deepEqual(r.lines, [
      `E: Echo failed: 127.0.0.1:${scp.port} (WRONG): ${why}`,
      `E: Cannot access path: ${dir}/missing.dcm`,
      `E: Not sent: ${dir}/missing.dcm: Cannot access path: no such file or directory`,
      `E: Not sent: ${dir}/ct00000.dcm: C-ECHO failed: ${why}`,
      `E: Not sent: ${dir}/ct00001.dcm: C-ECHO failed: ${why}`,
      "Summary: 3 files: 0 success, 0 warning, 0 failed, 3 not sent",
    ]);
    assert.equal(scp.requests.length, 1, "only the echo's association was asked for");
    const report = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(report.map((l) => l.outcome), ["not-sent", "not-sent", "not-sent"]);
  } finally {
    await scp.close();
    await Deno.remove(dir, { recursive: true });
  }
});
