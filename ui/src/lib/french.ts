// French typography for every text a person reads in the window: the one function screens use
// for messages built from pieces or received from the application (`typo`), and the rule the
// source scan (`typography.test.ts`) holds the screens' own literals to.
//
// Rules (Imprimerie nationale, as French administrations write): a non-breaking space (U+00A0)
// before ":" and "»" and after "«"; a narrow non-breaking space (U+202F) before ";", "?" and
// "!"; "..." is the ellipsis "…". Only an existing space is replaced (or added inside
// guillemets), so URLs, times ("08:00"), paths ("C:\") and codes are left alone, and applying
// the function twice changes nothing.

/** Non-breaking space (before ":" and "»", after "«"). */
export const NBSP = "\u00a0";
/** Narrow non-breaking space (before ";", "?", "!"). */
export const NNBSP = "\u202f";

/** `text` with French typography: no punctuation or guillemet stranded at a line's start or end. */
export function typo(text: string): string {
  return text
    .replace(/\.\.\./g, "…")
    .replace(/[ \u00a0\u202f]+:(?=\s|$)/g, `${NBSP}:`)
    .replace(/[ \u00a0\u202f]+([;?!])/g, `${NNBSP}$1`)
    .replace(/«[ \u00a0\u202f]*/g, `«${NBSP}`)
    .replace(/[ \u00a0\u202f]*»/g, `${NBSP}»`);
}

/** The places in `text` that break the rules above (the source scan's check); empty when none. */
export function typoFaults(text: string): string[] {
  const faults: string[] = [];
  const rules: [RegExp, string][] = [
    [/ :(?=\s|$)/g, "espace ordinaire avant « : »"],
    [/ [;?!]/g, "espace ordinaire avant « ; ? ! »"],
    [/«(?![\u00a0\u202f])/g, "« sans espace insécable après"],
    [/(?<![\u00a0\u202f])»/g, "» sans espace insécable avant"],
    [/\.\.\./g, "« ... » au lieu de « … »"],
  ];
  for (const [re, what] of rules) {
    for (const m of text.matchAll(re)) {
      const at = m.index ?? 0;
      faults.push(`${what} : ${JSON.stringify(text.slice(Math.max(0, at - 20), at + 20))}`);
    }
  }
  return faults;
}
