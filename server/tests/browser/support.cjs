// What the browser tests of the dashboard and of the citizen page share: the server's API over
// fetch, expectations that fail with a reason, a Chromium page signed in on /dashboard with the
// map drawn and the live stream on, and the accessibility check (axe-core injected into the
// page, zero violations at WCAG 2.2 AA). The server's address comes from $GRIDLINE_URL,
// playwright-core from $PLAYWRIGHT_CORE, axe-core from $AXE_CORE and the browser from $CHROMIUM
// (all set by scripts/test-dashboard and scripts/test-web).
"use strict";

const path = require("path");
const { chromium, devices } = require(path.resolve(process.env.PLAYWRIGHT_CORE));

const base = process.env.GRIDLINE_URL;
const TIMEOUT = 20000;

function check(condition, message) {
  if (!condition) throw new Error("expectation failed: " + message);
}

// One call to the server's API: its JSON answer (null when it is not JSON) and the answer's
// size in characters. Anything but 2xx throws with the status and the body.
async function request(route, { token, method = "GET", body, headers = {} } = {}) {
  const h = Object.assign({}, headers);
  if (token) h.authorization = "Bearer " + token;
  if (body !== undefined) h["content-type"] = "application/json";
  const r = await fetch(base + route, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch (_) { /* not JSON */ }
  if (!r.ok) throw new Error(`${method} ${route}: ${r.status} ${text}`);
  return { json, bytes: text.length };
}

async function api(route, options) {
  return (await request(route, options)).json;
}

// A JPEG uploaded as `token`'s photo; its id.
async function upload(token, jpeg) {
  const form = new FormData();
  form.append("photo", new Blob([jpeg], { type: "image/jpeg" }), "photo.jpg");
  const r = await fetch(base + "/api/v1/photos", { method: "POST", headers: { authorization: "Bearer " + token }, body: form });
  check(r.ok, `photo upload: ${r.status}`);
  return (await r.json()).id;
}

// One workflow step on case `id` as `token`, at the case's current version; the case after it.
async function act(token, id, body) {
  const c = await api("/api/v1/cases/" + id, { token });
  return api(`/api/v1/cases/${id}/actions`, { token, method: "POST", body,
    headers: { "if-match": `"${c.version}"`, "idempotency-key": require("crypto").randomUUID() } });
}

async function signIn(login, password) {
  return (await api("/api/v1/auth/login", { method: "POST", body: { login, password } })).access_token;
}

function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM, headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
}

async function signInPage(browser, login, password) {
  // bypassCSP lets the test inject axe-core; the page's own policy still applies to the page.
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: "en-GB", bypassCSP: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await page.goto(base + "/dashboard");
  await checkAccessibility(page, "the dashboard's sign-in");
  await page.fill("#login", login);
  await page.fill("#password", password);
  await page.click("#signin-submit");
  await page.waitForSelector("#app:not([hidden])", { timeout: TIMEOUT });
  check(!(await page.locator("#signin-form").isVisible()), "the sign-in form goes away once signed in");
  await page.waitForFunction(() => /\d+ /.test(document.querySelector("#map-status").textContent), null, { timeout: TIMEOUT });
  await page.waitForSelector('#live[data-state="on"]', { timeout: TIMEOUT });
  return { page, errors };
}

// A point in the middle of a cell of the map layer `layer` (the mean of its outer ring).
function middleOf(layer, cell) {
  const ring = cell.rings[0];
  let x = 0, y = 0;
  for (let i = 0; i < ring.length; i += 2) { x += ring[i]; y += ring[i + 1]; }
  const n = ring.length / 2;
  return { lon: layer.origin[0] + x / n / layer.scale, lat: layer.origin[1] + y / n / layer.scale };
}

// The WCAG 2.2 AA rule sets of axe-core: every one of them must pass.
const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

// Runs axe-core on what `page` shows now and fails with every violation found, named by
// `where` (the step). The context must have been made with `bypassCSP: true`, since the pages
// allow only their own scripts.
async function checkAccessibility(page, where) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) {
    await page.addScriptTag({ path: path.resolve(process.env.AXE_CORE, "axe.min.js") });
  }
  const result = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags } }), WCAG_TAGS);
  const found = result.violations.map((v) =>
    `${v.id} (${v.impact}): ${v.help}\n` + v.nodes.slice(0, 5).map((n) => `    ${n.target.join(" ")}: ${n.failureSummary.replace(/\s+/g, " ")}`).join("\n"));
  check(found.length === 0, `axe-core finds no WCAG 2.2 AA violation on ${where}:\n  ${found.join("\n  ")}`);
  return result.passes.length;
}

// A phone's browser: the device's viewport, touch and user agent, the page's language, and a
// position the test sets (permission granted, as when the citizen allows it).
function phoneContext(browser, device, { locale, position }) {
  const d = devices[device];
  check(d, `playwright-core knows the device ${device}`);
  return browser.newContext({
    viewport: d.viewport, screen: d.screen, deviceScaleFactor: d.deviceScaleFactor, isMobile: d.isMobile,
    hasTouch: true, userAgent: d.userAgent, locale, bypassCSP: true,
    geolocation: position ? { latitude: position.lat, longitude: position.lon, accuracy: 8 } : undefined,
    permissions: position ? ["geolocation"] : [],
  });
}

module.exports = { TIMEOUT, check, request, api, signIn, launch, signInPage, middleOf, checkAccessibility, phoneContext, upload, act };
