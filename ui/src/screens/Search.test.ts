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
    expect(screen.getByRole("alert").textContent).toContain("Date de début\u00a0: La date «\u00a031/02/2013\u00a0» n'existe pas.");
    expect(spy).not.toHaveBeenCalled();
    await user.clear(screen.getByLabelText("du"));
    await user.type(screen.getByLabelText("du"), "01/06/2013");
    await user.selectOptions(screen.getByLabelText("État de la remise"), "in_person");
    await user.click(screen.getByRole("button", { name: "Rechercher" }));
    expect(await screen.findByText("1-10 sur 14")).toBeTruthy();
    expect(screen.getByText("14 significations trouvées")).toBeTruthy();
    expect(rows()).toHaveLength(10);
    expect(rows().every((r) => r.textContent?.includes("Remis à personne"))).toBe(true);
    expect(spy.mock.calls[0]?.[0]).toMatchObject({ date_from: "2013-06-01", state: "in_person", sort: { key: "date", descending: true } });
    expect(screen.queryByText("Fin des résultats")).toBeNull();
    await user.click(screen.getByRole("button", { name: "Suiv." }));
    expect(await screen.findByText("11-14 sur 14")).toBeTruthy();
    expect(screen.getByText("Fin des résultats")).toBeTruthy();
    // The total stays (the backend counts on the first page only).
    expect(screen.getByText("14 significations trouvées")).toBeTruthy();
    expect((screen.getByRole("button", { name: "Suiv." }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("filters the results and opens a detail with the magnifier", async () => {
    useBackend(createMockBackend({ services: 40 }));
    const onopen = vi.fn();
    const user = userEvent.setup();
    render(Search, { onopen });
    await user.click(screen.getByRole("button", { name: "Rechercher" }));
    await screen.findByText("1-10 sur 40");
    await user.type(screen.getByRole("searchbox"), "annecy");
    await vi.waitFor(() => expect(rows()).toHaveLength(1));
    const row = rows()[0] as HTMLElement;
    expect(row.textContent).toContain("REF_ANNECY");
    await user.click(within(row).getByRole("button", { name: "Voir le détail\u00a0: REF_ANNECY" }));
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
    await screen.findByText(/^1-8/);
    expect(spy.mock.calls[0]?.[0].source).toBe("edi");
  });
});

describe("Rechercher: results a clerk can use", () => {
  const refsShown = () => rows().map((r) => r.querySelectorAll("td")[2]?.textContent ?? "");

  it("folds the criteria, focuses the results and says how many were found", async () => {
    useBackend(createMockBackend({ services: 40 }));
    const user = userEvent.setup();
    render(Search, { onopen: () => {} });
    const fold = screen.getByRole("button", { name: /Critères de recherche/ });
    expect(fold.getAttribute("aria-expanded")).toBe("true");
    await user.click(screen.getByRole("button", { name: "Rechercher" }));
    expect(await screen.findByText("40 significations trouvées")).toBeTruthy();
    const region = document.querySelector<HTMLElement>("[data-testid=search-results]");
    expect(region).not.toBeNull();
    await vi.waitFor(() => expect(document.activeElement).toBe(region));
    expect(fold.getAttribute("aria-expanded")).toBe("false");
    expect((document.getElementById("search-criteria") as HTMLElement).hidden).toBe(true);
    expect(screen.getByText("toutes les significations")).toBeTruthy();
    // Unfolded again on demand, the values kept.
    await user.click(fold);
    expect((document.getElementById("search-criteria") as HTMLElement).hidden).toBe(false);
  });

  it("sorts by a column through the store, over every result, not the page shown", async () => {
    const backend = createMockBackend({ services: 40 });
    const spy = vi.spyOn(backend, "searchServices");
    useBackend(backend);
    const user = userEvent.setup();
    render(Search, { onopen: () => {} });
    await user.click(screen.getByRole("button", { name: "Rechercher" }));
    await screen.findByText("1-10 sur 40");
    const dateTh = screen.getByRole("columnheader", { name: /^Date/ });
    expect(dateTh.getAttribute("aria-sort")).toBe("descending");
    // Page 2, then sort: back to the first page, sorted by the backend.
    await user.click(screen.getByRole("button", { name: "Suiv." }));
    await screen.findByText("11-20 sur 40");
    await user.click(screen.getByRole("button", { name: /^Référence/ }));
    await screen.findByText("1-10 sur 40");
    const last = spy.mock.calls.at(-1);
    expect(last?.[0].sort).toEqual({ key: "reference", descending: false });
    expect(last?.[1].offset).toBe(0);
    expect(screen.getByRole("columnheader", { name: /^Référence/ }).getAttribute("aria-sort")).toBe("ascending");
    expect(dateTh.getAttribute("aria-sort")).toBe("none");
    // The first rows are the first of all 40 references, case and accents ignored.
    const all = await backend.searchServices({ ...(last?.[0] ?? ({} as never)) }, { offset: 0, limit: 100 });
    const sorted = all.items.map((r) => r.reference);
    expect(refsShown()).toEqual(sorted.slice(0, 10));
    expect((sorted[0] ?? "").toLowerCase() <= (sorted[39] ?? "").toLowerCase()).toBe(true);
    // Again: Z to A.
    await user.click(screen.getByRole("button", { name: /^Référence/ }));
    await vi.waitFor(() => expect(spy.mock.calls.at(-1)?.[0].sort).toEqual({ key: "reference", descending: true }));
    await vi.waitFor(() => expect(refsShown()[0]).toBe(sorted[39]));
    for (const [name, key] of [
      [/^État/, "state"],
      [/^Destinataire/, "recipient"],
    ] as const) {
      await user.click(screen.getByRole("button", { name }));
      await vi.waitFor(() => expect(spy.mock.calls.at(-1)?.[0].sort).toEqual({ key, descending: false }));
    }
  });

  it("cuts long references and file names with the whole text as tooltip", async () => {
    useBackend(createMockBackend({ services: 40 }));
    const user = userEvent.setup();
    render(Search, { onopen: () => {} });
    await user.click(screen.getByRole("button", { name: "Rechercher" }));
    await screen.findByText("1-10 sur 40");
    for (const row of rows()) {
      const cells = row.querySelectorAll("td");
      for (const i of [2, 3, 4]) {
        const td = cells[i] as HTMLElement;
        expect(td.classList.contains("ellipsis")).toBe(true);
        expect(td.title).toBe(td.textContent);
      }
    }
  });

  it("exports every result of the criteria and order to CSV, then shows it or saves it elsewhere", async () => {
    const backend = createMockBackend({ services: 40 });
    const spy = vi.spyOn(backend, "searchServices");
    useBackend(backend);
    const user = userEvent.setup();
    render(Search, { onopen: () => {} });
    await user.click(screen.getByRole("button", { name: "Rechercher" }));
    await screen.findByText("1-10 sur 40");
    await user.click(screen.getByRole("button", { name: /^Destinataire/ }));
    await vi.waitFor(() => expect(spy.mock.calls.at(-1)?.[0].sort?.key).toBe("recipient"));
    spy.mockClear();
    await user.click(screen.getByRole("button", { name: "Exporter en CSV" }));
    const notice = await screen.findByText(/Export enregistré dans vos téléchargements/);
    const name = notice.querySelector("strong")?.textContent ?? "";
    expect(name).toMatch(/^recherche-significations-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(notice.textContent).toContain("(40 lignes)");
    // Every page fetched, in the chosen order.
    expect(spy.mock.calls.map((c) => c[1].offset)).toEqual([0, 10, 20, 30]);
    expect(spy.mock.calls.every((c) => c[0].sort?.key === "recipient")).toBe(true);
    const path = `/home/etude/Téléchargements/${name}`;
    const csv = backend.state.texts.get(path) ?? "";
    expect(csv.startsWith("\ufeffDate de dépôt;")).toBe(true);
    const lines = csv.slice(1).split("\r\n");
    expect(lines).toHaveLength(42);
    expect(lines[1]).toMatch(/^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2};/);
    await user.click(screen.getByRole("button", { name: "Afficher dans le dossier" }));
    expect(backend.state.revealed).toEqual([path]);
    backend.nextSaveAs = "/home/etude/Bureau/export.csv";
    await user.click(screen.getByRole("button", { name: "Enregistrer sous…" }));
    expect(await screen.findByText("Copie enregistrée : /home/etude/Bureau/export.csv")).toBeTruthy();
    expect(backend.state.saved).toEqual([{ from: path, to: "/home/etude/Bureau/export.csv" }]);
  });

  it("says when the export fails, in French", async () => {
    const backend = createMockBackend({ services: 40 });
    useBackend(backend);
    const user = userEvent.setup();
    render(Search, { onopen: () => {} });
    await user.click(screen.getByRole("button", { name: "Rechercher" }));
    await screen.findByText("1-10 sur 40");
    vi.spyOn(backend, "saveText").mockRejectedValue({ code: "fs.write", message: "Le fichier n'a pas pu être écrit : le disque est plein." });
    await user.click(screen.getByRole("button", { name: "Exporter en CSV" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Le fichier n'a pas pu être écrit\u00a0: le disque est plein.");
  });
});

describe("Rechercher: export limit", () => {
  it("asks for narrower criteria above 10 000 results instead of reading them all", async () => {
    const backend = createMockBackend({ services: 12_000 });
    const spy = vi.spyOn(backend, "searchServices");
    useBackend(backend);
    const user = userEvent.setup();
    render(Search, { onopen: () => {} });
    await user.click(screen.getByRole("button", { name: "Rechercher" }));
    await screen.findByText("12 000 significations trouvées");
    spy.mockClear();
    await user.click(screen.getByRole("button", { name: "Exporter en CSV" }));
    expect((await screen.findByRole("alert")).textContent).toBe(
      "L'export est limité à 10\u202f000 significations\u00a0: cette recherche en trouve 12\u202f000. Affinez les critères (dates, état, nature…) puis exportez à nouveau.",
    );
    expect(spy).not.toHaveBeenCalled();
    expect(backend.state.texts.size).toBe(0);
  });
});
