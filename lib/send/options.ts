/**
 * Checks {@link StoreOptions} before anything is read or connected, so a wrong value is named
 * as what it is instead of surfacing later as a network error.
 *
 * @module
 */

import { AeTitleError, validateAeTitle } from "../acse.ts";
import { COMPRESSIONS } from "../codecs/mod.ts";
import { type PlanOptions, proposedSyntaxes, type TranscodePolicy } from "../plan.ts";
import { UserIdentityError, userIdentitySubItem } from "../user_identity.ts";
import { DEFAULT_TRANSFER_SYNTAXES, type StoreOptions } from "./types.ts";
import { compileGlob, GlobError } from "../glob.ts";

/** An option given to `storeFiles` (or `echo`) is out of range or of the wrong type. */
export class StoreOptionsError extends Error {
  /** The option's name, e.g. `port`. */
  readonly option: string;
  /**
   * Creates the error.
   * @param option the option's name
   * @param message what is wrong with it
   */
  constructor(option: string, message: string) {
    super(`${option}: ${message}`);
    this.name = "StoreOptionsError";
    this.option = option;
  }
}

function integerIn(o: Record<string, unknown>, name: string, min: number, max: number): void {
  const v = o[name];
  if (v === undefined) return;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new StoreOptionsError(name, `must be a whole number from ${min} to ${max}, not ${v}`);
  }
}

function secondsOrNull(name: string, v: unknown): void {
  if (v === undefined || v === null) return;
  if (typeof v !== "number" || !(v >= 0) || v === Infinity) {
    throw new StoreOptionsError(name, `must be a number of seconds (0 or more) or null, not ${v}`);
  }
}

/**
 * Checks the connection part of the options (address, port, AE titles, timeouts, PDU size).
 *
 * @example
 * ```ts
 * import { validateConnectionOptions } from "./options.ts";
 * try {
 *   validateConnectionOptions({ address: "127.0.0.1", port: 70000 });
 * } catch (e) {
 *   (e as Error).message; // "port: must be a whole number from 1 to 65535, not 70000"
 * }
 * ```
 */
export function validateConnectionOptions(
  options: Pick<
    StoreOptions,
    "address" | "port" | "callingAeTitle" | "calledAeTitle" | "timeouts" | "maxPduLength"
  >,
): void {
  const o = options as unknown as Record<string, unknown>;
  if (typeof options.address !== "string" || options.address.trim() === "") {
    throw new StoreOptionsError("address", "must be a host name or IP address");
  }
  if (options.port === undefined) throw new StoreOptionsError("port", "is required");
  integerIn(o, "port", 1, 65535);
  for (const name of ["callingAeTitle", "calledAeTitle"] as const) {
    const v = options[name];
    if (v === undefined) continue;
    try {
      validateAeTitle(v);
    } catch (e) {
      if (e instanceof AeTitleError) throw new StoreOptionsError(name, e.message);
      throw e;
    }
  }
  for (const k of ["acse", "dimse", "network"] as const) {
    secondsOrNull(`timeouts.${k}`, options.timeouts?.[k]);
  }
  integerIn(o, "maxPduLength", 0, 0xffffffff);
}

/**
 * Checks every option of {@link StoreOptions}; throws a {@link StoreOptionsError} naming the
 * first one that is wrong.
 *
 * @example
 * ```ts
 * import { validateStoreOptions } from "./options.ts";
 * try {
 *   validateStoreOptions({ address: "127.0.0.1", port: 11112, paths: ["a"], parallel: 0 });
 * } catch (e) {
 *   (e as Error).message; // "parallel: must be a whole number from 1 to 64, not 0"
 * }
 * ```
 */
