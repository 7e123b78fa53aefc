// The operations dashboard end to end in headless Chromium, against a real `gridline serve`
// with the demo city (started by scripts/test-dashboard, which passes the address and the demo
// accounts in the environment). What a dispatcher does on a shift:
//
//   1. signs in on /dashboard and sees their street's cells on the map;
//   2. a citizen files a report through the API: it appears in the live feed, blinks in its
//      cell, and the KPI tiles count it;
//   3. opens it from the feed, registers it and dispatches it: the page shows the deadline and
//      the "awaiting dispatch" tile goes down;
//   4. a dispatcher of another street, signed in at the same time, never sees that case in the
//      feed, the case list or the counts.
//
// Screenshots of the map and of the case page go to $ARTIFACTS. Any failed expectation exits
// non-zero with the reason.
"use strict";

const path = require("path");
const { TIMEOUT, check, api, signIn, launch, signInPage, middleOf, checkAccessibility } = require("./support.cjs");

const artifacts = process.env.ARTIFACTS;

async function kpi(page, key) {
  return page.locator(`[data-kpi="${key}"] .value`).innerText();
}

async function waitForKpi(page, key, expected) {
  await page.waitForFunction(
    ([k, v]) => { const el = document.querySelector(`[data-kpi="${k}"] .value`); return el && el.textContent === v; },
    [key, String(expected)], { timeout: TIMEOUT });
}

