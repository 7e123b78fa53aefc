// The dashboard for the read-only `viewer` (a wall screen of the whole city), in headless
// Chromium against the demo city started by scripts/test-dashboard: the viewer signs in, the
// header says read-only (in English and Chinese), the map holds the city's cells and the KPI
// tiles fill, a report filed through the API arrives in the feed, and its case page shows the
// facts and the timeline with no action forms or buttons. A screenshot goes to $ARTIFACTS.
"use strict";

const path = require("path");
const { TIMEOUT, check, api, signIn, launch, signInPage, middleOf, checkAccessibility } = require("./support.cjs");

async function main() {
  const admin = await signIn(process.env.GRIDLINE_ADMIN_LOGIN, process.env.GRIDLINE_ADMIN_PASSWORD);
  const city = await api("/api/v1/dashboard/cells", { token: admin });

  const browser = await launch();
  try {
    const { page, errors } = await signInPage(browser, process.env.GRIDLINE_VIEWER_LOGIN, process.env.GRIDLINE_VIEWER_PASSWORD);

    check(await page.locator("#read-only").isVisible(), "the header marks the viewer read-only");
    await checkAccessibility(page, "the viewer's wall screen");
    check((await page.locator("#read-only").innerText()) === "read-only", "in English: read-only");
    const status = await page.locator("#map-status").innerText();
    check(status.startsWith(String(city.cells.length) + " "), `the map holds the city's ${city.cells.length} cells: ${status}`);
    await page.waitForFunction(() => /^\d+$/.test(document.querySelector('[data-kpi="k_open"] .value').textContent), null, { timeout: TIMEOUT });
    const openBefore = Number(await page.locator('[data-kpi="k_open"] .value').innerText());

    // A report anywhere in the city reaches the wall screen live.
    const citizen = (await api("/api/v1/auth/anonymous", { method: "POST" })).access_token;
    const receipt = await api("/api/v1/reports", {
      token: citizen, method: "POST", headers: { "idempotency-key": crypto.randomUUID() },
      body: { category: "E0101", description: "Broken bench by the canal",
              position: { ...middleOf(city, city.cells[0]), crs: "wgs84", accuracy_m: 5 } },
    });
    await page.waitForSelector(`#feed li[data-case="${receipt.id}"]`, { timeout: TIMEOUT });
    await page.waitForFunction((v) => Number(document.querySelector('[data-kpi="k_open"] .value').textContent) === v, openBefore + 1, { timeout: TIMEOUT });

    // Its case page: the facts and the timeline, and nothing to press.
    await page.click(`#feed li[data-case="${receipt.id}"] button`);
    await page.waitForSelector("#case-panel:not([hidden])", { timeout: TIMEOUT });
    await page.waitForFunction(() => document.querySelector('[data-field="state"]')?.textContent === "reported", null, { timeout: TIMEOUT });
    check(await page.locator("#case-body .timeline li").count() >= 1, "the case page shows the timeline");
    check(await page.locator("#case-body form").count() === 0, "no action forms on a viewer's case page");
    check(await page.locator("#case-body button").count() === 0, "no buttons in a viewer's case page");
    check(!(await page.locator("#case-body").innerText()).includes("Actions"), "no actions section");
    await page.locator(".panel-body").screenshot({ path: path.join(process.env.ARTIFACTS, "viewer-case.png") });
    await checkAccessibility(page, "the viewer's case page");

    await page.keyboard.press("Escape");
    await page.click(".bar .lang-toggle");
    await page.waitForFunction(() => document.querySelector("#read-only").textContent === "只读", null, { timeout: TIMEOUT });
    await checkAccessibility(page, "the viewer's wall screen in Chinese");

    check(errors.length === 0, "no script or console errors: " + [...new Set(errors)].join(" | "));
    console.log(`dashboard viewer: ok (read-only, ${city.cells.length} cells, case ${receipt.tracking_number} live, no actions)`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error("dashboard viewer: " + (e.stack || e)); process.exit(1); });