export function validateStoreOptions(options: StoreOptions): void {
  validateConnectionOptions(options);
  const o = options as unknown as Record<string, unknown>;
  if (!Array.isArray(options.paths) || options.paths.some((p) => typeof p !== "string")) {
    throw new StoreOptionsError("paths", "must be an array of file or directory paths");
  }
  integerIn(o, "parallel", 1, 64);
  integerIn(o, "asyncWindow", 1, 65535);
  integerIn(o, "retries", 0, 100);
  integerIn(o, "priority", 0, 2);
  secondsOrNull("retryDelay", options.retryDelay);
  if (options.retryDelay === null) {
    throw new StoreOptionsError("retryDelay", "must be a number of seconds (0 or more)");
  }
  if (options.patterns !== undefined) {
    if (!Array.isArray(options.patterns) || options.patterns.some((p) => typeof p !== "string")) {
      throw new StoreOptionsError("patterns", "must be an array of wildcard patterns");
    }
    for (const p of options.patterns) {
      try {
        compileGlob(p);
      } catch (e) {
        if (e instanceof GlobError) throw new StoreOptionsError("patterns", `${e.message}: '${p}'`);
        throw e;
      }
    }
  }
  const d = options.decompress;
  if (d !== undefined && d !== "never" && d !== "lossless" && d !== "lossy") {
    throw new StoreOptionsError("decompress", `must be "never", "lossless" or "lossy", not ${d}`);
  }
  const t = options.codecThreads;
  if (t !== undefined && (!Number.isInteger(t) || t < 0 || t > 64)) {
    throw new StoreOptionsError("codecThreads", `must be a whole number from 0 to 64, not ${t}`);
  }
  const after = options.codecThreadsStartAfterMs;
  if (after !== undefined && !(after >= 0)) {
    throw new StoreOptionsError("codecThreadsStartAfterMs", `must be 0 or more, not ${after}`);
  }
  const c = options.compress;
  if (c !== undefined && !Object.hasOwn(COMPRESSIONS, c)) {
    throw new StoreOptionsError(
      "compress",
      `must be one of ${Object.keys(COMPRESSIONS).map((k) => `"${k}"`).join(", ")}, not ${c}`,
    );
  }
  for (const name of ["signal", "forceSignal"] as const) {
    const v = options[name];
    if (v !== undefined && !(v instanceof AbortSignal)) {
      throw new StoreOptionsError(name, "must be an AbortSignal");
    }
  }
  if (options.journal !== undefined && (typeof options.journal !== "string" || !options.journal)) {
    throw new StoreOptionsError("journal", "must be the path of the journal file");
  }
  if (options.userIdentity !== undefined) {
    try {
      userIdentitySubItem(options.userIdentity);
    } catch (e) {
      if (e instanceof UserIdentityError) throw new StoreOptionsError("userIdentity", e.message);
      throw e;
    }
  }
  const caFiles = options.tls?.caFiles;
  if (
    caFiles !== undefined && (!Array.isArray(caFiles) || caFiles.some((f) => typeof f !== "string"))
  ) {
    throw new StoreOptionsError("tls.caFiles", "must be an array of PEM file paths");
  }
}

/**
 * The codec threads a run may start: `codecThreads`, else the machine's cores (at most 4; 0
 * on a single core, where a thread would only take turns with the sender).
 *
 * @example
 * ```ts
 * import { codecThreadsOf } from "./options.ts";
 * codecThreadsOf({ codecThreads: 0 }); // 0
 * ```
 */
export function codecThreadsOf(options: Pick<StoreOptions, "codecThreads">): number {
  if (options.codecThreads !== undefined) return options.codecThreads;
  const cores = navigator.hardwareConcurrency ?? 1;
  return cores >= 2 ? Math.min(cores, 4) : 0;
}

/**
 * The transcoding policy of a run's options (`decompress` defaults to "lossless").
 *
 * @example
 * ```ts
 * import { policyOf } from "./options.ts";
 * policyOf({ compress: "rle" }); // { decompress: "lossless", compress: "1.2.840.10008.1.2.5" }
 * ```
 */
export function policyOf(options: Pick<StoreOptions, "decompress" | "compress">): TranscodePolicy {
  const policy: TranscodePolicy = { decompress: options.decompress ?? "lossless" };
  if (options.compress) policy.compress = COMPRESSIONS[options.compress];
  return policy;
}

/**
 * The plan options of a run's options, as a run and a dry run plan: `-cx` or not, and the
 * transfer syntaxes each default context proposes (with `compress`, its syntax first), under
 * `policy` (the run's {@link policyOf}).
 *
 * @example
 * ```ts
 * import { planOptionsOf, policyOf } from "./options.ts";
 * const options = { compress: "rle" as const, transferSyntaxes: ["1.2.840.10008.1.2"] };
 * planOptionsOf(options, policyOf(options)).transferSyntaxes;
 * // ["1.2.840.10008.1.2.5", "1.2.840.10008.1.2"]
 * ```
 */
export function planOptionsOf(
  options: Pick<StoreOptions, "requiredContexts" | "transferSyntaxes">,
  policy: TranscodePolicy,
): PlanOptions {
  return {
    requiredContexts: options.requiredContexts ?? false,
    // With --compress, its syntax is proposed first.
    transferSyntaxes: proposedSyntaxes(
      options.transferSyntaxes ?? DEFAULT_TRANSFER_SYNTAXES,
      policy,
    ),
    policy,
  };
}
