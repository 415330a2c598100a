/**
 * The "Where the CPU goes" section of `bench/RESULTS.md`: what the bench's own figures (the
 * `deno: floor` client, `bench/runtime_costs.ts`) cannot say by themselves, measured with
 * perf, strace and callgrind while the data path was worked on (issue 11), and what was tried.
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
    "### What the runtime's alternatives cost here",
    "",
    runtimeCosts ?? "(not measured: bench/runtime_costs.ts needs the big file of (b))",
    "",
  ];
}

const NOTES: string[] = [
  "(to be written)",
];
