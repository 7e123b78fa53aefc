// Gridline citizen page (/report and /track/{tracking number}). Plain JavaScript, no libraries,
// nothing loaded from elsewhere. The rules it applies (description length, photo count and
// size, the edge a photo is resized to, the category's questions and whether it may be
// anonymous, each state in words, the rating's range) are read from the server's API answers
// (/api/v1/public/report-form, /api/v1/categories), which come from the core; the page keeps
// only its own interface texts. Sections: i18n, api and session, outbox (IndexedDB, sent with
// idempotency keys when the signal is there), report steps (photo, place, what, duplicates nearby, who, send),
// tracking and rating, start-up.
"use strict";

// ── i18n ───────────────────────────────────────────────────────────────────────────────────
const TEXT = {
  zh: {
    skip: "跳到内容", title: "随手拍 · 问题上报", other_lang: "English", step1: "第 1 步，共 5 步",
    step2: "第 2 步，共 5 步", step3: "第 3 步，共 5 步", step4: "第 4 步，共 5 步", step5: "第 5 步，共 5 步",
    photo_title: "拍下问题", photo_hint: "拍照或从相册选择。照片会先在手机上缩小再上传。", photo_choose: "拍照或选择照片",
    next: "下一步", back: "上一步", place_title: "问题在哪里？", locate: "使用我的位置",
    map_hint: "点按地图或用方向键，把标记移到问题所在处。", no_map: "不用地图，从列表中选择位置",
    lists_legend: "街道、社区和网格", street: "街道", community: "社区", cell: "网格", choose: "请选择",
    what_title: "是什么问题？", category: "类别", description: "问题描述", who_title: "如何通知您",
    who_legend: "登录方式", who_device: "不留手机号（仅本机可查看进度）", who_phone: "留手机号（短信验证码）",
    phone: "手机号", send_code: "发送验证码", code: "短信验证码", verify: "用验证码登录",
    anonymous: "匿名上报：工作人员看不到上报人", anonymous_no: "该类别不接受匿名上报。",
    send_title: "核对并提交", send: "提交上报", done_title: "谢谢，已收到您的上报", your_number: "您的查询编号：",
    follow: "查看处理进度", similar_title: "附近的类似上报", another: "再报一个问题", track_title: "上报",
    state: "状态：", timeline: "处理经过", rate_legend: "处理得怎么样？", rate_send: "提交评价",
    photo_none: "未选照片", photo_too_big: "照片太大（上限 {n} MB），请换一张。", photo_ready: "照片已缩小：", located: "位置：", grid_cell: "网格",
    outside: "不在任何网格内，将由全市分拣处理。", offline_place: "当前离线：位置会在发送时匹配到网格。",
    locating: "正在定位…", locate_failed: "无法获取位置，请在地图或列表中选择。", need_place: "请先选择问题位置。",
    need_category: "请选择类别。", need_description: "请描述问题。", too_long: "描述太长：",
    chars_left: "还可输入 {n} 字", need_answer: "请回答：", need_signin: "请先用验证码登录，或选择不留手机号。",
    code_sent: "验证码已发送。", signed_in: "已登录。", photo: "照片", place: "位置", what: "类别",
    who: "通知", anonymous_yes: "匿名", by_phone: "手机号", by_device: "本机", yes: "是", no: "否",
    waiting: "{n} 份上报等待网络，恢复后自动发送。", sending: "正在发送…", sent: "已发送，编号 {number}。",
    failed: "上报未被接受：", discard: "放弃这份上报", not_found: "找不到这个编号的上报。",
    category_field: "类别", reported_at: "上报时间", deadline: "处置期限", rated: "您的评价：{n} 星，谢谢！", rated_public: "上报人的评价：{n} 星", rating_event: "上报人评价：{n} 星",
    stars: "{n} 星", star: "1 星", track_page: "查询上报进度", description_fact: "描述", rating_sent: "谢谢您的评价。", network: "网络不可用，请稍后再试。", overdue: "已超期",
    similar_none: "附近没有同类的在办上报。", photo_alt: "上报的照片 {n}",
    photo_remove: "删除第 {n} 张照片", photo_removed: "第 {n} 张照片已删除。", photo_count: "已选 {n} 张照片（最多 {max} 张）",
    map_label: "地图：网格和问题位置", place_cell: "{name}（{code}）",
    dups_title: "附近已经有人报了吗？", dups_hint: "您选的位置附近有同类问题的在办上报。如果其中一个就是您要报的问题，关注它即可，不用再报。",
    within: "{n} 米以内", reported_on: "{when} 上报", mine_too: "这也是我的问题：关注 {number}", send_anyway: "不是同一个问题，继续上报",
  },
  en: {
    skip: "Skip to content", title: "Report a problem", other_lang: "中文", step1: "Step 1 of 5",
    step2: "Step 2 of 5", step3: "Step 3 of 5", step4: "Step 4 of 5", step5: "Step 5 of 5",
    photo_title: "A photo of the problem",
    photo_hint: "Take a photo or choose one. It is made smaller on your phone before it is sent.",
    photo_choose: "Take or choose a photo", next: "Next", back: "Back", place_title: "Where is it?",
    locate: "Use my location", map_hint: "Tap the map, or use the arrow keys, to move the pin to the problem.",
    no_map: "Choose the place from lists instead of a map", lists_legend: "Street, community and grid cell",
    street: "Street", community: "Community", cell: "Grid cell", choose: "Choose…", what_title: "What is the problem?",
    category: "Category", description: "Describe it", who_title: "How we keep you informed", who_legend: "Sign in",
    who_device: "Without a phone number (follow it on this phone)", who_phone: "With my phone number (a code by SMS)",
    phone: "Mobile number", send_code: "Send me a code", code: "Code from the SMS", verify: "Sign in with the code",
    anonymous: "Report anonymously: staff will not see who reported it",
    anonymous_no: "This category does not take anonymous reports.", send_title: "Check and send",
    send: "Send the report", done_title: "Thank you, your report is in", your_number: "Your tracking number:",
    follow: "Follow your report", similar_title: "Similar reports nearby", another: "Report another problem",
    track_title: "Report", state: "State:", timeline: "What happened", rate_legend: "How well was it fixed?",
    rate_send: "Send my rating", photo_none: "No photo chosen", photo_too_big: "The photo is too large (at most {n} MB); please choose another.", photo_ready: "Photo made smaller:",
    located: "Place:", grid_cell: "grid cell", outside: "Outside every grid cell; the city's triage desk will place it.",
    offline_place: "You are offline: the place will be matched to a grid cell when the report is sent.",
    locating: "Finding your location…", locate_failed: "Could not get your location; choose it on the map or from the lists.",
    need_place: "Choose where the problem is first.", need_category: "Choose a category.",
    need_description: "Describe the problem.", too_long: "The description is too long:",
    chars_left: "{n} characters left", need_answer: "Please answer:",
    need_signin: "Sign in with the code first, or choose to report without a phone number.",
    code_sent: "The code is on its way.", signed_in: "Signed in.", photo: "Photo", place: "Place", what: "Category",
    who: "Updates", anonymous_yes: "Anonymous", by_phone: "Phone number", by_device: "This phone", yes: "Yes", no: "No",
    waiting: "{n} report(s) waiting for the network; they are sent as soon as it is back.",
    sending: "Sending…", sent: "Sent, tracking number {number}.", failed: "The report was not accepted:",
    discard: "Discard this report", not_found: "No report has this tracking number.", category_field: "Category",
    reported_at: "Reported", deadline: "To be fixed by", rated: "Your rating: {n} stars. Thank you!", rated_public: "The reporter's rating: {n} stars",
    rating_event: "Rated by the reporter: {n} stars",
    stars: "{n} stars", star: "1 star", track_page: "Follow a report", description_fact: "Description", rating_sent: "Thank you for your rating.", network: "No network; try again in a moment.",
    overdue: "Overdue", similar_none: "No open report of this kind nearby.",
    photo_alt: "Photo {n} of the report", photo_remove: "Remove photo {n}", photo_removed: "Photo {n} removed.",
    photo_count: "{n} of at most {max} photos", map_label: "Map: grid cells and the problem's place",
    place_cell: "{name} ({code})",
    dups_title: "Already reported nearby?",
    dups_hint: "Open reports of the same kind are near the place you chose. If one of them is your problem, follow it instead of sending another.",
    within: "within {n} m", reported_on: "sent {when}", mine_too: "This is mine too: follow {number}", send_anyway: "Mine is different: continue",
  },
};
let lang = localStorage.getItem("gridline.lang") || ((navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en");
const t = (key, values = {}) => ((TEXT[lang] && TEXT[lang][key]) || TEXT.en[key] || key)
  .replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
const $ = (id) => document.getElementById(id);
/** A display name from a `{ zh, en }` pair of an API answer. */
const named = (names) => (names && (names[lang] || names.en || names.zh)) || "";

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === "text") node.textContent = v; else node.setAttribute(k, v === true ? "" : v);
  }
  node.append(...children);
  return node;
}

