// End-to-end walk of the recipients' portal in Debian's Chromium (playwright-core, no browser
// download, JavaScript off as in a locked-down browser), on a phone and on a laptop. Run by
// crates/vault/tests/portal_browser.rs, which starts the vault, the portal, the SMTP and SMS
// sinks, deposits two acts for one person (one past its day, "à domicile"; one new) and passes:
//   SCEAU_PORTAL_LINK   the link from the notification e-mail
//   SCEAU_SMS_SINK      URL listing the SMS the loopback gateway received (JSON array of bodies)
//   SCEAU_PERSON_ID     the new act's deposit id (opened in the walk: "à personne")
//   SCEAU_PERSON_ACT    its file name
//   SCEAU_HOME_ID       the deposit id of the act left unread past its day ("à domicile")
//   SCEAU_OUT           a directory for the downloaded files
//   SCEAU_SHOTS         a directory for the screenshots (<page>-<w>x<h>.png)
//   SCEAU_AXE           axe-core's axe.min.js
//   SCEAU_SIZES         viewports, e.g. "390x844,1366x768"
// At each size: link → code → list → the act's page → view (inline PDF) → download → the act's
// page again ("à personne") → the other act ("à domicile") → list → "Se déconnecter". On every
// page it measures the horizontal overflow and the controls under 44 px, and runs axe-core on the
// page's HTML in a second context (JavaScript on, the same viewport). It prints one JSON line
// with what it saw (axe-core's findings also in <SCEAU_SHOTS>/axe.json), and exits non-zero on
// an unexpected page.
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const need = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`missing ${k}`);
  return v;
};
const link = need("SCEAU_PORTAL_LINK");
const smsSink = need("SCEAU_SMS_SINK");
const personId = need("SCEAU_PERSON_ID");
const personAct = need("SCEAU_PERSON_ACT");
const homeId = need("SCEAU_HOME_ID");
const out = need("SCEAU_OUT");
const shots = need("SCEAU_SHOTS");
const axeSource = readFileSync(need("SCEAU_AXE"), "utf8");
const sizes = need("SCEAU_SIZES")
  .split(",")
  .map((s) => s.split("x").map(Number));
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.SCEAU_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

const origin = new URL(link).origin;
const lastCode = async () => {
  const sms = await (await fetch(smsSink)).json();
  return /(\d{6})/.exec(JSON.parse(sms[sms.length - 1]).text)[1];
};

async function walk(width, height) {
  const size = `${width}x${height}`;
  const ctx = await browser.newContext({
    viewport: { width, height },
    // The vault's certificate comes from its own test CA.
    ignoreHTTPSErrors: true,
    javaScriptEnabled: false,
    acceptDownloads: true,
  });
  // axe-core runs on each page's HTML in its own context (the portal's pages carry no script
  // and their policy allows none).
  const axeCtx = await browser.newContext({ viewport: { width, height }, bypassCSP: true });
  const axePage = await axeCtx.newPage();
  const page = await ctx.newPage();
  const pages = {};
  const seen = { size, pages };
  const look = async (name) => {
    const title = (await page.textContent("h1"))?.trim();
    const [scrollWidth, innerWidth] = await page.evaluate(() => [
      document.documentElement.scrollWidth,
      window.innerWidth,
    ]);
    // Controls smaller than 44 × 44 px (links inside sentences excepted).
    const small = await page.evaluate(() =>
      [...document.querySelectorAll("a.bouton, button, input:not([type=hidden])")]
        .map((e) => [e.textContent.trim() || e.name, e.getBoundingClientRect()])
        .filter(([, r]) => r.height < 44 || r.width < 44)
        .map(([t, r]) => `${t} ${Math.round(r.width)}×${Math.round(r.height)}`),
    );
    const fontSize = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
    await page.screenshot({ path: join(shots, `${name}-${size}.png`), fullPage: true });
    await axePage.setContent(await page.content());
    await axePage.evaluate(axeSource);
    const axe = await axePage.evaluate(() =>
      axe
        .run(document, {
          runOnly: {
            type: "tag",
            values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
          },
          resultTypes: ["violations"],
        })
        .then((r) => ({
          rules: r.passes.length,
          violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })),
        })),
    );
    pages[name] = { title, scrollWidth, innerWidth, small, fontSize, axe };
    return title;
  };

  await page.goto(link);
  if ((await look("code")) !== "Confirmez votre identité") throw new Error("no code page");
  seen.notice = await page.textContent("p.info");
  await page.fill("#code", await lastCode());
  await Promise.all([page.waitForURL("**/portail/actes"), page.click("main button[type=submit]")]);
  seen.listTitle = await look("actes-avant");
  seen.list = await page.innerText("main");

  // The new act's page, then the act itself in the browser's viewer.
  await page.goto(`${origin}/portail/actes/${personId}`);
  seen.personBefore = await page.textContent(".etat");
  const view = await page.getAttribute(`a[href$="/document/${personAct}"]`, "href");
  const viewed = await page.request.get(`${origin}${view}`);
  seen.view = {
    status: viewed.status(),
    type: viewed.headers()["content-type"],
    disposition: viewed.headers()["content-disposition"],
  };
  // The browser's PDF viewer is itself a script: it runs in a context with JavaScript on,
  // holding the same session (the portal's pages need none).
  const viewer = await browser.newContext({
    viewport: { width, height },
    ignoreHTTPSErrors: true,
    storageState: await ctx.storageState(),
  });
  const shown = await viewer.newPage();
  await shown.goto(`${origin}${view}`);
  await shown.waitForTimeout(2000);
  await shown.screenshot({ path: join(shots, `vue-${size}.png`) });
  await viewer.close();
  await page.goto(`${origin}/portail/actes/${personId}`);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click(`a[href$="/document/${personAct}?telecharger=1"]`),
  ]);
  const file = join(out, `${size}-${download.suggestedFilename()}`);
  await download.saveAs(file);
  seen.download = {
    name: download.suggestedFilename(),
    header: readFileSync(file).subarray(0, 5).toString("latin1"),
    file,
  };
  await page.reload();
  await look("acte-personne");
  seen.person = await page.innerText("main");

  await page.goto(`${origin}/portail/actes/${homeId}`);
  await look("acte-domicile");
  seen.home = await page.innerText("main");

  await page.click("text=Retour à vos actes");
  await look("actes");
  seen.listAfter = await page.innerText("main");
  seen.session = await page.innerText(".session");
  await page.click("text=Se déconnecter");
  seen.logout = await look("deconnexion");
  await page.goto(`${origin}/portail/actes`);
  seen.afterLogout = (await page.textContent("h1"))?.trim();
  await ctx.close();
  await axeCtx.close();
  return seen;
}

try {
  const runs = [];
  for (const [w, h] of sizes) runs.push(await walk(w, h));
  // axe-core's findings (every impact) per page and size, beside the screenshots.
  const findings = Object.fromEntries(
    runs.flatMap((r) => Object.entries(r.pages).map(([name, p]) => [`${name}-${r.size}`, p.axe])),
  );
  writeFileSync(join(shots, "axe.json"), JSON.stringify(findings, null, 1));
  console.log(JSON.stringify({ runs }));
} finally {
  await browser.close();
}
