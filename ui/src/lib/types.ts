// Request and response types of the Tauri commands, hand-written for now.
//
// They mirror the Rust side's serde output (snake_case fields, snake_case enum values, times as
// RFC 3339 strings in UTC). When `src-tauri/` generates them with ts-rs into `src/generated/`,
// this file becomes a re-export of those and nothing else changes: keep every shared type here.

/** An RFC 3339 instant in UTC, as serde writes chrono's `DateTime<Utc>`. */
export type Instant = string;

/** An error as every command reports it: a stable code to branch on and a French sentence. */
export interface ApiError {
  /** Stable machine-readable code, e.g. `token.wrong_pin`. */
  code: string;
  /** French message: what happened and what to do. */
  message: string;
}

/** Role of a certificate on the key. */
export type CertificateRole = "signature" | "authentication" | "other";

/** A certificate as shown in the choice lists and in the first-connection declaration. */
export interface CertificateInfo {
  /** Serial number, hexadecimal or decimal as the issuer wrote it. */
  serial: string;
  /** Holder (subject common name). */
  holder: string;
  /** Holder's function (e.g. HUISSIER), when the certificate names one. */
  function: string | null;
  /** Issuer (issuer common name). */
  issuer: string;
  /** Start of validity. */
  not_before: Instant;
  /** End of validity. */
  not_after: Instant;
  /** What the certificate is for. */
  role: CertificateRole;
}

/** PIN state of a token, read from its flags before every login. */
export interface PinState {
  /** Tries left when the token tells it, else null. */
  tries_left: number | null;
  /** The token reports that a wrong PIN was typed since the last success. */
  count_low: boolean;
  /** The next wrong PIN locks the key. */
  final_try: boolean;
  /** The PIN is locked. */
  locked: boolean;
}

/** One plugged key (token). */
export interface TokenInfo {
  /** Token serial number (identifies the key across processes). */
  serial: string;
  /** Token label. */
  label: string;
  /** PIN state. */
  pin: PinState;
  /** Certificates found on the key. */
  certificates: CertificateInfo[];
}

/** Result of key detection. */
export interface TokenStatus {
  /** `ok`: module loaded; `missing`: no PKCS#11 module found or it failed to load. */
  module: "ok" | "missing";
  /** Path of the module in use (or the one that failed). */
  module_path: string | null;
  /** Plugged keys. */
  tokens: TokenInfo[];
}

/** Login request. The PIN lives only for this call. */
export interface ConnectRequest {
  /** Serial of the token. */
  token_serial: string;
  /** Serial of the authentication certificate. */
  certificate_serial: string;
  /** PIN as typed. */
  pin: string;
  /** Explicit consent to spend the final PIN try. */
  confirm_final_try: boolean;
}

/** The office bound to a certificate. */
export interface Office {
  /** Office number (numéro d'étude), e.g. 9991. */
  number: string;
  /** Office name. */
  name: string;
}

/** A logged-in session. */
export interface Session {
  /** Authentication certificate in use. */
  certificate: CertificateInfo;
  /** The office's space, or null on a first connection (certificate not bound yet). */
  office: Office | null;
}

/** First-connection binding. */
export interface BindRequest {
  /** Office number (numéro d'étude). */
  office_number: string;
  /** Office name. */
  office_name: string;
}

/** Kind of recipient. */
export type RecipientKind = "bank" | "company" | "administration" | "person";

/** A recipient card (fiche destinataire). */
export interface Recipient {
  /** Vault identifier. */
  id: string;
  /** Kind. */
  kind: RecipientKind;
  /** Name as registered. */
  name: string;
  /** SIRET, for an establishment. */
  siret: string | null;
  /** SIREN, for a company. */
  siren: string | null;
  /** NIR, masked (never the full number on screen). */
  nir_masked: string | null;
  /** E-mail address. */
  email: string | null;
  /** Landline. */
  phone_fixed: string | null;
  /** Mobile phone. */
  phone_mobile: string | null;
}

/** How the recipient is searched. */
export type RecipientSearchMode = "siret" | "name" | "insee";

/** Recipient search request. */
export interface RecipientQuery {
  /** Criterion kind. */
  mode: RecipientSearchMode;
  /** What was typed (normalised for identifiers). */
  query: string;
}

/** A nature of act from the catalogue. */
export interface Nature {
  /** Catalogue code. */
  code: string;
  /** French label. */
  label: string;
  /** The recipient may deposit a return (e.g. a bank after a saisie-attribution). */
  return_expected: boolean;
}

