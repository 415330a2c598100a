/**
 * Named destinations (`--dest NAME`, `--config FILE`): a JSON file of peers, so that a command
 * line says `--dest pacs` instead of an address, a port and two AE titles.
 *
 * ```json
 * {
 *   "destinations": {
 *     "pacs": { "host": "10.0.0.5", "port": 104, "calledAeTitle": "PACS", "callingAeTitle": "ME" },
 *     "research": { "host": "research.example.org", "port": 11112 },
 *     "cloud": {
 *       "host": "dicom.cloud.example", "port": 2762,
 *       "tls": { "ca": "cloud-ca.pem", "cert": "me.pem", "key": "me.key" },
 *       "identity": { "username": "me", "passwordFile": "cloud-password", "response": true }
 *     }
 *   }
 * }
 * ```
 *
 * `tls` is `true` or the `--tls-*` options by name (`ca`: one file or several, `cert`, `key`,
 * `serverName`, `insecure`); `identity` the user identity options (`username`, `passwordFile`,
 * `kerberosFile`, `samlFile`, `jwtFile`, `response`). Relative file names are taken from the
 * destinations file's folder.
 *
 * The file is `--config FILE`, else `$XDG_CONFIG_HOME/storescu/destinations.json`, else
 * `$HOME/.config/storescu/destinations.json` (finding the default needs `--allow-env` for those
 * two variables; reading the file needs only `-R`). Command-line options override the
 * destination's. Every problem is one {@link DestinationError} line.
 *
 * @module
 */

import { AeTitleError, validateAeTitle } from "../acse.ts";
import { checkSecureOptions, type CliOptions } from "./options.ts";

/** A destination as the file describes it. */
export interface Destination {
  /** Host name or IP address of the peer. */
  host: string;
  /** Its TCP port (1-65535). */
  port: number;
  /** The peer's AE title (`-aec`). */
  calledAeTitle?: string;
  /** Our AE title towards it (`-aet`). */
  callingAeTitle?: string;
  /** Free text, for people reading the file. */
  description?: string;
  /** DICOM over TLS: `true`, or the `--tls-*` settings. */
  tls?: true | DestinationTls;
  /** A user identity (the `--user`... options). */
  identity?: DestinationIdentity;
}

/** A destination's TLS settings (file names relative to the destinations file). */
export interface DestinationTls {
  /** `--tls-ca`: one CA file or several. */
  ca?: string | string[];
  /** `--tls-cert`. */
  cert?: string;
  /** `--tls-key`. */
  key?: string;
  /** `--tls-server-name`. */
  serverName?: string;
  /** `--tls-insecure`. */
  insecure?: boolean;
}

/** A destination's user identity (secrets stay in their own files). */
export interface DestinationIdentity {
  /** `--user`. */
  username?: string;
  /** `--password-file`. */
  passwordFile?: string;
  /** `--kerberos-file`. */
  kerberosFile?: string;
  /** `--saml-file`. */
  samlFile?: string;
  /** `--jwt-file`. */
  jwtFile?: string;
  /** `--user-response`. */
  response?: boolean;
}

/** A destinations file or entry that can't be used (exit status 2). */
export class DestinationError extends Error {
  /**
   * Creates the error.
   * @param message one line: the file, the destination and what is wrong
   */
  constructor(message: string) {
    super(message);
    this.name = "DestinationError";
  }
}

type Check = (v: unknown) => string | undefined;

const isString: Check = (v) =>
  typeof v === "string" && v.trim() !== "" ? undefined : "must be a non-empty string";

const isAeTitle: Check = (v) => {
  if (typeof v !== "string") return "must be a string";
  try {
    validateAeTitle(v);
    return undefined;
  } catch (err) {
    if (err instanceof AeTitleError) return err.message;
    throw err;
  }
};

/** Checks an object's keys against `fields`: the first problem, or undefined. */
function objectOf(fields: Record<string, Check>): Check {
  return (v) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return "must be an object";
    for (const [key, value] of Object.entries(v)) {
      const check = fields[key];
      if (!check) return `has unknown field '${key}' (known: ${Object.keys(fields).join(", ")})`;
      const problem = check(value);
      if (problem) return `.${key} ${problem}`;
    }
    return undefined;
  };
}

const isBoolean: Check = (v) => typeof v === "boolean" ? undefined : "must be true or false";