function applyLanguage() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-i18n]").forEach((n) => { n.textContent = t(n.dataset.i18n); });
  const other = lang === "zh" ? "en" : "zh-CN";
  $("lang").setAttribute("lang", other);
  const title = $("report").hidden && !$("track").hidden ? t("track_page") : t("title");
  document.querySelector(".bar h1").textContent = title;
  document.title = title + " · Gridline";
  $("map").setAttribute("aria-label", t("map_label"));
  if (rules.categories) { fillCategories(); renderQuestions(); updateCount(); updateAnonymity(); }
  if (rules.form) renderPhotos();
  showPlace();
  renderOutbox();
  if (track.data) renderTrack();
}

// ── api and session ────────────────────────────────────────────────────────────────────────
// The citizen's session lives in localStorage: the page is their only way back to a report.
const session = {
  get access() { return localStorage.getItem("gridline.web.access"); },
  get refresh() { return localStorage.getItem("gridline.web.refresh"); },
  get deviceSecret() { return localStorage.getItem("gridline.web.device"); },
  keep(answer) {
    localStorage.setItem("gridline.web.access", answer.access_token);
    if (answer.refresh_token) localStorage.setItem("gridline.web.refresh", answer.refresh_token);
    if (answer.device_secret) localStorage.setItem("gridline.web.device", answer.device_secret);
  },
};

