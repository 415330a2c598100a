/**
 * The seven upper-layer PDUs of DICOM PS3.8 section 9.3 and their items, as plain data.
 *
 * The codec in {@link ./encode.ts} and {@link ./decode.ts} turns these into bytes and back;
 * nothing here does I/O.
 *
 * @module
 */

/** PDU type codes (PS3.8 table 9-1 and following). */
export const PduType = {
  AssociateRQ: 0x01,
  AssociateAC: 0x02,
  AssociateRJ: 0x03,
  PData: 0x04,
  ReleaseRQ: 0x05,
  ReleaseRP: 0x06,
  Abort: 0x07,
} as const;

/** Item type codes used inside A-ASSOCIATE PDUs (PS3.8 section 9.3.2 and PS3.7 annex D). */
export const ItemType = {
  ApplicationContext: 0x10,
  PresentationContextRQ: 0x20,
  PresentationContextAC: 0x21,
  AbstractSyntax: 0x30,
  TransferSyntax: 0x40,
  UserInformation: 0x50,
  MaximumLength: 0x51,
  ImplementationClassUid: 0x52,
  AsyncOperationsWindow: 0x53,
  RoleSelection: 0x54,
  ImplementationVersionName: 0x55,
  SopClassExtendedNegotiation: 0x56,
  SopClassCommonExtendedNegotiation: 0x57,
  UserIdentityRQ: 0x58,
  UserIdentityAC: 0x59,
} as const;

/** The DICOM application context name, the only one PS3.7 defines. */
export const DICOM_APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1";

/** A presentation context as proposed in an A-ASSOCIATE-RQ (item 0x20). */
export interface PresentationContextRQ {
  /** Odd number 1..255. */
  id: number;
  abstractSyntax: string;
  transferSyntaxes: string[];
}

/**
 * Result/reason codes of a presentation context in an A-ASSOCIATE-AC (PS3.8 table 9-18).
 */
export const ContextResult = {
  Acceptance: 0,
  UserRejection: 1,
  NoReason: 2,
  AbstractSyntaxNotSupported: 3,
  TransferSyntaxesNotSupported: 4,
} as const;

/** A presentation context as answered in an A-ASSOCIATE-AC (item 0x21). */
export interface PresentationContextAC {
  id: number;
  /** One of {@link ContextResult}. */
  result: number;
  /** The accepted transfer syntax; peers may send an empty or absent one when rejecting. */
  transferSyntax: string;
}

/** SCP/SCU Role Selection sub-item (0x54, PS3.7 D.3.3.4). */
export interface RoleSelection {
  sopClassUid: string;
  scuRole: boolean;
  scpRole: boolean;
}

/** SOP Class Extended Negotiation sub-item (0x56, PS3.7 D.3.3.5). */
export interface SopClassExtendedNegotiation {
  sopClassUid: string;
  info: Uint8Array;
}

/** SOP Class Common Extended Negotiation sub-item (0x57, PS3.7 D.3.3.6). */
export interface SopClassCommonExtendedNegotiation {
  sopClassUid: string;
  serviceClassUid: string;
  relatedGeneralSopClassUids: string[];
}

/** User Identity Negotiation request sub-item (0x58, PS3.7 D.3.3.7). */
export interface UserIdentityRQ {
  /** 1 username, 2 username+passcode, 3 Kerberos, 4 SAML, 5 JWT. */
  identityType: number;
  positiveResponseRequested: boolean;
  primaryField: Uint8Array;
  secondaryField: Uint8Array;
}

/** User Identity Negotiation response sub-item (0x59). */
export interface UserIdentityAC {
  serverResponse: Uint8Array;
}

/** Asynchronous Operations Window sub-item (0x53, PS3.7 D.3.3.3). */
export interface AsyncOperationsWindow {
  maxOperationsInvoked: number;
  maxOperationsPerformed: number;
}

/** A user-information sub-item we do not interpret, kept as raw bytes. */
export interface UnknownItem {
  itemType: number;
  data: Uint8Array;
}

/** User Information item (0x50) and its sub-items. */
export interface UserInformation {
  /** Maximum Length Received (0x51); 0 means no limit. */
  maxLength?: number;
  implementationClassUid?: string;
  implementationVersionName?: string;
  asyncOperationsWindow?: AsyncOperationsWindow;
  roleSelections: RoleSelection[];
  extendedNegotiation: SopClassExtendedNegotiation[];
  commonExtendedNegotiation: SopClassCommonExtendedNegotiation[];
  userIdentity?: UserIdentityRQ;
  userIdentityResponse?: UserIdentityAC;
  unknownItems: UnknownItem[];
}

/** Fields shared by A-ASSOCIATE-RQ and A-ASSOCIATE-AC. */
interface AssociateCommon {
  protocolVersion: number;
  /** Called AE title, without its space padding. */
  calledAeTitle: string;
  /** Calling AE title, without its space padding. */
  callingAeTitle: string;
  applicationContext: string;
  userInfo: UserInformation;
}

/** A-ASSOCIATE-RQ PDU (type 0x01). */
export interface AssociateRQ extends AssociateCommon {
  type: typeof PduType.AssociateRQ;
  presentationContexts: PresentationContextRQ[];
}

/** A-ASSOCIATE-AC PDU (type 0x02). */
export interface AssociateAC extends AssociateCommon {
  type: typeof PduType.AssociateAC;
  presentationContexts: PresentationContextAC[];
}

/** A-ASSOCIATE-RJ PDU (type 0x03). */
export interface AssociateRJ {
  type: typeof PduType.AssociateRJ;
  /** 1 rejected-permanent, 2 rejected-transient. */
  result: number;
  /** 1 service-user, 2 service-provider (ACSE), 3 service-provider (presentation). */
  source: number;
  reason: number;
}

/** One presentation data value item of a P-DATA-TF PDU. */
export interface Pdv {
  contextId: number;
  /** Message control header bit 0: command (true) or data set (false). */
  isCommand: boolean;
  /** Message control header bit 1: last fragment of the command or data set. */
  isLast: boolean;
  data: Uint8Array;
}

/** P-DATA-TF PDU (type 0x04). */
export interface PDataTF {
  type: typeof PduType.PData;
  pdvs: Pdv[];
}

/** A-RELEASE-RQ PDU (type 0x05). */
export interface ReleaseRQ {
  type: typeof PduType.ReleaseRQ;
}

/** A-RELEASE-RP PDU (type 0x06). */
export interface ReleaseRP {
  type: typeof PduType.ReleaseRP;
}

/** A-ABORT PDU (type 0x07). */
export interface Abort {
  type: typeof PduType.Abort;
  /** 0 service-user, 2 service-provider. */
  source: number;
  /** Meaningful when source is 2: 0..6 per PS3.8 table 9-26. */
  reason: number;
}

/** Any of the seven PDUs. */
export type Pdu =
  | AssociateRQ
  | AssociateAC
  | AssociateRJ
  | PDataTF
  | ReleaseRQ
  | ReleaseRP
  | Abort;

/** An empty {@link UserInformation}, to build on. */
export function emptyUserInformation(): UserInformation {
  return {
    roleSelections: [],
    extendedNegotiation: [],
    commonExtendedNegotiation: [],
    unknownItems: [],
  };
}
