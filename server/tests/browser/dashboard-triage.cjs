// The street office's triage queue and a verification given by name, in the operations
// dashboard, in headless Chromium against a real `gridline serve` with the demo city (started
// by scripts/test-dashboard, which passes the address and the demo accounts):
//
//   1. a citizen reports from a point beyond every cell of the city: the report routes to no
//      cell and waits in the triage queue of the street nearest to it, the dispatcher's;
//   2. the dispatcher's "In triage" tile opens the queue, which lists it; its case page offers
//      the relocate, whose new cell is chosen by clicking it on the map; once relocated the
//      case has that cell (the server agrees) and leaves the queue;
//   3. the case is registered, dispatched, accepted and handled (through the API) in a cell no
//      inspector covers; its page offers "assign verification" with the street's inspectors
//      as the server lists them, and the dispatcher gives it to the demo inspector: the server
//      records them as the verifier, the timeline names them, and they verify it on site.
//
// axe-core checks the queue and the case page. Any failed expectation exits non-zero.
"use strict";

const path = require("path");
const { TIMEOUT, check, api, signIn, launch, signInPage, middleOf, checkAccessibility, upload, act } = require("./support.cjs");
const { makeJpeg } = require("./report-support.cjs");

const artifacts = process.env.ARTIFACTS;

// Clicks the map inside cell `code` until the case page comes back with it chosen: a first
// click drills into the cell's community, the next (at the cell level) picks the cell.
async function clickCell(page, code) {
  for (let i = 0; i < 4; i++) {
    if (await page.locator("#case-panel").isVisible()) return;
    const at = await page.evaluate((target) => {
      // The page's own projection of the cell (`view`, its Path2D per cell code).
      const map = document.querySelector("#map");
      const g = map.getContext("2d");
      const cell = view && view.paths.get(target);
      if (!cell) return null;
      const rect = map.getBoundingClientRect();
      for (let y = 2; y < map.height; y += 3) for (let x = 2; x < map.width; x += 3) {
        if (g.isPointInPath(cell, x, y)) return { x: rect.left + x / view.dpr, y: rect.top + y / view.dpr };
      }
      return null;
    }, code);
    check(at, `cell ${code} is drawn on the map`);
    await page.mouse.click(at.x, at.y);
    await page.waitForTimeout(200);
  }
  check(await page.locator("#case-panel").isVisible(), "choosing a cell on the map brings the case page back");
}

