/**
 * ACSE: building the A-ASSOCIATE-RQ an SCU sends, negotiating as an acceptor, AE title
 * rules, and our implementation identity.
 *
 * @module
 */

import {
  type AssociateAC,
  type AssociateRJ,
  type AssociateRQ,
  type AsyncOperationsWindow,
  ContextResult,
  DICOM_APPLICATION_CONTEXT,
  emptyUserInformation,
  PduType,
  type PresentationContextAC,
  type PresentationContextRQ,
  type UserIdentityRQ,
} from "./pdu/types.ts";

/**
 * Our Implementation Class UID: a `2.25.` UID derived from the UUID
 * 5f78b86c-bb15-4e09-96ed-ceb73486e2c1 (PS3.5 B.2).
 */
export const IMPLEMENTATION_CLASS_UID = "2.25.126903475800499263489477168204463137473";

/** Our Implementation Version Name (at most 16 characters). */
export const IMPLEMENTATION_VERSION_NAME = "STORESCU_DENO_01";

/** An AE title that breaks PS3.5's rules for the AE value representation. */
export class AeTitleError extends Error {
  /**
   * Creates the error.
   * @param message the reference tool's wording
   */
  constructor(message: string) {
    super(message);
    this.name = "AeTitleError";
  }
}

/**
 * Checks an AE title the way the reference tool does and returns it unchanged. Leading and
 * trailing spaces are allowed; on the wire it is space-padded to 16 bytes.
 *
 * @example
 * ```ts
 * import { validateAeTitle } from "jsr:@x/storescu/association";
 * validateAeTitle("STORESCU"); // "STORESCU"
 * ```
 */
export function validateAeTitle(value: string): string {
  if (value.length === 0) {
    throw new AeTitleError("Invalid 'ae_title' value - must not be an empty str");
  }
  if (value.trim().length === 0) {
    throw new AeTitleError(
      `Invalid 'ae_title' value '${value}' - must not consist entirely of spaces`,
    );
  }
  if (value.length > 16) {
    throw new AeTitleError(`Invalid 'ae_title' value '${value}' - must not exceed 16 characters`);
  }
  // deno-lint-ignore no-control-regex
  if (/[^\x00-\x7f]/.test(value)) {
    throw new AeTitleError(
      `Invalid 'ae_title' value '${value}' - must only contain ASCII characters`,
    );
  }
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f\\]/.test(value)) {
    throw new AeTitleError(
      `Invalid 'ae_title' value '${value}' - must not contain control characters or backslashes`,
    );
  }
  return value;
}

/** What an SCU asks for. */
export interface RequestParameters {
  /** Calling AE title (ours). */
  callingAeTitle: string;
  /** Called AE title (the peer's). */
  calledAeTitle: string;
  /** Presentation contexts to propose. */
  presentationContexts: PresentationContextRQ[];
  /** Our Maximum Length Received; 0 = unlimited. */
  maxPduLength: number;
  /** Propose an asynchronous operations window (omitted when undefined). */
  asyncOperationsWindow?: AsyncOperationsWindow;
  /** User Identity Negotiation sub-item (0x58), e.g. from `userIdentitySubItem()`. */
  userIdentity?: UserIdentityRQ;
}

/**
 * Builds the A-ASSOCIATE-RQ for `params`, with our implementation class UID and version name.
 *
 * @example
 * ```ts
 * import { buildAssociateRQ } from "jsr:@x/storescu/association";
 * const rq = buildAssociateRQ({
 *   callingAeTitle: "STORESCU",
 *   calledAeTitle: "ANY-SCP",
 *   presentationContexts: [{ id: 1, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: ["1.2.840.10008.1.2"] }],
 *   maxPduLength: 16382,
 * });
 * rq.userInfo.maxLength; // 16382
 * ```
 */
export function buildAssociateRQ(params: RequestParameters): AssociateRQ {
  const userInfo = emptyUserInformation();
  userInfo.maxLength = params.maxPduLength;
  userInfo.implementationClassUid = IMPLEMENTATION_CLASS_UID;
  userInfo.implementationVersionName = IMPLEMENTATION_VERSION_NAME;
  if (params.asyncOperationsWindow) userInfo.asyncOperationsWindow = params.asyncOperationsWindow;
  if (params.userIdentity) userInfo.userIdentity = params.userIdentity;
  return {
    type: PduType.AssociateRQ,
    protocolVersion: 1,
    calledAeTitle: params.calledAeTitle,
    callingAeTitle: params.callingAeTitle,
    applicationContext: DICOM_APPLICATION_CONTEXT,
    presentationContexts: params.presentationContexts,
    userInfo,
  };
}

