// Gridline operations dashboard: the early-warning view, loaded after app.js and using its
// helpers (api, el, t, $, draw, view, ctx). What it shows comes from the server, within the
// signed-in account's scope:
//   - GET /api/v1/warnings/charts: each cell's reports today against its baseline on a CUSUM
//     chart, the signalling cells first, with the last days' values; signalling cells are
//     ringed in red on the overview map;
//   - GET /api/v1/warnings/signals: the space-time scan's signals (cells, window, observed
//     against expected, recurrence interval, state), their cells ringed in white; each offers
//     the steps the server lists for this account, with the reason or category a step needs;
//     "Run the scan" (POST /api/v1/warnings/scan) when the server says the account may;
//   - GET /api/v1/warnings/topics: the month's topics (每月一题): the top candidates (a place
//     and category that keep coming back after closure, with the three months before and the
//     trend), "Adopt" where the server says the account may (`can_adopt`), and the topics
//     adopted this month, with their owner, state and open, overdue and closed cases, and the
//     signal a topic was opened from.
// It re-reads the charts and signals when reports arrive (after app.js re-reads the map's counts), and the signals
// alone on each `signal` event of the live stream (GET /api/v1/events): a scan run (the daily
// schedule on whichever node claimed it, or another user's "Run the scan") that raises or grows
// a signal, or a step someone took on one, in this account's scope.
// Every rule (the baseline, the chart, its limit, the scan, who acts on a signal or adopts a
// topic, what a step needs, what counts as coming back) is the server's; this page only draws.
"use strict";

Object.assign(TEXT.zh, {
  view_warnings: "预警", warn_places: "各网格预警（CUSUM）", warn_place: "网格", warn_today: "今日报告",
  warn_expected: "今日预期", warn_value: "统计量", warn_limit: "阈值", warn_signal: "预警", warn_days: "近日",
  warn_yes: "是", warn_no: "否", warn_none: "无",
  warn_signals: "预警信号（时空扫描）", warn_run: "运行扫描", warn_cells: "网格", warn_window: "时段",
  warn_observed: "实际/预期", warn_recurrence: "重现间隔", warn_state: "状态", warn_steps: "操作",
  warn_days_unit: "天", warn_reason: "原因", warn_category: "案件类别", warn_case: "案件",
  warn_ran: "扫描完成：新增 {raised} 个信号，更新 {grown} 个", warn_stale: "信号已被他人更新，已刷新。",
  warn_owner: "牵头部门", warn_note: "说明（由谁牵头）", warn_topic: "专题", warn_topics: "每月一题（反复出现的问题）",
  warn_candidates: "本月候选", warn_adopted: "本月已立专题", warn_category_col: "类别", warn_recurrences: "反复次数",
  warn_previous: "前三个月", warn_trend: "趋势", warn_adopt: "立为专题", warn_topic_state: "状态",
  warn_counts: "未结/超期/已结", warn_source: "来源", warn_from_signal: "预警信号", warn_from_ranking: "月度排名",
  warn_owner_none: "（未指定部门）", warn_adopted_already: "已立专题", warn_of_counted: "（前 {shown} 个，共 {counted} 个）",
});
Object.assign(TEXT.en, {
  view_warnings: "Warnings", warn_places: "Warnings per cell (CUSUM)", warn_place: "Cell", warn_today: "Reports today",
  warn_expected: "Expected so far", warn_value: "Chart value", warn_limit: "Limit", warn_signal: "Signal", warn_days: "Last days",
  warn_yes: "yes", warn_no: "no", warn_none: "None",
  warn_signals: "Signals (space-time scan)", warn_run: "Run the scan", warn_cells: "Cells", warn_window: "Window",
  warn_observed: "Observed / expected", warn_recurrence: "Recurrence", warn_state: "State", warn_steps: "Steps",
  warn_days_unit: "days", warn_reason: "Reason", warn_category: "Category of the case", warn_case: "Case",
  warn_ran: "Scan done: {raised} new signals, {grown} grown", warn_stale: "Someone else changed this signal; reloaded.",
  warn_owner: "Owner unit", warn_note: "Note (who takes it on)", warn_topic: "Topic", warn_topics: "Topics of the month (recurring problems)",
  warn_candidates: "This month's candidates", warn_adopted: "Topics adopted this month", warn_category_col: "Category", warn_recurrences: "Recurrences",
  warn_previous: "Three months before", warn_trend: "Trend", warn_adopt: "Adopt", warn_topic_state: "State",
  warn_counts: "Open / overdue / closed", warn_source: "From", warn_from_signal: "signal", warn_from_ranking: "monthly ranking",
  warn_owner_none: "(no unit)", warn_adopted_already: "Adopted", warn_of_counted: "(the top {shown} of {counted})",
});
applyLanguage();

