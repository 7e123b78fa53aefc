// Gridline operations dashboard. Plain JavaScript, no libraries, nothing loaded from elsewhere:
// every figure comes from the server's own /api/v1 (the same API, scope rules and concurrency
// checks as any other client). Sections: i18n, session, api, map, KPIs, live feed, case list,
// case page and actions, rankings, wall mode, start-up.
"use strict";

// ── i18n ───────────────────────────────────────────────────────────────────────────────────
const TEXT = {
  zh: {
    skip: "跳到内容", title: "网格化城市运行", signin_hint: "请使用工作人员账号登录。", login: "账号",
    password: "密码", signin: "登录", other_lang: "English", view_overview: "一屏总览", view_cases: "案件",
    parts: "协办", lead: "主办", disputes: "派单异议", k_dispute_rate: "异议率", bounces: "流转次数",
    flagged: "已报区级", decide_by: "裁定时限", late: "逾期裁定",
    view_rankings: "排名", wall: "大屏模式", signout: "退出", level: "层级", district: "区", street: "街道",
    community: "社区", grid: "网格", colour_by: "着色", m_open: "在办案件", m_overdue: "超期案件",
    m_density: "每万平方米在办", feed: "实时动态", state: "状态", category: "类别", unit: "处置部门",
    overdue: "超期", from: "起", to: "止", apply: "筛选", any: "全部", yes: "是", no: "否", tracking: "编号",
    deadline: "处置时限", reported_at: "上报时间", more: "更多", rank_streets: "街道排名",
    rank_units: "处置部门排名", csv: "导出 CSV", search: "搜索（编号或文字）", view_units: "处置部门", unit_code: "代码", name_zh: "中文名", name_en: "英文名", contact: "联系方式", unit_categories: "处置类别", unit_area: "服务区域", add_unit: "新增部门", unit_change: "操作", active: "在用", retired: "已停用", retire: "停用", reinstate: "恢复", close_panel: "关闭", k_received_today: "今日受理",
    k_open: "在办", k_overdue: "超期", k_to_verify: "待核查", k_at_desk: "待派遣", k_closure: "结案率", k_on_time: "按期结案率",
    k_rework: "返工率", print_sheet: "打印案件登记表", k_unverified: "未经核查结案", k_handling: "平均处置时长(工时)", k_rating: "市民满意度", k_response: "响应率", k_resolution: "解决率", k_satisfaction: "满意率", live_on: "实时",
    live_retrying: "重连中", live_off: "离线", city: "全市", all_cells: "个网格", signin_failed: "登录失败", new_password: "新密码", one_time_password: "这是重置后的一次性密码，请设置新密码后登录。",
    no_map: "该账号没有地图范围。", position: "位置", geotag: "照片定位核验", description: "描述",
    photos: "照片", timeline: "流程记录", actions: "操作", reason: "原因", note: "备注", submit: "提交",
    new_deadline: "新时限", merge_into: "合并到案件 ID", time_limit: "处置时限标准", round_the_clock: "应急指挥时限，全天候计", version_conflict: "案件已被他人更新，已刷新。",
    done: "已完成", rate: "率", count: "数", name: "名称", p90: "P90 工时", no_cases: "没有案件",
    dispatch_deadline: "现在派遣，处置截止时间为：", default_helpers: "未指定协办时，联合值守单位协办（主办单位除外）：", period: "近 30 天", read_only: "只读",
    channel: "来源渠道", confirm_requested: "已请网格员核实",
    place: "位置归属", in_triage: "未入网格（待定位）", in_cell: "已入网格", k_triage: "待定位", grid_code: "网格编码",
    pick_on_map: "在地图上选择", pick_hint: "请点击案件所在的网格（逐级放大到网格层）。", inspector: "网格员",
    no_inspectors: "本街道没有可指派的网格员", verifier: "核查人", urgency: "紧急程度",
  },
  en: {
    skip: "Skip to content", title: "Gridline operations", signin_hint: "Sign in with your staff account.",
    login: "Login", password: "Password", signin: "Sign in", other_lang: "中文", view_overview: "Overview",
    parts: "Helper parts", lead: "Lead unit", disputes: "Disputed assignments", k_dispute_rate: "Dispute rate",
    bounces: "Bounces", flagged: "Flagged to the district", decide_by: "Decide by", late: "decided late",
    view_cases: "Cases", view_rankings: "Rankings", wall: "Wall screen", signout: "Sign out", level: "Level",
    district: "District", street: "Street", community: "Community", grid: "Grid", colour_by: "Colour by",
    m_open: "Open cases", m_overdue: "Overdue cases", m_density: "Open per 10,000 m²", feed: "Live feed",
    state: "State", category: "Category", unit: "Unit", overdue: "Overdue", from: "From", to: "To",
    apply: "Apply", any: "Any", yes: "Yes", no: "No", tracking: "No.", deadline: "Deadline",
    reported_at: "Reported", more: "More", rank_streets: "Streets", rank_units: "Handling units",
    csv: "Export CSV", search: "Search (number or text)", view_units: "Units", unit_code: "Code", name_zh: "Chinese name", name_en: "English name", contact: "Contact", unit_categories: "Categories handled", unit_area: "Area served", add_unit: "Add unit", unit_change: "Change", active: "active", retired: "retired", retire: "Retire", reinstate: "Reinstate", close_panel: "Close", k_received_today: "Received today", k_open: "Open",
    k_overdue: "Overdue", k_to_verify: "To verify", k_at_desk: "Awaiting dispatch", k_closure: "Closure rate", k_on_time: "On-time closure",
    k_rework: "Rework rate", print_sheet: "Print case sheet", k_unverified: "Closed unverified", k_handling: "Mean handling (working h)", k_rating: "Citizen rating", k_response: "Response rate", k_resolution: "Resolution rate", k_satisfaction: "Satisfaction rate",
    live_on: "Live", live_retrying: "Reconnecting", live_off: "Offline", city: "City", all_cells: "cells",
    signin_failed: "Sign-in failed", new_password: "New password", one_time_password: "This is a one-time password from a reset: choose a new password to sign in.", no_map: "This account has no map area.", position: "Position",
    geotag: "Geotag check", description: "Description", photos: "Photos", timeline: "Timeline",
    actions: "Actions", reason: "Reason", note: "Note", submit: "Submit", new_deadline: "New deadline",
    merge_into: "Merge into case id", time_limit: "Time limit", round_the_clock: "under emergency command, round the clock", version_conflict: "Someone else changed this case; reloaded.",
    done: "Done", rate: "rate", count: "count", name: "Name", p90: "P90 hours", no_cases: "No cases",
    dispatch_deadline: "Dispatched now, the deadline is", default_helpers: "Naming no helpers, the units on joint duty help (but the lead):", period: "last 30 days",
    read_only: "read-only", channel: "Channel", confirm_requested: "Inspectors asked to confirm",
    place: "Place", in_triage: "In no cell (triage)", in_cell: "In a cell", k_triage: "In triage", grid_code: "Cell code",
    pick_on_map: "Choose on the map", pick_hint: "Click the cell where the case belongs (drill down to the cell level).",
    inspector: "Inspector", no_inspectors: "No inspector of this street can be given it", verifier: "Verifier",
    urgency: "Urgency",
  },
};
let lang = localStorage.getItem("gridline.lang") || (navigator.language.startsWith("zh") ? "zh" : "en");
const t = (key) => (TEXT[lang] && TEXT[lang][key]) || TEXT.en[key] || key;

