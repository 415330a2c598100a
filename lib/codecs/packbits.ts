/**
 * PackBits decoding (PS3.5 G.3.1: the run-length scheme of an RLE segment) as a small
 * WebAssembly module, assembled here from its instructions (no binary, no dependency) and
 * compiled on first use (about 1 ms). WebAssembly runs the byte loops at full speed from the
 * first frame (no warm-up) and without a bounds check per byte.
 *
 * Three functions:
 * - `unpack(from, to, at, count, stride)` decodes the segment in memory bytes `[from, to)` into
 *   every `stride`-th byte from `at`, `count` bytes at most, one byte at a time.
 * - `unpack1(from, to, at, count)` does the same into consecutive bytes, 16 bytes at a time
 *   (SIMD): it may write up to 15 bytes past `at + count` and read up to 15 past `to`, so the
 *   memory has that much room after the input and after each place decoded into.
 * - `zip2(lo, hi, at, n)` interleaves two planes of `n` bytes into `2n` bytes from `at`
 *   (`lo[0], hi[0], lo[1], ...`), 32 bytes at a time (up to 31 past the end); `hi` may be the
 *   second half of the destination itself (each block is read before it can be overwritten).
 *
 * The unpackers return how many of the `count` bytes they did not produce (the segment ended
 * early). A header byte `h` < 128 copies the next `h + 1` bytes, `h` > 128 repeats the next
 * byte `257 - h` times, 128 does nothing. 16-bit samples (two segments, most significant
 * first) decode as two planes `unpack1` fills and `zip2` interleaves: a 512 KB CT frame in
 * 0.11 ms once warm, against 0.35 ms byte by byte (100 frames in one process, the compile
 * included: 29 ms against 48).
 *
 * @module
 */

// Opcodes (WebAssembly core specification 5.4).
// deno-fmt-ignore
const BLOCK = 0x02, LOOP = 0x03, IF = 0x04, ELSE = 0x05, END = 0x0b, BR = 0x0c, BR_IF = 0x0d;
const GET = 0x20, SET = 0x21, TEE = 0x22, CONST = 0x41, LOAD8_U = 0x2d, STORE8 = 0x3a;
const EQZ = 0x45, LT_U = 0x49, GT_U = 0x4b, GE_U = 0x4f, ADD = 0x6a, SUB = 0x6b;
const VOID = 0x40, I32 = 0x7f, V128 = 0x7b;
/** SIMD instructions (prefix 0xfd) with their immediates: load and store take a memory argument. */
const V128_LOAD = [0xfd, 0x00, 0, 0], I8X16_SPLAT = [0xfd, 0x0f];
const v128Store = (offset: number) => [0xfd, 0x0b, 0, ...uleb(offset)];
const shuffle = (lanes: number[]) => [0xfd, 0x0d, ...lanes];

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    const b = n & 0x7f;
    n >>>= 7;
    out.push(n ? b | 0x80 : b);
  } while (n);
  return out;
}

const get = (x: number) => [GET, x];
const set = (x: number) => [SET, x];
const i32 = (x: number) => [CONST, ...sleb(x)];
/** `if (a > b) a = b` for locals a, b. */
const atMost = (
  a: number,
  b: number,
) => [...get(a), ...get(b), GT_U, IF, VOID, ...get(b), ...set(a), END];
/** `x += by`. */
const inc = (x: number, by: number[]) => [...get(x), ...by, ADD, ...set(x)];

/** The locals an unpacker's loop uses: its four leading parameters, then its own i32s. */
interface Locals {
  FROM: number;
  TO: number;
  AT: number;
  COUNT: number;
  I: number;
  O: number;
  LEFT: number;
  H: number;
  K: number;
  E: number;
}

/**
 * An unpacker's body, one statement a line (`BR_IF n` leaves n + 1 enclosing blocks): the
 * PackBits loop over the segment in `[from, to)`, into `at`, `count` bytes at most; returns
 * how many it did not produce. `literal` copies the K bytes from I to O (leaving I and O past
 * them), `value` reads the byte to repeat at I, `replicate` stores it K times from O.
 */
