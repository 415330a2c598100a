/**
 * Named destinations (lib/cli/destinations.ts): the file's schema checked field by field with
 * one-line errors (exit 2), the default location under the user's config folder, and
 * command-line options overriding the destination.
 */
import assert from "node:assert/strict";
import { DestinationError, parseDestination } from "../lib/cli/destinations.ts";
import { parseArgs, UsageError } from "../lib/cli/options.ts";
import { startStorageScp } from "../lib/scp.ts";
import { repoRoot, runCli } from "./peers.ts";

const CT = `${repoRoot}/testdata/ct_explicit_le.dcm`;

function problem(text: string, name = "pacs"): string {
  try {
    parseDestination(text, name, "d.json");
  } catch (err) {
    assert.ok(err instanceof DestinationError, String(err));
    return err.message;
  }
  assert.fail(`no error for ${text}`);
}

const file = (destinations: unknown) => JSON.stringify({ destinations });

Deno.test("parseDestination: a good entry, with optional AE titles and description", () => {
  const d = parseDestination(
    file({
      pacs: {
        host: "10.0.0.5",
        port: 104,
        calledAeTitle: "PACS",
        callingAeTitle: "ME",
        description: "the archive",
      },
      other: { host: "x", port: 1 },
    }),
    "pacs",
    "d.json",
  );
  assert.deepEqual(d, {
    host: "10.0.0.5",
    port: 104,
    calledAeTitle: "PACS",
    callingAeTitle: "ME",
    description: "the archive",
  });
  assert.deepEqual(parseDestination(file({ other: { host: "x", port: 1 } }), "other", "f"), {
    host: "x",
    port: 1,
  });
});

Deno.test("parseDestination: every problem is one line naming the file, the entry and the field", () => {
  assert.match(problem('{ "destinations": { , } }'), /^d\.json: not valid JSON: /);
  assert.equal(
    problem("[]"),
    'd.json: expected an object with "destinations": { "NAME": { "host": ..., "port": ... } }',
  );
  assert.equal(problem(file({})), "d.json: no destination 'pacs' (the file defines none)");
  assert.equal(
    problem(file({ a: { host: "x", port: 1 }, b: { host: "y", port: 2 } })),
    "d.json: no destination 'pacs' (known: a, b)",
  );
  assert.equal(
    problem(file({ pacs: { host: "x", port: "104" } })),
    "d.json: destination 'pacs': port must be an integer 1-65535, not \"104\"",
  );
  assert.equal(
    problem(file({ pacs: { host: "x", port: 70000 } })),
    "d.json: destination 'pacs': port must be an integer 1-65535, not number 70000",
  );
  assert.equal(
    problem(file({ pacs: { host: "", port: 104 } })),
    "d.json: destination 'pacs': host must be a non-empty string, not \"\"",
  );
  assert.equal(
    problem(file({ pacs: { host: "x", port: 104, calledAeTitle: "ABCDEFGHIJKLMNOPQ" } })),
    "d.json: destination 'pacs': calledAeTitle Invalid 'ae_title' value 'ABCDEFGHIJKLMNOPQ' - " +
      'must not exceed 16 characters, not "ABCDEFGHIJKLMNOPQ"',
  );
  assert.equal(
    problem(file({ pacs: { host: "x", port: 104, callingAeTitle: 7 } })),
    "d.json: destination 'pacs': callingAeTitle must be a string, not number 7",
  );
  assert.equal(
    problem(file({ pacs: { host: "x", port: 104, aet: "ME" } })),
    "d.json: destination 'pacs': unknown field 'aet' (known: host, port, calledAeTitle, " +
      "callingAeTitle, description, tls, identity)",
  );
  assert.equal(
    problem(file({ pacs: { port: 104 } })),
    "d.json: destination 'pacs': 'host' is missing",
  );
  assert.equal(
    problem(file({ pacs: "10.0.0.5:104" })),
    "d.json: destination 'pacs': must be an object",
  );
  assert.equal(
    problem(JSON.stringify({ destinations: {}, defaults: {} })),
    "d.json: unknown top-level key 'defaults'",
  );
  // "$schema" is allowed at the top.
  assert.equal(
    parseDestination(
      JSON.stringify({ $schema: "x", destinations: { pacs: { host: "h", port: 1 } } }),
      "pacs",
      "f",
    ).host,
    "h",
  );
});