const isFiles: Check = (v) =>
  isString(v) === undefined ||
    (Array.isArray(v) && v.length > 0 && v.every((x) => isString(x) === undefined))
    ? undefined
    : "must be a file name or a list of them";

const TLS_FIELDS: Record<string, Check> = {
  ca: isFiles,
  cert: isString,
  key: isString,
  serverName: isString,
  insecure: isBoolean,
};

const IDENTITY_FIELDS: Record<string, Check> = {
  username: isString,
  passwordFile: isString,
  kerberosFile: isString,
  samlFile: isString,
  jwtFile: isString,
  response: isBoolean,
};

/** The fields a destination may have, with their checks. New settings are one line here. */
const FIELDS: Record<string, Check> = {
  host: isString,
  port: (v) =>
    Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535
      ? undefined
      : "must be an integer 1-65535",
  calledAeTitle: isAeTitle,
  callingAeTitle: isAeTitle,
  description: (v) => typeof v === "string" ? undefined : "must be a string",
  tls: (v) => v === true ? undefined : objectOf(TLS_FIELDS)(v),
  identity: objectOf(IDENTITY_FIELDS),
};

/**
 * Settings that belong in a destination but that this version can't apply yet: refused rather
 * than ignored, so that a destination asking for TLS is never used in the clear.
 */
const NOT_YET: Record<string, string> = {};

/** Top-level keys of the file besides `destinations`. */
const TOP_LEVEL = new Set(["destinations", "$schema"]);

function envIfGranted(name: string): string | undefined {
  const state = Deno.permissions.querySync({ name: "env", variable: name }).state;
  if (state !== "granted") return undefined;
  const v = Deno.env.get(name);
  return v && v.startsWith("/") ? v : undefined;
}

/**
 * The default destinations file: `$XDG_CONFIG_HOME/storescu/destinations.json`, else
 * `$HOME/.config/storescu/destinations.json`. Reading those variables needs env permission,
 * which is never prompted for: without it, a {@link DestinationError} says what to do.
 *
 * @example
 * ```ts ignore
 * import { defaultConfigPath } from "./destinations.ts";
 * defaultConfigPath(); // "/home/me/.config/storescu/destinations.json"
 * ```
 */
export function defaultConfigPath(): string {
  const xdg = envIfGranted("XDG_CONFIG_HOME");
  if (xdg) return `${xdg.replace(/\/+$/, "")}/storescu/destinations.json`;
  const home = envIfGranted("HOME");
  if (home) return `${home.replace(/\/+$/, "")}/.config/storescu/destinations.json`;
  throw new DestinationError(
    "--dest: can't find your config folder without env permission: run with " +
      "--allow-env=XDG_CONFIG_HOME,HOME, or name the file with --config FILE",
  );
}

function readConfig(path: string): string {
  const perm = Deno.permissions.querySync({ name: "read", path }).state;
  if (perm !== "granted") {
    throw new DestinationError(
      `${path}: no read permission; run with -R (or --allow-read=${path})`,
    );
  }
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new DestinationError(`${path}: no such file (see README, "Destinations")`);
    }
    if (err instanceof Deno.errors.IsADirectory) throw new DestinationError(`${path}: a directory`);
    throw new DestinationError(`${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "string" ? JSON.stringify(v) : `${typeof v} ${JSON.stringify(v)}`;
}

/**
 * Parses a destinations file's text and returns destination `name`, checked field by field.
 *
 * @example
 * ```ts
 * import { parseDestination } from "./destinations.ts";
 * const text = '{"destinations": {"pacs": {"host": "10.0.0.5", "port": 104}}}';
 * parseDestination(text, "pacs", "destinations.json").port; // 104
 * ```
 */
export function parseDestination(text: string, name: string, path: string): Destination {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new DestinationError(`${path}: not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc) || !isObject(doc.destinations)) {
    throw new DestinationError(
      `${path}: expected an object with "destinations": { "NAME": { "host": ..., "port": ... } }`,
    );
  }
  for (const key of Object.keys(doc)) {
    if (!TOP_LEVEL.has(key)) throw new DestinationError(`${path}: unknown top-level key '${key}'`);
  }
  const all = doc.destinations;
  if (!Object.hasOwn(all, name)) {
    const known = Object.keys(all);
    throw new DestinationError(
      `${path}: no destination '${name}' (${
        known.length === 0 ? "the file defines none" : `known: ${known.join(", ")}`
      })`,
    );
  }
  const entry = all[name];
  const where = `${path}: destination '${name}'`;
  if (!isObject(entry)) throw new DestinationError(`${where}: must be an object`);
  for (const [key, value] of Object.entries(entry)) {
    if (Object.hasOwn(NOT_YET, key)) {
      throw new DestinationError(
        `${where}: '${key}': ${NOT_YET[key]} settings are not supported by this version`,
      );
    }
    const check = FIELDS[key];
    if (!check) {
      throw new DestinationError(
        `${where}: unknown field '${key}' (known: ${Object.keys(FIELDS).join(", ")})`,
      );
    }
    const problem = check(value);
    if (problem) throw new DestinationError(`${where}: ${key} ${problem}, not ${typeName(value)}`);
  }
  for (const key of ["host", "port"]) {
    if (!Object.hasOwn(entry, key)) throw new DestinationError(`${where}: '${key}' is missing`);
  }
  return entry as unknown as Destination;
}