function applyLanguage() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
}

// ── session ────────────────────────────────────────────────────────────────────────────────
// Tokens live in sessionStorage: closing the tab signs out, and nothing outlives the browser.
const session = {
  get access() { return sessionStorage.getItem("gridline.access"); },
  get refresh() { return sessionStorage.getItem("gridline.refresh"); },
  get user() { return JSON.parse(sessionStorage.getItem("gridline.user") || "null"); },
  save(pair) {
    sessionStorage.setItem("gridline.access", pair.access_token);
    if (pair.refresh_token) sessionStorage.setItem("gridline.refresh", pair.refresh_token);
    if (pair.user) sessionStorage.setItem("gridline.user", JSON.stringify(pair.user));
  },
  clear() { ["access", "refresh", "user"].forEach((k) => sessionStorage.removeItem("gridline." + k)); },
};

// ── api ────────────────────────────────────────────────────────────────────────────────────
class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || "HTTP " + status);
    this.status = status;
    this.problem = problem || {};
  }
}

let refreshing = null;
async function refreshTokens() {
  // One refresh at a time: every caller that saw a 401 waits for the same rotation.
  if (!refreshing) {
    refreshing = (async () => {
      const r = await fetch("/api/v1/auth/refresh", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: session.refresh }),
      });
      if (!r.ok) { session.clear(); location.reload(); throw new ApiError(r.status); }
      session.save(await r.json());
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

async function api(path, options = {}, retried = false) {
  const headers = Object.assign({}, options.headers || {});
  if (session.access) headers.Authorization = "Bearer " + session.access;
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    options = Object.assign({}, options, { body: JSON.stringify(options.json) });
  }
  const r = await fetch(path, Object.assign({}, options, { headers }));
  if (r.status === 401 && !retried && session.refresh) {
    await refreshTokens();
    return api(path, options, true);
  }
  if (!r.ok) {
    let problem = null;
    try { problem = await r.json(); } catch (_) { /* not JSON */ }
    throw new ApiError(r.status, problem);
  }
  if (options.raw) return r;
  return r.status === 204 ? null : r.json();
}

// ── small helpers ──────────────────────────────────────────────────────────────────────────
const $ = (sel) => document.querySelector(sel);
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) node.setAttribute(k, v);
  }
  for (const c of children.flat()) node.append(c instanceof Node ? c : document.createTextNode(String(c ?? "")));
  return node;
}
// Times read in the city's zone (the working calendar's), whatever the viewer's computer says.
const CITY_TIME_ZONE = "Asia/Shanghai";
const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { timeZone: CITY_TIME_ZONE }) : "—");
const pct = (x) => (x === null || x === undefined ? "—" : (x * 100).toFixed(1) + "%");
// Each column: its label and the statistics figure it shows (the three rates of 接诉即办 last).
const RANK_COLUMNS = [
  ["k_on_time", "on_time_closure_rate"], ["k_rework", "rework_rate"], ["k_closure", "closure_rate"],
  ["k_response", "response_rate"], ["k_resolution", "resolution_rate"], ["k_satisfaction", "satisfaction_rate"],
];
const rankCells = (g) => RANK_COLUMNS.map(([, figure]) => el("td", { "data-field": figure }, pct(g[figure])));
// A case under emergency command is timed in minutes round the clock, not by its category's
// working-time limit.
const timeLimit = (c) => (c.command_limit_minutes
  ? `${c.command_limit_minutes % 60 ? c.command_limit_minutes + " min" : c.command_limit_minutes / 60 + " h"} · ${t("round_the_clock")}`
  : c.handling_time_limit || "—");
const num = (x, d = 1) => (x === null || x === undefined ? "—" : Number(x).toFixed(d));
// The date in the city's zone (YYYY-MM-DD): the statistics read a date as a city day, and from
// 16:00 UTC the browser's UTC date is already yesterday in Beijing.
const day = (date) => date.toLocaleDateString("en-CA", { timeZone: CITY_TIME_ZONE });
function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

const state = {
  categories: [], units: [], limits: {}, urgencies: [], level: 6, measure: "open", area: "", daily: null,
  layer: null, counts: { cells: {}, totals: {} }, blinks: new Map(), casesCursor: null,
  // Bumped by every open and close of the case page: an open whose reads come back after a
  // later open or a close (a live event's refresh, say) shows nothing.
  caseTicket: 0,
};

// ── map ────────────────────────────────────────────────────────────────────────────────────
// Cells come once per grid revision as integer rings from an origin; each is turned into a
// canvas Path2D when the canvas size changes. Cells of one colour are drawn as one path, so a
// whole city (40,625 cells) is a handful of fills. The legend's swatches (.sw0–.sw6 in app.css)
// repeat these colours: the page's CSP allows no inline styles.
const PALETTE = ["#1d2a35", "#23445a", "#2f6b7a", "#4f9a73", "#c9b850", "#ef8a47", "#e0474c"];
const canvas = $("#map");
const ctx = canvas.getContext("2d");
let view = null; // { scale, ox, oy, paths: Map(code -> Path2D), centres: Map(code -> [x, y]) }

function prefixOf(code, level) { return code.slice(0, level); }

function visibleCells() {
  if (!state.layer) return [];
  return state.area ? state.layer.cells.filter((c) => c.code.startsWith(state.area)) : state.layer.cells;
}

function project() {
  const cells = visibleCells();
  const rect = canvas.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(rect.width * dpr));
  canvas.height = Math.max(1, Math.round(rect.height * dpr));
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const c of cells) for (const ring of c.rings) for (let i = 0; i < ring.length; i += 2) {
    minX = Math.min(minX, ring[i]); maxX = Math.max(maxX, ring[i]);
    minY = Math.min(minY, ring[i + 1]); maxY = Math.max(maxY, ring[i + 1]);
  }
  if (!isFinite(minX)) { view = null; return; }
  // Degrees of longitude are shorter than degrees of latitude away from the equator.
  const lat = state.layer.origin[1] + (minY + maxY) / 2 / state.layer.scale;
  const kx = Math.cos((lat * Math.PI) / 180);
  const pad = 12 * dpr;
  const scale = Math.min((canvas.width - 2 * pad) / ((maxX - minX) * kx || 1), (canvas.height - 2 * pad) / (maxY - minY || 1));
  const ox = pad + (canvas.width - 2 * pad - (maxX - minX) * kx * scale) / 2;
  const oy = pad + (canvas.height - 2 * pad - (maxY - minY) * scale) / 2;
  const px = (x) => ox + (x - minX) * kx * scale;
  const py = (y) => canvas.height - (oy + (y - minY) * scale);
  const paths = new Map(), centres = new Map();
  for (const c of cells) {
    const p = new Path2D();
    let sx = 0, sy = 0, n = 0;
    for (const ring of c.rings) {
      for (let i = 0; i < ring.length; i += 2) {
        const x = px(ring[i]), y = py(ring[i + 1]);
        if (i === 0) p.moveTo(x, y); else p.lineTo(x, y);
        sx += x; sy += y; n += 1;
      }
      p.closePath();
    }
    paths.set(c.code, p);
    centres.set(c.code, [sx / n, sy / n]);
  }
  view = { paths, centres, dpr };
}

