import { describe, expect, it } from "vitest";
import { addDocuments, baseName, isAllowedFile } from "./files";

describe("acts' file types", () => {
  it("accepts .pdf .doc .docx .odt in any case, nothing else", () => {
    for (const ok of ["acte.pdf", "ACTE.PDF", "a.doc", "a.docx", "a.Odt"]) expect(isAllowedFile(ok), ok).toBe(true);
    for (const no of ["a.xls", "a.pdf.exe", "pdf", ".pdf", "a.rtf", "a.docm", "a"]) expect(isAllowedFile(no), no).toBe(false);
  });
  it("takes the name from Windows and Unix paths", () => {
    expect(baseName("C:\\Actes\\saisie.docx")).toBe("saisie.docx");
    expect(baseName("/home/etude/acte.pdf")).toBe("acte.pdf");
  });
  it("adds allowed files, refuses others with a message, ignores duplicates", () => {
    const r = addDocuments([], ["/a/acte.pdf", "/a/tableau.xls", "/a/acte.pdf", "/b/acte.pdf"]);
    expect(r.documents).toEqual([
      { path: "/a/acte.pdf", name: "acte.pdf" },
      { path: "/b/acte.pdf", name: "acte.pdf" },
    ]);
    expect(r.errors).toEqual([
      "Le fichier « tableau.xls » ne peut pas être signifié : seuls les fichiers .pdf, .doc, .docx et .odt sont acceptés. Convertissez-le dans l'un de ces formats, puis ajoutez-le de nouveau.",
      "Le fichier « acte.pdf » est déjà dans la liste des actes à signifier.",
    ]);
  });
});