/** Whether the recipient accepts this nature now. */
export interface ReceptionStatus {
  /** Serving is allowed now. */
  open: boolean;
  /** Stable code of the refusal: `legal_hours` (CPC 664, a judge may permit), `recipient_window`,
   * `no_consent`. */
  reason: string | null;
  /** French message to show when closed. */
  message: string | null;
  /** Next opening, when known. */
  next_opening: Instant | null;
}

/** A document chosen for service. */
export interface DocumentRef {
  /** Absolute path on the workstation (the file name in the plain browser). */
  path: string;
  /** File name shown. */
  name: string;
}

/** Service request. */
export interface SignifyRequest {
  /** Office's deposit reference. */
  reference: string;
  /** Recipient (vault identifier). */
  recipient_id: string;
  /** Nature code. */
  nature: string;
  /** Paths of the acts. */
  documents: string[];
  /** Serial of the qualified signature certificate. */
  signature_certificate: string;
  /** Serial of the authentication certificate. */
  authentication_certificate: string;
  /** Signature PIN, for this call only. */
  pin: string;
  /** Consent to spend the final PIN try. */
  confirm_final_try: boolean;
  /** Reference of a judge's permission to serve outside legal hours (CPC 664), if any. */
  judge_permission: string | null;
  /** Prepare now (steps 1–2) and deposit at the recipient's next opening, which must be known. */
  schedule_at_next_opening: boolean;
}

/** A converted act ready for preview. */
export interface PreviewDocument {
  /** Name of the converted PDF/A. */
  name: string;
  /** URL the window can load (Tauri asset protocol or a blob URL). */
  url: string;
}

/** Number of one of the six steps (manual order). */
export type StepNumber = 1 | 2 | 3 | 4 | 5 | 6;

/** Live state of a step. `queued`: the package waits in the outbox (offline). */
export type StepStatus = "pending" | "running" | "done" | "failed" | "queued";

/** Progress event of a service, emitted on the `signify_step` event. */
export interface StepEvent {
  /** Job the event belongs to (chosen by the caller of `signify`). */
  job_id: string;
  /** Which step. */
  step: StepNumber;
  /** New state (never `pending`). */
  status: Exclude<StepStatus, "pending">;
  /** French reason when failed or queued. */
  reason: string | null;
}

/** Outcome of a service. */
export interface SignifyResult {
  /** Local service id (for the detail). */
  service_id: string;
  /** `deposited` after step 6, `queued` when waiting in the outbox. */
  state: "deposited" | "queued";
  /** Time of service, when deposited. */
  deposited_at: Instant | null;
  /** Archive name in the office's vault, when deposited. */
  archive_name: string | null;
}

/** The four dashboard categories of unseen notifications. */
export type Category = "awaiting_consultation" | "in_person" | "at_home" | "returns";

/** Unseen counts per category. */
export interface DashboardCounts {
  /** Awaiting consultation by the recipient. */
  awaiting_consultation: number;
  /** Delivered in person. */
  in_person: number;
  /** Delivered at home. */
  at_home: number;
  /** Returns awaiting consultation. */
  returns: number;
}

/** One page request of a list. */
export interface PageRequest {
  /** Rows to skip. */
  offset: number;
  /** Rows wanted (10 on screen). */
  limit: number;
}

/** One page of a list; no total (a total costs a full count). */
export interface Page<T> {
  /** Rows of this page. */
  items: T[];
  /** Another page follows. */
  has_more: boolean;
}

/** One dashboard notification row. */
export interface NotificationRow {
  /** Notification id (for mark_seen). */
  id: string;
  /** Service id (for the detail). */
  service_id: string;
  /** Deposit reference. */
  reference: string;
  /** Deposit time. */
  date: Instant;
  /** Deposited file name. */
  file: string;
  /** Recipient name. */
  recipient: string;
  /** Event label (French). */
  event: string;
}

/** Delivery state of a service. */
export type DeliveryState = "awaiting_consultation" | "in_person" | "at_home";

/** Where a service comes from. */
export type Source = "form" | "edi";

/** Search criteria; every field optional (null = any). Dates are calendar days `yyyy-mm-dd`. */
export interface SearchCriteria {
  /** First service day, inclusive. */
  date_from: string | null;
  /** Last service day, inclusive. */
  date_to: string | null;
  /** Delivery state. */
  state: DeliveryState | null;
  /** Reference prefix. */
  reference: string | null;
  /** Document name prefix. */
  document: string | null;
  /** Recipient name prefix. */
  recipient: string | null;
  /** Nature code. */
  nature: string | null;
  /** Source. */
  source: Source | null;
  /** Free filter over the results ("Filtrer dans les résultats"). */
  filter: string | null;
}

