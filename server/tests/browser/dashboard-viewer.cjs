// The dashboard for the read-only `viewer` (a wall screen of the whole city), in headless
// Chromium against the demo city started by scripts/test-dashboard: the viewer signs in, the
// header says read-only (in English and Chinese), the map holds the city's cells and the KPI
// tiles fill, a report filed through the API arrives in the feed, and its case page shows the
// facts and the timeline with no action forms or buttons. A screenshot goes to $ARTIFACTS.
"use strict";

const path = require("path");
const { chromium } = require(path.resolve(process.env.PLAYWRIGHT_CORE));

const base = process.env.GRIDLINE_URL;
const TIMEOUT = 20000;

function check(condition, message) {
  if (!condition) throw new Error("expectation failed: " + message);
}

async function api(route, { token, method = "GET", body, headers = {} } = {}) {
  const h = Object.assign({}, headers);
  if (token) h.authorization = "Bearer " + token;
  if (body !== undefined) h["content-type"] = "application/json";
  const r = await fetch(base + route, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${route}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function main() {
  const login = process.env.GRIDLINE_VIEWER_LOGIN, password = process.env.GRIDLINE_VIEWER_PASSWORD;
  const admin = (await api("/api/v1/auth/login", { method: "POST", body: { login: process.env.GRIDLINE_ADMIN_LOGIN, password: process.env.GRIDLINE_ADMIN_PASSWORD } })).access_token;
  const city = await api("/api/v1/dashboard/cells", { token: admin });

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM, headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "en-GB" });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    await page.goto(base + "/dashboard");
    await page.fill("#login", login);
    await page.fill("#password", password);
    await page.click("#signin-submit");
    await page.waitForSelector("#app:not([hidden])", { timeout: TIMEOUT });
    await page.waitForFunction(() => /\d+ /.test(document.querySelector("#map-status").textContent), null, { timeout: TIMEOUT });
    await page.waitForSelector('#live[data-state="on"]', { timeout: TIMEOUT });

    check(await page.locator("#read-only").isVisible(), "the header marks the viewer read-only");
    check((await page.locator("#read-only").innerText()) === "read-only", "in English: read-only");
    const status = await page.locator("#map-status").innerText();
    check(status.startsWith(String(city.cells.length) + " "), `the map holds the city's ${city.cells.length} cells: ${status}`);
    await page.waitForFunction(() => /^\d+$/.test(document.querySelector('[data-kpi="k_open"] .value').textContent), null, { timeout: TIMEOUT });
    const openBefore = Number(await page.locator('[data-kpi="k_open"] .value').innerText());

    // A report anywhere in the city reaches the wall screen live.
    const cell = city.cells[0], ring = cell.rings[0];
    let x = 0, y = 0;
    for (let i = 0; i < ring.length; i += 2) { x += ring[i]; y += ring[i + 1]; }
    const n = ring.length / 2;
    const citizen = (await api("/api/v1/auth/anonymous", { method: "POST" })).access_token;
    const receipt = await api("/api/v1/reports", {
      token: citizen, method: "POST", headers: { "idempotency-key": crypto.randomUUID() },
      body: { category: "E0101", description: "Broken bench by the canal",
              position: { lat: city.origin[1] + y / n / city.scale, lon: city.origin[0] + x / n / city.scale, crs: "wgs84", accuracy_m: 5 } },
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

    await page.keyboard.press("Escape");
    await page.click(".bar .lang-toggle");
    await page.waitForFunction(() => document.querySelector("#read-only").textContent === "只读", null, { timeout: TIMEOUT });

    check(errors.length === 0, "no script or console errors: " + [...new Set(errors)].join(" | "));
    console.log(`dashboard viewer: ok (read-only, ${city.cells.length} cells, case ${receipt.tracking_number} live, no actions)`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error("dashboard viewer: " + (e.stack || e)); process.exit(1); });