function unpacker(
  { FROM, TO, AT, COUNT, I, O, LEFT, H, K, E }: Locals,
  literal: number[],
  value: number[],
  replicate: number[],
): number[] {
  // deno-fmt-ignore
  return [
    ...get(FROM), ...set(I), ...get(AT), ...set(O), ...get(COUNT), ...set(LEFT),
    BLOCK, VOID, LOOP, VOID,
    ...get(I), ...get(TO), GE_U, BR_IF, 1, // segment over: out
    ...get(LEFT), EQZ, BR_IF, 1, // all produced: out
    ...get(I), LOAD8_U, 0, 0, ...set(H), ...inc(I, i32(1)),
    ...get(H), ...i32(128), LT_U,
    IF, VOID,
    // Literal run of k = h + 1 bytes (fewer when the segment or the output ends first).
    ...get(H), ...i32(1), ADD, ...set(K),
    ...get(K), ...get(TO), ...get(I), SUB, TEE, E, GT_U, IF, VOID, ...get(E), ...set(K), END,
    ...atMost(K, LEFT),
    ...get(LEFT), ...get(K), SUB, ...set(LEFT),
    ...literal,
    ELSE,
    ...get(H), ...i32(128), GT_U,
    IF, VOID,
    // Replicate run: the next byte 257 - h times.
    ...get(I), ...get(TO), GE_U, BR_IF, 3, // no byte to repeat: out
    ...value, ...inc(I, i32(1)),
    ...i32(257), ...get(H), SUB, ...set(K),
    ...atMost(K, LEFT),
    ...get(LEFT), ...get(K), SUB, ...set(LEFT),
    ...replicate,
    END, // 128: nothing
    END,
    BR, 0,
    END, END,
    ...get(LEFT),
    END,
  ];
}

/**
 * `unpack`: byte by byte, every `stride`-th byte (its locals after the five parameters: seven
 * i32).
 */
const UNPACK = (() => {
  // deno-fmt-ignore
  const FROM = 0, TO = 1, AT = 2, COUNT = 3, STRIDE = 4;
  const I = 5, O = 6, LEFT = 7, H = 8, K = 9, E = 10, V = 11;
  // deno-fmt-ignore
  return [
    1, 7, I32,
    ...unpacker({ FROM, TO, AT, COUNT, I, O, LEFT, H, K, E }, [
      ...get(I), ...get(K), ADD, ...set(E),
      BLOCK, VOID, LOOP, VOID,
      ...get(I), ...get(E), GE_U, BR_IF, 1,
      ...get(O), ...get(I), LOAD8_U, 0, 0, STORE8, 0, 0,
      ...inc(I, i32(1)), ...inc(O, get(STRIDE)),
      BR, 0,
      END, END,
    ], [
      ...get(I), LOAD8_U, 0, 0, ...set(V),
    ], [
      BLOCK, VOID, LOOP, VOID,
      ...get(K), EQZ, BR_IF, 1,
      ...get(O), ...get(V), STORE8, 0, 0,
      ...inc(O, get(STRIDE)), ...get(K), ...i32(1), SUB, ...set(K),
      BR, 0,
      END, END,
    ]),
  ];
})();

/**
 * `unpack1`: into consecutive bytes, a literal run copied and a replicate run stored 16 bytes
 * at a time (its locals after the four parameters: six i32, one v128).
 */
