// The citizen's whole journey on /report from a small Android phone's browser (Galaxy S5:
// 360 × 640, touch, English), against a real `gridline serve` with the demo city (started by
// scripts/test-web):
//
//   1. a real JPEG of 3000 × 2000 from the "camera": the page makes it smaller before upload;
//      two more added, shown small, one removed again: the case has the two kept;
//   2. the place from the browser's position (set by the test), then moved with a tap on the
//      map of grid cells and with an arrow key;
//   3. a category with a required question: refused without the answer, accepted with it;
//   4. sign-in with the phone number and the code the development sender logged;
//   5. sent: the tracking number and the link to follow it;
//   6. the dispatcher of the street sees the case with the photo, the answer and the
//      description, and opens it on the dashboard.
//
// Every step is a screenshot in $ARTIFACTS and an axe-core pass at WCAG 2.2 AA.
"use strict";

const { TIMEOUT, check, api, signIn, launch, signInPage, checkAccessibility, phoneContext } = require("./support.cjs");
const { base, artifacts, openPage, step, makeJpeg, otpCode, logLines, caseByNumber, tapNext, passNearby } = require("./report-support.cjs");

async function main() {
  const dispatcher = await signIn(process.env.GRIDLINE_LOGIN, process.env.GRIDLINE_PASSWORD);
  const community = (await api("/api/v1/public/places?area=" +
    (await api("/api/v1/public/places")).places[0].code)).places[1].code;
  const cell = (await api("/api/v1/public/places?area=" + community)).places[2];
  const categories = (await api("/api/v1/categories")).categories;
  const category = categories.find((c) => (c.questions || []).some((q) => q.required && q.datatype === "singlevaluelist"));
  check(category, "the taxonomy has a category with a required list question");
  const question = category.questions.find((q) => q.required && q.datatype === "singlevaluelist");

  const browser = await launch();
  try {
    const context = await phoneContext(browser, "Galaxy S5", { locale: "en-GB", position: { lat: cell.lat, lon: cell.lon } });
    // The bytes of each photo the page uploads, seen at the page's fetch (a multipart body
    // with a file is not visible to the network events).
    await context.addInitScript(() => {
      const send = window.fetch;
      window.uploadedPhotoBytes = [];
      window.fetch = (url, options) => {
        if (options && options.body instanceof FormData) window.uploadedPhotoBytes.push(options.body.get("photo").size);
        return send(url, options);
      };
    });
    const { page, errors } = await openPage(context);
    check((await page.locator("html").getAttribute("lang")) === "en", "an English browser gets the English page");
    await step(page, "report-android-1-photo");

    // 1. The photo, made smaller in the browser before it is sent.
    const original = await makeJpeg(page, "camera-3000x2000", 3000, 2000);
    await page.setInputFiles("#photo", original.file);
    await page.waitForFunction(() => /1600 × 1067/.test(document.querySelector("#photo-status").textContent), null, { timeout: TIMEOUT });
    check(await page.locator("#photo-list img").count() === 1, "the chosen photo is shown");
    // Two more, one of them removed again: each is resized, shown small, removable.
    const second = await makeJpeg(page, "camera-2000x3000", 2000, 3000);
    const third = await makeJpeg(page, "camera-1200x900", 1200, 900);
    await page.setInputFiles("#photo", [second.file, third.file]);
    await page.waitForFunction(() => document.querySelectorAll("#photo-list img").length === 3, null, { timeout: TIMEOUT });
    check((await page.locator("#photo-count").innerText()).includes("3 of at most " + (await api("/api/v1/public/report-form")).limits.photos_max), "the count names the API's limit");
    await step(page, "report-android-2-photos-chosen");
    await page.locator("#photo-list button", { hasText: "Remove photo 3" }).tap();
    await page.waitForFunction(() => document.querySelectorAll("#photo-list img").length === 2, null, { timeout: TIMEOUT });
    check((await page.locator("#photo-status").innerText()).includes("Photo 3 removed"), "the removal is said");
    await step(page, "report-android-2-photo-removed");
    await tapNext(page);

    // 2. The place: the browser's position, the map of cells, a tap and an arrow key.
    check(await page.locator("#h-place").evaluate((h) => h === document.activeElement), "the step's heading takes the focus");
    await page.locator("#locate").tap();
    await page.waitForFunction((code) => document.querySelector("#place-now").textContent.includes(code), cell.code, { timeout: TIMEOUT });
    await page.waitForSelector("#map path", { timeout: TIMEOUT });
    check((await page.locator("#map path").count()) > 3, "the map draws the cells around the position");
    check(await page.locator("#map path.here").count() === 1, "the map marks the cell the pin is in");
    await step(page, "report-android-3-place-map");
    const box = await page.locator("#map").boundingBox();
    await page.touchscreen.tap(box.x + box.width / 2 + 40, box.y + box.height / 2);
    await page.waitForFunction(() => document.querySelector("#place-now").textContent.includes("Place:"), null, { timeout: TIMEOUT });
    await page.locator("#map").focus();
    await page.keyboard.press("ArrowLeft");
    await page.waitForTimeout(300);
    await page.locator("#map").focus();
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowLeft");
    await page.waitForFunction(() => /Place: .*\(\d{15}\)/.test(document.querySelector("#place-now").textContent), null, { timeout: TIMEOUT });
    await tapNext(page);

    // 3. A category with a required question.
    await page.selectOption("#category", category.code);
    await page.waitForSelector(`[data-question="${question.code}"] input`);
    await page.fill("#description", "The cover is cracked across; a wheel could go through.");
    await tapNext(page);
    check((await page.locator("#category-error").innerText()).includes(question.names.en), "a required question left blank is named");
    check(await page.locator("#step-what").isVisible(), "the page stays on the step with the missing answer");
    await page.locator(`[data-question="${question.code}"] input[value="${question.values[1].key}"]`).check();
    await step(page, "report-android-4-category");
    await tapNext(page);
    await passNearby(page);

    // 4. Sign-in with the phone number and the code.
    await page.locator('input[name="who"][value="phone"]').check();
    const phone = "1380013" + String(Date.now()).slice(-4);
    const logAt = logLines();
    await page.fill("#phone", phone);
    await page.locator("#send-code").tap();
    await page.waitForFunction(() => document.querySelector("#phone-status").textContent !== "", null, { timeout: TIMEOUT });
    await page.fill("#code", await otpCode(phone.slice(-2), logAt));
    await page.locator("#verify-code").tap();
    await page.waitForFunction(() => document.querySelector("#phone-status").textContent === "Signed in.", null, { timeout: TIMEOUT });
    await step(page, "report-android-5-phone");
    await tapNext(page);

    // 5. Check and send.
    check((await page.locator("#summary").innerText()).includes(category.names.en), "the summary names the category");
    await step(page, "report-android-6-check");
    await page.locator("#send").tap();
    await page.waitForSelector("#step-done:not([hidden])", { timeout: TIMEOUT });
    const number = (await page.locator("#done-number").innerText()).trim();
    check(/^GL-\d{6}-[0-9A-Z]{6}$/.test(number), `a tracking number is shown: ${number}`);
    check((await page.locator("#done-link").getAttribute("href")) === "/track/" + number, "a link to follow the report");
    await page.waitForSelector("#similar:not([hidden])", { timeout: TIMEOUT });
    await step(page, "report-android-7-sent");
    const uploads = await page.evaluate(() => window.uploadedPhotoBytes);
    check(uploads.length === 2, `two photo uploads, found ${uploads.length}`);
    check(uploads[0] > 10000 && uploads[0] < original.bytes / 2, `the upload (${uploads[0]} B) is far smaller than the camera's JPEG (${original.bytes} B)`);
    check(uploads[1] < second.bytes / 2, `the second upload (${uploads[1]} B) is far smaller than its JPEG (${second.bytes} B)`);
    check((await page.locator("#outbox").isHidden()), "nothing waits in the outbox");

    // 6. The dispatcher of the street sees it, with the photo and the answer.
    const seen = await caseByNumber(dispatcher, number);
    check(seen.view === "staff", "the dispatcher gets the staff view");
    check(seen.category === category.code, "the case has the chosen category");
    check(seen.answers[question.code] === question.values[1].key, "the case has the answer");
    check(seen.photo_ids.length === 2 && seen.photo_ids[0] !== seen.photo_ids[1], "the case has both photos");
    check(seen.description.startsWith("The cover is cracked"), "the case has the description");
    check(seen.placement.grid && seen.placement.grid.startsWith(community.slice(0, 9)), "the case is routed to a cell of the street");
    const photo = await fetch(base + "/api/v1/photos/" + seen.photo_ids[0], { headers: { authorization: "Bearer " + dispatcher } });
    check(photo.ok && photo.headers.get("content-type") === "image/jpeg", "the dispatcher can open the photo");

    const desk = await signInPage(browser, process.env.GRIDLINE_LOGIN, process.env.GRIDLINE_PASSWORD);
    await desk.page.locator('[data-view="cases"]').click();
    await desk.page.waitForFunction((n) => document.body.innerText.includes(n), number, { timeout: TIMEOUT });
    await desk.page.screenshot({ path: artifacts + "/report-dashboard-case-list.png" });
    await checkAccessibility(desk.page, "the dashboard's case list with the new report");
    check(desk.errors.length === 0, "no script error on the dashboard: " + desk.errors.join("; "));
    check(errors.length === 0, "no script error on the page: " + errors.join("; "));
    console.log(`report: the journey on a small Android phone holds (case ${number}, upload ${uploads[0]} B of ${original.bytes} B)`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error(e.stack || e.message); process.exit(1); });
