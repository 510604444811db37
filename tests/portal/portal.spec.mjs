// End-to-end spec of the recipients' portal in Debian's Chromium (playwright-core, no browser
// download). Run by crates/vault/tests/portal_browser.rs, which starts the vault, the portal,
// the SMTP and SMS sinks, makes a deposit and passes:
//   SCEAU_PORTAL_LINK  the link from the notification e-mail
//   SCEAU_SMS_SINK     URL listing the SMS the loopback gateway received (JSON array of bodies)
//   SCEAU_ACT_NAME     the act's file name
//   SCEAU_OUT          a directory for the downloaded file
// It opens the link, reads the one-time code from the SMS sink, types it, sees the act and
// downloads it; it prints one JSON line with what it saw, and exits non-zero on any failure.
import { chromium } from "playwright-core";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";

const need = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`missing ${k}`);
  return v;
};
const link = need("SCEAU_PORTAL_LINK");
const smsSink = need("SCEAU_SMS_SINK");
const actName = need("SCEAU_ACT_NAME");
const out = need("SCEAU_OUT");

const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "sceau-chromium-")), {
  executablePath: process.env.SCEAU_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // The vault's certificate comes from its own test CA.
  ignoreHTTPSErrors: true,
  javaScriptEnabled: false,
  acceptDownloads: true,
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
try {
  const page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto(link);
  const h1 = await page.textContent("h1");
  if (h1 !== "Confirmez votre identité") throw new Error(`unexpected page: ${h1}`);
  const notice = await page.textContent("p.info");
  const sms = await (await fetch(smsSink)).json();
  const last = JSON.parse(sms[sms.length - 1]).text;
  const code = /(\d{6})/.exec(last)[1];
  await page.fill("#code", code);
  await Promise.all([page.waitForURL("**/portail/actes"), page.click("button[type=submit]")]);
  const title = await page.textContent("h1");
  const listed = (await page.textContent("table")).includes(actName);
  const before = await page.textContent("tbody tr td:nth-child(4)");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click(`a[href$="${encodeURIComponent(actName).replace(/%2E/g, ".")}?telecharger=1"]`),
  ]);
  const file = join(out, download.suggestedFilename());
  await download.saveAs(file);
  const bytes = readFileSync(file);
  await page.reload();
  const after = await page.textContent("tbody tr td:nth-child(4)");
  const state = await page.textContent("tbody tr td:nth-child(5)");
  console.log(
    JSON.stringify({
      notice,
      title,
      listed,
      before,
      after,
      state,
      file: download.suggestedFilename(),
      size: bytes.length,
      header: bytes.subarray(0, 5).toString("latin1"),
    }),
  );
} finally {
  await browser.close();
}