class Problem extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || "HTTP " + status);
    this.status = status;
    this.body = body || {};
  }
}

async function raw(path, { method = "GET", body, headers = {}, token } = {}) {
  const h = Object.assign({}, headers);
  if (token) h.authorization = "Bearer " + token;
  let payload = body;
  if (body !== undefined && !(body instanceof FormData)) { h["content-type"] = "application/json"; payload = JSON.stringify(body); }
  const response = await fetch(path, { method, headers: h, body: payload });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
  if (!response.ok) throw new Problem(response.status, json);
  return json;
}

/** A call with the citizen's token; an expired token is refreshed (or the device account signed in again) once. */
async function authed(path, options = {}) {
  try {
    return await raw(path, Object.assign({}, options, { token: await ensureToken() }));
  } catch (e) {
    if (!(e instanceof Problem) || e.status !== 401) throw e;
    localStorage.removeItem("gridline.web.access");
    return raw(path, Object.assign({}, options, { token: await ensureToken() }));
  }
}

async function ensureToken() {
  if (session.access) return session.access;
  if (session.refresh) {
    try { session.keep(await raw("/api/v1/auth/refresh", { method: "POST", body: { refresh_token: session.refresh } })); return session.access; }
    catch (e) { if (!(e instanceof Problem)) throw e; localStorage.removeItem("gridline.web.refresh"); }
  }
  const secret = session.deviceSecret;
  session.keep(await raw("/api/v1/auth/anonymous", { method: "POST", body: secret ? { device_secret: secret } : undefined }));
  return session.access;
}

/** A UUIDv7 (time-ordered), the idempotency key of one report or photo. */
function uuid7() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  let ms = Date.now();
  for (let i = 5; i >= 0; i--) { b[i] = ms % 256; ms = Math.floor(ms / 256); }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ── outbox ─────────────────────────────────────────────────────────────────────────────────
// A report is written to IndexedDB before anything is sent, with its idempotency key (and one
// per photo). Sending retries until the server answers; a retry with the same key gets the
// first case back, so a report sent twice (a lost answer, two tabs) is still one case.
const outbox = { db: null, items: [], flushing: false, sent: [] };

function idb(mode, work) {
  return new Promise((resolve, reject) => {
    const tx = outbox.db.transaction("reports", mode);
    const result = work(tx.objectStore("reports"));
    tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
    tx.onerror = () => reject(tx.error);
  });
}

function openOutbox() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open("gridline-outbox", 1);
    request.onupgradeneeded = () => request.result.createObjectStore("reports", { keyPath: "key" });
    request.onsuccess = () => { outbox.db = request.result; resolve(); };
    request.onerror = () => reject(request.error);
  });
}

async function loadOutbox() {
  outbox.items = (await idb("readonly", (s) => s.getAll())) || [];
  renderOutbox();
}

function renderOutbox() {
  const box = $("outbox");
  const waiting = outbox.items.filter((i) => !i.error);
  const failed = outbox.items.filter((i) => i.error);
  box.replaceChildren();
  if (waiting.length) box.append(el("span", { text: outbox.flushing && navigator.onLine ? t("sending") : t("waiting", { n: waiting.length }) }));
  for (const item of failed) {
    const discard = el("button", { type: "button", class: "link", text: t("discard") });
    discard.addEventListener("click", async () => { await idb("readwrite", (s) => s.delete(item.key)); await loadOutbox(); });
    box.append(el("span", { text: " " + t("failed") + " " + item.error + " " }), discard);
  }
  for (const done of outbox.sent) {
    box.append(" ", el("span", { text: t("sent", { number: done.tracking_number }) + " " }),
      el("a", { href: "/track/" + encodeURIComponent(done.tracking_number), text: t("follow") }));
  }
  box.hidden = box.childNodes.length === 0;
}

async function flushOutbox() {
  if (outbox.flushing || !outbox.db) return;
  outbox.flushing = true;
  renderOutbox();
  try {
    for (const item of await idb("readonly", (s) => s.getAll())) {
      if (item.error) continue;
      let receipt;
      try { receipt = await sendOne(item); }
      catch (e) {
        if (e instanceof Problem && e.status >= 400 && e.status < 500 && e.status !== 401 && e.status !== 408 && e.status !== 429) {
          item.error = e.message;
          await idb("readwrite", (s) => s.put(item));
          continue;
        }
        break; // no network, or the server is busy: keep it for the next signal
      }
      await idb("readwrite", (s) => s.delete(item.key));
      onSent(receipt, item);
    }
  } finally {
    outbox.flushing = false;
    await loadOutbox();
  }
}