// The value each cell is coloured with: its area's (at the chosen level) open or overdue cases,
// or open cases per 10,000 m² of the area's cells.
function areaValues() {
  const level = state.level;
  const sums = new Map();
  for (const c of visibleCells()) {
    const key = prefixOf(c.code, level);
    const s = sums.get(key) || { open: 0, overdue: 0, area: 0 };
    const n = state.counts.cells[c.code];
    if (n) { s.open += n[0]; s.overdue += n[1]; }
    s.area += c.area_m2;
    sums.set(key, s);
  }
  const values = new Map();
  for (const [key, s] of sums) {
    values.set(key, state.measure === "open" ? s.open : state.measure === "overdue" ? s.overdue : (s.area ? (s.open / s.area) * 10000 : 0));
  }
  return values;
}

function bucketsFor(max) {
  // Up to six steps from just above zero to the largest value; zero keeps the darkest colour.
  // Counts step in whole cases, so a street with one open case has one step, not six.
  const steps = [];
  for (let i = 1; i <= 6; i++) {
    const step = state.measure === "density" ? (max * i) / 6 : Math.ceil((max * i) / 6);
    if (step > 0 && !steps.includes(step)) steps.push(step);
  }
  return steps;
}

function draw() {
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!view) return;
  const values = areaValues();
  const max = Math.max(0, ...values.values());
  const steps = bucketsFor(max);
  const groups = PALETTE.map(() => new Path2D());
  for (const c of visibleCells()) {
    const v = values.get(prefixOf(c.code, state.level)) || 0;
    const bucket = v <= 0 ? 0 : 7 - steps.length + steps.findIndex((s) => v <= s + 1e-9);
    groups[bucket].addPath(view.paths.get(c.code));
  }
  groups.forEach((p, i) => { ctx.fillStyle = PALETTE[i]; ctx.fill(p); });
  ctx.lineWidth = view.dpr * (state.level === 15 ? 0.6 : 0.25);
  ctx.strokeStyle = "rgba(160, 190, 210, 0.35)";
  if (visibleCells().length <= 5000) groups.forEach((p) => ctx.stroke(p));
  // Markers: amber for cells with open cases, red where one is overdue.
  for (const c of visibleCells()) {
    const n = state.counts.cells[c.code];
    if (!n || !n[0]) continue;
    const [x, y] = view.centres.get(c.code);
    ctx.beginPath();
    ctx.arc(x, y, (n[1] ? 4 : 3) * view.dpr, 0, Math.PI * 2);
    ctx.fillStyle = n[1] ? "#ff3b3b" : "#ffc857";
    ctx.fill();
  }
  drawBlinks();
  renderLegend(steps, max);
}

// A new report blinks in its cell for a few seconds.
function drawBlinks() {
  const now = performance.now();
  for (const [code, until] of state.blinks) {
    if (now > until) { state.blinks.delete(code); continue; }
    const centre = view && view.centres.get(code);
    if (!centre) continue;
    const phase = ((until - now) / 400) % 2 < 1;
    ctx.beginPath();
    ctx.arc(centre[0], centre[1], 11 * view.dpr, 0, Math.PI * 2);
    ctx.strokeStyle = phase ? "#ffffff" : "#5cc8ff";
    ctx.lineWidth = 3 * view.dpr;
    ctx.stroke();
  }
  if (state.blinks.size) requestAnimationFrame(draw);
}

function renderLegend(steps, max) {
  const legend = $("#legend");
  legend.replaceChildren(el("span", { class: "muted" }, t("m_" + state.measure) + ":"));
  legend.append(el("i", { class: "sw0" }), "0");
  // The fewer the steps, the hotter they start: one open case is already worth seeing.
  const density = state.measure === "density";
  let low = 0;
  steps.forEach((s, i) => {
    if (max <= 0) return;
    const label = density ? `${num(low, 2)}–${num(s, 2)}` : s - low === 1 ? String(s) : `${low + 1}–${s}`;
    legend.append(el("i", { class: "sw" + (7 - steps.length + i) }), label);
    low = s;
  });
  legend.append(el("i", { class: "sw-overdue" }), t("overdue"));
}

function renderCrumbs() {
  const crumbs = $("#crumbs");
  crumbs.replaceChildren(el("button", { type: "button", onclick: () => drillTo("") }, t("city")));
  for (const len of [6, 9, 12]) {
    if (state.area.length >= len) {
      const code = state.area.slice(0, len);
      crumbs.append(el("button", { type: "button", onclick: () => drillTo(code) }, code));
    }
  }
  $("#map-status").textContent = `${visibleCells().length} ${t("all_cells")}`;
}

function drillTo(area) {
  state.area = area;
  state.daily = null;
  const next = { 0: 6, 6: 9, 9: 12, 12: 15, 15: 15 }[area.length];
  state.level = next;
  $("#level").value = String(next);
  project(); draw(); renderCrumbs(); loadKpis();
}

function cellAt(event) {
  if (!view) return null;
  const rect = canvas.getBoundingClientRect();
  const x = (event.clientX - rect.left) * view.dpr, y = (event.clientY - rect.top) * view.dpr;
  for (const [code, path] of view.paths) if (ctx.isPointInPath(path, x, y)) return code;
  return null;
}

canvas.addEventListener("click", (event) => {
  const code = cellAt(event);
  if (code && state.level < 15) drillTo(prefixOf(code, state.level));
  else if (code && state.picking) pickedCell(code);
  else if (code) openCaseList({ area: code });
});

// Choosing a case's new cell on the map (a relocate): the case page steps aside, the map takes
// one click at the cell level, and the page comes back with the cell's code in its form.
function pickCellFor(input) {
  state.picking = input;
  $("#case-panel").hidden = true;
  showView("overview");
  $("#map-status").textContent = t("pick_hint");
}

