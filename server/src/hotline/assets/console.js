// Gridline hotline operator console: signs in with an operator account, then takes calls and
// records call-backs through /api/v1 only. What a call must carry (every category question,
// which type may be answered on the call, the time limits, where a call may be transferred)
// is the server's rule: this page sends what the operator entered and shows the server's
// answer, naming the field it refuses. Keyboard first: every control is a form control in
// reading order, Enter in the address box looks it up, and the first address found or
// "same problem" button takes the focus so the call goes on without the mouse.
"use strict";

const $ = (sel) => document.querySelector(sel);
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) node.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return node;
}
function svgEl(tag, attrs) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}
const uuid = () => crypto.randomUUID();

// ── session: tokens in sessionStorage, so closing the tab signs out ─────────────────────────
const session = {
  get access() { return sessionStorage.getItem("gridline.hotline.access"); },
  get refresh() { return sessionStorage.getItem("gridline.hotline.refresh"); },
  get user() { return JSON.parse(sessionStorage.getItem("gridline.hotline.user") || "null"); },
  store(pair) {
    sessionStorage.setItem("gridline.hotline.access", pair.access_token);
    if (pair.refresh_token) sessionStorage.setItem("gridline.hotline.refresh", pair.refresh_token);
    if (pair.user) sessionStorage.setItem("gridline.hotline.user", JSON.stringify(pair.user));
  },
  clear() { ["access", "refresh", "user"].forEach((k) => sessionStorage.removeItem("gridline.hotline." + k)); },
};

class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || "HTTP " + status);
    this.status = status;
    this.problem = problem || {};
  }
}

async function api(path, options = {}, retried = false) {
  const headers = Object.assign({}, options.headers || {});
  if (session.access) headers.Authorization = "Bearer " + session.access;
  let body;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(options.json);
  }
  const r = await fetch(path, { method: options.method || "GET", headers, body });
  if (r.status === 401 && !retried && session.refresh) {
    const again = await fetch("/api/v1/auth/refresh", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: session.refresh }),
    });
    if (again.ok) {
      session.store(await again.json());
      return api(path, options, true);
    }
  }
  if (!r.ok) {
    let problem = null;
    try { problem = await r.json(); } catch (_) { /* not JSON */ }
    throw new ApiError(r.status, problem);
  }
  return r.status === 204 ? null : r.json();
}

// ── sign-in ─────────────────────────────────────────────────────────────────────────────────
$("#signin-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("#signin-error").textContent = "";
  try {
    const body = { login: $("#login").value, password: $("#password").value };
    // A one-time password from a reset signs in only together with a new password.
    if (!$("#new-password-field").hidden) body.new_password = $("#new-password").value;
    const pair = await api("/api/v1/auth/login", { method: "POST", json: body });
    if (pair.user && pair.user.role !== "operator") {
      $("#signin-error").textContent = "This console is for hotline operators. 此页面仅供话务员使用。";
      return;
    }
    session.store(pair);
    start();
  } catch (err) {
    if (err.problem && err.problem.code === "password_change_required") {
      $("#new-password-field").hidden = false;
      $("#new-password").required = true;
      $("#new-password").focus();
    }
    $("#signin-error").textContent = err.message;
  }
});
$("#signout").addEventListener("click", () => {
  session.clear();
  location.reload();
});

// ── the place: an address from the gazetteer, or a click on the grid map ───────────────────
let place = null;
let categories = [];

function setPlace(lat, lon, label) {
  place = { lat, lon };
  $("#place-status").textContent = `Located 已定位: ${label} (${lat.toFixed(6)}, ${lon.toFixed(6)})`;
  $("#place-status").dataset.located = "true";
  drawMap(lat, lon);
  findDuplicates();
}

async function lookUpAddress() {
  const q = $("#address").value.trim();
  const list = $("#places");
  list.replaceChildren();
  if (!q) return;
  try {
    const found = await api("/api/v1/hotline/places?q=" + encodeURIComponent(q));
    if (!found.places.length) {
      $("#place-status").textContent = "No address matches; click the map instead. 没有匹配的地址，可在地图上点选。";
      return;
    }
    for (const p of found.places) {
      list.append(el("li", {}, el("button", { type: "button", "data-place": p.name, onclick: () => {
        list.replaceChildren();
        $("#address").value = p.name;
        setPlace(p.lat, p.lon, p.name);
        $("#category").focus();
      } }, p.name)));
    }
    list.querySelector("button").focus();
  } catch (err) {
    $("#place-status").textContent = err.message;
  }
}
$("#address").addEventListener("keydown", (e) => {
  if (e.key === "Enter") {
    e.preventDefault();
    lookUpAddress();
  }
});

