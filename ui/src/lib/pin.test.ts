import { describe, expect, it } from "vitest";
import { canAttempt, pinWarning, validatePin } from "./pin";

const fresh = { tries_left: 3, count_low: false, final_try: false, locked: false };

describe("PIN", () => {
  it("validates presence and length only", () => {
    expect(validatePin("")).toBe("Saisissez le code PIN de votre clé.");
    expect(validatePin("123")).toBe("Le code PIN comporte au moins 4 caractères. Vérifiez votre saisie.");
    expect(validatePin("1234")).toBeNull();
    expect(validatePin("aB3$xyz")).toBeNull();
    expect(validatePin("9".repeat(65))).toContain("au plus 64");
  });
  it("warns about the tries left, the final try and a locked PIN", () => {
    expect(pinWarning(fresh)).toBeNull();
    expect(pinWarning({ ...fresh, tries_left: 2, count_low: true })).toContain("il reste 2 essais");
    expect(pinWarning({ tries_left: null, count_low: true, final_try: false, locked: false })).toContain("déjà été saisi");
    expect(pinWarning({ ...fresh, tries_left: 1, count_low: true, final_try: true })).toContain("un seul essai");
    expect(pinWarning({ ...fresh, locked: true })).toContain("bloqué");
  });
  it("never spends the final try without confirmation", () => {
    expect(canAttempt(fresh, false)).toBe(true);
    expect(canAttempt({ ...fresh, final_try: true }, false)).toBe(false);
    expect(canAttempt({ ...fresh, final_try: true }, true)).toBe(true);
    expect(canAttempt({ ...fresh, locked: true }, true)).toBe(false);
  });
});
