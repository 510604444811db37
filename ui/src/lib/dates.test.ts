import { describe, expect, it } from "vitest";
import { formatDate, formatDateTime, formatDay, formatSize, formatSpoken, formatTime, parseDay } from "./dates";

describe("dates in Europe/Paris", () => {
  it("writes the manual's times of service (UTC stored, Paris shown)", () => {
    // 17/09/2013 14:52:55 in Paris is 12:52:55 UTC (summer time, UTC+2).
    expect(formatDateTime("2013-09-17T12:52:55Z")).toBe("17/09/2013 14:52:55");
    expect(formatDate("2013-09-17T12:52:55Z")).toBe("17/09/2013");
    expect(formatTime("2013-09-17T13:11:38Z")).toBe("15:11:38");
  });
  it("uses the Paris calendar day, not the UTC one, on both sides of DST", () => {
    expect(formatDate("2013-09-17T22:30:00Z")).toBe("18/09/2013"); // 00:30 CEST
    expect(formatDate("2013-12-31T23:30:00Z")).toBe("01/01/2014"); // 00:30 CET
    expect(formatDate("2013-12-31T22:59:59Z")).toBe("31/12/2013");
    // Last Sunday of March 2026: 01:59:59 UTC is 03:59:59 CEST.
    expect(formatDateTime("2026-03-29T01:59:59Z")).toBe("29/03/2026 03:59:59");
    expect(formatDateTime("2026-03-29T00:59:59Z")).toBe("29/03/2026 01:59:59");
  });
  it("writes dates in words when asked", () => {
    expect(formatDate("2026-11-22T10:00:00Z", "long")).toBe("22 novembre 2026");
    expect(formatDateTime("2026-11-22T10:00:00Z", "long")).toBe("22 novembre 2026 11:00:00");
  });
  it("writes a calendar day (a letter's date) in both styles, in French", () => {
    expect(formatDay("2026-11-23")).toBe("23/11/2026");
    expect(formatDay("2026-11-23", "numeric")).toBe("23/11/2026");
    expect(formatDay("2026-11-23", "long")).toBe("23 novembre 2026");
    // The first of the month and a day before a DST change stay on their calendar day.
    expect(formatDay("2026-03-01", "long")).toBe("1 mars 2026");
    expect(formatDay("2026-10-24", "long")).toBe("24 octobre 2026");
  });
  it("says so when a value is unreadable", () => {
    expect(formatDate("pas une date")).toBe("—");
    expect(formatDay("2013-9-1")).toBe("—");
    expect(formatDay("2013-09-01")).toBe("01/09/2013");
  });
  it("reads typed dd/mm/yyyy dates and refuses impossible ones", () => {
    expect(parseDay("")).toEqual({ ok: true, value: null });
    expect(parseDay(" 07/06/2013 ")).toEqual({ ok: true, value: "2013-06-07" });
    expect(parseDay("7.6.2013")).toEqual({ ok: true, value: "2013-06-07" });
    expect(parseDay("29/02/2024")).toEqual({ ok: true, value: "2024-02-29" });
    const bad = parseDay("29/02/2023");
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.message).toBe("La date « 29/02/2023 » n'existe pas. Vérifiez le jour et le mois.");
    expect(parseDay("31/04/2013").ok).toBe(false);
    expect(parseDay("00/01/2013").ok).toBe(false);
    expect(parseDay("12/13/2013").ok).toBe(false);
    const fmt = parseDay("2013-06-07");
    expect(fmt.ok).toBe(false);
    if (!fmt.ok) expect(fmt.message).toContain("jj/mm/aaaa");
  });
  it("writes sizes as the vault screen does", () => {
    expect(formatSize(27_843)).toBe("27,19 Ko");
    expect(formatSize(1)).toBe("1 octet");
    expect(formatSize(900)).toBe("900 octets");
    expect(formatSize(5 * 1024 * 1024)).toBe("5,00 Mo");
  });
  it("writes an instant in a sentence as a person says it, in Paris time", () => {
    // Monday 23 November 2026, 07:00 UTC = 08:00 in Paris (winter time).
    expect(formatSpoken("2026-11-23T07:00:00Z")).toBe("lundi 23/11/2026 à 8\u00a0h\u00a000");
    expect(formatSpoken("2026-11-23T07:00:00Z", "long")).toBe("lundi 23 novembre 2026 à 8\u00a0h\u00a000");
    // Summer time: 18:30 UTC = 20:30 in Paris, a Tuesday.
    expect(formatSpoken("2026-07-14T18:30:00Z")).toBe("mardi 14/07/2026 à 20\u00a0h\u00a030");
    // Midnight in Paris is 0 h, of the next day.
    expect(formatSpoken("2026-11-22T23:05:00Z")).toBe("lundi 23/11/2026 à 0\u00a0h\u00a005");
    expect(formatSpoken("pas une date")).toBe("—");
    // Overseas, in the recipient's zone: 10:00 UTC is 6 h 00 in Martinique (UTC−4), and
    // 23:30 UTC on Sunday is already Monday 3 h 30 in La Réunion (UTC+4).
    expect(formatSpoken("2026-11-23T10:00:00Z", "numeric", "America/Martinique")).toBe("lundi 23/11/2026 à 6\u00a0h\u00a000");
    expect(formatSpoken("2026-11-22T23:30:00Z", "long", "Indian/Reunion")).toBe("lundi 23 novembre 2026 à 3\u00a0h\u00a030");
  });
});