/** One search result row. */
export interface ServiceSummary {
  /** Service id. */
  service_id: string;
  /** Deposit time. */
  deposited_at: Instant;
  /** Delivery state. */
  state: DeliveryState;
  /** Deposit reference. */
  reference: string;
  /** Deposited file name. */
  file: string;
  /** Recipient name. */
  recipient: string;
  /** Nature label. */
  nature: string;
  /** Source. */
  source: Source;
}

/** Section 1: the act in the recipient's vault. */
export interface ActSection {
  /** Deposit reference. */
  reference: string;
  /** Deposit time. */
  deposited_at: Instant;
  /** Deposited file names. */
  documents: string[];
  /** Nature label. */
  nature: string;
  /** Delivery state. */
  state: DeliveryState;
  /** Recipient name. */
  recipient: string;
  /** Recipient SIRET, when it has one. */
  recipient_siret: string | null;
}

/** Section 2: the deposit attestation in the office's vault. */
export interface AttestationSection {
  /** Time of service. */
  served_at: Instant;
  /** ZIP archive name. */
  archive_name: string;
  /** Attestation XML name. */
  xml_name: string;
}

/** Sections 3 and 4: a PDF filed in the office's vault (delivery notice, return). */
export interface FiledSection {
  /** Filing time. */
  at: Instant;
  /** PDF name. */
  file_name: string;
  /** State sentence (French). */
  state: string;
}

/** One history line. */
export interface HistoryLine {
  /** Event time. */
  at: Instant;
  /** French message. */
  message: string;
}

/** The detail sheet of a service: five sections. */
export interface ServiceDetail {
  /** Service id. */
  service_id: string;
  /** Section 1. */
  act: ActSection;
  /** Section 2 (null while the deposit waits in the outbox). */
  attestation: AttestationSection | null;
  /** Section 3. */
  delivery_notice: FiledSection | null;
  /** Section 4. */
  act_return: FiledSection | null;
  /** Section 5. */
  history: HistoryLine[];
  /** The dashboard notification is still unseen. */
  unseen: boolean;
}

/** What to download from a detail sheet. */
export type DownloadKind = "archive" | "delivery_notice" | "return";

/** Where a file was saved. */
export interface SavedFile {
  /** Absolute path written. */
  path: string;
}

/** The plain letter for a delivery "à domicile" (CPC 662-1). */
export interface PlainLetter {
  /** Where the draft was written. */
  path: string;
  /** Date the letter must bear: first working day after the service. */
  dated: string;
}

/** One entry of the office's vault. */
export interface VaultEntry {
  /** Full path inside the vault, `/`-separated, no leading slash. */
  path: string;
  /** A folder. */
  is_folder: boolean;
  /** Size in bytes (0 for folders). */
  size: number;
  /** Last change. */
  modified: Instant;
  /** An archived service may not be deleted before this time. */
  retained_until: Instant | null;
}

/** Space used in the office's vault. */
export interface VaultUsage {
  /** Bytes used. */
  used: number;
  /** Quota in bytes, when there is one. */
  quota: number | null;
}

/** One package waiting in the outbox. */
export interface OutboxItem {
  /** Outbox id. */
  id: string;
  /** Deposit reference. */
  reference: string;
  /** Recipient name. */
  recipient: string;
  /** `prepared`, `uploading` or `failed`. */
  state: "prepared" | "uploading" | "failed";
  /** Preparation time. */
  prepared_at: Instant;
  /** Why the last attempt failed (French), if it did. */
  last_error: string | null;
}

/** Outbox and connectivity. */
export interface OutboxStatus {
  /** The vault answered recently. */
  online: boolean;
  /** Packages waiting. */
  items: OutboxItem[];
}

/** How dates are written on screen. */
export type DateStyle = "numeric" | "long";

/** User settings. */
export interface Settings {
  /** PKCS#11 module path; empty = automatic detection. */
  pkcs11_module: string;
  /** Vault address (https://...). */
  vault_url: string;
  /** Numeric (22/11/2026) or long (22 novembre 2026) dates. */
  date_style: DateStyle;
  /** Alsace-Moselle public holidays (Good Friday, 26 December). */
  alsace_moselle: boolean;
}

/** One line of the session history panel. */
export interface SessionLogEntry {
  /** When. */
  at: Instant;
  /** What was done (French). */
  message: string;
}
