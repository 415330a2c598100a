/**
 * The "Where the CPU goes" section of `bench/RESULTS.md`: what the bench's own figures (the
 * `deno: floor` client, `bench/runtime_costs.ts`) can't say by themselves, measured with
 * perf, strace and callgrind on the bench machine while the data path was worked on
 * (issue 11, 2026-12-06), and what was tried.
 *
 * @module
 */

/**
 * The section's Markdown lines; `runtimeCosts` is the table printed by
 * `bench/runtime_costs.ts` in the same run, or `null` when it did not run.
 *
 * @example
 * ```ts
 * import { whereTheCpuGoes } from "./where.ts";
 * whereTheCpuGoes(null)[0]; // "## Where the CPU goes"
 * ```
 */
export function whereTheCpuGoes(runtimeCosts: string | null): string[] {
  return [
    "## Where the CPU goes",
    "",
    ...NOTES,
    "",
    "### What the runtime's alternatives cost here (this run)",
    "",
    "Best of 5 rounds, µs per operation (per MiB for the reads), `bench/runtime_costs.ts`:",
    "",
    runtimeCosts ?? "(not measured: bench/runtime_costs.ts needs the big file of (b))",
    "",
  ];
}

const NOTES: string[] = [
  "The `deno: floor` rows are `bench/floor.ts`: the same files sent by a Deno program that does " +
  "the least a sender must (examine each file, read it in 256 KiB chunks into P-DATA-TF PDUs " +
  "gathered 16 to a write, wait for the response) and nothing else: no element-boundary check, " +
  "no change check, no events, log or account. Its ratio to DCMTK is what the runtime costs " +
  "whoever writes the sender; ours above it is what our checks, account and code cost.",
  "",
  "Measured on this machine (perf with `--v8-flags=--perf-basic-prof`, strace, callgrind; " +
  "counts of user-space instructions of the main thread with `--v8-flags=--predictable`, which " +
  "compiles and collects on that thread too, so they repeat to 0.3%):",
  "",
  "| run | `deno run` of an empty file | the floor | main at b901cfd | with this work |",
  "| --- | ---: | ---: | ---: | ---: |",
  "| `cli.ts --version` (start-up and module graph) | 47.4M | | | 115.0M |",
  "| 1 file end to end | | 97.2M | 197.4M | 183.4M |",
  "| 100 x 0.5 MB | | 218.1M | 468.2M | 353.2M |",
  "| 1,000 x 9 KB | | 399.4M | 755.9M | 687.9M |",
  "",
  "- Start-up: an empty `deno run` takes about 70 ms of wall and of CPU here, more than DCMTK's " +
  "whole one-file send (45–50 ms): the one-file target (≤ 1.2x) can't be met on this machine by any Deno program, the floor " +
  "included (see its row in (c)). Our module graph (about 50 modules evaluated, 67 read: Deno " +
  "reads the targets of literal dynamic imports too) costs 68M instructions over the empty " +
  "run; bundled into one file (`deno bundle`, the codecs' WebAssembly module left out) 20M: " +
  "about 70% of the graph's cost is per module (resolution, reading and hashing each source, " +
  "emit and code cache look-ups), not our code. The converters, deflate and the dictionary are " +
  "now loaded on first use only.",
  "- Opening a file: Deno resolves the path first (a `readlink` per component, then `open` " +
  "with `O_NOFOLLOW`), and so does `node:fs`; a stat of an open file (`FsFile.statSync`) " +
  "resolves it again, a stat of the path doesn't. Hence: each file is opened once (the " +
  "examination keeps it open with its first 16 KiB for the send), and the change checks stat " +
  "the path. Syscalls per 0.5 MB file now: 1 open (+4 readlink), 3 reads (16 KiB, then 256 " +
  "KiB), 3 stats (examination, start and end of the data set), 3 sendto, 1 recvfrom, 1 " +
  "epoll_wait, 1 close, about 17; DCMTK's storescu makes about 110 (68 write, 24 read, 7 lseek, " +
  "5 stat, 4 open...), which is why its system time is the larger part of its CPU and ours the " +
  "smaller.",
  "- Copies: each data set byte is copied once in user space (from the 256 KiB read buffer " +
  "into its PDU slot, beside the 12 header bytes); the look-ahead copy that found the last " +
  "fragment is gone (the source says its length). Reading 16 KiB straight into each slot saves " +
  "that copy but costs a syscall per fragment: more CPU here (table below). Deno has no " +
  "readv/writev for files or TCP (`node:fs` `readvSync` reads into one buffer and copies).",
  "- The JIT: V8 compiles the hot code of a run on background threads (Maglev, then " +
  "TurboFan); those threads took 14–22% of our CPU samples on 1,000 x 0.5 MB before the data " +
  "path shrank (the floor's: 7%). One async function with the file source inlined took 37–44 " +
  "ms to compile alone; the synchronous fill is now its own small function, and a fragment " +
  "inside a value only counts down the boundary check. `--v8-flags=--no-turbofan` measured " +
  "0.91x and 1.00x CPU in two runs (noise); a program can't set V8 flags for itself anyway.",
  "- What ours spends above the floor, after this work (1,000 x 0.5 MB, `perf record -F " +
  "5000` of each, same sink, 2026-12-06): 3,227 samples against the floor's 2,491, i.e. " +
  "about 147 ms more; of it +75 ms in the `deno` binary on the main thread (V8's interpreter, " +
  "builtins and the runtime's ops: our per-file code that never gets hot enough to be " +
  "compiled: examination, plan, events, account), +60 ms on V8's background threads and +17 " +
  "ms in compiled JS, while the kernel's share is 11 ms smaller than the floor's. The " +
  "background threads are compilation, not GC (29 scavenges against the floor's 28, no " +
  "mark-compact): `--trace-opt` counts 158 Maglev/TurboFan compilations in our run against " +
  "59 in the floor's, and those threads' samples grow with the number of files (175, 377, " +
  "725 for 100, 300, 1,000 files; the floor 122, 165, 410): more distinct code gets hot as " +
  "more files pass. Only 11 deoptimizations, so it is not a compile-deopt loop: it is the " +
  "amount of per-file code (the honest account's checks and records). That gap (0.135 s of " +
  "CPU per 1,000 files, ~135 µs a file, in the quick run of that day: ours 0.78x DCMTK's CPU, " +
  "the floor 0.59x) is what separates ours from the floor in (a).",
  "- Page faults and syscalls are expensive on this virtual machine (`pvm_irq_enable` is " +
  "13% of all samples): each one avoided counts more here than on bare metal.",
  "- Kept (2026-12-06): the boundary check reads each element header where it lies in the " +
  "read buffer and looks VRs up in a table (it copied every header byte by byte and called " +
  "two Sets): 663M -> 636M instructions for 300 files, CPU 0.98x in paired runs. Tried and " +
  "kept out the same day: skipping the change check at the start of a data set when the " +
  "examination's stat is only moments old (5 µs a file, `Deno.statSync` of a path, below; " +
  "but a file changed in between would then abort its association at the end instead of " +
  "failing cleanly before any byte went out); an index of the accepted contexts by SOP class " +
  "for the per-file context choice (below 0.5% of the samples); bundling the module graph " +
  "(`deno bundle` measured 68M -> 20M instructions of start-up before the codecs came, and now " +
  "refuses `import source` of the WebAssembly codecs; JSR serves modules one by one anyway).",
  "- Tried and kept out: 1 MiB read and write buffers (same CPU as 256 KiB); decoding UIDs in " +
  "JS instead of `TextDecoder` (3x faster once optimized, but a 1,000-file run makes most of " +
  "its ~7,000 decodes before that: callgrind +0.2%); copying repeated UIDs when encoding the " +
  "120-context A-ASSOCIATE-RQ (within the noise); `node:fs` instead of `Deno.FsFile` (the " +
  "same path checks; loading `node:fs` costs start-up); async file ops (a thread-pool round " +
  "trip each).",
];
