import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { api, useBackend } from "../lib/api";
import { createMockBackend } from "../lib/mock";
import { ui } from "../lib/ui.svelte";
import { closeViewer, viewer } from "../lib/viewer.svelte";
import Detail from "./Detail.svelte";

describe("Détail", () => {
  it("shows the five sections of a service delivered in person, with a return", async () => {
    const backend = createMockBackend({ services: 40 });
    useBackend(backend);
    render(Detail, { serviceId: "s0", onback: () => {} });
    expect(await screen.findByText("TEST_MODALITE_REMISE_1")).toBeTruthy();
    for (const h of [
      "1. Acte signifié dans le coffre-fort destinataire",
      "2. Attestation de dépôt remise dans votre coffre-fort",
      "3. Avis de réception remis dans votre coffre-fort",
      "4. Retour d'acte remis dans votre coffre-fort",
      "5. Historique",
    ]) {
      expect(screen.getByRole("heading", { name: h })).toBeTruthy();
    }
    expect(screen.getByText("Date dépôt :").nextElementSibling?.textContent).toBe("07/06/2013 14:38:25");
    expect(screen.getAllByText("Acte(s) remis à personne au destinataire")).toHaveLength(2);
    expect(screen.getByText("BANQUE TEST (N° SIRET 73282932000074)")).toBeTruthy();
    expect(screen.getByText("attestation_depot.xml")).toBeTruthy();
    expect(screen.getByText("9991_TEST_MODALITE_REMISE_1_20130607_123825_REMISE.pdf")).toBeTruthy();
    expect(screen.getByText("Réponse déposée dans le coffre fort étude")).toBeTruthy();
    expect(screen.getByText("1-6 sur 6")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Préparer le courrier simple" })).toBeNull();
    // Opening the detail marks the notifications seen.
    expect(backend.state.seen.has("in_person:s0")).toBe(true);
  });

  it("opens every document in the window's viewer, titled with the reference", async () => {
    useBackend(createMockBackend({ services: 40 }));
    const user = userEvent.setup();
    render(Detail, { serviceId: "s0", onback: () => {} });
    await screen.findByText("TEST_MODALITE_REMISE_1");
    try {
      for (const [button, title, path] of [
        ["Ouvrir l'archive", "Archive de l'acte signifié — TEST_MODALITE_REMISE_1", "TEST_MODALITE_REMISE_1_archive.zip"],
        ["Ouvrir l'attestation de remise", "Attestation de remise — TEST_MODALITE_REMISE_1", "TEST_MODALITE_REMISE_1_remise.pdf"],
        ["Ouvrir le retour", "Retour d'acte — TEST_MODALITE_REMISE_1", "TEST_MODALITE_REMISE_1_retour.pdf"],
        ["Exporter l'historique (PDF/A)", "Historique — TEST_MODALITE_REMISE_1", "TEST_MODALITE_REMISE_1_HISTORIQUE.pdf"],
      ] as const) {
        await user.click(screen.getByRole("button", { name: button }));
        await vi.waitFor(() => expect(viewer.current?.title).toBe(title));
        expect(viewer.current?.file.path).toBe(`/home/etude/Téléchargements/${path}`);
        expect(viewer.current?.file.url).toMatch(/^asset:/);
        closeViewer();
      }
      // Nothing printed as a bare path.
      expect(screen.queryByText(/Fichier enregistré/)).toBeNull();
    } finally {
      closeViewer();
    }
  });

  it("saves a document where the clerk chooses, and says nothing when the dialog is cancelled", async () => {
    const backend = createMockBackend({ services: 40 });
    useBackend(backend);
    const user = userEvent.setup();
    render(Detail, { serviceId: "s0", onback: () => {} });
    await screen.findByText("TEST_MODALITE_REMISE_1");
    backend.nextSaveAs = "/home/etude/Bureau/remise.pdf";
    await user.click(screen.getByRole("button", { name: "Enregistrer l'attestation sous…" }));
    expect((await screen.findByRole("status")).textContent).toContain("Attestation de remise enregistrée sous /home/etude/Bureau/remise.pdf");
    expect(backend.state.saved).toEqual([{ from: "/home/etude/Téléchargements/TEST_MODALITE_REMISE_1_remise.pdf", to: "/home/etude/Bureau/remise.pdf" }]);
    await user.click(screen.getByRole("button", { name: "Afficher dans le dossier" }));
    expect(backend.state.revealed).toEqual(["/home/etude/Bureau/remise.pdf"]);
    // Cancelled: no notice, nothing copied.
    await user.click(screen.getByRole("button", { name: "Enregistrer le retour sous…" }));
    await vi.waitFor(() => expect(screen.queryByRole("status")).toBeNull());
    expect(backend.state.saved).toHaveLength(1);
    await user.click(screen.getByRole("button", { name: "Enregistrer l'archive sous…" }));
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("gives the date column of the history a narrow fixed width", async () => {
    useBackend(createMockBackend({ services: 40 }));
    render(Detail, { serviceId: "s0", onback: () => {} });
    await screen.findByText("1-6 sur 6");
    expect(document.querySelector("table.history col.c-when")).not.toBeNull();
    expect(document.querySelector("table.history tbody td.when")?.textContent).toMatch(/^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}$/);
  });

  it("filters the history", async () => {
    useBackend(createMockBackend({ services: 40 }));
    const user = userEvent.setup();
    render(Detail, { serviceId: "s0", onback: () => {} });
    await screen.findByText("1-6 sur 6");
    await user.type(screen.getByRole("searchbox"), "mail d'alerte");
    expect(screen.getByText("1-1 sur 1")).toBeTruthy();
  });

  it("offers the plain letter for a delivery at home, dated for the first working day", async () => {
    useBackend(createMockBackend({ services: 40 }));
    const user = userEvent.setup();
    render(Detail, { serviceId: "s2", onback: () => {} });
    const backend = api() as ReturnType<typeof createMockBackend>;
    await user.click(await screen.findByRole("button", { name: "Préparer le courrier simple" }));
    const notice = await screen.findByRole("status");
    expect(notice.textContent).toContain("Courrier simple préparé, daté du 10/06/2013\u00a0: ESSAI ADEC_courrier_simple.odt");
    expect(notice.querySelector("strong")?.title).toBe("/home/etude/Documents/ESSAI ADEC_courrier_simple.odt");
    await user.click(screen.getByRole("button", { name: "Ouvrir le courrier" }));
    expect(backend.state.opened).toEqual(["/home/etude/Documents/ESSAI ADEC_courrier_simple.odt"]);
    await user.click(screen.getByRole("button", { name: "Afficher dans le dossier" }));
    expect(backend.state.revealed).toEqual(["/home/etude/Documents/ESSAI ADEC_courrier_simple.odt"]);
    backend.nextSaveAs = "/home/etude/Bureau/courrier.odt";
    await user.click(screen.getByRole("button", { name: "Enregistrer le courrier sous…" }));
    expect(await screen.findByText("Courrier simple enregistré sous /home/etude/Bureau/courrier.odt")).toBeTruthy();
  });

  it("writes the letter's date and the history in the date style of the settings", async () => {
    useBackend(createMockBackend({ services: 40 }));
    ui.dateStyle = "long";
    try {
      const user = userEvent.setup();
      render(Detail, { serviceId: "s2", onback: () => {} });
      await user.click(await screen.findByRole("button", { name: "Préparer le courrier simple" }));
      expect((await screen.findByRole("status")).textContent).toContain("Courrier simple préparé, daté du 10 juin 2013\u00a0: ESSAI ADEC_courrier_simple.odt");
      expect(screen.getByText("Date dépôt :").nextElementSibling?.textContent).toMatch(/^\d{1,2} [a-zéû]+ \d{4} \d{2}:\d{2}:\d{2}$/);
    } finally {
      ui.dateStyle = "numeric";
    }
  });

  it("a service not yet consulted has no notice and no return", async () => {
    useBackend(createMockBackend({ services: 40 }));
    render(Detail, { serviceId: "s1", onback: () => {} });
    expect(await screen.findByText("L'acte n'a pas encore été consulté par le destinataire.")).toBeTruthy();
    expect(screen.getByText("Aucun retour d'acte.")).toBeTruthy();
  });

  it("says when the service does not exist", async () => {
    useBackend(createMockBackend({ services: 40 }));
    const onback = vi.fn();
    render(Detail, { serviceId: "s999", onback });
    expect((await screen.findByRole("alert")).textContent).toBe("Cette signification est introuvable. Relancez la recherche.");
  });
});
