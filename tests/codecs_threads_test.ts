/**
 * Codec threads (lib/codecs/threads.ts, lib/codecs/thread.ts, lib/part10/frame_queue.ts):
 * frames decoded on Web Workers come back identical and in order, errors come back as the
 * codec's own, a worker that can't start or dies is survived, and a whole send decoded on
 * threads stores exactly what a send decoded on the main thread stores (DCMTK storescp that
 * accepts only uncompressed syntaxes); a run stopped (and forced) with frames on the threads
 * accounts for every file.
 */

import assert from "node:assert/strict";
import { CodecThreads } from "../lib/codecs/threads.ts";
import { loadCodec } from "../lib/codecs/mod.ts";
import { CodecError, type ImageInfo } from "../lib/codecs/types.ts";
import { FrameDecoder } from "../lib/part10/frame_queue.ts";
import { corpusDir, datasetOf, dcmtk, listDir, runCli, startStorescp } from "./peers.ts";
import { storeFiles } from "../lib/send.ts";
import type { StoreEvent, StoreOptions } from "../lib/send/types.ts";
import { Logger, LogHandlers } from "../lib/log.ts";
import type { CStoreRQ } from "../lib/dimse/mod.ts";
import { writeCtSeries } from "../bench/gen.ts";

const JLS = "1.2.840.10008.1.2.4.80";

const IMAGE: ImageInfo = {
  rows: 64,
  columns: 48,
  samplesPerPixel: 1,
  bitsAllocated: 16,
  bitsStored: 12,
  pixelRepresentation: 0,
  planarConfiguration: 0,
  photometricInterpretation: "MONOCHROME2",
  frames: 1,
};

/** `n` different 64x48 12-bit frames, and each JPEG-LS encoded. */
async function frames(n: number): Promise<{ pixels: Uint8Array[]; encoded: Uint8Array[] }> {
  const encoder = await loadCodec(JLS, "encode");
  const pixels: Uint8Array[] = [];
  const encoded: Uint8Array[] = [];
  for (let f = 0; f < n; f++) {
    const p = new Uint8Array(IMAGE.rows * IMAGE.columns * 2);
    const v = new Uint16Array(p.buffer);
    for (let i = 0; i < v.length; i++) v[i] = (i * (f + 3) + ((i * 7919) >> 5)) & 0xfff;
    pixels.push(p);
    encoded.push(encoder.encode!(p, IMAGE));
  }
  return { pixels, encoded };
}