async function sendOne(item) {
  // Each photo is uploaded once under its own idempotency key, its id kept in the outbox, so a
  // lost answer or a reload resends none twice. (An item written before photos were a list
  // holds one photo as `photo`, `photoKey`, `photoId`.)
  if (!item.photos) item.photos = item.photo ? [{ key: item.photoKey, blob: item.photo, id: item.photoId }] : [];
  for (const photo of item.photos) {
    if (photo.id) continue;
    const form = new FormData();
    form.append("photo", photo.blob, "photo.jpg");
    const uploaded = await authed("/api/v1/photos", { method: "POST", body: form, headers: { "idempotency-key": photo.key } });
    photo.id = uploaded.id || uploaded.photo_id;
    await idb("readwrite", (s) => s.put(item));
  }
  const body = Object.assign({}, item.body, { photo_ids: item.photos.map((p) => p.id) });
  // The web page's own intake route: the server counts these reports under the channel `web`.
  return authed("/api/v1/reports/web", { method: "POST", body, headers: { "idempotency-key": item.key } });
}

// ── report steps ───────────────────────────────────────────────────────────────────────────
const rules = { form: null, categories: null };
const draft = { photos: [], point: null, accuracy: null, placement: null, placeOffline: false, who: "device" };
const STEPS = ["step-photo", "step-place", "step-what", "step-dups", "step-who", "step-send"];
let step = 0;

function showStep(index) {
  step = index;
  STEPS.forEach((id, i) => { $(id).hidden = i !== index; });
  $("step-done").hidden = true;
  if (STEPS[index] === "step-send") renderSummary();
  const heading = $(STEPS[index]).querySelector("h2");
  heading.focus();
  window.scrollTo(0, 0);
}

// Photo: decoded, turned upright and made smaller in the browser (the edge and quality the
// server's photo pipeline uses), so a cheap phone on a slow network sends a few hundred KB.
// Several photos, up to the API's limit; each is shown small with a button to remove it.
async function choosePhotos() {
  const files = [...$("photo").files];
  $("photo").value = "";
  for (const file of files) {
    if (draft.photos.length >= rules.form.limits.photos_max) break;
    await choosePhoto(file);
  }
  renderPhotos();
}

function renderPhotos() {
  const max = rules.form.limits.photos_max;
  $("photo-list").replaceChildren(...draft.photos.map((p, i) => el("li", {},
    el("img", { src: p.url, alt: t("photo_alt", { n: i + 1 }) }),
    Object.assign(el("button", { type: "button", text: t("photo_remove", { n: i + 1 }) }), { onclick: () => removePhoto(i) }))));
  $("photo-count").textContent = draft.photos.length ? t("photo_count", { n: draft.photos.length, max }) : "";
  $("photo-add").hidden = draft.photos.length >= max;
}

function removePhoto(index) {
  URL.revokeObjectURL(draft.photos[index].url);
  draft.photos.splice(index, 1);
  renderPhotos();
  $("photo-status").textContent = t("photo_removed", { n: index + 1 });
  $("photo").focus();
}

async function choosePhoto(file) {
  const { photo_max_edge_px: edge, photo_quality: quality, photo_max_bytes: maxBytes } = rules.form.limits;
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const scale = Math.min(1, edge / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality / 100));
  if (blob.size > maxBytes) { $("photo-status").textContent = t("photo_too_big", { n: Math.floor(maxBytes / 1048576) }); return; }
  draft.photos.push({ blob, url: URL.createObjectURL(blob) });
  $("photo-status").textContent = `${t("photo_ready")} ${canvas.width} × ${canvas.height}, ${Math.round(blob.size / 1024)} KB`;
}

// Place: the browser's position, adjusted on a map of the grid cells around it, or the
// no-map path (street → community → cell). Each point is routed by the server's grid index.
const map = { layer: null, x: 0, y: 0 };

async function setPoint(lat, lon, accuracy) {
  draft.point = { lat: Math.round(lat * 1e6) / 1e6, lon: Math.round(lon * 1e6) / 1e6 };
  draft.accuracy = accuracy;
  $("place-error").textContent = "";
  try {
    const answer = await raw(`/api/v1/grids/route?lat=${draft.point.lat}&lon=${draft.point.lon}`);
    draft.placement = answer.placement;
    draft.placeOffline = false;
  } catch (e) {
    draft.placement = null;
    draft.placeOffline = !(e instanceof Problem);
    if (e instanceof Problem) $("place-error").textContent = e.message;
  }
  showPlace();
  drawMap();
}

function showPlace() {
  const out = $("place-now");
  if (!draft.point) { out.textContent = ""; return; }
  const p = draft.placement;
  if (draft.placeOffline) out.textContent = t("offline_place");
  else if (p && p.grid) out.textContent = `${t("located")} ${t("place_cell", { name: p.grid_name || t("grid_cell"), code: p.grid })}`;
  else if (p) out.textContent = t("outside");
}