// The cells around the place, drawn from the public outlines; a click moves the place there.
let mapLayer = null;
async function drawMap(lat, lon) {
  try {
    mapLayer = await api(`/api/v1/public/cells?lat=${lat}&lon=${lon}`);
  } catch (_) {
    return;
  }
  const svg = $("#map-svg");
  const title = svg.querySelector("title");
  svg.replaceChildren(title);
  const pts = [];
  for (const cell of mapLayer.cells) for (let i = 0; i < cell.rings[0].length; i += 2) pts.push([cell.rings[0][i], cell.rings[0][i + 1]]);
  if (!pts.length) return;
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const k = Math.min(400 / Math.max(1, maxX - minX), 300 / Math.max(1, maxY - minY));
  const toScreen = (x, y) => [(x - minX) * k, 300 - (y - minY) * k];
  mapLayer.view = { minX, minY, k };
  for (const cell of mapLayer.cells) {
    const ring = cell.rings[0];
    const points = [];
    for (let i = 0; i < ring.length; i += 2) points.push(toScreen(ring[i], ring[i + 1]).join(","));
    svg.append(svgEl("polygon", { points: points.join(" "), class: "cell" }));
  }
  const [px, py] = toScreen((lon - mapLayer.origin[0]) * mapLayer.scale, (lat - mapLayer.origin[1]) * mapLayer.scale);
  svg.append(svgEl("circle", { cx: px, cy: py, r: 6, class: "pin" }));
  $("#map").hidden = false;
}
$("#map-svg").addEventListener("click", (e) => {
  if (!mapLayer || !mapLayer.view) return;
  const box = e.currentTarget.getBoundingClientRect();
  const sx = ((e.clientX - box.left) / box.width) * 400, sy = ((e.clientY - box.top) / box.height) * 300;
  const { minX, minY, k } = mapLayer.view;
  const x = sx / k + minX, y = (300 - sy) / k + minY;
  setPlace(mapLayer.origin[1] + y / mapLayer.scale, mapLayer.origin[0] + x / mapLayer.scale, "map 地图");
});

// ── the category and every one of its questions ─────────────────────────────────────────────
function questionControl(q) {
  const id = "q-" + q.code;
  const label = `${q.names.en} ${q.names.zh}${q.required ? " *" : ""}`;
  const common = { id, "data-question": q.code, "data-type": q.datatype, required: q.required || null };
  switch (q.datatype) {
    case "singlevaluelist":
      return el("label", {}, el("span", {}, label),
        el("select", common, el("option", { value: "" }, "—"), q.values.map((v) => el("option", { value: v.key }, `${v.key} ${v.names.en} ${v.names.zh}`))));
    case "multivaluelist":
      return el("fieldset", { id, "data-question": q.code, "data-type": q.datatype }, el("legend", {}, label),
        q.values.map((v) => el("label", { class: "check" }, el("input", { type: "checkbox", value: v.key }), el("span", {}, `${v.names.en} ${v.names.zh}`))));
    case "number":
      return el("label", {}, el("span", {}, label), el("input", Object.assign({ type: "number", step: "any" }, common)));
    case "datetime":
      return el("label", {}, el("span", {}, label), el("input", Object.assign({ type: "datetime-local" }, common)));
    case "text":
      return el("label", {}, el("span", {}, label), el("textarea", Object.assign({ rows: 2 }, common)));
    default:
      return el("label", {}, el("span", {}, label), el("input", common));
  }
}

function showQuestions() {
  const category = categories.find((c) => c.code === $("#category").value);
  $("#questions").replaceChildren(...(category ? category.questions.map(questionControl) : []));
  findDuplicates();
}
$("#category").addEventListener("change", showQuestions);
// A hotline code shows the category the city's table maps it to (the server maps it again).
let hotlineCodes = [];
$("#hotline-code").addEventListener("change", () => {
  const chosen = hotlineCodes.find((c) => c.code === $("#hotline-code").value);
  if (chosen) {
    $("#category").value = chosen.category_code;
    showQuestions();
  }
});

function answers() {
  const out = {};
  for (const node of document.querySelectorAll("#questions [data-question]")) {
    const code = node.dataset.question;
    if (node.dataset.type === "multivaluelist") {
      const keys = [...node.querySelectorAll("input:checked")].map((i) => i.value);
      if (keys.length) out[code] = keys;
    } else if (node.value !== "") {
      out[code] = node.dataset.type === "datetime" ? new Date(node.value).toISOString() : node.value;
    }
  }
  return out;
}

