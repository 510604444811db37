import { describe, expect, it } from "vitest";
import { NBSP, NNBSP, typeset, typo, watchTypography } from "./french";

describe("French typography", () => {
  it("puts non-breaking spaces where French wants them and nowhere else", () => {
    expect(typo("Prochaine ouverture : lundi")).toBe(`Prochaine ouverture${NBSP}: lundi`);
    expect(typo("Le fichier « acte.pdf » est signé ; voulez-vous continuer ? Oui !")).toBe(
      `Le fichier «${NBSP}acte.pdf${NBSP}» est signé${NNBSP}; voulez-vous continuer${NNBSP}? Oui${NNBSP}!`,
    );
    expect(typo("«acte»")).toBe(`«${NBSP}acte${NBSP}»`);
    expect(typo("Patientez...")).toBe("Patientez…");
    // Left alone: URLs, times, Windows paths, a colon ending a label with no space.
    for (const s of ["https://coffre.example:8443/v1?x=1", "08:00", "C:\\Sceau\\acte.pdf", "Mail:", "a:b"]) {
      expect(typo(s)).toBe(s);
    }
  });

  it("is idempotent", () => {
    const once = typo("Attention : « x » ; y ? z ! ...");
    expect(typo(once)).toBe(once);
  });

  it("typesets texts and readable attributes, not what is typed or code", () => {
    document.body.innerHTML = `<p title="Aide : ici">Total : 3</p><code>a : b</code><input placeholder="Nom : x" value="v : w" /><span data-verbatim>REF : 1</span>`;
    typeset(document.body);
    expect(document.querySelector("p")?.textContent).toBe(`Total${NBSP}: 3`);
    expect(document.querySelector("p")?.getAttribute("title")).toBe(`Aide${NBSP}: ici`);
    expect(document.querySelector("code")?.textContent).toBe("a : b");
    expect(document.querySelector("input")?.getAttribute("placeholder")).toBe(`Nom${NBSP}: x`);
    expect((document.querySelector("input") as HTMLInputElement).value).toBe("v : w");
    expect(document.querySelector("span")?.textContent).toBe("REF : 1");
  });

  it("keeps typesetting what the screens change later", async () => {
    document.body.innerHTML = "<div id='m'></div>";
    const stop = watchTypography(document.body);
    const m = document.getElementById("m")!;
    m.textContent = "Erreur : réessayez !";
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(m.textContent).toBe(`Erreur${NBSP}: réessayez${NNBSP}!`);
    const t = m.firstChild!;
    t.nodeValue = "Déposé : « REF »";
    await new Promise((r) => setTimeout(r, 0));
    expect(m.textContent).toBe(`Déposé${NBSP}: «${NBSP}REF${NBSP}»`);
    stop();
  });
});