function pickedCell(code) {
  const input = state.picking;
  state.picking = null;
  input.value = code;
  $("#map-status").textContent = "";
  $("#case-panel").hidden = false;
  input.focus();
}
canvas.addEventListener("keydown", (event) => {
  // Keyboard: Backspace goes up one level, Home back to the whole scope.
  if (event.key === "Backspace" && state.area) { drillTo(state.area.slice(0, { 6: 0, 9: 6, 12: 9, 15: 12 }[state.area.length])); }
  if (event.key === "Home") drillTo("");
});

async function loadMap() {
  try {
    // Outlines and counts in parallel: together they are the first screen.
    const [layer] = await Promise.all([api("/api/v1/dashboard/cells"), loadCounts()]);
    state.layer = layer;
    // Start at the deepest area the whole scope shares (a dispatcher starts in their street).
    const codes = layer.cells.map((c) => c.code);
    let common = codes.length ? codes[0] : "";
    for (const c of codes) while (!c.startsWith(common)) common = common.slice(0, -1);
    drillTo(common.length >= 9 ? common.slice(0, 9) : "");
  } catch (e) {
    $("#map-status").textContent = e.status === 403 ? t("no_map") : e.message;
  }
}

async function loadCounts() {
  try { state.counts = await api("/api/v1/dashboard/counts"); } catch (e) { state.counts = { cells: {}, totals: {} }; }
}

// ── KPIs ───────────────────────────────────────────────────────────────────────────────────
function sparkline(series) {
  if (!series || series.length < 2) return el("span");
  const max = Math.max(...series, 1e-9), min = Math.min(...series, 0);
  const pts = series.map((v, i) => `${(i / (series.length - 1)) * 100},${28 - ((v - min) / (max - min || 1)) * 26}`).join(" ");
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 100 28");
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("aria-hidden", "true");
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", pts);
  svg.append(line);
  return svg;
}

function statsQuery(from, to, groupBy) {
  const q = new URLSearchParams({ from, to, group_by: groupBy });
  if (state.area) q.set("area", state.area);
  return "/api/v1/stats?" + q;
}

async function loadKpis() {
  // One call: the last 30 days day by day. Its total is the period's figures and its last day
  // is today, so the tiles, their trend lines and "received today" agree with each other.
  const today = new Date();
  const start = new Date(today.getTime() - 29 * 86400000);
  // The live counts come first: the tiles drawn from them show at once, the statistics'
  // tiles keep their last figures for this area, or say "…" until the history has been read.
  renderTiles(state.daily, state.daily === null);
  // The desk's figures (the triage queue) are the street office's, the city's and a viewer's.
  const [daily, desk] = await Promise.all([
    api(statsQuery(day(start), day(today), "day")).catch(() => null),
    api("/api/v1/desk").catch(() => null),
  ]);
  state.daily = daily;
  state.desk = desk;
  renderTiles(daily, false);
}

function renderTiles(daily, pending) {
  const period = daily;
  const days = (daily && daily.groups) || [];
  const todayStats = days.length ? { total: days[days.length - 1] } : null;
  const total = (period && period.total) || {};
  const later = (text) => (pending ? "…" : text);
  const series = (key) => (daily && daily.groups ? daily.groups.map((g) => g[key] ?? 0) : null);
  const inArea = (codes) => Object.entries(codes).filter(([code]) => !state.area || code.startsWith(state.area));
  const sum = (i) => inArea(state.counts.cells || {}).reduce((acc, [, n]) => acc + n[i], 0);
  const tiles = [
    ["k_received_today", later(todayStats && todayStats.total ? todayStats.total.received : "—"), series("received")],
    ["k_open", sum(0), null],
    ["k_overdue", sum(1), null],
    ["k_to_verify", sum(2), null],
    ["k_at_desk", sum(3), null],
    ["k_triage", state.desk ? state.desk.stranded : "—", null],
    ["k_closure", later(pct(total.closure_rate)), series("closure_rate")],
    ["k_on_time", later(pct(total.on_time_closure_rate)), series("on_time_closure_rate")],
    ["k_rework", later(pct(total.rework_rate)), series("rework_rate")],
    ["k_unverified", later(total.closed_unverified ?? "—"), series("closed_unverified")],
    ["k_handling", later(num(total.handling_hours_mean)), series("handling_hours_mean")],
    ["k_rating", later(num(total.rating_mean, 2)), series("rating_mean")],
  ];
  // The triage tile opens the queue itself: the case list of cases in no cell.
  const opens = { k_triage: showTriage };
  $("#kpis").replaceChildren(...tiles.map(([key, value, s]) =>
    el(opens[key] ? "button" : "div", { class: "kpi", "data-kpi": key, type: opens[key] ? "button" : null, onclick: opens[key] },
      el("div", { class: "label" }, t(key)), el("div", { class: "value" }, String(value)), sparkline(s))));
}

// ── live feed (Server-Sent Events over fetch, so the token goes in a header) ────────────────
let lastEventId = null;
async function followEvents() {
  const live = $("#live");
  for (;;) {
    try {
      const headers = { Authorization: "Bearer " + session.access, Accept: "text/event-stream" };
      if (lastEventId) headers["Last-Event-ID"] = lastEventId;
      const r = await fetch("/api/v1/events", { headers });
      if (r.status === 401) { await refreshTokens(); continue; }
      if (!r.ok || !r.body) throw new Error("events: HTTP " + r.status);
      live.dataset.state = "on"; live.textContent = t("live_on");
      const reader = r.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          handleSse(buffer.slice(0, cut));
          buffer = buffer.slice(cut + 2);
        }
      }
    } catch (_) { /* fall through to retry */ }
    live.dataset.state = "retrying"; live.textContent = t("live_retrying");
    await new Promise((res) => setTimeout(res, 2000));
  }
}

function handleSse(block) {
  let id = null, name = "message", data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("id:")) id = line.slice(3).trim();
    else if (line.startsWith("event:")) name = line.slice(6).trim();
    else if (line.startsWith("data:")) data += line.slice(5).trim();
  }
  if (id) lastEventId = id;
  if (name !== "case" || !data) return;
  let event;
  try { event = JSON.parse(data); } catch (_) { return; }
  addToFeed(event);
  if (event.grid_code) state.blinks.set(event.grid_code, performance.now() + 4000);
  refreshAfterEvent();
  const open = $("#case-panel").dataset.caseId;
  if (open && open === event.case_id) openCase(open);
}

// Counts are cheap and the map should feel live; the statistics behind the tiles read the
// period's history, so a burst of events refreshes them once.
const refreshKpis = debounce(loadKpis, 3000);
const refreshAfterEvent = debounce(async () => { await loadCounts(); draw(); refreshKpis(); }, 500);

function addToFeed(event) {
  const feed = $("#feed");
  const item = el("li", { class: "fresh", "data-case": event.case_id },
    el("button", { type: "button", onclick: () => openCase(event.case_id) }, event.tracking_number || event.case_id),
    " ", el("span", {}, event.kind), " → ", el("b", {}, event.to_state || event.state || ""),
    el("div", { class: "muted" }, fmtTime(event.at), event.grid_code ? " · " + event.grid_code : ""));
  feed.prepend(item);
  while (feed.children.length > 100) feed.lastChild.remove();
}

