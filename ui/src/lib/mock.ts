// In-memory backend with the manual's sample data (étude 9991, BANQUE TEST, ...), for Vitest and
// for `npm run dev` in a plain browser. It follows the same contract as the application service
// (errors as {code, message} in French, pages with has_more, the six steps in order) so the
// screens cannot tell the difference. Dashboard rows are computed from their index, so a
// dashboard of 100,000 services costs a few arrays of integers.

import type { SearchPage } from "../generated/bindings";
import type { Backend } from "./api";
import { formatDateTime } from "./dates";
import { mockConsents, type MockConsents } from "./mockConsent";
import { fold } from "./pager";
import type {
  ApiError,
  Category,
  CertificateInfo,
  DashboardCounts,
  DeliveryState,
  EdiProgress,
  Nature,
  NotificationRow,
  OutboxItem,
  OutboxStatus,
  Page,
  ReceptionStatus,
  Recipient,
  ServiceDetail,
  Session,
  SessionLogEntry,
  Settings,
  StepEvent,
  StepNumber,
  TokenStatus,
  VaultEntry,
  SavedFile,
} from "./types";

/** Options of the mock. */
export interface MockOptions {
  /** Number of services (dashboard and search), default 40. */
  services?: number;
  /** No PKCS#11 module. */
  moduleMissing?: boolean;
  /** No key plugged. */
  noToken?: boolean;
  /** PIN that works (default "1234"). */
  pin?: string;
  /** Tries before the PIN locks (default 3). */
  pinTries?: number;
  /** The certificate is not bound yet (first connection). */
  firstConnection?: boolean;
  /** The vault is unreachable: services wait in the outbox after step 2. */
  offline?: boolean;
  /** Step at which the service fails, with its reason. */
  failAt?: { step: StepNumber; reason: string };
  /** Milliseconds between steps (0 in tests; a little in the browser demo). */
  stepDelayMs?: number;
  /** Fixed "now" for the log and new services. */
  now?: () => Date;
  /** Outside legal hours (CPC 664) for every recipient. */
  outsideLegalHours?: boolean;
  /** With `outsideLegalHours`: the recipient is in Martinique (the vault names its zone). */
  overseas?: boolean;
  /** "Ajouter" opens the browser's file chooser (names only) instead of returning `nextPick`. */
  browserFilePicker?: boolean;
  /** The key also holds its CA's certificate (role "other"), listed first as some cards do. */
  caCertificateOnKey?: boolean;
  /** The key holds a second qualified signature certificate (serial 2818A0). */
  secondSignatureCertificate?: boolean;
}

const AUTH_CERT: CertificateInfo = {
  serial: "281808",
  holder: "XXXTEST JEREMY",
  function: "HUISSIER",
  issuer: "AC Certeurope Classe 3Plus v2",
  not_before: "2011-10-05T00:00:00Z",
  not_after: "2031-10-05T00:00:00Z",
  role: "authentication",
};

const SIGN_CERT: CertificateInfo = { ...AUTH_CERT, serial: "281809", role: "signature" };

const SIGN_CERT_2: CertificateInfo = { ...SIGN_CERT, serial: "2818A0", not_before: "2026-01-05T00:00:00Z", not_after: "2029-01-05T00:00:00Z" };

const CA_CERT: CertificateInfo = { ...AUTH_CERT, serial: "01", holder: "AC Certeurope Classe 3Plus v2", role: "other" };

/** The recipients of the mock (valid identifiers). */
export const MOCK_RECIPIENTS: readonly Recipient[] = [
  {
    id: "r-banque-test",
    kind: "bank",
    name: "BANQUE TEST",
    siret: "73282932000074",
    siren: "732829320",
    nir_masked: null,
    email: "significations@banque-test.example",
    phone_fixed: "01 49 70 10 10",
    phone_mobile: null,
  },
  {
    id: "r-danone",
    kind: "company",
    name: "SOCIÉTÉ EXEMPLE SA",
    siret: "55203253400646",
    siren: "552032534",
    nir_masked: null,
    email: "juridique@exemple.example",
    phone_fixed: "01 40 00 00 00",
    phone_mobile: null,
  },
  {
    id: "r-dupont",
    kind: "person",
    name: "DUPONT MARIE",
    siret: null,
    siren: null,
    nir_masked: "2 84 ** ** *** *** 87",
    email: "marie.dupont@courriel.example",
    phone_fixed: null,
    phone_mobile: "06 12 34 56 78",
  },
];

/** Full NIR of the mock's person (searchable, never shown). */
export const MOCK_NIR = "284127512345687";

const NATURES: readonly Nature[] = [
  { code: "saisie_attribution", label: "Saisie attribution", return_expected: true },
  { code: "saisie_vente", label: "Saisie vente (titre 5 art 81 à 138)", return_expected: false },
  { code: "commandement_payer", label: "Commandement de payer", return_expected: false },
  { code: "signification_jugement", label: "Signification de jugement", return_expected: false },
];

const SAMPLE_REFS = [
  "TEST_MODALITE_REMISE_1",
  "2 EME ESSAI",
  "ESSAI ADEC",
  "MAREF",
  "REF_ANNECY",
  "reunion0209",
  "SA-CE-20130913-1",
  "Saisie-Attribution-20130912",
  "TEST_CE_1",
  "TEST_CE_2",
  "D20130607_245",
];

/** The time zone of metropolitan France, as the vault names it. */
const PARIS_TZ = "Europe/Paris";

/** A saved file as the shell answers it (the viewer's URL is the asset protocol's). */
function saved(path: string): SavedFile {
  return { path, url: `asset://localhost/${encodeURIComponent(path)}` };
}

function err(code: string, message: string): ApiError {
  return { code, message };
}

const unreachable = (): ApiError =>
  err("client.unreachable", "Le coffre-fort est injoignable. Vérifiez la connexion réseau ; les actes préparés restent dans la file d'envoi.");

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

function stamp(d: Date): string {
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}_${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
}

interface MockService {
  id: string;
  index: number;
  reference: string;
  date: Date;
  state: DeliveryState;
  hasReturn: boolean;
  recipient: Recipient;
  nature: Nature;
  source: "form" | "edi";
  file: string;
}

