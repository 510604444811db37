import { describe, expect, it } from "vitest";
import { MOCK_RECIPIENTS } from "./mock";
import { REFERENCE_MAX, REQUERANT_MAX, signifyErrors, validateReference, validateRequerant, type SignifyForm } from "./signify";
import type { ReceptionStatus } from "./types";

const ready: SignifyForm = {
  reference: "TEST_MODALITE_REMISE_1",
  requerant: "SA CRÉANCIÈRE",
  recipient: MOCK_RECIPIENTS[0] ?? null,
  nature: "saisie_attribution",
  reception: { open: true, reason: null, message: null, next_opening: null, time_zone: "Europe/Paris", zone_named: null },
  documents: [{ path: "/a/acte.pdf", name: "acte.pdf" }],
  signatureCertificate: "281809",
  authenticationCertificate: "281808",
  pin: "1234",
};

describe("service form", () => {
  it("requires a reference", () => {
    expect(validateReference("   ")).toBe("Saisissez votre référence de dépôt : elle est obligatoire et figure dans le nom des fichiers.");
    expect(validateReference("x".repeat(101))).toContain("101 caractères");
    expect(validateReference("a\u0007b")).toContain("caractère de contrôle");
    expect(validateReference("2 EME ESSAI")).toBeNull();
    // Characters, as the application counts them: 100 emoji are 200 UTF-16 units.
    expect(validateReference("📄".repeat(REFERENCE_MAX))).toBeNull();
    expect(validateReference("📄".repeat(REFERENCE_MAX + 1))).toContain(`${REFERENCE_MAX + 1} caractères`);
    expect(validateRequerant("É".repeat(REQUERANT_MAX))).toBeNull();
  });
  it("requires a requesting party", () => {
    expect(validateRequerant(" ")).toContain("Saisissez le requérant");
    expect(validateRequerant("y".repeat(201))).toContain("201 caractères");
    expect(validateRequerant("SA\u0000X")).toContain("caractère de contrôle");
    expect(validateRequerant("SCI Les Tilleuls")).toBeNull();
    expect(signifyErrors({ ...ready, requerant: "" })).toEqual([validateRequerant("")]);
  });
  it("is ready when everything is filled", () => {
    expect(signifyErrors(ready)).toEqual([]);
  });
  it("lists what is missing, in the form's order", () => {
    const errors = signifyErrors({ ...ready, reference: "", requerant: "", recipient: null, nature: "", documents: [], signatureCertificate: "", authenticationCertificate: "", pin: "" });
    expect(errors).toHaveLength(8);
    expect(errors[0]).toContain("référence de dépôt");
    expect(errors[1]).toContain("Saisissez le requérant");
    expect(errors[2]).toContain("Choisissez un destinataire");
    expect(errors[3]).toBe("Sélectionnez la nature de l'acte à signifier.");
    expect(errors[4]).toContain("Ajoutez au moins un acte");
    expect(errors[5]).toContain("certificat de signature");
    expect(errors[6]).toContain("certificat d'authentification");
    expect(errors[7]).toBe("Saisissez le code PIN de votre clé.");
  });
  it("outside legal hours, a judge's permission reference lifts the refusal", () => {
    const legal: ReceptionStatus = { open: false, reason: "legal_hours", message: "Hors des heures légales.", next_opening: null, time_zone: "Europe/Paris", zone_named: null };
    expect(signifyErrors({ ...ready, reception: legal })).toEqual([
      "Hors des heures légales. Pour signifier maintenant, saisissez la référence de l'autorisation du juge.",
    ]);
    expect(signifyErrors({ ...ready, reception: legal, judgePermission: "  " })).toHaveLength(1);
    expect(signifyErrors({ ...ready, reception: legal, judgePermission: "Ordonnance RG 26/01234" })).toEqual([]);
    // A recipient's own window is not lifted by a judge.
    const window: ReceptionStatus = { open: false, reason: "recipient_window", message: "de 08h00 à 12h00", next_opening: null, time_zone: "Europe/Paris", zone_named: null };
    expect(signifyErrors({ ...ready, reception: window, judgePermission: "Ordonnance RG 26/01234" })).toEqual(["de 08h00 à 12h00"]);
  });

  it("closed now: scheduling for the known next opening is allowed", () => {
    const window: ReceptionStatus = { open: false, reason: "recipient_window", message: "de 08h00 à 12h00", next_opening: "2026-11-23T07:00:00Z", time_zone: "Europe/Paris", zone_named: null };
    expect(signifyErrors({ ...ready, reception: window, schedule: true })).toEqual([]);
    expect(signifyErrors({ ...ready, reception: { ...window, next_opening: null, time_zone: "Europe/Paris", zone_named: null }, schedule: true })).toEqual(["de 08h00 à 12h00"]);
  });

  it("refuses a nature outside the recipient's hours with the backend's message", () => {
    const closed: ReceptionStatus = { open: false, reason: "recipient_window", message: "de 08h00 à 12h00", next_opening: null, time_zone: "Europe/Paris", zone_named: null };
    expect(signifyErrors({ ...ready, reception: closed })).toEqual(["de 08h00 à 12h00"]);
  });
});
