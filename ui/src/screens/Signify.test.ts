import { cleanup, fireEvent, render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { useBackend } from "../lib/api";
import { createMockBackend, MOCK_NIR, type MockBackend, type MockOptions } from "../lib/mock";
import { newForm, session } from "../lib/services.svelte";
import Signify from "./Signify.svelte";

function setup(opts: MockOptions = {}) {
  const backend = createMockBackend(opts);
  useBackend(backend);
  session.services.length = 0;
  session.last = null;
  newForm();
  const onopen = vi.fn();
  const user = userEvent.setup();
  render(Signify, { onopen });
  return { backend, onopen, user };
}

async function pickBanqueTest(user: ReturnType<typeof userEvent.setup>) {
  await user.type(screen.getByLabelText("Valeur recherchée"), "732 829 320 00074");
  await user.click(screen.getByRole("button", { name: "Rechercher" }));
  await user.click(await screen.findByRole("button", { name: "BANQUE TEST (SIRET : 73282932000074)" }));
}

async function fillAll(backend: MockBackend, user: ReturnType<typeof userEvent.setup>, documents = ["/actes/acte1.pdf", "/actes/acte2.docx"]) {
  await user.type(screen.getByLabelText("Référence de dépôt étude"), "TEST_MODALITE_REMISE_1");
  await user.type(screen.getByLabelText("Requérant"), "SA CRÉANCIÈRE");
  await pickBanqueTest(user);
  await user.selectOptions(await screen.findByLabelText("Nature de l'acte"), "saisie_attribution");
  backend.nextPick = documents;
  await user.click(screen.getByRole("button", { name: "Ajouter" }));
  await screen.findByText("acte1.pdf");
  await user.type(screen.getByLabelText("Code PIN de signature"), "1234");
}

/** "Signifier", then "Confirmer et signifier" in the recap. */
async function signify(user: ReturnType<typeof userEvent.setup>) {
  await user.click(screen.getByRole("button", { name: "Signifier" }));
  await user.click(await screen.findByRole("button", { name: "Confirmer et signifier" }));
}

const NB = "\u00a0";

describe("Signification", () => {
  it("lists everything missing when Signifier is pressed on an empty form", async () => {
    const { user } = setup();
    await screen.findByRole("option", { name: "Saisie attribution" });
    await user.click(screen.getByRole("button", { name: "Signifier" }));
    const box = screen.getByText(/La signification ne peut pas être lancée \(\d+ points à corriger\)/).closest("[role=alert]") as HTMLElement;
    // The summary takes the focus, and each line is a link to its field.
    expect(document.activeElement).toBe(box);
    const items = within(box).getAllByRole("listitem").map((li) => li.textContent);
    expect(items[0]).toBe("Saisissez votre référence de dépôt : elle est obligatoire et figure dans le nom des fichiers.");
    expect(items).toContain("Sélectionnez la nature de l'acte à signifier.");
    expect(items).toContain("Saisissez le code PIN de votre clé.");
    const link = within(box).getByRole("link", { name: /Saisissez votre référence de dépôt/ });
    expect(link.getAttribute("href")).toBe("#sig-reference");
    await user.click(link);
    await vi.waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText("Référence de dépôt étude")));
    // The field says it too, and both follow the field as it is fixed.
    expect(screen.getByLabelText("Référence de dépôt étude").getAttribute("aria-invalid")).toBe("true");
    const before = items.length;
    await user.type(screen.getByLabelText("Référence de dépôt étude"), "REF-1");
    const after = within(box).getAllByRole("listitem").map((li) => li.textContent);
    expect(after).toHaveLength(before - 1);
    expect(after.some((t) => t?.includes("référence de dépôt"))).toBe(false);
    expect(screen.getByLabelText("Référence de dépôt étude").getAttribute("aria-invalid")).toBeNull();
  });

  it("checks the SIRET (Luhn) and the NIR (key) before searching, then shows the recipient card", async () => {
    const { user } = setup();
    const field = screen.getByLabelText("Valeur recherchée");
    await user.type(field, "73282932000075");
    await user.click(screen.getByRole("button", { name: "Rechercher" }));
    expect(screen.getByRole("alert").textContent).toBe(
      "Le numéro SIRET saisi n'est pas valide : la clé de contrôle ne correspond pas. Vérifiez qu'aucun chiffre n'a été inversé ou mal recopié.",
    );
    await user.click(screen.getByRole("radio", { name: "Insee" }));
    await user.clear(field);
    await user.type(field, MOCK_NIR.slice(0, 13) + "00");
    await user.click(screen.getByRole("button", { name: "Rechercher" }));
    expect(screen.getByRole("alert").textContent).toContain("Le numéro INSEE (NIR) saisi n'est pas valide : la clé 00");
    await user.clear(field);
    await user.type(field, MOCK_NIR);
    await user.click(screen.getByRole("button", { name: "Rechercher" }));
    await user.click(await screen.findByRole("button", { name: /DUPONT MARIE \(N° INSEE : 2 84 \*\* \*\* \*\*\* \*\*\* 87\)/ }));
    const card = screen.getByLabelText("Destinataire sélectionné");
    expect(card.textContent).toContain("marie.dupont@courriel.example");
    expect(card.textContent).toContain("06 12 34 56 78");
    expect(card.textContent).not.toContain(MOCK_NIR);
    await user.click(within(card).getByRole("button", { name: "Modifier" }));
    expect(screen.getByLabelText("Valeur recherchée")).toBeTruthy();
  });

  it("searches by name with results to pick", async () => {
    const { user } = setup();
    await user.click(screen.getByRole("radio", { name: "Nom" }));
    await user.type(screen.getByLabelText("Valeur recherchée"), "b");
    await user.click(screen.getByRole("button", { name: "Rechercher" }));
    expect(screen.getByRole("alert").textContent).toBe("Saisissez au moins 2 lettres du nom du destinataire.");
    await user.type(screen.getByLabelText("Valeur recherchée"), "anque");
    await user.click(screen.getByRole("button", { name: "Rechercher" }));
    expect(await screen.findByText("1-1 sur 1")).toBeTruthy();
  });

  it("shows the manual's message when the recipient does not receive this nature now", async () => {
    const { user } = setup();
    await pickBanqueTest(user);
    await user.selectOptions(await screen.findByLabelText("Nature de l'acte"), "saisie_vente");
    const msg = await screen.findByTestId("reception-closed");
    expect(msg.textContent).toContain(
      "Vous ne pouvez actuellement transmettre de signification, aujourd'hui le destinataire ne reçoit que ce type d'acte selon les horaires suivants : de 08h00 à 12h00.",
    );
    expect(msg.textContent).toContain(`Prochaine ouverture : lundi 23/11/2026 à 8${NB}h${NB}00.`);
    await user.selectOptions(screen.getByLabelText("Nature de l'acte"), "saisie_attribution");
    await vi.waitFor(() => expect(screen.queryByTestId("reception-closed")).toBeNull());
  });

  it("outside legal hours, serves with a judge's permission reference", async () => {
    const { backend, user } = setup({ outsideLegalHours: true });
    await fillAll(backend, user);
    expect((await screen.findByTestId("reception-closed")).textContent).toContain("article 664 du code de procédure civile");
    await user.click(screen.getByRole("button", { name: "Signifier" }));
    expect(screen.getAllByText(/saisissez la référence de l'autorisation du juge/).length).toBeGreaterThan(0);
    expect(backend.state.lastSignify).toBeNull();
    await user.type(screen.getByLabelText("Référence de l'autorisation du juge (facultatif)"), "Ordonnance RG 26/01234");
    await signify(user);
    expect(await screen.findByText(/Signification déposée le/)).toBeTruthy();
    expect(backend.state.lastSignify?.judge_permission).toBe("Ordonnance RG 26/01234");
  });

  it("overseas, the next opening is written in the recipient's local time with its zone named", async () => {
    const { backend, user } = setup({ outsideLegalHours: true, overseas: true });
    await fillAll(backend, user);
    const msg = await screen.findByTestId("reception-closed");
    expect(msg.textContent).toContain(`Prochaine ouverture : lundi 23/11/2026 à 6${NB}h${NB}00, heure de Martinique (America/Martinique).`);
  });

  it("outside the recipient's window, prepares now and schedules the deposit", async () => {
    const { backend, user } = setup();
    await fillAll(backend, user);
    await user.selectOptions(screen.getByLabelText("Nature de l'acte"), "saisie_vente");
    await user.click(await screen.findByRole("checkbox", { name: /déposer à la prochaine ouverture \(lundi 23\/11\/2026 à 8.h.00\)/ }));
    await user.click(screen.getByRole("button", { name: "Signifier" }));
    expect((await screen.findByText(/à la prochaine ouverture du destinataire \(l'acte est converti/)).textContent).toContain("lundi 23/11/2026");
    await user.click(screen.getByRole("button", { name: "Confirmer et signifier" }));
    expect(await screen.findByText(/sera déposé à la prochaine ouverture du destinataire/)).toBeTruthy();
    expect(backend.state.lastSignify?.schedule_at_next_opening).toBe(true);
    const steps = Array.from(document.querySelectorAll("li[data-step]")).map((li) => li.getAttribute("data-status"));
    expect(steps).toEqual(["done", "done", "queued", "pending", "pending", "pending"]);
    expect(backend.state.outbox).toHaveLength(1);
  });

  it("adds acts by the dialog and by drag-and-drop, refuses other types, removes", async () => {
    const { backend, user } = setup();
    backend.nextPick = ["/actes/acte1.pdf", "/actes/tableau.xls"];
    await user.click(screen.getByRole("button", { name: "Ajouter" }));
    expect(await screen.findByText("acte1.pdf")).toBeTruthy();
    expect(screen.getByRole("alert").textContent).toContain("Le fichier « tableau.xls » ne peut pas être signifié");
    // Dropped on the window (Tauri reports paths).
    backend.dropFiles(["C:\\Actes\\acte2.odt"]);
    expect(await screen.findByText("acte2.odt")).toBeTruthy();
    // Dropped in a plain browser (File objects).
    const zone = screen.getByRole("region", { name: /Zone de dépôt/ });
    await fireEvent.drop(zone, { dataTransfer: { files: [new File(["x"], "acte3.docx"), new File(["x"], "photo.png")] } });
    expect(await screen.findByText("acte3.docx")).toBeTruthy();
    expect(screen.getByRole("alert").textContent).toContain("« photo.png »");
    await user.click(screen.getByRole("checkbox", { name: "acte1.pdf" }));
    await user.click(screen.getByRole("button", { name: "Supprimer" }));
    expect(screen.queryByText("acte1.pdf")).toBeNull();
    expect(screen.getByText("acte2.odt")).toBeTruthy();
  });

  it("Signifier runs the six steps live and reports the deposit", async () => {
    const { backend, user, onopen } = setup({ now: () => new Date("2013-09-17T12:52:03Z") });
    await fillAll(backend, user);
    await signify(user);
    expect(await screen.findByText(/Signification déposée le 17\/09\/2013 14:52:03/)).toBeTruthy();
    const steps = Array.from(document.querySelectorAll("li[data-step]")).map((li) => li.getAttribute("data-status"));
    expect(steps).toEqual(["done", "done", "done", "done", "done", "done"]);
    expect(backend.state.lastSignify).toMatchObject({
      reference: "TEST_MODALITE_REMISE_1",
      recipient_id: "r-banque-test",
      nature: "saisie_attribution",
      documents: ["/actes/acte1.pdf", "/actes/acte2.docx"],
      signature_certificate: "281809",
      authentication_certificate: "281808",
    });
    await user.click(screen.getByRole("button", { name: "Voir le détail" }));
    expect(onopen).toHaveBeenCalledWith("n1");
  });

  it("shows the failed step with its reason", async () => {
    const { backend, user } = setup({ failAt: { step: 1, reason: "Le document acte2.docx est protégé par un mot de passe : retirez la protection puis recommencez." } });
    await fillAll(backend, user);
    await signify(user);
    await screen.findByRole("button", { name: "Revenir au formulaire" });
    const steps = Array.from(document.querySelectorAll("li[data-step]")).map((li) => li.getAttribute("data-status"));
    expect(steps).toEqual(["failed", "pending", "pending", "pending", "pending", "pending"]);
    expect(screen.getAllByText(/est protégé par un mot de passe/).length).toBeGreaterThan(0);
  });

  it("offline: the signed act waits in the outbox", async () => {
    const { backend, user } = setup({ offline: true });
    await fillAll(backend, user);
    await signify(user);
    expect(await screen.findByText(/il attend dans la file d'envoi/)).toBeTruthy();
    const steps = Array.from(document.querySelectorAll("li[data-step]")).map((li) => li.getAttribute("data-status"));
    expect(steps).toEqual(["done", "done", "queued", "pending", "pending", "pending"]);
    expect(backend.state.outbox).toHaveLength(1);
  });

  it("a wrong signature PIN fails with the tries left and the PIN is cleared", async () => {
    const { backend, user } = setup();
    await fillAll(backend, user);
    await user.clear(screen.getByLabelText("Code PIN de signature"));
    await user.type(screen.getByLabelText("Code PIN de signature"), "0000");
    await signify(user);
    expect(await screen.findByText(/Code PIN erroné\. Il reste 2 essais/)).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Revenir au formulaire" }));
    expect((screen.getByLabelText("Code PIN de signature") as HTMLInputElement).value).toBe("");
  });

  it("previews the converted acts before the deposit when asked", async () => {
    const { backend, user } = setup();
    await fillAll(backend, user);
    await user.click(screen.getByRole("checkbox", { name: /visualisation des actes/ }));
    await user.click(screen.getByRole("button", { name: "Signifier" }));
    expect(await screen.findByTitle("Aperçu de acte1.pdf")).toBeTruthy();
    await user.click(screen.getByRole("tab", { name: "acte2.pdf" }));
    expect(screen.getByTitle("Aperçu de acte2.pdf")).toBeTruthy();
    expect(backend.state.lastSignify).toBeNull();
    await user.click(screen.getByRole("button", { name: "Confirmer et signifier" }));
    expect(await screen.findByText(/Signification déposée le/)).toBeTruthy();
  });

  it("shows a recap to confirm before the irreversible Signifier; Modifier goes back and sends nothing", async () => {
    const { backend, user } = setup();
    await fillAll(backend, user);
    await user.click(screen.getByRole("button", { name: "Signifier" }));
    const recap = await screen.findByRole("dialog", { name: "Récapitulatif avant signification" });
    const text = recap.textContent ?? "";
    for (const part of ["TEST_MODALITE_REMISE_1", "SA CRÉANCIÈRE", "BANQUE TEST", "SIRET 73282932000074", "Saisie attribution", "acte1.pdf", "3 pages", "acte2.docx", "pages comptées après conversion", "XXXTEST JEREMY", "281809", "Dès la confirmation"]) {
      expect(text, part).toContain(part);
    }
    expect(text).toMatch(/\d+,\d\d Ko/);
    expect(document.activeElement).toBe(within(recap).getByRole("button", { name: "Confirmer et signifier" }));
    await user.click(within(recap).getByRole("button", { name: "Modifier" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(backend.state.lastSignify).toBeNull();
    expect((screen.getByLabelText("Référence de dépôt étude") as HTMLInputElement).value).toBe("TEST_MODALITE_REMISE_1");
  });

  it("Nouvelle signification keeps nothing silently: the last requérant and nature are offered, not applied", async () => {
    const { backend, user } = setup();
    await fillAll(backend, user);
    await signify(user);
    await screen.findByText(/Signification déposée le/);
    await user.click(screen.getByRole("button", { name: "Nouvelle signification" }));
    expect((screen.getByLabelText("Requérant") as HTMLInputElement).value).toBe("");
    expect((screen.getByLabelText("Référence de dépôt étude") as HTMLInputElement).value).toBe("");
    expect((screen.getByLabelText("Nature de l'acte") as HTMLSelectElement).value).toBe("");
    await vi.waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText("Référence de dépôt étude")));
    await user.click(screen.getByRole("button", { name: /Même requérant que l'acte précédent : « SA CRÉANCIÈRE »/ }));
    expect((screen.getByLabelText("Requérant") as HTMLInputElement).value).toBe("SA CRÉANCIÈRE");
    await user.click(screen.getByRole("button", { name: /Même nature que l'acte précédent : « Saisie attribution »/ }));
    expect((screen.getByLabelText("Nature de l'acte") as HTMLSelectElement).value).toBe("saisie_attribution");
    expect(screen.queryByRole("button", { name: /Même requérant/ })).toBeNull();
  });

  it("a service goes on when the screen is left and its steps are there on return; the draft too", async () => {
    const { backend, user } = setup({ stepDelayMs: 30 });
    await fillAll(backend, user);
    await signify(user);
    await screen.findByText("Processus de signification");
    cleanup();
    // Meanwhile, on another screen, the service finishes.
    await vi.waitFor(() => expect(session.services[0]?.result?.state).toBe("deposited"), { timeout: 3000 });
    render(Signify, { onopen: vi.fn() });
    expect(await screen.findByText(/Signification déposée le/)).toBeTruthy();
    expect(document.querySelector("[data-reference=TEST_MODALITE_REMISE_1]")).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Nouvelle signification" }));
    // A half-filled form survives leaving the screen (never the PIN).
    await user.type(screen.getByLabelText("Référence de dépôt étude"), "REF-BROUILLON");
    await user.type(screen.getByLabelText("Code PIN de signature"), "1234");
    cleanup();
    render(Signify, { onopen: vi.fn() });
    expect((screen.getByLabelText("Référence de dépôt étude") as HTMLInputElement).value).toBe("REF-BROUILLON");
    expect((screen.getByLabelText("Code PIN de signature") as HTMLInputElement).value).toBe("");
  });
});
