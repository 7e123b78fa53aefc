// The dashboard's early-warning signals, in headless Chromium against the city with history that
// scripts/test-dashboard starts for it (the demo district with four weeks of cases written by
// `gridline seed`): the dispatcher watches the Warnings view; a burst of reports arrives in two
// neighbouring cells; the city admin, in a second session, presses "Run the scan"; the signal
// over the burst appears in the dispatcher's open page without a reload, its cells ringed on the
// overview map; the dispatcher sends an inspector (`open_case`, with the category the server
// asks for) and the case opens at the burst. Screenshots of the card on a desktop and on a
// phone-sized viewport, and of the map, go to $ARTIFACTS; axe-core checks each screen.
"use strict";

const path = require("path");
const { TIMEOUT, check, api, launch, signIn, signInPage, middleOf, checkAccessibility } = require("./support.cjs");

const artifacts = process.env.ARTIFACTS;
// A signal reaches an open page by the page's own re-read of the list (ten seconds), not by a
// case event: allow for that, the scan and a slow machine.
const SIGNAL_TIMEOUT = 45000;

function distance(a, b) {
  return Math.hypot(a.lat - b.lat, (a.lon - b.lon) * Math.cos((a.lat * Math.PI) / 180));
}

async function main() {
  const dispatcher = await signIn(process.env.GRIDLINE_LOGIN, process.env.GRIDLINE_PASSWORD);
  const layer = await api("/api/v1/dashboard/cells", { token: dispatcher });
  // The burst: eight reports in a cell of the street and four in the cell nearest to it.
  const centre = layer.cells[Math.floor(layer.cells.length / 3)];
  const at = middleOf(layer, centre);
  const neighbour = layer.cells
    .filter((c) => c.code !== centre.code)
    .map((c) => ({ cell: c, d: distance(at, middleOf(layer, c)) }))
    .sort((x, y) => x.d - y.d)[0].cell;

  const browser = await launch();
  try {
    const { page, errors } = await signInPage(browser, process.env.GRIDLINE_LOGIN, process.env.GRIDLINE_PASSWORD);
    await page.click('[data-view="warnings"]');
    await page.waitForSelector("#warn-signals tbody", { timeout: TIMEOUT });
    check(await page.locator("#warn-run").isVisible(), "the street office may run the scan: the server says can_run");
    const burstSignal = (cell) => [...document.querySelectorAll("#warn-signals tr[data-signal]")]
      .find((r) => r.cells[0].textContent.split(", ").includes(cell));
    check(!(await page.evaluate(`(${burstSignal})(${JSON.stringify(centre.code)})`)), "no signal over the burst's cell yet");

    for (const [cell, count] of [[centre, 8], [neighbour, 4]]) {
      const citizen = (await api("/api/v1/auth/anonymous", { method: "POST" })).access_token;
      for (let i = 0; i < count; i++) {
        await api("/api/v1/reports", {
          token: citizen, method: "POST", headers: { "idempotency-key": crypto.randomUUID() },
          body: { category: "E0101", description: `Rubbish dumped again (${i + 1})`,
                  position: { ...middleOf(layer, cell), crs: "wgs84", accuracy_m: 5 } },
        });
      }
    }

    // Another user runs the scan in a session of their own.
    const admin = await signInPage(browser, process.env.GRIDLINE_ADMIN_LOGIN, process.env.GRIDLINE_ADMIN_PASSWORD);
    await admin.page.click('[data-view="warnings"]');
    await admin.page.waitForSelector("#warn-run:not([hidden])", { timeout: TIMEOUT });
    const ran = Date.now();
    await admin.page.click("#warn-run");
    await admin.page.waitForFunction(() => /\d/.test(document.querySelector("#warn-result").textContent), null, { timeout: SIGNAL_TIMEOUT });
    const result = await admin.page.locator("#warn-result").innerText();
    check(result.startsWith("Scan done"), "the run succeeds: " + result);

    // The dispatcher's page, untouched, shows the signal.
    await page.waitForFunction(`!!(${burstSignal})(${JSON.stringify(centre.code)})`, null, { timeout: SIGNAL_TIMEOUT });
    const seenAfter = ((Date.now() - ran) / 1000).toFixed(1);
    const row = page.locator("#warn-signals tr[data-signal]", { hasText: centre.code }).first();
    const id = await row.getAttribute("data-signal");
    check((await row.getAttribute("data-state")) === "open", "the signal is open");
    check(await row.locator("form[data-action]").count() === 3, "the three steps the server offers the street office");
    const rowText = await row.innerText();
    check(rowText.includes("Send an inspector"), "steps named as the server names them: " + rowText);
    check(await page.evaluate((cell) => warnings.signalCells.has(cell), centre.code), "the signal's cells are ringed on the map");

    const card = page.locator("#warn-signals").locator("xpath=..");
    await card.screenshot({ path: path.join(artifacts, "warnings-signals.png") });
    await checkAccessibility(page, "the warnings view with a signal");
    await page.setViewportSize({ width: 390, height: 844 });
    await card.screenshot({ path: path.join(artifacts, "warnings-signals-phone.png") });
    await checkAccessibility(page, "the warnings view on a phone-sized screen");
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.click('[data-view="overview"]');
    await page.locator("#map").screenshot({ path: path.join(artifacts, "warnings-map.png") });
    await page.click('[data-view="warnings"]');

    // Send an inspector: the signal is of every report, so the server asks for the category.
    const open = row.locator('form[data-action="open_case"]');
    check(await open.locator("select[name=category]").count() === 1, "open_case asks for a category, as action_needs says");
    await open.locator("select[name=category]").selectOption("E0101");
    await open.locator("button").click();
    await page.waitForSelector(`#warn-signals tr[data-signal="${id}"][data-state="case_opened"] a`, { timeout: TIMEOUT });
    await page.click(`#warn-signals tr[data-signal="${id}"] a`);
    await page.waitForSelector("#case-panel:not([hidden])", { timeout: TIMEOUT });
    const signal = await api(`/api/v1/warnings/signals/${id}`, { token: dispatcher });
    const opened = await api(`/api/v1/cases/${signal.case_id}`, { token: dispatcher });
    check(opened.placement.grid === signal.cells[0], "the case is in the signal's centre cell");
    check(opened.category === "E0101", "in the category chosen");
    await page.waitForFunction((tn) => document.querySelector("#case-title").textContent.includes(tn), opened.tracking_number, { timeout: TIMEOUT });
    await checkAccessibility(page, "the case opened from a signal");

    check(errors.length === 0, "no script or console errors: " + [...new Set(errors)].join(" | "));
    console.log(`dashboard warnings: ok (signal over ${signal.cells.length} cell(s) seen ${seenAfter} s after the run, case ${opened.tracking_number})`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error("dashboard warnings: " + (e.stack || e)); process.exit(1); });