const UNPACK1 = (() => {
  // deno-fmt-ignore
  const FROM = 0, TO = 1, AT = 2, COUNT = 3, I = 4, O = 5, LEFT = 6, H = 7, K = 8, E = 9, VEC = 10;
  // deno-fmt-ignore
  return [
    2, 6, I32, 1, V128,
    ...unpacker({ FROM, TO, AT, COUNT, I, O, LEFT, H, K, E }, [
      // Blocks of 16 to o + k, then i and o step back to just past the run.
      ...get(O), ...get(K), ADD, ...set(E),
      LOOP, VOID,
      ...get(O), ...get(I), ...V128_LOAD, ...v128Store(0),
      ...inc(O, i32(16)), ...inc(I, i32(16)),
      ...get(O), ...get(E), LT_U, BR_IF, 0,
      END,
      ...get(I), ...get(O), ...get(E), SUB, SUB, ...set(I), ...get(E), ...set(O),
    ], [
      ...get(I), LOAD8_U, 0, 0, ...I8X16_SPLAT, ...set(VEC),
    ], [
      ...get(O), ...get(K), ADD, ...set(E),
      LOOP, VOID,
      ...get(O), ...get(VEC), ...v128Store(0),
      ...inc(O, i32(16)),
      ...get(O), ...get(E), LT_U, BR_IF, 0,
      END,
      ...get(E), ...set(O),
    ]),
  ];
})();

/**
 * The body of `zip2`: 16 bytes of each plane make 32 interleaved bytes (its locals after the
 * four parameters: one i32, two v128).
 */
const ZIP2 = (() => {
  const LO = 0, HI = 1, AT = 2, N = 3, I = 4, A = 5, B = 6;
  const low = Array.from({ length: 16 }, (_, j) => (j >> 1) + (j & 1 ? 16 : 0));
  const high = low.map((lane) => lane + 8);
  const out = [...get(AT), ...get(I), ...get(I), ADD, ADD];
  // deno-fmt-ignore
  return [
    2, 1, I32, 2, V128,
    BLOCK, VOID, LOOP, VOID,
    ...get(I), ...get(N), GE_U, BR_IF, 1,
    ...get(LO), ...get(I), ADD, ...V128_LOAD, ...set(A),
    ...get(HI), ...get(I), ADD, ...V128_LOAD, ...set(B),
    ...out, ...get(A), ...get(B), ...shuffle(low), ...v128Store(0),
    ...out, ...get(A), ...get(B), ...shuffle(high), ...v128Store(16),
    ...inc(I, i32(16)),
    BR, 0,
    END, END,
    END,
  ];
})();

function section(id: number, bytes: number[]): number[] {
  return [id, ...uleb(bytes.length), ...bytes];
}

function name(s: string): number[] {
  return [s.length, ...[...s].map((c) => c.charCodeAt(0))];
}

/**
 * The module's bytes: `unpack` and the memory (one page to start with), and with `simd` (the
 * default) `unpack1` and `zip2` too. A CPU without WebAssembly SIMD (x86-64 without SSE4.1)
 * can't compile those; {@link packBits} then falls back to the module without them.
 *
 * @example
 * ```ts
 * import { packBitsModule } from "./packbits.ts";
 * WebAssembly.validate(packBitsModule(false)); // true: no SIMD instruction in it
 * ```
 */
export function packBitsModule(simd = true): Uint8Array<ArrayBuffer> {
  const bodies = simd ? [UNPACK, UNPACK1, ZIP2] : [UNPACK];
  const i32s = (n: number) => [n, ...Array(n).fill(I32)];
  // deno-fmt-ignore
  const types = [
    0x60, ...i32s(5), ...i32s(1), // 0: (i32 x 5) -> i32
    ...simd ? [0x60, ...i32s(4), ...i32s(1)] : [], // 1: (i32 x 4) -> i32
    ...simd ? [0x60, ...i32s(4), 0] : [], // 2: (i32 x 4) -> ()
  ];
  const exports = [
    [...name("unpack"), 0, 0],
    ...(simd ? [[...name("unpack1"), 0, 1], [...name("zip2"), 0, 2]] : []),
    [...name("memory"), 2, 0],
  ];
  // deno-fmt-ignore
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [bodies.length, ...types]),
    ...section(3, [bodies.length, ...bodies.map((_, i) => i)]), // function i has type i
    ...section(5, [1, 0, 1]), // memory: 1 page, no maximum
    ...section(7, [exports.length, ...exports.flat()]),
    ...section(10, [bodies.length, ...bodies.flatMap((b) => [...uleb(b.length), ...b])]),
  ]);
}