// ── case list ──────────────────────────────────────────────────────────────────────────────
function caseQuery(extra = {}) {
  const form = new FormData($("#filters"));
  const q = new URLSearchParams();
  for (const [k, v] of form) {
    if (!v) continue;
    if (k === "from" || k === "to") q.set(k, new Date(v + "T00:00:00").toISOString());
    else q.set(k, v);
  }
  if (state.area && !q.has("area")) q.set("area", state.area);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q;
}

async function loadCases(append = false, extra = {}) {
  const q = caseQuery(extra);
  if (append && state.casesCursor) q.set("cursor", state.casesCursor);
  const page = await api("/api/v1/cases?" + q);
  const rows = $("#case-rows");
  if (!append) rows.replaceChildren();
  for (const c of page.items) {
    rows.append(el("tr", { tabindex: "0", "data-case": c.id, onclick: () => openCase(c.id), onkeydown: (e) => { if (e.key === "Enter") openCase(c.id); } },
      el("td", {}, c.tracking_number, urgencyBadge(c)), el("td", {}, categoryName(c.category)),
      el("td", {}, c.state), el("td", { "data-field": "grid" }, (c.placement && c.placement.grid) || t("in_triage")),
      el("td", { class: c.overdue ? "tag-overdue" : "" }, fmtTime(c.deadline)), el("td", {}, fmtTime(c.created_at))));
  }
  if (!rows.children.length) rows.append(el("tr", {}, el("td", { colspan: "6", class: "muted" }, t("no_cases"))));
  state.casesCursor = page.next_cursor;
  $("#more").hidden = !page.next_cursor;
}

function openCaseList(extra) { showView("cases"); loadCases(false, extra); }

// The triage queue: the reports that routed to no cell, which the street office relocates.
function showTriage() {
  $("#f-triage").value = "true";
  showView("cases");
}

// Every case the filters (and the search text) match, as one CSV file from the server's
// streamed export, in the caller's scope.
async function exportCases() {
  const q = caseQuery({ format: "csv" });
  const r = await api("/api/v1/cases?" + q, { raw: true });
  const link = el("a", { href: URL.createObjectURL(await r.blob()), download: `gridline-cases-${new Date().toISOString().slice(0, 10)}.csv` });
  document.body.append(link); link.click(); link.remove();
}

function defaultUnit(code) {
  const c = state.categories.find((x) => x.code === code);
  return c ? c.default_unit : null;
}

// A case's urgency in the viewer's language, from the server's list (core's words, least urgent
// first): a badge for any but the least urgent, nothing for a normal case.
function urgencyLabel(urgency) {
  const u = state.urgencies.find((x) => x.urgency === urgency);
  return u ? u.label[lang] || u.label.en : urgency;
}
function urgencyBadge(c) {
  if (!c.urgency || !state.urgencies.length || c.urgency === state.urgencies[0].urgency) return "";
  return el("span", { class: "urgency-badge", "data-urgency": c.urgency }, urgencyLabel(c.urgency));
}

function categoryName(code) {
  const c = state.categories.find((x) => x.code === code);
  const names = (c && c.names) || {};
  return c ? `${code} ${lang === "zh" ? names.zh || "" : names.en || ""}` : code;
}

// ── case page and dispatcher actions ───────────────────────────────────────────────────────
async function photoImage(id) {
  const r = await api("/api/v1/photos/" + encodeURIComponent(id), { raw: true });
  return URL.createObjectURL(await r.blob());
}

async function openCase(id) {
  const ticket = ++state.caseTicket;
  const panel = $("#case-panel");
  const [c, timeline, joint] = await Promise.all([
    api("/api/v1/cases/" + id),
    api("/api/v1/cases/" + id + "/timeline").catch(() => ({ events: [] })),
    api("/api/v1/cases/" + id + "/joint").catch(() => null),
  ]);
  // The unit the server suggests for the dispatch: by the categories units handle and their area.
  if ((c.available_actions || []).includes("dispatch")) {
    const where = new URLSearchParams({ category: c.category });
    if (c.placement && c.placement.grid) where.set("grid", c.placement.grid);
    c.suggested_unit = (await api("/api/v1/units?" + where).catch(() => ({}))).suggested || null;
  }
  // Whom a verification may be given to: the server's list, the same rule its step checks.
  const needs = new Map((c.action_needs || []).map((n) => [n.action, n.needs]));
  if ((c.available_actions || []).some((a) => needs.get(a) && needs.get(a).inspector)) {
    c.verifiers = (await api(`/api/v1/cases/${id}/verifiers`).catch(() => ({}))).inspectors || [];
  }
  if (ticket !== state.caseTicket) return;
  panel.dataset.caseId = id;
  panel.dataset.version = c.version;
  $("#case-title").textContent = `${c.tracking_number} · ${categoryName(c.category)}`;
  const facts = el("dl", { class: "facts" },
    el("dt", {}, t("state")), el("dd", { "data-field": "state" }, c.state),
    el("dt", {}, t("grid")), el("dd", {}, (c.placement && c.placement.grid) || "—"),
    el("dt", {}, t("position")), el("dd", {}, c.position ? `${c.position.lat.toFixed(5)}, ${c.position.lon.toFixed(5)}` : "—"),
    el("dt", {}, t("geotag")), el("dd", {}, c.geotag || "—"),
    el("dt", {}, t("time_limit")), el("dd", { "data-field": "time-limit" }, timeLimit(c)),
    el("dt", {}, t("deadline")), el("dd", { "data-field": "deadline", class: c.overdue ? "tag-overdue" : "" }, fmtTime(c.deadline) + (c.overdue ? " · " + t("overdue") : "")),
    el("dt", {}, t("unit")), el("dd", {}, c.handling_unit || "—"),
    el("dt", {}, t("channel")), el("dd", { "data-field": "channel" }, c.channel || "—"),
    el("dt", {}, t("urgency")), el("dd", { "data-field": "urgency" }, urgencyBadge(c) || (c.urgency ? urgencyLabel(c.urgency) : "—")),
    ...(c.confirm_requested_at ? [el("dt", {}, t("confirm_requested")), el("dd", { "data-field": "confirm-requested" }, fmtTime(c.confirm_requested_at))] : []),
    el("dt", {}, t("description")), el("dd", {}, c.description || ""));
  const mini = el("canvas", { id: "case-map", "aria-label": t("position") });
  const photoIds = [...(c.photo_ids || [])];
  for (const e of timeline.events || []) for (const p of e.photo_ids || []) if (!photoIds.includes(p)) photoIds.push(p);
  const photos = el("div", { class: "photos" });
  const kinds = new Map();
  for (const e of timeline.events || []) for (const p of e.photo_ids || []) kinds.set(p, e.kind);
  for (const p of photoIds) {
    const img = el("img", { alt: kinds.get(p) || t("photos") });
    photos.append(el("figure", {}, img, el("figcaption", { class: "muted" }, kinds.get(p) || "report")));
    photoImage(p).then((url) => { img.src = url; }).catch(() => { img.alt = "—"; });
  }
  const events = el("ol", { class: "timeline" }, (timeline.events || []).map((e) =>
    el("li", { "data-kind": e.kind }, el("b", {}, e.label ? e.label[lang] : e.kind), " ", e.from_state ? e.from_state + " → " : "", e.to_state,
      el("div", { class: "muted" }, fmtTime(e.at), e.actor ? " · " + (e.actor.name || e.actor.role || "") : "",
        e.details && e.details.verifier_name ? ` · ${t("verifier")}: ${e.details.verifier_name}` : "",
        e.details && e.details.to && e.details.to.grid ? ` · → ${e.details.to.grid}` : "",
        e.reason ? " · " + e.reason : "", e.note ? " · " + e.note : ""))));
  // A viewer (wall screens) takes no step: no actions section at all, whatever the case offers.
  const steps = readOnly() ? [] : [el("h3", {}, t("actions")), actionForms(c)];
  // The office files the sheet; a wall screen (a viewer) has nothing to press.
  const print = el("button", { type: "button", id: "case-print" }, t("print_sheet"));
  print.addEventListener("click", () => openSheet(c.id).catch((e) => { print.textContent = e.message; }));
  const printing = readOnly() ? [] : [print];
  $("#case-body").replaceChildren(facts, ...printing, mini, ...jointSection(joint), el("h3", {}, t("photos")), photos,
    el("h3", {}, t("timeline")), events, ...steps);
  panel.hidden = false;
  drawCaseMap(mini, c);
  $("#case-close").focus();
}

