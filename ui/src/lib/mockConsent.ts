// The mock's part of issue 17: "Nouveau destinataire" (checked with the application's codes,
// fields and French messages, duplicates by SIRET, NIR or e-mail + birth date) and the register
// of consents with this office's invitations, answered by tests as the portal would.

import { maskNir, validateCompanyId, validateNir } from "./ids";
import type {
  AddRecipientResult,
  ApiError,
  ConsentEntry,
  ConsentOverview,
  InvitationState,
  InvitationView,
  InviteRequest,
  NewRecipientRequest,
  Recipient,
  RecipientField,
  RecipientProblem,
} from "./types";

/** What the office is told of an invitation (`InvitationState::label_fr`). */
export const INVITATION_LABELS: Record<InvitationState, string> = {
  pending: "Invitation envoyée, en attente de réponse",
  accepted: "Consentement donné",
  refused: "Refusé par le destinataire : signifiez par un autre moyen (voie postale ou commissaire de justice)",
  withdrawn: "Invitation retirée par l'étude",
  expired: "Invitation expirée sans réponse : renvoyez-la si besoin",
  locked: "Invitation bloquée (trop de codes erronés) : renvoyez-la pour un nouveau lien",
};

const FIELD_LABELS: Record<RecipientField, string> = {
  last_name: "le nom",
  first_names: "les prénoms",
  name: "la raison sociale",
  birth_date: "la date de naissance",
  email: "l'adresse électronique",
  mobile: "le numéro de mobile",
  address: "l'adresse postale",
  postal_code: "le code postal",
  city: "la ville",
  nir: "le numéro INSEE (NIR)",
  siret: "le SIRET",
};

const missing = (field: RecipientField): RecipientProblem => ({
  code: "recipient.missing",
  field,
  message: `Indiquez ${FIELD_LABELS[field]} du destinataire : il est obligatoire.`,
});

const EMAIL: RecipientProblem = {
  code: "recipient.bad_email",
  field: "email",
  message: "L'adresse électronique n'est pas valide (attendu : nom@domaine.fr). Vérifiez-la : le lien vers le coffre y sera envoyé.",
};

const MOBILE: RecipientProblem = {
  code: "recipient.bad_mobile",
  field: "mobile",
  message:
    "Le numéro de mobile n'est pas un mobile français (06 ou 07, +33 6 ou +33 7, ou un mobile d'outre-mer, par exemple +262 692). Vérifiez-le : les codes de connexion y seront envoyés par SMS.",
};

/** `JJ/MM/AAAA` or `AAAA-MM-JJ` as `AAAA-MM-JJ`, or null. */
function isoDay(typed: string): string | null {
  const t = typed.trim();
  const fr = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(t);
  const iso = fr ? `${fr[3]}-${fr[2]}-${fr[1]}` : /^\d{4}-\d{2}-\d{2}$/.test(t) ? t : null;
  if (iso === null || Number.isNaN(Date.parse(`${iso}T00:00:00Z`))) return null;
  return iso;
}

function contactProblems(email: string, mobile: string): RecipientProblem[] {
  const out: RecipientProblem[] = [];
  if (email.trim() === "") out.push(missing("email"));
  else if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.trim())) out.push(EMAIL);
  const m = mobile.replace(/[\s.]/g, "");
  if (m === "") out.push(missing("mobile"));
  else if (!/^(0[67]\d{8}|\+33[67]\d{8})$/.test(m)) out.push(MOBILE);
  return out;
}

/** Every problem of a new recipient, in the order of the form. */
export function recipientProblems(r: NewRecipientRequest, today: Date): RecipientProblem[] {
  const out: RecipientProblem[] = [];
  if (r.kind === "company") {
    if (r.siret.trim() === "") out.push(missing("siret"));
    else {
      const s = validateCompanyId(r.siret);
      if (!s.ok || s.value.length !== 14) {
        out.push({ code: "recipient.bad_siret", field: "siret", message: s.ok ? "Le SIRET comporte 14 chiffres." : s.message });
      }
    }
    if (r.name.trim() === "") out.push(missing("name"));
    return [...out, ...contactProblems(r.email, r.mobile)];
  }
  if (r.last_name.trim() === "") out.push(missing("last_name"));
  if (r.first_names.trim() === "") out.push(missing("first_names"));
  if (r.birth_date.trim() === "") out.push(missing("birth_date"));
  else {
    const day = isoDay(r.birth_date);
    if (day === null) {
      out.push({ code: "recipient.bad_birth_date", field: "birth_date", message: "La date de naissance est illisible : saisissez-la sous la forme JJ/MM/AAAA (ou AAAA-MM-JJ)." });
    } else if (day >= today.toISOString().slice(0, 10)) {
      out.push({ code: "recipient.birth_date_future", field: "birth_date", message: "La date de naissance est postérieure à aujourd'hui. Vérifiez-la." });
    }
  }
  out.push(...contactProblems(r.email, r.mobile));
  if (r.address_lines.every((l) => l.trim() === "")) out.push(missing("address"));
  if (r.postal_code.trim() === "") out.push(missing("postal_code"));
  else if (!/^\d{5}$/.test(r.postal_code.trim())) {
    out.push({ code: "recipient.bad_postal_code", field: "postal_code", message: "Le code postal doit comporter 5 chiffres (ex. 75001). Vérifiez-le." });
  }
  if (r.city.trim() === "") out.push(missing("city"));
  if (r.nir !== null && r.nir.trim() !== "") {
    const n = validateNir(r.nir);
    if (!n.ok) out.push({ code: "recipient.bad_nir", field: "nir", message: n.message });
  }
  return out;
}

