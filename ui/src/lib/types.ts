// Request and response types of the Tauri commands. They are declared once, in Rust
// (`src-tauri/src/dto.rs`), and generated with ts-rs into `../generated/bindings.ts` (committed;
// a Rust test fails when it is stale). This file re-exports them, plus the few aliases and
// front-end-only types the screens use. Fields are snake_case, as serde writes them; times are
// RFC 3339 strings in UTC.

export type {
  AddRecipientResult,
  ApiError,
  ActSection,
  AttestationSection,
  BindRequest,
  Category,
  CertificateInfo,
  CertificateRole,
  Civility,
  ConsentEntry,
  ConsentOverview,
  ConnectRequest,
  DashboardCounts,
  DocumentFacts,
  DateStyle,
  DeliveryState,
  DownloadKind,
  EdiImportRequest,
  EdiImportResult,
  EdiProgress,
  EdiRefusedLine,
  EdiStage,
  FiledSection,
  HistoryLine,
  InvitationActionKind,
  InvitationState,
  InvitationView,
  InviteRequest,
  Nature,
  NewCompanyForm,
  NewPersonForm,
  NewRecipientRequest,
  NotificationRow,
  Office,
  OutboxItem,
  OutboxStatus,
  Page,
  PageRequest,
  PinState,
  PlainLetter,
  PreviewDocument,
  ReceptionStatus,
  Recipient,
  RecipientField,
  RecipientKind,
  RecipientProblem,
  RecipientQuery,
  RecipientSearchMode,
  SavedFile,
  SearchCriteria,
  SearchPage,
  SearchSort,
  SearchSortKey,
  ServiceDetail,
  ServiceSummary,
  Session,
  SessionLogEntry,
  Settings,
  SignifyRequest,
  SignifyResult,
  Source,
  StepEvent,
  StepStatus,
  TokenInfo,
  TokenStatus,
  VaultEntry,
  VaultUploadProgress,
  VaultUsage,
} from "../generated/bindings";

/** An RFC 3339 instant in UTC, as serde writes chrono's `DateTime<Utc>`. */
export type Instant = string;

/** Number of one of the six steps (manual order). */
export type StepNumber = 1 | 2 | 3 | 4 | 5 | 6;

/** A document chosen for service (front end only: the commands take paths). */
export interface DocumentRef {
  /** Absolute path on the workstation (the file name in the plain browser). */
  path: string;
  /** File name shown. */
  name: string;
}
