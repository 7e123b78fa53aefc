// The street office's desk in the operations dashboard, in headless Chromium against a real
// `gridline serve` with the demo city (started by scripts/test-dashboard, which passes the
// address and the demo accounts in the environment):
//
//   1. the admin, on the Units view, adds a depot for the street that handles exposed rubbish
//      (E0101), sees a bad code refused with the server's reason, and retires an old depot
//      (it stays listed, retired, and leaves the public unit list);
//   2. a citizen files a report in Chinese through the API;
//   3. the dispatcher finds it in the case list by a Chinese phrase and by its tracking
//      number (the search box), opens it, asks the cell's inspectors to confirm it on site
//      (核实派遣: shown on the case, not offered twice), registers it (which ends the request),
//      and the dispatch form preselects the depot the server suggests;
//   4. the list's "Export CSV" downloads the matching cases, the case among them;
//   5. "Print case sheet" opens the case sheet as its own document, styled, shown as printed.
//
// axe-core checks the searched list and the case page. Any failed expectation exits non-zero.
"use strict";

const path = require("path");
const fs = require("fs");
const { TIMEOUT, check, api, signIn, launch, signInPage, middleOf, checkAccessibility } = require("./support.cjs");


const artifacts = process.env.ARTIFACTS;

async function search(page, text, id) {
  await page.fill("#f-q", text);
  await page.click('#filters button[type="submit"]');
  await page.waitForFunction(
    (caseId) => { const rows = document.querySelectorAll("#case-rows tr[data-case]"); return rows.length === 1 && rows[0].dataset.case === caseId; },
    id, { timeout: TIMEOUT });
}