type Unpack = (from: number, to: number, at: number, count: number, stride: number) => number;
type Unpack1 = (from: number, to: number, at: number, count: number) => number;
type Zip2 = (lo: number, hi: number, at: number, n: number) => void;
interface Exports {
  unpack: Unpack;
  unpack1?: Unpack1;
  zip2?: Zip2;
  memory: WebAssembly.Memory;
}

/** Memory kept from frame to frame; a frame that needs more gets an instance of its own. */
const KEEP = 64 * 1024 * 1024;
const PAGE = 65536;
/** Room after each region for the 16- and 32-byte blocks that run past its end. */
const SLACK = 32;

let compiled: WebAssembly.Module | undefined;
let kept: Exports | undefined;

/** The module with its SIMD functions, else (the CPU has no WebAssembly SIMD) without them. */
function compile(): WebAssembly.Module {
  try {
    return new WebAssembly.Module(packBitsModule(true));
  } catch (e) {
    if (!(e instanceof WebAssembly.CompileError)) throw e;
    return new WebAssembly.Module(packBitsModule(false));
  }
}

function instance(): Exports {
  compiled ??= compile();
  return new WebAssembly.Instance(compiled, {}).exports as unknown as Exports;
}

/** `n` rounded up to a multiple of 16, plus the slack. */
const region = (n: number) => Math.ceil(n / 16) * 16 + SLACK;

/**
 * Memory for one frame, views of one WebAssembly memory valid until the next call: `input`
 * (`inputLength` bytes, at address 0) to copy the frame into; `output` (`outputLength` bytes,
 * at address `outputAt`) that the functions write; `scratch` (`scratchLength` bytes at
 * `scratchAt`) for a plane to interleave. Each has room for the blocks that run past its end.
 */
export interface PackBitsMemory {
  /** Where the frame goes (address 0). */
  input: Uint8Array;
  /** Where the decoded bytes come out. */
  output: Uint8Array;
  /** The address of `output[0]`. */
  outputAt: number;
  /** The address of the scratch region. */
  scratchAt: number;
  /** Decodes the segment in `[from, to)` into every `stride`-th byte; see the module notes. */
  unpack: Unpack;
  /**
   * Decodes the segment in `[from, to)` into consecutive bytes; see the module notes.
   * Absent on a CPU without WebAssembly SIMD.
   */
  unpack1?: Unpack1;
  /** Interleaves two planes; see the module notes. Absent on a CPU without WebAssembly SIMD. */
  zip2?: Zip2;
}

/**
 * The decoder with room for a frame of `inputLength` bytes, its decoded `outputLength` and
 * `scratchLength` bytes of scratch.
 *
 * @example
 * ```ts
 * import { packBits } from "./packbits.ts";
 * const m = packBits(3, 4);
 * m.input.set([0xfd, 0x07]); // repeat 0x07 four times (-3 = 0xfd)
 * m.unpack(0, 2, m.outputAt, 4, 1); // 0: all four produced
 * m.output; // Uint8Array [7, 7, 7, 7]
 * ```
 */
export function packBits(
  inputLength: number,
  outputLength: number,
  scratchLength = 0,
): PackBitsMemory {
  const outputAt = region(inputLength);
  const scratchAt = outputAt + region(outputLength);
  const need = scratchAt + region(scratchLength);
  let x: Exports;
  if (need > KEEP) x = instance(); // this frame only: its memory goes with it
  else x = kept ??= instance();
  const have = x.memory.buffer.byteLength;
  if (need > have) x.memory.grow(Math.ceil((need - have) / PAGE));
  const buffer = x.memory.buffer;
  return {
    input: new Uint8Array(buffer, 0, inputLength),
    output: new Uint8Array(buffer, outputAt, outputLength),
    outputAt,
    scratchAt,
    unpack: x.unpack,
    unpack1: x.unpack1,
    zip2: x.zip2,
  };
}