async function main() {
  const admin = await signIn(process.env.GRIDLINE_ADMIN_LOGIN, process.env.GRIDLINE_ADMIN_PASSWORD);
  const dispatcher = await signIn(process.env.GRIDLINE_LOGIN, process.env.GRIDLINE_PASSWORD);

  // A second street office: a dispatcher of a street that holds none of the demo cells.
  const layer = await api("/api/v1/dashboard/cells", { token: dispatcher });
  const street = layer.cells[0].code.slice(0, 9);
  const otherStreet = street.slice(0, 6) + String(Number(street.slice(6)) + 1).padStart(3, "0");
  const otherPassword = "another-street-" + Date.now();
  await api("/api/v1/admin/users", {
    token: admin, method: "POST",
    body: { login: "desk-" + otherStreet, display_name: "Other street desk", role: "dispatcher",
            scope: { kind: "street", street: otherStreet }, password: otherPassword },
  });

  const browser = await launch();
  try {
    const mine = await signInPage(browser, process.env.GRIDLINE_LOGIN, process.env.GRIDLINE_PASSWORD);
    const other = await signInPage(browser, "desk-" + otherStreet, otherPassword);
    const page = mine.page;

    const status = await page.locator("#map-status").innerText();
    check(status.startsWith(String(layer.cells.length) + " "), `map shows the street's ${layer.cells.length} cells: ${status}`);
    check((await other.page.locator("#map-status").innerText()).startsWith("0 "), "the other street's map holds no demo cell");
    const openBefore = Number(await kpi(page, "k_open"));
    const deskBefore = Number(await kpi(page, "k_at_desk"));

    // A citizen reports from the middle of a cell of the street.
    const cell = layer.cells[Math.floor(layer.cells.length / 2)];
    const { lon, lat } = middleOf(layer, cell);
    const citizen = (await api("/api/v1/auth/anonymous", { method: "POST" })).access_token;
    const receipt = await api("/api/v1/reports", {
      token: citizen, method: "POST", headers: { "idempotency-key": crypto.randomUUID() },
      body: { category: "E0101", description: "Rubbish bags piled at the corner", position: { lat, lon, crs: "wgs84", accuracy_m: 5 } },
    });
    const tracking = receipt.tracking_number;
    check(tracking && receipt.placement.grid === cell.code, `the report routes to ${cell.code}: ${JSON.stringify(receipt.placement)}`);

    // Live: into the feed and the map without a reload.
    await page.waitForSelector(`#feed li[data-case="${receipt.id}"]`, { timeout: TIMEOUT });
    const blinking = await page.evaluate((code) => state.blinks.has(code), cell.code);
    check(blinking, "the new report blinks in its cell");
    await waitForKpi(page, "k_open", openBefore + 1);
    await waitForKpi(page, "k_at_desk", deskBefore + 1);
    const counted = await page.evaluate((code) => state.counts.cells[code], cell.code);
    check(counted && counted[0] >= 1, "the cell counts the open case: " + JSON.stringify(counted));
    await page.locator("#map").screenshot({ path: path.join(artifacts, "map.png") });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(artifacts, "overview.png"), fullPage: true });
    await checkAccessibility(page, "the dashboard's overview with a live report");

    // Open it from the feed, register, dispatch.
    await page.click(`#feed li[data-case="${receipt.id}"] button`);
    await page.waitForSelector("#case-panel:not([hidden])", { timeout: TIMEOUT });
    await page.waitForSelector('form[data-action="register"]', { timeout: TIMEOUT });
    await checkAccessibility(page, "the dashboard's case page of a new report");
    await page.click('form[data-action="register"] button[type="submit"]');
    await page.waitForSelector('form[data-action="dispatch"]', { timeout: TIMEOUT });
    const preview = await page.locator('[data-field="dispatch-deadline"]').innerText();
    const offered = await api(`/api/v1/cases/${receipt.id}`, { token: dispatcher });
    check(offered.dispatch_deadline, "the case offers the deadline a dispatch now would set");
    const unit = await page.locator('form[data-action="dispatch"] select[name="handling_unit"]').inputValue();
    check(unit === "sanitation", "dispatch offers the category's default unit first: " + unit);
    await page.click('form[data-action="dispatch"] button[type="submit"]');
    await page.waitForFunction(() => document.querySelector('[data-field="state"]').textContent === "dispatched", null, { timeout: TIMEOUT });
    const deadline = await page.locator('[data-field="deadline"]').innerText();
    check(deadline && deadline !== "—", "the case page shows the computed deadline: " + deadline);
    check(preview.length > 0, "the dispatch form shows the deadline before dispatching");
    await waitForKpi(page, "k_at_desk", deskBefore);
    await page.locator(".panel-body").screenshot({ path: path.join(artifacts, "case.png") });
    await checkAccessibility(page, "the dashboard's case page of a dispatched case");
    const server = await api(`/api/v1/cases/${receipt.id}`, { token: dispatcher });
    check(server.state === "dispatched" && server.handling_unit === "sanitation" && server.deadline, "the server holds the dispatch");
    const drift = Math.abs(new Date(server.deadline) - new Date(offered.dispatch_deadline));
    check(drift <= 120000, `the deadline offered before dispatching is the one set (${offered.dispatch_deadline} / ${server.deadline})`);

    // The case list finds it by filter; the other street's desk sees nothing of it anywhere.
    await page.keyboard.press("Escape");
    await page.click('[data-view="cases"]');
    await page.waitForSelector(`#case-rows tr[data-case="${receipt.id}"]`, { timeout: TIMEOUT });
    await checkAccessibility(page, "the dashboard's case list");
    await other.page.click('[data-view="cases"]');
    await other.page.waitForSelector("#case-rows tr", { timeout: TIMEOUT });
    const otherText = await other.page.locator("body").innerText();
    check(!otherText.includes(tracking), "another street's dispatcher never sees the case");
    check(await other.page.locator(`#feed li[data-case="${receipt.id}"]`).count() === 0, "nor in their live feed");
    check(await kpi(other.page, "k_open") === "0", "nor in their counts");

    // Language switch and the rankings view render.
    await page.click('[data-view="rankings"]');
    await page.click(".bar .lang-toggle");
    await page.waitForFunction(() => document.documentElement.lang === "zh-CN", null, { timeout: TIMEOUT });
    await page.waitForSelector("#view-rankings:not([hidden]) table", { timeout: TIMEOUT });
    await checkAccessibility(page, "the dashboard's rankings in Chinese");
    // The three rates of 接诉即办 beside the office's own, per street and per unit.
    await page.waitForSelector('#rank-street td[data-field="satisfaction_rate"]', { timeout: TIMEOUT });
    for (const table of ["#rank-street", "#rank-unit"]) {
      const headers = await page.locator(`${table} thead`).innerText();
      check(["响应率", "解决率", "满意率"].every((h) => headers.includes(h)), `${table} shows the three rates, in Chinese: ${headers}`);
    }
    await page.screenshot({ path: path.join(artifacts, "rankings.png"), fullPage: true });

    const errors = [...new Set(mine.errors.concat(other.errors))];
    check(errors.length === 0, "no script or console errors: " + errors.join(" | "));
    console.log(`dashboard: ok (${layer.cells.length} cells, case ${tracking} reported → live → registered → dispatched; other street saw nothing); screenshots in ${artifacts}`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error("dashboard: " + (e.stack || e)); process.exit(1); });
