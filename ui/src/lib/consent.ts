// Consent to electronic service on the recipient's card (CPC 748-2, issue 17): what blocks
// "Signifier", natures by their labels, and "Nouveau destinataire"'s problems by field.

import type { ConsentOverview, Nature, NewRecipientRequest, RecipientField, RecipientProblem } from "./types";

/** The paper fallback the platform article describes, when electronic service is impossible. */
export const PAPER_FALLBACK = "signifiez l'acte sur papier (par commissaire de justice ou par voie postale)";

/**
 * Why "Signifier" stays disabled for this nature (French: what happened and what to do), or null
 * when a consent is in force, no nature is chosen, or the register could not be read (offline:
 * the application checks its cache and the vault decides at deposit).
 */
export function consentBlock(overview: ConsentOverview | null, nature: string, natureLabel: string): string | null {
  if (overview === null || nature === "" || overview.in_force.includes(nature)) return null;
  return (
    `Le destinataire n'a pas de consentement en vigueur pour « ${natureLabel || nature} » : « Signifier » reste ` +
    `indisponible (article 748-2 du code de procédure civile). Invitez-le à consentir à cette nature d'acte, ` +
    `ou ${PAPER_FALLBACK}.`
  );
}

/** The French labels of catalogue codes (an unknown code is shown as it is). */
export function natureLabels(codes: readonly string[], catalogue: readonly Nature[]): string[] {
  return codes.map((c) => catalogue.find((n) => n.code === c)?.label ?? c);
}

/** The messages of each field, in the order the application gave them. */
export function problemsByField(problems: readonly RecipientProblem[]): Partial<Record<RecipientField, string[]>> {
  const out: Partial<Record<RecipientField, string[]>> = {};
  for (const p of problems) (out[p.field] ??= []).push(p.message);
  return out;
}

/** "Nouveau destinataire" as typed (every field a string: the form's inputs). */
export interface NewRecipientDraft {
  kind: "person" | "company";
  civility: "M" | "Mme";
  lastName: string;
  firstNames: string;
  birthDate: string;
  email: string;
  mobile: string;
  address1: string;
  address2: string;
  postalCode: string;
  city: string;
  nir: string;
  siret: string;
  companyName: string;
}

/** An empty draft (a private person, Madame). */
export function emptyDraft(): NewRecipientDraft {
  return {
    kind: "person",
    civility: "Mme",
    lastName: "",
    firstNames: "",
    birthDate: "",
    email: "",
    mobile: "",
    address1: "",
    address2: "",
    postalCode: "",
    city: "",
    nir: "",
    siret: "",
    companyName: "",
  };
}

/** The request the application checks (it trims, drops blank lines and reports every problem). */
export function newRecipientRequest(d: NewRecipientDraft): NewRecipientRequest {
  if (d.kind === "company") {
    return { kind: "company", siret: d.siret, name: d.companyName, email: d.email, mobile: d.mobile };
  }
  return {
    kind: "person",
    civility: d.civility,
    last_name: d.lastName,
    first_names: d.firstNames,
    birth_date: d.birthDate,
    email: d.email,
    mobile: d.mobile,
    address_lines: [d.address1, d.address2].filter((l) => l.trim() !== ""),
    postal_code: d.postalCode,
    city: d.city,
    nir: d.nir.trim() === "" ? null : d.nir,
  };
}

/** The answering time typed ("" = the vault's default), or a French message. */
export function inviteDays(typed: string): { ok: true; days: number | null } | { ok: false; message: string } {
  const t = typed.trim();
  if (t === "") return { ok: true, days: null };
  const n = Number(t);
  if (!/^\d+$/.test(t) || n < 1 || n > 60) {
    return { ok: false, message: "Le délai de réponse doit être un nombre de jours entre 1 et 60 (laissez vide pour 15 jours)." };
  }
  return { ok: true, days: n };
}