function drawCaseMap(mini, c) {
  const g = mini.getContext("2d");
  const rect = mini.getBoundingClientRect();
  mini.width = rect.width; mini.height = rect.height;
  const code = c.placement && c.placement.grid;
  const cell = state.layer && code && state.layer.cells.find((x) => x.code === code);
  if (!cell || !c.position) return;
  const s = state.layer.scale, o = state.layer.origin;
  const xs = [], ys = [];
  for (const ring of cell.rings) for (let i = 0; i < ring.length; i += 2) { xs.push(ring[i] / s + o[0]); ys.push(ring[i + 1] / s + o[1]); }
  xs.push(c.position.lon); ys.push(c.position.lat);
  const minX = Math.min(...xs), maxX = Math.max(...xs), minY = Math.min(...ys), maxY = Math.max(...ys);
  const k = Math.min((mini.width - 20) / (maxX - minX || 1e-6), (mini.height - 20) / (maxY - minY || 1e-6));
  const px = (x) => 10 + (x - minX) * k, py = (y) => mini.height - 10 - (y - minY) * k;
  g.strokeStyle = "#5cc8ff"; g.lineWidth = 2;
  for (const ring of cell.rings) {
    g.beginPath();
    for (let i = 0; i < ring.length; i += 2) { const x = px(ring[i] / s + o[0]), y = py(ring[i + 1] / s + o[1]); if (i) g.lineTo(x, y); else g.moveTo(x, y); }
    g.closePath(); g.stroke();
  }
  g.fillStyle = "#ff3b3b"; g.beginPath(); g.arc(px(c.position.lon), py(c.position.lat), 5, 0, Math.PI * 2); g.fill();
}

// The case sheet (案件登记表) needs the session's token, so it is fetched and opened as a
// document for the browser's print dialog.
async function openSheet(id) {
  const r = await api(`/api/v1/cases/${encodeURIComponent(id)}/sheet`, { raw: true });
  const page = URL.createObjectURL(new Blob([await r.text()], { type: "text/html" }));
  window.open(page, "_blank", "noopener");
}

// Joint handling and disputes as the server gives them (GET /api/v1/cases/{id}/joint): each
// helper unit's part with its note, state and deadline, and the part steps the server offers the
// reader (close, rework: each form asks for what the step's `needs` say; a step with an
// after-photo is the helper's, on site); each dispute with the arbiter's deadline and decision;
// the bounces, and whether the case went to the district.
function jointSection(joint) {
  if (!joint || (!joint.parts.length && !joint.disputes.length && !joint.bounces)) return [];
  const parts = el("table", { class: "parts", "data-field": "parts" },
    el("thead", {}, el("tr", {}, el("th", {}, t("unit")), el("th", {}, t("note")), el("th", {}, t("state")), el("th", {}, t("deadline")), el("th", {}, t("actions")))),
    el("tbody", {}, joint.parts.map((p) => el("tr", { "data-part": p.unit },
      el("td", {}, p.unit), el("td", {}, p.note + (p.reason ? ` · ${p.reason}` : "")), el("td", { "data-field": "part-state" }, p.state),
      el("td", { class: p.overdue ? "tag-overdue" : "" }, fmtTime(p.deadline) + (p.overdue ? " · " + t("overdue") : "")),
      el("td", {}, readOnly() ? [] : partForms(joint, p))))));
  const disputes = el("ul", { "data-field": "disputes" }, joint.disputes.map((d) => el("li", {},
    el("b", {}, d.unit), " · ", d.reason, el("div", { class: "muted" },
      `${t("decide_by")} ${fmtTime(d.decide_by)}`, d.decision ? ` · ${d.decision}` : "", d.late ? ` · ${t("late")}` : ""))));
  return [el("h3", {}, `${t("parts")} · ${t("lead")}: ${joint.lead_unit || "—"}`), parts,
    el("h3", {}, t("disputes")), disputes,
    el("p", { class: joint.flagged_to_district ? "tag-overdue" : "muted", "data-field": "bounces" },
      `${t("bounces")}: ${joint.bounces}` + (joint.flagged_to_district ? ` · ${t("flagged")}` : ""))];
}

function partForms(joint, p) {
  return (p.action_needs || []).filter((n) => !n.needs.photo).map((n) => {
    const reason = n.needs.reason
      ? [el("input", { name: "reason", placeholder: t("reason"), required: "", maxlength: state.limits.step_text_max_chars, "aria-label": t("reason") })]
      : [];
    const form = el("form", { "data-part-action": n.action }, ...reason, el("button", { type: "submit" }, n.label[lang]));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      takePartAction(joint.case.id, p.id, n.action, new FormData(form), joint.case.version);
    });
    return form;
  });
}

async function takePartAction(id, part, action, form, version) {
  const body = { action };
  for (const [k, v] of form) if (v) body[k] = v;
  try {
    await api(`/api/v1/cases/${id}/parts/${part}/actions`, { method: "POST", json: body, headers: { "If-Match": `"${version}"` } });
    await openCase(id);
    $("#action-result").textContent = t("done");
    refreshAfterEvent();
  } catch (e) {
    if (e.status === 409 && e.problem.code === "version_mismatch") {
      await openCase(id);
      $("#action-result").textContent = t("version_conflict");
    } else {
      await openCase(id);
      $("#action-result").textContent = `${e.problem.code || e.status}: ${e.message}`;
    }
  }
}

