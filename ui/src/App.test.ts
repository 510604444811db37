// The whole window on the mock backend: connect, menu, screens, outbox, session history.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import App from "./App.svelte";
import { useBackend } from "./lib/api";
import { createMockBackend } from "./lib/mock";

async function login(user: ReturnType<typeof userEvent.setup>) {
  await user.type(await screen.findByLabelText("Code PIN"), "1234");
  await user.click(screen.getByRole("button", { name: "Se connecter" }));
}

describe("App", () => {
  it("only Connexion and Paramètres before login; the manual's menu after", async () => {
    useBackend(createMockBackend({ now: () => new Date("2013-09-17T13:11:38Z") }));
    const user = userEvent.setup();
    render(App);
    expect(screen.queryByRole("navigation", { name: "Menu principal" })).toBeNull();
    await login(user);
    const menu = await screen.findByRole("navigation", { name: "Menu principal" });
    expect(within(menu).getAllByRole("button").map((b) => b.textContent)).toEqual([
      "ACCUEIL",
      "SIGNIFICATION D'ACTES",
      "SIGNIFICATIONS EDI",
      "RECHERCHER",
      "MON COFFRE-FORT",
    ]);
    expect(await screen.findByRole("heading", { name: "Tableau de bord" })).toBeTruthy();
    const log = screen.getByRole("complementary", { name: "Historique de session" });
    expect(await within(log).findByText("15:11:38")).toBeTruthy();
    expect(within(log).getByText(/Connexion au service/)).toBeTruthy();
    for (const [item, heading] of [
      ["SIGNIFICATION D'ACTES", "Formulaire de signification par voie électronique"],
      ["SIGNIFICATIONS EDI", "Significations EDI"],
      ["RECHERCHER", "Rechercher une signification"],
      ["MON COFFRE-FORT", "Mon coffre-fort"],
      ["ACCUEIL", "Tableau de bord"],
    ] as const) {
      await user.click(within(menu).getByRole("button", { name: item }));
      expect(await screen.findByRole("heading", { level: 1, name: heading })).toBeTruthy();
      expect(within(menu).getByRole("button", { name: item }).getAttribute("aria-current")).toBe("page");
      expect(document.activeElement?.tagName).toBe("MAIN");
    }
  });

  it("a first connection goes through the certificate declaration", async () => {
    useBackend(createMockBackend({ firstConnection: true }));
    const user = userEvent.setup();
    render(App);
    await login(user);
    expect(await screen.findByRole("heading", { name: "Déclaration de votre certificat" })).toBeTruthy();
    expect(screen.queryByRole("navigation", { name: "Menu principal" })).toBeNull();
  });

  it("the outbox and offline state stay visible and send when back online", async () => {
    const backend = createMockBackend({ offline: true });
    useBackend(backend);
    const user = userEvent.setup();
    render(App);
    // Before the connection the vault's state is unknown: "Non connecté", not "Hors ligne".
    expect(await screen.findByText("● Non connecté")).toBeTruthy();
    expect(screen.queryByText("● Hors ligne")).toBeNull();
    await login(user);
    expect(await screen.findByText("● Hors ligne")).toBeTruthy();
    backend.state.outbox.push({ id: "o1", reference: "REF_HORS_LIGNE", recipient: "BANQUE TEST", state: "prepared", prepared_at: "2013-09-17T12:00:00Z", last_error: null });
    backend.setOnline(false);
    await user.click(await screen.findByRole("button", { name: "1 envoi en attente" }));
    expect(screen.getByText("REF_HORS_LIGNE")).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Envoyer maintenant" }));
    expect(await screen.findByText(/Le coffre-fort est injoignable\. Vérifiez votre connexion/)).toBeTruthy();
    backend.setOnline(true);
    expect(await screen.findByText("● En ligne")).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Envoyer maintenant" }));
    expect(await screen.findByRole("button", { name: "Aucun envoi en attente" })).toBeTruthy();
  });

  it("the magnifier of the dashboard opens the detail, and Retour comes back", async () => {
    useBackend(createMockBackend({ services: 40 }));
    const user = userEvent.setup();
    render(App);
    await login(user);
    await user.click(await screen.findByRole("button", { name: /remises à personne/ }));
    await user.click(await screen.findByRole("button", { name: "Voir le détail : MAREF" }));
    expect(await screen.findByRole("heading", { name: "Détail d'un acte signifié" })).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Retour" }));
    expect(await screen.findByRole("heading", { name: "Tableau de bord" })).toBeTruthy();
    // The detail marked MAREF seen: 13 left.
    expect(await screen.findByRole("button", { name: /^13 Significations considérées comme remises à personne/ })).toBeTruthy();
  });

  it("notifies new deliveries and returns on the desktop", async () => {
    const backend = createMockBackend({ services: 40 });
    useBackend(backend);
    const user = userEvent.setup();
    render(App);
    await login(user);
    await screen.findByRole("button", { name: /^13 Significations en attente de consultation/ });
    const r = await backend.signify(
      { reference: "NOUVEAU", requerant: "SA CRÉANCIÈRE", recipient_id: "r-banque-test", nature: "saisie_attribution", documents: ["/a.pdf"], signature_certificate: "281809", authentication_certificate: "281808", pin: "1234", confirm_final_try: false, judge_permission: null, schedule_at_next_opening: false },
      () => {},
    );
    await screen.findByRole("button", { name: /^14 Significations en attente de consultation/ });
    expect(backend.state.notifications).toEqual([]);
    await backend.deliver(r.service_id, "in_person", true);
    await screen.findByRole("button", { name: /^15 Significations considérées comme remises à personne/ });
    expect(backend.state.notifications).toEqual([
      { title: "Significations remises à personne", body: "1 nouvelle signification remise à personne : le destinataire a consulté l'acte." },
      { title: "Retours d'acte", body: "1 nouveau retour d'acte en attente de consultation." },
    ]);
  });

  it("shows nothing in English: every visible button and heading is French", async () => {
    useBackend(createMockBackend());
    const user = userEvent.setup();
    render(App);
    await login(user);
    await screen.findByRole("heading", { name: "Tableau de bord" });
    const text = document.body.textContent ?? "";
    for (const english of ["Loading", "Search", "Cancel", "Delete", "Error", "Submit", "Next", "Previous"]) {
      expect(text.includes(english), english).toBe(false);
    }
  });
});
