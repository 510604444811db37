// The single typed API of the front end. Every screen calls `api()`; behind it is either the
// Tauri backend (commands through `invoke`, progress through events) or the in-memory mock used
// by Vitest and by `npm run dev` in a plain browser. The switch is `selectBackend` below.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type {
  AddRecipientResult,
  ApiError,
  BindRequest,
  Category,
  ConnectRequest,
  ConsentOverview,
  DashboardCounts,
  DocumentFacts,
  DownloadKind,
  EdiImportRequest,
  EdiImportResult,
  EdiProgress,
  InvitationActionKind,
  InvitationView,
  InviteRequest,
  Nature,
  NewRecipientRequest,
  NotificationRow,
  OutboxStatus,
  Page,
  PageRequest,
  PlainLetter,
  PreviewDocument,
  ReceptionStatus,
  Recipient,
  RecipientQuery,
  SavedFile,
  SearchCriteria,
  SearchPage,
  ServiceDetail,
  Session,
  SessionLogEntry,
  Settings,
  SignifyRequest,
  SignifyResult,
  StepEvent,
  TokenStatus,
  VaultEntry,
  VaultUploadProgress,
  VaultUsage,
} from "./types";

/** Name of the event carrying the six steps' progress. */
export const STEP_EVENT = "signify_step";
/** Name of the event carrying an EDI import's progress. */
export const EDI_EVENT = "edi_progress";
/** Name of the event carrying a transfer's progress ("Transférer"). */
export const VAULT_UPLOAD_EVENT = "vault_upload_progress";
/** Name of the event sent when the outbox or the connectivity changes. */
export const OUTBOX_EVENT = "outbox_changed";
/** Name of the event sent when the unseen counts change (sync brought deliveries, returns). */
export const DASHBOARD_EVENT = "dashboard_changed";

