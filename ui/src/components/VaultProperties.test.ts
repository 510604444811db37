import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { useBackend } from "../lib/api";
import { typo } from "../lib/french";
import { createMockBackend } from "../lib/mock";
import VaultProperties from "./VaultProperties.svelte";

const folder = { path: "Modèles/Lettres", is_folder: true, size: 0, modified: "2013-09-18T08:11:00Z", retained_until: null };
const file = { path: "note_interne.pdf", is_folder: false, size: 27_852, modified: "2011-06-15T13:56:00Z", retained_until: null };

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
});
