import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { useBackend } from "../lib/api";
import { createMockBackend } from "../lib/mock";
import Edi from "./Edi.svelte";
import Search from "./Search.svelte";

const rows = () => Array.from(document.querySelectorAll("tbody tr"));

describe("Rechercher", () => {
  it("offers every criterion of the manual", async () => {
    useBackend(createMockBackend());
    render(Search, { onopen: () => {} });
    for (const label of ["du", "au", "État de la remise", "Référence de l'acte de signification", "Nom document", "Destinataire", "Nature de l'acte", "Source"]) {
      expect(screen.getByLabelText(label), label).toBeTruthy();
    }
    expect(await screen.findByRole("option", { name: "Saisie attribution" })).toBeTruthy();
    expect(screen.getByRole("option", { name: "Toutes" })).toBeTruthy();
  });

  it("refuses impossible dates with a message, and searches with paging", async () => {
    const backend = createMockBackend({ services: 40 });
    const spy = vi.spyOn(backend, "searchServices");
    useBackend(backend);
    const user = userEvent.setup();
    render(Search, { onopen: () => {} });
    await user.type(screen.getByLabelText("du"), "31/02/2013");
    await user.click(screen.getByRole("button", { name: "Rechercher" }));
    expect(screen.getByRole("alert").textContent).toContain("Date de début : La date « 31/02/2013 » n'existe pas.");
    expect(spy).not.toHaveBeenCalled();
    await user.clear(screen.getByLabelText("du"));
    await user.type(screen.getByLabelText("du"), "01/06/2013");
    await user.selectOptions(screen.getByLabelText("État de la remise"), "in_person");
    await user.click(screen.getByRole("button", { name: "Rechercher" }));
    expect(await screen.findByText("1-10")).toBeTruthy();
    expect(rows()).toHaveLength(10);
    expect(rows().every((r) => r.textContent?.includes("Remis à personne"))).toBe(true);
    expect(spy.mock.calls[0]?.[0]).toMatchObject({ date_from: "2013-06-01", state: "in_person" });
    await user.click(screen.getByRole("button", { name: "Suiv." }));
    expect(await screen.findByText("11-14")).toBeTruthy();
    expect((screen.getByRole("button", { name: "Suiv." }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("filters the results and opens a detail with the magnifier", async () => {
    useBackend(createMockBackend({ services: 40 }));
    const onopen = vi.fn();
    const user = userEvent.setup();
    render(Search, { onopen });
    await user.click(screen.getByRole("button", { name: "Rechercher" }));
    await screen.findByText("1-10");
    await user.type(screen.getByRole("searchbox"), "annecy");
    await vi.waitFor(() => expect(rows()).toHaveLength(1));
    const row = rows()[0] as HTMLElement;
    expect(row.textContent).toContain("REF_ANNECY");
    await user.click(within(row).getByRole("button", { name: "Voir le détail : REF_ANNECY" }));
    expect(onopen).toHaveBeenCalledWith("s4");
  });

  it("Réinitialiser empties the form and the results", async () => {
    useBackend(createMockBackend());
    const user = userEvent.setup();
    render(Search, { onopen: () => {} });
    await user.type(screen.getByLabelText("Référence de l'acte de signification"), "TEST");
    await user.click(screen.getByRole("button", { name: "Rechercher" }));
    await screen.findByText("Résultat de la recherche");
    await user.click(screen.getByRole("button", { name: "Réinitialiser" }));
    expect((screen.getByLabelText("Référence de l'acte de signification") as HTMLInputElement).value).toBe("");
    expect(screen.queryByText("Résultat de la recherche")).toBeNull();
  });

  it("the EDI screen searches EDI services only", async () => {
    const backend = createMockBackend({ services: 40 });
    const spy = vi.spyOn(backend, "searchServices");
    useBackend(backend);
    const user = userEvent.setup();
    render(Edi, { onopen: () => {} });
    expect(screen.queryByLabelText("Source")).toBeNull();
    await user.click(screen.getByRole("button", { name: "Rechercher" }));
    await screen.findByText("1-8");
    expect(spy.mock.calls[0]?.[0].source).toBe("edi");
  });
});
