import { describe, expect, it } from "vitest";
import { emptySearchForm, toCriteria } from "./search";

describe("search criteria", () => {
  it("an empty form searches everything", () => {
    expect(toCriteria(emptySearchForm())).toEqual({
      ok: true,
      criteria: { date_from: null, date_to: null, state: null, reference: null, document: null, recipient: null, nature: null, source: null, filter: null },
    });
  });
  it("every criterion reaches the request", () => {
    const r = toCriteria(
      { dateFrom: "07/06/2013", dateTo: "27/08/2013", state: "in_person", reference: " TEST_CE ", document: "9991_", recipient: "BANQUE", nature: "saisie_attribution", source: "edi" },
      "annecy",
    );
    expect(r).toEqual({
      ok: true,
      criteria: { date_from: "2013-06-07", date_to: "2013-08-27", state: "in_person", reference: "TEST_CE", document: "9991_", recipient: "BANQUE", nature: "saisie_attribution", source: "edi", filter: "annecy" },
    });
  });
  it("refuses unreadable dates and an inverted range", () => {
    const bad = toCriteria({ ...emptySearchForm(), dateFrom: "31/02/2013", dateTo: "hier" });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.errors).toHaveLength(2);
      expect(bad.errors[0]).toMatch(/^Date de début : /);
      expect(bad.errors[1]).toMatch(/^Date de fin : /);
    }
    const inverted = toCriteria({ ...emptySearchForm(), dateFrom: "28/08/2013", dateTo: "27/08/2013" });
    expect(inverted).toEqual({ ok: false, errors: ["La date de début est postérieure à la date de fin. Inversez-les ou corrigez l'une d'elles."] });
    expect(toCriteria({ ...emptySearchForm(), dateFrom: "27/08/2013", dateTo: "27/08/2013" }).ok).toBe(true);
  });
});
