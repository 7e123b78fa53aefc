// What the citizen page's browser tests (report*.cjs, track*.cjs) share on top of
// support.cjs: opening /report on an emulated phone, a screenshot plus an axe-core pass for each
// step, a real JPEG made by the browser's own encoder, the one-time code the development
// sender wrote to the server's log ($SERVER_LOG), and the cases the city sees.
"use strict";

const fs = require("fs");
const path = require("path");
const { TIMEOUT, check, api, checkAccessibility } = require("./support.cjs");

const base = process.env.GRIDLINE_URL;
const artifacts = process.env.ARTIFACTS;

// A page of `context` on `route`, its script errors collected, once the page has read its rules.
async function openPage(context, route = "/report") {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(base + route);
  await page.waitForSelector('body[data-ready="1"]', { timeout: TIMEOUT });
  return { page, errors };
}

// Each step: a screenshot into $ARTIFACTS (looked at by a person, not compared) and axe-core.
async function step(page, name) {
  await page.screenshot({ path: path.join(artifacts, name + ".png"), fullPage: true });
  await checkAccessibility(page, name);
}

// A photo-sized JPEG (`width` × `height`, a sky, a road and a dark hole) encoded by Chromium's
// libjpeg, written to a file for the file input; returns the path and its size.
async function makeJpeg(page, name, width, height) {
  const dataUrl = await page.evaluate(([w, h]) => {
    const canvas = document.createElement("canvas");
    canvas.width = w; canvas.height = h;
    const g = canvas.getContext("2d");
    const sky = g.createLinearGradient(0, 0, 0, h);
    sky.addColorStop(0, "#8ec5ff"); sky.addColorStop(0.5, "#dfefff"); sky.addColorStop(0.5, "#6b6b6b"); sky.addColorStop(1, "#3d3d3d");
    g.fillStyle = sky; g.fillRect(0, 0, w, h);
    for (let i = 0; i < 400; i++) { g.fillStyle = `hsl(${i % 360},20%,${30 + (i * 7) % 40}%)`; g.fillRect((i * 97) % w, h / 2 + ((i * 53) % (h / 2)), 9, 9); }
    g.fillStyle = "#111"; g.beginPath(); g.ellipse(w / 2, h * 0.75, w / 8, h / 14, 0, 0, Math.PI * 2); g.fill();
    return canvas.toDataURL("image/jpeg", 0.92);
  }, [width, height]);
  const bytes = Buffer.from(dataUrl.split(",")[1], "base64");
  check(bytes[0] === 0xff && bytes[1] === 0xd8, "the browser made a JPEG");
  const file = path.join(artifacts, name + ".jpg");
  fs.writeFileSync(file, bytes);
  return { file, bytes: bytes.length };
}

// The newest development one-time code the server logged for a number ending in `lastTwo`.
async function otpCode(lastTwo, after) {
  const deadline = Date.now() + TIMEOUT;
  while (Date.now() < deadline) {
    // eslint-disable-next-line no-control-regex
    const log = fs.readFileSync(process.env.SERVER_LOG, "utf8").replace(/\x1b\[[0-9;]*m/g, "");
    const lines = log.split("\n").slice(after).filter((l) => l.includes("development one-time code") && l.includes(lastTwo));
    const found = lines.length && lines[lines.length - 1].match(/code="?(\d+)/);
    if (found) return found[1];
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("expectation failed: the server logged a one-time code");
}

function logLines() {
  return fs.readFileSync(process.env.SERVER_LOG, "utf8").split("\n").length - 1;
}

// Every case the city holds (the admin's list, all pages), for "exactly one case" checks.
async function allCases(admin) {
  const out = [];
  let cursor = null;
  for (;;) {
    const page = await api("/api/v1/cases?limit=200" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""), { token: admin });
    out.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) return out;
  }
}

async function caseByNumber(token, number) {
  const answer = await api("/api/v1/public/track/" + encodeURIComponent(number), { token });
  return answer.case;
}

// Steps through the form to the place step (no photo), with the Next button, and waits while
// the page checks for duplicates nearby.
async function tapNext(page) {
  await page.locator(".step:not([hidden]) .next").tap();
  await page.waitForSelector("body:not([data-busy])", { state: "attached", timeout: TIMEOUT });
}

// After the category step: goes past the duplicate step if the page showed one (open reports
// of that category near the place, left by earlier tests), as "mine is different".
async function passNearby(page) {
  if (await page.locator("#step-dups").isVisible()) await tapNext(page);
}

module.exports = { base, artifacts, openPage, step, makeJpeg, otpCode, logLines, allCases, caseByNumber, tapNext, passNearby };