Deno.test("parseDestination: TLS and identity settings, checked field by field", () => {
  const d = parseDestination(
    file({
      pacs: {
        host: "x",
        port: 2762,
        tls: { ca: ["a.pem", "b.pem"], cert: "me.pem", key: "me.key", serverName: "pacs" },
        identity: { username: "u", passwordFile: "pw", response: true },
      },
    }),
    "pacs",
    "d.json",
  );
  assert.deepEqual(d.tls, {
    ca: ["a.pem", "b.pem"],
    cert: "me.pem",
    key: "me.key",
    serverName: "pacs",
  });
  assert.equal(
    parseDestination(file({ p: { host: "x", port: 1, tls: true } }), "p", "d").tls,
    true,
  );
  assert.equal(
    problem(file({ pacs: { host: "x", port: 2762, tls: { ca: 5 } } })),
    "d.json: destination 'pacs': tls .ca must be a file name or a list of them, not object {\"ca\":5}",
  );
  assert.equal(
    problem(file({ pacs: { host: "x", port: 2762, tls: { verify: false } } })),
    "d.json: destination 'pacs': tls has unknown field 'verify' (known: ca, cert, key, " +
      'serverName, insecure), not object {"verify":false}',
  );
  assert.equal(
    problem(file({ pacs: { host: "x", port: 104, identity: { password: "s3cret" } } })),
    "d.json: destination 'pacs': identity has unknown field 'password' (known: username, " +
      "passwordFile, kerberosFile, samlFile, jwtFile, response), not object " +
      '{"password":"s3cret"}',
  );
});

Deno.test("--dest with TLS and an identity: files from the destination's folder, options override", async () => {
  const { applyDestination } = await import("../lib/cli/destinations.ts");
  const dir = await Deno.makeTempDir({ prefix: "storescu-dest-" });
  await Deno.writeTextFile(
    `${dir}/d.json`,
    file({
      pacs: {
        host: "127.0.0.1",
        port: 2762,
        tls: { ca: "ca.pem", cert: "/etc/me.pem", key: "me.key" },
        identity: { username: "u", passwordFile: "pw", response: true },
      },
      half: { host: "h", port: 1, identity: { passwordFile: "pw" } },
    }),
  );
  const o = parseArgs(["--dest", "pacs", "--config", `${dir}/d.json`, "a.dcm"]);
  applyDestination(o);
  assert.deepEqual(
    [o.tls, o.tlsCa, o.tlsCert, o.tlsKey, o.user, o.passwordFile, o.userResponse],
    [true, [`${dir}/ca.pem`], "/etc/me.pem", `${dir}/me.key`, "u", `${dir}/pw`, true],
  );
  const own = parseArgs([
    "--dest",
    "pacs",
    "--config",
    `${dir}/d.json`,
    "--tls-ca",
    "other.pem",
    "--jwt-file",
    "t",
    "a.dcm",
  ]);
  applyDestination(own);
  assert.deepEqual([own.tlsCa, own.user, own.jwtFile], [["other.pem"], undefined, "t"]);
  const bad = parseArgs(["--dest", "half", "--config", `${dir}/d.json`, "a.dcm"]);
  assert.throws(
    () => applyDestination(bad),
    (e: Error) =>
      e instanceof DestinationError &&
      e.message === `${dir}/d.json: destination 'half': argument --password-file: needs --user`,
  );
});

Deno.test("parseArgs: with --dest every positional is a path; --config needs --dest", () => {
  const o = parseArgs(["--dest", "pacs", "a.dcm", "b/"]);
  assert.equal(o.dest, "pacs");
  assert.deepEqual(o.paths, ["a.dcm", "b/"]);
  assert.equal(o.addr, "");
  assert.deepEqual(parseArgs(["--dest", "pacs", "--echo"]).paths, []);
  assert.throws(
    () => parseArgs(["--dest", "pacs"]),
    (e) => e instanceof UsageError && e.message === "the following arguments are required: path",
  );
  assert.throws(
    () => parseArgs(["--config", "f", "h", "1", "p"]),
    (e) => e instanceof UsageError && e.message === "argument --config: only with --dest",
  );
});

