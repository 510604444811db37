// CSV files a clerk opens in Excel or LibreOffice (the search's "Exporter en CSV"): the French
// Excel dialect — ";" between cells, CRLF between lines, a UTF-8 byte order mark so accents
// survive — with quoting, and the defence against formula injection (a cell an attacker wrote,
// a recipient's name or a file name, must never run as a formula when opened).

import { formatDateTime } from "./dates";
import type { ServiceSummary } from "./types";
import { SOURCE_LABELS, STATE_LABELS } from "./search";

/** The cell separator of French spreadsheets (the comma is the decimal mark). */
export const SEPARATOR = ";";
/** The line end Excel expects. */
export const CRLF = "\r\n";
/** UTF-8 byte order mark: tells Excel the file is UTF-8. */
export const BOM = "\ufeff";

/** Characters that make a spreadsheet read a cell as a formula when they start it. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One cell: a leading `'` if it could start a formula (= + - @ tab, carriage return), then
 * quoted (`"` doubled) if it holds the separator, a quote or a line break.
 */
export function csvCell(value: string): string {
  let v = value;
  if (FORMULA_START.test(v)) v = `'${v}`;
  if (/[;"\r\n]/.test(v)) v = `"${v.replace(/"/g, '""')}"`;
  return v;
}

/** A whole file: the BOM, then each row's cells joined by ";", each line ended by CRLF. */
export function toCsv(rows: readonly (readonly string[])[]): string {
  return BOM + rows.map((r) => r.map(csvCell).join(SEPARATOR) + CRLF).join("");
}

/** Column headings of the search export, in the order of its cells. */
export const SEARCH_HEADINGS = [
  "Date de dépôt",
  "État de la remise",
  "Référence",
  "Fichier déposé",
  "Destinataire",
  "Nature de l'acte",
  "Source",
] as const;

/** The search results as a CSV file; dates in Paris time, dd/mm/yyyy hh:mm:ss. */
export function searchCsv(rows: readonly ServiceSummary[]): string {
  return toCsv([
    SEARCH_HEADINGS,
    ...rows.map((r) => [
      formatDateTime(r.deposited_at),
      STATE_LABELS[r.state],
      r.reference,
      r.file,
      r.recipient,
      r.nature,
      SOURCE_LABELS[r.source],
    ]),
  ]);
}

const parisDay = new Intl.DateTimeFormat("fr-CA", {
  timeZone: "Europe/Paris",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
});

/** The export's file name, dated of the Paris day: `recherche-significations-2026-12-07.csv`. */
export function searchCsvName(now: Date = new Date()): string {
  const p: Record<string, string> = {};
  for (const part of parisDay.formatToParts(now)) p[part.type] = part.value;
  return `recherche-significations-${p.year}-${p.month}-${p.day}.csv`;
}