const warnings = {
  signalling: new Set(), signalCells: new Set(), rows: new Map(), nextKey: 0, signalEvents: 0,
  names: new Map(), namesOf: null,
};

// The owner unit (any of the city's units, or none) and the note of an adoption; the server
// says whether what was given is enough.
function ownerFields() {
  return [
    el("select", { name: "owner_unit", "aria-label": t("warn_owner") },
      el("option", { value: "" }, t("warn_owner_none")),
      state.units.map((u) => el("option", { value: u.code }, `${u.code} · ${lang === "zh" ? u.zh : u.en}`))),
    el("input", { name: "note", "aria-label": t("warn_note"), placeholder: t("warn_note") }),
  ];
}

// A place as staff know it: a cell by the name the grid gives it (its street, community and
// number, where the grid was imported with names), its code after; an area, or a cell the map
// layer does not hold, by its code. The names are read once per layer the map loaded.
function placeLabel(code) {
  if (!state.layer) return code;
  if (warnings.namesOf !== state.layer) {
    warnings.names = new Map(state.layer.cells.filter((c) => c.name).map((c) => [c.code, c.name]));
    warnings.namesOf = state.layer;
  }
  const name = warnings.names.get(code);
  return name ? `${name} (${code})` : code;
}

// Places as elements, each carrying its code (`data-place`) for whoever looks for one.
function places(codes) {
  return codes.map((code, i) => el("span", { "data-place": code }, (i ? ", " : "") + placeLabel(code)));
}

// One form per step the server offers on a signal, asking for exactly what the step needs.
function signalStepForms(signal) {
  return signal.action_needs.map((n) => {
    const label = n.label[lang] || n.label.en;
    const fields = [];
    if (n.needs_reason) {
      fields.push(el("input", { name: "reason", required: "", "aria-label": t("warn_reason"), placeholder: t("warn_reason") }));
    }
    if (n.needs_category) {
      fields.push(el("select", { name: "category", required: "", "aria-label": t("warn_category") },
        state.categories.map((c) => el("option", { value: c.code }, categoryName(c.code)))));
    }
    if (n.needs_owner) fields.push(...ownerFields());
    const form = el("form", { class: "signal-step", "data-action": n.action }, fields, el("button", { type: "submit" }, label));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      takeSignalStep(signal, n.action, new FormData(form));
    });
    return form;
  });
}

async function takeSignalStep(signal, action, form) {
  const body = { action };
  for (const [k, v] of form) if (v) body[k] = v;
  try {
    await api(`/api/v1/warnings/signals/${signal.id}/actions`, { method: "POST", json: body, headers: { "If-Match": `"${signal.version}"` } });
    $("#warn-result").textContent = t("done");
  } catch (e) {
    $("#warn-result").textContent = e.status === 409 && e.problem.code === "version_mismatch"
      ? t("warn_stale") : `${e.problem.code || e.status}: ${e.message}`;
  }
  await loadSignals().catch(() => {});
  if (action === "open_topic") await loadTopics().catch(() => {});
  draw();
}

// The signals and topics are read again every few seconds and after each live event. A row
// is drawn again only when what the server said about it changed: an unchanged row is kept as
// it is, so a reason being typed or an owner being chosen in its step form survives the re-read.
// `keyed` draws a row (or finds it unchanged in `warnings.rows`); `fillTable` puts the rows in.
function keyed(item, draw) {
  // A row drawn before the map's layer came (codes only) is drawn again with the cells' names.
  const key = JSON.stringify(item) + lang + (state.layer ? `@${state.layer.revision}` : "");
  const kept = warnings.rows.get(key);
  if (kept) return kept;
  const row = draw();
  row.dataset.key = String(warnings.nextKey++);
  warnings.rows.set(key, row);
  return row;
}

function fillTable(table, headers, rows) {
  table.replaceChildren(el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, t(h))))),
    el("tbody", {}, rows.length ? rows : [el("tr", {}, el("td", { colspan: String(headers.length) }, t("warn_none")))]));
  // Rows no table shows any more are forgotten.
  const shown = new Set([...document.querySelectorAll("#view-warnings tr[data-key]")]);
  for (const [key, row] of warnings.rows) if (!shown.has(row)) warnings.rows.delete(key);
}

