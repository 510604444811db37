// The search form ("Rechercher une signification"): typed criteria to the request.

import type { SearchPage, SearchSort, SearchSortKey } from "../generated/bindings";
import { api } from "./api";
import { parseDay } from "./dates";
import type { DeliveryState, PageRequest, SearchCriteria, ServiceSummary, Source } from "./types";

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
  if (!from.ok) errors.push(`Date de début\u00a0: ${from.message}`);
  if (!to.ok) errors.push(`Date de fin\u00a0: ${to.message}`);
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

// ------------------------------------------------------------------ results: sort, total, all pages

/** The result table's order (the store sorts every match, not the page shown). */
export type { SearchPage, SearchSort, SearchSortKey } from "../generated/bindings";

/** The order before any click: most recent first (the store's index order). */
export const DEFAULT_SORT: Readonly<SearchSort> = { key: "date", descending: true };

/**
 * The order after a click on a column's heading: the same column turns round; another column
 * starts with the most recent date first, or from A to Z.
 */
export function nextSort(current: SearchSort, key: SearchSortKey): SearchSort {
  if (current.key === key) return { key, descending: !current.descending };
  return { key, descending: key === "date" };
}

/** `aria-sort` of a column's heading. */
export function ariaSort(sort: SearchSort, key: SearchSortKey): "ascending" | "descending" | "none" {
  if (sort.key !== key) return "none";
  return sort.descending ? "descending" : "ascending";
}

const count = new Intl.NumberFormat("fr-FR");

/** "124 significations trouvées", "1 signification trouvée", "Aucune signification trouvée". */
export function totalLabel(total: number): string {
  if (total === 0) return "Aucune signification trouvée";
  return total === 1 ? "1 signification trouvée" : `${count.format(total)} significations trouvées`;
}

/** One page of results with the total (on the first page); the backend returns a `SearchPage`. */
export async function searchPage(criteria: SearchCriteria, page: PageRequest): Promise<SearchPage> {
  const p = await api().searchServices(criteria, page);
  return { items: p.items, has_more: p.has_more, total: p.total ?? null };
}

/**
 * Every result of `criteria` in its order, page after page until the last (the CSV export);
 * `onProgress` receives the rows fetched so far and the total when known.
 */
export async function allResults(
  criteria: SearchCriteria,
  onProgress: (fetched: number, total: number | null) => void = () => {},
  pageSize = 10,
): Promise<ServiceSummary[]> {
  const out: ServiceSummary[] = [];
  let total: number | null = null;
  for (let offset = 0; ; offset += pageSize) {
    const page = await searchPage(criteria, { offset, limit: pageSize });
    if (offset === 0) total = page.total;
    out.push(...page.items);
    onProgress(out.length, total);
    if (!page.has_more || page.items.length === 0) return out;
  }
}
