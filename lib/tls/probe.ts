/**
 * Telling which protocol a port speaks, after a connection failed in a way that does not say
 * (DCMTK resets the connection on a stray TLS ClientHello or a stray PDU, without a word): one
 * short extra connection that sends a TLS ClientHello, or an A-ASSOCIATE-RQ for Verification
 * (aborted at once if accepted), and looks at the first bytes of the answer. Used only on the
 * failure path, to name the cause.
 *
 * @module
 */

import { buildAssociateRQ } from "../acse.ts";
import { encodePdu } from "../pdu/encode.ts";
import { closeQuietly } from "../transport.ts";
import { after } from "../watchdog.ts";

/** Connects, sends `hello`, returns the first bytes of the answer (empty: none, or no connection). */
async function firstAnswer(
  hostname: string,
  port: number,
  hello: Uint8Array,
  seconds: number,
): Promise<{ bytes: Uint8Array; conn?: Deno.Conn }> {
  let conn: Deno.Conn | undefined;
  let timedOut = false;
  const cancel = after(seconds * 1000, () => {
    timedOut = true;
    closeQuietly(conn);
  });
  try {
    conn = await Deno.connect({ hostname, port });
    if (timedOut) throw new Error("timed out");
    let off = 0;
    while (off < hello.length) off += await conn.write(hello.subarray(off));
    const buf = new Uint8Array(16);
    let got = 0;
    while (got < 2) {
      const n = await conn.read(buf.subarray(got));
      if (n === null) break;
      got += n;
    }
    return { bytes: buf.subarray(0, got), conn };
  } catch {
    closeQuietly(conn);
    return { bytes: new Uint8Array() };
  } finally {
    cancel();
  }
}

function u16(n: number): number[] {
  return [n >> 8, n & 0xff];
}

/** A ClientHello any TLS 1.2 or 1.3 server answers (with a ServerHello or an alert). */
function clientHello(): Uint8Array {
  const ext = (type: number, body: number[]) => [...u16(type), ...u16(body.length), ...body];
  const list16 = (items: number[]) => [...u16(items.length * 2), ...items.flatMap(u16)];
  const extensions = [
    // supported_versions: TLS 1.3, 1.2
    ...ext(0x002b, [4, 0x03, 0x04, 0x03, 0x03]),
    // supported_groups: x25519, secp256r1, secp384r1
    ...ext(0x000a, list16([0x001d, 0x0017, 0x0018])),
    // signature_algorithms
    ...ext(0x000d, list16([0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601])),
    // key_share: none offered (a TLS 1.3 server answers with a HelloRetryRequest)
    ...ext(0x0033, [0, 0]),
    // ec_point_formats: uncompressed
    ...ext(0x000b, [1, 0]),
  ];
  const random = crypto.getRandomValues(new Uint8Array(32));
  const suites = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8];
  const body = [
    0x03,
    0x03,
    ...random,
    0, // session id
    ...list16(suites),
    1,
    0, // compression: null
    ...u16(extensions.length),
    ...extensions,
  ];
  const handshake = [1, 0, ...u16(body.length), ...body];
  return new Uint8Array([0x16, 0x03, 0x01, ...u16(handshake.length), ...handshake]);
}

/**
 * True when the port answers a TLS ClientHello with a TLS record (a ServerHello or an alert).
 *
 * @example
 * ```ts ignore
 * import { peerSpeaksTls } from "./probe.ts";
 * await peerSpeaksTls("127.0.0.1", 2762, 3); // true for a DICOM TLS port
 * ```
 */
export async function peerSpeaksTls(
  hostname: string,
  port: number,
  seconds: number,
): Promise<boolean> {
  const { bytes, conn } = await firstAnswer(hostname, port, clientHello(), seconds);
  closeQuietly(conn);
  return bytes.length >= 2 && (bytes[0] === 0x15 || bytes[0] === 0x16) && bytes[1] === 0x03;
}

/**
 * True when the port answers a plain A-ASSOCIATE-RQ (Verification) with a DICOM PDU: an
 * A-ASSOCIATE-AC (then aborted at once), an A-ASSOCIATE-RJ or an A-ABORT.
 *
 * @example
 * ```ts ignore
 * import { peerSpeaksDicom } from "./probe.ts";
 * await peerSpeaksDicom("127.0.0.1", 104, 3); // true for a plain DICOM port
 * ```
 */
export async function peerSpeaksDicom(
  hostname: string,
  port: number,
  seconds: number,
): Promise<boolean> {
  const rq = encodePdu(buildAssociateRQ({
    callingAeTitle: "STORESCU",
    calledAeTitle: "ANY-SCP",
    presentationContexts: [{
      id: 1,
      abstractSyntax: "1.2.840.10008.1.1",
      transferSyntaxes: ["1.2.840.10008.1.2"],
    }],
    maxPduLength: 16382,
  }));
  const { bytes, conn } = await firstAnswer(hostname, port, rq, seconds);
  const dicom = bytes.length >= 2 && bytes[1] === 0 &&
    (bytes[0] === 0x02 || bytes[0] === 0x03 || bytes[0] === 0x07);
  try {
    if (conn && bytes[0] === 0x02) {
      await conn.write(new Uint8Array([0x07, 0, 0, 0, 0, 4, 0, 0, 0, 0]));
    }
  } catch {
    // gone already
  }
  closeQuietly(conn);
  return dicom;
}