// ── duplicates while typing: open reports of the category near the place ───────────────────
let sameAs = null;
let declined = false;
async function findDuplicates() {
  const category = $("#category").value;
  sameAs = null;
  $("#duplicate-list").replaceChildren();
  $("#duplicates").hidden = true;
  $("#duplicate-status").textContent = "";
  if (!category || !place || declined) return;
  let found;
  try {
    found = await api(`/api/v1/public/nearby?category=${encodeURIComponent(category)}&lat=${place.lat}&lon=${place.lon}`);
  } catch (_) {
    return;
  }
  const reports = found.reports || found.cases || [];
  if (!reports.length) return;
  for (const r of reports) {
    $("#duplicate-list").append(el("li", {},
      el("span", {}, `${r.tracking_number} · ${r.state} · ${r.distance_band_m ? "≤ " + r.distance_band_m + " m" : ""} `),
      el("button", { type: "button", "data-same-as": r.tracking_number, onclick: () => {
        sameAs = r.tracking_number;
        $("#duplicate-status").textContent = `Same problem as ${r.tracking_number}: the caller will be linked to it. 与 ${r.tracking_number} 为同一问题。`;
        $("#take-call").focus();
      } }, `Same problem 同一问题 ${r.tracking_number}`)));
  }
  $("#duplicates").hidden = false;
  $("#duplicate-status").textContent = `${reports.length} open report(s) nearby. 附近有 ${reports.length} 件同类问题。`;
}
$("#not-duplicate").addEventListener("click", () => {
  declined = true;
  sameAs = null;
  $("#duplicates").hidden = true;
  $("#duplicate-status").textContent = "Not the same problem: a new order. 不是同一问题，将生成新工单。";
  $("#description").focus();
});

// ── outcome ─────────────────────────────────────────────────────────────────────────────────
$("#outcome").addEventListener("change", () => {
  $("#answer-box").hidden = $("#outcome").value !== "answer";
  $("#transfer-box").hidden = $("#outcome").value !== "transfer";
});

// ── take the call ───────────────────────────────────────────────────────────────────────────
let callKey = uuid();
$("#call-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("#call-error").textContent = "";
  $("#result").textContent = "";
  const body = {
    caller: {
      phone: $("#phone").value.trim() || null,
      name: $("#name").value.trim() || null,
      anonymous: $("#anonymous").checked,
      confidential: $("#confidential").checked,
    },
    call_type: $("#call-type").value,
    urgency: $("#urgency").value,
    category: $("#category").value,
    description: $("#description").value,
    position: place ? { lat: place.lat, lon: place.lon, crs: "wgs84" } : { lat: 0, lon: 0 },
    answers: answers(),
  };
  if (!place) {
    $("#call-error").textContent = "Locate the place first. 请先定位地点。";
    $("#address").focus();
    return;
  }
  const outcome = $("#outcome").value;
  if (outcome === "answer") body.answer = $("#answer").value;
  if (outcome === "transfer") body.transfer = { to: $("#transfer-to").value, reason: $("#transfer-reason").value };
  if (sameAs && outcome === "order") body.same_as = sameAs;
  if ($("#hotline-code").value) body.hotline_code = $("#hotline-code").value;
  try {
    const receipt = await api("/api/v1/hotline/calls", { method: "POST", json: body, headers: { "Idempotency-Key": callKey } });
    const how = receipt.linked ? "linked to 已关联" : receipt.transferred_to ? "transferred to 已转 " + receipt.transferred_to : receipt.state;
    $("#result").textContent = `${receipt.tracking_number}: ${how}${receipt.handling_time_limit ? " · limit 时限 " + receipt.handling_time_limit : ""}`;
    $("#result").dataset.tracking = receipt.tracking_number;
    $("#result").dataset.state = receipt.state;
    $("#result").dataset.case = receipt.case_id;
    resetCall();
  } catch (err) {
    const field = err.problem.field;
    $("#call-error").textContent = (field ? field + ": " : "") + err.message;
    const target = field && (document.querySelector(`[data-question="${field.replace(/^answers\./, "")}"]`) || document.getElementById(field.replace(/^caller\./, "").replace("transfer.reason", "transfer-reason")));
    if (target) target.focus();
  }
});