async function locate() {
  $("place-now").textContent = t("locating");
  navigator.geolocation.getCurrentPosition(async (pos) => {
    const { latitude, longitude, accuracy } = pos.coords;
    await setPoint(latitude, longitude, accuracy);
    await loadMap();
  }, () => { $("place-now").textContent = ""; $("place-error").textContent = t("locate_failed"); },
  { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
}

async function loadMap() {
  if (!draft.point) return;
  try { map.layer = await raw(`/api/v1/public/cells?lat=${draft.point.lat}&lon=${draft.point.lon}`); }
  catch (_) { map.layer = null; }
  $("map-box").hidden = !map.layer || map.layer.cells.length === 0;
  drawMap();
}

const SVG = "http://www.w3.org/2000/svg";
function drawMap() {
  const svg = $("map");
  if (!map.layer || !draft.point) return;
  const { origin, scale } = map.layer;
  const px = (draft.point.lon - origin[0]) * scale;
  const py = (draft.point.lat - origin[1]) * scale;
  // About 300 m around the pin, y flipped so north is up.
  const half = 0.0015 * scale;
  svg.setAttribute("viewBox", `${px - half} ${-py - half * 0.7} ${2 * half} ${1.4 * half}`);
  svg.setAttribute("preserveAspectRatio", "xMidYMid slice");
  svg.replaceChildren();
  const here = draft.placement && draft.placement.grid;
  for (const cell of map.layer.cells) {
    const d = cell.rings.map((ring) => {
      let s = "";
      for (let i = 0; i < ring.length; i += 2) s += (i ? "L" : "M") + ring[i] + " " + -ring[i + 1];
      return s + "Z";
    }).join("");
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    if (cell.code === here) path.setAttribute("class", "here");
    svg.append(path);
  }
  const pin = document.createElementNS(SVG, "circle");
  pin.setAttribute("cx", px);
  pin.setAttribute("cy", -py);
  pin.setAttribute("r", half / 22);
  svg.append(pin);
}

function mapTap(event) {
  const svg = $("map");
  const point = svg.createSVGPoint();
  point.x = event.clientX;
  point.y = event.clientY;
  const at = point.matrixTransform(svg.getScreenCTM().inverse());
  const { origin, scale } = map.layer;
  setPoint(origin[1] + -at.y / scale, origin[0] + at.x / scale, null);
}

function mapKey(event) {
  const step = { ArrowUp: [1, 0], ArrowDown: [-1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[event.key];
  if (!step || !draft.point) return;
  event.preventDefault();
  // About ten metres a press.
  setPoint(draft.point.lat + step[0] * 0.0001, draft.point.lon + step[1] * 0.0001, null);
}

async function fillPlaces(select, area) {
  const answer = await raw("/api/v1/public/places" + (area ? "?area=" + area : ""));
  select.replaceChildren(el("option", { value: "", text: t("choose") }));
  for (const place of answer.places) {
    const label = place.name ? `${place.name} (${place.code})` : place.code;
    const option = el("option", { value: place.code, text: label });
    if (place.lat !== undefined) { option.dataset.lat = place.lat; option.dataset.lon = place.lon; }
    select.append(option);
  }
  select.disabled = false;
}

async function openLists() {
  $("lists").hidden = false;
  try { await fillPlaces($("street")); } catch (e) { $("place-error").textContent = e.message; return; }
  $("street").focus();
}

// What: categories and their questions, exactly as the server publishes them.
function fillCategories() {
  const select = $("category");
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "", text: t("choose") }));
  const sorted = [...rules.categories].sort((a, b) => named(a.names).localeCompare(named(b.names), lang));
  for (const c of sorted) select.append(el("option", { value: c.code, text: named(c.names) }));
  select.value = chosen;
}

const category = () => rules.categories && rules.categories.find((c) => c.code === $("category").value);

function renderQuestions() {
  const box = $("questions");
  const kept = answers();
  box.replaceChildren();
  const c = category();
  if (!c) return;
  for (const q of c.questions || []) {
    const id = "q-" + q.code;
    const label = named(q.names) + (q.required ? " *" : "");
    if (q.datatype === "singlevaluelist" || q.datatype === "multivaluelist") {
      const set = el("fieldset", { id, "data-question": q.code, "data-required": q.required ? "1" : null });
      set.append(el("legend", { text: label }));
      for (const v of q.values || []) {
        const input = el("input", { type: q.datatype === "singlevaluelist" ? "radio" : "checkbox", name: id, value: v.key });
        const was = kept[q.code];
        if (was === v.key || (Array.isArray(was) && was.includes(v.key))) input.checked = true;
        set.append(el("label", { class: "choice" }, input, el("span", { text: named(v.names) })));
      }
      box.append(set);
    } else {
      const input = el(q.datatype === "text" ? "textarea" : "input", {
        id, "data-question": q.code, "data-required": q.required ? "1" : null,
        type: q.datatype === "number" ? "number" : q.datatype === "datetime" ? "datetime-local" : null,
      });
      if (kept[q.code]) input.value = kept[q.code];
      box.append(el("label", { for: id, text: label }), input);
    }
  }
}

function answers() {
  const out = {};
  document.querySelectorAll("#questions [data-question]").forEach((node) => {
    const code = node.dataset.question;
    if (node.tagName === "FIELDSET") {
      const checked = [...node.querySelectorAll("input:checked")].map((i) => i.value);
      if (!checked.length) return;
      out[code] = node.querySelector("input").type === "radio" ? checked[0] : checked;
    } else if (node.value.trim()) {
      out[code] = node.type === "datetime-local" ? new Date(node.value).toISOString() : node.value.trim();
    }
  });
  return out;
}

function updateCount() {
  const max = rules.form && rules.form.limits.description_max_chars;
  if (!max) return;
  const used = [...$("description").value.trim()].length;
  $("description-count").textContent = t("chars_left", { n: Math.max(0, max - used) });
}

function updateAnonymity() {
  const c = category();
  const allowed = !!(c && c.anonymous_allowed);
  $("anonymous-box").hidden = !allowed;
  $("anonymous-no").hidden = !c || allowed;
  if (!allowed) $("anonymous").checked = false;
}

// Checks before moving on: what the API answers say a report needs, said at the field.
function checkStep(index) {
  const id = STEPS[index];
  if (id === "step-place" && !draft.point) { $("place-error").textContent = t("need_place"); return false; }
  if (id === "step-what") {
    $("category-error").textContent = "";
    $("description-error").textContent = "";
    const c = category();
    if (!c) { $("category-error").textContent = t("need_category"); $("category").focus(); return false; }
    const given = answers();
    for (const q of c.questions || []) {
      if (q.required && given[q.code] === undefined) {
        $("category-error").textContent = t("need_answer") + " " + named(q.names);
        const node = document.querySelector(`[data-question="${q.code}"]`);
        (node.querySelector("input") || node).focus();
        return false;
      }
    }
    const text = $("description").value.trim();
    const max = rules.form.limits.description_max_chars;
    if (!text) { $("description-error").textContent = t("need_description"); $("description").focus(); return false; }
    if ([...text].length > max) { $("description-error").textContent = `${t("too_long")} ${[...text].length} / ${max}`; $("description").focus(); return false; }
  }
  if (id === "step-who" && draft.who === "phone" && !session.refresh) {
    $("phone-error").textContent = t("need_signin");
    $("phone").focus();
    return false;
  }
  return true;
}

function renderSummary() {
  const c = category();
  const p = draft.placement;
  const place = p && p.grid ? t("place_cell", { name: p.grid_name || t("grid_cell"), code: p.grid })
    : draft.point ? `${draft.point.lat}, ${draft.point.lon}` : "";
  const rows = [
    [t("photo"), draft.photos.length
      ? t("photo_count", { n: draft.photos.length, max: rules.form.limits.photos_max }) + `, ${Math.round(draft.photos.reduce((n, p) => n + p.blob.size, 0) / 1024)} KB`
      : t("photo_none")],
    [t("place"), place],
    [t("what"), c ? named(c.names) : ""],
    [t("description"), $("description").value.trim()],
    [t("who"), (draft.who === "phone" ? t("by_phone") : t("by_device")) + ($("anonymous").checked ? ", " + t("anonymous_yes") : "")],
  ];
  $("summary").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
}

async function submitReport(event) {
  event.preventDefault();
  $("send-error").textContent = "";
  const body = {
    category: $("category").value,
    description: $("description").value.trim(),
    position: Object.assign({}, draft.point, draft.accuracy ? { accuracy_m: draft.accuracy } : {}),
    captured_at: new Date().toISOString(),
    answers: answers(),
    anonymous: $("anonymous").checked,
  };
  const item = { key: uuid7(), photos: draft.photos.map((p) => ({ key: uuid7(), blob: p.blob })), body, createdAt: Date.now() };
  $("send").disabled = true;
  try {
    await idb("readwrite", (s) => s.put(item));
    outbox.items.push(item);
    pendingKey = item.key;
    await flushOutbox();
  } finally { $("send").disabled = false; }
  const stored = outbox.items.find((i) => i.key === item.key);
  if (stored && stored.error) $("send-error").textContent = t("failed") + " " + stored.error;
}

let pendingKey = null;
function onSent(receipt, item) {
  if (item.key !== pendingKey || $("step-send").hidden) { outbox.sent.push(receipt); return; }
  pendingKey = null;
  STEPS.forEach((id) => { $(id).hidden = true; });
  $("step-done").hidden = false;
  $("done-number").textContent = receipt.tracking_number;
  $("done-link").href = "/track/" + encodeURIComponent(receipt.tracking_number);
  $("h-done").focus();
  showSimilar(receipt);
}

// Duplicates before sending: the open reports of the chosen category around the chosen place,
// as the server shows them to anyone (a tracking number, a state, a distance band). The citizen
// follows one of them by its tracking page, or goes on. Without the network the step is skipped:
// the street office still finds duplicates when it triages the report.
const nearby = { shown: false };

/** How long the duplicate check may take on a weak signal before the page goes on without it. */
const NEARBY_WAIT_MS = 8000;

async function forward() {
  if (STEPS[step] !== "step-what") { showStep(step + 1); return; }
  nearby.shown = false;
  let reports = [];
  const next = $("step-what").querySelector(".next");
  next.disabled = true;
  document.body.dataset.busy = "1";
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), NEARBY_WAIT_MS);
  try {
    const p = draft.point;
    const query = `category=${encodeURIComponent($("category").value)}&lat=${p.lat}&lon=${p.lon}`;
    const response = await fetch("/api/v1/public/nearby?" + query, { signal: abort.signal });
    if (response.ok) reports = (await response.json()).reports || [];
  } catch (_) { reports = []; } finally {
    clearTimeout(timer);
    next.disabled = false;
    delete document.body.dataset.busy;
  }
  if (!reports.length) { showStep(STEPS.indexOf("step-who")); return; }
  $("dups-list").replaceChildren(...reports.map(nearbyItem));
  nearby.shown = true;
  showStep(STEPS.indexOf("step-dups"));
}

