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
  /** The SOP class (abstract syntax) UID. */
  abstractSyntax: string;
  /** Proposed transfer syntax UIDs, in order of preference. */
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
  /** The id of the proposed context this answers. */
  id: number;
  /** One of {@link ContextResult}. */
  result: number;
  /** The accepted transfer syntax; peers may send an empty or absent one when rejecting. */
  transferSyntax: string;
}

/** SCP/SCU Role Selection sub-item (0x54, PS3.7 D.3.3.4). */
export interface RoleSelection {
  /** The SOP class the roles apply to. */
  sopClassUid: string;
  /** The requestor may act as SCU (RQ) / the role was accepted (AC). */
  scuRole: boolean;
  /** The requestor may act as SCP (RQ) / the role was accepted (AC). */
  scpRole: boolean;
}

/** SOP Class Extended Negotiation sub-item (0x56, PS3.7 D.3.3.5). */
export interface SopClassExtendedNegotiation {
  /** The SOP class the information applies to. */
  sopClassUid: string;
  /** Service-class specific application information, as raw bytes. */
  info: Uint8Array;
}

/** SOP Class Common Extended Negotiation sub-item (0x57, PS3.7 D.3.3.6). */
export interface SopClassCommonExtendedNegotiation {
  /** The specialised SOP class proposed. */
  sopClassUid: string;
  /** The service class it belongs to. */
  serviceClassUid: string;
  /** General SOP classes it specialises. */
  relatedGeneralSopClassUids: string[];
}

/** User Identity Negotiation request sub-item (0x58, PS3.7 D.3.3.7). */
export interface UserIdentityRQ {
  /** 1 username, 2 username+passcode, 3 Kerberos, 4 SAML, 5 JWT. */
  identityType: number;
  /** Ask the acceptor to answer with a 0x59 item. */
  positiveResponseRequested: boolean;
  /** Username, Kerberos ticket, SAML assertion or JWT, as raw bytes. */
  primaryField: Uint8Array;
  /** Passcode (identity type 2), else empty. */
  secondaryField: Uint8Array;
}

/** User Identity Negotiation response sub-item (0x59). */
export interface UserIdentityAC {
  /** The server response, as raw bytes (empty for types 1 and 2). */
  serverResponse: Uint8Array;
}

/** Asynchronous Operations Window sub-item (0x53, PS3.7 D.3.3.3). */
export interface AsyncOperationsWindow {
  /** Outstanding operations the requestor may invoke (0 = unlimited). */
  maxOperationsInvoked: number;
  /** Outstanding operations the requestor may be asked to perform (0 = unlimited). */
  maxOperationsPerformed: number;
}

/** A user-information sub-item we do not interpret, kept as raw bytes. */
export interface UnknownItem {
  /** The sub-item type byte. */
  itemType: number;
  /** The sub-item's value bytes. */
  data: Uint8Array;
}

/** User Information item (0x50) and its sub-items. */
export interface UserInformation {
  /** Maximum Length Received (0x51); 0 means no limit. */
  maxLength?: number;
  /** Implementation Class UID (0x52). */
  implementationClassUid?: string;
  /** Implementation Version Name (0x55). */
  implementationVersionName?: string;
  /** Asynchronous Operations Window (0x53). */
  asyncOperationsWindow?: AsyncOperationsWindow;
  /** SCP/SCU Role Selection items (0x54). */
  roleSelections: RoleSelection[];
  /** SOP Class Extended Negotiation items (0x56). */
  extendedNegotiation: SopClassExtendedNegotiation[];
  /** SOP Class Common Extended Negotiation items (0x57). */
  commonExtendedNegotiation: SopClassCommonExtendedNegotiation[];
  /** User Identity Negotiation request (0x58). */
  userIdentity?: UserIdentityRQ;
  /** User Identity Negotiation response (0x59). */
  userIdentityResponse?: UserIdentityAC;
  /** Sub-items of other types, kept as they came. */
  unknownItems: UnknownItem[];
}

/** Fields shared by A-ASSOCIATE-RQ and A-ASSOCIATE-AC. */
export interface AssociateCommon {
  /** Protocol version bit field; 1 is the only version. */
  protocolVersion: number;
  /** Called AE title, without its space padding. */
  calledAeTitle: string;
  /** Calling AE title, without its space padding. */
  callingAeTitle: string;
  /** Application context name (the DICOM one). */
  applicationContext: string;
  /** The User Information item. */
  userInfo: UserInformation;
}

/** A-ASSOCIATE-RQ PDU (type 0x01). */
export interface AssociateRQ extends AssociateCommon {
  /** The PDU type code. */
  type: typeof PduType.AssociateRQ;
  /** Proposed presentation contexts. */
  presentationContexts: PresentationContextRQ[];
}

/** A-ASSOCIATE-AC PDU (type 0x02). */
export interface AssociateAC extends AssociateCommon {
  /** The PDU type code. */
  type: typeof PduType.AssociateAC;
  /** Answers to the proposed presentation contexts. */
  presentationContexts: PresentationContextAC[];
}

/** A-ASSOCIATE-RJ PDU (type 0x03). */
export interface AssociateRJ {
  /** The PDU type code. */
  type: typeof PduType.AssociateRJ;
  /** 1 rejected-permanent, 2 rejected-transient. */
  result: number;
  /** 1 service-user, 2 service-provider (ACSE), 3 service-provider (presentation). */
  source: number;
  /** Reason/diagnostic, meaning depends on `source` (PS3.8 table 9-21). */
  reason: number;
}

/** One presentation data value item of a P-DATA-TF PDU. */
export interface Pdv {
  /** The presentation context id. */
  contextId: number;
  /** Message control header bit 0: command (true) or data set (false). */
  isCommand: boolean;
  /** Message control header bit 1: last fragment of the command or data set. */
  isLast: boolean;
  /** The fragment bytes. */
  data: Uint8Array;
}

/** P-DATA-TF PDU (type 0x04). */
export interface PDataTF {
  /** The PDU type code. */
  type: typeof PduType.PData;
  /** The presentation data value items. */
  pdvs: Pdv[];
}

/** A-RELEASE-RQ PDU (type 0x05). */
export interface ReleaseRQ {
  /** The PDU type code. */
  type: typeof PduType.ReleaseRQ;
}

/** A-RELEASE-RP PDU (type 0x06). */
export interface ReleaseRP {
  /** The PDU type code. */
  type: typeof PduType.ReleaseRP;
}

/** A-ABORT PDU (type 0x07). */
export interface Abort {
  /** The PDU type code. */
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