/** A recipient in the duplicate sentence (`recipients::label`). */
function label(r: Recipient): string {
  const facts = [
    r.siret ? `SIRET ${r.siret}` : r.siren ? `SIREN ${r.siren}` : null,
    r.nir_masked ? `N° INSEE ${r.nir_masked}` : null,
    r.email,
  ].filter((f): f is string => !!f);
  return facts.length === 0 ? r.name : `${r.name} (${facts.join(", ")})`;
}

interface Register {
  consents: ConsentEntry[];
  invitations: InvitationView[];
}

/** The register of consents and the invitations, by recipient. */
export interface MockConsents {
  /** The recipients of the mock (searched, served; new ones added). */
  readonly recipients: Recipient[];
  /** Adds a recipient (checked; duplicates found). */
  add(request: NewRecipientRequest): AddRecipientResult;
  /** Where a recipient's consent stands. */
  overview(recipientId: string): ConsentOverview;
  /** Sends an invitation. */
  invite(request: InviteRequest): InvitationView;
  /** Resends or withdraws an invitation not answered. */
  action(invitationId: string, action: "resend" | "withdraw"): InvitationView;
  /** The recipient answers (or fails to) on the portal, as the vault would record it. */
  answer(invitationId: string, state: Exclude<InvitationState, "pending" | "withdrawn">): void;
  /** Enters a consent directly (a convention), for every nature given. */
  give(recipientId: string, natures: string[]): void;
  /** Revokes every consent of a recipient now. */
  revoke(recipientId: string): void;
}

function fail(code: string, message: string): ApiError {
  return { code, message };
}

