/**
 * File-name patterns for `--pattern` (shell wildcards, as DCMTK's `+sp` and `fnmatch`): `*`
 * matches any run of characters, `?` one character, `[abc]`, `[a-z]` and `[!abc]` one
 * character of (or not of) a set; anything else matches itself. Matching is case-sensitive and
 * applies to a base name, so `/` never needs to match.
 *
 * @module
 */

/** A pattern that can't be compiled (an unclosed `[`). */
export class GlobError extends Error {
  /** The pattern as given. */
  readonly pattern: string;

  /**
   * Creates the error.
   * @param pattern the pattern as given
   * @param message what is wrong with it
   */
  constructor(pattern: string, message: string) {
    super(message);
    this.name = "GlobError";
    this.pattern = pattern;
  }
}

const SPECIAL = /[\\^$.*+?()[\]{}|/]/g;

function escape(s: string): string {
  return s.replace(SPECIAL, "\\$&");
}

/**
 * Compiles a wildcard pattern into a test for base names.
 *
 * @example
 * ```ts
 * import { compileGlob } from "./glob.ts";
 * const isDcm = compileGlob("*.dcm");
 * isDcm("IM0001.dcm"); // true
 * isDcm("notes.txt"); // false
 * compileGlob("IM[0-9]?")("IM1a"); // true
 * ```
 */
export function compileGlob(pattern: string): (name: string) => boolean {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      // A set: `]` right after `[` or `[!` is a member, as in fnmatch.
      let j = i + 1;
      let negate = false;
      if (pattern[j] === "!" || pattern[j] === "^") {
        negate = true;
        j++;
      }
      let body = "";
      if (pattern[j] === "]") {
        body += "\\]";
        j++;
      }
      while (j < pattern.length && pattern[j] !== "]") {
        const m = pattern[j];
        body += m === "-" ? "-" : m === "\\" || m === "^" || m === "[" ? `\\${m}` : m;
        j++;
      }
      if (j >= pattern.length) {
        throw new GlobError(pattern, `'[' at position ${i + 1} is never closed`);
      }
      re += `[${negate ? "^" : ""}${body}]`;
      i = j;
    } else re += escape(c);
  }
  const regex = new RegExp(`^${re}$`, "s");
  return (name) => regex.test(name);
}

/**
 * One test for several patterns: a name is selected when any of them matches.
 *
 * @example
 * ```ts
 * import { compileGlobs } from "./glob.ts";
 * const pick = compileGlobs(["*.dcm", "IM*"]);
 * pick("IM0001"); // true
 * pick("README"); // false
 * ```
 */
export function compileGlobs(patterns: readonly string[]): (name: string) => boolean {
  const tests = patterns.map(compileGlob);
  return (name) => tests.some((t) => t(name));
}
