// French identifiers (SIREN, SIRET, NIR), validated exactly as crates/core/src/ids.rs does, with
// the same French messages as sceau-core's `CoreError::message_fr`, so the form refuses what the
// application service would refuse and says it the same way.

/** Outcome of a validation: the normalised value, or a stable code and a French message. */
export type IdResult =
  | { ok: true; value: string }
  | { ok: false; code: string; message: string };

type Kind = "SIREN" | "SIRET" | "NIR";

/** The SIREN of La Poste, whose establishments' SIRET use a digit-sum rule instead of Luhn. */
export const LA_POSTE_SIREN = "356000000";
const LA_POSTE_HEAD_OFFICE = "35600000000048";

function label(kind: Kind): string {
  return kind === "NIR" ? "INSEE (NIR)" : kind;
}

// Rust's `char::is_whitespace` is the Unicode White_Space property (JavaScript's \s differs:
// it has U+FEFF and lacks U+0085).
function compact(input: string): string[] {
  return Array.from(input).filter((c) => !/^\p{White_Space}$/u.test(c));
}

// Rust's `char::escape_default`, used by the core's message for the offending character.
function escapeDefault(c: string): string {
  const cp = c.codePointAt(0) ?? 0;
  if (c === "\t") return "\\t";
  if (c === "\r") return "\\r";
  if (c === "\n") return "\\n";
  if (c === "'" || c === '"' || c === "\\") return "\\" + c;
  if (cp >= 0x20 && cp <= 0x7e) return c;
  return `\\u{${cp.toString(16)}}`;
}

function wrongLength(kind: Kind, expected: number, found: number): IdResult {
  return {
    ok: false,
    code: "id.wrong_length",
    message:
      `Le numéro ${label(kind)} doit comporter ${expected} caractères (espaces non comptés) ; ` +
      `${found} ont été saisis. Vérifiez le numéro.`,
  };
}

function badCharacter(kind: Kind, position: number, found: string): IdResult {
  return {
    ok: false,
    code: "id.bad_character",
    message:
      `Le numéro ${label(kind)} contient un caractère non autorisé « ${escapeDefault(found)} » en position ` +
      `${position}. Seuls des chiffres sont acceptés` +
      (kind === "NIR" ? " (et 2A ou 2B pour le département de naissance en Corse)" : "") +
      ".",
  };
}

function badChecksum(kind: Kind): IdResult {
  return {
    ok: false,
    code: "id.bad_checksum",
    message:
      `Le numéro ${label(kind)} saisi n'est pas valide : la clé de contrôle ne correspond pas. ` +
      "Vérifiez qu'aucun chiffre n'a été inversé ou mal recopié.",
  };
}

const pad2 = (n: number): string => String(n).padStart(2, "0");

function isAsciiDigit(c: string): boolean {
  return c.length === 1 && c >= "0" && c <= "9";
}

function digits(kind: Kind, chars: string[], expected: number): number[] | IdResult {
  if (chars.length !== expected) return wrongLength(kind, expected, chars.length);
  const out: number[] = [];
  for (const [i, c] of chars.entries()) {
    if (!isAsciiDigit(c)) return badCharacter(kind, i + 1, c);
    out.push(c.charCodeAt(0) - 48);
  }
  return out;
}

/** Whether the digits pass the Luhn check. */
export function luhn(ds: readonly number[]): boolean {
  let sum = 0;
  for (let i = 0; i < ds.length; i++) {
    const d = ds[ds.length - 1 - i] ?? 0;
    if (i % 2 === 1) {
      const x = d * 2;
      sum += x > 9 ? x - 9 : x;
    } else {
      sum += d;
    }
  }
  return sum % 10 === 0;
}

/** Validates a SIREN (9 digits, Luhn; spaces allowed). */
export function validateSiren(input: string): IdResult {
  const d = digits("SIREN", compact(input), 9);
  if (!Array.isArray(d)) return d;
  if (!luhn(d)) return badChecksum("SIREN");
  return { ok: true, value: d.join("") };
}

/** Validates a SIRET (14 digits, Luhn, La Poste digit-sum exception; spaces allowed). */
export function validateSiret(input: string): IdResult {
  const d = digits("SIRET", compact(input), 14);
  if (!Array.isArray(d)) return d;
  const s = d.join("");
  const valid =
    s.startsWith(LA_POSTE_SIREN) && s !== LA_POSTE_HEAD_OFFICE
      ? d.reduce((a, b) => a + b, 0) % 5 === 0
      : luhn(d);
  if (!valid) return badChecksum("SIRET");
  return { ok: true, value: s };
}

/**
 * Validates a NIR (n° INSEE): 13 characters and a key 97 − (number mod 97), Corsica 2A → 19,
 * 2B → 18; spaces allowed, lower-case a/b accepted; the value is returned upper-case.
 */
export function validateNir(input: string): IdResult {
  const chars = compact(input).map((c) => c.toUpperCase());
  if (chars.length !== 15) return wrongLength("NIR", 15, chars.length);
  const corsica =
    chars[5] === "2" && chars[6] === "A" ? 19n : chars[5] === "2" && chars[6] === "B" ? 18n : null;
  let value = 0n;
  for (let i = 0; i < 13; i++) {
    if (corsica !== null && (i === 5 || i === 6)) continue;
    const c = chars[i] ?? "";
    if (!isAsciiDigit(c)) return badCharacter("NIR", i + 1, c);
    value = value * 10n + BigInt(c.charCodeAt(0) - 48);
    if (i === 4 && corsica !== null) value = value * 100n + corsica;
  }
  let key = 0;
  for (let i = 13; i < 15; i++) {
    const c = chars[i] ?? "";
    if (!isAsciiDigit(c)) return badCharacter("NIR", i + 1, c);
    key = key * 10 + (c.charCodeAt(0) - 48);
  }
  const expected = Number(97n - (value % 97n));
  if (key !== expected) {
    return {
      ok: false,
      code: "id.nir_bad_key",
      message:
        `Le numéro INSEE (NIR) saisi n'est pas valide : la clé ${pad2(key)} ne correspond pas ` +
        `aux 13 premiers caractères (clé attendue ${pad2(expected)}). Vérifiez le numéro.`,
    };
  }
  return { ok: true, value: chars.join("") };
}

/** Validates what was typed in the "SIRET" search mode: a SIREN (9) or a SIRET (other lengths). */
export function validateCompanyId(input: string): IdResult {
  return compact(input).length === 9 ? validateSiren(input) : validateSiret(input);
}

/** A NIR for display: sex, year of birth and key only (as `Nir::masked`). */
export function maskNir(nir: string): string {
  return `${nir.slice(0, 1) || "*"} ${nir.slice(1, 3) || "**"} ** ** *** *** ${nir.slice(13, 15) || "**"}`;
}