async function loadSignals() {
  const answer = await api("/api/v1/warnings/signals");
  $("#warn-run").hidden = !answer.can_run;
  const headers = ["warn_cells", "warn_window", "warn_observed", "warn_recurrence", "warn_state", "warn_steps"];
  // Each cell names its column too, for the narrow layout where the rows stack (app.css).
  const cell = (header, attrs, ...children) => el("td", Object.assign({ "data-label": t(header) }, attrs), ...children);
  const rows = answer.signals.map((s) => keyed(s, () => el("tr", { "data-signal": s.id, "data-state": s.state },
    cell("warn_cells", {}, places(s.cells)),
    cell("warn_window", {}, s.from === s.to ? s.from : `${s.from} – ${s.to}`),
    cell("warn_observed", {}, `${s.observed} / ${s.expected.toFixed(1)}`),
    cell("warn_recurrence", {}, `${Math.round(s.recurrence_interval_days)} ${t("warn_days_unit")}`),
    cell("warn_state", { "data-field": "state" }, s.state_label[lang] || s.state_label.en,
      s.case_id ? el("div", {}, `${t("warn_case")}: `, el("a", { href: "#", onclick: (e) => { e.preventDefault(); openCase(s.case_id); } }, s.case_id.slice(0, 8))) : "",
      s.topic_id ? el("div", { "data-field": "topic" }, `${t("warn_topic")}: `, el("a", { href: `#topic-${s.topic_id}` }, s.topic_id.slice(-8))) : "",
      s.reason ? el("div", { class: "muted" }, s.reason) : ""),
    cell("warn_steps", {}, signalStepForms(s)))));
  fillTable($("#warn-signals"), headers, rows);
  warnings.signalCells = new Set(answer.signals.filter((s) => s.live).flatMap((s) => s.cells));
}

$("#warn-run").addEventListener("click", async () => {
  $("#warn-run").disabled = true;
  try {
    const run = await api("/api/v1/warnings/scan", { method: "POST" });
    $("#warn-result").textContent = t("warn_ran").replace("{raised}", run.raised.length).replace("{grown}", run.grown.length);
  } catch (e) {
    $("#warn-result").textContent = `${e.problem.code || e.status}: ${e.message}`;
  } finally {
    $("#warn-run").disabled = false;
  }
  await loadSignals().catch(() => {});
  draw();
});

// The month's candidates the card lists, the best first; the rest wait for the ones above them.
const TOP_CANDIDATES = 5;

// The month's topics: candidates to adopt, then what was adopted (from the ranking or from a
// signal). A candidate already adopted shows the topic's state instead of "Adopt".
async function loadTopics() {
  const answer = await api(`/api/v1/warnings/topics?limit=${TOP_CANDIDATES}`);
  const candidateHeaders = ["warn_place", "warn_category_col", "warn_recurrences", "warn_previous", "warn_trend", "warn_steps"];
  const cell = (header, attrs, ...children) => el("td", Object.assign({ "data-label": t(header) }, attrs), ...children);
  const arrow = { rising: "↑", falling: "↓", steady: "→" };
  const candidates = answer.candidates.map((c) => keyed({ c, month: answer.month, level: answer.level }, () => {
    let step = "";
    if (c.can_adopt) {
      const form = el("form", { class: "signal-step", "data-action": "adopt" }, ownerFields(), el("button", { type: "submit" }, t("warn_adopt")));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        adoptTopic(answer, c, new FormData(form));
      });
      step = form;
    } else if (c.topic_id) {
      step = el("a", { href: `#topic-${c.topic_id}` }, t("warn_adopted_already"));
    }
    return el("tr", { "data-candidate": `${c.place}:${c.category}` },
      cell("warn_place", {}, places([c.place])),
      cell("warn_category_col", {}, categoryName(c.category)),
      cell("warn_recurrences", {}, String(c.recurrences)),
      cell("warn_previous", {}, c.previous_months.map((m) => `${m.month.slice(5)}: ${m.recurrences}`).join(" · ")),
      cell("warn_trend", {}, `${c.trend > 0 ? "+" : ""}${c.trend.toFixed(1)} ${arrow[c.direction] || ""}`),
      cell("warn_steps", {}, step));
  }));
  const topicHeaders = ["warn_place", "warn_category_col", "warn_owner", "warn_topic_state", "warn_counts", "warn_source"];
  const topics = answer.topics.map((tp) => keyed(tp, () => el("tr", { id: `topic-${tp.id}`, "data-topic": tp.id, "data-state": tp.state },
    cell("warn_place", {}, places([tp.place])),
    cell("warn_category_col", {}, categoryName(tp.category)),
    cell("warn_owner", {}, tp.owner_unit || "", tp.note ? el("div", { class: "muted" }, tp.note) : ""),
    cell("warn_topic_state", {}, tp.state_label[lang] || tp.state_label.en),
    cell("warn_counts", { "data-field": "counts" }, `${tp.counts.open} / ${tp.counts.overdue} / ${tp.counts.closed}`),
    cell("warn_source", { "data-field": "source" }, tp.from_signal
      ? `${t("warn_from_signal")} ${tp.from_signal.slice(0, 8)}` : t("warn_from_ranking")))));
  $("#warn-topics-month").textContent = answer.month;
  $("#warn-candidates-counted").textContent = t("warn_of_counted")
    .replace("{shown}", answer.candidates.length).replace("{counted}", answer.candidates_counted);
  fillTable($("#warn-candidates"), candidateHeaders, candidates);
  fillTable($("#warn-adopted"), topicHeaders, topics);
}

