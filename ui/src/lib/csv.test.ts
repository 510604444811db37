import { describe, expect, it } from "vitest";
import { BOM, csvCell, searchCsv, searchCsvName, toCsv } from "./csv";
import type { ServiceSummary } from "./types";

describe("CSV cells", () => {
  it("leaves plain text alone", () => {
    expect(csvCell("BANQUE TEST")).toBe("BANQUE TEST");
    expect(csvCell("Société Générale")).toBe("Société Générale");
    expect(csvCell("")).toBe("");
  });

  it("quotes the separator, quotes and line breaks, doubling quotes", () => {
    expect(csvCell("a;b")).toBe('"a;b"');
    expect(csvCell('dit "le grand"')).toBe('"dit ""le grand"""');
    expect(csvCell("ligne 1\nligne 2")).toBe('"ligne 1\nligne 2"');
    expect(csvCell("a,b")).toBe("a,b");
  });

  it("defuses anything a spreadsheet would run as a formula", () => {
    expect(csvCell("=HYPERLINK(\"http://x\")")).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvCell("+33 1 23")).toBe("'+33 1 23");
    expect(csvCell("-2+3")).toBe("'-2+3");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell("\tcmd")).toBe("'\tcmd");
    expect(csvCell("\r=1")).toBe("\"'\r=1\"");
    // Only at the start.
    expect(csvCell("REF-=1")).toBe("REF-=1");
  });
});

describe("CSV file", () => {
  it("starts with the BOM, separates by ';' and ends every line with CRLF", () => {
    const csv = toCsv([
      ["a", "b"],
      ["c;d", "=1"],
    ]);
    expect(csv.startsWith(BOM)).toBe(true);
    expect(csv).toBe(`${BOM}a;b\r\n"c;d";'=1\r\n`);
  });

  it("writes the search results with Paris dates and French labels", () => {
    const rows: ServiceSummary[] = [
      {
        service_id: "s1",
        deposited_at: "2013-06-07T12:38:25Z",
        state: "in_person",
        reference: "TEST_1",
        file: "9991_TEST_1.pdf",
        recipient: "=cmd|' /C calc'!A0",
        nature: "Saisie attribution",
        source: "edi",
      },
      {
        service_id: "s2",
        deposited_at: "2013-01-15T23:30:00Z",
        state: "awaiting_consultation",
        reference: "REF;2",
        file: "a.pdf",
        recipient: "DUPONT",
        nature: "Commandement de payer",
        source: "form",
      },
    ];
    const lines = searchCsv(rows).slice(1).split("\r\n");
    expect(lines[0]).toBe("Date de dépôt;État de la remise;Référence;Fichier déposé;Destinataire;Nature de l'acte;Source");
    // Summer time: UTC+2; winter: UTC+1 (and the next day).
    expect(lines[1]).toBe("07/06/2013 14:38:25;Remis à personne;TEST_1;9991_TEST_1.pdf;'=cmd|' /C calc'!A0;Saisie attribution;EDI");
    expect(lines[2]).toBe('16/01/2013 00:30:00;En attente de consultation;"REF;2";a.pdf;DUPONT;Commandement de payer;Formulaire');
    expect(lines[3]).toBe("");
    expect(lines).toHaveLength(4);
  });

  it("names the file after the Paris day", () => {
    expect(searchCsvName(new Date("2026-12-07T22:30:00Z"))).toBe("recherche-significations-2026-12-07.csv");
    expect(searchCsvName(new Date("2026-12-07T23:30:00Z"))).toBe("recherche-significations-2026-12-08.csv");
  });
});
