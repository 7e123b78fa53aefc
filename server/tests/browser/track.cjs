// Following a report on /track/{tracking number} and rating it. A citizen reports from their
// phone (through the API, as the page does, with this phone's anonymous device account); the
// case then goes its whole way through the city's API: registered, dispatched to the water
// unit, accepted, handled with an after-photo, verified on site by the inspector, closed.
//
//   - a passer-by on an iPhone (Chinese, no session) follows it by number: the state in words,
//     the public timeline, no rating form; an unknown number says so;
//   - the reporter's own Android phone (the device account in its storage) sees the state, the
//     timeline, their photo, and the rating form core offers them once closed; they give
//     4 stars and the page thanks them; the form is gone, and the case holds the rating.
//
// Every step is a screenshot and an axe-core pass.
"use strict";

const { TIMEOUT, check, api, signIn, launch, phoneContext, upload, act } = require("./support.cjs");
const { base, openPage, step, makeJpeg } = require("./report-support.cjs");
const fs = require("fs");

const uuid = () => require("crypto").randomUUID();

async function main() {
  const dispatcher = await signIn(process.env.GRIDLINE_LOGIN, process.env.GRIDLINE_PASSWORD);
  const handler = await signIn(process.env.GRIDLINE_HANDLER_LOGIN, process.env.GRIDLINE_HANDLER_PASSWORD);
  const inspector = await signIn(process.env.GRIDLINE_INSPECTOR_LOGIN, process.env.GRIDLINE_INSPECTOR_PASSWORD);
  const form = await api("/api/v1/public/report-form");
  // The inspector's cell is the demo city's first one; the water unit handles manhole covers.
  const street = (await api("/api/v1/public/places")).places[0].code;
  const community = (await api("/api/v1/public/places?area=" + street)).places[0].code;
  const cell = (await api("/api/v1/public/places?area=" + community)).places.sort((a, b) => a.code.localeCompare(b.code))[0];
  const category = (await api("/api/v1/categories")).categories.find((c) => c.default_unit === "water" && (c.questions || []).length);
  const question = category.questions[0];

  const browser = await launch();
  try {
    const mine = await phoneContext(browser, "Galaxy S5", { locale: "en-GB" });
    const phone = await openPage(mine);
    const jpeg = fs.readFileSync((await makeJpeg(phone.page, "track-1600x1200", 1600, 1200)).file);

    // The citizen's report, from this phone's device account.
    const device = await api("/api/v1/auth/anonymous", { method: "POST" });
    const photoId = await upload(device.access_token, jpeg);
    const receipt = await api("/api/v1/reports", { token: device.access_token, method: "POST", headers: { "idempotency-key": uuid() },
      body: { category: category.code, description: "Cover missing outside the school gate.", position: { lat: cell.lat, lon: cell.lon },
              photo_ids: [photoId], answers: { [question.code]: question.values[0].key } } });
    const number = receipt.tracking_number;
    await phone.page.evaluate((secret) => localStorage.setItem("gridline.web.device", secret), device.device_secret);

    // A passer-by follows it by number, in Chinese.
    const passer = await openPage(await phoneContext(browser, "iPhone 13", { locale: "zh-CN" }), "/track/" + number);
    await passer.page.waitForSelector("#track-body:not([hidden])", { timeout: TIMEOUT });
    check((await passer.page.locator("#track-state").innerText()) === form.states.reported.label.zh, "the state in Chinese words from the API");
    check((await passer.page.locator("#track-timeline li").count()) === 1, "the timeline has the report");
    check(await passer.page.locator("#rate").isHidden(), "a passer-by cannot rate");
    await step(passer.page, "track-iphone-1-reported");
    await passer.page.goto(base + "/track/GL-000000-NOSUCH");
    await passer.page.waitForFunction(() => document.querySelector("#track-error").textContent !== "", null, { timeout: TIMEOUT });
    check((await passer.page.locator("#track-error").innerText()).includes("找不到"), "an unknown number is said to be unknown");
    await step(passer.page, "track-iphone-2-unknown");

    // The city's whole way: register, dispatch, accept, handled, verified on site.
    const after = await upload(handler, jpeg);
    await act(dispatcher, receipt.id, { action: "register" });
    await act(dispatcher, receipt.id, { action: "dispatch", handling_unit: category.default_unit });
    await act(handler, receipt.id, { action: "accept" });
    await act(handler, receipt.id, { action: "mark_handled", photo_ids: [after] });
    const check_photo = await upload(inspector, jpeg);
    await act(inspector, receipt.id, { action: "verify_pass", photo_ids: [check_photo], position: { lat: cell.lat, lon: cell.lon } });

    // The reporter's phone: closed, the timeline, their photo, and the rating.
    const page = phone.page;
    await page.goto(base + "/track/" + number);
    await page.waitForSelector("#track-body:not([hidden])", { timeout: TIMEOUT });
    check((await page.locator("#track-state").innerText()) === form.states.closed.label.en, "the reporter sees it closed");
    check((await page.locator("#track-timeline li").count()) === 6, "six steps in the timeline");
    await page.waitForSelector("#track-photos img", { timeout: TIMEOUT });
    check(await page.locator("#rate").isVisible(), "the reporter is offered the rating once closed");
    check((await page.locator('#rate-stars input[type="radio"]').count()) === form.rating.max - form.rating.min + 1, "one choice per star of the API's range");
    await step(page, "track-android-1-closed");
    await page.locator('#rate button[type="submit"]').tap();
    check((await page.locator("#rate-error").innerText()) !== "", "sending without stars is refused on the page");
    await page.locator('#rate-stars input[value="4"]').check();
    await page.locator('#rate button[type="submit"]').tap();
    await page.waitForSelector("#rated:not([hidden])", { timeout: TIMEOUT });
    check((await page.locator("#rated").innerText()).includes("4 stars"), "the page thanks for the 4 stars");
    check(await page.locator("#rate").isHidden(), "a case is rated once: the form is gone");
    await step(page, "track-android-2-rated");
    const rated = await api("/api/v1/cases/" + receipt.id, { token: dispatcher });
    check(rated.rating === 4, `the case holds the rating: ${rated.rating}`);

    await passer.page.goto(base + "/track/" + number);
    await passer.page.waitForSelector("#track-body:not([hidden])", { timeout: TIMEOUT });
    check((await passer.page.locator("#track-state").innerText()) === form.states.closed.label.zh, "the passer-by sees it closed");
    check(await passer.page.locator("#rate").isHidden(), "and still cannot rate");
    check((await passer.page.locator("#rated").innerText()).includes("上报人的评价：4"), "and reads the reporter's rating as theirs, not the passer-by's");
    check((await passer.page.locator("#track-timeline li").last().innerText()).includes("上报人评价：4"), "the rating reads as a rating in the timeline");
    check((await passer.page.locator("#track-photos img").count()) === 0, "and sees no photo");
    await step(passer.page, "track-iphone-3-closed");
    check(phone.errors.length === 0 && passer.errors.length === 0, "no script error: " + phone.errors.concat(passer.errors).join("; "));
    console.log(`track: followed to closure and rated (case ${number})`);
  } finally {
    await browser.close();
  }
}

main().catch((e) => { console.error(e.stack || e.message); process.exit(1); });
