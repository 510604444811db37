import { describe, expect, it } from "vitest";
import { applyEdiProgress, droppedManifest, ediStartError, emptyTally, refusedLineText } from "./edi";
import type { EdiProgress } from "./types";

const ev = (stage: EdiProgress["stage"], line = 2): EdiProgress => ({ job_id: "j", line, reference: `R-${line}`, stage, reason: null });

describe("EDI import", () => {
  it("adds up checks, signatures and deposits", () => {
    let t = emptyTally();
    for (const e of [ev("checked", 2), ev("checked", 3), ev("converted", 2), ev("signed", 2), ev("deposited", 0)]) {
      t = applyEdiProgress(t, e);
    }
    expect(t).toEqual({ checked: 2, refused: 0, alreadyPrepared: 0, signed: 1, deposited: 1 });
    t = applyEdiProgress(t, ev("refused", 4));
    t = applyEdiProgress(t, ev("already_prepared", 5));
    expect(t.refused).toBe(1);
    expect(t.alreadyPrepared).toBe(1);
  });

  it("writes each refused line with its number once", () => {
    expect(refusedLineText({ line: 3, code: "edi.file_missing", message: "Ligne 3 : le fichier « a.pdf » est introuvable." })).toBe(
      "Ligne 3 : le fichier « a.pdf » est introuvable.",
    );
    expect(refusedLineText({ line: 4, code: "edi.no_consent", message: "Pas de consentement." })).toBe("Ligne 4 : Pas de consentement.");
    // "Ligne 30" does not count as "Ligne 3".
    expect(refusedLineText({ line: 3, code: "x", message: "Ligne 30 : autre" })).toBe("Ligne 3 : Ligne 30 : autre");
  });

  it("needs a manifest", () => {
    expect(ediStartError(null)).toMatch(/fichier d'échange/);
    expect(ediStartError("/lots/lot.csv")).toBeNull();
  });

  it("takes exactly one dropped .csv as the manifest", () => {
    expect(droppedManifest(["/lots/Lot.CSV"])).toEqual({ ok: true, path: "/lots/Lot.CSV" });
    expect(droppedManifest(["/lots/a.pdf", "/lots/lot.csv"])).toEqual({ ok: true, path: "/lots/lot.csv" });
    expect(droppedManifest(["/lots/a.pdf"])).toMatchObject({ ok: false, message: expect.stringMatching(/\.csv/) });
    expect(droppedManifest(["/a.csv", "/b.csv"])).toMatchObject({ ok: false, message: expect.stringMatching(/un seul/) });
  });
});