// The read-only role of operations screens: it sees everything its area holds and acts on
// nothing (the server refuses its writes too).
const readOnly = () => (session.user || {}).role === "viewer";

// The steps the server says are available now, each form built from what the workflow says the
// step must carry (`action_needs`); the steps taken on site (with a photo) and the reporter's
// and the hotline's are left to the phones and the hotline console. A position without a photo
// is a place the office chooses (a relocate): given as a cell code, typed or clicked on the map.
// Each form sends the case version in If-Match, so a step on a stale page is refused (409) and
// the page reloads.
function actionForms(c) {
  const box = el("div", { class: "actions" });
  const steps = new Map((c.action_needs || []).map((n) => [n.action, n]));
  const atTheDesk = (n) => n && !n.photo && !n.rating && !n.satisfaction;
  const available = (c.available_actions || []).filter((a) => steps.has(a) && atTheDesk(steps.get(a).needs));
  for (const action of available) {
    const { needs, label } = steps.get(action);
    const name = label[lang];
    const fields = [];
    if (needs.reason) fields.push(el("input", { name: "reason", placeholder: t("reason"), required: "", maxlength: state.limits.step_text_max_chars, "aria-label": t("reason") }));
    if (needs.handling_unit) {
      fields.push(el("select", { name: "handling_unit", "aria-label": t("unit") },
        state.units.map((u) => el("option", { value: u.code, selected: u.code === (c.suggested_unit || defaultUnit(c.category)) ? "" : null },
          `${u.code} · ${lang === "zh" ? u.zh : u.en}`))));
      fields.push(el("span", { class: "muted", "data-field": "dispatch-deadline" },
        `${t("dispatch_deadline")} ${fmtTime(c.dispatch_deadline)} (${timeLimit(c)})`));
      // The parts the server says a dispatch naming no helpers adds (joint duty under command).
      if (c.default_helpers) {
        fields.push(el("span", { class: "muted", "data-field": "default-helpers" },
          `${t("default_helpers")} ${c.default_helpers.map((h) => h.unit).join(", ")}`));
      }
    }
    if (needs.new_deadline) fields.push(el("input", { name: "new_deadline", type: "datetime-local", required: "", "aria-label": t("new_deadline") }));
    if (needs.merge_target) fields.push(el("input", { name: "merge_into", placeholder: t("merge_into"), required: "", "aria-label": t("merge_into") }));
    if (needs.position) {
      const cell = el("input", { name: "grid_code", placeholder: t("grid_code"), required: "", inputmode: "numeric", "aria-label": t("grid_code") });
      fields.push(cell, el("button", { type: "button", "data-field": "pick-cell", onclick: () => pickCellFor(cell) }, t("pick_on_map")));
    }
    if (needs.inspector) {
      const people = c.verifiers || [];
      fields.push(people.length
        ? el("select", { name: "inspector", required: "", "aria-label": t("inspector") },
          people.map((p) => el("option", { value: p.id }, `${p.display_name} (${p.login || p.id})`)))
        : el("span", { class: "muted", "data-field": "no-inspectors" }, t("no_inspectors")));
    }
    fields.push(el("input", { name: "note", placeholder: t("note"), maxlength: state.limits.step_text_max_chars, "aria-label": t("note") }));
    const form = el("form", { "data-action": action }, el("b", {}, name), ...fields, el("button", { type: "submit" }, name));
    form.addEventListener("submit", (event) => { event.preventDefault(); takeAction(c.id, action, new FormData(form)); });
    box.append(form);
  }
  box.append(el("p", { id: "action-result", role: "status" }));
  return box;
}

async function takeAction(id, action, form) {
  const body = { action };
  for (const [k, v] of form) {
    if (!v) continue;
    body[k] = k === "new_deadline" ? new Date(v).toISOString() : v;
  }
  const version = $("#case-panel").dataset.version;
  try {
    await api(`/api/v1/cases/${id}/actions`, { method: "POST", json: body, headers: { "If-Match": `"${version}"` } });
    await openCase(id);
    $("#action-result").textContent = t("done");
    refreshAfterEvent();
  } catch (e) {
    if (e.status === 409 && e.problem.code === "version_mismatch") {
      await openCase(id);
      $("#action-result").textContent = t("version_conflict");
    } else {
      $("#action-result").textContent = `${e.problem.code || e.status}: ${e.message}`;
    }
  }
}

function closeCase() {
  state.caseTicket++;
  const panel = $("#case-panel");
  panel.hidden = true;
  delete panel.dataset.caseId;
}

// ── rankings ───────────────────────────────────────────────────────────────────────────────
async function loadRankings() {
  const today = new Date();
  const start = new Date(today.getTime() - 29 * 86400000);
  // The units' dispute rates (派单异议) come from their own report, all time, in the caller's area.
  const joint = await api("/api/v1/stats/joint").catch(() => ({ units: [] }));
  const disputeRate = new Map(joint.units.map((u) => [u.unit, u.dispute_rate]));
  for (const group of ["street", "unit"]) {
    const table = $("#rank-" + group);
    try {
      const stats = await api(statsQuery(day(start), day(today), group));
      if (group === "unit") {
        table.replaceChildren(
          el("thead", {}, el("tr", {}, el("th", {}, t("name")), ...RANK_COLUMNS.map(([label]) => el("th", {}, t(label))), el("th", {}, t("k_dispute_rate")))),
          el("tbody", {}, [...(stats.groups || [])].sort((a, b) => (b.on_time_closure_rate ?? -1) - (a.on_time_closure_rate ?? -1)).map((g) => {
            const key = g.key ?? g.group ?? g.name;
            return el("tr", {}, el("td", {}, key ?? "—"), ...rankCells(g), el("td", { "data-field": "dispute-rate" }, pct(disputeRate.get(key))));
          })));
        continue;
      }
      const rows = [...(stats.groups || [])].sort((a, b) => (b.on_time_closure_rate ?? -1) - (a.on_time_closure_rate ?? -1));
      table.replaceChildren(
        el("thead", {}, el("tr", {}, el("th", {}, t("name")), ...RANK_COLUMNS.map(([label]) => el("th", {}, t(label))))),
        el("tbody", {}, rows.map((g) => el("tr", {}, el("td", {}, g.key ?? g.group ?? g.name ?? "—"), ...rankCells(g)))));
    } catch (e) {
      table.replaceChildren(el("caption", { class: "muted" }, e.message));
    }
  }
}

async function exportCsv(group) {
  const today = new Date();
  const start = new Date(today.getTime() - 29 * 86400000);
  const r = await api(statsQuery(day(start), day(today), group) + "&format=csv", { raw: true });
  const link = el("a", { href: URL.createObjectURL(await r.blob()), download: `gridline-${group}-${day(today)}.csv` });
  document.body.append(link); link.click(); link.remove();
}

