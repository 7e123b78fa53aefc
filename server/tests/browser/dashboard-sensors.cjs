// The dashboard's sensors view in headless Chromium, against a real `gridline serve` with the
// demo city (started by scripts/test-dashboard). Through the API, an admin registers a sensor
// system and its devices in the dispatcher's street, and the system sends:
//   - a storm: 300 alarms from 100 water gauges in one cell (each raises and repeats twice);
//   - one illegal-parking camera alarm with a media link, which waits for a person;
//   - five alarm/all-clear alternations of one manhole cover, which flag it faulty.
// The dispatcher opens the Sensors view: the storm is one group carrying 100 alarms (never 100
// rows), the camera's alarm is in the review queue with its device and link, the manhole cover
// is among the faulty devices (its kind in words), the cell counts its 100 active alarms and is marked on the map.
// Confirming the camera's alarm empties the queue and adds its group, and its case (a high
// alarm: urgent) carries the urgency badge in the case list and on its panel; "Repaired" takes
// the cover off the faulty list. Screenshots go to
// $ARTIFACTS; axe-core checks the view at WCAG 2.2 AA.
"use strict";

const path = require("path");
const { TIMEOUT, check, api, signIn, launch, signInPage, middleOf, checkAccessibility } = require("./support.cjs");

const artifacts = process.env.ARTIFACTS;