async function main() {
  const dispatcher = await signIn(process.env.GRIDLINE_LOGIN, process.env.GRIDLINE_PASSWORD);
  const layer = await api("/api/v1/dashboard/cells", { token: dispatcher });
  const cell = layer.cells[3];
  const street = cell.code.slice(0, 9);
  const depot = "depot-" + street + "-" + Date.now().toString(36);

  const { lon, lat } = middleOf(layer, cell);
  const citizen = (await api("/api/v1/auth/anonymous", { method: "POST" })).access_token;
  const phrase = "垃圾桶满溢" + Date.now().toString(36);
  const receipt = await api("/api/v1/reports", {
    token: citizen, method: "POST", headers: { "idempotency-key": crypto.randomUUID() },
    body: { category: "E0101", description: "公交站旁" + phrase + "，垃圾散落一地", position: { lat, lon, crs: "wgs84", accuracy_m: 5 } },
  });

  const browser = await launch();
  try {
    // The city admin keeps the units on the dashboard.
    const office = await signInPage(browser, process.env.GRIDLINE_ADMIN_LOGIN, process.env.GRIDLINE_ADMIN_PASSWORD);
    const adminPage = office.page;
    await adminPage.click('[data-view="units"]');
    await adminPage.waitForSelector('#unit-rows tr[data-unit-row="sanitation"]', { timeout: TIMEOUT });
    const addUnit = async (fields) => {
      for (const [name, value] of Object.entries(fields)) await adminPage.fill(`#unit-form [name="${name}"]`, value);
      await adminPage.click('#unit-form button[type="submit"]');
    };
    await addUnit({ code: "Not A Code", zh: "坏", en: "Bad" });
    await adminPage.waitForFunction(() => document.querySelector("#unit-result").textContent.includes("unit code"), null, { timeout: TIMEOUT });
    const old = depot + "-old";
    await addUnit({ code: old, zh: "旧环卫所", en: "Old depot", contact: "", categories: "", area: "" });
    await adminPage.waitForSelector(`#unit-rows tr[data-unit-row="${old}"]`, { timeout: TIMEOUT });
    await addUnit({ code: depot, zh: "街道环卫所", en: "Street sanitation depot", contact: "021-6400 0000", categories: "E0101", area: street });
    await adminPage.waitForSelector(`#unit-rows tr[data-unit-row="${depot}"]`, { timeout: TIMEOUT });
    await adminPage.click(`#unit-rows button[data-unit="${old}"]`);
    await adminPage.waitForFunction((code) => {
      const row = document.querySelector(`#unit-rows tr[data-unit-row="${code}"] [data-field="unit-state"]`);
      return row && row.textContent === "retired";
    }, old, { timeout: TIMEOUT });
    const listed = (await api("/api/v1/units")).units.map((u) => u.code);
    check(listed.includes(depot) && !listed.includes(old), "the public list holds the new depot, not the retired one");
    await checkAccessibility(adminPage, "the dashboard's unit management");
    await adminPage.screenshot({ path: path.join(artifacts, "units.png"), fullPage: true });

    const desk = await signInPage(browser, process.env.GRIDLINE_LOGIN, process.env.GRIDLINE_PASSWORD);
    const page = desk.page;
    await page.click('[data-view="cases"]');
    await page.waitForSelector("#case-rows tr", { timeout: TIMEOUT });
    await search(page, phrase, receipt.id);
    await checkAccessibility(page, "the dashboard's case list searched by a Chinese phrase");
    await search(page, receipt.tracking_number.toLowerCase(), receipt.id);

    // The export downloads every case the filters and the search match.
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: TIMEOUT }), page.click("#cases-csv")]);
    const file = path.join(artifacts, "cases.csv");
    await download.saveAs(file);
    const csv = fs.readFileSync(file, "utf8");
    check(csv.startsWith("id,tracking_number,"), "the export is the server's CSV: " + csv.slice(0, 40));
    check(csv.includes(receipt.tracking_number) && csv.trim().split("\r\n").length === 2, "the export holds the searched case only");

    // Open it and ask the inspectors to confirm it on site, with a note: the case says so, and
    // the request is not offered again while it is open.
    await page.click(`#case-rows tr[data-case="${receipt.id}"]`);
    await page.waitForSelector('form[data-action="request_confirm"]', { timeout: TIMEOUT });
    await page.fill('form[data-action="request_confirm"] input[name="note"]', "请核实井盖是否缺失");
    await page.click('form[data-action="request_confirm"] button[type="submit"]');
    await page.waitForSelector('[data-field="confirm-requested"]', { timeout: TIMEOUT });
    check(await page.locator('form[data-action="request_confirm"]').count() === 0, "asked once: the request is not offered again");
    const asked = await api(`/api/v1/cases/${receipt.id}`, { token: dispatcher });
    check(typeof asked.confirm_requested_at === "string" && asked.state === "reported", "the server holds the open request");

    // Register it (the request ends): the dispatch form preselects the depot the server suggests.
    await page.click('form[data-action="register"] button[type="submit"]');
    await page.waitForSelector('form[data-action="dispatch"]', { timeout: TIMEOUT });
    const unit = await page.locator('form[data-action="dispatch"] select[name="handling_unit"]').inputValue();
    check(unit === depot, `the dispatch preselects the street's depot for rubbish: ${unit}`);
    await checkAccessibility(page, "the dashboard's case page with a suggested unit");
    await page.click('form[data-action="dispatch"] button[type="submit"]');
    await page.waitForFunction(() => document.querySelector('[data-field="state"]').textContent === "dispatched", null, { timeout: TIMEOUT });
    const server = await api(`/api/v1/cases/${receipt.id}`, { token: dispatcher });
    check(server.handling_unit === depot, "the server holds the dispatch to the depot");
    check(server.confirm_requested_at === undefined, "registering ended the request to confirm");
    check(await page.locator('[data-field="confirm-requested"]').count() === 0, "the case no longer shows the request");
    await page.locator(".panel-body").screenshot({ path: path.join(artifacts, "case-desk.png") });

    // The case sheet opens as its own document, for the print dialog: the case's number, its
    // text, the timeline with the dispatcher's name, the signature lines; printed as paper.
    const [sheet] = await Promise.all([page.context().waitForEvent("page", { timeout: TIMEOUT }), page.click("#case-print")]);
    const sheetErrors = [];
    sheet.on("console", (m) => { if (m.type() === "error") sheetErrors.push(m.text()); });
    await sheet.waitForLoadState("load");
    const sheetText = await sheet.locator("body").innerText();
    check(sheetText.includes(receipt.tracking_number) && sheetText.includes("公交站"), "the sheet names the case and its text");
    check(sheetText.includes("Dispatch") && sheetText.includes("Verified by"), "the sheet has the timeline and the signature lines");
    const styled = await sheet.evaluate(() => getComputedStyle(document.querySelector("th")).borderTopStyle);
    check(styled === "solid", "the sheet's own styles apply in the opened document: " + styled);
    await sheet.emulateMedia({ media: "print" });
    await sheet.screenshot({ path: path.join(artifacts, "case-sheet.png"), fullPage: true });
    check(sheetErrors.length === 0, "the sheet loads without errors: " + sheetErrors.join(" | "));
    await sheet.close();

    // The browser logs the one refusal asked for (the bad unit code, 422) as a failed resource.
    const refused = office.errors.filter((e) => e.includes("status of 422"));
    check(refused.length === 1, "exactly the one refusal asked for: " + refused.join(" | "));
    const errors = [...new Set(desk.errors.concat(office.errors.filter((e) => !refused.includes(e))))];
    check(errors.length === 0, "no script or console errors: " + errors.join(" | "));
    console.log(`dashboard desk: ok (case ${receipt.tracking_number} found by a Chinese phrase and its number, exported, dispatched to the suggested ${depot}, its sheet printed)`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error("dashboard desk: " + (e.stack || e)); process.exit(1); });
