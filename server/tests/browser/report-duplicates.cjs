// The duplicate step of /report on a small Android phone (Galaxy S5, touch, English), against a
// real `gridline serve` with the demo city (started by scripts/test-web): another citizen has
// already reported the problem anonymously at the same place, so after the category the page
// shows that open report (its tracking number, state and distance band from
// /api/v1/public/nearby), and:
//
//   1. "this is mine too" leads to that report's tracking page, and no new case is made;
//   2. "mine is different" goes on to send, and a new case is made.
//
// Every step is a screenshot in $ARTIFACTS and an axe-core pass at WCAG 2.2 AA.
"use strict";

const { TIMEOUT, check, api, signIn, launch, phoneContext } = require("./support.cjs");
const { openPage, step, allCases, tapNext } = require("./report-support.cjs");

const uuid = () => require("crypto").randomUUID();

// Through photo (none), place (the browser's position) and category to the step after it.
async function throughCategory(page, category, cell) {
  await tapNext(page);
  await page.locator("#locate").tap();
  await page.waitForFunction((code) => document.querySelector("#place-now").textContent.includes(code), cell.code, { timeout: TIMEOUT });
  await tapNext(page);
  await page.selectOption("#category", category.code);
  await page.fill("#description", "Overflowing bins at the corner; bags on the pavement.");
  await tapNext(page);
}

async function main() {
  const admin = await signIn(process.env.GRIDLINE_ADMIN_LOGIN, process.env.GRIDLINE_ADMIN_PASSWORD);
  const streets = (await api("/api/v1/public/places")).places;
  const communities = (await api("/api/v1/public/places?area=" + streets[streets.length - 1].code)).places;
  const cells = (await api("/api/v1/public/places?area=" + communities[communities.length - 1].code)).places;
  const cell = cells[cells.length - 1];
  const category = (await api("/api/v1/categories")).categories.find((c) => c.anonymous_allowed && !(c.questions || []).length);
  check(category, "the taxonomy has an anonymous category without questions");

  // Someone else's anonymous report of the same problem at the same place.
  const other = await api("/api/v1/auth/anonymous", { method: "POST" });
  const earlier = await api("/api/v1/reports", { token: other.access_token, method: "POST", headers: { "idempotency-key": uuid() },
    body: { category: category.code, description: "Bins overflowing, my number is 13800000000.", position: { lat: cell.lat, lon: cell.lon }, anonymous: true } });
  const number = earlier.tracking_number;

  const browser = await launch();
  try {
    const context = await phoneContext(browser, "Galaxy S5", { locale: "en-GB", position: { lat: cell.lat, lon: cell.lon } });

    // 1. This is mine too: the citizen follows the earlier report; no new case.
    const first = await openPage(context);
    const before = (await allCases(admin)).length;
    await throughCategory(first.page, category, cell);
    await first.page.waitForSelector("#step-dups:not([hidden])", { timeout: TIMEOUT });
    check(await first.page.locator("#h-dups").evaluate((h) => h === document.activeElement), "the step's heading takes the focus");
    const listed = await first.page.locator("#dups-list").innerText();
    check(listed.includes(number), `the earlier report ${number} is listed: ${listed}`);
    check(!listed.includes("13800000000"), "an unreviewed description is not shown");
    check(/within \d+ m/.test(listed), "a distance band, not an exact distance");
    check(!listed.includes(earlier.id), "no case id is shown");
    await step(first.page, "report-dups-1-nearby");
    const follow = first.page.locator("#dups-list a", { hasText: number });
    check((await follow.getAttribute("href")) === "/track/" + number, "the choice leads to the report's tracking page");
    await follow.tap();
    await first.page.waitForURL("**/track/" + number, { timeout: TIMEOUT });
    await first.page.waitForSelector("#track-body:not([hidden])", { timeout: TIMEOUT });
    check((await first.page.locator("#track-number").innerText()).trim() === number, "the tracking page of the earlier report");
    await step(first.page, "report-dups-2-followed");
    check((await allCases(admin)).length === before, "following an earlier report makes no new case");

    // 2. Mine is different: the report is sent as a new case.
    const second = await openPage(context);
    await throughCategory(second.page, category, cell);
    await second.page.waitForSelector("#step-dups:not([hidden])", { timeout: TIMEOUT });
    await second.page.locator("#send-anyway").tap();
    check(await second.page.locator("#step-who").isVisible(), "sending anyway goes on to the next step");
    await tapNext(second.page);
    await second.page.locator("#send").tap();
    await second.page.waitForSelector("#step-done:not([hidden])", { timeout: TIMEOUT });
    const mine = (await second.page.locator("#done-number").innerText()).trim();
    check(mine !== number, "a new tracking number");
    await step(second.page, "report-dups-3-sent-anyway");
    check((await allCases(admin)).length === before + 1, "sending anyway makes one new case");
    check(first.errors.length === 0 && second.errors.length === 0, "no script error: " + first.errors.concat(second.errors).join("; "));
    console.log(`report-duplicates: follow ${number} made no case; sending anyway made ${mine}`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error(e.stack || e.message); process.exit(1); });
