import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { useBackend } from "../lib/api";
import { createMockBackend } from "../lib/mock";
import { ui } from "../lib/ui.svelte";
import Settings from "./Settings.svelte";

describe("Paramètres", () => {
  it("refuses a vault address that is not https", async () => {
    const backend = createMockBackend();
    useBackend(backend);
    const user = userEvent.setup();
    render(Settings);
    const url = await screen.findByLabelText("Adresse du coffre-fort");
    await user.clear(url);
    await user.type(url, "http://coffre.example");
    await user.click(screen.getByRole("button", { name: "Enregistrer" }));
    expect(screen.getByRole("alert").textContent).toBe("L'adresse du coffre-fort doit commencer par https:// (connexion chiffrée obligatoire).");
    await user.clear(url);
    await user.type(url, "coffre");
    await user.click(screen.getByRole("button", { name: "Enregistrer" }));
    expect(screen.getByRole("alert").textContent).toContain("n'est pas valide");
    expect(backend.state.settings.vault_url).toBe("https://coffre.sceau.example");
  });

  it("saves the module, the date style and the Alsace-Moselle calendar", async () => {
    const backend = createMockBackend();
    useBackend(backend);
    const user = userEvent.setup();
    render(Settings);
    await user.type(await screen.findByLabelText("Module PKCS#11 de la clé"), "/usr/lib/libeToken.so");
    await user.selectOptions(screen.getByLabelText("Écriture des dates"), "long");
    await user.click(screen.getByRole("checkbox", { name: /Alsace-Moselle/ }));
    const lock = screen.getByLabelText(/Verrouillage automatique après/);
    await user.clear(lock);
    await user.type(lock, "2000");
    await user.click(screen.getByRole("button", { name: "Enregistrer" }));
    expect((await screen.findByRole("alert")).textContent).toContain("entre 0 (jamais) et 1440 minutes");
    expect(backend.state.settings.lock_after_min).toBe(10);
    await user.clear(lock);
    await user.type(lock, "5");
    await user.click(screen.getByRole("button", { name: "Enregistrer" }));
    expect(await screen.findByText("Paramètres enregistrés.")).toBeTruthy();
    expect(backend.state.settings).toEqual({
      pkcs11_module: "/usr/lib/libeToken.so",
      vault_url: "https://coffre.sceau.example",
      date_style: "long",
      alsace_moselle: true,
      lock_after_min: 5,
    });
    expect(ui.dateStyle).toBe("long");
    expect(ui.lockAfterMin).toBe(5);
    ui.lockAfterMin = 10;
    ui.dateStyle = "numeric";
  });
});
