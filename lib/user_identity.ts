/**
 * User Identity Negotiation (PS3.7 D.3.3.7): who is sending, as a username (with or without a
 * passcode), a Kerberos service ticket, a SAML assertion or a JSON Web Token, carried in the
 * A-ASSOCIATE-RQ's user information (sub-item 0x58); an acceptor may confirm it (0x59).
 *
 * Secrets (passcode, ticket, assertion, token) are never turned into text here or in the `-d`
 * dumps (which show their length only).
 *
 * @module
 */

import type { UserIdentityAC, UserIdentityRQ } from "./pdu/types.ts";

/** A user identity, as an application gives it or an acceptor receives it. */
export type UserIdentity =
  /** Type 1 (username) or, with a password, type 2 (username and passcode). */
  | { type: "username"; username: string; password?: string }
  /** Type 3: a Kerberos service ticket, as raw bytes. */
  | { type: "kerberos"; ticket: Uint8Array }
  /** Type 4: a SAML assertion (XML). */
  | { type: "saml"; assertion: Uint8Array | string }
  /** Type 5: a JSON Web Token. */
  | { type: "jwt"; token: string };

/** A user identity to send, and whether to ask the acceptor to confirm it. */
export type UserIdentityRequest = UserIdentity & {
  /**
   * Ask for a positive response (sub-item 0x59); an association whose acceptor does not give
   * one is aborted with {@link UserIdentityNotConfirmedError}.
   */
  positiveResponse?: boolean;
};

/** A user identity that cannot be sent (a field too long for the sub-item, say). */
export class UserIdentityError extends Error {
  /**
   * Creates it.
   * @param message one line for the log
   */
  constructor(message: string) {
    super(message);
    this.name = "UserIdentityError";
  }
}

/** The acceptor did not confirm the user identity we asked it to confirm. */
export class UserIdentityNotConfirmedError extends Error {
  /** Creates it. */
  constructor() {
    super(
      "User identity not confirmed: the peer accepted the association without the positive " +
        "response we asked for (user identity sub-item 0x59); association aborted",
    );
    this.name = "UserIdentityNotConfirmedError";
  }
}

const utf8 = new TextEncoder();
const MAX_FIELD = 0xffff;

function field(value: Uint8Array | string, what: string): Uint8Array {
  const bytes = typeof value === "string" ? utf8.encode(value) : value;
  if (bytes.length > MAX_FIELD) {
    throw new UserIdentityError(
      `User identity: the ${what} is ${bytes.length} bytes, more than the ${MAX_FIELD} ` +
        "a user identity field can hold",
    );
  }
  return bytes;
}

/**
 * The user identity sub-item (0x58) for `identity`. Username and passcode are UTF-8
 * (PS3.7 D.3.3.7.1); a ticket, assertion or token goes as given.
 *
 * @example
 * ```ts
 * import { userIdentitySubItem } from "./user_identity.ts";
 * const item = userIdentitySubItem({ type: "username", username: "alice", positiveResponse: true });
 * item.identityType; // 1
 * item.positiveResponseRequested; // true
 * ```
 */
export function userIdentitySubItem(identity: UserIdentityRequest): UserIdentityRQ {
  const empty = new Uint8Array();
  const positiveResponseRequested = identity.positiveResponse === true;
  switch (identity.type) {
    case "username":
      if (identity.username.length === 0) {
        throw new UserIdentityError("User identity: the username is empty");
      }
      return {
        identityType: identity.password === undefined ? 1 : 2,
        positiveResponseRequested,
        primaryField: field(identity.username, "username"),
        secondaryField: identity.password === undefined
          ? empty
          : field(identity.password, "password"),
      };
    case "kerberos":
      return {
        identityType: 3,
        positiveResponseRequested,
        primaryField: field(identity.ticket, "Kerberos ticket"),
        secondaryField: empty,
      };
    case "saml":
      return {
        identityType: 4,
        positiveResponseRequested,
        primaryField: field(identity.assertion, "SAML assertion"),
        secondaryField: empty,
      };
    case "jwt":
      return {
        identityType: 5,
        positiveResponseRequested,
        primaryField: field(identity.token, "JSON Web Token"),
        secondaryField: empty,
      };
  }
}

const text = new TextDecoder();

/**
 * The user identity a sub-item carries (for an acceptor's check), or `undefined` for an
 * identity type PS3.7 does not define.
 *
 * @example
 * ```ts
 * import { userIdentityOf, userIdentitySubItem } from "./user_identity.ts";
 * userIdentityOf(userIdentitySubItem({ type: "jwt", token: "a.b.c" })); // { type: "jwt", token: "a.b.c" }
 * ```
 */
