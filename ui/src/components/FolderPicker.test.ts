import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { useBackend } from "../lib/api";
import { typo } from "../lib/french";
import { createMockBackend } from "../lib/mock";
import FolderPicker from "./FolderPicker.svelte";

function showPicker(moving: string[], from: string) {
  useBackend(createMockBackend());
  const onpick = vi.fn(async () => {});
  const oncancel = vi.fn();
  render(FolderPicker, { moving, from, onpick, oncancel });
  return { onpick, oncancel, user: userEvent.setup(), dialog: screen.getByRole("dialog") };
}

const here = (dialog: HTMLElement) => within(dialog).getByRole("button", { name: "Déplacer ici" }) as HTMLButtonElement;

describe("FolderPicker", () => {
  it("lists only folders, opens them, goes back up, and picks the folder shown", async () => {
    const { dialog, onpick, user } = showPicker(["note_interne.pdf"], "");
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    await within(dialog).findByRole("button", { name: "Archives" });
    expect(within(dialog).getAllByRole("listitem").map((li) => li.textContent?.trim())).toEqual(["Archives", "Courriers", "Modèles"]);
    await user.click(within(dialog).getByRole("button", { name: "Modèles" }));
    await user.click(await within(dialog).findByRole("button", { name: "Lettres" }));
    await within(dialog).findByText("Aucun sous-dossier ici.");
    await user.click(within(dialog).getByRole("button", { name: "Dossier parent" }));
    await within(dialog).findByRole("button", { name: "Lettres" });
    expect(within(dialog).getByRole("navigation").textContent).toContain("Modèles");
    await user.click(here(dialog));
    expect(onpick).toHaveBeenCalledWith("Modèles");
  });

  it("never offers a moved folder, or what lies inside it, as the destination", async () => {
    const { dialog, onpick, user } = showPicker(["Modèles", "note_interne.pdf"], "");
    const why = typo("Le dossier « Modèles » ne peut pas être déplacé dans lui-même ni dans l'un de ses sous-dossiers. Choisissez un autre dossier.");
    await user.click(await within(dialog).findByRole("button", { name: /Modèles/ }));
    await within(dialog).findByRole("button", { name: "Lettres" });
    expect(here(dialog).disabled).toBe(true);
    expect(dialog.textContent).toContain(why);
    await user.click(within(dialog).getByRole("button", { name: "Lettres" }));
    await within(dialog).findByText("Aucun sous-dossier ici.");
    expect(here(dialog).disabled).toBe(true);
    await user.click(here(dialog));
    expect(onpick).not.toHaveBeenCalled();
  });

  it("does not offer the folder the entries are already in", async () => {
    const { dialog } = showPicker(["Archives/BANQUE_TEST__MAREF_20130724_142524.zip"], "Archives");
    await within(dialog).findByText("Aucun sous-dossier ici.");
    expect(here(dialog).disabled).toBe(true);
    expect(dialog.textContent).toContain(typo("« BANQUE_TEST__MAREF_20130724_142524.zip » est déjà dans ce dossier."));
  });

  it("creates a new folder where it stands and opens it, ready for « Déplacer ici »", async () => {
    const { dialog, onpick, user } = showPicker(["note_interne.pdf"], "");
    await within(dialog).findByRole("button", { name: "Archives" });
    await user.click(within(dialog).getByRole("button", { name: "Nouveau dossier ici" }));
    const name = within(dialog).getByLabelText("Nom du nouveau dossier");
    expect(document.activeElement).toBe(name);
    await user.type(name, "Archives{Enter}");
    expect(await within(dialog).findByText("Un élément nommé « Archives » existe déjà ici. Choisissez un autre nom.")).toBeTruthy();
    await user.clear(name);
    await user.type(name, "Clients 2026{Enter}");
    await within(dialog).findByText("Aucun sous-dossier ici.");
    expect(within(dialog).getByRole("navigation").textContent).toContain("Clients 2026");
    await user.click(here(dialog));
    expect(onpick).toHaveBeenCalledWith("Clients 2026");
  });

  it("cancels by « Annuler » and by Échap", async () => {
    const { dialog, oncancel, user } = showPicker(["note_interne.pdf"], "");
    await user.click(within(dialog).getByRole("button", { name: "Annuler" }));
    await user.keyboard("{Escape}");
    expect(oncancel).toHaveBeenCalledTimes(2);
  });
});
