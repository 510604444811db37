import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { useBackend } from "../lib/api";
import { createMockBackend, MOCK_EDI_BAD, MOCK_EDI_OK, type MockOptions } from "../lib/mock";
import Edi from "./Edi.svelte";

/** Text as read on screen (template line breaks are spaces). */
const flat = (s: string | null | undefined): string => (s ?? "").replace(/\s+/g, " ").trim();

function setup(opts: MockOptions = {}) {
  const backend = createMockBackend(opts);
  useBackend(backend);
  const user = userEvent.setup();
  render(Edi, { onopen: vi.fn() });
  return { backend, user };
}

async function choose(backend: ReturnType<typeof setup>["backend"], user: ReturnType<typeof userEvent.setup>, path: string) {
  backend.nextManifest = path;
  await user.click(screen.getByRole("button", { name: "Choisir le fichier d'échange…" }));
  await screen.findByText(path.split("/").pop() ?? path);
}

describe("Significations EDI : importer un lot", () => {
  it("asks for the manifest and the PIN before anything is sent", async () => {
    const { backend, user } = setup();
    await user.click(screen.getByRole("button", { name: "Importer le lot" }));
    const box = screen.getByText("L'import ne peut pas être lancé :").closest("[role=alert]") as HTMLElement;
    const items = within(box).getAllByRole("listitem").map((li) => li.textContent);
    expect(items).toEqual([
      "Choisissez le fichier d'échange (.csv) exporté par votre logiciel de gestion.",
      "Saisissez le code PIN de votre clé.",
    ]);
    // The manifest alone is not enough: the PIN is required.
    await choose(backend, user, MOCK_EDI_OK);
    await user.click(screen.getByRole("button", { name: "Importer le lot" }));
    expect(screen.getByText("Saisissez le code PIN de votre clé.")).toBeTruthy();
    expect(backend.state.lastEdi).toBeNull();
  });

  it("shows every refused line with its number and reason, and that nothing was signed", async () => {
    const { backend, user } = setup();
    await choose(backend, user, MOCK_EDI_BAD);
    await user.type(screen.getByLabelText("Code PIN de signature"), "1234");
    await user.click(screen.getByRole("button", { name: "Importer le lot" }));
    const box = await screen.findByRole("alert", { name: "Lignes refusées" });
    expect(flat(box.textContent)).toContain("Lot refusé : 3 lignes en erreur, aucun acte n'a été signé.");
    expect(within(box).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "Ligne 3 : le fichier « saisie-0457.pdf » est introuvable dans le dossier du lot.",
      "Ligne 4 : le destinataire « 73282932000075 » est inconnu : SIRET invalide (clé de contrôle).",
      "Ligne 5 : L'acte « saisie-0458.pdf » ne mentionne pas le consentement du destinataire à la signification électronique.",
    ]);
    // No counters beside a refused batch (they would read "0 lignes vérifiées").
    expect(screen.queryByRole("list", { name: "Avancement de l'import" })).toBeNull();
    // The PIN field is emptied after the call; the stamp option reaches the backend.
    expect((screen.getByLabelText("Code PIN de signature") as HTMLInputElement).value).toBe("");
    expect(backend.state.lastEdi).toMatchObject({ manifest: MOCK_EDI_BAD, stamp_consent: false, pin: "" });
  });

  it("signs the batch with the signature certificate chosen in the same list as Signification", async () => {
    const { backend, user } = setup({ secondSignatureCertificate: true });
    const select = (await screen.findByLabelText("Sélection du certificat de signature")) as HTMLSelectElement;
    // Only signature certificates, the first chosen by default.
    await vi.waitFor(() => expect(Array.from(select.options).map((o) => o.textContent)).toEqual(["XXXTEST JEREMY (n° 281809)", "XXXTEST JEREMY (n° 2818A0)"]));
    expect(select.value).toBe("281809");
    await user.selectOptions(select, "2818A0");
    await choose(backend, user, MOCK_EDI_OK);
    await user.type(screen.getByLabelText("Code PIN de signature"), "1234");
    await user.click(screen.getByRole("button", { name: "Importer le lot" }));
    expect(flat((await screen.findByRole("status")).textContent)).toContain("Lot importé : 3 actes signés");
    expect(backend.state.lastEdi).toMatchObject({ manifest: MOCK_EDI_OK, signature_certificate: "2818A0", pin: "" });
    // The choice stays after a reload of the certificates.
    await user.click(screen.getByRole("button", { name: "Recharger les certificats" }));
    expect(select.value).toBe("2818A0");
  });

  it("the stamp-consent option lets a line that only lacks the mention through", async () => {
    const { backend, user } = setup();
    await choose(backend, user, MOCK_EDI_BAD);
    await user.click(screen.getByRole("checkbox", { name: /Apposer la mention du consentement/ }));
    await user.type(screen.getByLabelText("Code PIN de signature"), "1234");
    await user.click(screen.getByRole("button", { name: "Importer le lot" }));
    const box = await screen.findByRole("alert", { name: "Lignes refusées" });
    expect(within(box).getAllByRole("listitem")).toHaveLength(2);
    expect(box.textContent).not.toContain("Ligne 5");
    expect(backend.state.lastEdi?.stamp_consent).toBe(true);
  });

  it("shows lines checked, acts signed n/N and deposits, then the count deposited", async () => {
    const { backend, user } = setup();
    await choose(backend, user, MOCK_EDI_OK);
    await user.type(screen.getByLabelText("Code PIN de signature"), "1234");
    await user.click(screen.getByRole("button", { name: "Importer le lot" }));
    expect(flat((await screen.findByRole("status")).textContent)).toBe(
      "Lot importé : 3 actes signés, 3 déposés, 0 en file d'envoi.",
    );
    const progress = screen.getByRole("list", { name: "Avancement de l'import" });
    expect(within(progress).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "Lignes vérifiées : 3",
      "Actes signés : 3 / 3",
      "Actes déposés : 3",
    ]);
    expect(backend.state.log.some((l) => l.message === "Import EDI : 3 acte(s) préparé(s)")).toBe(true);
  });

  it("offline, the signed acts wait in the outbox and the window says so", async () => {
    const { backend, user } = setup({ offline: true });
    await choose(backend, user, MOCK_EDI_OK);
    await user.type(screen.getByLabelText("Code PIN de signature"), "1234");
    await user.click(screen.getByRole("button", { name: "Importer le lot" }));
    const status = await screen.findByRole("status");
    expect(flat(status.textContent)).toContain("0 déposé, 3 en file d'envoi.");
    expect(flat(status.textContent)).toContain("les actes signés attendent dans la file d'envoi");
    expect(screen.getByText("Actes déposés : 0")).toBeTruthy();
    expect(backend.state.outbox).toHaveLength(3);
  });

  it("a wrong PIN is refused with the tries left and nothing is signed", async () => {
    const { backend, user } = setup();
    await choose(backend, user, MOCK_EDI_OK);
    await user.type(screen.getByLabelText("Code PIN de signature"), "9999");
    await user.click(screen.getByRole("button", { name: "Importer le lot" }));
    expect(await screen.findByText("Code PIN erroné. Il reste 2 essais avant le blocage de la clé. Vérifiez votre code et réessayez.")).toBeTruthy();
    expect(screen.queryByText(/Actes signés/)).toBeNull();
    expect(backend.state.pinTriesLeft).toBe(2);
  });

  it("takes the manifest dropped on the window, and says what to drop otherwise", async () => {
    const { backend, user } = setup();
    await screen.findByText("Aucun fichier choisi");
    backend.dropFiles(["/home/etude/EDI/acte.pdf"]);
    expect(await screen.findByText(/Déposez le fichier d'échange \(\.csv\)/)).toBeTruthy();
    backend.dropFiles([MOCK_EDI_OK]);
    expect(await screen.findByText("lot-novembre.csv")).toBeTruthy();
    await user.type(screen.getByLabelText("Code PIN de signature"), "1234");
    await user.click(screen.getByRole("button", { name: "Importer le lot" }));
    expect(await screen.findByText("Actes signés : 3 / 3")).toBeTruthy();
  });
});