function reportFacts(d) {
  const words = rules.form.states[d.state];
  const parts = [words ? named(words.label) : d.state, t("within", { n: d.distance_band_m })];
  if (d.created_at) parts.push(t("reported_on", { when: when(d.created_at) }));
  return parts.join(" · ");
}

function nearbyItem(d) {
  const follow = el("a", { class: "button", href: "/track/" + encodeURIComponent(d.tracking_number),
    text: t("mine_too", { number: d.tracking_number }) });
  return el("li", {}, el("span", { class: "number", text: d.tracking_number }), el("br"),
    el("span", { text: reportFacts(d) }), d.description ? el("q", { text: d.description }) : "", el("br"), follow);
}

// Open reports of the same category nearby, as the server lists them to the reporter.
async function showSimilar(receipt) {
  try {
    const answer = await authed(`/api/v1/cases/${receipt.id}/duplicates`);
    const list = answer.candidates || answer.duplicates || answer.items || [];
    const items = list.map((d) => el("li", {},
      el("a", { href: "/track/" + encodeURIComponent(d.tracking_number), text: d.tracking_number }), " · " + reportFacts(d)));
    $("similar-list").replaceChildren(...(items.length ? items : [el("li", { text: t("similar_none") })]));
    $("similar").hidden = false;
  } catch (_) { /* the list is a courtesy; the report is in */ }
}