/** The mock backend, with its state inspectable by tests. */
export interface MockBackend extends Backend {
  /** Services created or generated. */
  readonly state: {
    pinTriesLeft: number;
    bound: boolean;
    seen: Set<string>;
    outbox: OutboxItem[];
    online: boolean;
    settings: Settings;
    log: SessionLogEntry[];
    lastSignify: import("./types").SignifyRequest | null;
    lastEdi: import("./types").EdiImportRequest | null;
    notifications: { title: string; body: string }[];
    /** "Enregistrer sous…" copies made: from the saved file to the chosen path. */
    saved: { from: string; to: string }[];
    /** Text files written by the window (CSV exports), by path. */
    texts: Map<string, string>;
    /** Paths shown with "Afficher dans le dossier". */
    revealed: string[];
    /** Paths opened with "Ouvrir dans le lecteur PDF". */
    opened: string[];
    /** The window was locked (and not unlocked since). */
    locked: boolean;
    /** "Déconnexion" was used. */
    loggedOut: boolean;
  };
  /** Tells the dashboard listeners about new counts (as a sync would). */
  emitDashboard(): Promise<void>;
  /** Simulates a sync: a service created in this session is delivered (and maybe answered). */
  deliver(serviceId: string, state: "in_person" | "at_home", withReturn?: boolean): Promise<void>;
  /** Sets connectivity and tells the listeners. */
  setOnline(online: boolean): void;
  /** Simulates files dropped on the window. */
  dropFiles(paths: string[]): void;
  /** Paths the next file dialog returns. */
  nextPick: string[];
  /** Where the next "Enregistrer sous…" dialog saves (null: cancelled). */
  nextSaveAs: string | null;
  /** Path the next manifest dialog returns (null: cancelled). */
  nextManifest: string | null;
  /** The EDI manifests the mock knows, by path: one entry per line after the header. */
  ediManifests: Map<string, MockEdiLine[]>;
  /** Sizes of the files "Transférer" sends, by path (1024 bytes when not given). */
  uploadSizes: Map<string, number>;
  /** When set, each transferred file waits for it halfway (tests look at the progress then). */
  uploadPause: Promise<void> | null;
  /** The recipients, the register of consents and the invitations (answered as the portal would). */
  consents: MockConsents;
}

/** A line of a mock EDI manifest. */
export interface MockEdiLine {
  /** The line's reference. */
  reference: string;
  /** Why the line is refused (French, with its number), if it is. */
  error?: string;
  /** The refusal is only the missing consent mention: stamping it lets the line through. */
  consentMentionOnly?: boolean;
}

/** A manifest of three good lines. */
export const MOCK_EDI_OK = "/home/etude/EDI/lot-novembre.csv";
/** A manifest with refused lines (3 and 4 always, 5 unless the consent mention is stamped). */
export const MOCK_EDI_BAD = "/home/etude/EDI/lot-erreurs.csv";

function mockManifests(): Map<string, MockEdiLine[]> {
  return new Map([
    [MOCK_EDI_OK, [{ reference: "EDI-2026-001" }, { reference: "EDI-2026-002" }, { reference: "EDI-2026-003" }]],
    [
      MOCK_EDI_BAD,
      [
        { reference: "EDI-2026-101" },
        { reference: "EDI-2026-102", error: "Ligne 3 : le fichier « saisie-0457.pdf » est introuvable dans le dossier du lot." },
        { reference: "EDI-2026-103", error: "Ligne 4 : le destinataire « 73282932000075 » est inconnu : SIRET invalide (clé de contrôle)." },
        {
          reference: "EDI-2026-104",
          error: "Ligne 5 : L'acte « saisie-0458.pdf » ne mentionne pas le consentement du destinataire à la signification électronique.",
          consentMentionOnly: true,
        },
      ],
    ],
  ]);
}