function resetCall() {
  callKey = uuid();
  place = null;
  sameAs = null;
  declined = false;
  for (const id of ["#phone", "#name", "#address", "#description", "#answer", "#transfer-reason"]) $(id).value = "";
  $("#anonymous").checked = false;
  $("#confidential").checked = false;
  $("#outcome").value = "order";
  $("#answer-box").hidden = true;
  $("#transfer-box").hidden = true;
  $("#category").value = "";
  $("#hotline-code").value = "";
  $("#questions").replaceChildren();
  $("#duplicates").hidden = true;
  $("#duplicate-status").textContent = "";
  $("#map").hidden = true;
  $("#place-status").textContent = "No place yet. 尚未定位。";
  delete $("#place-status").dataset.located;
  $("#phone").focus();
}

// ── call-backs (回访) ───────────────────────────────────────────────────────────────────────
async function loadCallbacks() {
  const list = $("#callback-list");
  try {
    const due = await api("/api/v1/callbacks");
    list.replaceChildren(...due.tasks.map(callbackItem));
    $("#callback-status").textContent = `${due.tasks.length} call-back(s) due. 待回访 ${due.tasks.length} 件。`;
  } catch (err) {
    $("#callback-status").textContent = err.message;
  }
}

function callbackItem(task) {
  const id = "cb-" + task.case_id;
  const form = el("form", { class: "callback", "data-case": task.case_id, "aria-labelledby": id + "-title" },
    el("p", { id: id + "-title" }, `${task.tracking_number} · ${task.category} · ${task.description} · ☎ ${task.reporter_phone || "—"}`),
    el("label", {}, el("span", {}, "Answer 回访结果"),
      el("select", { name: "satisfaction" },
        el("option", { value: "satisfied" }, "satisfied 满意"),
        el("option", { value: "basically_satisfied" }, "basically satisfied 基本满意"),
        el("option", { value: "dissatisfied" }, "dissatisfied 不满意"))),
    el("label", {}, el("span", {}, "Solved? 是否解决"),
      el("select", { name: "resolved" },
        el("option", { value: "true" }, "solved 已解决"),
        el("option", { value: "false" }, "not solved 未解决"))),
    el("label", {}, el("span", {}, "Note 备注"), el("input", { name: "note" })),
    el("button", { type: "submit" }, "Record 记录"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { action: "call_back", satisfaction: form.satisfaction.value,
      resolved: form.resolved.value === "true" };
    if (form.note.value.trim()) body.note = form.note.value.trim();
    try {
      const c = await api(`/api/v1/cases/${task.case_id}/actions`, { method: "POST", json: body,
        headers: { "If-Match": `"${task.version}"`, "Idempotency-Key": uuid() } });
      $("#callback-status").textContent = `${task.tracking_number}: ${body.satisfaction} recorded, now ${c.state}. 已记录。`;
      $("#callback-status").dataset.state = c.state;
      form.remove();
      $("#callbacks-refresh").focus();
    } catch (err) {
      $("#callback-status").textContent = err.message;
    }
  });
  return el("li", {}, form);
}
$("#callbacks-refresh").addEventListener("click", loadCallbacks);

// A choice in both languages; a Chinese label that repeats the English one's first word (the
// emergency numbers) is shortened.
function choiceLabel(c) {
  const first = c.en.split(" ")[0];
  const zh = c.zh.startsWith(first + " ") ? c.zh.slice(first.length + 1) : c.zh;
  return `${c.en} ${zh}`;
}

// ── start ───────────────────────────────────────────────────────────────────────────────────
async function start() {
  $("#signin").hidden = true;
  $("#app").hidden = false;
  const user = session.user;
  $("#who").textContent = user ? `${user.display_name} (${user.role})` : "";
  // The call's choices come from core through the server, in its order and words.
  const form = await api("/api/v1/hotline/form");
  const fill = (select, choices, chosen) => {
    select.replaceChildren(...choices.map((c) => el("option", { value: c.value }, choiceLabel(c))));
    if (chosen) select.value = chosen;
  };
  fill($("#call-type"), form.call_types, form.default_call_type);
  fill($("#urgency"), form.urgencies, form.default_urgency);
  fill($("#transfer-to"), form.transfers);
  const all = await api("/api/v1/categories");
  categories = all.categories;
  $("#category").append(...categories.map((c) => el("option", { value: c.code }, `${c.code} ${c.names.zh} ${c.names.en}`)));
  hotlineCodes = (await api("/api/v1/hotline/codes")).codes;
  $("#hotline-code").append(...hotlineCodes.map((c) => el("option", { value: c.code }, `${c.code} ${c.name_zh} ${c.name_en} → ${c.category_code}`)));
  await loadCallbacks();
  $("#app").dataset.ready = "true";
  $("#phone").focus();
}

if (session.access) start();
else $("#login").focus();