// Who: a code by SMS to the phone number, or this phone's own anonymous account.
async function sendCode() {
  $("phone-error").textContent = "";
  try {
    await raw("/api/v1/auth/otp/request", { method: "POST", body: { phone: $("phone").value.trim() } });
    $("phone-status").textContent = t("code_sent");
    $("code").focus();
  } catch (e) { $("phone-error").textContent = e instanceof Problem ? e.message : t("network"); }
}

async function verifyCode() {
  $("phone-error").textContent = "";
  try {
    const answer = await raw("/api/v1/auth/otp/verify", { method: "POST", body: { phone: $("phone").value.trim(), code: $("code").value.trim() } });
    session.keep(answer);
    $("phone-status").textContent = t("signed_in");
  } catch (e) { $("phone-error").textContent = e instanceof Problem ? e.message : t("network"); }
}

// ── tracking and rating ────────────────────────────────────────────────────────────────────
const track = { number: null, data: null, photos: [] };

async function loadTrack() {
  $("track-error").textContent = "";
  const path = "/api/v1/public/track/" + encodeURIComponent(track.number);
  try {
    track.data = session.access || session.refresh || session.deviceSecret ? await authed(path) : await raw(path);
  } catch (e) {
    track.data = null;
    $("track-body").hidden = true;
    $("track-error").textContent = e instanceof Problem && e.status === 404 ? t("not_found") : t("network");
    return;
  }
  renderTrack();
  loadTrackPhotos();
}

const when = (text) => text ? new Date(text).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB") : "";
const stateLabel = (state) => { const w = rules.form && rules.form.states[state]; return w ? named(w.label) : state; };

