import { describe, expect, it, vi } from "vitest";
import { useBackend } from "./api";
import { createMockBackend } from "./mock";
import { allResults, ariaSort, DEFAULT_SORT, emptySearchForm, nextSort, toCriteria, totalLabel } from "./search";

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
      expect(bad.errors[0]).toMatch(/^Date de début\u00a0: /);
      expect(bad.errors[1]).toMatch(/^Date de fin\u00a0: /);
    }
    const inverted = toCriteria({ ...emptySearchForm(), dateFrom: "28/08/2013", dateTo: "27/08/2013" });
    expect(inverted).toEqual({ ok: false, errors: ["La date de début est postérieure à la date de fin. Inversez-les ou corrigez l'une d'elles."] });
    expect(toCriteria({ ...emptySearchForm(), dateFrom: "27/08/2013", dateTo: "27/08/2013" }).ok).toBe(true);
  });
});

describe("search results", () => {
  it("a heading click turns its column round, another starts A to Z (the date: most recent first)", () => {
    expect(DEFAULT_SORT).toEqual({ key: "date", descending: true });
    expect(nextSort(DEFAULT_SORT, "date")).toEqual({ key: "date", descending: false });
    expect(nextSort(DEFAULT_SORT, "reference")).toEqual({ key: "reference", descending: false });
    expect(nextSort({ key: "reference", descending: false }, "reference")).toEqual({ key: "reference", descending: true });
    expect(nextSort({ key: "state", descending: false }, "date")).toEqual({ key: "date", descending: true });
    expect(ariaSort({ key: "state", descending: false }, "state")).toBe("ascending");
    expect(ariaSort({ key: "state", descending: true }, "state")).toBe("descending");
    expect(ariaSort({ key: "state", descending: true }, "date")).toBe("none");
  });

  it("words the total", () => {
    expect(totalLabel(0)).toBe("Aucune signification trouvée");
    expect(totalLabel(1)).toBe("1 signification trouvée");
    expect(totalLabel(124)).toBe("124 significations trouvées");
    expect(totalLabel(12_345)).toBe("12\u202f345 significations trouvées");
  });

  it("fetches every page until the last, reporting progress", async () => {
    const backend = createMockBackend({ services: 25 });
    const spy = vi.spyOn(backend, "searchServices");
    useBackend(backend);
    const progress = vi.fn();
    const criteria = toCriteria(emptySearchForm());
    if (!criteria.ok) throw new Error("criteria");
    const all = await allResults({ ...criteria.criteria, sort: { key: "reference", descending: false } }, progress);
    expect(all).toHaveLength(25);
    expect(new Set(all.map((r) => r.service_id)).size).toBe(25);
    expect(spy.mock.calls.map((c) => c[1])).toEqual([
      { offset: 0, limit: 10 },
      { offset: 10, limit: 10 },
      { offset: 20, limit: 10 },
    ]);
    expect(progress.mock.calls).toEqual([
      [10, 25],
      [20, 25],
      [25, 25],
    ]);
  });
});
