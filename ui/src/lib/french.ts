// French typography for every text a person reads in the window: one function (`typo`), applied
// by `watchTypography` to every text node and readable attribute of the window as it changes
// (`main.ts`), so the screens' own words and the application's messages are typeset alike.
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

/** Elements whose text is not prose (code, what the user types). */
const SKIP = new Set(["SCRIPT", "STYLE", "TEXTAREA", "CODE", "PRE", "KBD", "SAMP"]);
/** Attributes a person reads (tooltips, placeholders, what screen readers say). */
const ATTRIBUTES = ["title", "placeholder", "aria-label", "aria-description", "alt"];

function skipped(node: Node): boolean {
  for (let n: Node | null = node.parentNode; n; n = n.parentNode) {
    if (n.nodeType === 1 && (SKIP.has((n as Element).tagName) || (n as Element).hasAttribute("data-verbatim"))) return true;
  }
  return false;
}

function typesetNode(node: Node): void {
  if (node.nodeType === 3) {
    const text = node.nodeValue ?? "";
    const fixed = typo(text);
    if (fixed !== text && !skipped(node)) node.nodeValue = fixed;
    return;
  }
  if (node.nodeType !== 1) return;
  const el = node as Element;
  if (SKIP.has(el.tagName) || el.hasAttribute("data-verbatim")) return;
  for (const name of ATTRIBUTES) {
    const v = el.getAttribute(name);
    if (v !== null) {
      const fixed = typo(v);
      if (fixed !== v) el.setAttribute(name, fixed);
    }
  }
  for (const child of Array.from(el.childNodes)) typesetNode(child);
}

/** Applies `typo` to every text and readable attribute under `root` (once). */
export function typeset(root: Node): void {
  typesetNode(root);
}

/**
 * Keeps every text under `root` typeset as the screens change it: the one place where French
 * typography is applied, so no message (the window's own or the application's) escapes it.
 * Returns the function that stops watching.
 */
export function watchTypography(root: Node): () => void {
  typeset(root);
  const observer = new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "characterData") typesetNode(r.target);
      else if (r.type === "attributes") typesetNode(r.target);
      else r.addedNodes.forEach((n) => typesetNode(n));
    }
  });
  observer.observe(root, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ATTRIBUTES });
  return () => observer.disconnect();
}