/**
 * Reads destination `name` from `configPath` (or the default file).
 *
 * @example
 * ```ts ignore
 * import { loadDestination } from "./destinations.ts";
 * const { destination, path } = loadDestination("pacs", "./destinations.json");
 * ```
 */
export function loadDestination(
  name: string,
  configPath?: string,
): { destination: Destination; path: string } {
  const path = configPath ?? defaultConfigPath();
  return { destination: parseDestination(readConfig(path), name, path), path };
}

/**
 * Fills `opts` from its `--dest` destination: address and port, and the AE titles unless the
 * command line gave them. Returns the file it was read from.
 *
 * @example
 * ```ts ignore
 * import { parseArgs } from "./options.ts";
 * import { applyDestination } from "./destinations.ts";
 * const opts = parseArgs(["--dest", "pacs", "--config", "d.json", "study/"]);
 * applyDestination(opts); // opts.addr, opts.port now from "pacs"
 * ```
 */
export function applyDestination(opts: CliOptions): string | undefined {
  if (opts.dest === undefined) return undefined;
  const { destination: d, path } = loadDestination(opts.dest, opts.config);
  opts.addr = d.host;
  opts.port = d.port;
  const given = opts.given ?? new Set();
  if (d.calledAeTitle !== undefined && !given.has("calledAet")) opts.calledAet = d.calledAeTitle;
  if (d.callingAeTitle !== undefined && !given.has("callingAet")) {
    opts.callingAet = d.callingAeTitle;
  }
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
  const file = (f: string) => f.startsWith("/") || f === "-" ? f : `${dir}${f}`;
  if (d.tls !== undefined) applyTls(opts, d.tls === true ? {} : d.tls, given, file);
  // An identity on the command line replaces the destination's as a whole.
  const own = ["user", "kerberosFile", "samlFile", "jwtFile"].some((k) => given.has(k));
  if (d.identity !== undefined && !own) {
    const id = d.identity;
    opts.user = id.username;
    opts.passwordFile = id.passwordFile === undefined ? undefined : file(id.passwordFile);
    opts.kerberosFile = id.kerberosFile === undefined ? undefined : file(id.kerberosFile);
    opts.samlFile = id.samlFile === undefined ? undefined : file(id.samlFile);
    opts.jwtFile = id.jwtFile === undefined ? undefined : file(id.jwtFile);
    opts.userResponse ||= id.response === true;
  }
  try {
    checkSecureOptions(opts);
  } catch (err) {
    throw new DestinationError(`${path}: destination '${opts.dest}': ${(err as Error).message}`);
  }
  return path;
}

/** TLS from a destination: on, and each setting unless the command line gave it. */
function applyTls(
  opts: CliOptions,
  t: DestinationTls,
  given: ReadonlySet<string>,
  file: (f: string) => string,
): void {
  // A destination that asks for TLS is never used in the clear: there is no option to undo it.
  opts.tls = true;
  if (t.ca !== undefined && !given.has("tlsCa")) {
    opts.tlsCa = (typeof t.ca === "string" ? [t.ca] : t.ca).map(file);
  }
  if (t.cert !== undefined && !given.has("tlsCert")) opts.tlsCert = file(t.cert);
  if (t.key !== undefined && !given.has("tlsKey")) opts.tlsKey = file(t.key);
  if (t.serverName !== undefined && !given.has("tlsServerName")) {
    opts.tlsServerName = t.serverName;
  }
  if (t.insecure === true) opts.tlsInsecure = true;
}
