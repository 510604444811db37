import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { useBackend } from "../lib/api";
import { createMockBackend } from "../lib/mock";
import { ui } from "../lib/ui.svelte";
import Detail from "./Detail.svelte";

describe("Détail", () => {
  it("shows the five sections of a service delivered in person, with a return", async () => {
    const backend = createMockBackend({ services: 40 });
    useBackend(backend);
    const user = userEvent.setup();
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
    await user.click(screen.getByRole("button", { name: "Télécharger l'archive" }));
    expect((await screen.findByRole("status")).textContent).toBe("Fichier enregistré : /home/etude/Téléchargements/TEST_MODALITE_REMISE_1_archive.zip");
    await user.click(screen.getByRole("button", { name: "Télécharger l'attestation de remise" }));
    await user.click(screen.getByRole("button", { name: "Télécharger le retour" }));
    expect(await screen.findByText("Fichier enregistré : /home/etude/Téléchargements/TEST_MODALITE_REMISE_1_retour.pdf")).toBeTruthy();
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
    await user.click(await screen.findByRole("button", { name: "Préparer le courrier simple" }));
    expect((await screen.findByRole("status")).textContent).toBe(
      "Courrier simple préparé, daté du 10/06/2013 : /home/etude/Documents/ESSAI ADEC_courrier_simple.odt",
    );
  });

  it("writes the letter's date and the history in the date style of the settings", async () => {
    useBackend(createMockBackend({ services: 40 }));
    ui.dateStyle = "long";
    try {
      const user = userEvent.setup();
      render(Detail, { serviceId: "s2", onback: () => {} });
      await user.click(await screen.findByRole("button", { name: "Préparer le courrier simple" }));
      expect((await screen.findByRole("status")).textContent).toBe(
        "Courrier simple préparé, daté du 10 juin 2013 : /home/etude/Documents/ESSAI ADEC_courrier_simple.odt",
      );
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
