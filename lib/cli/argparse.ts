/**
 * A small command-line parser that behaves like Python's argparse, which the reference tool
 * uses: options and positionals in any order, long options by unique prefix, `--opt=value`,
 * mutually exclusive groups, and argparse's error wording.
 *
 * @module
 */

/** A command-line error: printed after the usage line, exit status 2. */
export class UsageError extends Error {
  /**
   * Creates the error.
   * @param message the argparse-style text after "storescu: error: "
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** One option of a command line. */
export interface OptionSpec {
  /** The key its value is stored under. */
  dest: string;
  /** Its spellings, e.g. `["-v", "--verbose"]`. */
  flags: string[];
  /** `flag` takes no value; `list` may be given several times (values collected). */
  kind: "flag" | "string" | "float" | "int" | "choice" | "list";
  /** Allowed values of a `choice`. */
  choices?: string[];
  /** Options of the same group exclude each other. */
  group?: string;
  /** The value a `flag` stores (default `true`). */
  value?: string;
}

/** What {@link parseCommandLine} found. */
export interface ParsedCommandLine {
  /** Option values by `dest`. */
  values: Record<string, string | number | boolean | string[]>;
  /** Positional arguments, in order. */
  positionals: string[];
}

function flagNames(spec: OptionSpec): string {
  return spec.flags.join("/");
}

function isNumberLike(s: string): boolean {
  return /^-\d+(\.\d*)?$|^-\.\d+$/.test(s);
}

function findSpec(specs: readonly OptionSpec[], arg: string): OptionSpec {
  for (const spec of specs) {
    for (const f of spec.flags) if (f === arg) return spec;
  }
  if (arg.startsWith("--")) {
    // argparse allows any unique prefix of a long option.
    const hits = specs.flatMap((spec) =>
      spec.flags.filter((f) => f.startsWith("--") && f.startsWith(arg)).map((flag) => ({
        spec,
        flag,
      }))
    );
    if (hits.length === 1) return hits[0].spec;
    if (hits.length > 1) {
      throw new UsageError(
        `ambiguous option: ${arg} could match ${hits.map((h) => h.flag).join(", ")}`,
      );
    }
  }
  throw new UsageError(`unrecognized arguments: ${arg}`);
}

function convert(spec: OptionSpec, v: string): string | number {
  switch (spec.kind) {
    case "float": {
      const n = Number(v);
      if (v.trim() === "" || Number.isNaN(n)) {
        throw new UsageError(`argument ${flagNames(spec)}: invalid float value: '${v}'`);
      }
      return n;
    }
    case "int":
      if (!/^[-+]?\d+$/.test(v.trim())) {
        throw new UsageError(`argument ${flagNames(spec)}: invalid int value: '${v}'`);
      }
      return Number(v);
    case "choice":
      if (!spec.choices!.includes(v)) {
        throw new UsageError(
          `argument ${flagNames(spec)}: invalid choice: '${v}' (choose from ${
            spec.choices!.map((c) => `'${c}'`).join(", ")
          })`,
        );
      }
      return v;
    default:
      return v;
  }
}

/**
 * Parses `args` against `specs`.
 *
 * @example
 * ```ts
 * import { parseCommandLine } from "./argparse.ts";
 * const specs = [{ dest: "verbose", flags: ["-v", "--verbose"], kind: "flag" as const }];
 * parseCommandLine(specs, ["a", "--verb", "b"]);
 * // { values: { verbose: true }, positionals: ["a", "b"] }
 * ```
 */
export function parseCommandLine(
  specs: readonly OptionSpec[],
  args: readonly string[],
): ParsedCommandLine {
  const values: ParsedCommandLine["values"] = {};
  const seenGroup = new Map<string, OptionSpec>();
  const positionals: string[] = [];
  let onlyPositionals = false;
  for (let i = 0; i < args.length; i++) {
    let arg = args[i];
    if (onlyPositionals || !arg.startsWith("-") || arg === "-" || isNumberLike(arg)) {
      positionals.push(arg);
      continue;
    }
    if (arg === "--") {
      onlyPositionals = true;
      continue;
    }
    let inline: string | undefined;
    if (arg.startsWith("--") && arg.includes("=")) {
      inline = arg.slice(arg.indexOf("=") + 1);
      arg = arg.slice(0, arg.indexOf("="));
    }
    const spec = findSpec(specs, arg);
    if (spec.group) {
      const prev = seenGroup.get(spec.group);
      if (prev && prev !== spec) {
        throw new UsageError(
          `argument ${flagNames(spec)}: not allowed with argument ${flagNames(prev)}`,
        );
      }
      seenGroup.set(spec.group, spec);
    }
    if (spec.kind === "flag") {
      if (inline !== undefined) {
        throw new UsageError(`argument ${flagNames(spec)}: ignored explicit argument '${inline}'`);
      }
      values[spec.dest] = spec.value ?? true;
      continue;
    }
    let v = inline;
    if (v === undefined) {
      const next = args[i + 1];
      if (next === undefined || (next.startsWith("-") && !isNumberLike(next) && next !== "-")) {
        throw new UsageError(`argument ${flagNames(spec)}: expected one argument`);
      }
      v = next;
      i++;
    }
    if (spec.kind === "list") {
      const list = (values[spec.dest] as string[] | undefined) ?? [];
      list.push(v);
      values[spec.dest] = list;
    } else {
      values[spec.dest] = convert(spec, v);
    }
  }
  return { values, positionals };
}