/** Everything the screens can ask of the application service. */
export interface Backend {
  /** Key detection: module, plugged keys, certificates, PIN state. */
  tokenStatus(): Promise<TokenStatus>;
  /** Logs in on the key and opens the vault session. */
  connect(request: ConnectRequest): Promise<Session>;
  /** First connection: binds the certificate to the office's space. */
  bindCertificate(request: BindRequest): Promise<Session>;
  /** Unseen counts of the four categories. */
  dashboardCounts(): Promise<DashboardCounts>;
  /** One page of a category's unseen notifications, filtered. */
  dashboardPage(category: Category, filter: string, page: PageRequest): Promise<Page<NotificationRow>>;
  /** Calls `handler` with the new counts when they change; returns the unsubscribe. */
  onDashboardChanged(handler: (counts: DashboardCounts) => void): Promise<() => void>;
  /** Marks a notification seen (the eye). */
  markSeen(notificationId: string): Promise<void>;
  /** Recipients matching a SIRET/SIREN, a name or a NIR. */
  searchRecipients(query: RecipientQuery): Promise<Recipient[]>;
  /**
   * "Nouveau destinataire": creates a person or a company in the vault. Problems (each with its
   * field) and duplicates (the existing cards) are results, not errors.
   */
  addRecipient(request: NewRecipientRequest): Promise<AddRecipientResult>;
  /** Where the recipient's consent stands for this office (consents, natures in force, invitations). */
  consentOverview(recipientId: string): Promise<ConsentOverview>;
  /** "Inviter à consentir": the vault e-mails and texts the recipient a personal link. */
  invite(request: InviteRequest): Promise<InvitationView>;
  /** "Renvoyer" / "Retirer" an invitation not answered. */
  invitationAction(invitationId: string, action: InvitationActionKind): Promise<InvitationView>;
  /** The catalogue of natures of acts. */
  natures(): Promise<Nature[]>;
  /** Whether the recipient accepts this nature now, and if not why and until when. */
  receptionStatus(recipientId: string, nature: string): Promise<ReceptionStatus>;
  /** Converts the acts for preview before deposit. */
  previewDocuments(paths: string[]): Promise<PreviewDocument[]>;
  /** Serves an act; `onStep` receives the six steps live. */
  signify(request: SignifyRequest, onStep: (event: StepEvent) => void): Promise<SignifyResult>;
  /** Opens the system file dialog for an EDI manifest (.csv); null if cancelled. */
  pickManifest(): Promise<string | null>;
  /**
   * Imports an EDI batch (every line checked before anything is signed, one PIN for the batch);
   * `onProgress` receives lines checked, signed and deposited. A refused batch is a result with
   * its refused lines, not an error.
   */
  ediImport(request: EdiImportRequest, onProgress: (event: EdiProgress) => void): Promise<EdiImportResult>;
  /** Outbox content and connectivity. */
  outboxList(): Promise<OutboxStatus>;
  /** Uploads what waits in the outbox now. */
  outboxSend(): Promise<OutboxStatus>;
  /** Calls `handler` when the outbox or connectivity changes; returns the unsubscribe. */
  onOutboxChanged(handler: (status: OutboxStatus) => void): Promise<() => void>;
  /** One page of search results. */
  searchServices(criteria: SearchCriteria, page: PageRequest): Promise<SearchPage>;
  /** The detail sheet (also marks its notification seen). */
  serviceDetail(serviceId: string): Promise<ServiceDetail>;
  /** Saves a file of the detail sheet on the workstation. */
  download(serviceId: string, kind: DownloadKind): Promise<SavedFile>;
  /** Drafts the plain letter of a delivery "à domicile". */
  letter(serviceId: string): Promise<PlainLetter>;
  /** Lists a folder of the office's vault ("" = root). */
  vaultList(path: string): Promise<VaultEntry[]>;
  /** Creates a folder. */
  vaultMkdir(path: string): Promise<void>;
  /** Moves an entry into a folder. */
  vaultMove(from: string, toFolder: string): Promise<void>;
  /** Renames an entry in place. */
  vaultRename(path: string, newName: string): Promise<void>;
  /** "Éditer propriétés": sets the description (`""`: none) and/or sets or extends the retention
   *  to the end of `retainUntil` (`YYYY-MM-DD`); `null` leaves a field as it is. Returns the
   *  entry as the vault now keeps it. */
  vaultSetProperties(path: string, description: string | null, retainUntil: string | null): Promise<VaultEntry>;
  /** Deletes an entry (refused for archives under retention). */
  vaultDelete(path: string): Promise<void>;
  /** Space used. */
  vaultUsage(): Promise<VaultUsage>;
  /** Exports a verifiable proof of integrity of a file. */
  vaultProof(path: string): Promise<SavedFile>;
  /** Transfers files of the workstation into a folder of the vault ("Transférer"); returns the
   *  new entries as the vault named them (accents and forbidden characters replaced);
   *  `onProgress` receives the bytes of the current file and the files done. */
  vaultUpload(folder: string, paths: string[], onProgress: (event: VaultUploadProgress) => void): Promise<VaultEntry[]>;
  /** Opens the system file dialog for any files; returns the chosen paths (empty if cancelled). */
  pickFiles(): Promise<string[]>;
  /** Downloads a vault file to the workstation. */
  vaultDownload(path: string): Promise<SavedFile>;
  /** Reads the settings. */
  settingsGet(): Promise<Settings>;
  /** Saves the settings. */
  settingsSet(settings: Settings): Promise<Settings>;
  /** Every action since connection. */
  sessionLog(): Promise<SessionLogEntry[]>;
  /** Shows a desktop notification (silently nothing if the user refused them). */
  notify(title: string, body: string): Promise<void>;
  /** Opens the system file dialog for acts; returns the chosen paths (empty if cancelled). */
  pickDocuments(): Promise<string[]>;
  /** Calls `handler` with the paths of files dropped on the window; returns the unsubscribe. */
  onFileDrop(handler: (paths: string[]) => void): Promise<() => void>;
  /** "Enregistrer sous…": the system's save dialog, then a copy of `path` where the clerk chose;
   *  null if cancelled. */
  saveAs(path: string): Promise<SavedFile | null>;
  /** "Exporter l'historique": the service's history as PDF/A in the downloads folder. */
  historyPdf(serviceId: string): Promise<SavedFile>;
  /** Each act's name, size and pages, for the recap before "Signifier". */
  documentFacts(paths: string[]): Promise<DocumentFacts[]>;
  /** "Ouvrir dans le lecteur PDF": the file in the system's program for its type. */
  openExternal(path: string): Promise<void>;
  /** Writes a text file made by the window (a CSV export) into the downloads folder. */
  saveText(fileName: string, contents: string): Promise<SavedFile>;
  /** "Afficher dans le dossier": the system's file manager on the folder holding `path`. */
  reveal(path: string): Promise<void>;
  /** Locks the window (idle time or "Verrouiller"): the key session is closed, the PIN unlocks. */
  lock(): Promise<void>;
  /** "Déconnexion": closes the key session and the vault session. */
  logout(): Promise<void>;
  /** "Afficher le journal" (Aide): the log's folder in the system's file manager. */
  revealLogs(): Promise<void>;
}

