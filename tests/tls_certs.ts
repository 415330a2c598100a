/**
 * Test certificates, made at test time with `openssl` in a temp dir (once per test process):
 * a test CA; server and client certificates it signed (subjectAltName DNS:localhost,
 * IP:127.0.0.1); an expired server certificate; and another CA with a certificate of its own,
 * which nothing here trusts.
 *
 * @module
 */

/** Paths of the PEM files. */
export interface TestCerts {
  dir: string;
  /** The test CA's certificate. */
  ca: string;
  /** Server certificate and key (signed by the CA). */
  serverCert: string;
  serverKey: string;
  /** Client certificate and key (signed by the CA). */
  clientCert: string;
  clientKey: string;
  /** A server certificate signed by the CA that expired on 2021-01-01, and its key. */
  expiredCert: string;
  expiredKey: string;
  /** A self-signed CA nobody trusts, used as a certificate and key of its own. */
  otherCert: string;
  otherKey: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const r = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!r.success) {
    throw new Error(`openssl ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
  }
}

const EXT = "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n";

const CA_CONF = `[ca]
default_ca = tca
[tca]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = pol
copy_extensions = none
unique_subject = no
[pol]
commonName = supplied
[ext]
subjectAltName = DNS:localhost,IP:127.0.0.1
basicConstraints = CA:FALSE
`;

let made: Promise<TestCerts> | undefined;

/** Makes (once) and returns the test certificates. */
export function testCerts(): Promise<TestCerts> {
  made ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "storescu-certs-" });
    const req = (key: string, out: string, cn: string, extra: string[] = []) =>
      openssl([
        "req",
        ...extra,
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key,
        "-out",
        out,
        "-subj",
        `/CN=${cn}`,
      ], dir);
    await req("ca.key", "ca.pem", "storescu test CA", ["-x509", "-days", "3650"]);
    await req("other.key", "other.pem", "untrusted CA", ["-x509", "-days", "3650"]);
    await Deno.writeTextFile(`${dir}/leaf.ext`, EXT);
    for (const name of ["server", "client"]) {
      await req(`${name}.key`, `${name}.csr`, name);
      await openssl([
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "3650",
        "-extfile",
        "leaf.ext",
        "-out",
        `${name}.pem`,
      ], dir);
    }
    // An expired one: `openssl ca` is the 3.0 tool that takes explicit dates.
    await Deno.writeTextFile(`${dir}/ca.cnf`, CA_CONF);
    await Deno.writeTextFile(`${dir}/index.txt`, "");
    await Deno.writeTextFile(`${dir}/serial`, "1000\n");
    await req("expired.key", "expired.csr", "expired");
    await openssl([
      "ca",
      "-batch",
      "-config",
      "ca.cnf",
      "-cert",
      "ca.pem",
      "-keyfile",
      "ca.key",
      "-in",
      "expired.csr",
      "-out",
      "expired.pem",
      "-startdate",
      "20200101000000Z",
      "-enddate",
      "20210101000000Z",
      "-extensions",
      "ext",
      "-notext",
    ], dir);
    const p = (f: string) => `${dir}/${f}`;
    return {
      dir,
      ca: p("ca.pem"),
      serverCert: p("server.pem"),
      serverKey: p("server.key"),
      clientCert: p("client.pem"),
      clientKey: p("client.key"),
      expiredCert: p("expired.pem"),
      expiredKey: p("expired.key"),
      otherCert: p("other.pem"),
      otherKey: p("other.key"),
    };
  })();
  return made;
}
