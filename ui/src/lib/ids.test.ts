// The same vectors as crates/core/src/ids.rs's tests, so the form and the core cannot disagree.
import { describe, expect, it } from "vitest";
import { luhn, maskNir, validateCompanyId, validateNir, validateSiren, validateSiret } from "./ids";

/** Appends the key of a 13-character NIR body (independent formula, as the Rust test helper). */
function withKey(body: string): string {
  const numeric = body.replace("2A", "19").replace("2B", "18");
  const n = BigInt(numeric);
  return `${body}${String(Number(97n - (n % 97n))).padStart(2, "0")}`;
}

const code = (r: ReturnType<typeof validateSiren>) => (r.ok ? null : r.code);
const digitsOf = (s: string) => Array.from(s, (c) => c.charCodeAt(0) - 48);

describe("SIREN", () => {
  it("accepts valid numbers and normalises spaces", () => {
    for (const ok of ["552032534", "356000000", "732 829 320", "443061841"]) {
      expect(validateSiren(ok).ok, ok).toBe(true);
    }
    expect(validateSiren("732 829 320")).toEqual({ ok: true, value: "732829320" });
  });
  it("refuses with the core's codes and messages", () => {
    expect(validateSiren("552032535")).toEqual({
      ok: false,
      code: "id.bad_checksum",
      message:
        "Le numéro SIREN saisi n'est pas valide : la clé de contrôle ne correspond pas. Vérifiez qu'aucun chiffre n'a été inversé ou mal recopié.",
    });
    expect(validateSiren("55203253")).toEqual({
      ok: false,
      code: "id.wrong_length",
      message: "Le numéro SIREN doit comporter 9 caractères (espaces non comptés) ; 8 ont été saisis. Vérifiez le numéro.",
    });
    expect(validateSiren("55203X534")).toEqual({
      ok: false,
      code: "id.bad_character",
      message: "Le numéro SIREN contient un caractère non autorisé « X » en position 6. Seuls des chiffres sont acceptés.",
    });
    // Full-width digits are not digits.
    expect(code(validateSiren("５52032534"))).toBe("id.bad_character");
  });
});

describe("SIRET", () => {
  it("accepts, refuses, and applies the La Poste rule", () => {
    expect(validateSiret("732 829 320 00074")).toEqual({ ok: true, value: "73282932000074" });
    expect(validateSiret("44306184100047").ok).toBe(true);
    expect(code(validateSiret("73282932000075"))).toBe("id.bad_checksum");
    expect(code(validateSiret("7328293200007"))).toBe("id.wrong_length");
    // La Poste: digit sum multiple of 5 (45 here), Luhn not required.
    const poste = "35600000049837";
    expect(luhn(digitsOf(poste))).toBe(false);
    expect(validateSiret(poste).ok).toBe(true);
    // Digit sum 46: refused.
    expect(code(validateSiret("35600000049838"))).toBe("id.bad_checksum");
    // Head office follows Luhn.
    expect(validateSiret("35600000000048").ok).toBe(true);
    // A Luhn-valid SIRET of another company is unaffected by the La Poste rule.
    expect(validateSiret("55203253400646").ok).toBe(true);
  });
  it("Luhn detects every single-digit change", () => {
    const base = digitsOf("73282932000074");
    expect(luhn(base)).toBe(true);
    for (let pos = 0; pos < base.length; pos++) {
      for (let v = 0; v < 10; v++) {
        if (v === base[pos]) continue;
        const m = [...base];
        m[pos] = v;
        expect(luhn(m), `${pos} ${v}`).toBe(false);
      }
    }
  });
  it("the SIRET search field takes a SIREN (9) or a SIRET", () => {
    expect(validateCompanyId("732829320")).toEqual({ ok: true, value: "732829320" });
    expect(validateCompanyId("732 829 320 00074")).toEqual({ ok: true, value: "73282932000074" });
    expect(code(validateCompanyId("12"))).toBe("id.wrong_length");
  });
});

describe("NIR", () => {
  it("valid, spaced, masked, wrong key", () => {
    const short = validateNir("2 84 12 75 123 456");
    expect(short.ok).toBe(false);
    if (!short.ok) {
      expect(short.code).toBe("id.wrong_length");
      expect(short.message).toContain("13 ont été saisis");
      expect(short.message).toContain("Le numéro INSEE (NIR) doit comporter 15 caractères");
    }
    const full = withKey("2841275123456");
    expect(validateNir(full)).toEqual({ ok: true, value: full });
    expect(validateNir(`2 84 12 75 123 456 ${full.slice(13)}`)).toEqual({ ok: true, value: full });
    expect(maskNir(full)).toBe(`2 84 ** ** *** *** ${full.slice(13)}`);
    const goodKey = Number(full.slice(13));
    const badKey = (goodKey % 97) + 1;
    const bad = `2841275123456${String(badKey).padStart(2, "0")}`;
    expect(validateNir(bad)).toEqual({
      ok: false,
      code: "id.nir_bad_key",
      message: `Le numéro INSEE (NIR) saisi n'est pas valide : la clé ${String(badKey).padStart(2, "0")} ne correspond pas aux 13 premiers caractères (clé attendue ${String(goodKey).padStart(2, "0")}). Vérifiez le numéro.`,
    });
  });
  it("Corsica: 2A → 19, 2B → 18, lower case accepted, stored upper case", () => {
    for (const dep of ["2A", "2B"]) {
      const full = withKey(`18506${dep}004012`);
      expect(validateNir(full.toLowerCase())).toEqual({ ok: true, value: full });
    }
    // 1 85 06 2A 004 012 → 1850619004012 mod 97, checked by hand.
    const expected = 97 - Number(1_850_619_004_012n % 97n);
    expect(withKey("185062A004012").slice(13)).toBe(String(expected).padStart(2, "0"));
    // The 2A key is not the 2B key.
    expect(validateNir(withKey("185062A004012").replace("2A", "2B")).ok).toBe(false);
  });
  it("refuses letters elsewhere with their position", () => {
    expect(code(validateNir("1850A19004012 00"))).toBe("id.bad_character");
    const r = validateNir("18506 3A 004 012 11");
    expect(r).toEqual({
      ok: false,
      code: "id.bad_character",
      message:
        "Le numéro INSEE (NIR) contient un caractère non autorisé « A » en position 7. Seuls des chiffres sont acceptés (et 2A ou 2B pour le département de naissance en Corse).",
    });
  });
  it("the key detects every single change of the body", () => {
    const full = withKey("1850619004012");
    for (let pos = 0; pos < 13; pos++) {
      for (const v of "0123456789") {
        if (v === full[pos]) continue;
        const s = full.slice(0, pos) + v + full.slice(pos + 1);
        expect(validateNir(s).ok, s).toBe(false);
      }
    }
  });
});
