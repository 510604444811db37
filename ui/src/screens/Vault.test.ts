import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { useBackend } from "../lib/api";
import { createMockBackend } from "../lib/mock";
import Vault from "./Vault.svelte";

const names = () => Array.from(document.querySelectorAll("tbody tr td:first-child button.link")).map((b) => b.textContent?.trim());

/** The screen on the mock backend of 22/11/2026, with a user to drive it. */
function showVault() {
  const backend = createMockBackend({ now: () => new Date("2026-11-22T10:00:00Z") });
  useBackend(backend);
  const user = userEvent.setup();
  render(Vault);
  return { backend, user };
}

/** The screen opened on the empty folder "Courriers". */
async function showCourriers() {
  const shown = showVault();
  await shown.user.click(await screen.findByRole("button", { name: "Ouvrir le dossier Courriers" }));
  await screen.findByText("Ce dossier est vide.");
  return shown;
}

describe("Mon coffre-fort", () => {
  it("lists folders first with size and date, and the space used", async () => {
    showVault();
    await screen.findByText(/note_interne\.pdf/);
    expect(names()).toEqual(["Archives", "Courriers", "9991_TEST_MODALITE_REMISE_1_20130917_145203_REMISE.pdf", "note_interne.pdf"]);
    expect(screen.getByText("27,20 Ko")).toBeTruthy();
    expect(screen.getByText("15/06/2011 15:56:00")).toBeTruthy();
    expect(document.querySelector(".usage")?.textContent).toContain("Occupation : 167,17 Ko sur 1,00 Go");
  });

  it("creates, renames, moves and deletes", async () => {
    const { user } = showVault();
    await screen.findByText(/note_interne\.pdf/);
    await user.click(screen.getByRole("button", { name: "Créer dossier" }));
    await user.type(screen.getByLabelText("Nom du nouveau dossier"), "2026");
    await user.click(screen.getByRole("button", { name: "Valider" }));
    expect(await screen.findByText("Dossier « 2026 » créé.")).toBeTruthy();
    await user.click(screen.getByRole("button", { name: /note_interne\.pdf/ }));
    await user.click(screen.getByRole("button", { name: "Renommer" }));
    const input = screen.getByLabelText("Nouveau nom");
    await user.clear(input);
    await user.type(input, "note.pdf");
    await user.click(screen.getByRole("button", { name: "Valider" }));
    expect(await screen.findByText("« note_interne.pdf » renommé en « note.pdf ».")).toBeTruthy();
    await user.click(screen.getByRole("button", { name: /note\.pdf/ }));
    await user.click(screen.getByRole("button", { name: "Déplacer" }));
    await user.type(screen.getByLabelText("Dossier de destination (vide = racine)"), "2026");
    await user.click(screen.getByRole("button", { name: "Valider" }));
    expect(await screen.findByText("« note.pdf » déplacé.")).toBeTruthy();
    expect(names()).not.toContain("note.pdf");
    await user.click(screen.getByRole("button", { name: "Ouvrir le dossier 2026" }));
    expect(await screen.findByRole("button", { name: /note\.pdf/ })).toBeTruthy();
    await user.click(screen.getByRole("button", { name: /note\.pdf/ }));
    await user.click(screen.getByRole("button", { name: "Supprimer" }));
    await user.click(screen.getByRole("alertdialog").querySelector("button.danger") as HTMLElement);
    expect(await screen.findByText("« note.pdf » supprimé.")).toBeTruthy();
    expect(screen.getByText("Ce dossier est vide.")).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Revenir" }));
    expect(await screen.findByText(/Archives/)).toBeTruthy();
  });

  it("refuses to delete an archive under retention, exports its proof", async () => {
    const { user } = showVault();
    await user.click(await screen.findByRole("button", { name: "Ouvrir le dossier Archives" }));
    await user.click(await screen.findByRole("button", { name: /MAREF/ }));
    expect((screen.getByRole("button", { name: "Supprimer" }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText(/conservée jusqu'au 24\/07\/2043/)).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Télécharger" }));
    expect((await screen.findByRole("status")).textContent).toBe("Fichier enregistré : /home/etude/Téléchargements/BANQUE_TEST__MAREF_20130724_142524.zip");
    await user.click(screen.getByRole("button", { name: "Preuve" }));
    expect(
      await screen.findByText("Preuve d'intégrité exportée : /home/etude/Documents/BANQUE_TEST__MAREF_20130724_142524.zip.preuve.json"),
    ).toBeTruthy();
  });

  it("transfers files of the workstation into the current folder", async () => {
    const { backend, user } = await showCourriers();
    backend.nextPick = ["/home/etude/courrier_1.odt", "C:\\Etude\\courrier_2.pdf"];
    await user.click(screen.getByRole("button", { name: "Transférer" }));
    expect(await screen.findByText("2 fichiers transférés dans le coffre-fort : « courrier_1.odt », « courrier_2.pdf ».")).toBeTruthy();
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
    expect((await screen.findByRole("alert")).textContent).toContain("Un transfert est en cours");
    release();
    expect(await screen.findByText("1 fichier transféré dans le coffre-fort : « depot.pdf ».")).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull();
    expect(names()).toEqual(["depot.pdf"]);
  });

  it("shows a big transfer's progress: the file, its bytes, a bar and the files done", async () => {
    const { backend, user } = showVault();
    await screen.findByText(/note_interne\.pdf/);
    const MO = 1024 * 1024;
    backend.uploadSizes.set("/home/etude/releve.pdf", 80 * MO);
    backend.uploadSizes.set("/home/etude/annexe.pdf", 3 * MO);
    let release = () => {};
    backend.uploadPause = new Promise((r) => (release = r));
    backend.nextPick = ["/home/etude/releve.pdf", "/home/etude/annexe.pdf"];
    await user.click(screen.getByRole("button", { name: "Transférer" }));
    // Halfway through the first file.
    expect(await screen.findByText("Transfert de « releve.pdf » : 40,0 Mo sur 80,0 Mo")).toBeTruthy();
    expect(screen.getByText("Fichiers transférés : 0 sur 2")).toBeTruthy();
    const bar = screen.getByRole("progressbar", { name: "Transfert de releve.pdf" }) as HTMLProgressElement;
    expect(bar.value).toBe(50);
    // One transfer at a time.
    expect((screen.getByRole("button", { name: "Transférer" }) as HTMLButtonElement).disabled).toBe(true);
    release();
    expect(await screen.findByText("2 fichiers transférés dans le coffre-fort : « releve.pdf », « annexe.pdf ».")).toBeTruthy();
    // Done: the progress leaves, the sizes are the vault's.
    expect(screen.queryByTestId("transfer-progress")).toBeNull();
    expect(screen.getByText("80,00 Mo")).toBeTruthy();
    expect((screen.getByRole("button", { name: "Transférer" }) as HTMLButtonElement).disabled).toBe(false);
  });

  it("names the stored file, and shows a refused transfer in French with what already went", async () => {
    const { backend, user } = showVault();
    await screen.findByText(/note_interne\.pdf/);
    backend.nextPick = ["/home/etude/lettre.odt"];
    await user.click(screen.getByRole("button", { name: "Transférer" }));
    expect(await screen.findByText("1 fichier transféré dans le coffre-fort : « lettre.odt ».")).toBeTruthy();
    // The second file exists already at the root: the first goes, the second is refused.
    backend.nextPick = ["/home/etude/autre.pdf", "/home/etude/note_interne.pdf"];
    await user.click(screen.getByRole("button", { name: "Transférer" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Le fichier « note_interne.pdf » n'a pas été transféré");
    expect(alert.textContent).toContain("existe déjà");
    expect(alert.textContent).toContain("Déjà transféré(s) avant lui, à ne pas renvoyer : autre.pdf.");
    expect(screen.queryByRole("status")).toBeNull();
    // The list is refreshed after a refusal too: what went before it shows.
    await vi.waitFor(() => expect(names()).toContain("autre.pdf"));
    expect(names()).toContain("lettre.odt");
  });

  it("shows the vault's refusal, e.g. a name that already exists", async () => {
    useBackend(createMockBackend());
    const user = userEvent.setup();
    render(Vault);
    await screen.findByText(/note_interne\.pdf/);
    await user.click(screen.getByRole("button", { name: "Créer dossier" }));
    await user.type(screen.getByLabelText("Nom du nouveau dossier"), "Archives");
    await user.click(screen.getByRole("button", { name: "Valider" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Un élément nommé « Archives » existe déjà ici. Choisissez un autre nom.");
  });
});
