// Consent state on the recipient card of the service form (issue 17): the register's summary,
// the natures in force, invitations with their state, and "Signifier" disabled without consent.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { useBackend } from "../lib/api";
import { createMockBackend, MOCK_NIR, type MockOptions } from "../lib/mock";
import Signify from "../screens/Signify.svelte";

type User = ReturnType<typeof userEvent.setup>;

function setup(opts: MockOptions = {}) {
  const backend = createMockBackend(opts);
  useBackend(backend);
  const user = userEvent.setup();
  render(Signify, { onopen: () => {} });
  return { backend, user };
}

async function pick(user: User, mode: "Insee" | "SIRET", value: string, name: RegExp) {
  await user.click(screen.getByRole("radio", { name: mode }));
  await user.type(screen.getByLabelText("Valeur recherchée"), value);
  await user.click(screen.getByRole("button", { name: "Rechercher" }));
  await user.click(await screen.findByRole("button", { name }));
}

const card = () => screen.getByRole("region", { name: "Consentement à la signification électronique" });
const signifier = () => screen.getByRole("button", { name: "Signifier" }) as HTMLButtonElement;
const rows = () => within(card()).getAllByRole("row").slice(1);

describe("Consentement sur la fiche du destinataire", () => {
  it("without consent: the summary with the paper fallback, Signifier disabled and why", async () => {
    const { user } = setup();
    await pick(user, "Insee", MOCK_NIR, /DUPONT MARIE/);
    const summary = await within(card()).findByTestId("consent-summary");
    expect(summary.textContent).toBe(
      "Aucun consentement : invitez le destinataire à consentir à la signification électronique. Sans consentement en vigueur, signifiez l'acte sur papier (par commissaire de justice ou par voie postale).",
    );
    // No nature chosen yet: nothing to refuse.
    expect(signifier().disabled).toBe(false);
    await user.selectOptions(screen.getByLabelText("Nature de l'acte"), "commandement_payer");
    const why = within(card()).getByTestId("consent-block");
    expect(why.textContent).toContain("pas de consentement en vigueur pour « Commandement de payer »");
    expect(why.textContent).toContain("signifiez l'acte sur papier (par commissaire de justice ou par voie postale)");
    expect(signifier().disabled).toBe(true);
    expect(screen.getByText(/« Signifier » est indisponible/)).toBeTruthy();
  });

  it("invites with the chosen nature by default; the invitation pending, then accepted on the portal", async () => {
    const { backend, user } = setup();
    await pick(user, "Insee", MOCK_NIR, /DUPONT MARIE/);
    await user.selectOptions(screen.getByLabelText("Nature de l'acte"), "commandement_payer");
    await user.click(await within(card()).findByRole("button", { name: "Inviter à consentir" }));
    const form = screen.getByRole("form", { name: "Inviter à consentir" });
    expect((within(form).getByRole("checkbox", { name: "Commandement de payer" }) as HTMLInputElement).checked).toBe(true);
    expect((within(form).getByRole("checkbox", { name: "Saisie attribution" }) as HTMLInputElement).checked).toBe(false);
    await user.click(within(form).getByRole("checkbox", { name: "Signification de jugement" }));
    await user.type(within(form).getByLabelText(/Délai de réponse en jours/), "90");
    await user.click(within(form).getByRole("button", { name: "Envoyer l'invitation" }));
    expect(within(form).getByRole("alert").textContent).toContain("entre 1 et 60");
    await user.clear(within(form).getByLabelText(/Délai de réponse en jours/));
    await user.type(within(form).getByLabelText(/Délai de réponse en jours/), "10");
    await user.click(within(form).getByRole("button", { name: "Envoyer l'invitation" }));

    expect((await within(card()).findByRole("status")).textContent).toContain("Invitation envoyée par courriel et par SMS");
    const [row] = rows();
    expect(row?.textContent).toContain("Commandement de payer, Signification de jugement");
    expect(row?.textContent).toMatch(/Invitation envoyée, en attente de réponse \(jusqu'au \d\d\/\d\d\/\d{4}/);
    expect(within(row!).getByRole("button", { name: "Renvoyer" })).toBeTruthy();
    expect(within(row!).getByRole("button", { name: "Retirer" })).toBeTruthy();
    expect(within(card()).queryByRole("button", { name: "Inviter à consentir" })).toBeNull();
    expect(within(card()).getByTestId("consent-summary").textContent).toMatch(/^Invitation envoyée, en attente de réponse\. Sans consentement/);
    expect(signifier().disabled).toBe(true);
    const sent = backend.consents.overview("r-dupont").invitations[0]!;
    expect(new Date(sent.expires_at).getTime() - new Date(sent.sent_at).getTime()).toBe(10 * 86_400_000);

    // The person consents on the portal; "Actualiser" reads the register again.
    backend.consents.answer(sent.id, "accepted");
    await user.click(within(card()).getByRole("button", { name: "Actualiser" }));
    expect((await within(card()).findByTestId("consent-in-force")).textContent).toBe(
      "Natures couvertes : Commandement de payer, Signification de jugement.",
    );
    expect(rows()[0]?.textContent).toContain("Consentement donné");
    expect(within(rows()[0]!).queryByRole("button", { name: "Renvoyer" })).toBeNull();
    expect(within(card()).queryByTestId("consent-block")).toBeNull();
    expect(signifier().disabled).toBe(false);
    // Another nature is still not covered.
    await user.selectOptions(screen.getByLabelText("Nature de l'acte"), "saisie_vente");
    expect(within(card()).getByTestId("consent-block").textContent).toContain("« Saisie vente");
    expect(signifier().disabled).toBe(true);
  });

  it("a locked invitation is resent, then withdrawn; a refusal says to serve otherwise", async () => {
    const { backend, user } = setup();
    await pick(user, "Insee", MOCK_NIR, /DUPONT MARIE/);
    await user.click(await within(card()).findByRole("button", { name: "Inviter à consentir" }));
    const form = screen.getByRole("form", { name: "Inviter à consentir" });
    await user.click(within(form).getByRole("button", { name: "Envoyer l'invitation" }));
    expect(within(form).getByRole("alert").textContent).toBe(
      "Choisissez au moins une nature d'acte à laquelle le destinataire est invité à consentir.",
    );
    await user.click(within(form).getByRole("checkbox", { name: "Saisie attribution" }));
    await user.click(within(form).getByRole("button", { name: "Envoyer l'invitation" }));
    await within(card()).findByRole("button", { name: "Renvoyer" });
    const id = backend.consents.overview("r-dupont").invitations[0]!.id;

    backend.consents.answer(id, "locked");
    await user.click(within(card()).getByRole("button", { name: "Actualiser" }));
    await within(card()).findByText(/Invitation bloquée \(trop de codes erronés\)/, { selector: "td" });
    expect(rows()[0]?.getAttribute("data-state")).toBe("locked");
    await user.click(within(rows()[0]!).getByRole("button", { name: "Renvoyer" }));
    expect((await within(card()).findByRole("status")).textContent).toContain("Invitation renvoyée : un nouveau lien");
    expect(rows()[0]?.getAttribute("data-state")).toBe("pending");

    await user.click(within(rows()[0]!).getByRole("button", { name: "Retirer" }));
    expect((await within(card()).findByRole("status")).textContent).toContain("Invitation retirée");
    expect(rows()[0]?.textContent).toContain("Invitation retirée par l'étude");
    expect(within(rows()[0]!).queryByRole("button", { name: "Retirer" })).toBeNull();
    expect(within(card()).getByRole("button", { name: "Inviter à consentir" })).toBeTruthy();

    await user.click(within(card()).getByRole("button", { name: "Inviter à consentir" }));
    await user.click(screen.getByRole("checkbox", { name: "Saisie attribution" }));
    await user.click(screen.getByRole("button", { name: "Envoyer l'invitation" }));
    await within(card()).findByRole("button", { name: "Renvoyer" });
    backend.consents.answer(backend.consents.overview("r-dupont").invitations[0]!.id, "refused");
    await user.click(within(card()).getByRole("button", { name: "Actualiser" }));
    const summary = await within(card()).findByText(/^Refusé par le destinataire/, { selector: "[data-testid=consent-summary]" });
    expect(summary.textContent).toContain("signifiez l'acte sur papier");
  });

  it("a revoked consent blocks again; a bank with a convention is servable", async () => {
    const { backend, user } = setup();
    await pick(user, "SIRET", "73282932000074", /BANQUE TEST/);
    expect((await within(card()).findByTestId("consent-in-force")).textContent).toContain("Saisie attribution");
    await user.selectOptions(screen.getByLabelText("Nature de l'acte"), "saisie_attribution");
    expect(signifier().disabled).toBe(false);
    backend.consents.revoke("r-banque-test");
    await user.click(within(card()).getByRole("button", { name: "Actualiser" }));
    await within(card()).findByText("Le destinataire a révoqué son consentement.", { exact: false });
    expect(signifier().disabled).toBe(true);
  });

  it("offline, the state is unknown and Signifier is not blocked here (checked before signing)", async () => {
    const { user } = setup({ offline: true });
    await pick(user, "SIRET", "73282932000074", /BANQUE TEST/);
    const unknown = await within(card()).findByTestId("consent-unknown");
    expect(unknown.textContent).toContain("Le coffre-fort est injoignable");
    await user.selectOptions(screen.getByLabelText("Nature de l'acte"), "saisie_attribution");
    expect(signifier().disabled).toBe(false);
    expect(within(card()).queryByRole("button", { name: "Inviter à consentir" })).toBeNull();
  });
});
