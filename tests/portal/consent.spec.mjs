// The consent flow of the portal in Debian's Chromium (playwright-core, no browser download,
// JavaScript off as for a recipient's locked-down browser). Run by
// crates/vault/tests/portal_browser.rs, which starts the vault, its portal, the SMTP and SMS
// sinks, has an office invite a person and passes:
//   SCEAU_INVITATION_LINK  the link from the invitation e-mail
//   SCEAU_MAIL_DIR         the SMTP sink's directory of received messages (NNNNNN.json)
//   SCEAU_SMS_SINK         URL listing the SMS the loopback gateway received (JSON array)
//   SCEAU_ANSWER           "accepter", "refuser" or "revoquer"
//   SCEAU_WRONG            optional: a number of wrong tries to make first (the SMS code
//                          altered), to see the lock-out
// It opens the link, asks for the codes, reads the e-mail code from the sink's files and the
// SMS code from the gateway, types both and answers; it prints one JSON line with what it
// saw, and exits non-zero on any unexpected page.
import { chromium } from "playwright-core";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";

const need = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`missing ${k}`);
  return v;
};
const link = need("SCEAU_INVITATION_LINK");
const mailDir = join(need("SCEAU_MAIL_DIR"), "mail");
const smsSink = need("SCEAU_SMS_SINK");
const answer = need("SCEAU_ANSWER");
const wrong = Number(process.env.SCEAU_WRONG || "0");

const lastMailCode = () => {
  const files = readdirSync(mailDir).filter((f) => f.endsWith(".json")).sort();
  for (const f of files.reverse()) {
    const m = JSON.parse(readFileSync(join(mailDir, f), "utf8"));
    if (m.subject.startsWith("Votre code")) return /est (\d{6})/.exec(m.body)[1];
  }
  throw new Error("no code e-mailed");
};
const lastSmsCode = async () => {
  const sms = await (await fetch(smsSink)).json();
  for (const body of sms.reverse()) {
    const text = JSON.parse(body).text;
    if (text.includes("code de vérification")) return /est (\d{6})/.exec(text)[1];
  }
  throw new Error("no code texted");
};

// Optional: screenshots of each page (SCEAU_SHOTS, as consentement-<answer>[-<n>faux]-<page>-390x844.png)
// and axe-core (SCEAU_AXE, its axe.min.js) run on each page's HTML in a context of its own.
const shots = process.env.SCEAU_SHOTS;
const axeSource = process.env.SCEAU_AXE ? readFileSync(process.env.SCEAU_AXE, "utf8") : null;
const pages = {};
const run = wrong ? `${answer}-${wrong}faux` : answer;
let axePage = null;
const measure = async (page, name) => {
  const [scrollWidth, innerWidth] = await page.evaluate(() => [
    document.documentElement.scrollWidth,
    window.innerWidth,
  ]);
  const small = await page.evaluate(() =>
    [...document.querySelectorAll("a.bouton, button, input:not([type=hidden])")]
      .map((e) => [e.textContent.trim() || e.name, e.getBoundingClientRect()])
      .filter(([, r]) => r.height < 44 || r.width < 44)
      .map(([t, r]) => `${t} ${Math.round(r.width)}×${Math.round(r.height)}`),
  );
  const fontSize = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
  if (shots) {
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: join(shots, `consentement-${run}-${name}-390x844.png`), fullPage: true });
  }
  let axe = { rules: 0, violations: [] };
  if (axeSource) {
    await axePage.setContent(await page.content());
    await axePage.evaluate(axeSource);
    axe = await axePage.evaluate(() =>
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
  }
  pages[name] = { scrollWidth, innerWidth, small, fontSize, axe };
};

const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "sceau-chromium-")), {
  executablePath: process.env.SCEAU_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  ignoreHTTPSErrors: true,
  javaScriptEnabled: false,
  viewport: { width: 390, height: 844 },
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const axeBrowser = axeSource
  ? await chromium.launch({
      executablePath: process.env.SCEAU_CHROMIUM || "/usr/bin/chromium",
      headless: true,
      args: ["--no-sandbox", "--disable-gpu"],
    })
  : null;
if (axeBrowser) {
  const ctx = await axeBrowser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true });
  axePage = await ctx.newPage();
}
try {
  const page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto(link);
  const invitation = await page.textContent("main");
  await measure(page, "invitation");
  if (!(await page.$("button[type=submit]"))) {
    // Nothing to answer (expired, withdrawn, answered): report the page as it is.
    const final = { title: await page.textContent("h1"), text: invitation };
    console.log(JSON.stringify({ invitation, codesPage: null, refusedTries: [], final, pages }));
    await browser.close();
    await axeBrowser?.close();
    process.exit(0);
  }
  await Promise.all([page.waitForLoadState(), page.click("button[type=submit]")]);
  const codesPage = await page.textContent("h1");
  await measure(page, "codes");
  const emailCode = lastMailCode();
  const smsCode = await lastSmsCode();
  const button = { accepter: "J'accepte", refuser: "Je refuse", revoquer: "Révoquer mon consentement" }[answer];
  let refusedTries = [];
  for (let i = 0; i < wrong; i++) {
    await page.fill("#code_courriel", emailCode);
    await page.fill("#code_sms", smsCode === "000000" ? "111111" : "000000");
    await Promise.all([page.waitForLoadState(), page.click(`button:has-text("${button}")`)]);
    refusedTries.push(await page.textContent("main"));
    if (i === 0) await measure(page, "code-faux");
    if (!(await page.$("#code_sms"))) break;
  }
  let final;
  if (await page.$("#code_sms")) {
    await page.fill("#code_courriel", emailCode);
    await page.fill("#code_sms", smsCode);
    await Promise.all([page.waitForLoadState(), page.click(`button:has-text("${button}")`)]);
  }
  final = { title: await page.textContent("h1"), text: await page.textContent("main") };
  await measure(page, "reponse");
  console.log(JSON.stringify({ invitation, codesPage, refusedTries, final, pages }));
} finally {
  await browser.close();
  await axeBrowser?.close();
}