/** Whether a value is already an `{code, message}` error. */
export function isApiError(e: unknown): e is ApiError {
  return (
    typeof e === "object" &&
    e !== null &&
    typeof (e as { code?: unknown }).code === "string" &&
    typeof (e as { message?: unknown }).message === "string"
  );
}

/** Any rejection as an `{code, message}` error with a French message. */
export function toApiError(e: unknown): ApiError {
  if (isApiError(e)) return { code: e.code, message: e.message };
  return {
    code: "ui.unexpected",
    message:
      "Une erreur inattendue est survenue dans l'application. Réessayez ; si elle persiste, " +
      "redémarrez l'application et contactez le support en indiquant l'heure de l'erreur.",
  };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toApiError(e);
  }
}

/** The real backend: Tauri commands (snake_case verbs, one `request` argument when they take any). */
export function tauriBackend(): Backend {
  return {
    tokenStatus: () => call("token_status"),
    connect: (request) => call("connect", { request }),
    bindCertificate: (request) => call("bind_certificate", { request }),
    dashboardCounts: () => call("dashboard_counts"),
    dashboardPage: (category, filter, page) =>
      call("dashboard_page", { request: { category, filter, offset: page.offset, limit: page.limit } }),
    onDashboardChanged: async (handler) => listen<DashboardCounts>(DASHBOARD_EVENT, (e) => handler(e.payload)),
    markSeen: (id) => call("mark_seen", { request: { notification_id: id } }),
    searchRecipients: (request) => call("search_recipients", { request }),
    addRecipient: (request) => call("add_recipient", { request }),
    consentOverview: (recipientId) => call("consent_overview", { request: { recipient_id: recipientId } }),
    invite: (request) => call("invite_recipient", { request }),
    invitationAction: (invitationId, action) =>
      call("invitation_action", { request: { invitation_id: invitationId, action } }),
    natures: () => call("natures_list"),
    receptionStatus: (recipientId, nature) =>
      call("reception_status", { request: { recipient_id: recipientId, nature } }),
    previewDocuments: (paths) => call("preview_documents", { request: { documents: paths } }),
    signify: async (request, onStep) => {
      const jobId = crypto.randomUUID();
      const unlisten: UnlistenFn = await listen<StepEvent>(STEP_EVENT, (e) => {
        if (e.payload.job_id === jobId) onStep(e.payload);
      });
      try {
        return await call<SignifyResult>("signify", { request, jobId });
      } finally {
        unlisten();
      }
    },
    pickManifest: async () => {
      const { open } = await import("@tauri-apps/plugin-dialog");
      const chosen = await open({
        multiple: false,
        directory: false,
        title: "Choisir le fichier d'échange EDI",
        filters: [{ name: "Fichier d'échange EDI (.csv)", extensions: ["csv"] }],
      });
      if (chosen === null) return null;
      return Array.isArray(chosen) ? (chosen[0] ?? null) : chosen;
    },
    ediImport: async (request, onProgress) => {
      const jobId = crypto.randomUUID();
      const unlisten: UnlistenFn = await listen<EdiProgress>(EDI_EVENT, (e) => {
        if (e.payload.job_id === jobId) onProgress(e.payload);
      });
      try {
        return await call<EdiImportResult>("edi_import", { request, jobId });
      } finally {
        unlisten();
      }
    },
    outboxList: () => call("outbox_list"),
    outboxSend: () => call("outbox_send"),
    onOutboxChanged: async (handler) => listen<OutboxStatus>(OUTBOX_EVENT, (e) => handler(e.payload)),
    searchServices: (criteria, page) =>
      call("search_services", { request: { criteria, offset: page.offset, limit: page.limit } }),
    serviceDetail: (id) => call("service_detail", { request: { service_id: id } }),
    download: (id, kind) => call("download", { request: { service_id: id, kind } }),
    letter: (id) => call("letter", { request: { service_id: id } }),
    vaultList: (path) => call("vault_list", { request: { path } }),
    vaultMkdir: (path) => call("vault_mkdir", { request: { path } }),
    vaultMove: (from, to) => call("vault_move", { request: { from, to } }),
    vaultRename: (path, newName) => call("vault_rename", { request: { path, new_name: newName } }),
    vaultSetProperties: (path, description, retainUntil) =>
      call("vault_set_properties", { request: { path, description, retain_until: retainUntil } }),
    vaultDelete: (path) => call("vault_delete", { request: { path } }),
    vaultUsage: () => call("vault_usage"),
    vaultProof: (path) => call("vault_proof", { request: { path } }),
    vaultDownload: (path) => call("vault_download", { request: { path } }),
    vaultUpload: async (folder, paths, onProgress) => {
      const jobId = crypto.randomUUID();
      const unlisten: UnlistenFn = await listen<VaultUploadProgress>(VAULT_UPLOAD_EVENT, (e) => {
        if (e.payload.job_id === jobId) onProgress(e.payload);
      });
      try {
        return await call<VaultEntry[]>("vault_upload", { request: { folder, paths }, jobId });
      } finally {
        unlisten();
      }
    },
    pickFiles: async () => {
      const { open } = await import("@tauri-apps/plugin-dialog");
      const chosen = await open({ multiple: true, directory: false, title: "Transférer des fichiers dans le coffre-fort" });
      if (chosen === null) return [];
      return Array.isArray(chosen) ? chosen : [chosen];
    },
    settingsGet: () => call("settings_get"),
    settingsSet: (settings) => call("settings_set", { request: settings }),
    sessionLog: () => call("session_log"),
    notify: async (title, body) => {
      const n = await import("@tauri-apps/plugin-notification");
      let granted = await n.isPermissionGranted();
      if (!granted) granted = (await n.requestPermission()) === "granted";
      if (granted) n.sendNotification({ title, body });
    },
    pickDocuments: async () => {
      const { open } = await import("@tauri-apps/plugin-dialog");
      const chosen = await open({
        multiple: true,
        directory: false,
        title: "Ajouter des actes à signifier",
        filters: [{ name: "Actes (.pdf, .doc, .docx, .odt)", extensions: ["pdf", "doc", "docx", "odt"] }],
      });
      if (chosen === null) return [];
      return Array.isArray(chosen) ? chosen : [chosen];
    },
    onFileDrop: async (handler) => {
      const { getCurrentWebview } = await import("@tauri-apps/api/webview");
      return getCurrentWebview().onDragDropEvent((e) => {
        if (e.payload.type === "drop") handler(e.payload.paths);
      });
    },
    saveAs: (path) => call("save_as", { request: { path } }),
    historyPdf: (id) => call("history_pdf", { request: { service_id: id } }),
    documentFacts: (paths) => call("document_facts", { request: { documents: paths } }),
    openExternal: (path) => call("open_external", { request: { path } }),
    saveText: (fileName, contents) => call("save_text", { request: { file_name: fileName, contents } }),
    reveal: (path) => call("reveal", { request: { path } }),
    lock: () => call("lock"),
    logout: () => call("logout"),
    revealLogs: () => call("reveal_logs"),
  };
}

/** Whether the page runs inside the Tauri window. */
export function inTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}

let current: Backend | null = null;

/** Installs a backend (tests, and the start-up switch). */
export function useBackend(backend: Backend): void {
  current = backend;
}

/** The backend in use. */
export function api(): Backend {
  if (!current) throw new Error("no backend installed: call useBackend() at start-up");
  return current;
}