/** How an acceptor answers proposals. */
export interface AcceptorPolicy {
  /** Our AE title; when set, a different called AE title is rejected (reason 7). */
  aeTitle?: string;
  /** Accepted calling AE titles; other callers are rejected (reason 3). */
  allowedCallingAeTitles?: string[];
  /** Abstract syntaxes accepted; `undefined` accepts all. */
  abstractSyntaxes?: ReadonlySet<string>;
  /** Transfer syntaxes accepted, in our order of preference. */
  transferSyntaxes: readonly string[];
  /** Prefer our order (true) or the proposer's order (false, default). */
  preferOwnOrder?: boolean;
  /** Our Maximum Length Received; 0 = unlimited. */
  maxPduLength: number;
  /** Asynchronous operations we can perform (omitted or 1 = synchronous). */
  maxOperationsPerformed?: number;
  /** Reject every association with this result/source/reason. */
  reject?: { result: number; source: number; reason: number };
}

/**
 * Answers an A-ASSOCIATE-RQ as an acceptor: an AC with one result per proposed context, or
 * an RJ when the policy says so.
 *
 * @example
 * ```ts
 * import { buildAssociateRQ, negotiateAsAcceptor } from "jsr:@x/storescu/association";
 * const rq = buildAssociateRQ({
 *   callingAeTitle: "A",
 *   calledAeTitle: "B",
 *   presentationContexts: [{ id: 1, abstractSyntax: "1.2.840.10008.1.1", transferSyntaxes: ["1.2.840.10008.1.2"] }],
 *   maxPduLength: 0,
 * });
 * const ac = negotiateAsAcceptor(rq, { transferSyntaxes: ["1.2.840.10008.1.2"], maxPduLength: 0 });
 * ac.type; // 2
 * ```
 */
export function negotiateAsAcceptor(
  rq: AssociateRQ,
  policy: AcceptorPolicy,
): AssociateAC | AssociateRJ {
  if (policy.reject) return { type: PduType.AssociateRJ, ...policy.reject };
  if (rq.applicationContext !== DICOM_APPLICATION_CONTEXT) {
    return { type: PduType.AssociateRJ, result: 1, source: 1, reason: 2 };
  }
  if (policy.aeTitle !== undefined && rq.calledAeTitle.trim() !== policy.aeTitle.trim()) {
    return { type: PduType.AssociateRJ, result: 1, source: 1, reason: 7 };
  }
  if (
    policy.allowedCallingAeTitles &&
    !policy.allowedCallingAeTitles.some((a) => a.trim() === rq.callingAeTitle.trim())
  ) {
    return { type: PduType.AssociateRJ, result: 1, source: 1, reason: 3 };
  }
  const contexts: PresentationContextAC[] = rq.presentationContexts.map((pc) => {
    if (policy.abstractSyntaxes && !policy.abstractSyntaxes.has(pc.abstractSyntax)) {
      return {
        id: pc.id,
        result: ContextResult.AbstractSyntaxNotSupported,
        transferSyntax: pc.transferSyntaxes[0] ?? "",
      };
    }
    const choice = policy.preferOwnOrder
      ? policy.transferSyntaxes.find((t) => pc.transferSyntaxes.includes(t))
      : pc.transferSyntaxes.find((t) => policy.transferSyntaxes.includes(t));
    if (!choice) {
      return {
        id: pc.id,
        result: ContextResult.TransferSyntaxesNotSupported,
        transferSyntax: pc.transferSyntaxes[0] ?? "",
      };
    }
    return { id: pc.id, result: ContextResult.Acceptance, transferSyntax: choice };
  });
  const userInfo = emptyUserInformation();
  userInfo.maxLength = policy.maxPduLength;
  userInfo.implementationClassUid = IMPLEMENTATION_CLASS_UID;
  userInfo.implementationVersionName = IMPLEMENTATION_VERSION_NAME;
  const asked = rq.userInfo.asyncOperationsWindow;
  if (asked) {
    const performed = policy.maxOperationsPerformed ?? 1;
    userInfo.asyncOperationsWindow = {
      maxOperationsInvoked: Math.min(asked.maxOperationsInvoked || performed, performed),
      maxOperationsPerformed: 1,
    };
  }
  return {
    type: PduType.AssociateAC,
    protocolVersion: 1,
    calledAeTitle: rq.calledAeTitle,
    callingAeTitle: rq.callingAeTitle,
    applicationContext: DICOM_APPLICATION_CONTEXT,
    presentationContexts: contexts,
    userInfo,
  };
}
