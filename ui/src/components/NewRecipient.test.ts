// "Nouveau destinataire" from the recipient search of the service form (issue 17).
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { useBackend } from "../lib/api";
import { createMockBackend, MOCK_NIR, type MockOptions } from "../lib/mock";
import Signify from "../screens/Signify.svelte";

function setup(opts: MockOptions = {}) {
  const backend = createMockBackend(opts);
  useBackend(backend);
  const user = userEvent.setup();
  render(Signify, { onopen: () => {} });
  return { backend, user };
}

type User = ReturnType<typeof userEvent.setup>;

async function fillPerson(user: User, values: Partial<Record<string, string>> = {}) {
  const v = {
    Nom: "Durand",
    Prénoms: "Anne Claire",
    "Date de naissance": "14/07/1984",
    Courriel: "anne.durand@courriel.example",
    "Téléphone mobile": "06 98 76 54 32",
    Adresse: "12 rue des Lilas",
    "Code postal": "69003",
    Ville: "Lyon",
    ...values,
  };
  for (const [label, value] of Object.entries(v)) {
    const field = screen.getByLabelText(label);
    await user.clear(field);
    if (value) await user.type(field, value);
  }
}

const problemOf = (label: string): string | null => {
  const input = screen.getByLabelText(label);
  const id = input.getAttribute("aria-describedby");
  return id ? (document.getElementById(id)?.textContent ?? null) : null;
};

describe("Nouveau destinataire", () => {
  it("shows each problem of the application beside its field, and nothing is created", async () => {
    const { backend, user } = setup();
    await user.click(screen.getByRole("button", { name: "Nouveau destinataire" }));
    await fillPerson(user, { Courriel: "anne.durand@", "Code postal": "6900", Ville: "", "N° INSEE (NIR, facultatif)": MOCK_NIR.slice(0, 13) + "00" });
    await user.click(screen.getByRole("button", { name: "Enregistrer le destinataire" }));
    expect(await screen.findByText(/4 informations sont à corriger/)).toBeTruthy();
    expect(problemOf("Courriel")).toContain("L'adresse électronique n'est pas valide");
    expect(screen.getByLabelText("Courriel").getAttribute("aria-invalid")).toBe("true");
    expect(problemOf("Code postal")).toBe("Le code postal doit comporter 5 chiffres (ex. 75001). Vérifiez-le.");
    expect(problemOf("Ville")).toBe("Indiquez la ville du destinataire : il est obligatoire.");
    expect(problemOf("N° INSEE (NIR, facultatif)")).toContain("la clé 00");
    // Fields without a problem say nothing.
    expect(problemOf("Nom")).toBeNull();
    expect(screen.getByLabelText("Nom").getAttribute("aria-invalid")).toBeNull();
    expect(backend.consents.recipients.some((r) => r.name.startsWith("DURAND"))).toBe(false);
  });

  it("a company's problems go beside SIRET, raison sociale and the contact's fields", async () => {
    const { user } = setup();
    await user.click(screen.getByRole("button", { name: "Nouveau destinataire" }));
    await user.click(screen.getByRole("radio", { name: "Société" }));
    await user.type(screen.getByLabelText("SIRET"), "73282932000075");
    await user.type(screen.getByLabelText("Téléphone mobile du contact"), "01 40 00 00 00");
    await user.click(screen.getByRole("button", { name: "Enregistrer le destinataire" }));
    expect(await screen.findByText(/informations sont à corriger/)).toBeTruthy();
    expect(problemOf("SIRET")).toContain("clé de contrôle");
    expect(problemOf("Raison sociale")).toBe("Indiquez la raison sociale du destinataire : il est obligatoire.");
    expect(problemOf("Courriel du contact")).toBe("Indiquez l'adresse électronique du destinataire : il est obligatoire.");
    expect(problemOf("Téléphone mobile du contact")).toContain("n'est pas un mobile français");
  });

  it("a recipient the vault has already is shown as its card, which the clerk picks instead", async () => {
    const { backend, user } = setup();
    const before = backend.consents.recipients.length;
    await user.click(screen.getByRole("button", { name: "Nouveau destinataire" }));
    await fillPerson(user, { Nom: "Dupont", Prénoms: "Marie", "N° INSEE (NIR, facultatif)": MOCK_NIR });
    await user.click(screen.getByRole("button", { name: "Enregistrer le destinataire" }));
    const box = await screen.findByRole("alert", { name: "Destinataire déjà enregistré" });
    expect(box.textContent).toContain("Ce destinataire existe déjà dans le coffre-fort : DUPONT MARIE");
    expect(box.textContent).toContain("rien n'a été enregistré");
    expect(backend.consents.recipients.length).toBe(before);
    await user.click(within(box).getByRole("button", { name: "Utiliser cette fiche" }));
    const card = screen.getByLabelText("Destinataire sélectionné");
    expect(card.textContent).toContain("Destinataire sélectionné : DUPONT MARIE");
  });

  it("a new private person is created and selected as a searched one would be", async () => {
    const { backend, user } = setup();
    await user.click(screen.getByRole("button", { name: "Nouveau destinataire" }));
    await user.selectOptions(screen.getByLabelText("Civilité"), "M");
    await fillPerson(user, { Nom: "Martin", Prénoms: "Paul" });
    await user.click(screen.getByRole("button", { name: "Enregistrer le destinataire" }));
    const card = await screen.findByLabelText("Destinataire sélectionné");
    expect(card.textContent).toContain("Destinataire sélectionné : MARTIN Paul");
    expect(card.textContent).toContain("anne.durand@courriel.example");
    expect(card.textContent).toContain("06 98 76 54 32");
    expect(screen.queryByRole("button", { name: "Enregistrer le destinataire" })).toBeNull();
    expect(backend.state.log.map((l) => l.message)).toContain("Destinataire créé");
    // It can be found by name afterwards.
    const found = await backend.searchRecipients({ mode: "name", query: "martin" });
    expect(found.map((r) => r.name)).toEqual(["MARTIN Paul"]);
  });

  it("offline, says the vault is unreachable; back to the search", async () => {
    const { user } = setup({ offline: true });
    await user.click(screen.getByRole("button", { name: "Nouveau destinataire" }));
    await fillPerson(user);
    await user.click(screen.getByRole("button", { name: "Enregistrer le destinataire" }));
    expect((await screen.findByText(/Le coffre-fort est injoignable/)).textContent).toContain("Vérifiez la connexion réseau");
    await user.click(screen.getByRole("button", { name: "Retour à la recherche" }));
    expect(screen.getByLabelText("Valeur recherchée")).toBeTruthy();
  });
});