async function main() {
  const admin = await signIn(process.env.GRIDLINE_ADMIN_LOGIN, process.env.GRIDLINE_ADMIN_PASSWORD);
  const dispatcher = await signIn(process.env.GRIDLINE_LOGIN, process.env.GRIDLINE_PASSWORD);
  const layer = await api("/api/v1/dashboard/cells", { token: dispatcher });
  check(layer.cells.length >= 2, "the street has two cells");
  const [stormCell, otherCell] = [layer.cells[0], layer.cells[1]];
  const at = (cell) => middleOf(layer, cell);

  const created = await api("/api/v1/admin/sensor-systems", { token: admin, method: "POST", body: { name: "Street sensors" } });
  const key = created.key;
  const lines = ["id,kind,lat,lon,owning_unit"];
  for (let i = 0; i < 100; i++) lines.push(`gauge-${i},water_level,${at(stormCell).lat},${at(stormCell).lon},water`);
  lines.push(`camera-1,illegal_parking_camera,${at(otherCell).lat},${at(otherCell).lon},traffic`);
  lines.push(`cover-1,manhole_cover,${at(otherCell).lat},${at(otherCell).lon},water`);
  const r = await fetch(process.env.GRIDLINE_URL + `/api/v1/admin/sensor-systems/${created.sensor_system.id}/devices`, {
    method: "POST", headers: { authorization: "Bearer " + admin, "content-type": "text/csv" }, body: lines.join("\n") + "\n",
  });
  check(r.ok, "the devices import: " + r.status + " " + (await r.text()));

  const now = new Date().toISOString();
  const alarm = (id, device, kind, extra = {}) =>
    Object.assign({ id, alertSource: device, category: kind, severity: "high", dateIssued: now }, extra);
  const send = (alarms) => api("/api/v1/sensors/alarms", { token: key, method: "POST", body: { alarms } });
  const storm = [];
  for (let round = 0; round < 3; round++) for (let i = 0; i < 100; i++) storm.push(alarm(`storm-${i}-${round}`, `gauge-${i}`, "water_level"));
  const answer = await send(storm);
  check(answer.accepted === 300, "the storm's 300 alarms are taken: " + answer.accepted);
  await send([alarm("camera-1-a", "camera-1", "illegal_parking_camera", { mediaUrl: "https://cameras.example.org/frames/1.jpg" })]);
  for (let i = 0; i < 5; i++) {
    await send([alarm(`cover-${i}`, "cover-1", "manhole_cover")]);
    await send([alarm(`cover-${i}-clear`, "cover-1", "manhole_cover", { status: "cleared" })]);
  }

  const browser = await launch();
  try {
    const { page, errors } = await signInPage(browser, process.env.GRIDLINE_LOGIN, process.env.GRIDLINE_PASSWORD);
    check(await page.locator('[data-view="sensors"]').innerText() === "Sensors", "the view's tab is labelled");
    await page.click('[data-view="sensors"]');
    check(await page.locator("#view-sensors h2").first().innerText() === "Review queue", "its sections are labelled");
    await page.waitForSelector("#sensor-review tr[data-alarm]", { timeout: TIMEOUT });
    const review = page.locator("#sensor-review tr[data-alarm]");
    check(await review.count() === 1, "one alarm waits for a person");
    const row = await review.first().innerText();
    check(row.includes("camera-1") && row.includes("illegal_parking_camera"), "the queue shows the alarm's device and kind: " + row);
    check(await review.first().locator('a[href="https://cameras.example.org/frames/1.jpg"]').count() === 1, "and its media link");

    const groups = page.locator("#sensor-groups tr[data-group]");
    check(await groups.count() === 2, "the storm is one group (beside the faulty cover's maintenance): " + await groups.count());
    const stormRow = page.locator("#sensor-groups tr[data-group]", { hasText: "water_level" });
    check(await stormRow.locator('[data-field="episodes"]').innerText() === "100", "the storm's group carries its 100 alarms");
    check(await page.locator('#sensor-faulty tr[data-device="cover-1"]').count() === 1, "the flapping cover is listed faulty");
    const coverRow = await page.locator('#sensor-faulty tr[data-device="cover-1"]').innerText();
    check(coverRow.includes("C0102") && coverRow.includes("(manhole_cover)"), "a kind is named by its category's words: " + coverRow);
    const cellRow = await page.locator(`#sensor-cells tr[data-cell="${stormCell.code}"]`).innerText();
    check(cellRow.includes("100"), "the storm's cell counts 100 active alarms: " + cellRow);
    const marked = await page.evaluate((code) => sensors.cells.get(code), stormCell.code);
    check(marked === 100, "the map marks the storm's cell: " + marked);
    await page.screenshot({ path: path.join(artifacts, "sensors.png"), fullPage: true });
    await checkAccessibility(page, "the dashboard's sensors view");

    // A person confirms the camera's alarm: the queue empties and its case opens.
    await page.click("#sensor-review button[data-confirm]");
    await page.waitForFunction(() => !document.querySelector("#sensor-review tr[data-alarm]"), null, { timeout: TIMEOUT });
    await page.waitForFunction(() => document.querySelectorAll("#sensor-groups tr[data-group]").length === 3, null, { timeout: TIMEOUT });
    const overview = await api("/api/v1/sensors/overview", { token: dispatcher });
    const camera = overview.groups.find((g) => g.kind === "illegal_parking_camera");
    check(camera && camera.case_id, "the confirmed alarm's group has its case");
    const kase = await api(`/api/v1/cases/${camera.case_id}`, { token: dispatcher });
    check(kase.category === "E0404" && kase.state === "reported", "the case is an illegal-parking report: " + kase.category);

    // Its alarm was of severity high: an urgent case, badged in the case list and on its panel in
    // the words the server gives (core's), not the wire name.
    check(kase.urgency === "urgent", "a high alarm files an urgent case: " + kase.urgency);
    const form = await api("/api/v1/public/report-form");
    const word = (form.urgencies.find((u) => u.urgency === "urgent") || { label: {} }).label.en;
    check(word === "Urgent", "the server words the urgency: " + word);
    // The storm's alarms were high too; the faulty cover's maintenance case is normal.
    const stormCase = overview.groups.find((g) => g.kind === "water_level").case_id;
    const maintenance = overview.groups.find((g) => g.purpose === "maintenance").case_id;
    const urgent = (await api("/api/v1/cases?urgency=urgent", { token: dispatcher })).items.map((c) => c.id).sort();
    check(urgent.includes(camera.case_id) && urgent.includes(stormCase) && !urgent.includes(maintenance),
      "the street's urgent cases are the camera's and the storm's: " + urgent);
    await page.click('[data-view="cases"]');
    await page.waitForSelector(`#case-rows tr[data-case="${maintenance}"]`, { timeout: TIMEOUT });
    check(await page.locator(`#case-rows tr[data-case="${maintenance}"] .urgency-badge`).count() === 0, "a normal case has no badge");
    const badged = await page.$$eval("#case-rows tr[data-case]", (trs) => trs.filter((tr) => tr.querySelector(".urgency-badge")).map((tr) => tr.dataset.case));
    check(badged.length > 0 && badged.every((id) => urgent.includes(id)), "only urgent cases are badged: " + badged);
    await page.selectOption("#f-urgency", "urgent");
    await page.click('#filters button[type="submit"]');
    await page.waitForFunction((n) => document.querySelectorAll("#case-rows tr[data-case]").length === n, urgent.length, { timeout: TIMEOUT });
    const rows = await page.$$eval("#case-rows tr[data-case]", (trs) => trs.map((tr) => tr.dataset.case).sort());
    check(JSON.stringify(rows) === JSON.stringify(urgent), "the urgency filter lists the urgent cases: " + rows);
    const listed = page.locator(`#case-rows tr[data-case="${camera.case_id}"] .urgency-badge`);
    check(await listed.innerText() === word, "the case list badges it: " + await listed.innerText());
    await page.locator(`#case-rows tr[data-case="${camera.case_id}"]`).click();
    await page.waitForSelector("#case-panel:not([hidden])", { timeout: TIMEOUT });
    const badge = page.locator('#case-panel [data-field="urgency"] .urgency-badge');
    await badge.waitFor({ timeout: TIMEOUT });
    check(await badge.innerText() === word, "the case panel badges it: " + await badge.innerText());
    await page.screenshot({ path: path.join(artifacts, "sensor-case-urgent.png"), fullPage: true });
    await checkAccessibility(page, "the case page of an urgent sensor case");
    await page.evaluate(() => closeCase());
    await page.click('[data-view="sensors"]');

    check(errors.length === 0, "no script or console errors: " + errors.join(" | "));
    // The owning unit repaired the cover: "Repaired" takes it off the faulty list.
    await page.click('#sensor-faulty button[data-repaired="cover-1"]');
    await page.waitForFunction(() => !document.querySelector('#sensor-faulty tr[data-device="cover-1"]'), null, { timeout: TIMEOUT });
    console.log(`dashboard sensors: ok (a 300-alarm storm shown as one group of 100, review queue confirmed, faulty cover listed and repaired); screenshot in ${artifacts}`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error("dashboard sensors: " + (e.stack || e)); process.exit(1); });
