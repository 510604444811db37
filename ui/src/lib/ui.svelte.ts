// Shared screen state (Svelte 5 runes): the date style chosen in the settings and a counter
// that tells the session history panel to reload after an action.

import { formatDate, formatDateTime, formatDay, formatSpoken } from "./dates";
import type { DateStyle } from "./types";

/** Reactive UI-wide state. */
export const ui = $state<{ dateStyle: DateStyle; logTick: number; lockAfterMin: number }>({
  dateStyle: "numeric",
  logTick: 0,
  lockAfterMin: 10,
});

/** Tells the history panel that something was done. */
export function touched(): void {
  ui.logTick += 1;
}

/** A day in the chosen style (reactive in templates). */
export function day(value: string): string {
  return formatDate(value, ui.dateStyle);
}

/** An instant in the chosen style (reactive in templates). */
export function dayTime(value: string): string {
  return formatDateTime(value, ui.dateStyle);
}

/** A calendar day `yyyy-mm-dd` (a letter's date) in the chosen style (reactive in templates). */
export function calendarDay(value: string): string {
  return formatDay(value, ui.dateStyle);
}

/** An instant in a sentence, "lundi 23/11/2026 à 8 h 00", in the chosen style (reactive), in
 *  Paris or in `timeZone`. */
export function spoken(value: string, timeZone?: string): string {
  return formatSpoken(value, ui.dateStyle, timeZone);
}