// ── views and wall mode ────────────────────────────────────────────────────────────────────
function showView(name) {
  document.querySelectorAll(".view").forEach((v) => { v.hidden = v.id !== "view-" + name; });
  document.querySelectorAll("[data-view]").forEach((b) => b.setAttribute("aria-selected", String(b.dataset.view === name)));
  if (name === "overview") { project(); draw(); }
  if (name === "cases") loadCases();
  if (name === "rankings") loadRankings();
  if (name === "units") loadUnits();
}

// ── handling units (city admin) ────────────────────────────────────────────────────────────
// Units are retired, never deleted; the server checks every field and its problem is shown.
async function loadUnits() {
  const all = await api("/api/v1/admin/units");
  const rows = $("#unit-rows");
  rows.replaceChildren();
  for (const u of all.units) {
    const change = el("button", { type: "button", "data-unit": u.code,
      onclick: () => setUnitActive(u.code, !u.active) }, t(u.active ? "retire" : "reinstate"));
    rows.append(el("tr", { "data-unit-row": u.code },
      el("td", {}, u.code), el("td", {}, lang === "zh" ? u.zh : u.en), el("td", {}, u.contact || "—"),
      el("td", {}, u.categories.join(", ") || "—"), el("td", {}, u.area || "—"),
      el("td", { "data-field": "unit-state" }, t(u.active ? "active" : "retired")), el("td", {}, change)));
  }
}

async function setUnitActive(code, active) {
  try {
    await api("/api/v1/admin/units/" + encodeURIComponent(code), { method: "PATCH", json: { active } });
    $("#unit-result").textContent = "";
  } catch (e) {
    $("#unit-result").textContent = e.message;
  }
  await loadUnits();
}

async function addUnit(form) {
  const data = new FormData(form);
  const body = { code: data.get("code"), zh: data.get("zh"), en: data.get("en"), contact: data.get("contact") || "",
    categories: String(data.get("categories") || "").split(",").map((c) => c.trim()).filter(Boolean) };
  if (data.get("area")) body.area = data.get("area");
  try {
    await api("/api/v1/admin/units", { method: "POST", json: body });
    $("#unit-result").textContent = body.code;
    form.reset();
  } catch (e) {
    $("#unit-result").textContent = e.message;
  }
  await loadUnits();
}

let wallTimer = null;
function toggleWall() {
  // Full screen, larger type, and the views rotate every 20 seconds.
  document.body.classList.toggle("wall");
  if (wallTimer) { clearInterval(wallTimer); wallTimer = null; document.exitFullscreen?.().catch(() => {}); return; }
  document.documentElement.requestFullscreen?.().catch(() => {});
  const order = ["overview", "rankings", "cases"];
  let i = 0;
  wallTimer = setInterval(() => { i = (i + 1) % order.length; showView(order[i]); }, 20000);
}

// ── start-up ───────────────────────────────────────────────────────────────────────────────
// The limits and the state list come from the server's one answer of core's rules (the same
// the citizen page reads), so this page copies none of them.
async function loadReferenceData() {
  const [cats, units, form] = await Promise.all([
    api("/api/v1/categories").catch(() => ({ categories: [] })),
    api("/api/v1/units").catch(() => ({ units: [] })),
    api("/api/v1/public/report-form").catch(() => ({ limits: {}, state_order: [] })),
  ]);
  state.categories = cats.categories || [];
  state.units = units.units || [];
  state.limits = form.limits || {};
  state.urgencies = form.urgencies || [];
  const fill = (select, items) => { for (const [value, label] of items) select.append(el("option", { value }, label)); };
  fill($("#f-category"), state.categories.map((c) => [c.code, categoryName(c.code)]));
  fill($("#f-unit"), state.units.map((u) => [u.code, u.code]));
  fill($("#f-state"), (form.state_order || []).map((s) => [s, s]));
  fill($("#f-channel"), (form.channels || []).map((c) => [c, c]));
  fill($("#f-urgency"), state.urgencies.map((u) => [u.urgency, urgencyLabel(u.urgency)]));
}

async function start() {
  $("#signin").hidden = true;
  $("#app").hidden = false;
  const user = session.user || {};
  $("#who").textContent = `${user.login || user.id || ""} · ${user.role || ""}`;
  $("#read-only").hidden = !readOnly();
  $("#tab-units").hidden = user.role !== "admin";
  // Categories and units are only needed by the lists and the case page: not worth waiting for.
  loadReferenceData();
  await loadMap();
  followEvents();
}

document.querySelectorAll(".lang-toggle").forEach((b) => b.addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  localStorage.setItem("gridline.lang", lang);
  applyLanguage();
  if (session.access) {
    renderCrumbs(); draw(); loadKpis();
    // The rankings' headers are built with the words of the language they were drawn in.
    if (!$("#view-rankings").hidden) loadRankings();
  }
}));
$("#signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("#signin-error").textContent = "";
  try {
    const body = { login: $("#login").value, password: $("#password").value };
    // A one-time password from a reset signs in only together with a new password.
    if (!$("#new-password-field").hidden) body.new_password = $("#new-password").value;
    const pair = await api("/api/v1/auth/login", { method: "POST", json: body });
    if (pair.user && pair.user.role === "citizen") throw new Error(t("signin_failed"));
    session.save(pair);
    start();
  } catch (e) {
    if (e.problem && e.problem.code === "password_change_required") {
      $("#new-password-field").hidden = false;
      $("#new-password").required = true;
      $("#signin-error").textContent = t("one_time_password");
      $("#new-password").focus();
      return;
    }
    $("#signin-error").textContent = `${t("signin_failed")}: ${e.message}`;
  }
});
$("#signout").addEventListener("click", async () => {
  await api("/api/v1/auth/logout", { method: "POST", json: { refresh_token: session.refresh } }).catch(() => {});
  session.clear();
  location.reload();
});
document.querySelectorAll("[data-view]").forEach((b) => b.addEventListener("click", () => showView(b.dataset.view)));
$("#level").addEventListener("change", (e) => { state.level = Number(e.target.value); draw(); });
$("#measure").addEventListener("change", (e) => { state.measure = e.target.value; draw(); });
$("#filters").addEventListener("submit", (e) => { e.preventDefault(); loadCases(); });
$("#cases-csv").addEventListener("click", () => exportCases());
$("#unit-form").addEventListener("submit", (e) => { e.preventDefault(); addUnit(e.target); });
$("#more").addEventListener("click", () => loadCases(true));
$("#case-close").addEventListener("click", closeCase);
$("#wall").addEventListener("click", toggleWall);
document.querySelectorAll(".csv").forEach((b) => b.addEventListener("click", () => exportCsv(b.dataset.group)));
document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !$("#case-panel").hidden) closeCase(); });
window.addEventListener("resize", debounce(() => { project(); draw(); }, 150));

applyLanguage();
if (session.access) start();