/** Builds a mock backend. */
export function createMockBackend(opts: MockOptions = {}): MockBackend {
  const now = opts.now ?? (() => new Date());
  const count = opts.services ?? 40;
  const goodPin = opts.pin ?? "1234";
  const maxTries = opts.pinTries ?? 3;
  const base = Date.UTC(2013, 5, 7, 12, 38, 25);
  const allNatures = NATURES.map((n) => n.code);
  // The bank and the company consent to every nature (conventions); the person has not consented.
  const consents = mockConsents(MOCK_RECIPIENTS, { "r-banque-test": allNatures, "r-danone": allNatures }, now, { "r-dupont": MOCK_NIR });
  const recipientsFor = (i: number): Recipient => MOCK_RECIPIENTS[i % 7 === 3 ? 1 : 0] ?? MOCK_RECIPIENTS[0]!;
  const generated = new Map<number, MockService>();
  const created: MockService[] = [];

  function serviceAt(i: number): MockService {
    const hit = generated.get(i);
    if (hit) return hit;
    const date = new Date(base + i * 3_600_000 * 7);
    const reference = i < SAMPLE_REFS.length ? (SAMPLE_REFS[i] ?? `REF_${i}`) : `REF_${pad(i, 6)}`;
    const states: DeliveryState[] = ["in_person", "awaiting_consultation", "at_home"];
    const s: MockService = {
      id: `s${i}`,
      index: i,
      reference,
      date,
      state: states[i % 3] ?? "in_person",
      hasReturn: i % 3 === 0 && i % 2 === 0,
      recipient: recipientsFor(i),
      nature: (recipientsFor(i).kind === "bank" ? NATURES[0] : NATURES[2]) ?? NATURES[0]!,
      source: i % 5 === 4 ? "edi" : "form",
      file: `9991_${reference}_${stamp(date)}.pdf`,
    };
    // Only memoise what a test may touch; 100,000 services stay as indices.
    if (generated.size < 2000) generated.set(i, s);
    return s;
  }

  function allServices(): MockService[] {
    const out: MockService[] = [];
    for (let i = 0; i < count; i++) out.push(serviceAt(i));
    return [...out, ...created];
  }

  function serviceById(id: string): MockService | undefined {
    const c = created.find((s) => s.id === id);
    if (c) return c;
    const m = /^s(\d+)$/.exec(id);
    if (!m) return undefined;
    const i = Number(m[1]);
    return i < count ? serviceAt(i) : undefined;
  }

  const inCategory = (s: MockService, c: Category): boolean =>
    c === "returns" ? s.hasReturn : s.state === c;

  const EVENTS: Record<Category, string> = {
    awaiting_consultation: "Dépôt de l'acte dans le coffre destinataire",
    in_person: "Dépôt de l'attestation de remise à personne",
    at_home: "Dépôt de l'attestation de remise à domicile",
    returns: "Réponse déposée par le destinataire",
  };

  const notifId = (c: Category, s: MockService): string => `${c}:${s.id}`;

  function row(c: Category, s: MockService): NotificationRow {
    return {
      id: notifId(c, s),
      service_id: s.id,
      reference: s.reference,
      date: s.date.toISOString(),
      file: s.file,
      recipient: s.recipient.name,
      event: EVENTS[c],
    };
  }

  // Per-category indices, computed once: the dashboard of 100,000 services is four int arrays.
  const byCategory = new Map<Category, number[]>();
  for (const c of ["awaiting_consultation", "in_person", "at_home", "returns"] as Category[]) {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      const states: DeliveryState[] = ["in_person", "awaiting_consultation", "at_home"];
      const st = states[i % 3];
      const ret = i % 3 === 0 && i % 2 === 0;
      if (c === "returns" ? ret : st === c) ids.push(i);
    }
    byCategory.set(c, ids);
  }

  const state: MockBackend["state"] = {
    pinTriesLeft: maxTries,
    bound: !opts.firstConnection,
    seen: new Set(),
    outbox: [],
    online: !opts.offline,
    settings: {
      pkcs11_module: "",
      vault_url: "https://coffre.sceau.example",
      date_style: "numeric",
      alsace_moselle: false,
      lock_after_min: 10,
    },
    log: [],
    lastSignify: null,
    lastEdi: null,
    notifications: [],
    saved: [],
    texts: new Map(),
    revealed: [],
    opened: [],
    locked: false,
    loggedOut: false,
  };
  const outboxListeners = new Set<(s: OutboxStatus) => void>();
  const dropListeners = new Set<(p: string[]) => void>();
  const dashboardListeners = new Set<(c: DashboardCounts) => void>();

  function log(message: string): void {
    state.log.push({ at: now().toISOString(), message });
  }

  const outboxStatus = (): OutboxStatus => ({ online: state.online, items: state.outbox.map((o) => ({ ...o })) });
  const notifyOutbox = (): void => {
    for (const l of outboxListeners) l(outboxStatus());
  };

  const pinState = () => ({
    tries_left: state.pinTriesLeft,
    count_low: state.pinTriesLeft < maxTries,
    final_try: state.pinTriesLeft === 1,
    locked: state.pinTriesLeft === 0,
  });

  function checkPin(pin: string, confirmFinal: boolean): void {
    if (state.pinTriesLeft === 0) {
      throw err("token.pin_locked", "Le code PIN de votre clé est bloqué. Débloquez-le avec votre code PUK, puis reconnectez-vous.");
    }
    if (state.pinTriesLeft === 1 && !confirmFinal) {
      throw err(
        "token.final_try_unconfirmed",
        "Il ne reste qu'un essai de code PIN : confirmez explicitement avant de le tenter.",
      );
    }
    if (pin !== goodPin) {
      state.pinTriesLeft -= 1;
      const n = state.pinTriesLeft;
      throw err(
        n === 0 ? "token.pin_locked" : "token.wrong_pin",
        n === 0
          ? "Code PIN erroné : la clé est maintenant bloquée. Débloquez-la avec votre code PUK."
          : `Code PIN erroné. Il reste ${n} essai${n > 1 ? "s" : ""} avant le blocage de la clé. Vérifiez votre code et réessayez.`,
      );
    }
    state.pinTriesLeft = maxTries;
  }

  const session = (): Session => ({
    certificate: AUTH_CERT,
    office: state.bound ? { number: "9991", name: "Étude de démonstration" } : null,
  });

  const vault = new Map<string, VaultEntry>();
  const addVault = (path: string, isFolder: boolean, size: number, modified: string, retained: string | null = null) =>
    vault.set(path, { path, is_folder: isFolder, size, modified, retained_until: retained, description: null });
  // The vault's rule: an entry within its retention period, or in a folder within its own, is
  // not deleted (the mock refuses a non-empty folder anyway).
  const retainedAround = (path: string) =>
    [...vault.values()].some((e) => (e.path === path || path.startsWith(e.path + "/")) && e.retained_until !== null && new Date(e.retained_until) > now());
  addVault("Archives", true, 0, "2013-09-17T12:53:13Z");
  addVault("Courriers", true, 0, "2013-09-18T08:00:00Z");
  addVault("Modèles", true, 0, "2013-09-18T08:10:00Z");
  addVault("Modèles/Lettres", true, 0, "2013-09-18T08:11:00Z");
  addVault("Modèles/Lettres/lettre_type_relance.odt", false, 14_336, "2013-09-18T08:12:00Z");
  addVault("Archives/BANQUE_TEST__TEST_MODALITE_REMISE_1_20130917_145313.zip", false, 27_843, "2013-09-17T12:53:13Z", "2043-09-17T12:53:13Z");
  addVault("Archives/BANQUE_TEST__MAREF_20130724_142524.zip", false, 62_597, "2013-07-24T12:25:24Z", "2043-07-24T12:25:24Z");
  addVault("9991_TEST_MODALITE_REMISE_1_20130917_145203_REMISE.pdf", false, 52_890, "2013-09-17T12:58:31Z");
  addVault("note_interne.pdf", false, 27_852, "2011-06-15T13:56:00Z");

  const parentOf = (p: string): string => (p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "");
  const nameOf = (p: string): string => p.slice(p.lastIndexOf("/") + 1);
  const validName = (n: string): boolean => n.trim() !== "" && !/[/\\]/.test(n) && n !== "." && n !== "..";

  // The plain browser gives file names, not paths: enough to try the screens.
  const browserPick = (): Promise<string[]> =>
    new Promise((resolve) => {
      const input = document.createElement("input");
      input.type = "file";
      input.multiple = true;
      input.addEventListener("change", () => resolve(Array.from(input.files ?? [], (f) => f.name)));
      input.addEventListener("cancel", () => resolve([]));
      input.click();
    });

  const keyCertificates = (): CertificateInfo[] => [
    ...(opts.caCertificateOnKey ? [CA_CERT] : []),
    AUTH_CERT,
    SIGN_CERT,
    ...(opts.secondSignatureCertificate ? [SIGN_CERT_2] : []),
  ];

  const wait = (ms: number): Promise<void> =>
    ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();

  const backend: MockBackend = {
    state,
    nextPick: [],
    nextManifest: null,
    nextSaveAs: null,
    ediManifests: mockManifests(),
    uploadSizes: new Map(),
    uploadPause: null,
    consents,
    setOnline(online) {
      state.online = online;
      notifyOutbox();
    },
    async emitDashboard() {
      const counts = await backend.dashboardCounts();
      for (const l of dashboardListeners) l(counts);
    },
    async deliver(serviceId, st, withReturn = false) {
      const s = created.find((x) => x.id === serviceId);
      if (!s) throw err("service.not_found", "Cette signification est introuvable.");
      s.state = st;
      s.hasReturn = withReturn;
      await backend.emitDashboard();
    },
    async notify(title, body) {
      state.notifications.push({ title, body });
    },
    dropFiles(paths) {
      for (const l of dropListeners) l(paths);
    },

    async tokenStatus(): Promise<TokenStatus> {
      if (opts.moduleMissing) return { module: "missing", module_path: null, tokens: [] };
      if (opts.noToken) return { module: "ok", module_path: "/usr/lib/softhsm/libsofthsm2.so", tokens: [] };
      return {
        module: "ok",
        module_path: "/usr/lib/softhsm/libsofthsm2.so",
        tokens: [{ serial: "0000A1B2", label: "Clé Class 3+ (9991)", pin: pinState(), certificates: keyCertificates() }],
      };
    },
    async connect(request) {
      if (opts.moduleMissing || opts.noToken) throw err("token.not_found", "Aucune clé n'est branchée. Branchez votre clé puis cliquez sur « Détecter à nouveau ».");
      checkPin(request.pin, request.confirm_final_try);
      log("Connexion au service");
      return session();
    },
    async bindCertificate(request) {
      if (!/^\d{4}$/.test(request.office_number)) {
        throw err("bind.office_number", "Le numéro d'étude comporte 4 chiffres. Corrigez-le.");
      }
      state.bound = true;
      log("Déclaration du certificat et création de l'espace d'archivage");
      return session();
    },
    async dashboardCounts(): Promise<DashboardCounts> {
      const c = (cat: Category) => {
        const ids = byCategory.get(cat) ?? [];
        let n = ids.length;
        for (const id of state.seen) if (id.startsWith(cat + ":s")) n--;
        return n + created.filter((s) => inCategory(s, cat) && !state.seen.has(notifId(cat, s))).length;
      };
      return { awaiting_consultation: c("awaiting_consultation"), in_person: c("in_person"), at_home: c("at_home"), returns: c("returns") };
    },
    async dashboardPage(category, filter, page): Promise<Page<NotificationRow>> {
      const f = fold(filter.trim());
      const items: NotificationRow[] = [];
      let skipped = 0;
      let hasMore = false;
      const consider = (s: MockService): boolean => {
        if (state.seen.has(notifId(category, s))) return true;
        if (f !== "") {
          const hay = fold(`${s.reference} ${s.file} ${s.recipient.name}`);
          if (!hay.includes(f)) return true;
        }
        if (skipped < page.offset) {
          skipped++;
          return true;
        }
        if (items.length < page.limit) {
          items.push(row(category, s));
          return true;
        }
        hasMore = true;
        return false;
      };
      const fresh = created.filter((s) => inCategory(s, category)).reverse();
      let go = true;
      for (const s of fresh) if (go) go = consider(s);
      for (const i of byCategory.get(category) ?? []) {
        if (!go) break;
        go = consider(serviceAt(i));
      }
      return { items, has_more: hasMore };
    },
    async onDashboardChanged(handler) {
      dashboardListeners.add(handler);
      return () => dashboardListeners.delete(handler);
    },
    async markSeen(id) {
      state.seen.add(id);
      log(`Notification passée en vue`);
    },
    async searchRecipients(query) {
      const q = query.query.replace(/\s/g, "");
      let found: Recipient[];
      if (query.mode === "siret") {
        found = consents.recipients.filter((r) => r.siret === q || r.siren === q || (r.siret ?? "").startsWith(q));
      } else if (query.mode === "insee") {
        found = q.toUpperCase() === MOCK_NIR ? consents.recipients.filter((r) => r.kind === "person") : [];
      } else {
        const f = fold(query.query.trim());
        found = consents.recipients.filter((r) => fold(r.name).includes(f));
      }
      log(`Recherche de destinataire (${query.mode === "siret" ? "SIRET" : query.mode === "insee" ? "n° INSEE" : "nom"})`);
      return found.map((r) => ({ ...r }));
    },
    async addRecipient(request) {
      if (!state.online) throw unreachable();
      const r = consents.add(request);
      if (r.outcome === "created") log("Destinataire créé");
      return r;
    },
    async consentOverview(recipientId) {
      if (!state.online) throw unreachable();
      return consents.overview(recipientId);
    },
    async invite(request) {
      if (!state.online) throw unreachable();
      const i = consents.invite(request);
      log("Invitation à la signification électronique envoyée");
      return i;
    },
    async invitationAction(invitationId, action) {
      if (!state.online) throw unreachable();
      const i = consents.action(invitationId, action);
      log(action === "withdraw" ? "Invitation retirée" : "Invitation renvoyée");
      return i;
    },
    async natures() {
      return NATURES.map((n) => ({ ...n }));
    },
    async receptionStatus(recipientId, nature): Promise<ReceptionStatus> {
      if (opts.outsideLegalHours) {
        return {
          open: false,
          reason: "legal_hours",
          message: "Il est interdit de signifier avant 6 heures, après 21 heures, le dimanche et les jours fériés (article 664 du code de procédure civile), sauf autorisation du juge.",
          ...(opts.overseas
            ? { next_opening: "2026-11-23T10:00:00Z", time_zone: "America/Martinique", zone_named: "heure de Martinique (America/Martinique)" }
            : { next_opening: "2026-11-23T05:00:00Z", time_zone: PARIS_TZ, zone_named: null }),
        };
      }
      if (recipientId === "r-banque-test" && nature === "saisie_vente") {
        return {
          open: false,
          reason: "recipient_window",
          message:
            "Vous ne pouvez actuellement transmettre de signification, aujourd'hui le destinataire ne reçoit que ce type d'acte selon les horaires suivants : de 08h00 à 12h00.",
          next_opening: "2026-11-23T07:00:00Z",
          time_zone: PARIS_TZ,
          zone_named: null,
        };
      }
      return { open: true, reason: null, message: null, next_opening: null, time_zone: PARIS_TZ, zone_named: null };
    },
    async previewDocuments(paths) {
      return paths.map((p) => {
        const name = nameOf(p.replace(/\\/g, "/")).replace(/\.(docx?|odt|pdf)$/i, ".pdf");
        return { name, url: "about:blank" };
      });
    },
    async signify(request, onStep) {
      state.lastSignify = { ...request, pin: "" };
      if (!request.reference.trim()) throw err("signify.reference", "Saisissez votre référence de dépôt.");
      const recipient = consents.recipients.find((r) => r.id === request.recipient_id);
      const nature = NATURES.find((n) => n.code === request.nature);
      if (!recipient || !nature) throw err("signify.incomplete", "Le destinataire ou la nature de l'acte est inconnu. Recommencez la sélection.");
      if (!consents.overview(recipient.id).in_force.includes(nature.code)) {
        throw err(
          "app.no_consent",
          "Le destinataire n'a pas consenti à la signification électronique pour cette nature d'acte (article 748-2 du code de procédure civile) : rien n'a été signé. Invitez-le à consentir, ou signifiez l'acte sur papier.",
        );
      }
      const jobId = "mock-job";
      const emit = async (step: StepNumber, status: StepEvent["status"], reason: string | null = null) => {
        await wait(opts.stepDelayMs ?? 0);
        onStep({ job_id: jobId, step, status, reason });
      };
      checkPin(request.pin, request.confirm_final_try);
      log(`Signification « ${request.reference} » lancée`);
      const at = now();
      const svc: MockService = {
        id: `n${created.length + 1}`,
        index: -1,
        reference: request.reference.trim(),
        date: at,
        state: "awaiting_consultation",
        hasReturn: false,
        recipient,
        nature,
        source: "form",
        file: `9991_${request.reference.trim()}_${stamp(at)}.pdf`,
      };
      for (const step of [1, 2, 3, 4, 5, 6] as StepNumber[]) {
        await emit(step, "running");
        if (opts.failAt?.step === step) {
          await emit(step, "failed", opts.failAt.reason);
          log(`Signification « ${request.reference} » : échec à l'étape ${step}`);
          throw err("signify.failed", opts.failAt.reason);
        }
        if (step === 3 && request.schedule_at_next_opening) {
          const status = await backend.receptionStatus(request.recipient_id, request.nature);
          const when = status.next_opening ?? at.toISOString();
          await emit(3, "queued", `Dépôt programmé à la prochaine ouverture du destinataire (${when}).`);
          state.outbox.push({ id: `o${state.outbox.length + 1}`, reference: svc.reference, recipient: recipient.name, state: "prepared", prepared_at: at.toISOString(), last_error: null });
          notifyOutbox();
          log(`Signification « ${request.reference} » programmée`);
          return { service_id: svc.id, state: "queued", deposited_at: null, archive_name: null };
        }
        if (step === 3 && !state.online) {
          await emit(3, "queued", "Le coffre-fort est injoignable : l'acte signé attend dans la file d'envoi et partira au retour du réseau.");
          state.outbox.push({
            id: `o${state.outbox.length + 1}`,
            reference: svc.reference,
            recipient: recipient.name,
            state: "prepared",
            prepared_at: at.toISOString(),
            last_error: null,
          });
          notifyOutbox();
          log(`Signification « ${request.reference} » mise en file d'envoi`);
          return { service_id: svc.id, state: "queued", deposited_at: null, archive_name: null };
        }
        await emit(step, "done");
      }
      created.push(svc);
      await backend.emitDashboard();
      log(`Signification « ${request.reference} » déposée`);
      const archive = `${recipient.name.replace(/\s/g, "_")}__${svc.reference}_${stamp(at)}.zip`;
      return { service_id: svc.id, state: "deposited", deposited_at: at.toISOString(), archive_name: archive };
    },
    async pickManifest() {
      const p = backend.nextManifest;
      backend.nextManifest = null;
      return p;
    },
    async ediImport(request, onProgress) {
      state.lastEdi = { ...request, pin: "" };
      const lines = backend.ediManifests.get(request.manifest);
      if (!lines) {
        throw err("app.io", `Le fichier d'échange ${request.manifest} est illisible ou introuvable. Choisissez-le à nouveau.`);
      }
      const emit = async (line: number, reference: string, stage: EdiProgress["stage"], reason: string | null = null) => {
        await wait(opts.stepDelayMs ?? 0);
        onProgress({ job_id: "mock-edi", line, reference, stage, reason });
      };
      const numbered = lines.map((l, i) => ({ ...l, line: i + 2 }));
      const refused = numbered.filter((l) => l.error && !(l.consentMentionOnly && request.stamp_consent));
      const empty = { lines: lines.length, prepared: 0, already_prepared: 0, deposited: 0, queued: 0, queued_reason: null };
      if (refused.length > 0) {
        for (const l of refused) await emit(l.line, l.reference, "refused", l.error ?? null);
        log(`Import EDI refusé : ${refused.length} ligne(s) en erreur`);
        return { ...empty, lines: 0, refused: refused.map((l) => ({ line: l.line, code: "edi.invalid", message: l.error ?? "" })) };
      }
      checkPin(request.pin, request.confirm_final_try);
      // As the application does: the chosen certificate is checked before any line is converted.
      const chosen = keyCertificates().find((c) => c.serial === request.signature_certificate);
      if (request.signature_certificate !== "" && !chosen) {
        throw err("app.certificate_not_found", `Le certificat n° ${request.signature_certificate} n'est pas sur la clé branchée. Rechargez les certificats et choisissez-en un de la liste.`);
      }
      for (const l of numbered) await emit(l.line, l.reference, "checked");
      for (const l of numbered) await emit(l.line, l.reference, "converted");
      for (const l of numbered) await emit(l.line, l.reference, "signed");
      log(`Import EDI : ${numbered.length} acte(s) préparé(s)`);
      if (!state.online) {
        for (const l of numbered) {
          state.outbox.push({ id: `o${state.outbox.length + 1}`, reference: l.reference, recipient: "BANQUE TEST", state: "prepared", prepared_at: now().toISOString(), last_error: null });
        }
        notifyOutbox();
        return {
          ...empty,
          refused: [],
          prepared: numbered.length,
          queued: numbered.length,
          queued_reason: "Le coffre-fort est injoignable : les actes signés attendent dans la file d'envoi.",
        };
      }
      for (const l of numbered) await emit(0, l.reference, "deposited");
      return { ...empty, refused: [], prepared: numbered.length, deposited: numbered.length };
    },
    async outboxList() {
      return outboxStatus();
    },
    async outboxSend() {
      if (!state.online) {
        for (const o of state.outbox) o.last_error = "Coffre-fort injoignable : nouvel essai automatique au retour du réseau.";
        notifyOutbox();
        throw err("client.offline", "Le coffre-fort est injoignable. Vérifiez votre connexion ; les envois partiront automatiquement au retour du réseau.");
      }
      state.outbox = [];
      notifyOutbox();
      log("File d'envoi transmise");
      return outboxStatus();
    },
    async onOutboxChanged(handler) {
      outboxListeners.add(handler);
      return () => outboxListeners.delete(handler);
    },
    async searchServices(criteria, page): Promise<SearchPage> {
      const f = criteria.filter ? fold(criteria.filter) : "";
      const starts = (v: string, p: string | null) => p === null || fold(v).startsWith(fold(p));
      const day = (d: Date) => d.toISOString().slice(0, 10);
      const rows = allServices().filter(
        (s) =>
          (criteria.date_from === null || day(s.date) >= criteria.date_from) &&
          (criteria.date_to === null || day(s.date) <= criteria.date_to) &&
          (criteria.state === null || s.state === criteria.state) &&
          starts(s.reference, criteria.reference) &&
          starts(s.file, criteria.document) &&
          starts(s.recipient.name, criteria.recipient) &&
          (criteria.nature === null || s.nature.code === criteria.nature) &&
          (criteria.source === null || s.source === criteria.source) &&
          (f === "" || fold(`${s.reference} ${s.file} ${s.recipient.name}`).includes(f)),
      );
      // As the store: the chosen column over every match, ties by date then id.
      const sort = criteria.sort ?? { key: "date", descending: true };
      const rank = { awaiting_consultation: 0, at_home: 1, in_person: 2 } as const;
      const keyOf = (s: MockService): string | number =>
        sort.key === "reference" ? fold(s.reference) : sort.key === "recipient" ? fold(s.recipient.name) : sort.key === "state" ? rank[s.state] : 0;
      const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);
      rows.sort((a, b) => {
        const o = cmp(keyOf(a), keyOf(b)) || cmp(a.date.getTime(), b.date.getTime()) || cmp(a.index, b.index);
        return sort.descending ? -o : o;
      });
      const slice = rows.slice(page.offset, page.offset + page.limit);
      return {
        items: slice.map((s) => ({
          service_id: s.id,
          deposited_at: s.date.toISOString(),
          state: s.state,
          reference: s.reference,
          file: s.file,
          recipient: s.recipient.name,
          nature: s.nature.label,
          source: s.source,
        })),
        has_more: rows.length > page.offset + page.limit,
        total: page.offset === 0 ? rows.length : null,
      };
    },
    async serviceDetail(id): Promise<ServiceDetail> {
      const s = serviceById(id);
      if (!s) throw err("service.not_found", "Cette signification est introuvable. Relancez la recherche.");
      const t = (min: number) => new Date(s.date.getTime() + min * 60_000).toISOString();
      const archive = `${s.recipient.name.replace(/\s/g, "_")}__${s.reference}_${stamp(new Date(s.date.getTime() + 70_000))}.zip`;
      const remise = s.file.replace(/\.pdf$/, "_REMISE.pdf");
      const unseen = (["awaiting_consultation", "in_person", "at_home", "returns"] as Category[]).some(
        (c) => inCategory(s, c) && !state.seen.has(notifId(c, s)),
      );
      for (const c of ["awaiting_consultation", "in_person", "at_home", "returns"] as Category[]) {
        if (inCategory(s, c)) state.seen.add(notifId(c, s));
      }
      log(`Consultation du détail « ${s.reference} »`);
      const history = [
        { at: t(0), message: `Fichier ${s.file} (${s.nature.label}) déposé dans le coffre destinataire ${s.recipient.name}` },
        { at: t(1), message: `Fichier ${archive} (${s.nature.label}) déposé dans votre coffre pour archivage` },
        { at: t(1), message: `Mail d'alerte pour dépôt transmis au destinataire ${s.recipient.name}` },
      ];
      if (s.state !== "awaiting_consultation") {
        history.push({ at: t(6), message: `Création de l'attestation de remise ${remise} ${s.state === "in_person" ? "à personne" : "à domicile"}` });
        history.push({ at: t(6), message: `Dépôt de l'attestation de remise ${remise}` });
      }
      if (s.hasReturn) history.push({ at: t(65), message: `Réponse déposée par le destinataire ${s.recipient.name}` });
      const stateSentence =
        s.state === "in_person" ? "Acte(s) remis à personne au destinataire" : "Acte(s) remis à domicile au destinataire";
      return {
        service_id: s.id,
        unseen,
        act: {
          reference: s.reference,
          deposited_at: s.date.toISOString(),
          documents: [s.file],
          nature: s.nature.label,
          state: s.state,
          recipient: s.recipient.name,
          recipient_siret: s.recipient.siret,
        },
        attestation: { served_at: t(1), archive_name: archive, xml_name: "attestation_depot.xml" },
        delivery_notice: s.state === "awaiting_consultation" ? null : { at: t(6), file_name: remise, state: stateSentence },
        act_return: s.hasReturn
          ? { at: t(65), file_name: s.file.replace(/\.pdf$/, "_SAISIE_ATTRIBUTION.pdf"), state: "Réponse déposée dans le coffre fort étude" }
          : null,
        history,
      };
    },
    async download(id, kind) {
      const s = serviceById(id);
      if (!s) throw err("service.not_found", "Cette signification est introuvable. Relancez la recherche.");
      const names = { archive: "archive.zip", delivery_notice: "remise.pdf", return: "retour.pdf" };
      log(`Téléchargement (${kind === "archive" ? "archive" : kind === "return" ? "retour d'acte" : "attestation de remise"}) « ${s.reference} »`);
      return saved(`/home/etude/Téléchargements/${s.reference}_${names[kind]}`);
    },
    async letter(id) {
      const s = serviceById(id);
      if (!s || s.state !== "at_home") {
        throw err("letter.not_at_home", "Le courrier simple ne concerne que les actes remis à domicile.");
      }
      log(`Courrier simple préparé pour « ${s.reference} »`);
      // First working day after the service (Sundays skipped; the real rule, with public
      // holidays, is sceau-core's calendar).
      const d = new Date(s.date.getTime() + 2 * 3_600_000); // Paris summer time is enough here
      do d.setUTCDate(d.getUTCDate() + 1);
      while (d.getUTCDay() === 0);
      return { path: `/home/etude/Documents/${s.reference}_courrier_simple.odt`, dated: d.toISOString().slice(0, 10) };
    },
    async vaultList(path) {
      if (path !== "" && !vault.get(path)?.is_folder) throw err("vault.not_found", "Ce dossier n'existe plus. Revenez à la racine du coffre-fort.");
      return [...vault.values()].filter((e) => parentOf(e.path) === path).map((e) => ({ ...e }));
    },
    async vaultMkdir(path) {
      if (!validName(nameOf(path))) throw err("vault.bad_name", "Ce nom de dossier n'est pas valide : il ne doit pas contenir / ni \\. Choisissez un autre nom.");
      if (vault.has(path)) throw err("vault.exists", `Un élément nommé « ${nameOf(path)} » existe déjà ici. Choisissez un autre nom.`);
      addVault(path, true, 0, now().toISOString());
      log(`Dossier « ${nameOf(path)} » créé`);
    },
    async vaultMove(from, to) {
      const e = vault.get(from);
      if (!e) throw err("vault.not_found", "Cet élément n'existe plus. Actualisez la liste.");
      if (to !== "" && !vault.get(to)?.is_folder) throw err("vault.not_found", "Le dossier de destination n'existe pas.");
      if (to === from || to.startsWith(from + "/")) {
        throw err("vault.into_itself", "Un dossier ne peut pas être déplacé dans lui-même ni dans l'un de ses sous-dossiers.");
      }
      const target = to === "" ? nameOf(from) : `${to}/${nameOf(from)}`;
      if (vault.has(target)) throw err("vault.exists", "Un élément du même nom existe déjà dans le dossier de destination.");
      for (const [p, v] of [...vault]) {
        if (p === from || p.startsWith(from + "/")) {
          vault.delete(p);
          const np = target + p.slice(from.length);
          vault.set(np, { ...v, path: np });
        }
      }
      log(`« ${nameOf(from)} » déplacé`);
    },
    async vaultRename(path, newName) {
      if (!validName(newName)) throw err("vault.bad_name", "Ce nom n'est pas valide : il ne doit pas contenir / ni \\. Choisissez un autre nom.");
      const parent = parentOf(path);
      const target = parent === "" ? newName : `${parent}/${newName}`;
      if (vault.has(target)) throw err("vault.exists", `Un élément nommé « ${newName} » existe déjà ici. Choisissez un autre nom.`);
      for (const [p, v] of [...vault]) {
        if (p === path || p.startsWith(path + "/")) {
          vault.delete(p);
          const np = target + p.slice(path.length);
          vault.set(np, { ...v, path: np });
        }
      }
      log(`« ${nameOf(path)} » renommé en « ${newName} »`);
    },
    async vaultSetProperties(path, description, retainUntil) {
      const e = vault.get(path);
      if (!e) throw err("vault.not_found", "Élément introuvable.");
      const text = description?.replace(/\r\n?/g, "\n").trim() ?? null;
      if (text !== null && [...text].length > 500) {
        throw err("app.description_invalid", "Description refusée : la description dépasse 500 caractères : raccourcissez-la.");
      }
      // eslint-disable-next-line no-control-regex
      if (text !== null && /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(text)) {
        throw err("app.description_invalid", "Description refusée : la description contient un caractère de contrôle (seuls les retours à la ligne sont acceptés) : retirez-le.");
      }
      let until = e.retained_until;
      if (retainUntil !== null) {
        // The last second of that day in Paris (the vault's rule).
        const [y = 0, m = 1, d = 1] = retainUntil.split("-").map(Number);
        const midnight = Date.UTC(y, m - 1, d + 1);
        const offset = new Intl.DateTimeFormat("en-US", { timeZone: "Europe/Paris", timeZoneName: "shortOffset" })
          .formatToParts(midnight)
          .find((p) => p.type === "timeZoneName")?.value;
        const end = new Date(midnight - Number(offset?.replace("GMT", "") || "1") * 3_600_000 - 1000);
        if (end <= now()) throw err("vault.retention_past", "La date de conservation est passée : choisissez aujourd'hui ou une date à venir.");
        if (until && end < new Date(until)) {
          throw err(
            "vault.retention_shortened",
            `Cet élément est déjà conservé jusqu'au ${formatDateTime(until)} : la conservation peut être prolongée, jamais raccourcie ni retirée. Choisissez une date postérieure.`,
          );
        }
        until = end.toISOString();
      }
      const updated = { ...e, retained_until: until, description: text === null ? e.description : text || null };
      vault.set(path, updated);
      log(`Propriétés de « ${nameOf(path)} » modifiées`);
      return { ...updated };
    },
    async vaultDelete(path) {
      const e = vault.get(path);
      if (!e) throw err("vault.not_found", "Cet élément n'existe plus. Actualisez la liste.");
      if (retainedAround(path)) {
        throw err(
          "vault.retained",
          "Suppression impossible : la durée de conservation de cet élément (ou d'un élément qu'il contient, ou du dossier qui le contient) n'est pas écoulée. Attendez sa fin ; la date figure dans ses propriétés.",
        );
      }
      if (e.is_folder && [...vault.keys()].some((p) => p.startsWith(path + "/"))) {
        throw err("vault.not_empty", "Ce dossier n'est pas vide. Déplacez ou supprimez d'abord son contenu.");
      }
      vault.delete(path);
      log(`« ${nameOf(path)} » supprimé`);
    },
    async vaultUsage() {
      let used = 0;
      for (const e of vault.values()) used += e.size;
      return { used, quota: 1024 * 1024 * 1024 };
    },
    async vaultProof(path) {
      if (!vault.has(path)) throw err("vault.not_found", "Cet élément n'existe plus. Actualisez la liste.");
      log(`Preuve d'intégrité exportée pour « ${nameOf(path)} »`);
      return saved(`/home/etude/Documents/${nameOf(path)}.preuve.json`);
    },
    async vaultUpload(folder, paths, onProgress) {
      if (folder !== "" && !vault.get(folder)?.is_folder) throw err("vault.not_found", "Ce dossier n'existe plus. Revenez à la racine du coffre-fort.");
      const added: VaultEntry[] = [];
      for (const p of paths) {
        const name = nameOf(p.replace(/\\/g, "/"));
        // As the shell does: at the start, along the way, at the last byte.
        const size = backend.uploadSizes.get(p) ?? 1024;
        const report = (sent: number) =>
          onProgress({ job_id: "mock", name, files_done: added.length, files_total: paths.length, sent, total: size });
        report(0);
        report(Math.floor(size / 2));
        if (backend.uploadPause) await backend.uploadPause;
        report(size);
        const target = folder === "" ? name : `${folder}/${name}`;
        if (vault.has(target)) {
          const before = added.length > 0 ? ` Déjà transféré(s) avant lui, à ne pas renvoyer : ${added.map((e) => e.path).join(", ")}.` : "";
          throw err(
            "vault.path_exists",
            `Le fichier « ${name} » n'a pas été transféré : Un élément portant ce nom existe déjà à cet endroit : renommez-le ou choisissez un autre dossier.${before}`,
          );
        }
        addVault(target, false, size, now().toISOString());
        const entry = vault.get(target);
        if (entry) added.push(entry);
        log(`Transfert dans le coffre-fort : ${target}`);
      }
      return added;
    },
    async pickFiles() {
      if (opts.browserFilePicker) return browserPick();
      const p = backend.nextPick;
      backend.nextPick = [];
      return p;
    },
    async vaultDownload(path) {
      if (!vault.has(path)) throw err("vault.not_found", "Cet élément n'existe plus. Actualisez la liste.");
      return saved(`/home/etude/Téléchargements/${nameOf(path)}`);
    },
    async settingsGet() {
      return { ...state.settings };
    },
    async settingsSet(s) {
      if (!/^https:\/\/[^\s/]+/.test(s.vault_url)) {
        throw err("settings.vault_url", "L'adresse du coffre-fort doit commencer par https:// suivi du nom du serveur.");
      }
      state.settings = { ...s };
      log("Paramètres enregistrés");
      return { ...state.settings };
    },
    async sessionLog() {
      return state.log.map((l) => ({ ...l }));
    },
    async pickDocuments() {
      if (opts.browserFilePicker) return browserPick();
      const p = backend.nextPick;
      backend.nextPick = [];
      return p;
    },
    async onFileDrop(handler) {
      dropListeners.add(handler);
      return () => dropListeners.delete(handler);
    },
    async saveAs(path) {
      const to = backend.nextSaveAs;
      backend.nextSaveAs = null;
      if (to === null) return null;
      log(`Enregistré sous ${to}`);
      state.saved.push({ from: path, to });
      return saved(to);
    },
    async saveText(fileName, contents) {
      const path = `/home/etude/Téléchargements/${fileName}`;
      state.texts.set(path, contents);
      return saved(path);
    },
    async reveal(path) {
      state.revealed.push(path);
    },
    async historyPdf(id) {
      const s = serviceById(id);
      if (!s) throw err("service.not_found", "Cette signification est introuvable. Relancez la recherche.");
      log(`Historique exporté pour « ${s.reference} »`);
      return saved(`/home/etude/Téléchargements/${s.reference}_HISTORIQUE.pdf`);
    },
    async documentFacts(paths) {
      return paths.map((p) => {
        const name = nameOf(p.replace(/\\/g, "/"));
        return { path: p, name, size: 48_213 + name.length * 1000, pages: /\.pdf$/i.test(name) ? 3 : null };
      });
    },
    async openExternal(path) {
      state.opened.push(path);
    },
    async lock() {
      state.locked = true;
      log("Session verrouillée");
    },
    async logout() {
      state.loggedOut = true;
      log("Déconnexion");
    },
    async revealLogs() {
      state.revealed.push("/home/etude/.local/state/sceau/logs/sceau.log");
    },
  };
  return backend;
}
