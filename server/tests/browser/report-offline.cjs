// A report written in a basement: on a small Android phone the page is opened once with a
// signal (the service worker keeps it), then the browser context goes offline. The citizen
// still writes the whole report with a photo; the page says it is waiting. The page is even
// reloaded offline (served by the service worker, the report still waiting in IndexedDB).
// When the signal returns the page sends it; the first answer of the server is lost on the
// way (the test lets the request reach the server, then cuts the answer), so the page sends
// it again with the same idempotency key after a reload. The city then holds exactly one new
// case, with the photo, and the page shows its tracking number. Every step is a screenshot and
// an axe-core pass.
"use strict";

const { TIMEOUT, check, api, signIn, launch, phoneContext } = require("./support.cjs");
const { openPage, step, makeJpeg, allCases, caseByNumber, tapNext, passNearby } = require("./report-support.cjs");

async function main() {
  const admin = await signIn(process.env.GRIDLINE_ADMIN_LOGIN, process.env.GRIDLINE_ADMIN_PASSWORD);
  const street = (await api("/api/v1/public/places")).places[0].code;
  const community = (await api("/api/v1/public/places?area=" + street)).places[1].code;
  const cell = (await api("/api/v1/public/places?area=" + community)).places[0];
  const category = (await api("/api/v1/categories")).categories.find((c) => !(c.questions || []).length);

  const browser = await launch();
  try {
    const context = await phoneContext(browser, "Galaxy S5", { locale: "en-GB", position: { lat: cell.lat, lon: cell.lon } });
    const { page, errors } = await openPage(context);
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: TIMEOUT });
    const before = (await allCases(admin)).length;
    const photo = await makeJpeg(page, "basement-1200x900", 1200, 900);

    await context.setOffline(true);
    const another = await makeJpeg(page, "basement-900x1200", 900, 1200);
    await page.setInputFiles("#photo", [photo.file, another.file]);
    await page.waitForFunction(() => document.querySelectorAll("#photo-list img").length === 2, null, { timeout: TIMEOUT });
    await tapNext(page);
    await page.locator("#locate").tap();
    await page.waitForFunction(() => document.querySelector("#place-now").textContent.includes("offline"), null, { timeout: TIMEOUT });
    await step(page, "report-offline-1-place");
    await tapNext(page);
    await page.selectOption("#category", category.code);
    await page.fill("#description", "Water is pouring from a broken pipe in the underground car park.");
    await tapNext(page);
    await passNearby(page);
    await tapNext(page);
    await page.locator("#send").tap();
    await page.waitForFunction(() => document.querySelector("#outbox").textContent.includes("1 report(s) waiting"), null, { timeout: TIMEOUT });
    check(await page.locator("#step-send").isVisible(), "the page stays on the send step while offline");
    await step(page, "report-offline-2-waiting");
    check((await allCases(admin)).length === before, "nothing reached the server while offline");

    // Reloaded without a signal: the service worker serves the page, the report still waits.
    await page.reload();
    await page.waitForSelector('body[data-ready="1"]', { timeout: TIMEOUT });
    await page.waitForFunction(() => document.querySelector("#outbox").textContent.includes("1 report(s) waiting"), null, { timeout: TIMEOUT });
    await step(page, "report-offline-3-reloaded-offline");

    // The signal returns; the server's first answer to the report is lost on the way.
    let cut = 0;
    await page.route("**/api/v1/reports/web", async (route) => {
      if (cut > 0) return route.continue();
      cut++;
      await route.fetch();
      await route.abort("connectionreset");
    });
    await context.setOffline(false);
    await page.waitForFunction(() => !document.querySelector("#outbox").textContent.includes("Sending"), null, { timeout: TIMEOUT });
    check(cut === 1, "the report reached the server once and its answer was cut");
    check((await allCases(admin)).length === before + 1, "the server holds the report whose answer was lost");
    check((await page.locator("#outbox").innerText()).includes("1 report(s) waiting"), "with no answer the page keeps the report");
    await page.unroute("**/api/v1/reports/web");

    // The next chance to send (here a reload) sends it again with the same key.
    await page.reload();
    await page.waitForFunction(() => document.querySelector("#outbox").textContent.includes("tracking number"), null, { timeout: TIMEOUT });
    await step(page, "report-offline-4-sent");
    const number = (await page.locator("#outbox").innerText()).match(/GL-\d{6}-[0-9A-Z]{6}/)[0];
    const after = await allCases(admin);
    check(after.length === before + 1, `exactly one new case after the retry: ${after.length - before}`);
    check(after.filter((c) => c.tracking_number === number).length === 1, "the page's tracking number is that case");
    check(after.find((c) => c.tracking_number === number).channel === "web", "the server counts it under the channel web");
    const seen = await caseByNumber(admin, number);
    check(seen.photo_ids.length === 2 && seen.photo_ids[0] !== seen.photo_ids[1], "both photos written offline came with it, each once");
    check(seen.description.startsWith("Water is pouring"), "the description written offline came with it");
    check(errors.length === 0, "no script error on the page: " + errors.join("; "));
    console.log(`report-offline: written offline, sent once on reconnect despite a lost answer (case ${number})`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error(e.stack || e.message); process.exit(1); });
