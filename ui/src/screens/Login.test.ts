import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { useBackend } from "../lib/api";
import { createMockBackend } from "../lib/mock";
import FirstConnection from "./FirstConnection.svelte";
import Login from "./Login.svelte";

describe("Connexion", () => {
  it("says clearly when the PKCS#11 module is missing", async () => {
    useBackend(createMockBackend({ moduleMissing: true }));
    const onsettings = vi.fn();
    render(Login, { onconnected: () => {}, onsettings });
    expect((await screen.findByRole("alert")).textContent).toContain("module PKCS#11) est introuvable");
    await userEvent.setup().click(screen.getByRole("button", { name: "Ouvrir les paramètres" }));
    expect(onsettings).toHaveBeenCalled();
  });

  it("says clearly when no key is plugged, and detects again", async () => {
    const backend = createMockBackend({ noToken: true });
    const spy = vi.spyOn(backend, "tokenStatus");
    useBackend(backend);
    render(Login, { onconnected: () => {}, onsettings: () => {} });
    expect((await screen.findByRole("alert")).textContent).toContain("Aucune clé n'est branchée");
    await userEvent.setup().click(screen.getByRole("button", { name: "Détecter à nouveau" }));
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it("never offers the CA certificate a key may hold for the login", async () => {
    const backend = createMockBackend({ caCertificateOnKey: true });
    const spy = vi.spyOn(backend, "connect");
    useBackend(backend);
    const user = userEvent.setup();
    render(Login, { onconnected: () => {}, onsettings: () => {} });
    const radio = (await screen.findByRole("radio", { name: /XXXTEST JEREMY/ })) as HTMLInputElement;
    expect(radio.checked).toBe(true);
    expect(screen.getAllByRole("radio")).toHaveLength(1);
    await user.type(screen.getByLabelText("Code PIN"), "1234");
    await user.click(screen.getByRole("button", { name: "Se connecter" }));
    expect(spy.mock.calls[0]?.[0].certificate_serial).toBe("281808");
  });

  it("offers the authentication certificate, refuses an empty PIN, connects", async () => {
    useBackend(createMockBackend());
    const onconnected = vi.fn();
    const user = userEvent.setup();
    render(Login, { onconnected, onsettings: () => {} });
    const radio = (await screen.findByRole("radio", { name: /XXXTEST JEREMY/ })) as HTMLInputElement;
    expect(radio.checked).toBe(true);
    expect(screen.getAllByRole("radio")).toHaveLength(1); // the signature certificate is not offered for login
    expect(screen.getByText(/valide du 05\/10\/2011 au 05\/10\/2031/)).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Se connecter" }));
    expect(screen.getByRole("alert").textContent).toBe("Saisissez le code PIN de votre clé.");
    await user.type(screen.getByLabelText("Code PIN"), "1234");
    await user.click(screen.getByRole("button", { name: "Se connecter" }));
    await vi.waitFor(() => expect(onconnected).toHaveBeenCalled());
    expect(onconnected.mock.calls[0]?.[0]).toMatchObject({ office: { number: "9991" } });
  });

  it("a wrong PIN shows the tries left; the final try needs a confirmation", async () => {
    const backend = createMockBackend({ pinTries: 3 });
    useBackend(backend);
    const user = userEvent.setup();
    const onconnected = vi.fn();
    render(Login, { onconnected, onsettings: () => {} });
    const pin = (await screen.findByLabelText("Code PIN")) as HTMLInputElement;
    await user.type(pin, "0000");
    await user.click(screen.getByRole("button", { name: "Se connecter" }));
    expect(await screen.findByText(/Code PIN erroné\. Il reste 2 essais avant le blocage/)).toBeTruthy();
    expect(await screen.findByText("Essais restants : 2")).toBeTruthy();
    expect(pin.value).toBe("");
    await user.type(pin, "9999");
    await user.click(screen.getByRole("button", { name: "Se connecter" }));
    expect(await screen.findByText(/il ne reste qu'un seul essai/)).toBeTruthy();
    // Final try: refused on screen until confirmed; the backend is not called.
    await user.type(pin, "1234");
    await user.click(screen.getByRole("button", { name: "Se connecter" }));
    expect(screen.getByText("Cochez la confirmation avant d'utiliser le dernier essai.")).toBeTruthy();
    expect(backend.state.pinTriesLeft).toBe(1);
    await user.click(screen.getByRole("checkbox", { name: /dernier essai/ }));
    await user.click(screen.getByRole("button", { name: "Se connecter" }));
    await vi.waitFor(() => expect(onconnected).toHaveBeenCalled());
  });
});

describe("Première connexion", () => {
  it("shows the certificate declaration and binds on confirmation", async () => {
    const backend = createMockBackend({ firstConnection: true });
    useBackend(backend);
    const session = await backend.connect({ token_serial: "t", certificate_serial: "281808", pin: "1234", confirm_final_try: false });
    expect(session.office).toBeNull();
    const onbound = vi.fn();
    const user = userEvent.setup();
    render(FirstConnection, { session, onbound });
    for (const text of ["281808", "XXXTEST JEREMY", "HUISSIER", "AC Certeurope Classe 3Plus v2", "Valide du 05/10/2011 au 05/10/2031"]) {
      expect(screen.getByText(text)).toBeTruthy();
    }
    await user.click(screen.getByRole("button", { name: "Confirmer la déclaration" }));
    expect(screen.getAllByRole("alert").map((a) => a.textContent)).toEqual([
      "Le numéro d'étude comporte 4 chiffres (par exemple 9991). Corrigez-le.",
      "Saisissez le nom de votre étude.",
      "Cochez la case pour confirmer que les informations du certificat sont exactes.",
    ]);
    await user.type(screen.getByLabelText("Numéro d'étude"), "9991");
    await user.type(screen.getByLabelText("Nom de l'étude"), "Étude Test");
    await user.click(screen.getByRole("checkbox"));
    await user.click(screen.getByRole("button", { name: "Confirmer la déclaration" }));
    await vi.waitFor(() => expect(onbound).toHaveBeenCalled());
    expect(backend.state.bound).toBe(true);
  });
});