async function adoptTopic(answer, candidate, form) {
  const body = { month: answer.month, level: answer.level, place: candidate.place, category: candidate.category };
  for (const [k, v] of form) if (v) body[k] = v;
  try {
    await api("/api/v1/warnings/topics", { method: "POST", json: body });
    $("#warn-topics-result").textContent = t("done");
  } catch (e) {
    $("#warn-topics-result").textContent = `${e.problem.code || e.status}: ${e.message}`;
  }
  await loadTopics().catch(() => {});
}

async function loadWarnings() {
  const answer = await api("/api/v1/warnings/charts?level=grid&days=7&limit=50");
  const headers = ["warn_place", "warn_today", "warn_expected", "warn_value", "warn_limit", "warn_signal", "warn_days"];
  const rows = answer.places.map((p) => el("tr", { "data-place": p.place, class: p.signal ? "signal" : "" },
    el("td", {}, places([p.place])),
    el("td", {}, String(p.today.observed)),
    el("td", {}, p.today.expected.toFixed(2)),
    el("td", {}, p.today.value.toFixed(2)),
    el("td", {}, p.today.limit.toFixed(2)),
    el("td", { "data-field": "signal" }, t(p.signal ? "warn_yes" : "warn_no")),
    el("td", {}, p.days.map((d) => d.value.toFixed(1)).join(" · "))));
  $("#warn-places").replaceChildren(
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, t(h))))),
    el("tbody", {}, rows.length ? rows : [el("tr", {}, el("td", { colspan: String(headers.length) }, t("warn_none")))]),
  );
  warnings.signalling = new Set(answer.places.filter((p) => p.signal).map((p) => p.place));
  await loadSignals();
  await loadTopics();
}

// A red ring in each cell whose chart signals, a white one (wider) in each cell of a live
// signal of the scan, over the map as app.js (and sensors.js) draw it. Each ring has a dark
// edge, so it stands out on every colour of the choropleth below it.
function ringCells(cells, colour, radius) {
  ctx.save();
  for (const [stroke, width] of [["#0f1419", 5], [colour, 3]]) {
    ctx.strokeStyle = stroke;
    ctx.lineWidth = width * view.dpr;
    for (const code of cells) {
      const centre = view.centres.get(code);
      if (!centre) continue;
      ctx.beginPath();
      ctx.arc(centre[0], centre[1], radius * view.dpr, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }
  ctx.restore();
}
const drawWithoutWarnings = draw;
draw = function drawWithWarnings() {
  drawWithoutWarnings();
  if (!view) return;
  ringCells(warnings.signalling, "#e63946", 10);
  ringCells(warnings.signalCells, "#f2f5f7", 14);
};

// Reports arriving make app.js re-read the counts; the charts follow, a few seconds behind.
const refreshWarnings = debounce(() => loadWarnings().then(() => draw()).catch(() => {}), 2000);
const loadCountsWithoutWarnings = loadCounts;
loadCounts = async function loadCountsAndWarnings() {
  await loadCountsWithoutWarnings();
  refreshWarnings();
};

// Signals raised by runs elsewhere appear without a reload: app.js hands case events on, and a
// `signal` event re-reads the signals (a burst of them once).
const refreshSignals = debounce(() => loadSignals().then(() => draw()).catch(() => {}), 300);
const handleSseWithoutSignals = handleSse;
handleSse = function handleSseAndSignals(block) {
  if (/^event:\s*signal\s*$/m.test(block)) {
    warnings.signalEvents++;
    refreshSignals();
    return;
  }
  handleSseWithoutSignals(block);
};

const startWithoutWarnings = start;
start = async function startWithWarnings() {
  await startWithoutWarnings();
  await loadWarnings().then(() => draw()).catch(() => {});
};

document.querySelector('[data-view="warnings"]').addEventListener("click", () => { loadWarnings().catch(() => {}); });
if (session.access) loadWarnings().then(() => draw()).catch(() => {});