/** The bytes of a decoded frame, whatever kind of byte array the codec returned. */
function bytes(a: Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Waits (at most 60 s: a loaded test machine type-checks the worker first) for `n` ready workers. */
async function readyWorkers(threads: CodecThreads, n: number): Promise<void> {
  for (let i = 0; i < 600 && threads.ready < n; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(threads.ready, n);
}

/** A worker module for the failure tests, from its source. */
function workerUrl(source: string): URL {
  return new URL(`data:application/javascript,${encodeURIComponent(source)}`);
}

/**
 * Sends `files` (with `options`) on 2 codec threads started at once, then on none, each to a
 * new storescp started with `scpArgs`; checks that every file was `direction` (decoded or
 * encoded), that the threads started in the first run only, and that both runs stored the same
 * data sets, byte for byte.
 */
async function sameWithAndWithoutThreads(
  files: string[],
  options: Partial<StoreOptions>,
  scpArgs: string[],
  direction: "decoded" | "encoded",
): Promise<void> {
  const stores: Map<string, Uint8Array>[] = [];
  for (const n of [2, 0]) {
    const scp = await startStorescp(scpArgs);
    try {
      const events: StoreEvent[] = [];
      const report = await storeFiles({
        address: "127.0.0.1",
        port: scp.port,
        paths: files,
        ...options,
        codecThreads: n,
        codecThreadsStartAfterMs: 0,
        onEvent: (e) => events.push(e),
      });
      assert.equal(report.results.filter((r) => r.outcome === "success").length, files.length);
      const sent = events.flatMap((e) => e.type === "store-request" ? [e] : []);
      assert.deepEqual(
        sent.map((e) => [e.transcoding?.direction, e.transcoding?.threads]),
        files.map(() => [direction, n || undefined]),
      );
      const started = events.flatMap((e) => e.type === "codec-threads-started" ? [e.threads] : []);
      assert.deepEqual(started, n ? [2] : []);
      const got = new Map<string, Uint8Array>();
      for (const name of await listDir(scp.dir)) {
        got.set(name, await datasetOf(`${scp.dir}/${name}`));
      }
      assert.equal(got.size, files.length);
      stores.push(got);
    } finally {
      await scp.stop();
      await Deno.remove(scp.dir, { recursive: true });
    }
  }
  assert.deepEqual([...stores[0].keys()], [...stores[1].keys()]);
  for (const [name, data] of stores[0]) assert.deepEqual(data, stores[1].get(name), name);
}

Deno.test("codec threads: no worker starts until frames took startAfterMs here", async () => {
  const { pixels, encoded } = await frames(12);
  const codec = await loadCodec(JLS);
  let started = 0;
  const threads = new CodecThreads(2, { startAfterMs: 60_000, onStart: (n) => started += n });
  try {
    for (let i = 0; i < encoded.length; i++) {
      assert.deepEqual(bytes(await threads.decode(codec, JLS, encoded[i], IMAGE)), pixels[i]);
    }
    assert.equal(threads.running, 0);
    assert.equal(started, 0);
  } finally {
    threads.close();
  }
});

Deno.test("codec threads: frames decoded on workers come back as decoded here, in order", async () => {
  const { pixels, encoded } = await frames(12);
  const codec = await loadCodec(JLS);
  let started = 0;
  const threads = new CodecThreads(2, { startAfterMs: 0, onStart: (n) => started += n });
  try {
    // The first frame starts them (and is decoded here meanwhile).
    const first = await threads.decode(codec, JLS, encoded[0], IMAGE);
    assert.deepEqual(bytes(first), pixels[0]);
    assert.equal(threads.running, 2);
    assert.equal(started, 2);
    await readyWorkers(threads, 2);
    // Each into its own buffer, which comes back with the pixels (the caller's is moved).
    const intos = encoded.map(() => new Uint8Array(pixels[0].length));
    const all = await Promise.all(
      encoded.map((e, i) => threads.decode(codec, JLS, e, IMAGE, intos[i])),
    );
    all.forEach((p, i) => assert.deepEqual(bytes(p), pixels[i], `frame ${i}`));
    assert.ok(intos.some((b) => b.length === 0), "no buffer was moved to a worker");
    assert.equal(threads.running, 2);
  } finally {
    threads.close();
  }
});

Deno.test("codec threads: a corrupt frame fails on a worker with the codec's own error", async () => {
  const { encoded } = await frames(3);
  const codec = await loadCodec(JLS);
  const bad = encoded[2].slice();
  bad.fill(0x55, 40);
  let here: CodecError | undefined;
  try {
    codec.decode(bad, IMAGE);
  } catch (e) {
    here = e as CodecError;
  }
  assert.ok(here instanceof CodecError);
  const threads = new CodecThreads(1, { startAfterMs: 0 });
  try {
    await threads.decode(codec, JLS, encoded[0], IMAGE); // starts the worker
    await readyWorkers(threads, 1);
    await assert.rejects(
      () => threads.decode(codec, JLS, bad, IMAGE),
      (e: unknown) =>
        e instanceof CodecError && e.code === here!.code && e.message === here!.message,
    );
    // The worker goes on.
    assert.equal(threads.running, 1);
    assert.equal((await threads.decode(codec, JLS, encoded[0], IMAGE)).length, 64 * 48 * 2);
  } finally {
    threads.close();
  }
});

Deno.test("codec threads: workers that can't start are survived: every frame is decoded here", async () => {
  const { pixels, encoded } = await frames(6);
  const codec = await loadCodec(JLS);
  for (
    const source of [
      `throw new Error("no such codec here");`,
      `self.onmessage = () => self.postMessage({ ready: false, message: "no codec" });`,
    ]
  ) {
    const threads = new CodecThreads(2, { url: workerUrl(source), startAfterMs: 0 });
    try {
      for (let i = 0; i < encoded.length; i++) {
        assert.deepEqual(bytes(await threads.decode(codec, JLS, encoded[i], IMAGE)), pixels[i]);
        // After the first frame started them: wait until both have failed.
        for (let k = 0; i === 0 && k < 600 && threads.running > 0; k++) {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assert.equal(threads.running, 0, source);
    } finally {
      threads.close();
    }
  }
});

Deno.test("codec threads: the codec compiled here is handed to the workers when they start (not compiled again)", async () => {
  const { pixels, encoded } = await frames(1);
  const codec = await loadCodec(JLS);
  // A worker that is ready only when it was handed a compiled module, and says which.
  const checks = workerUrl(
    `self.onmessage = (e) => { const m = e.data; if (!m.preload) return; ` +
      `const names = Object.entries(m.modules ?? {})` +
      `.filter(([, v]) => v instanceof WebAssembly.Module).map(([k]) => k); ` +
      `self.postMessage(names.length > 0 ? { ready: true } : { ready: false, message: "none" }); };`,
  );
  const threads = new CodecThreads(1, { url: checks, startAfterMs: 0 });
  try {
    // loadCodec compiled the codec here; the first frame starts the worker (and is done here).
    assert.deepEqual(bytes(await threads.decode(codec, JLS, encoded[0], IMAGE)), pixels[0]);
    await readyWorkers(threads, 1);
  } finally {
    threads.close();
  }
});

Deno.test("codec threads: a worker dying with a frame fails that frame with the reason; the rest are decoded here", async () => {
  const { pixels, encoded } = await frames(5);
  const codec = await loadCodec(JLS);
  const dies = workerUrl(
    `self.onmessage = (e) => { if (e.data.preload) self.postMessage({ ready: true }); ` +
      `else throw new Error("out of memory"); };`,
  );
  const threads = new CodecThreads(1, { url: dies, startAfterMs: 0 });
  try {
    await threads.decode(codec, JLS, encoded[0], IMAGE);
    await readyWorkers(threads, 1);
    await assert.rejects(
      () => threads.decode(codec, JLS, encoded[2], IMAGE),
      /codec thread failed/,
    );
    assert.equal(threads.running, 0);
    assert.deepEqual(bytes(await threads.decode(codec, JLS, encoded[3], IMAGE)), pixels[3]);
    assert.deepEqual(bytes(await threads.decode(codec, JLS, encoded[4], IMAGE)), pixels[4]);
  } finally {
    threads.close();
  }
});

Deno.test("codec threads: an error nothing catches in the real worker ends it with one line to the pool, no stack trace", async () => {
  // A job whose frame isn't a buffer: the worker's answer can't be posted (its transfer list is
  // bad), so the error escapes the worker's own try/catch as a rejection nobody awaits.
  const thread = new URL("../lib/codecs/thread.ts", import.meta.url).href;
  const script = `
    const w = new Worker(${JSON.stringify(thread)}, { type: "module" });
    const replies = [];
    w.onerror = (e) => { e.preventDefault(); replies.push({ onerror: e.message }); };
    await new Promise((done) => {
      w.onmessage = (e) => {
        replies.push(e.data);
        if (e.data.ready) {
          w.postMessage({ id: 1, kind: "decode", transferSyntaxUid: "1.2.3.4", length: 0,
            image: {}, frame: undefined });
        } else done();
      };
      w.postMessage({ preload: "1.2.840.10008.1.2.5", use: "decode" });
    });
    console.log(JSON.stringify(replies));
    w.terminate();
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const replies = JSON.parse(stdout);
  assert.deepEqual(replies[0], { ready: true });
  assert.equal(typeof replies[1].crashed, "string", stdout);
  assert.equal(replies.length, 2, stdout);
  assert.doesNotMatch(stderr, /Uncaught|\bat /, stderr);

  // The pool takes that line as the worker's end: the frame it held fails with the reason.
  const { pixels, encoded } = await frames(3);
  const codec = await loadCodec(JLS);
  const says = workerUrl(
    `self.onmessage = (e) => self.postMessage(e.data.preload ? { ready: true } : { crashed: "bad job" });`,
  );
  const threads = new CodecThreads(1, { url: says, startAfterMs: 0 });
  try {
    await threads.decode(codec, JLS, encoded[0], IMAGE);
    await readyWorkers(threads, 1);
    await assert.rejects(
      () => threads.decode(codec, JLS, encoded[1], IMAGE),
      /codec thread failed: bad job/,
    );
    assert.equal(threads.running, 0);
    assert.deepEqual(bytes(await threads.decode(codec, JLS, encoded[2], IMAGE)), pixels[2]);
  } finally {
    threads.close();
  }
});

Deno.test("codec threads: a worker that never answers a frame is stopped after frameTimeoutMs; that frame fails, the rest are done here", async () => {
  const { pixels, encoded } = await frames(4);
  const codec = await loadCodec(JLS);
  // Ready, then silent: as a codec that loops for ever would be.
  const silent = workerUrl(
    `self.onmessage = (e) => { if (e.data.preload) self.postMessage({ ready: true }); };`,
  );
  const threads = new CodecThreads(1, { url: silent, startAfterMs: 0, frameTimeoutMs: 300 });
  try {
    await threads.decode(codec, JLS, encoded[0], IMAGE);
    await readyWorkers(threads, 1);
    const t0 = performance.now();
    await assert.rejects(
      () => threads.decode(codec, JLS, encoded[1], IMAGE),
      /codec thread failed: no answer after 0.3 s/,
    );
    // Not before its time (a loaded machine may fire the timer late, never early).
    assert.ok(performance.now() - t0 >= 290, `${performance.now() - t0} ms`);
    assert.equal(threads.running, 0);
    assert.deepEqual(bytes(await threads.decode(codec, JLS, encoded[2], IMAGE)), pixels[2]);
    assert.deepEqual(bytes(await threads.decode(codec, JLS, encoded[3], IMAGE)), pixels[3]);
  } finally {
    threads.close();
  }
});

Deno.test("codec threads 2 and 0: a multi-frame JPEG-LS file and single-frame JPEG-LS, JPEG and J2K ones are stored byte for byte alike", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-threads-" });
  try {
    // 30 frames of 320x240 RGB, one JPEG-LS fragment each; and single-frame files.
    const us30 = `${dir}/us30.dcm`;
    await dcmtk("dcmdjpeg", [`${corpusDir}/pydicom/test_files/examples_ybr_color.dcm`, us30]);
    await dcmtk("dcmcjpls", [us30, `${dir}/us30_jls.dcm`]);
    await Deno.remove(us30);
    const ct = `${corpusDir}/variants/ct_small_jpegls_lossless.dcm`;
    const files = [
      `${dir}/us30_jls.dcm`,
      ct,
      `${corpusDir}/pydicom/test_files/SC_rgb_jpeg_gdcm.dcm`, // JPEG Lossless SV1
      `${corpusDir}/pydicom/test_files/MR_small_jp2klossless.dcm`,
    ];
    // Uncompressed syntaxes only: every file decoded.
    await sameWithAndWithoutThreads(files, {}, ["-pm", "+B"], "decoded");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("frame decoder: frames up to 16 MB go to the threads, several in flight; larger ones are decoded here, one at a time", async () => {
  const codec = await loadCodec(JLS);
  const threads = new CodecThreads(2);
  try {
    const spec = { codec, transferSyntaxUid: JLS, threads };
    const small = new FrameDecoder(spec, IMAGE, IMAGE);
    assert.equal(small.threads, 2);
    small.push(new Uint8Array(8)); // not decoded yet: 2 more may be pushed first
    assert.equal(small.full, false);
    // 4096 x 2049 x 16-bit: just over 16 MiB.
    const big = { ...IMAGE, rows: 4096, columns: 2049 };
    const one = new FrameDecoder(spec, big, big);
    assert.equal(one.threads, 0);
    assert.equal(new FrameDecoder({ codec, transferSyntaxUid: JLS }, IMAGE, IMAGE).threads, 0);
    // The small decoder's garbage frame: the codec's error, in order.
    small.push(new Uint8Array(8));
    await assert.rejects(() => small.next(), CodecError);
  } finally {
    threads.close();
  }
});

Deno.test("codec threads: frames encoded on workers are the bytes encoded here", async () => {
  const { pixels } = await frames(6);
  const encoder = await loadCodec(JLS, "encode");
  const threads = new CodecThreads(2, { startAfterMs: 0 });
  try {
    await threads.encode(encoder, JLS, pixels[0], IMAGE); // starts the workers
    await readyWorkers(threads, 2);
    const all = await Promise.all(pixels.map((p) => threads.encode(encoder, JLS, p, IMAGE)));
    all.forEach((e, i) => assert.deepEqual(bytes(e), bytes(encoder.encode!(pixels[i], IMAGE))));
  } finally {
    threads.close();
  }
});

Deno.test("--compress jpeg-ls on codec threads 2 and 0: multi-frame and single-frame files are stored byte for byte alike", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-threads-enc-" });
  try {
    const us30 = `${dir}/us30.dcm`; // 30 frames of 320x240 RGB, uncompressed
    await dcmtk("dcmdjpeg", [`${corpusDir}/pydicom/test_files/examples_ybr_color.dcm`, us30]);
    const files = [
      us30,
      `${corpusDir}/pydicom/test_files/CT_small.dcm`,
      `${corpusDir}/pydicom/test_files/MR_small.dcm`,
    ];
    await sameWithAndWithoutThreads(
      files,
      { compress: "jpeg-ls" },
      ["+xa", "-pm", "+B"],
      "encoded",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('log: threads starting while a file is opened don\'t cut its "Sending file" line short', () => {
  const lines: string[] = [];
  const h = new LogHandlers(new Logger("debug", (l) => lines.push(l)));
  h.onStoreEvent({ type: "file-sending", path: "a.dcm" });
  h.onStoreEvent({ type: "codec-threads-started", threads: 2 });
  h.onStoreEvent({
    type: "store-request",
    path: "a.dcm",
    request: { messageId: 1 } as CStoreRQ,
    contextId: 1,
    transferSyntaxUid: "1.2.840.10008.1.2.1",
    fileTransferSyntaxUid: JLS,
    converted: false,
    transcoding: { direction: "decoded", codec: "CharLS", threads: 2 },
  });
  assert.equal(lines[0], "D: Codec threads started: 2");
  assert.equal(
    lines[1],
    "I: Sending file: a.dcm (decoded: JPEG-LS Lossless Image Compression → Explicit VR Little Endian)",
  );
  assert.ok(lines.some((l) => l.endsWith("by CharLS (codec threads: up to 2)")), lines.join("\n"));
});

Deno.test("--codec-threads: a count out of range is a usage error", async () => {
  const r = await runCli(["127.0.0.1", "11112", "x.dcm", "--codec-threads", "65"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /argument --codec-threads: must be 0-64, not 65/);
});

Deno.test("codec threads: a run stopped while frames are on the threads accounts for every file, and what it calls stored was stored", async () => {
  const dir = await Deno.makeTempDir({ prefix: "storescu-threads-stop-" });
  try {
    await Deno.mkdir(`${dir}/raw`);
    const raw = await writeCtSeries(`${dir}/raw`, 16, undefined, 256);
    await Deno.mkdir(`${dir}/jls`);
    const files = raw.paths.map((p) => `${dir}/jls/${p.split("/").pop()}`);
    for (let i = 0; i < files.length; i++) await dcmtk("dcmcjpls", [raw.paths[i], files[i]]);
    for (const forced of [false, true]) {
      const scp = await startStorescp(["-pm"]);
      const stop = new AbortController();
      const force = new AbortController();
      let done = 0;
      let started = false;
      try {
        const report = await storeFiles({
          address: "127.0.0.1",
          port: scp.port,
          paths: files,
          codecThreads: 2,
          codecThreadsStartAfterMs: 0,
          signal: stop.signal,
          forceSignal: force.signal,
          onEvent: (e) => {
            if (e.type === "codec-threads-started") started = true;
            // Stopped with files taken ahead and their frames on the threads.
            if (e.type === "file-done" && ++done === 4) {
              stop.abort();
              if (forced) force.abort();
            }
          },
        });
        assert.ok(started, "the threads were running");
        assert.equal(report.interrupted, true);
        assert.equal(report.results.length, files.length);
        const stored = new Set((await listDir(scp.dir)).map((n) => n.replace(/^CT\./, "")));
        const said = report.results.filter((r) => r.outcome === "success");
        assert.ok(said.length >= 4, `${said.length} stored`);
        assert.ok(said.length < files.length, "stopped before the end");
        for (const r of said) assert.ok(stored.has(r.sopInstanceUid!), r.path);
        assert.equal(stored.size, said.length);
        for (const r of report.results) {
          assert.ok(["success", "not-sent", "failure"].includes(r.outcome), r.outcome);
        }
      } finally {
        await scp.stop();
        await Deno.remove(scp.dir, { recursive: true });
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
