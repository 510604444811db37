import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { useBackend } from "../lib/api";
import { typo } from "../lib/french";
import { createMockBackend } from "../lib/mock";
import VaultProperties from "./VaultProperties.svelte";

const folder = { path: "Modèles/Lettres", is_folder: true, size: 0, modified: "2013-09-18T08:11:00Z", retained_until: null, description: null };
const file = { path: "note_interne.pdf", is_folder: false, size: 27_852, modified: "2011-06-15T13:56:00Z", retained_until: null, description: null };
const archive = {
  path: "Archives/BANQUE_TEST__MAREF_20130724_142524.zip",
  is_folder: false,
  size: 62_597,
  modified: "2013-07-24T12:25:24Z",
  retained_until: "2043-07-24T12:25:24Z",
  description: null,
};

describe("VaultProperties", () => {
  it("shows a folder's kind, date and place, without a size or a proof", () => {
    useBackend(createMockBackend());
    render(VaultProperties, { entry: folder, onclose: () => {}, onrenamed: async () => {} });
    const text = screen.getByRole("dialog", { name: typo("Propriétés de « Lettres »") }).textContent ?? "";
    expect(text).toContain("Dossier");
    expect(text).toContain("Mon coffre-fort / Modèles");
    expect(text).toContain("mercredi 18/09/2013 à 10\u00a0h\u00a011");
    expect(text).not.toContain("Taille");
    expect(screen.queryByRole("button", { name: "Exporter la preuve d'intégrité" })).toBeNull();
  });

  it("renames by the name field, then tells the screen the new path", async () => {
    const backend = createMockBackend();
    useBackend(backend);
    const rename = vi.spyOn(backend, "vaultRename");
    const onrenamed = vi.fn(async () => {});
    const user = userEvent.setup();
    render(VaultProperties, { entry: file, onclose: () => {}, onrenamed });
    const name = screen.getByLabelText("Nom");
    await user.clear(name);
    await user.click(screen.getByRole("button", { name: "Renommer" }));
    expect(screen.getByText("Saisissez le nom.")).toBeTruthy();
    expect(rename).not.toHaveBeenCalled();
    await user.type(name, "note.pdf{Enter}");
    expect((await screen.findByRole("status")).textContent).toBe(typo("« note_interne.pdf » renommé en « note.pdf »."));
    expect(rename).toHaveBeenCalledWith("note_interne.pdf", "note.pdf");
    expect(onrenamed).toHaveBeenCalledWith("note.pdf");
  });

  it("closes by « Fermer » and by Échap", async () => {
    useBackend(createMockBackend());
    const onclose = vi.fn();
    const user = userEvent.setup();
    render(VaultProperties, { entry: file, onclose, onrenamed: async () => {} });
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Fermer" }));
    await user.keyboard("{Escape}");
    expect(onclose).toHaveBeenCalledTimes(2);
  });

  it("saves a description, then tells the screen the entry as the vault keeps it", async () => {
    const backend = createMockBackend();
    useBackend(backend);
    const set = vi.spyOn(backend, "vaultSetProperties");
    const onchanged = vi.fn();
    const user = userEvent.setup();
    render(VaultProperties, { entry: file, onclose: () => {}, onrenamed: async () => {}, onchanged });
    const save = screen.getByRole("button", { name: "Enregistrer les propriétés" });
    expect((save as HTMLButtonElement).disabled).toBe(true);
    await user.type(screen.getByLabelText("Description"), "Dossier Martin{Enter}à relancer");
    expect(screen.getByText("25 / 500 caractères")).toBeTruthy();
    await user.click(save);
    expect((await screen.findByRole("status")).textContent).toBe("Propriétés enregistrées.");
    expect(set).toHaveBeenCalledWith("note_interne.pdf", "Dossier Martin\nà relancer", null);
    expect(onchanged).toHaveBeenCalledWith(expect.objectContaining({ path: "note_interne.pdf", description: "Dossier Martin\nà relancer" }));
    expect((await backend.vaultList("")).find((e) => e.path === "note_interne.pdf")?.description).toBe("Dossier Martin\nà relancer");
  });

  it("sets a retention date and shows it, the description untouched", async () => {
    const backend = createMockBackend();
    useBackend(backend);
    const set = vi.spyOn(backend, "vaultSetProperties");
    const user = userEvent.setup();
    render(VaultProperties, { entry: folder, onclose: () => {}, onrenamed: async () => {} });
    expect(screen.getByRole("dialog").textContent).toContain("Aucune durée de conservation.");
    await user.type(screen.getByLabelText("À conserver jusqu'au"), "31/12/2099{Enter}");
    expect((await screen.findByRole("status")).textContent).toBe(typo("Propriétés enregistrées : conservé jusqu'au 31/12/2099 inclus."));
    expect(set).toHaveBeenCalledWith("Modèles/Lettres", null, "2099-12-31");
    const text = screen.getByRole("dialog").textContent ?? "";
    expect(text).toContain("Conservé jusqu'au jeudi 31/12/2099");
    expect(text).toContain("ni ce dossier ni son contenu");
    // Now retained, the folder is not deleted (the vault's rule, the mock's too).
    await expect(backend.vaultDelete("Modèles/Lettres/lettre_type_relance.odt")).rejects.toMatchObject({ code: "vault.retained" });
  });

  it("shows the vault's refusal, and checks the date and the length before asking it", async () => {
    const backend = createMockBackend();
    useBackend(backend);
    const set = vi.spyOn(backend, "vaultSetProperties");
    const user = userEvent.setup();
    render(VaultProperties, { entry: archive, onclose: () => {}, onrenamed: async () => {} });
    const retain = screen.getByLabelText("À conserver jusqu'au");
    await user.type(retain, "31/02/2050{Enter}");
    expect(document.getElementById("vault-properties-retain-error")?.textContent).toBe(typo("La date « 31/02/2050 » n'existe pas. Vérifiez le jour et le mois."));
    expect(retain.getAttribute("aria-invalid")).toBe("true");
    expect(set).not.toHaveBeenCalled();
    await user.clear(retain);
    await user.type(retain, "01/01/2030{Enter}");
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("jamais raccourcie ni retirée");
    expect(set).toHaveBeenCalledWith(archive.path, null, "2030-01-01");
    await user.clear(retain);
    const description = screen.getByLabelText("Description");
    await user.click(description);
    await user.paste("x".repeat(501));
    expect(screen.getByText("501 / 500 caractères")).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Enregistrer les propriétés" }));
    expect(screen.getByRole("alert").textContent).toBe(typo("La description dépasse 500 caractères : raccourcissez-la."));
    expect(set).toHaveBeenCalledTimes(1);
  });
});
