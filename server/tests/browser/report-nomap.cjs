// The no-map path on an iPhone's browser (iPhone 13: 390 × 844, touch, Chinese), for someone
// who cannot or will not use a map: no photo, no position allowed, the place chosen from
// plain lists (street → community → grid cell) with the keyboard alone, a category without
// questions that allows anonymous reports, reported anonymously without a phone number. The
// language switch turns the page to English and back. The case lands in the chosen cell,
// anonymous, and the dispatcher does not see who reported it. Every step is a screenshot and
// an axe-core pass.
"use strict";

const { TIMEOUT, check, api, signIn, launch, phoneContext } = require("./support.cjs");
const { openPage, step, caseByNumber, tapNext, passNearby } = require("./report-support.cjs");

async function main() {
  const dispatcher = await signIn(process.env.GRIDLINE_LOGIN, process.env.GRIDLINE_PASSWORD);
  const street = (await api("/api/v1/public/places")).places[0].code;
  const community = (await api("/api/v1/public/places?area=" + street)).places[0].code;
  const cell = (await api("/api/v1/public/places?area=" + community)).places[0];
  const categories = (await api("/api/v1/categories")).categories;
  const category = categories.find((c) => c.anonymous_allowed && !(c.questions || []).length);
  check(category, "the taxonomy has an anonymous category without questions");

  const browser = await launch();
  try {
    const context = await phoneContext(browser, "iPhone 13", { locale: "zh-CN" });
    const { page, errors } = await openPage(context);
    check((await page.locator("html").getAttribute("lang")) === "zh-CN", "a Chinese browser gets the Chinese page");
    check((await page.locator("#h-photo").innerText()).includes("拍下问题"), "the first step is in Chinese");
    await page.locator("#lang").tap();
    check((await page.locator("html").getAttribute("lang")) === "en", "the switch turns the page to English");
    check((await page.locator("#h-photo").innerText()).includes("A photo of the problem"), "the step reads in English");
    await step(page, "report-iphone-1-english");
    await page.locator("#lang").tap();
    check((await page.locator("html").getAttribute("lang")) === "zh-CN", "and back to Chinese");
    await step(page, "report-iphone-2-chinese");
    await tapNext(page);

    // The place from lists, with the keyboard alone (a screen reader's user, or a phone with
    // a keyboard attached): Enter on the link, then each list chosen with the arrow keys.
    check(await page.locator("#map-box").isHidden(), "no map is drawn without a position");
    await page.locator("#no-map").focus();
    await page.keyboard.press("Enter");
    await page.waitForSelector(`#street option[value="${street}"]`, { state: "attached", timeout: TIMEOUT });
    check(await page.locator("#street").evaluate((s) => s === document.activeElement), "the street list takes the focus");
    await page.keyboard.press("ArrowDown");
    await page.waitForSelector(`#community option[value="${community}"]`, { state: "attached", timeout: TIMEOUT });
    await page.keyboard.press("Tab");
    await page.keyboard.press("ArrowDown");
    await page.waitForSelector(`#cell option[value="${cell.code}"]`, { state: "attached", timeout: TIMEOUT });
    await page.keyboard.press("Tab");
    await page.keyboard.press("ArrowDown");
    await page.waitForFunction((code) => document.querySelector("#place-now").textContent.includes(code), cell.code, { timeout: TIMEOUT });
    await step(page, "report-iphone-3-place-lists");
    await tapNext(page);

    await page.selectOption("#category", category.code);
    await page.fill("#description", "路灯不亮，晚上很黑。");
    await step(page, "report-iphone-4-category");
    await tapNext(page);
    await passNearby(page);

    check(await page.locator("#anonymous-box").isVisible(), "the category allows anonymous reports, so the page offers it");
    await page.locator("#anonymous").check();
    await step(page, "report-iphone-5-anonymous");
    await tapNext(page);
    check((await page.locator("#summary").innerText()).includes("匿名"), "the summary says anonymous");
    await step(page, "report-iphone-6-check");
    await page.locator("#send").tap();
    await page.waitForSelector("#step-done:not([hidden])", { timeout: TIMEOUT });
    const number = (await page.locator("#done-number").innerText()).trim();
    await step(page, "report-iphone-7-sent");

    const seen = await caseByNumber(dispatcher, number);
    check(seen.placement.grid === cell.code, `the case is in the chosen cell ${cell.code}: ${seen.placement.grid}`);
    check(seen.anonymous === true, "the case is anonymous");
    check(seen.reporter === undefined, "the dispatcher does not see who reported an anonymous case");
    check(seen.photo_ids.length === 0, "no photo was sent");
    check(errors.length === 0, "no script error on the page: " + errors.join("; "));
    console.log(`report-nomap: the no-map path on an iPhone holds (case ${number} in ${cell.code})`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error(e.stack || e.message); process.exit(1); });
