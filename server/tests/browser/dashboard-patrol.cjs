// The dashboard's patrol coverage view in headless Chromium, against a real `gridline serve`
// with the demo city (started by scripts/test-dashboard). Through the API, the demo inspector's
// phone uploads a quarter of an hour of patrol in one of their cells, a position a minute. The
// street's dispatcher opens the Patrol view on the city's day: the figure on the page is the
// server's (GET /api/v1/patrol/coverage), the inspector's row counts the cell visited and the
// time, and the cell is filled on the coverage map (its pixels counted in the canvas). A day
// without patrol shows 0.0 %. The city admin, whom the endpoint does not answer, has no Patrol
// tab. Then the office gives one of its cells without an inspector to the demo inspector, and
// the server agrees; creates an inspector of that cell, resets its password, and the inspector
// signs in with the one-time password by choosing a new one. Screenshots go to $ARTIFACTS;
// axe-core checks the views at WCAG 2.2 AA.
"use strict";

const path = require("path");
const { TIMEOUT, check, api, launch, signInPage, middleOf, checkAccessibility } = require("./support.cjs");

const artifacts = process.env.ARTIFACTS;
// The demo city's calendar; the server counts a patrol day in it.
const CITY_TIME_ZONE = "Asia/Shanghai";

async function main() {
  const inspectorLogin = await api("/api/v1/auth/login", {
    method: "POST", body: { login: process.env.GRIDLINE_INSPECTOR_LOGIN, password: process.env.GRIDLINE_INSPECTOR_PASSWORD },
  });
  const inspector = inspectorLogin.user;
  const dispatcher = (await api("/api/v1/auth/login", {
    method: "POST", body: { login: process.env.GRIDLINE_LOGIN, password: process.env.GRIDLINE_PASSWORD },
  })).access_token;
  const layer = await api("/api/v1/dashboard/cells", { token: dispatcher });
  const walked = layer.cells.find((c) => (inspector.scope.grids || []).includes(c.code));
  check(walked, "one of the inspector's cells is in the dispatcher's street");

  // A quarter of an hour in the cell, ending a minute ago, as the phone records it. The server
  // counts patrol by the city's day, so a run just after the city's midnight walks the quarter
  // before it instead of splitting it across two days.
  const at = middleOf(layer, walked);
  const cityDay = (ms) => new Intl.DateTimeFormat("en-CA", { timeZone: CITY_TIME_ZONE }).format(new Date(ms));
  let end = Date.now() - 60_000;
  while (cityDay(end - 15 * 60_000) !== cityDay(end)) end -= 60_000;
  const positions = [];
  for (let i = 15; i >= 0; i--) positions.push({ at: new Date(end - i * 60_000).toISOString(), lat: at.lat, lon: at.lon, accuracy_m: 5 });
  const stored = await api("/api/v1/patrol/positions", { token: inspectorLogin.access_token, method: "POST", body: { positions } });
  check(stored.stored + stored.already_stored === positions.length, "the track is stored: " + JSON.stringify(stored));

  const day = cityDay(end);
  const expected = await api(`/api/v1/patrol/coverage?day=${day}`, { token: dispatcher });
  check(expected.visited_cells.includes(walked.code), "the server counts the cell visited");
  const mine = expected.inspectors.find((i) => i.inspector_id === inspector.id);
  check(mine && mine.cells_visited >= 1 && mine.seconds >= 15 * 60, "and the inspector's quarter of an hour: " + JSON.stringify(mine));

  const browser = await launch();
  try {
    const { page, errors } = await signInPage(browser, process.env.GRIDLINE_LOGIN, process.env.GRIDLINE_PASSWORD);
    const tab = page.locator('[data-view="patrol"]');
    check(await tab.isVisible(), "a street office has the Patrol tab");
    check(await tab.innerText() === "Patrol", "labelled");
    await tab.click();
    await page.fill("#patrol-day", day);
    await page.click('#patrol-form button[type="submit"]');
    const figure = `${expected.coverage_percent.toFixed(1)} %`;
    await page.waitForFunction((f) => {
      const shown = document.querySelector('#patrol-figure [data-field="coverage"]');
      return shown && shown.textContent === f;
    }, figure, { timeout: TIMEOUT });
    const cells = await page.locator('#patrol-figure [data-field="cells"]').innerText();
    check(cells === `${expected.cells_visited} of ${expected.cells_assigned}`, "the figure's cells: " + cells);
    const row = page.locator(`#patrol-inspectors tr[data-inspector="${inspector.id}"]`);
    check(await row.locator('[data-field="visited"]').innerText() === String(mine.cells_visited), "the inspector's cells visited");
    const rowText = await row.innerText();
    check(rowText.includes(walked.code) && rowText.includes(`${Math.round(mine.seconds / 60)} min`), "the cell and the time: " + rowText);

    // On the map: the visited cell is filled in the visited colour (#4f9a73).
    check(await page.evaluate((code) => patrol.visited.has(code), walked.code), "the map knows the cell visited");
    const filled = await page.evaluate(() => {
      const canvas = document.querySelector("#patrol-map");
      const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < pixels.length; i += 4) if (pixels[i] === 0x4f && pixels[i + 1] === 0x9a && pixels[i + 2] === 0x73) n++;
      return n;
    });
    check(filled > 20, "the visited cell is filled on the map: " + filled + " pixels");
    check((await page.locator("#patrol-map").getAttribute("aria-label")).includes(figure), "the map names the figure for screen readers");
    await page.screenshot({ path: path.join(artifacts, "patrol.png"), fullPage: true });
    await checkAccessibility(page, "the dashboard's patrol view");

    // Coverage and assignment: the street's cells without an inspector, as the server lists
    // them; the first goes to the demo inspector with the keyboard-free form, and the server
    // agrees (the cell is theirs, no longer uncovered).
    const before = await api("/api/v1/coverage", { token: dispatcher });
    await page.waitForFunction((n) => document.querySelector('#cover-figure [data-field="uncovered"]')?.textContent === String(n),
      before.cells_without_inspector.length, { timeout: TIMEOUT });
    const cell = before.cells_without_inspector[0];
    check(cell && await page.locator("#cover-cell").inputValue() === cell, "the first uncovered cell is offered: " + cell);
    await page.selectOption("#cover-inspector", inspector.id);
    await page.click('#cover-form button[type="submit"]');
    await page.waitForFunction((code) => document.querySelector("#cover-status")?.dataset.assigned === code, cell, { timeout: TIMEOUT });
    await page.waitForFunction((n) => document.querySelector('#cover-figure [data-field="uncovered"]')?.textContent === String(n),
      before.cells_without_inspector.length - 1, { timeout: TIMEOUT });
    const after = await api("/api/v1/coverage", { token: dispatcher });
    check(!after.cells_without_inspector.includes(cell), "the server no longer lists the cell uncovered");
    check(after.inspectors.find((i) => i.id === inspector.id).cells.includes(cell), "the inspector holds the cell");
    await page.locator("#cover-form").screenshot({ path: path.join(artifacts, "coverage-assign.png") });
    await checkAccessibility(page, "the dashboard's coverage and assignment");

    // A day nobody patrolled.
    await page.fill("#patrol-day", "2020-01-06");
    await page.click('#patrol-form button[type="submit"]');
    await page.waitForFunction(() => document.querySelector('#patrol-figure [data-field="coverage"]')?.textContent === "0.0 %", null, { timeout: TIMEOUT });
    check(errors.length === 0, "no script or console errors: " + errors.join(" | "));
    await page.context().close();

    // The office's own field staff: it creates an inspector of the cell just assigned, resets
    // the password, and the inspector signs in with the one-time password by choosing a new one.
    const made = await api("/api/v1/street/users", { token: dispatcher, method: "POST",
      body: { login: "street.made." + Date.now(), display_name: "Street-made inspector", role: "inspector", scope: { kind: "grids", grids: [cell] } } });
    const reset = await api(`/api/v1/street/users/${made.user.id}`, { token: dispatcher, method: "PATCH", body: { reset_password: true } });
    check(reset.one_time_password && reset.one_time_password !== made.initial_password, "a one-time password is answered once");
    const fresh = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "en-GB", bypassCSP: true });
    const signIn = await fresh.newPage();
    await signIn.goto(process.env.GRIDLINE_URL + "/dashboard");
    await signIn.fill("#login", made.user.login);
    await signIn.fill("#password", reset.one_time_password);
    await signIn.click("#signin-submit");
    await signIn.waitForSelector("#new-password-field:not([hidden])", { timeout: TIMEOUT });
    check((await signIn.locator("#signin-error").innerText()).includes("one-time password"), "the page says why a new password is needed");
    await checkAccessibility(signIn, "the sign-in asking for a new password");
    await signIn.screenshot({ path: path.join(artifacts, "signin-new-password.png") });
    await signIn.fill("#new-password", "a password of the inspector's own");
    await signIn.click("#signin-submit");
    await signIn.waitForSelector("#app:not([hidden])", { timeout: TIMEOUT });
    await fresh.close();
    const again = await api("/api/v1/auth/login", { method: "POST", body: { login: made.user.login, password: "a password of the inspector's own" } });
    check(again.access_token, "the new password signs in");

    // The city admin is not a street office: no tab.
    const admin = await signInPage(browser, process.env.GRIDLINE_ADMIN_LOGIN, process.env.GRIDLINE_ADMIN_PASSWORD);
    check(!(await admin.page.locator('[data-view="patrol"]').isVisible()), "the admin has no Patrol tab");
    console.log(`dashboard patrol: ok (coverage ${figure} as the server counts it, the inspector's cell and time, the cell filled on the map; an uncovered cell assigned; an inspector made, reset and signed in with a new password); screenshots in ${artifacts}`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error("dashboard patrol: " + (e.stack || e)); process.exit(1); });