async function main() {
  const dispatcher = await signIn(process.env.GRIDLINE_LOGIN, process.env.GRIDLINE_PASSWORD);
  const handler = await signIn(process.env.GRIDLINE_HANDLER_LOGIN, process.env.GRIDLINE_HANDLER_PASSWORD);
  const inspector = await signIn(process.env.GRIDLINE_INSPECTOR_LOGIN, process.env.GRIDLINE_INSPECTOR_PASSWORD);
  const me = await api("/api/v1/me", { token: inspector });
  const layer = await api("/api/v1/dashboard/cells", { token: dispatcher });
  // The case's new cell: one no inspector covers, so only a named inspector can verify it.
  const coverage = await api("/api/v1/coverage", { token: dispatcher });
  const target = coverage.cells_without_inspector[coverage.cells_without_inspector.length - 1];
  check(target, "the demo street has a cell without an inspector");

  // 1. Five kilometres north of the city's northernmost cell: no cell within the tolerance.
  let north = -90, lon = 0;
  for (const cell of layer.cells) {
    const m = middleOf(layer, cell);
    if (m.lat > north) { north = m.lat; lon = m.lon; }
  }
  const citizen = (await api("/api/v1/auth/anonymous", { method: "POST" })).access_token;
  const receipt = await api("/api/v1/reports", {
    token: citizen, method: "POST", headers: { "idempotency-key": crypto.randomUUID() },
    body: { category: "E0101", description: "城外垃圾堆放 rubbish dumped outside the city", position: { lat: north + 0.045, lon, crs: "wgs84", accuracy_m: 5 } },
  });
  const reported = await api("/api/v1/cases/" + receipt.id, { token: dispatcher });
  check(reported.placement.outcome === "triage" && !reported.placement.grid, "the report routed to no cell: " + JSON.stringify(reported.placement));

  const browser = await launch();
  try {
    const { page, errors } = await signInPage(browser, process.env.GRIDLINE_LOGIN, process.env.GRIDLINE_PASSWORD);
    // 2. The tile says how many wait, and opens the queue.
    const tile = page.locator('[data-kpi="k_triage"]');
    await page.waitForFunction(() => {
      const value = document.querySelector('[data-kpi="k_triage"] .value');
      return value && Number(value.textContent) >= 1;
    }, null, { timeout: TIMEOUT });
    await tile.click();
    await page.waitForSelector(`#case-rows tr[data-case="${receipt.id}"]`, { timeout: TIMEOUT });
    check(await page.locator("#f-triage").inputValue() === "true", "the queue is the case list of cases in no cell");
    const rows = await page.locator("#case-rows tr[data-case]").evaluateAll((trs) => trs.map((tr) => tr.querySelector('[data-field="grid"]').textContent));
    check(rows.every((text) => text === "In no cell (triage)"), "every case listed is in no cell: " + rows.join(", "));
    await checkAccessibility(page, "the triage queue");
    await page.screenshot({ path: path.join(artifacts, "triage.png"), fullPage: true });

    await page.click(`#case-rows tr[data-case="${receipt.id}"]`);
    const relocate = page.locator('form[data-action="relocate"]');
    await relocate.waitFor({ timeout: TIMEOUT });
    await relocate.locator('[name="reason"]').fill("来电说明在园区内 (the caller named the estate)");
    await relocate.locator('[data-field="pick-cell"]').click();
    await page.waitForSelector("#view-overview:not([hidden])", { timeout: TIMEOUT });
    check(await page.locator("#map-status").innerText() === "Click the cell where the case belongs (drill down to the cell level).",
      "the map says what to do");
    await page.screenshot({ path: path.join(artifacts, "triage-pick.png"), fullPage: true });
    await clickCell(page, target);
    check(await relocate.locator('[name="grid_code"]').inputValue() === target, "the clicked cell fills the form");
    await relocate.locator('button[type="submit"]').click();
    await page.waitForFunction((cell) => [...document.querySelectorAll("#case-body .timeline li[data-kind=relocate]")]
      .some((li) => li.textContent.includes(cell)), target, { timeout: TIMEOUT });
    const moved = await api("/api/v1/cases/" + receipt.id, { token: dispatcher });
    check(moved.placement.grid === target && moved.placement.outcome === "inside", "relocated into the cell: " + JSON.stringify(moved.placement));
    const queue = await api("/api/v1/cases?triage=true", { token: dispatcher });
    check(!queue.items.some((c) => c.id === receipt.id), "the case left the triage queue");

    // 3. Worked by the unit, then the verification given to the demo inspector by name.
    const jpeg = require("fs").readFileSync((await makeJpeg(page, "triage-after", 640, 480)).file);
    await act(dispatcher, receipt.id, { action: "register" });
    await act(dispatcher, receipt.id, { action: "dispatch", handling_unit: "water" });
    await act(handler, receipt.id, { action: "accept" });
    await act(handler, receipt.id, { action: "mark_handled", photo_ids: [await upload(handler, jpeg)] });
    await page.click("#case-close");
    await page.click('[data-view="cases"]');
    await page.fill("#f-q", receipt.tracking_number);
    await page.selectOption("#f-triage", "");
    await page.click('#filters button[type="submit"]');
    await page.click(`#case-rows tr[data-case="${receipt.id}"]`);
    const assign = page.locator('form[data-action="assign_verifier"]');
    await assign.waitFor({ timeout: TIMEOUT });
    const offered = await assign.locator('select[name="inspector"] option').evaluateAll((os) => os.map((o) => o.value));
    const listed = (await api(`/api/v1/cases/${receipt.id}/verifiers`, { token: dispatcher })).inspectors.map((i) => i.id);
    check(JSON.stringify(offered) === JSON.stringify(listed) && offered.includes(me.id), "the form offers the server's list: " + offered.join(", "));
    await assign.locator('select[name="inspector"]').selectOption(me.id);
    await checkAccessibility(page, "the case page with the verification to assign");
    await assign.locator('button[type="submit"]').click();
    await page.waitForFunction(() => [...document.querySelectorAll("#case-body .timeline li[data-kind=assign_verifier]")]
      .some((li) => li.textContent.includes("Verifier:")), null, { timeout: TIMEOUT });
    const timeline = await api(`/api/v1/cases/${receipt.id}/timeline`, { token: dispatcher });
    const given = timeline.events.find((e) => e.kind === "assign_verifier");
    check(given && given.details.verifier === me.id && given.details.verifier_name === me.display_name, "the timeline names the verifier");
    await page.screenshot({ path: path.join(artifacts, "triage-verifier.png"), fullPage: true });
    const centre = middleOf(layer, layer.cells.find((c) => c.code === target));
    const inCell = await api(`/api/v1/grids/route?lat=${centre.lat}&lon=${centre.lon}`);
    const spot = inCell.placement.grid === target ? centre : { lat: moved.position.lat, lon: moved.position.lon };
    const verified = await act(inspector, receipt.id, { action: "verify_pass", photo_ids: [await upload(inspector, jpeg)], position: { lat: spot.lat, lon: spot.lon, crs: "wgs84", accuracy_m: 5 } });
    check(verified.state === "closed", "the named inspector verified it on site");
    check(errors.length === 0, "no script errors: " + errors.join("; "));
  } finally {
    await browser.close();
  }
  console.log(`dashboard triage: relocated ${receipt.tracking_number} into ${target} on the map, verification given to ${me.login}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
