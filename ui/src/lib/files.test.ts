import { describe, expect, it } from "vitest";
import { typo } from "./french";
import {
  addDocuments,
  baseName,
  batchReport,
  folderLabel,
  isAllowedFile,
  isWithin,
  moveRefusal,
  runBatch,
  vaultJoin,
  vaultName,
  vaultParent,
} from "./files";

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

describe("vault paths", () => {
  it("names, parents, joins and labels", () => {
    expect(vaultName("Archives/2013/a.zip")).toBe("a.zip");
    expect(vaultName("a.zip")).toBe("a.zip");
    expect(vaultParent("Archives/2013/a.zip")).toBe("Archives/2013");
    expect(vaultParent("a.zip")).toBe("");
    expect(vaultJoin("", "a")).toBe("a");
    expect(vaultJoin("Archives", "a")).toBe("Archives/a");
    expect(folderLabel("")).toBe("Mon coffre-fort");
    expect(folderLabel("Archives/2013")).toBe("2013");
  });
  it("knows what lies inside a folder (not a sibling sharing its start)", () => {
    expect(isWithin("Archives", "Archives")).toBe(true);
    expect(isWithin("Archives/2013", "Archives")).toBe(true);
    expect(isWithin("Archives 2", "Archives")).toBe(false);
    expect(isWithin("Courriers", "Archives")).toBe(false);
  });
});

describe("where entries may be moved", () => {
  it("refuses a folder into itself or any of its sub-folders, saying why", () => {
    const why = typo("Le dossier « Modèles » ne peut pas être déplacé dans lui-même ni dans l'un de ses sous-dossiers. Choisissez un autre dossier.");
    expect(moveRefusal("Modèles", ["Modèles"])).toBe(why);
    expect(moveRefusal("Modèles/Lettres", ["note.pdf", "Modèles"])).toBe(why);
    expect(moveRefusal("Modèles/Lettres/2026", ["Modèles"])).toBe(why);
  });
  it("refuses the folder that already holds them", () => {
    expect(moveRefusal("", ["note.pdf"])).toBe(typo("« note.pdf » est déjà dans ce dossier. Choisissez un autre dossier."));
    expect(moveRefusal("A", ["A/x", "A/y"])).toBe(typo("Ces éléments sont déjà dans ce dossier. Choisissez un autre dossier."));
  });
  it("accepts any other folder, the root included", () => {
    expect(moveRefusal("Courriers", ["note.pdf", "Modèles"])).toBeNull();
    expect(moveRefusal("", ["Archives/a.zip"])).toBeNull();
    expect(moveRefusal("Modèles 2", ["Modèles"])).toBeNull();
  });
});

describe("a batch's report", () => {
  const moved = { one: "déplacé", many: "déplacés", not: "Non déplacé" };
  it("runs every entry once, in order, a refusal not stopping the others", async () => {
    const seen: string[] = [];
    const outcome = await runBatch(["a", "b", "c"], async (p) => {
      seen.push(p);
      if (p === "b") throw { code: "vault.exists", message: "Existe déjà." };
    });
    expect(seen).toEqual(["a", "b", "c"]);
    expect(outcome).toEqual({ done: ["a", "c"], failed: [{ path: "b", message: "Existe déjà." }] });
  });
  it("says what was done", () => {
    expect(batchReport({ done: ["x/a.pdf"], failed: [] }, moved, " dans « B »")).toEqual({
      ok: true,
      summary: typo("« a.pdf » déplacé dans « B »."),
      lines: [],
    });
    expect(batchReport({ done: ["a", "b"], failed: [] }, { one: "supprimé", many: "supprimés", not: "Non supprimé" }).summary).toBe(
      typo("2 éléments supprimés : « a », « b »."),
    );
  });
  it("says which were done and which not, with the vault's reason", () => {
    const r = batchReport({ done: ["a", "b"], failed: [{ path: "c", message: "Existe déjà." }] }, moved, " dans « B »");
    expect(r.ok).toBe(false);
    expect(r.summary).toBe(
      typo("2 éléments sur 3 déplacés dans « B » : « a », « b » ; inutile de les refaire. L'élément non traité reste sélectionné."),
    );
    expect(r.lines).toEqual([typo("Non déplacé : « c » — Existe déjà.")]);
    expect(batchReport({ done: [], failed: [{ path: "c", message: "Non." }, { path: "d", message: "Non." }] }, moved).summary).toBe(
      typo("Aucun des 2 éléments n'a été déplacé. Les éléments non traités restent sélectionnés."),
    );
  });
});
