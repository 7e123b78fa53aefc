// The dashboard's emergency view (平战转换) in headless Chromium, against a real `gridline serve`
// with the demo city (started by scripts/test-dashboard). The admin signs in, opens the
// Emergency view and switches the dispatcher's district to a Level II flood command with the
// form (its levels, limits and kinds come from the API), with two units on joint duty. The
// incident view shows the area, level and the units on joint duty; a flooding report filed
// through the API appears in the live command queue, registered by the system with its
// dispatch-by time, and its dispatch form shows the helper parts a dispatch would add. axe-core
// checks the view at WCAG 2.2 AA, then the admin switches it off and the view says so. Then the
// demo district admin signs in: the form holds its own district already, it switches its
// district on and off, and the city's tabs (handling units) stay hidden. Screenshots in
// $ARTIFACTS.
"use strict";

const path = require("path");
const { TIMEOUT, check, api, signIn, launch, signInPage, middleOf, checkAccessibility } = require("./support.cjs");

const artifacts = process.env.ARTIFACTS;

// The form's Level II flood command over road flooding at unit `water`, for the area filled in.
// Fills the switch-on form for a Level II flood command by the water unit (with two other
// units on joint duty when `joint`) and switches it on; the units on joint duty.
async function switchFloodOn(page, joint = false) {
  await page.selectOption("#em-level", "II");
  await page.selectOption("#em-kind", "flood_typhoon");
  await page.fill("#em-categories", "E0504");
  await page.waitForSelector('#em-unit option[value="water"]', { state: "attached", timeout: TIMEOUT });
  await page.selectOption("#em-unit", "water");
  let units = [];
  if (joint) {
    units = (await page.locator("#em-joint option").evaluateAll((os) => os.map((o) => o.value)))
      .filter((u) => u !== "water").slice(0, 2);
    check(units.length === 2, "two units to put on joint duty: " + units);
    await page.selectOption("#em-joint", units);
  }
  await page.click("#em-start");
  return units;
}

