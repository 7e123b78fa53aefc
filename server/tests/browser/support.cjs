// What the dashboard's browser tests share: the server's API over fetch, expectations that
// fail with a reason, and a Chromium page signed in on /dashboard with the map drawn and the
// live stream on. The server's address comes from $GRIDLINE_URL, playwright-core from
// $PLAYWRIGHT_CORE and the browser from $CHROMIUM (all set by scripts/test-dashboard).
"use strict";

const path = require("path");
const { chromium } = require(path.resolve(process.env.PLAYWRIGHT_CORE));

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

async function signIn(login, password) {
  return (await api("/api/v1/auth/login", { method: "POST", body: { login, password } })).access_token;
}

function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM, headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
}

async function signInPage(browser, login, password) {
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

module.exports = { TIMEOUT, check, request, api, signIn, launch, signInPage, middleOf };
