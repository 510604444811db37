// The whole window on the mock backend: connect, menu, screens, outbox, session history.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import App from "./App.svelte";
import { useBackend } from "./lib/api";
import { createMockBackend } from "./lib/mock";
import { newForm, session as work } from "./lib/services.svelte";
import { openViewer } from "./lib/viewer.svelte";

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
    await user.click(await screen.findByRole("button", { name: "Voir le détail\u00a0: MAREF" }));
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

  it("a service started then left stays reachable from the header until its six steps end", async () => {
    work.services.length = 0;
    newForm();
    const backend = createMockBackend({ stepDelayMs: 40 });
    useBackend(backend);
    const user = userEvent.setup();
    render(App);
    await login(user);
    const menu = await screen.findByRole("navigation", { name: "Menu principal" });
    await user.click(within(menu).getByRole("button", { name: "SIGNIFICATION D'ACTES" }));
    await user.type(await screen.findByLabelText("Référence de dépôt étude"), "REF-QUITTEE");
    await user.type(screen.getByLabelText("Requérant"), "SA CRÉANCIÈRE");
    await user.type(screen.getByLabelText("Valeur recherchée"), "732 829 320 00074");
    await user.click(screen.getByRole("button", { name: "Rechercher" }));
    await user.click(await screen.findByRole("button", { name: /BANQUE TEST/ }));
    await user.selectOptions(await screen.findByLabelText("Nature de l'acte"), "saisie_attribution");
    backend.nextPick = ["/actes/acte1.pdf"];
    await user.click(screen.getByRole("button", { name: "Ajouter" }));
    await user.type(screen.getByLabelText("Code PIN de signature"), "1234");
    await user.click(screen.getByRole("button", { name: "Signifier" }));
    await user.click(await screen.findByRole("button", { name: "Confirmer et signifier" }));
    // Leaves the steps at once: the header counts the running service.
    await user.click(within(menu).getByRole("button", { name: "ACCUEIL" }));
    const badge = await screen.findByRole("button", { name: /Significations en cours\s*:\s*1/ });
    // A running service is never locked away nor logged out of.
    await user.click(screen.getByRole("button", { name: "Déconnexion" }));
    expect((await screen.findByRole("alert")).textContent).toContain("Une signification est en cours");
    await user.click(badge);
    const panel = screen.getByRole("region", { name: "Significations de la session" });
    expect(within(panel).getByText("REF-QUITTEE")).toBeTruthy();
    await user.click(within(panel).getByRole("button", { name: "Voir" }));
    expect(await screen.findByText("Processus de signification")).toBeTruthy();
    expect(await screen.findByText(/Signification déposée le/, {}, { timeout: 3000 })).toBeTruthy();
    await vi.waitFor(() => expect(screen.getByRole("button", { name: /Significations de la session\s*:\s*1/ })).toBeTruthy());
  });

  it("Verrouiller hides everything until the PIN; Déconnexion returns to Connexion with nothing kept", async () => {
    work.services.length = 0;
    newForm();
    const backend = createMockBackend();
    useBackend(backend);
    const user = userEvent.setup();
    render(App);
    await login(user);
    await screen.findByRole("heading", { name: "Tableau de bord" });
    openViewer({ path: "/home/etude/Téléchargements/REF_remise.pdf", url: "asset://localhost/x" }, "Attestation de remise — REF");
    expect(await screen.findByRole("dialog", { name: "Attestation de remise — REF" })).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Verrouiller" }));
    expect(await screen.findByRole("heading", { name: "Fenêtre verrouillée" })).toBeTruthy();
    expect(backend.state.locked).toBe(true);
    expect(screen.queryByRole("navigation", { name: "Menu principal" })).toBeNull();
    expect(screen.queryByRole("heading", { name: "Tableau de bord" })).toBeNull();
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(screen.queryByRole("complementary", { name: "Historique de session" })).toBeNull();
    // Nothing of the outbox (references of waiting acts) either.
    expect(screen.queryByText(/envoi/)).toBeNull();
    await user.type(await screen.findByLabelText("Code PIN"), "1234");
    await user.click(screen.getByRole("button", { name: "Déverrouiller" }));
    expect(await screen.findByRole("navigation", { name: "Menu principal" })).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Déconnexion" }));
    expect(await screen.findByRole("heading", { name: "Connexion au service" })).toBeTruthy();
    expect(backend.state.loggedOut).toBe(true);
    expect(screen.queryByRole("navigation", { name: "Menu principal" })).toBeNull();
  });

  it("Aide explains the screens and shows the log's folder for support", async () => {
    const backend = createMockBackend();
    useBackend(backend);
    const user = userEvent.setup();
    render(App);
    await user.click(screen.getByRole("button", { name: "Aide" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Aide" })).toBeTruthy();
    for (const h of ["Signification d'actes", "Rechercher", "Mon coffre-fort", "Sécurité du poste"]) {
      expect(screen.getByRole("heading", { level: 2, name: h })).toBeTruthy();
    }
    await user.click(screen.getByRole("button", { name: "Afficher le journal" }));
    expect(await screen.findByText(/joignez le fichier sceau.log/)).toBeTruthy();
    expect(backend.state.revealed).toHaveLength(1);
  });

  it("the viewer saves a copy with Enregistrer sous, shows the folder and opens the PDF reader", async () => {
    const backend = createMockBackend();
    useBackend(backend);
    const user = userEvent.setup();
    render(App);
    openViewer({ path: "/home/etude/Téléchargements/REF_remise.pdf", url: "asset://localhost/x" }, "Attestation de remise — REF");
    const dialog = await screen.findByRole("dialog", { name: "Attestation de remise — REF" });
    expect(within(dialog).getByTitle("Contenu de REF_remise.pdf").getAttribute("src")).toBe("asset://localhost/x");
    backend.nextSaveAs = "/home/etude/Dossiers/DUPONT/REF_remise.pdf";
    await user.click(within(dialog).getByRole("button", { name: "Enregistrer sous…" }));
    expect(await within(dialog).findByText(/Copie enregistrée : \/home\/etude\/Dossiers\/DUPONT\/REF_remise.pdf/)).toBeTruthy();
    expect(backend.state.saved).toEqual([{ from: "/home/etude/Téléchargements/REF_remise.pdf", to: "/home/etude/Dossiers/DUPONT/REF_remise.pdf" }]);
    // Cancelled: nothing said, nothing copied.
    await user.click(within(dialog).getByRole("button", { name: "Enregistrer sous…" }));
    expect(backend.state.saved).toHaveLength(1);
    await user.click(within(dialog).getByRole("button", { name: "Afficher dans le dossier" }));
    expect(backend.state.revealed).toEqual(["/home/etude/Téléchargements/REF_remise.pdf"]);
    await user.click(within(dialog).getByRole("button", { name: /Ouvrir dans le lecteur PDF/ }));
    expect(backend.state.opened).toEqual(["/home/etude/Téléchargements/REF_remise.pdf"]);
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).toBeNull();
  });
});