async function main() {
  const dispatcher = await signIn(process.env.GRIDLINE_LOGIN, process.env.GRIDLINE_PASSWORD);
  const layer = await api("/api/v1/dashboard/cells", { token: dispatcher });
  const cell = layer.cells[0];
  const district = cell.code.slice(0, 6);

  const browser = await launch();
  try {
    const { page, errors } = await signInPage(browser, process.env.GRIDLINE_ADMIN_LOGIN, process.env.GRIDLINE_ADMIN_PASSWORD);
    check(await page.locator('[data-view="emergency"]').innerText() === "Emergency", "the view's tab is labelled");
    await page.click('[data-view="emergency"]');
    await page.waitForSelector("#em-form:not([hidden])", { timeout: TIMEOUT });
    await page.waitForSelector("#em-level option", { state: "attached", timeout: TIMEOUT });
    const levels = await page.locator("#em-level option").allInnerTexts();
    check(levels.length === 4 && levels.some((l) => l.startsWith("II (15 / 240")), "the levels and their limits come from the API: " + levels);
    await page.fill("#em-area", district);
    const joint = await switchFloodOn(page, true);
    await page.waitForSelector("#em-incident:not([hidden])", { timeout: TIMEOUT });
    const title = await page.locator("#em-title").innerText();
    check(title.includes(district) && title.includes("II") && title.includes("Flood"), "the incident view names the area, level and kind: " + title);
    check(await page.locator("#em-facts").getAttribute("data-state") === "active", "the command is on");
    check(await page.locator("#em-facts").getAttribute("data-joint-units") === joint.join(","), "the units on joint duty are shown");

    // A flooding report in the district goes straight to the command queue.
    const { lon, lat } = middleOf(layer, cell);
    const citizen = (await api("/api/v1/auth/anonymous", { method: "POST" })).access_token;
    const receipt = await api("/api/v1/reports", {
      token: citizen, method: "POST", headers: { "idempotency-key": crypto.randomUUID() },
      body: { category: "E0504", description: "Water over the kerb", position: { lat, lon, crs: "wgs84", accuracy_m: 5 } },
    });
    await page.waitForSelector(`#em-queue tr[data-case="${receipt.id}"]`, { timeout: TIMEOUT });
    const row = await page.locator(`#em-queue tr[data-case="${receipt.id}"]`).innerText();
    check(row.includes(receipt.tracking_number), "the queue shows the report: " + row);
    const kase = await api(`/api/v1/cases/${receipt.id}`, { token: dispatcher });
    check(kase.state === "registered", "the system registered it under command: " + kase.state);
    await page.waitForSelector('#em-timeline tr[data-kind="command_register"]', { timeout: TIMEOUT });
    await page.screenshot({ path: path.join(artifacts, "emergency.png"), fullPage: true });
    await checkAccessibility(page, "the dashboard's emergency view");
    // The case, opened from the queue, is timed by the command's limit round the clock, not by
    // its category's working days.
    check(Number.isInteger(kase.command_limit_minutes), "the case carries its command limit: " + kase.command_limit_minutes);
    await page.click(`#em-queue tr[data-case="${receipt.id}"] button`);
    await page.waitForSelector('#case-panel:not([hidden]) [data-field="time-limit"]', { timeout: TIMEOUT });
    const limit = await page.locator('#case-panel [data-field="time-limit"]').innerText();
    check(limit.includes(`${kase.command_limit_minutes / 60} h`) && !limit.includes(kase.handling_time_limit), "the panel shows the command's limit: " + limit);
    // The dispatch form says which helper parts a dispatch naming none adds, as the server lists them.
    const helpers = await page.locator('#case-panel form[data-action="dispatch"] [data-field="default-helpers"]').innerText();
    check(joint.every((u) => helpers.includes(u)), "the dispatch form shows the default helpers: " + helpers);
    await page.locator(".panel-body").screenshot({ path: path.join(artifacts, "emergency-case.png") });
    await page.keyboard.press("Escape");

    // Switched off: the view says so, and the server agrees.
    await page.click("#em-off");
    await page.waitForSelector('#em-facts[data-state="ended"]', { timeout: TIMEOUT });
    const list = await api("/api/v1/emergencies", { token: dispatcher });
    check(list.emergencies[0].state === "ended", "the switch is off: " + list.emergencies[0].state);
    check(errors.length === 0, "no script or console errors: " + errors.join(" | "));
  } finally {
    await browser.close();
  }
  await districtAdmin(district);
  console.log(`dashboard emergency: ok (switched on from the form with units on joint duty, a report arrived in the command queue, switched off; the district admin did the same for its district); screenshots in ${artifacts}`);
}

// The district's command centre: the same view, its own district only.
async function districtAdmin(district) {
  const browser = await launch();
  try {
    const { page, errors } = await signInPage(browser, process.env.GRIDLINE_DISTRICT_LOGIN, process.env.GRIDLINE_DISTRICT_PASSWORD);
    check(await page.locator("#tab-units").isHidden(), "the city's units tab is hidden to a district admin");
    await page.click('[data-view="emergency"]');
    await page.waitForSelector("#em-form:not([hidden])", { timeout: TIMEOUT });
    check(await page.locator("#em-area").inputValue() === district, "the form holds the admin's own district");
    await page.waitForSelector("#em-level option", { state: "attached", timeout: TIMEOUT });
    await switchFloodOn(page);
    await page.waitForSelector('#em-facts[data-state="active"]', { timeout: TIMEOUT });
    const title = await page.locator("#em-title").innerText();
    check(title.includes(district) && title.includes("II"), "the district's incident view: " + title);
    await page.screenshot({ path: path.join(artifacts, "emergency-district.png"), fullPage: true });
    await checkAccessibility(page, "the district admin's emergency view");
    await page.click("#em-off");
    await page.waitForSelector('#em-facts[data-state="ended"]', { timeout: TIMEOUT });
    check(errors.length === 0, "no script or console errors: " + errors.join(" | "));
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error("dashboard emergency: " + (e.stack || e)); process.exit(1); });
