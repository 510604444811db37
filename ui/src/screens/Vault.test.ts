import { fireEvent, render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { useBackend } from "../lib/api";
import { typo } from "../lib/french";
import { createMockBackend } from "../lib/mock";
import { closeViewer, viewer } from "../lib/viewer.svelte";
import Vault from "./Vault.svelte";

/** The names of the rows shown, in order. */
const names = () => Array.from(document.querySelectorAll("tbody tr td.name .label")).map((b) => b.textContent?.trim());
/** The row of an entry by its name. */
const row = (name: string) => {
  const r = Array.from(document.querySelectorAll<HTMLTableRowElement>("tbody tr")).find((tr) => tr.querySelector("td.name")?.getAttribute("title") === name);
  if (!r) throw new Error(`no row ${name}`);
  return r;
};
const button = (name: string | RegExp) => screen.getByRole("button", { name }) as HTMLButtonElement;
const status = async () => (await screen.findByRole("status")).textContent?.trim();
const alert = async () => (await screen.findByRole("alert")).textContent?.trim();

/** The screen on the mock backend of 22/11/2026, with a user to drive it. */
function showVault() {
  const backend = createMockBackend({ now: () => new Date("2026-11-22T10:00:00Z") });
  useBackend(backend);
  const user = userEvent.setup();
  render(Vault);
  return { backend, user };
}

/** The screen, its list loaded. */
async function shown() {
  const s = showVault();
  await screen.findByText("note_interne.pdf");
  return s;
}

/** The screen opened on the empty folder "Courriers" (by its name). */
async function showCourriers() {
  const s = await shown();
  await s.user.click(button("Courriers"));
  await screen.findByText("Ce dossier est vide.");
  return s;
}

afterEach(() => closeViewer());

describe("Mon coffre-fort", () => {
  it("lists folders first with size and date, and the space used", async () => {
    await shown();
    expect(names()).toEqual(["Archives", "Courriers", "Modèles", "9991_TEST_MODALITE_REMISE_1_20130917_145203_REMISE.pdf", "note_interne.pdf"]);
    expect(screen.getByText("27,20 Ko")).toBeTruthy();
    expect(screen.getByText("15/06/2011 15:56:00")).toBeTruthy();
    expect(document.querySelector(".usage")?.textContent).toContain(typo("Occupation : 181,17 Ko sur 1,00 Go"));
    // Long names are cut on screen; the whole name is the cell's tooltip.
    expect(row("9991_TEST_MODALITE_REMISE_1_20130917_145203_REMISE.pdf").querySelector("td.name")?.classList.contains("ellipsis")).toBe(true);
  });

  it("has the manual's toolbar, in its order", async () => {
    await shown();
    const bar = screen.getByRole("toolbar", { name: "Actions du coffre-fort" });
    expect(within(bar).getAllByRole("button").map((b) => b.textContent?.trim())).toEqual([
      "Revenir",
      "Créer dossier",
      "Déplacer",
      "Renommer",
      "Télécharger",
      "Transférer",
      "Éditer propriétés",
      "Supprimer",
    ]);
  });

  it("creates, renames and deletes, asking once with the name", async () => {
    const { user } = await shown();
    await user.click(button("Créer dossier"));
    await user.type(screen.getByLabelText("Nom du nouveau dossier"), "2026");
    await user.click(button("Valider"));
    expect(await status()).toBe(typo("Dossier « 2026 » créé."));
    await user.click(screen.getByRole("checkbox", { name: "Sélectionner note_interne.pdf" }));
    await user.click(button("Renommer"));
    const input = screen.getByLabelText("Nouveau nom");
    await user.clear(input);
    await user.type(input, "note.pdf");
    await user.click(button("Valider"));
    expect(await status()).toBe(typo("« note_interne.pdf » renommé en « note.pdf »."));
    // The renamed entry stays selected.
    expect((screen.getByRole("checkbox", { name: "Sélectionner note.pdf" }) as HTMLInputElement).checked).toBe(true);
    await user.click(button("Supprimer"));
    const ask = screen.getByRole("alertdialog");
    expect(ask.textContent).toContain(typo("Supprimer définitivement « note.pdf » ?"));
    await user.click(within(ask).getByRole("button", { name: "Supprimer" }));
    expect(await status()).toBe(typo("« note.pdf » supprimé."));
    expect(names()).not.toContain("note.pdf");
  });

  it("opens a folder by its name and a file by its name in the viewer; a click elsewhere on the row selects", async () => {
    const { user } = await shown();
    // A click on the row's size selects the row alone.
    await user.click(row("note_interne.pdf").querySelector("td.num") as HTMLElement);
    expect(row("note_interne.pdf").classList.contains("selected")).toBe(true);
    await user.click(row("9991_TEST_MODALITE_REMISE_1_20130917_145203_REMISE.pdf").querySelector("td.num") as HTMLElement);
    expect(row("note_interne.pdf").classList.contains("selected")).toBe(false);
    expect(screen.getByText("1 élément sélectionné.")).toBeTruthy();
    // Ctrl adds to the selection.
    await user.keyboard("{Control>}");
    await user.click(row("note_interne.pdf").querySelector("td.num") as HTMLElement);
    await user.keyboard("{/Control}");
    expect(screen.getByText("2 éléments sélectionnés.")).toBeTruthy();

    // A file's name: downloaded, then shown in the viewer.
    await user.click(button("note_interne.pdf"));
    await vi.waitFor(() => expect(viewer.current?.title).toBe("note_interne.pdf"));
    expect(viewer.current?.file.path).toBe("/home/etude/Téléchargements/note_interne.pdf");

    // A folder's name opens it.
    await user.click(button("Archives"));
    expect(await screen.findByText("BANQUE_TEST__MAREF_20130724_142524.zip")).toBeTruthy();
    expect(screen.getByRole("navigation", { name: "Dossier courant" }).textContent).toContain("Archives");
    expect(screen.getByText("Cochez des éléments pour les déplacer, les télécharger ou les supprimer.")).toBeTruthy();
  });

  it("clears its messages when another folder is shown", async () => {
    const { user } = await shown();
    await user.click(button("Créer dossier"));
    await user.type(screen.getByLabelText("Nom du nouveau dossier"), "2026");
    await user.click(button("Valider"));
    expect(await status()).toBe(typo("Dossier « 2026 » créé."));
    await user.click(button("2026"));
    await screen.findByText("Ce dossier est vide.");
    expect(screen.queryByRole("status")).toBeNull();
    // An error goes too (here: a name already used), by "Revenir" and by the path above.
    await user.click(button("Créer dossier"));
    await user.type(screen.getByLabelText("Nom du nouveau dossier"), "A");
    await user.click(button("Valider"));
    await user.click(button("Créer dossier"));
    await user.type(screen.getByLabelText("Nom du nouveau dossier"), "A");
    await user.click(button("Valider"));
    expect(await alert()).toContain("existe déjà");
    await user.click(button("Revenir"));
    await screen.findByText("note_interne.pdf");
    expect(screen.queryByRole("alert")).toBeNull();
    await user.click(button("Modèles"));
    await user.click(await screen.findByRole("button", { name: "Lettres" }));
    await user.click(button("Créer dossier"));
    await user.click(button("Valider"));
    expect(await alert()).toBe("Saisissez le nom du nouveau dossier.");
    await user.click(within(screen.getByRole("navigation", { name: "Dossier courant" })).getByRole("button", { name: "Modèles" }));
    await screen.findByText("Lettres");
    expect(screen.queryByRole("alert")).toBeNull();
    // The form begun there is gone too.
    expect(screen.queryByLabelText("Nom du nouveau dossier")).toBeNull();
  });

  it("shows no message of a former visit when the screen is opened again", async () => {
    const backend = createMockBackend();
    useBackend(backend);
    const user = userEvent.setup();
    const first = render(Vault);
    await screen.findByText("note_interne.pdf");
    await user.click(button("Créer dossier"));
    await user.type(screen.getByLabelText("Nom du nouveau dossier"), "2026");
    await user.click(button("Valider"));
    expect(await status()).toBe(typo("Dossier « 2026 » créé."));
    first.unmount();
    render(Vault);
    await screen.findByText("2026");
    expect(screen.queryByRole("status")).toBeNull();
  });

  it("moves a file with the folder picker: open folders, go back up, « Déplacer ici »", async () => {
    const { user } = await shown();
    await user.click(screen.getByRole("checkbox", { name: "Sélectionner note_interne.pdf" }));
    await user.click(button("Déplacer"));
    const picker = screen.getByRole("dialog", { name: typo("Déplacer « note_interne.pdf »") });
    expect(document.activeElement).toBe(picker);
    // Its own folder: refused, with why.
    await vi.waitFor(() => expect(within(picker).getByRole("button", { name: "Modèles" })).toBeTruthy());
    expect((within(picker).getByRole("button", { name: "Déplacer ici" }) as HTMLButtonElement).disabled).toBe(true);
    expect(picker.textContent).toContain(typo("« note_interne.pdf » est déjà dans ce dossier. Choisissez un autre dossier."));
    await user.click(within(picker).getByRole("button", { name: "Modèles" }));
    await user.click(await within(picker).findByRole("button", { name: "Lettres" }));
    await within(picker).findByText("Aucun sous-dossier ici.");
    expect(within(picker).getByRole("navigation", { name: "Dossier de destination" }).textContent).toContain("Lettres");
    await user.click(within(picker).getByRole("button", { name: "Dossier parent" }));
    await within(picker).findByRole("button", { name: "Lettres" });
    expect(picker.textContent).toContain(typo("Destination : « Modèles »"));
    await user.click(within(picker).getByRole("button", { name: "Déplacer ici" }));
    expect(await status()).toBe(typo("« note_interne.pdf » déplacé dans « Modèles »."));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(names()).not.toContain("note_interne.pdf");
    await user.click(button("Modèles"));
    expect(await screen.findByText("note_interne.pdf")).toBeTruthy();
  });

  it("refuses to move a folder into itself or one of its sub-folders, saying why", async () => {
    const { backend, user } = await shown();
    const move = vi.spyOn(backend, "vaultMove");
    await user.click(screen.getByRole("checkbox", { name: "Sélectionner Modèles" }));
    await user.click(button("Déplacer"));
    const picker = screen.getByRole("dialog", { name: typo("Déplacer « Modèles »") });
    const why = typo("Le dossier « Modèles » ne peut pas être déplacé dans lui-même ni dans l'un de ses sous-dossiers. Choisissez un autre dossier.");
    // Marked in the list as the folder being moved.
    expect((await within(picker).findByRole("button", { name: /Modèles/ })).textContent).toContain("(à déplacer)");
    await user.click(within(picker).getByRole("button", { name: /Modèles/ }));
    await within(picker).findByRole("button", { name: "Lettres" });
    const here = within(picker).getByRole("button", { name: "Déplacer ici" }) as HTMLButtonElement;
    expect(here.disabled).toBe(true);
    expect(picker.textContent).toContain(why);
    expect(document.getElementById(here.getAttribute("aria-describedby") ?? "")?.textContent).toBe(why);
    await user.click(within(picker).getByRole("button", { name: "Lettres" }));
    await within(picker).findByText("Aucun sous-dossier ici.");
    expect((within(picker).getByRole("button", { name: "Déplacer ici" }) as HTMLButtonElement).disabled).toBe(true);
    expect(picker.textContent).toContain(why);
    // Back to the top by the path, then into "Courriers": allowed.
    await user.click(within(picker).getByRole("button", { name: "Mon coffre-fort" }));
    await user.click(await within(picker).findByRole("button", { name: "Courriers" }));
    await within(picker).findByText("Aucun sous-dossier ici.");
    expect(picker.textContent).not.toContain("ne peut pas");
    await user.click(within(picker).getByRole("button", { name: "Déplacer ici" }));
    expect(await status()).toBe(typo("« Modèles » déplacé dans « Courriers »."));
    expect(move).toHaveBeenCalledTimes(1);
    expect(move).toHaveBeenCalledWith("Modèles", "Courriers");
  });

  it("closes the picker by « Annuler » or Échap, moving nothing, focus back on « Déplacer »", async () => {
    const { backend, user } = await shown();
    const move = vi.spyOn(backend, "vaultMove");
    await user.click(screen.getByRole("checkbox", { name: "Sélectionner note_interne.pdf" }));
    await user.click(button("Déplacer"));
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Annuler" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.activeElement).toBe(button("Déplacer"));
    await user.click(button("Déplacer"));
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(move).not.toHaveBeenCalled();
  });

  it("moves several selected entries at once, the move's button busy meanwhile", async () => {
    const { backend, user } = await shown();
    let release = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const real = backend.vaultMove.bind(backend);
    const move = vi.spyOn(backend, "vaultMove").mockImplementation(async (from, to) => {
      await gate;
      return real(from, to);
    });
    await user.click(screen.getByRole("checkbox", { name: "Sélectionner note_interne.pdf" }));
    await user.click(screen.getByRole("checkbox", { name: "Sélectionner 9991_TEST_MODALITE_REMISE_1_20130917_145203_REMISE.pdf" }));
    expect(screen.getByText("2 éléments sélectionnés.")).toBeTruthy();
    await user.click(button("Déplacer"));
    const picker = screen.getByRole("dialog", { name: "Déplacer 2 éléments" });
    await user.click(await within(picker).findByRole("button", { name: "Courriers" }));
    await within(picker).findByText("Aucun sous-dossier ici.");
    const here = within(picker).getByRole("button", { name: "Déplacer ici" }) as HTMLButtonElement;
    await user.click(here);
    // Busy: no second submission, the screen's actions wait.
    await vi.waitFor(() => expect(here.getAttribute("aria-busy")).toBe("true"));
    expect(here.disabled).toBe(true);
    expect(button("Supprimer").disabled).toBe(true);
    await user.click(here);
    release();
    expect(await status()).toBe(typo("2 éléments déplacés dans « Courriers » : « 9991_TEST_MODALITE_REMISE_1_20130917_145203_REMISE.pdf », « note_interne.pdf »."));
    expect(move).toHaveBeenCalledTimes(2);
    await vi.waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(names()).toEqual(["Archives", "Courriers", "Modèles"]);
  });

  it("says which entries moved and which did not; those not moved stay selected", async () => {
    const { backend, user } = await shown();
    // A "note_interne.pdf" already in "Courriers".
    await backend.vaultMkdir("Courriers/x");
    await backend.vaultRename("Courriers/x", "note_interne.pdf");
    const move = vi.spyOn(backend, "vaultMove");
    await user.click(screen.getByRole("checkbox", { name: "Tout sélectionner" }));
    await user.click(screen.getByRole("checkbox", { name: "Sélectionner Courriers" }));
    await user.click(screen.getByRole("checkbox", { name: "Sélectionner Archives" }));
    await user.click(screen.getByRole("checkbox", { name: "Sélectionner Modèles" }));
    await user.click(button("Déplacer"));
    const picker = screen.getByRole("dialog");
    await user.click(await within(picker).findByRole("button", { name: "Courriers" }));
    await within(picker).findByRole("button", { name: "note_interne.pdf" });
    await user.click(within(picker).getByRole("button", { name: "Déplacer ici" }));
    const said = await alert();
    expect(said).toContain(
      typo(
        "1 élément sur 2 déplacé dans « Courriers » : « 9991_TEST_MODALITE_REMISE_1_20130917_145203_REMISE.pdf » ; inutile de le refaire. L'élément non traité reste sélectionné.",
      ),
    );
    expect(said).toContain(typo("Non déplacé : « note_interne.pdf » — Un élément du même nom existe déjà dans le dossier de destination."));
    expect(screen.getByText("1 élément sélectionné.")).toBeTruthy();
    expect((screen.getByRole("checkbox", { name: "Sélectionner note_interne.pdf" }) as HTMLInputElement).checked).toBe(true);
    expect(move).toHaveBeenCalledTimes(2);
  });

  it("selects all with the header's box, and deletes a selection asking once with how many", async () => {
    const { backend, user } = await shown();
    const del = vi.spyOn(backend, "vaultDelete");
    const all = screen.getByRole("checkbox", { name: "Tout sélectionner" }) as HTMLInputElement;
    await user.click(screen.getByRole("checkbox", { name: "Sélectionner note_interne.pdf" }));
    expect(all.indeterminate).toBe(true);
    await user.click(all);
    expect(all.checked).toBe(true);
    expect(all.indeterminate).toBe(false);
    expect(screen.getByText("5 éléments sélectionnés.")).toBeTruthy();
    await user.click(button("Supprimer"));
    const ask = screen.getByRole("alertdialog");
    expect(ask.textContent).toContain(typo("Supprimer définitivement ces 5 éléments ?"));
    expect(within(ask).getAllByRole("listitem")).toHaveLength(5);
    // The safe choice has the focus.
    expect(document.activeElement).toBe(within(ask).getByRole("button", { name: "Annuler" }));
    await user.click(within(ask).getByRole("button", { name: "Supprimer" }));
    // The two folders with content are refused; the rest goes, once.
    const said = await alert();
    expect(said).toContain(
      typo(
        "3 éléments sur 5 supprimés : « Courriers », « 9991_TEST_MODALITE_REMISE_1_20130917_145203_REMISE.pdf », « note_interne.pdf » ; inutile de les refaire. Les éléments non traités restent sélectionnés.",
      ),
    );
    expect(said).toContain(typo("Non supprimé : « Archives » — Ce dossier n'est pas vide."));
    expect(said).toContain(typo("Non supprimé : « Modèles » — Ce dossier n'est pas vide."));
    expect(names()).toEqual(["Archives", "Modèles"]);
    expect(del).toHaveBeenCalledTimes(5);
    // Again: only what was left is asked about and tried.
    expect(screen.getByText("2 éléments sélectionnés.")).toBeTruthy();
    await user.click(button("Supprimer"));
    expect(screen.getByRole("alertdialog").textContent).toContain(typo("Supprimer définitivement ces 2 éléments ?"));
    await user.click(within(screen.getByRole("alertdialog")).getByRole("button", { name: "Supprimer" }));
    await vi.waitFor(() => expect(del).toHaveBeenCalledTimes(7));
    expect(del.mock.calls.map((c) => c[0])).toEqual(["Archives", "Courriers", "Modèles", "9991_TEST_MODALITE_REMISE_1_20130917_145203_REMISE.pdf", "note_interne.pdf", "Archives", "Modèles"]);
  });

  it("downloads the selected files, offering to open or show the file", async () => {
    const { backend, user } = await shown();
    await user.click(screen.getByRole("checkbox", { name: "Sélectionner note_interne.pdf" }));
    await user.click(button("Télécharger"));
    expect(await screen.findByText("Fichier enregistré : /home/etude/Téléchargements/note_interne.pdf")).toBeTruthy();
    await user.click(button("Ouvrir"));
    expect(viewer.current?.title).toBe("note_interne.pdf");
    await user.click(button("Afficher dans le dossier"));
    expect(backend.state.revealed).toEqual(["/home/etude/Téléchargements/note_interne.pdf"]);
    // Several, with a folder among them: the files go, the folder is said to stay.
    await user.click(screen.getByRole("checkbox", { name: "Tout sélectionner" }));
    await user.click(button("Télécharger"));
    const said = await status();
    expect(said).toContain(typo("2 fichiers enregistrés sur ce poste :"));
    expect(said).toContain("/home/etude/Téléchargements/9991_TEST_MODALITE_REMISE_1_20130917_145203_REMISE.pdf");
    expect(said).toContain(typo("Les dossiers ne se téléchargent pas : ouvrez-les pour choisir leurs fichiers."));
    // Folders alone: nothing to download.
    await user.click(screen.getByRole("checkbox", { name: "Tout sélectionner" }));
    await user.click(screen.getByRole("checkbox", { name: "Sélectionner Archives" }));
    expect(button("Télécharger").disabled).toBe(true);
  });

  it("moves rows dragged onto a folder row, or onto a folder of the path above", async () => {
    const { user } = await shown();
    const data = () => {
      const store = new Map<string, string>();
      return { setData: (t: string, v: string) => store.set(t, v), getData: (t: string) => store.get(t) ?? "", effectAllowed: "", dropEffect: "" };
    };
    await user.click(screen.getByRole("checkbox", { name: "Sélectionner note_interne.pdf" }));
    await user.click(screen.getByRole("checkbox", { name: "Sélectionner 9991_TEST_MODALITE_REMISE_1_20130917_145203_REMISE.pdf" }));
    const dt = data();
    await fireEvent.dragStart(row("note_interne.pdf"), { dataTransfer: dt });
    expect(JSON.parse(dt.getData("application/x-sceau-vault-paths"))).toEqual(["9991_TEST_MODALITE_REMISE_1_20130917_145203_REMISE.pdf", "note_interne.pdf"]);
    // A file row does not take the drop; a folder row does (and is highlighted).
    expect(await fireEvent.dragOver(row("note_interne.pdf"), { dataTransfer: dt })).toBe(true);
    expect(await fireEvent.dragOver(row("Courriers"), { dataTransfer: dt })).toBe(false);
    expect(row("Courriers").classList.contains("drop-target")).toBe(true);
    await fireEvent.drop(row("Courriers"), { dataTransfer: dt });
    expect(await status()).toContain(typo("2 éléments déplacés dans « Courriers »"));
    expect(names()).toEqual(["Archives", "Courriers", "Modèles"]);

    // A folder dragged onto itself: refused (no drop allowed).
    const dt2 = data();
    await fireEvent.dragStart(row("Modèles"), { dataTransfer: dt2 });
    expect(await fireEvent.dragOver(row("Modèles"), { dataTransfer: dt2 })).toBe(true);
    await fireEvent.dragEnd(row("Modèles"), { dataTransfer: dt2 });

    // Inside "Modèles/Lettres", a file dragged onto "Modèles" in the path goes up there.
    await user.click(button("Modèles"));
    await user.click(await screen.findByRole("button", { name: "Lettres" }));
    await screen.findByText("lettre_type_relance.odt");
    const dt3 = data();
    await fireEvent.dragStart(row("lettre_type_relance.odt"), { dataTransfer: dt3 });
    const crumb = within(screen.getByRole("navigation", { name: "Dossier courant" })).getByRole("button", { name: "Modèles" });
    expect(await fireEvent.dragOver(crumb, { dataTransfer: dt3 })).toBe(false);
    await fireEvent.drop(crumb, { dataTransfer: dt3 });
    expect(await status()).toBe(typo("« lettre_type_relance.odt » déplacé dans « Modèles »."));
    expect(screen.getByText("Ce dossier est vide.")).toBeTruthy();
  });

  it("« Éditer propriétés »: name (renames), kind, size, date, place, retention, proof", async () => {
    const { backend, user } = await shown();
    expect(button("Éditer propriétés").disabled).toBe(true);
    await user.click(screen.getByRole("checkbox", { name: "Sélectionner note_interne.pdf" }));
    await user.click(button("Éditer propriétés"));
    const dialog = screen.getByRole("dialog", { name: typo("Propriétés de « note_interne.pdf »") });
    const text = dialog.textContent ?? "";
    for (const part of ["Fichier PDF", "27,20 Ko", "mercredi 15/06/2011 à 15\u00a0h\u00a056", "Mon coffre-fort", "Aucune durée de conservation."]) {
      expect(text, part).toContain(part);
    }
    const name = within(dialog).getByLabelText("Nom") as HTMLInputElement;
    expect(name.value).toBe("note_interne.pdf");
    expect((within(dialog).getByRole("button", { name: "Renommer" }) as HTMLButtonElement).disabled).toBe(true);
    await user.clear(name);
    await user.type(name, "note.pdf");
    await user.click(within(dialog).getByRole("button", { name: "Renommer" }));
    expect(await within(screen.getByRole("dialog")).findByText("« note_interne.pdf » renommé en « note.pdf ».")).toBeTruthy();
    expect(screen.getByRole("dialog", { name: typo("Propriétés de « note.pdf »") })).toBeTruthy();
    expect(names()).toContain("note.pdf");
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Exporter la preuve d'intégrité" }));
    expect(await within(screen.getByRole("dialog")).findByText("Preuve d'intégrité enregistrée : /home/etude/Documents/note.pdf.preuve.json")).toBeTruthy();
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Afficher dans le dossier" }));
    expect(backend.state.revealed).toEqual(["/home/etude/Documents/note.pdf.preuve.json"]);
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Fermer" }));
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  it("shows a name refused in the properties beside the field", async () => {
    const { user } = await shown();
    await user.click(screen.getByRole("checkbox", { name: "Sélectionner note_interne.pdf" }));
    await user.click(button("Éditer propriétés"));
    const dialog = screen.getByRole("dialog");
    const name = within(dialog).getByLabelText("Nom");
    await user.clear(name);
    await user.type(name, "Archives");
    await user.click(within(dialog).getByRole("button", { name: "Renommer" }));
    expect(await within(dialog).findByText("Un élément nommé « Archives » existe déjà ici. Choisissez un autre nom.")).toBeTruthy();
    expect(name.getAttribute("aria-invalid")).toBe("true");
  });

  it("refuses to delete an archive under retention, and says so in its properties", async () => {
    const { user } = await shown();
    await user.click(button("Archives"));
    await user.click(await screen.findByRole("checkbox", { name: "Sélectionner BANQUE_TEST__MAREF_20130724_142524.zip" }));
    expect(button("Supprimer").disabled).toBe(true);
    expect(screen.getByText("Cette archive est conservée jusqu'au 24/07/2043 14:25:24 : elle ne peut pas être supprimée avant.")).toBeTruthy();
    await user.click(button("Éditer propriétés"));
    expect(screen.getByRole("dialog").textContent).toContain(typo("Conservé jusqu'au vendredi 24/07/2043 à 14\u00a0h\u00a025 : il ne peut pas être supprimé avant."));
  });

  it("transfers files of the workstation into the current folder", async () => {
    const { backend, user } = await showCourriers();
    backend.nextPick = ["/home/etude/courrier_1.odt", "C:\\Etude\\courrier_2.pdf"];
    await user.click(button("Transférer"));
    expect(await status()).toBe(typo("2 fichiers transférés dans le coffre-fort : « courrier_1.odt », « courrier_2.pdf »."));
    expect(names()).toEqual(["courrier_1.odt", "courrier_2.pdf"]);
  });

  it("transfers files dropped on the window into the current folder, one transfer at a time", async () => {
    const { backend } = await showCourriers();
    await vi.waitFor(() => expect(document.querySelector("section[data-drop-ready=true]")).not.toBeNull());
    let release = () => {};
    backend.uploadPause = new Promise((r) => (release = r));
    backend.uploadSizes.set("/home/etude/depot.pdf", 4 * 1024 * 1024);
    backend.dropFiles(["/home/etude/depot.pdf"]);
    expect(await screen.findByTestId("transfer-progress")).toBeTruthy();
    // A second drop while the first transfer runs is refused, and says why.
    backend.dropFiles(["/home/etude/autre.pdf"]);
    expect(await alert()).toContain("Un transfert est en cours");
    release();
    expect(await screen.findByText("1 fichier transféré dans le coffre-fort : « depot.pdf ».")).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull();
    expect(names()).toEqual(["depot.pdf"]);
  });

  it("shows a big transfer's progress: the file, its bytes, a bar and the files done", async () => {
    const { backend, user } = await shown();
    const MO = 1024 * 1024;
    backend.uploadSizes.set("/home/etude/releve.pdf", 80 * MO);
    backend.uploadSizes.set("/home/etude/annexe.pdf", 3 * MO);
    let release = () => {};
    backend.uploadPause = new Promise((r) => (release = r));
    backend.nextPick = ["/home/etude/releve.pdf", "/home/etude/annexe.pdf"];
    await user.click(button("Transférer"));
    // Halfway through the first file.
    expect(await screen.findByText("Transfert de « releve.pdf » : 40,0 Mo sur 80,0 Mo")).toBeTruthy();
    expect(screen.getByText("Fichiers transférés : 0 sur 2")).toBeTruthy();
    const bar = screen.getByRole("progressbar", { name: "Transfert de releve.pdf" }) as HTMLProgressElement;
    expect(bar.value).toBe(50);
    // One transfer at a time, the button busy.
    expect(button("Transférer").disabled).toBe(true);
    expect(button("Transférer").getAttribute("aria-busy")).toBe("true");
    release();
    expect(await status()).toBe(typo("2 fichiers transférés dans le coffre-fort : « releve.pdf », « annexe.pdf »."));
    // Done: the progress leaves, the sizes are the vault's.
    expect(screen.queryByTestId("transfer-progress")).toBeNull();
    expect(screen.getByText("80,00 Mo")).toBeTruthy();
    await vi.waitFor(() => expect(button("Transférer").disabled).toBe(false));
    expect(button("Transférer").getAttribute("aria-busy")).toBe("false");
  });

  it("names the stored file, and shows a refused transfer in French with what already went", async () => {
    const { backend, user } = await shown();
    backend.nextPick = ["/home/etude/lettre.odt"];
    await user.click(button("Transférer"));
    expect(await status()).toBe(typo("1 fichier transféré dans le coffre-fort : « lettre.odt »."));
    // The second file exists already at the root: the first goes, the second is refused.
    backend.nextPick = ["/home/etude/autre.pdf", "/home/etude/note_interne.pdf"];
    await user.click(button("Transférer"));
    const said = await alert();
    expect(said).toContain(typo("Le fichier « note_interne.pdf » n'a pas été transféré"));
    expect(said).toContain("existe déjà");
    expect(said).toContain(typo("Déjà transféré(s) avant lui, à ne pas renvoyer : autre.pdf."));
    expect(screen.queryByRole("status")).toBeNull();
    // The list is refreshed after a refusal too: what went before it shows.
    await vi.waitFor(() => expect(names()).toContain("autre.pdf"));
    expect(names()).toContain("lettre.odt");
  });

  it("shows the vault's refusal, e.g. a name that already exists", async () => {
    const { user } = await shown();
    await user.click(button("Créer dossier"));
    await user.type(screen.getByLabelText("Nom du nouveau dossier"), "Archives");
    await user.click(button("Valider"));
    expect(await alert()).toBe(typo("Un élément nommé « Archives » existe déjà ici. Choisissez un autre nom."));
  });
});