function renderTrack() {
  const { case: c, timeline } = track.data;
  $("track-body").hidden = false;
  $("track-state").textContent = stateLabel(c.state) + (c.overdue ? " · " + t("overdue") : "");
  const words = rules.form.states[c.state];
  $("track-next").textContent = words ? named(words.next) : "";
  const cat = rules.categories && rules.categories.find((x) => x.code === c.category);
  const facts = [[t("category_field"), cat ? named(cat.names) : c.category], [t("reported_at"), when(c.created_at)]];
  if (c.deadline) facts.push([t("deadline"), when(c.deadline)]);
  if (c.description) facts.push([t("description_fact"), c.description]);
  $("track-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
  // A step that kept the state (the rating, an extension) reads as what it did.
  const what = (e) => (e.details && e.details.rating) ? t("rating_event", { n: e.details.rating }) : stateLabel(e.to_state);
  $("track-timeline").replaceChildren(...timeline.map((e) => el("li", {},
    el("strong", { text: what(e) }),
    e.reason ? el("span", { text: " — " + e.reason }) : "",
    el("time", { datetime: e.at, text: when(e.at) }))));
  const mayRate = (c.available_actions || []).includes("rate");
  $("rate").hidden = !mayRate;
  if (mayRate) renderStars();
  $("rated").hidden = c.rating === null || c.rating === undefined;
  if (!$("rated").hidden) $("rated").textContent = t(c.view === "reporter" ? "rated" : "rated_public", { n: c.rating });
}

function renderStars() {
  const { min, max } = rules.form.rating;
  const box = $("rate-stars");
  const chosen = (box.querySelector("input:checked") || {}).value;
  box.replaceChildren();
  for (let n = min; n <= max; n++) {
    const input = el("input", { type: "radio", name: "stars", value: String(n), required: true });
    if (chosen === String(n)) input.checked = true;
    box.append(el("label", {}, input, el("span", { text: n === 1 ? t("star") : t("stars", { n }) })));
  }
}

async function loadTrackPhotos() {
  const ids = (track.data.case.photo_ids || []);
  if (!ids.length || track.photos.length) return;
  const images = [];
  for (const [i, id] of ids.entries()) {
    try {
      const response = await fetch(`/api/v1/photos/${id}?size=thumbnail`, { headers: { authorization: "Bearer " + await ensureToken() } });
      if (!response.ok) continue;
      const url = URL.createObjectURL(await response.blob());
      track.photos.push(url);
      images.push(el("img", { src: url, alt: t("photo_alt", { n: i + 1 }) }));
    } catch (_) { /* the rest of the page stands without the photos */ }
  }
  $("track-photos").replaceChildren(...images);
}

async function sendRating(event) {
  event.preventDefault();
  $("rate-error").textContent = "";
  const chosen = $("rate-stars").querySelector("input:checked");
  if (!chosen) { $("rate-error").textContent = t("rate_legend"); $("rate-stars").querySelector("input").focus(); return; }
  const c = track.data.case;
  try {
    await authed(`/api/v1/cases/${c.id}/actions`, {
      method: "POST", body: { action: "rate", rating: Number(chosen.value) },
      headers: { "if-match": `"${c.version}"`, "idempotency-key": uuid7() },
    });
  } catch (e) { $("rate-error").textContent = e instanceof Problem ? e.message : t("network"); return; }
  await loadTrack();
  $("rated").focus();
}

// ── start-up ───────────────────────────────────────────────────────────────────────────────
function wire() {
  $("lang").addEventListener("click", () => {
    lang = lang === "zh" ? "en" : "zh";
    localStorage.setItem("gridline.lang", lang);
    applyLanguage();
  });
  document.querySelectorAll(".step .next").forEach((b) => b.addEventListener("click", () => { if (checkStep(step)) forward(); }));
  document.querySelectorAll(".step .back").forEach((b) => b.addEventListener("click", () => {
    // The duplicate step is only there when it listed something.
    showStep(STEPS[step - 1] === "step-dups" && !nearby.shown ? step - 2 : step - 1);
  }));
  $("photo").addEventListener("change", () => choosePhotos().catch((e) => { $("photo-status").textContent = e.message; }));
  $("locate").addEventListener("click", locate);
  $("map").addEventListener("click", mapTap);
  $("map").addEventListener("keydown", mapKey);
  $("no-map").addEventListener("click", openLists);
  $("street").addEventListener("change", async () => {
    $("cell").replaceChildren(); $("cell").disabled = true;
    if ($("street").value) await fillPlaces($("community"), $("street").value);
  });
  $("community").addEventListener("change", async () => { if ($("community").value) await fillPlaces($("cell"), $("community").value); });
  $("cell").addEventListener("change", async () => {
    const option = $("cell").selectedOptions[0];
    if (option && option.dataset.lat) { await setPoint(Number(option.dataset.lat), Number(option.dataset.lon), null); }
  });
  $("category").addEventListener("change", () => { renderQuestions(); updateAnonymity(); });
  $("description").addEventListener("input", updateCount);
  document.querySelectorAll('input[name="who"]').forEach((r) => r.addEventListener("change", () => {
    draft.who = document.querySelector('input[name="who"]:checked').value;
    $("phone-box").hidden = draft.who !== "phone";
  }));
  $("send-code").addEventListener("click", sendCode);
  $("verify-code").addEventListener("click", verifyCode);
  $("report").addEventListener("submit", submitReport);
  $("rate").addEventListener("submit", sendRating);
  window.addEventListener("online", () => flushOutbox());
}

async function start() {
  wire();
  applyLanguage();
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/web/sw.js", { scope: "/" }).catch(() => {});
  const [form, categories] = await Promise.all([raw("/api/v1/public/report-form"), raw("/api/v1/categories")]);
  rules.form = form;
  rules.categories = categories.categories;
  $("description").maxLength = form.limits.description_max_chars;
  await openOutbox();
  await loadOutbox();
  const tracked = location.pathname.match(/^\/track\/([^/]+)$/);
  if (tracked) {
    track.number = decodeURIComponent(tracked[1]);
    $("report").hidden = true;
    $("track").hidden = false;
    $("track-number").textContent = track.number;
    applyLanguage();
    await loadTrack();
  } else {
    applyLanguage();
  }
  document.body.dataset.ready = "1";
  if (navigator.onLine) flushOutbox();
}

start().catch((e) => {
  document.body.dataset.ready = "error";
  const out = $("outbox");
  out.textContent = t("network") + " (" + e.message + ")";
  out.hidden = false;
});
