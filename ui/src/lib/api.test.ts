// The Tauri backend: command names, argument shapes, progress events, error normalisation.
// `invoke` and `listen` are replaced by recorders (there is no Tauri runtime under Vitest).
import { beforeEach, describe, expect, it, vi } from "vitest";

const calls: { cmd: string; args: unknown }[] = [];
let answer: (cmd: string, args: unknown) => unknown = () => null;
const listeners = new Map<string, (e: { payload: unknown }) => void>();
let unlistened = 0;

vi.mock("@tauri-apps/api/core", () => ({
  invoke: vi.fn(async (cmd: string, args?: unknown) => {
    calls.push({ cmd, args });
    return answer(cmd, args);
  }),
}));
vi.mock("@tauri-apps/api/event", () => ({
  listen: vi.fn(async (name: string, cb: (e: { payload: unknown }) => void) => {
    listeners.set(name, cb);
    return () => {
      unlistened++;
      listeners.delete(name);
    };
  }),
}));

const { tauriBackend, toApiError, STEP_EVENT, EDI_EVENT, VAULT_UPLOAD_EVENT, api, useBackend } = await import("./api");

beforeEach(() => {
  calls.length = 0;
  listeners.clear();
  unlistened = 0;
  answer = () => null;
});

describe("tauri backend", () => {
  it("calls the snake_case commands with one request argument", async () => {
    const b = tauriBackend();
    const page = { offset: 10, limit: 10 };
    await b.tokenStatus();
    await b.connect({ token_serial: "t", certificate_serial: "c", pin: "1234", confirm_final_try: false });
    await b.bindCertificate({ office_number: "9991", office_name: "Étude" });
    await b.dashboardCounts();
    await b.dashboardPage("in_person", "annecy", page);
    await b.markSeen("n1");
    const stop = await b.onDashboardChanged(() => {});
    stop();
    await b.searchRecipients({ mode: "siret", query: "73282932000074" });
    await b.receptionStatus("r1", "saisie_vente");
    await b.outboxList();
    await b.outboxSend();
    await b.serviceDetail("s1");
    await b.download("s1", "archive");
    await b.letter("s1");
    await b.vaultList("");
    await b.vaultMkdir("A");
    await b.vaultMove("A", "B");
    await b.vaultRename("A", "C");
    await b.vaultDelete("C");
    await b.vaultUsage();
    await b.vaultProof("x.zip");
    await b.vaultUpload("Courriers", ["/a.odt"], () => {});
    await b.settingsGet();
    await b.sessionLog();
    expect(calls.map((c) => c.cmd)).toEqual([
      "token_status",
      "connect",
      "bind_certificate",
      "dashboard_counts",
      "dashboard_page",
      "mark_seen",
      "search_recipients",
      "reception_status",
      "outbox_list",
      "outbox_send",
      "service_detail",
      "download",
      "letter",
      "vault_list",
      "vault_mkdir",
      "vault_move",
      "vault_rename",
      "vault_delete",
      "vault_usage",
      "vault_proof",
      "vault_upload",
      "settings_get",
      "session_log",
    ]);
    expect(calls[4]?.args).toEqual({ request: { category: "in_person", filter: "annecy", offset: 10, limit: 10 } });
    expect(calls[7]?.args).toEqual({ request: { recipient_id: "r1", nature: "saisie_vente" } });
    expect(calls[11]?.args).toEqual({ request: { service_id: "s1", kind: "archive" } });
    expect(calls[16]?.args).toEqual({ request: { path: "A", new_name: "C" } });
  });

  it("sends the consent commands with their requests (issue 17)", async () => {
    const b = tauriBackend();
    const person = {
      kind: "person" as const,
      civility: "Mme" as const,
      last_name: "Durand",
      first_names: "Anne",
      birth_date: "01/02/1980",
      email: "anne@courriel.example",
      mobile: "06 12 34 56 78",
      address_lines: ["1 rue de la Paix"],
      postal_code: "75002",
      city: "Paris",
      nir: null,
    };
    await b.addRecipient(person);
    await b.consentOverview("r1");
    await b.invite({ recipient_id: "r1", natures: ["saisie_vente"], days: 10, consent_months: null });
    await b.invitationAction("i1", "withdraw");
    expect(calls).toEqual([
      { cmd: "add_recipient", args: { request: person } },
      { cmd: "consent_overview", args: { request: { recipient_id: "r1" } } },
      { cmd: "invite_recipient", args: { request: { recipient_id: "r1", natures: ["saisie_vente"], days: 10, consent_months: null } } },
      { cmd: "invitation_action", args: { request: { invitation_id: "i1", action: "withdraw" } } },
    ]);
  });

  it("sends search criteria and the page window", async () => {
    const criteria = { date_from: "2013-06-07", date_to: null, state: null, reference: "TEST", document: null, recipient: null, nature: null, source: "edi" as const, filter: null };
    await tauriBackend().searchServices(criteria, { offset: 0, limit: 10 });
    expect(calls[0]).toEqual({ cmd: "search_services", args: { request: { criteria, offset: 0, limit: 10 } } });
  });

  it("streams the six steps of its own job only, then stops listening", async () => {
    const seen: number[] = [];
    answer = (cmd, args) => {
      if (cmd !== "signify") return null;
      const jobId = (args as { jobId: string }).jobId;
      const emit = listeners.get(STEP_EVENT);
      emit?.({ payload: { job_id: "someone-else", step: 1, status: "running", reason: null } });
      for (const step of [1, 2, 3, 4, 5, 6]) emit?.({ payload: { job_id: jobId, step, status: "done", reason: null } });
      return { service_id: "n1", state: "deposited", deposited_at: "2013-09-17T12:52:55Z", archive_name: "a.zip" };
    };
    const req = { reference: "R", requerant: "SA CRÉANCIÈRE", recipient_id: "r1", nature: "n", documents: ["/a.pdf"], signature_certificate: "s", authentication_certificate: "a", pin: "1234", confirm_final_try: false, judge_permission: null, schedule_at_next_opening: false };
    const r = await tauriBackend().signify(req, (e) => seen.push(e.step));
    expect(r.state).toBe("deposited");
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(unlistened).toBe(1);
    expect(calls[0]?.args).toMatchObject({ request: req });
  });

  it("imports an EDI batch with its own progress events only, then stops listening", async () => {
    const seen: string[] = [];
    answer = (cmd, args) => {
      if (cmd !== "edi_import") return null;
      const jobId = (args as { jobId: string }).jobId;
      const emit = listeners.get(EDI_EVENT);
      emit?.({ payload: { job_id: "other", line: 2, reference: "X", stage: "checked", reason: null } });
      for (const stage of ["checked", "signed", "deposited"]) emit?.({ payload: { job_id: jobId, line: 2, reference: "R-1", stage, reason: null } });
      return { lines: 1, refused: [], prepared: 1, already_prepared: 0, deposited: 1, queued: 0, queued_reason: null };
    };
    const req = { manifest: "/lots/lot.csv", pin: "1234", confirm_final_try: false, stamp_consent: true, signature_certificate: "2818A0" };
    const r = await tauriBackend().ediImport(req, (e) => seen.push(e.stage));
    expect(r.deposited).toBe(1);
    expect(seen).toEqual(["checked", "signed", "deposited"]);
    expect(unlistened).toBe(1);
    expect(calls[0]?.cmd).toBe("edi_import");
    expect(calls[0]?.args).toMatchObject({ request: req });
  });

  it("transfers files with its own progress events only, then stops listening", async () => {
    const seen: number[] = [];
    answer = (cmd, args) => {
      if (cmd !== "vault_upload") return null;
      const jobId = (args as { jobId: string }).jobId;
      const emit = listeners.get(VAULT_UPLOAD_EVENT);
      const ev = (job_id: string, sent: number) => ({ payload: { job_id, name: "a.odt", files_done: 0, files_total: 1, sent, total: 2048 } });
      emit?.(ev("other", 5));
      for (const sent of [0, 1024, 2048]) emit?.(ev(jobId, sent));
      return [];
    };
    await tauriBackend().vaultUpload("Courriers", ["/a.odt"], (e) => seen.push(e.sent));
    expect(seen).toEqual([0, 1024, 2048]);
    expect(unlistened).toBe(1);
    expect(calls[0]?.args).toMatchObject({ request: { folder: "Courriers", paths: ["/a.odt"] } });
  });

  it("stops listening when the service fails, and passes {code, message} through", async () => {
    answer = () => {
      throw { code: "token.wrong_pin", message: "Code PIN erroné. Il reste 2 essais." };
    };
    const req = { reference: "R", requerant: "SA CRÉANCIÈRE", recipient_id: "r1", nature: "n", documents: [], signature_certificate: "s", authentication_certificate: "a", pin: "0000", confirm_final_try: false, judge_permission: null, schedule_at_next_opening: false };
    await expect(tauriBackend().signify(req, () => {})).rejects.toEqual({ code: "token.wrong_pin", message: "Code PIN erroné. Il reste 2 essais." });
    expect(unlistened).toBe(1);
  });

  it("turns anything else into a French error with a code", async () => {
    answer = () => {
      throw new Error("boom");
    };
    await expect(tauriBackend().tokenStatus()).rejects.toMatchObject({ code: "ui.unexpected" });
    expect(toApiError("text").message).toMatch(/^Une erreur inattendue/);
  });

  it("refuses to run without a backend", () => {
    expect(() => api()).toThrow();
    const b = tauriBackend();
    useBackend(b);
    expect(api()).toBe(b);
  });
});