async function withConfig(
  destinations: unknown,
  body: (dir: string, path: string) => Promise<void>,
) {
  const dir = await Deno.makeTempDir({ prefix: "storescu-dest-" });
  try {
    await Deno.mkdir(`${dir}/storescu`);
    const path = `${dir}/storescu/destinations.json`;
    await Deno.writeTextFile(path, JSON.stringify({ destinations }, null, 2));
    await body(dir, path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("--dest: host, port and AE titles from the file; -aet/-aec override them", async () => {
  const scp = startStorageScp({ aeTitle: "PACS" });
  try {
    await withConfig({
      pacs: { host: "127.0.0.1", port: scp.port, calledAeTitle: "PACS", callingAeTitle: "FROMCFG" },
      wrong: { host: "127.0.0.1", port: scp.port, calledAeTitle: "NOTPACS" },
    }, async (_dir, path) => {
      const r = await runCli(["--dest", "pacs", "--config", path, CT, "-v"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        r.lines[0],
        `I: Destination pacs: 127.0.0.1:${scp.port} (PACS), from ${path}`,
      );
      assert.equal(scp.received.at(-1)?.callingAeTitle, "FROMCFG");
      const over = await runCli(["--dest", "pacs", "--config", path, CT, "-aet", "OVERRIDE"]);
      assert.equal(over.code, 0, over.stderr);
      assert.equal(scp.received.at(-1)?.callingAeTitle, "OVERRIDE");
      // The destination's called AE title is wrong; -aec on the command line wins.
      const bad = await runCli(["--dest", "wrong", "--config", path, CT]);
      assert.equal(bad.code, 1);
      const fixed = await runCli(["--dest", "wrong", "--config", path, CT, "-aec", "PACS"]);
      assert.equal(fixed.code, 0, fixed.stderr);
      // With --echo, no path at all.
      const echo = await runCli(["--dest", "pacs", "--config", path, "--echo"]);
      assert.equal(echo.code, 0, echo.stderr);
      assert.match(echo.lines[0], /^Echo: 127\.0\.0\.1:\d+ \(PACS\) answered Success/);
    });
  } finally {
    await scp.close();
  }
});

Deno.test("--dest: the default file is under $XDG_CONFIG_HOME, else ~/.config (needs env permission)", async () => {
  const scp = startStorageScp();
  try {
    await withConfig({ pacs: { host: "127.0.0.1", port: scp.port } }, async (dir) => {
      const env = "--allow-env=XDG_CONFIG_HOME,HOME";
      const xdg = await runCli(["--dest", "pacs", CT], {
        denoFlags: [env],
        env: { XDG_CONFIG_HOME: dir },
      });
      assert.equal(xdg.code, 0, xdg.stderr);
      await Deno.mkdir(`${dir}/home/.config`, { recursive: true });
      await Deno.rename(`${dir}/storescu`, `${dir}/home/.config/storescu`);
      const home = await runCli(["--dest", "pacs", CT], {
        denoFlags: [env],
        env: { XDG_CONFIG_HOME: "", HOME: `${dir}/home` },
      });
      assert.equal(home.code, 0, home.stderr);
      assert.equal(scp.received.length, 2);
      // Without env permission the default can't be found: one line saying what to do.
      const noEnv = await runCli(["--dest", "pacs", CT], { env: { HOME: `${dir}/home` } });
      assert.equal(noEnv.code, 2);
      assert.deepEqual(noEnv.lines, [
        "storescu: error: --dest: can't find your config folder without env permission: run " +
        "with --allow-env=XDG_CONFIG_HOME,HOME, or name the file with --config FILE",
      ]);
      // And a default file that is not there says where it looked.
      const missing = await runCli(["--dest", "pacs", CT], {
        denoFlags: [env],
        env: { XDG_CONFIG_HOME: `${dir}/none` },
      });
      assert.equal(missing.code, 2);
      assert.deepEqual(missing.lines, [
        `storescu: error: ${dir}/none/storescu/destinations.json: no such file (see README, "Destinations")`,
      ]);
    });
  } finally {
    await scp.close();
  }
});

Deno.test("--dest: file problems are one line and exit 2 (no usage line, no stack trace)", async () => {
  await withConfig({ pacs: { host: "h", port: 104 } }, async (dir, path) => {
    const cases: [string, string][] = [
      [`${dir}/nope.json`, `${dir}/nope.json: no such file (see README, "Destinations")`],
      [dir, `${dir}: a directory`],
    ];
    await Deno.writeTextFile(`${dir}/bad.json`, '{"destinations": {"pacs": {"host": "h",}}}');
    for (const [config, line] of cases) {
      const r = await runCli(["--dest", "pacs", "--config", config, CT]);
      assert.equal(r.code, 2, r.stderr);
      assert.deepEqual(r.lines, [`storescu: error: ${line}`]);
    }
    const bad = await runCli(["--dest", "pacs", "--config", `${dir}/bad.json`, CT]);
    assert.equal(bad.code, 2);
    assert.equal(bad.lines.length, 1);
    assert.match(bad.lines[0], new RegExp(`^storescu: error: ${dir}/bad\\.json: not valid JSON: `));
    const unknown = await runCli(["--dest", "archive", "--config", path, CT]);
    assert.equal(unknown.code, 2);
    assert.deepEqual(unknown.lines, [
      `storescu: error: ${path}: no destination 'archive' (known: pacs)`,
    ]);
    // Reading it needs read permission, never prompted for.
    const noRead = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-N",
        `--allow-read=${repoRoot}`,
        "--no-prompt",
        `${repoRoot}/cli.ts`,
        "--dest",
        "pacs",
        "--config",
        path,
        CT,
      ],
      stderr: "piped",
      stdout: "piped",
    }).output();
    assert.equal(noRead.code, 2);
    assert.equal(
      new TextDecoder().decode(noRead.stderr),
      `storescu: error: ${path}: no read permission; run with -R (or --allow-read=${path})\n`,
    );
  });
});
