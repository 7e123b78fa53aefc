// The hotline operator console (/hotline) in headless Chromium against the demo city started by
// scripts/test-dashboard, driven by the keyboard alone (Tab, typing, Enter; never a click):
//   - the operator signs in; a call: the caller's number and name, a partial address typed
//     and found in the gazetteer (located), the category typed by its code with its question
//     answered, the open report of that category nearby offered as a duplicate and declined,
//     the order created with the channel hotline;
//   - the street office dispatches it, the unit handles it, the inspector verifies it closed;
//   - the call-back comes to the console and is recorded dissatisfied; the street office
//     reopens the case;
//   - a consultation named by its hotline code (mapped to its category by the city's table),
//     answered and closed on the call; a call transferred to 110.
// axe-core finds no WCAG 2.2 AA violation on each screen. Screenshots go to $ARTIFACTS.
"use strict";

const path = require("path");
const { TIMEOUT, check, api, signIn, launch, checkAccessibility, upload, act } = require("./support.cjs");
const { makeJpeg } = require("./report-support.cjs");

const base = process.env.GRIDLINE_URL;
const uuid = () => require("crypto").randomUUID();

// Presses Tab until the focus is on `selector` (keyboard only: no click, no focus() call).
async function tabTo(page, selector, most = 60) {
  for (const key of ["Tab", "Shift+Tab"]) {
    for (let i = 0; i < most; i++) {
      if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector)) return;
      await page.keyboard.press(key);
    }
  }
  throw new Error("expectation failed: Tab never reaches " + selector);
}

async function typeInto(page, selector, text) {
  await tabTo(page, selector);
  await page.keyboard.type(text);
}

// Chooses the option of the focused <select> whose text starts with `prefix`, by typing it.
async function choose(page, selector, prefix, value) {
  await tabTo(page, selector);
  await page.keyboard.type(prefix, { delay: 20 });
  await page.waitForFunction(([s, v]) => document.querySelector(s).value === v, [selector, value], { timeout: TIMEOUT });
}

async function locate(page, typed, expected) {
  await typeInto(page, "#address", typed);
  await page.keyboard.press("Enter");
  await page.waitForSelector(`#places button[data-place="${expected}"]`, { timeout: TIMEOUT });
  check(await page.evaluate((n) => document.activeElement.dataset.place === n, expected), "the first address found takes the focus");
  await page.keyboard.press("Enter");
  await page.waitForSelector('#place-status[data-located="true"]', { timeout: TIMEOUT });
}

async function submitCall(page) {
  await tabTo(page, "#take-call");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector("#result").dataset.tracking && document.querySelector("#result").textContent, null, { timeout: TIMEOUT });
  const result = await page.evaluate(() => Object.assign({ text: document.querySelector("#result").textContent }, document.querySelector("#result").dataset));
  await page.evaluate(() => { for (const k of ["tracking", "state", "case"]) delete document.querySelector("#result").dataset[k]; });
  return result;
}