export function userIdentityOf(item: UserIdentityRQ): UserIdentity | undefined {
  switch (item.identityType) {
    case 1:
      return { type: "username", username: text.decode(item.primaryField) };
    case 2:
      return {
        type: "username",
        username: text.decode(item.primaryField),
        password: text.decode(item.secondaryField),
      };
    case 3:
      return { type: "kerberos", ticket: item.primaryField };
    case 4:
      return { type: "saml", assertion: item.primaryField };
    case 5:
      return { type: "jwt", token: text.decode(item.primaryField) };
  }
  return undefined;
}

/**
 * True when the acceptor's answer satisfies the request: no positive response was asked for,
 * or the A-ASSOCIATE-AC carries one (sub-item 0x59).
 *
 * @example
 * ```ts
 * import { identityConfirmed } from "./user_identity.ts";
 * identityConfirmed(undefined, undefined); // true
 * ```
 */
export function identityConfirmed(
  requested: UserIdentityRQ | undefined,
  response: UserIdentityAC | undefined,
): boolean {
  return !requested?.positiveResponseRequested || response !== undefined;
}

/** What the CLI's options name: which file holds which secret. */
export interface UserIdentityFiles {
  /** `--user`: the username (not a secret). */
  username?: string;
  /** `--password-file`: the passcode; `-` reads standard input. */
  passwordFile?: string;
  /** `--kerberos-file`: a Kerberos service ticket (bytes as they are). */
  kerberosFile?: string;
  /** `--saml-file`: a SAML assertion (bytes as they are). */
  samlFile?: string;
  /** `--jwt-file`: a JSON Web Token. */
  jwtFile?: string;
  /** `--user-response`: ask for a positive response. */
  positiveResponse?: boolean;
}

/**
 * Reads a file, or standard input for `-`. An error does not repeat the path: a secret typed
 * where its file name belongs must not be echoed.
 */
async function readSecret(path: string, what: string, option: string): Promise<Uint8Array> {
  try {
    if (path !== "-") return await Deno.readFile(path);
    const chunks: Uint8Array[] = [];
    for await (const c of Deno.stdin.readable) chunks.push(c);
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/ \(os error \d+\).*$/, "") : "";
    throw new UserIdentityError(
      `User identity: cannot read the ${what} ${
        path === "-" ? "from standard input" : `file given to ${option}`
      }: ${why}`,
    );
  }
}

/** Text of a secret file with one trailing line break (`\n` or `\r\n`) dropped. */
function line(bytes: Uint8Array): string {
  return text.decode(bytes).replace(/\r?\n$/, "");
}

/**
 * Reads the secrets the CLI's options name and builds the identity to send: a password or a
 * token loses one trailing line break (as `echo` leaves); a Kerberos ticket and a SAML
 * assertion are sent byte for byte. Returns `undefined` when no identity option was given.
 *
 * @example
 * ```ts ignore
 * import { readUserIdentity } from "./user_identity.ts";
 * const identity = await readUserIdentity({ username: "alice", passwordFile: "pw.txt" });
 * ```
 */
export async function readUserIdentity(
  files: UserIdentityFiles,
): Promise<UserIdentityRequest | undefined> {
  const positiveResponse = files.positiveResponse === true;
  let identity: UserIdentityRequest | undefined;
  if (files.username !== undefined) {
    identity = {
      type: "username",
      username: files.username,
      password: files.passwordFile === undefined
        ? undefined
        : line(await readSecret(files.passwordFile, "password", "--password-file")),
      positiveResponse,
    };
  } else if (files.kerberosFile !== undefined) {
    const ticket = await readSecret(files.kerberosFile, "Kerberos ticket", "--kerberos-file");
    identity = { type: "kerberos", ticket, positiveResponse };
  } else if (files.samlFile !== undefined) {
    const assertion = await readSecret(files.samlFile, "SAML assertion", "--saml-file");
    identity = { type: "saml", assertion, positiveResponse };
  } else if (files.jwtFile !== undefined) {
    const token = line(await readSecret(files.jwtFile, "JSON Web Token", "--jwt-file"));
    identity = { type: "jwt", token, positiveResponse };
  }
  if (identity) userIdentitySubItem(identity); // check the sizes now, before connecting
  return identity;
}
