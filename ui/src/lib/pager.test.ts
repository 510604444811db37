import { describe, expect, it } from "vitest";
import { filterRows, fold, offsetOf, pagerView } from "./pager";

describe("pager", () => {
  it("shows the manual's '1-10 sur 11' with a known total", () => {
    const v = pagerView(0, 10, { total: 11 });
    expect(v).toMatchObject({ label: "1-10 sur 11", page: 1, lastPage: 2, pages: [1, 2], canPrev: false, canNext: true, canLast: true });
    const last = pagerView(10, 1, { total: 11 });
    expect(last).toMatchObject({ label: "11-11 sur 11", page: 2, canPrev: true, canNext: false, canLast: false });
  });
  it("pages by has_more when the total is unknown", () => {
    expect(pagerView(0, 10, { hasMore: true })).toMatchObject({ label: "1-10", canNext: true, lastPage: null, canLast: false, pages: [1, 2] });
    expect(pagerView(20, 4, { hasMore: false })).toMatchObject({ label: "21-24", page: 3, canNext: false, pages: [1, 2, 3] });
  });
  it("keeps a window of five page numbers around the current page", () => {
    expect(pagerView(990, 10, { total: 100_000 }).pages).toEqual([98, 99, 100, 101, 102]);
    expect(pagerView(99_990, 10, { total: 100_000 }).pages).toEqual([9996, 9997, 9998, 9999, 10000]);
  });
  it("groups thousands as French readers do", () => {
    expect(pagerView(99_990, 10, { total: 100_000 }).label).toBe("99\u202f991-100\u202f000 sur 100\u202f000");
    expect(pagerView(0, 10, { hasMore: true }).label).toBe("1-10");
  });
  it("says when there is nothing", () => {
    expect(pagerView(0, 0, { total: 0 })).toMatchObject({ label: "Aucun résultat", canNext: false, canPrev: false, pages: [1] });
  });
  it("converts pages to offsets", () => {
    expect(offsetOf(1)).toBe(0);
    expect(offsetOf(3)).toBe(20);
    expect(offsetOf(0)).toBe(0);
  });
});

describe("filter", () => {
  it("ignores case and accents", () => {
    expect(fold("Société Générale")).toBe("societe generale");
    const rows = [{ n: "SOCIÉTÉ EXEMPLE" }, { n: "BANQUE TEST" }];
    expect(filterRows(rows, "societe", (r) => [r.n])).toEqual([{ n: "SOCIÉTÉ EXEMPLE" }]);
    expect(filterRows(rows, "  ", (r) => [r.n])).toHaveLength(2);
    expect(filterRows(rows, "xyz", (r) => [r.n])).toHaveLength(0);
  });
});
