import { describe, expect, it } from "vitest";
import { consentBlock, emptyDraft, inviteDays, natureLabels, newRecipientRequest, problemsByField } from "./consent";
import type { ConsentOverview } from "./types";

const overview = (in_force: string[]): ConsentOverview => ({ recipient_id: "r", consents: [], in_force, invitations: [], summary: "" });

describe("consent", () => {
  it("blocks Signifier only when the register is known and the chosen nature is not in force", () => {
    expect(consentBlock(null, "saisie_vente", "Saisie vente")).toBeNull();
    expect(consentBlock(overview([]), "", "")).toBeNull();
    expect(consentBlock(overview(["saisie_vente"]), "saisie_vente", "Saisie vente")).toBeNull();
    const why = consentBlock(overview(["commandement_payer"]), "saisie_vente", "Saisie vente");
    expect(why).toContain("« Saisie vente »");
    expect(why).toContain("article 748-2");
    expect(why).toContain("par commissaire de justice ou par voie postale");
  });

  it("labels natures, groups problems by field, checks the answering time", () => {
    expect(natureLabels(["a", "zz"], [{ code: "a", label: "A", return_expected: false }])).toEqual(["A", "zz"]);
    const p = problemsByField([
      { code: "recipient.missing", field: "city", message: "m1" },
      { code: "recipient.too_long", field: "city", message: "m2" },
      { code: "recipient.bad_email", field: "email", message: "m3" },
    ]);
    expect(p).toEqual({ city: ["m1", "m2"], email: ["m3"] });
    expect(inviteDays(" ")).toEqual({ ok: true, days: null });
    expect(inviteDays("15")).toEqual({ ok: true, days: 15 });
    for (const bad of ["0", "61", "1.5", "dix"]) expect(inviteDays(bad).ok).toBe(false);
  });

  it("sends a person's address lines without blanks and no NIR when none is typed", () => {
    const d = { ...emptyDraft(), lastName: "Durand", address1: "1 rue A", address2: "  ", nir: " " };
    const r = newRecipientRequest(d);
    expect(r).toMatchObject({ kind: "person", civility: "Mme", last_name: "Durand", address_lines: ["1 rue A"], nir: null });
    expect(newRecipientRequest({ ...d, kind: "company", siret: "1", companyName: "X" })).toEqual({
      kind: "company",
      siret: "1",
      name: "X",
      email: "",
      mobile: "",
    });
  });
});