async function main() {
  const admin = await signIn(process.env.GRIDLINE_ADMIN_LOGIN, process.env.GRIDLINE_ADMIN_PASSWORD);
  const dispatcher = await signIn(process.env.GRIDLINE_LOGIN, process.env.GRIDLINE_PASSWORD);
  const handler = await signIn(process.env.GRIDLINE_HANDLER_LOGIN, process.env.GRIDLINE_HANDLER_PASSWORD);
  const inspector = await signIn(process.env.GRIDLINE_INSPECTOR_LOGIN, process.env.GRIDLINE_INSPECTOR_PASSWORD);

  // The inspector's cell is the demo city's first one; the city's gazetteer has an address in it.
  const street = (await api("/api/v1/public/places")).places[0].code;
  const community = (await api("/api/v1/public/places?area=" + street)).places[0].code;
  const first = (await api("/api/v1/public/places?area=" + community)).places.sort((a, b) => a.code.localeCompare(b.code))[0];
  // On the 0.001° lattice public positions are rounded to, so the earlier report's public
  // position is its own and lies within the category's duplicate radius of the call.
  const cell = { lat: Math.round(first.lat * 1000) / 1000, lon: Math.round(first.lon * 1000) / 1000 };
  const routed = await api(`/api/v1/grids/route?lat=${cell.lat}&lon=${cell.lon}`);
  check(JSON.stringify(routed).includes(first.code), "the rounded point is still in the inspector's cell: " + JSON.stringify(routed));
  const r = await fetch(base + "/api/v1/admin/gazetteer", { method: "POST",
    headers: { authorization: "Bearer " + admin, "content-type": "text/csv" },
    body: `name,lat,lon,kind\n人民路12号,${cell.lat},${cell.lon},address\n人民路120号,${cell.lat},${cell.lon},address\n` });
  check(r.ok, "the gazetteer imports: " + r.status);
  const category = (await api("/api/v1/categories")).categories.find((c) => c.code === "C0101");
  const question = category.questions[0];
  // A manhole cover already reported there, from the app.
  const device = await api("/api/v1/auth/anonymous", { method: "POST" });
  const earlier = await api("/api/v1/reports", { token: device.access_token, method: "POST", headers: { "idempotency-key": uuid() },
    body: { category: "C0101", description: "Cover rattles", position: { lat: cell.lat, lon: cell.lon }, answers: { [question.code]: "noisy" } } });

  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: "en-GB", bypassCSP: true });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    await page.goto(base + "/hotline");
    await checkAccessibility(page, "the console's sign-in");
    check(await page.evaluate(() => document.activeElement.id === "login"), "the login box has the focus");
    await page.keyboard.type(process.env.GRIDLINE_OPERATOR_LOGIN);
    await page.keyboard.press("Tab");
    await page.keyboard.type(process.env.GRIDLINE_OPERATOR_PASSWORD);
    await page.keyboard.press("Enter");
    await page.waitForSelector('#app[data-ready="true"]', { timeout: TIMEOUT });
    await checkAccessibility(page, "the console");

    // ── A call: complaint, located by a partial address, the category's question, the
    //    duplicate offered and declined, an order created.
    await typeInto(page, "#phone", "139 1234 5678");
    await typeInto(page, "#name", "王女士");
    await locate(page, "人民路 12", "人民路12号");
    await choose(page, "#category", "C0101", "C0101");
    await page.waitForSelector(`#q-${question.code}`, { timeout: TIMEOUT });
    await choose(page, `#q-${question.code}`, "missing", "missing");
    await typeInto(page, "#description", "Manhole cover missing outside number 12");
    await page.waitForSelector(`#duplicates:not([hidden]) button[data-same-as="${earlier.tracking_number}"]`, { timeout: TIMEOUT });
    await checkAccessibility(page, "the call with a duplicate offered");
    await page.screenshot({ path: path.join(process.env.ARTIFACTS, "hotline-duplicate.png") });
    await tabTo(page, "#not-duplicate");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#duplicates", { state: "hidden", timeout: TIMEOUT });
    const order = await submitCall(page);
    check(order.state === "reported", "an order is created: " + order.text);
    check(order.tracking !== earlier.tracking_number, "a new order, not the earlier report");
    const made = await api("/api/v1/cases/" + order.case, { token: dispatcher });
    check(made.channel === "hotline", "the channel is hotline: " + made.channel);
    check(made.answers[question.code] === "missing", "the question's answer is on the case");
    check(await page.evaluate(() => document.activeElement.id === "phone"), "the next call starts at the caller's number");

    // ── The street office and the unit take it to closed.
    const jpeg = require("fs").readFileSync((await makeJpeg(page, "hotline-photo", 640, 480)).file);
    await act(dispatcher, order.case, { action: "register" });
    await act(dispatcher, order.case, { action: "dispatch", handling_unit: "water" });
    await act(handler, order.case, { action: "accept" });
    await act(handler, order.case, { action: "mark_handled", photo_ids: [await upload(handler, jpeg)] });
    await act(inspector, order.case, { action: "verify_pass", photo_ids: [await upload(inspector, jpeg)], position: { lat: cell.lat, lon: cell.lon } });

    // ── The call-back: dissatisfied, with a note; the street office reopens the case.
    await tabTo(page, "#callbacks-refresh");
    await page.keyboard.press("Enter");
    const task = `form.callback[data-case="${order.case}"]`;
    await page.waitForSelector(task, { timeout: TIMEOUT });
    check((await page.locator(task).innerText()).includes("+8613912345678"), "the operator sees the number to call");
    await checkAccessibility(page, "the call-backs due");
    await choose(page, `${task} select[name="satisfaction"]`, "dis", "dissatisfied");
    await choose(page, `${task} select[name="resolved"]`, "not", "false");
    await typeInto(page, `${task} input[name="note"]`, "Cover put back loose, still rattles");
    await tabTo(page, `${task} button`);
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelector("#callback-status").dataset.state, null, { timeout: TIMEOUT });
    const done = await api("/api/v1/callbacks?done=true&satisfaction=dissatisfied", { token: dispatcher });
    const recorded = done.tasks.find((t) => t.case_id === order.case);
    check(recorded, "the dissatisfied call-back is on the street office's list");
    check(recorded.resolved === false, "the caller's \"not solved\" is recorded");
    await act(dispatcher, order.case, { action: "reopen", reason: "Caller dissatisfied at call-back" });
    check((await api("/api/v1/cases/" + order.case, { token: dispatcher })).state === "registered", "the case is reopened for rework");

    // ── A consultation answered on the call.
    await tabTo(page, "#phone");
    await page.keyboard.type("13800138000");
    await choose(page, "#call-type", "con", "consultation");
    await locate(page, "人民路120", "人民路120号");
    await choose(page, "#hotline-code", "0101", "0101");
    await page.waitForFunction(() => document.querySelector("#category").value === "E0101", null, { timeout: TIMEOUT });
    await typeInto(page, "#description", "When is bulky waste collected?");
    await choose(page, "#outcome", "Ans", "answer");
    await typeInto(page, "#answer", "Saturdays; book on 12345 by Thursday.");
    const consultation = await submitCall(page);
    check(consultation.state === "closed", "a consultation is closed on the call: " + consultation.text);

    // ── A fight in the street: transferred to 110.
    await tabTo(page, "#phone");
    await page.keyboard.type("13700137000");
    await choose(page, "#call-type", "hel", "help");
    await choose(page, "#urgency", "very", "very_urgent");
    await locate(page, "人民路12号", "人民路12号");
    await choose(page, "#category", "E0101", "E0101");
    await typeInto(page, "#description", "Two men fighting by the bins");
    await choose(page, "#outcome", "Tra", "transfer");
    await choose(page, "#transfer-to", "110", "110");
    await typeInto(page, "#transfer-reason", "Violence in progress: a police matter");
    const transfer = await submitCall(page);
    check(transfer.state === "closed" && transfer.text.includes("110"), "transferred to 110 and closed here: " + transfer.text);
    const calls = await api("/api/v1/hotline/calls/" + transfer.case, { token: admin });
    check(calls.calls[0].transferred_to === "110", "the call records where it went");
    await page.screenshot({ path: path.join(process.env.ARTIFACTS, "hotline-transfer.png") });
    await checkAccessibility(page, "the console after a transfer");

    check(errors.length === 0, "no script or console errors: " + [...new Set(errors)].join(" | "));
    console.log(`hotline console: ok (order ${order.tracking} closed, called back dissatisfied, reopened; consultation ${consultation.tracking} closed on the call; ${transfer.tracking} transferred to 110)`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error("hotline console: " + (e.stack || e)); process.exit(1); });
