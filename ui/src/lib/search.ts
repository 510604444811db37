// The search form ("Rechercher une signification"): typed criteria to the request.

import { parseDay } from "./dates";
import type { DeliveryState, SearchCriteria, Source } from "./types";

/** The form as typed (dates as dd/mm/yyyy text, selects as "" for "Tous"/"Toutes"). */
export interface SearchForm {
  /** "du". */
  dateFrom: string;
  /** "au". */
  dateTo: string;
  /** Delivery state or "". */
  state: DeliveryState | "";
  /** Reference. */
  reference: string;
  /** Document name. */
  document: string;
  /** Recipient name. */
  recipient: string;
  /** Nature code or "". */
  nature: string;
  /** Source or "". */
  source: Source | "";
}

/** A blank form ("Réinitialiser"). */
export function emptySearchForm(): SearchForm {
  return { dateFrom: "", dateTo: "", state: "", reference: "", document: "", recipient: "", nature: "", source: "" };
}

/** Labels of the delivery states, as in the manual's result table. */
export const STATE_LABELS: Readonly<Record<DeliveryState, string>> = {
  awaiting_consultation: "En attente de consultation",
  in_person: "Remis à personne",
  at_home: "Remis à domicile",
};

/** Labels of the sources. */
export const SOURCE_LABELS: Readonly<Record<Source, string>> = {
  form: "Formulaire",
  edi: "EDI",
};

const orNull = (s: string): string | null => (s.trim() === "" ? null : s.trim());

/** Builds the criteria, or lists the French messages of what must be corrected. */
export function toCriteria(
  form: SearchForm,
  filter = "",
): { ok: true; criteria: SearchCriteria } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const from = parseDay(form.dateFrom);
  const to = parseDay(form.dateTo);
  if (!from.ok) errors.push(`Date de début : ${from.message}`);
  if (!to.ok) errors.push(`Date de fin : ${to.message}`);
  if (from.ok && to.ok && from.value && to.value && from.value > to.value) {
    errors.push("La date de début est postérieure à la date de fin. Inversez-les ou corrigez l'une d'elles.");
  }
  if (errors.length > 0 || !from.ok || !to.ok) return { ok: false, errors };
  return {
    ok: true,
    criteria: {
      date_from: from.value,
      date_to: to.value,
      state: form.state === "" ? null : form.state,
      reference: orNull(form.reference),
      document: orNull(form.document),
      recipient: orNull(form.recipient),
      nature: form.nature === "" ? null : form.nature,
      source: form.source === "" ? null : form.source,
      filter: orNull(filter),
    },
  };
}
