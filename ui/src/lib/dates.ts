// Dates on screen: always in Europe/Paris (the time of service is stored in UTC, CPC 664-1),
// written dd/mm/yyyy (or "22 novembre 2026" when the user chose dates in words).

import type { DateStyle } from "./types";

const PARIS = "Europe/Paris";

const numericParts = new Intl.DateTimeFormat("fr-FR", {
  timeZone: PARIS,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

const longDate = new Intl.DateTimeFormat("fr-FR", {
  timeZone: PARIS,
  year: "numeric",
  month: "long",
  day: "numeric",
});

function parts(instant: Date): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of numericParts.formatToParts(instant)) out[p.type] = p.value;
  return out;
}

function toDate(value: string | Date): Date | null {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** The calendar day of an instant in Paris: `dd/mm/yyyy` (or in words). "—" if unreadable. */
export function formatDate(value: string | Date, style: DateStyle = "numeric"): string {
  const d = toDate(value);
  if (!d) return "—";
  if (style === "long") return longDate.format(d);
  const p = parts(d);
  return `${p.day}/${p.month}/${p.year}`;
}

/** An instant in Paris: `dd/mm/yyyy hh:mm:ss` (the manual's format for times of service). */
export function formatDateTime(value: string | Date, style: DateStyle = "numeric"): string {
  const d = toDate(value);
  if (!d) return "—";
  const p = parts(d);
  return `${formatDate(d, style)} ${p.hour}:${p.minute}:${p.second}`;
}

/** `Intl` formatters of spoken dates, by time zone and style (made once each). */
const spokenFormats = new Map<string, Intl.DateTimeFormat>();

function spokenParts(d: Date, style: DateStyle, timeZone: string): Record<string, string> {
  const key = `${timeZone}|${style}`;
  let f = spokenFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat("fr-FR", {
      timeZone,
      weekday: "long",
      year: "numeric",
      month: style === "long" ? "long" : "2-digit",
      day: style === "long" ? "numeric" : "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    spokenFormats.set(key, f);
  }
  const out: Record<string, string> = {};
  for (const p of f.formatToParts(d)) out[p.type] = p.value;
  return out;
}

/**
 * An instant as a person reads it in a sentence: "lundi 23/11/2026 à 8 h 00" (in words: "lundi
 * 23 novembre 2026 à 8 h 00"), in Paris or in `timeZone` (a recipient overseas: the vault says
 * which). Used where a clerk plans (next opening, deadlines), not in tables.
 */
export function formatSpoken(value: string | Date, style: DateStyle = "numeric", timeZone: string = PARIS): string {
  const d = toDate(value);
  if (!d) return "—";
  const p = spokenParts(d, style, timeZone);
  const date = style === "long" ? `${Number(p.day)} ${p.month} ${p.year}` : `${p.day}/${p.month}/${p.year}`;
  return `${p.weekday} ${date} à ${Number(p.hour)}\u00a0h\u00a0${p.minute}`;
}

/** The time of day in Paris: `hh:mm:ss` (session history). */
export function formatTime(value: string | Date): string {
  const d = toDate(value);
  if (!d) return "—";
  const p = parts(d);
  return `${p.hour}:${p.minute}:${p.second}`;
}

const longDay = new Intl.DateTimeFormat("fr-FR", {
  timeZone: "UTC",
  year: "numeric",
  month: "long",
  day: "numeric",
});

/** A calendar day `yyyy-mm-dd` (no time zone) as `dd/mm/yyyy` (or in words). */
export function formatDay(day: string, style: DateStyle = "numeric"): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return "—";
  if (style === "long") return longDay.format(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))));
  return `${m[3]}/${m[2]}/${m[1]}`;
}

/** Result of reading a typed date. */
export type DayResult = { ok: true; value: string | null } | { ok: false; message: string };

/**
 * Reads a date typed as `dd/mm/yyyy` (also `d/m/yyyy`, `-` or `.` as separators) into the
 * calendar day `yyyy-mm-dd`; empty input is "no date". Impossible dates are refused.
 */
export function parseDay(input: string): DayResult {
  const s = input.trim();
  if (s === "") return { ok: true, value: null };
  const m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(s);
  if (!m) {
    return {
      ok: false,
      message: `La date « ${s} » n'est pas au format jj/mm/aaaa. Saisissez-la par exemple ainsi : 17/09/2013.`,
    };
  }
  const day = Number(m[1]);
  const month = Number(m[2]);
  const year = Number(m[3]);
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (
    month < 1 ||
    month > 12 ||
    probe.getUTCFullYear() !== year ||
    probe.getUTCMonth() !== month - 1 ||
    probe.getUTCDate() !== day
  ) {
    return { ok: false, message: `La date « ${s} » n'existe pas. Vérifiez le jour et le mois.` };
  }
  const pad = (n: number, w: number) => String(n).padStart(w, "0");
  return { ok: true, value: `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}` };
}

/** Sizes as in the vault screen: "27,19 Ko" (1 Ko = 1024 octets), with `decimals` digits. */
export function formatSize(bytes: number, decimals = 2): string {
  const units = ["octets", "Ko", "Mo", "Go", "To"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${bytes} ${bytes <= 1 ? "octet" : "octets"}`;
  return `${v.toFixed(decimals).replace(".", ",")} ${units[u]}`;
}