/** The mock's register: `seed` recipients, those with `conventions` consenting to every nature. */
export function mockConsents(
  seed: readonly Recipient[],
  conventions: Record<string, string[]>,
  now: () => Date,
  nirs: Record<string, string>,
): MockConsents {
  const recipients = seed.map((r) => ({ ...r }));
  const registers = new Map<string, Register>();
  const births = new Map<string, string>();
  const fullNir = new Map<string, string>(Object.entries(nirs));
  let seq = 0;
  const reg = (id: string): Register => {
    let r = registers.get(id);
    if (!r) registers.set(id, (r = { consents: [], invitations: [] }));
    return r;
  };
  const give = (recipientId: string, natures: string[], how: string) =>
    reg(recipientId).consents.push({ id: `c${++seq}`, natures, given_at: now().toISOString(), expires_at: null, revoked_at: null, how });
  for (const [id, natures] of Object.entries(conventions)) give(id, natures, "convention");

  const invitation = (id: string): [InvitationView, string] => {
    for (const [rid, r] of registers) {
      const i = r.invitations.find((x) => x.id === id);
      if (i) return [i, rid];
    }
    throw fail("app.invitation_not_found", "Cette invitation est introuvable. Rouvrez la fiche du destinataire.");
  };
  const setState = (i: InvitationView, state: InvitationState) => {
    i.state = state;
    i.label = INVITATION_LABELS[state];
    i.open = state === "pending" || state === "expired" || state === "locked";
  };

  return {
    recipients,
    add(request) {
      const problems = recipientProblems(request, now());
      if (problems.length > 0) return { outcome: "invalid", problems };
      let existing: Recipient[];
      if (request.kind === "company") {
        const siret = request.siret.replace(/\s/g, "");
        existing = recipients.filter((r) => r.siret === siret);
      } else {
        const nir = request.nir ? request.nir.replace(/\s/g, "").toUpperCase() : null;
        const birth = isoDay(request.birth_date);
        const email = request.email.trim().toLowerCase();
        existing = recipients.filter(
          (r) => (nir !== null && fullNir.get(r.id) === nir) || ((r.email ?? "").toLowerCase() === email && births.get(r.id) === birth),
        );
      }
      if (existing.length > 0) {
        return {
          outcome: "duplicate",
          message: `Ce destinataire existe déjà dans le coffre-fort : ${existing.map(label).join(" ; ")}. Utilisez sa fiche existante (recherchez-le par son nom ou son identifiant) ; rien n'a été enregistré.`,
          existing: existing.map((r) => ({ ...r })),
        };
      }
      const id = `r-nouveau-${++seq}`;
      const r: Recipient =
        request.kind === "company"
          ? {
              id,
              kind: "company",
              name: request.name.trim(),
              siret: request.siret.replace(/\s/g, ""),
              siren: request.siret.replace(/\s/g, "").slice(0, 9),
              nir_masked: null,
              email: request.email.trim(),
              phone_fixed: null,
              phone_mobile: request.mobile.trim(),
            }
          : {
              id,
              kind: "person",
              name: `${request.last_name.trim().toUpperCase()} ${request.first_names.trim()}`,
              siret: null,
              siren: null,
              nir_masked: request.nir ? maskNir(request.nir.replace(/\s/g, "")) : null,
              email: request.email.trim(),
              phone_fixed: null,
              phone_mobile: request.mobile.trim(),
            };
      if (request.kind === "person") {
        births.set(id, isoDay(request.birth_date) ?? "");
        if (request.nir) fullNir.set(id, request.nir.replace(/\s/g, "").toUpperCase());
      }
      recipients.push(r);
      return { outcome: "created", recipient: { ...r } };
    },
    overview(recipientId) {
      const r = reg(recipientId);
      const at = now().toISOString();
      const inForce: string[] = [];
      for (const c of r.consents) {
        const live = c.given_at <= at && c.revoked_at === null && (c.expires_at === null || c.expires_at > at);
        if (live) for (const n of c.natures) if (!inForce.includes(n)) inForce.push(n);
      }
      const paper = " Sans consentement en vigueur, signifiez l'acte sur papier (par commissaire de justice ou par voie postale).";
      const first = r.invitations[0];
      const summary =
        inForce.length > 0
          ? `Consentement en vigueur pour : ${inForce.join(", ")}.`
          : first
            ? `${first.label}.${paper}`
            : r.consents.some((c) => c.revoked_at !== null)
              ? `Le destinataire a révoqué son consentement.${paper}`
              : r.consents.length > 0
                ? `Le consentement du destinataire a expiré.${paper}`
                : `Aucun consentement : invitez le destinataire à consentir à la signification électronique.${paper}`;
      return {
        recipient_id: recipientId,
        consents: r.consents.map((c) => ({ ...c })),
        in_force: inForce,
        invitations: r.invitations.map((i) => ({ ...i })),
        summary,
      };
    },
    invite(request) {
      if (!recipients.some((r) => r.id === request.recipient_id)) {
        throw fail("app.unknown_recipient", "Ce destinataire est inconnu du coffre-fort. Recherchez-le de nouveau.");
      }
      if (request.natures.length === 0) {
        throw fail("vault.bad_request", "Choisissez au moins une nature d'acte pour l'invitation.");
      }
      const r = reg(request.recipient_id);
      if (r.invitations.some((i) => i.state === "pending")) {
        throw fail("vault.invitation_pending", "Une invitation de votre étude attend déjà la réponse de ce destinataire : renvoyez-la ou retirez-la.");
      }
      const sent = now();
      const days = request.days ?? 15;
      const i: InvitationView = {
        id: `i${++seq}`,
        natures: [...request.natures],
        state: "pending",
        label: INVITATION_LABELS.pending,
        sent_at: sent.toISOString(),
        expires_at: new Date(sent.getTime() + days * 86_400_000).toISOString(),
        answered_at: null,
        open: true,
      };
      r.invitations.unshift(i);
      return { ...i };
    },
    action(invitationId, action) {
      const [i] = invitation(invitationId);
      if (!i.open) throw fail("vault.invitation_answered", `Cette invitation n'attend plus de réponse (${i.label.toLowerCase()}).`);
      if (action === "withdraw") {
        setState(i, "withdrawn");
        i.answered_at = now().toISOString();
      } else {
        setState(i, "pending");
        i.sent_at = now().toISOString();
      }
      return { ...i };
    },
    answer(invitationId, state) {
      const [i, rid] = invitation(invitationId);
      setState(i, state);
      if (state === "accepted" || state === "refused") i.answered_at = now().toISOString();
      if (state === "accepted") give(rid, i.natures, "portail");
    },
    give(recipientId, natures) {
      give(recipientId, natures, "convention");
    },
    revoke(recipientId) {
      for (const c of reg(recipientId).consents) c.revoked_at ??= now().toISOString();
    },
  };
}
