import { deepEqual, equal, rejects } from "node:assert/strict";
import { ConversionError } from "../lib/part10/errors.ts";
import { ElementInput } from "../lib/part10/input.ts";

const EXPLICIT_LE = { explicitVr: true, littleEndian: true };
const IMPLICIT_LE = { explicitVr: false, littleEndian: true };
const EXPLICIT_BE = { explicitVr: true, littleEndian: false };

/** An input over `bytes`, handed out `step` bytes per read (headers split across reads). */
function inputOf(bytes: number[], step = bytes.length): ElementInput {
  let off = 0;
  return new ElementInput((p) => {
    if (off >= bytes.length) return Promise.resolve(null);
    const n = Math.min(step, p.length, bytes.length - off);
    p.set(bytes.slice(off, off + n));
    off += n;
    return Promise.resolve(n);
  }, 16);
}

Deno.test("ElementInput.header: PS3.5 7.1.2 short and long explicit headers, 7.1.3 implicit", async () => {
  // (0010,0010) PN, 4 bytes: tag, "PN", 16-bit length.
  deepEqual(
    await inputOf([0x10, 0, 0x10, 0, 0x50, 0x4e, 4, 0]).header(EXPLICIT_LE),
    { tag: 0x00100010, vr: "PN", length: 4, headerLength: 8 },
  );
  // (7FE0,0010) OB: tag, "OB", 2 reserved bytes, 32-bit length; read one byte at a time.
  const ob = [0xe0, 0x7f, 0x10, 0, 0x4f, 0x42, 0, 0, 0x00, 0x01, 0x02, 0x00];
  deepEqual(await inputOf(ob, 1).header(EXPLICIT_LE), {
    tag: 0x7fe00010,
    vr: "OB",
    length: 0x20100,
    headerLength: 12,
  });
  // Implicit: tag and a 32-bit length, no VR.
  deepEqual(
    await inputOf([0x08, 0, 0x18, 0, 6, 0, 0, 0]).header(IMPLICIT_LE),
    { tag: 0x00080018, vr: undefined, length: 6, headerLength: 8 },
  );
  // Big endian: tag and length in the other byte order.
  deepEqual(
    await inputOf([0, 0x28, 0, 0x10, 0x55, 0x53, 0, 2]).header(EXPLICIT_BE),
    { tag: 0x00280010, vr: "US", length: 2, headerLength: 8 },
  );
});

Deno.test("ElementInput.header: items and delimiters have no VR, even in an explicit data set", async () => {
  // (FFFE,E000) Item of undefined length.
  deepEqual(
    await inputOf([0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]).header(EXPLICIT_LE),
    { tag: 0xfffee000, vr: undefined, length: 0xffffffff, headerLength: 8 },
  );
});

Deno.test("ElementInput.header: does not consume; null at a clean end", async () => {
  const input = inputOf([0x10, 0, 0x10, 0, 0x50, 0x4e, 2, 0, 0x41, 0x20]);
  const h = await input.header(EXPLICIT_LE);
  equal(h?.length, 2);
  equal(input.pos, 0);
  input.skip(10);
  equal(await input.header(EXPLICIT_LE), null);
});

Deno.test("ElementInput.header: a cut header or an unknown VR is a ConversionError at its byte", async () => {
  const cut = inputOf([0x10, 0, 0x10, 0, 0x50]);
  await rejects(cut.header(EXPLICIT_LE), (e: unknown) => {
    equal((e as ConversionError).code, "truncated");
    equal((e as Error).message, "data set ends unexpectedly at byte 0");
    return e instanceof ConversionError;
  });
  // A long VR whose 32-bit length is missing.
  const cutLong = inputOf([0xe0, 0x7f, 0x10, 0, 0x4f, 0x42, 0, 0, 1, 2]);
  await rejects(cutLong.header(EXPLICIT_LE), { code: "truncated" });
  const badVr = inputOf([2, 0, 4, 0, 0x7a, 0x7a, 0, 0, 0, 0]);
  await rejects(badVr.header(EXPLICIT_LE), (e: unknown) => {
    equal((e as ConversionError).code, "malformed");
    equal((e as Error).message, 'invalid VR "zz" in (0002,0004) at data set byte 0');
    return e instanceof ConversionError;
  });
});

Deno.test("ElementInput.plainElements: whole buffered elements up to a stop group, a sequence, an undefined length or a cut", async () => {
  const pn = [0x10, 0, 0x10, 0, 0x50, 0x4e, 4, 0, 0x41, 0x5e, 0x42, 0x20]; // (0010,0010) PN "A^B "
  // (0009,1010) OB, 2 bytes: a long header (reserved bytes, 32-bit length).
  const ob = [0x09, 0, 0x10, 0x10, 0x4f, 0x42, 0, 0, 2, 0, 0, 0, 1, 2];
  const us = [0x28, 0, 0x10, 0, 0x55, 0x53, 2, 0, 0, 2]; // (0028,0010) US 512
  const stop28 = (group: number) => group === 0x0028;
  const whole = async (bytes: number[], size = bytes.length) => {
    const input = inputOf(bytes, size); // `size` bytes a read: `size` buffered
    await input.ensure(size);
    return input.plainElements(stop28);
  };
  equal(await whole([...pn, ...ob, ...us]), pn.length + ob.length);
  equal(await whole([...us, ...pn]), 0);
  // (0008,1140) SQ of defined length: a sequence is read element by element.
  equal(await whole([...pn, 0x08, 0, 0x40, 0x11, 0x53, 0x51, 0, 0, 0, 0, 0, 0]), pn.length);
  // (0009,1011) UN of undefined length.
  equal(
    await whole([...pn, 0x09, 0, 0x11, 0x10, 0x55, 0x4e, 0, 0, 0xff, 0xff, 0xff, 0xff]),
    pn.length,
  );
  // An item tag at the top level, and a VR that isn't one: left to the header reader.
  equal(await whole([...pn, 0xfe, 0xff, 0x00, 0xe0, 0, 0, 0, 0]), pn.length);
  equal(await whole([...pn, 0x10, 0, 0x20, 0, 0x5a, 0x5a, 0, 0]), pn.length);
  // Only what is wholly buffered: the OB's value is cut.
  equal(await whole([...pn, ...ob], pn.length + ob.length - 1), pn.length);
  // Nothing buffered yet.
  equal(inputOf(pn).plainElements(stop28), 0);
});
