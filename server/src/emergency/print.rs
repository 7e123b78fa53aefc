//! The after-action summary as a printable page (`GET /api/v1/emergencies/{id}/summary/print`):
//! one self-contained HTML document with inline styles only, no script, so it prints the same
//! from any browser and can be saved with the incident's records.

use gridline_core::emergency::AfterActionSummary;

use crate::html::escape;

fn minutes(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |m| format!("{m:.1} min"))
}

/// The page of `summary`.
pub fn page(summary: &AfterActionSummary) -> String {
    let e = &summary.emergency;
    let f = &summary.figures;
    let drill = if e.drill { " (演练 drill)" } else { "" };
    let rows = [
        ("区域 Area", escape(&e.area)),
        ("级别 Level", format!("{} 级", e.level.as_str())),
        ("类型 Kind", e.kind.as_str().to_owned()),
        ("类别 Categories", escape(&e.categories.join(", "))),
        ("指挥单位 Command unit", escape(&e.command_unit)),
        ("指挥长 Commander", escape(&e.commander_id)),
        ("开始 Started", escape(&e.started_at)),
        ("结束 Ended", escape(e.ended_at.as_deref().unwrap_or("—"))),
        ("持续 Minutes on", format!("{:.1}", summary.minutes_on)),
        ("案件 Cases", f.cases.to_string()),
        ("已派遣 Dispatched", f.dispatched.to_string()),
        ("已处置 Handled", f.handled.to_string()),
        ("已结案 Closed", f.closed.to_string()),
        ("待派遣 Waiting", f.waiting.to_string()),
        ("平均派遣用时 Mean time to dispatch", minutes(f.mean_minutes_to_dispatch)),
        ("最长派遣用时 Longest time to dispatch", minutes(f.max_minutes_to_dispatch)),
        ("平均处置用时 Mean time to handle", minutes(f.mean_minutes_to_handle)),
        ("最长处置用时 Longest time to handle", minutes(f.max_minutes_to_handle)),
        ("派遣超时 Dispatched late", f.dispatch_overdue.to_string()),
        ("处置超时 Handled late", f.handle_overdue.to_string()),
        ("参与单位 Units involved", escape(&f.units.join(", "))),
    ];
    let body: String = rows
        .iter()
        .map(|(label, value)| format!("<tr><th scope=\"row\">{label}</th><td>{value}</td></tr>\n"))
        .collect();
    format!(
        "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <title>应急处置总结 After-action summary</title>\
         <style>body{{font-family:sans-serif;margin:2em;color:#111}}table{{border-collapse:collapse}}\
         th,td{{border:1px solid #444;padding:.3em .6em;text-align:left}}</style></head>\n<body>\
         <h1>应急处置总结 After-action summary{drill}</h1>\n<table>\n{body}</table>\n\
         <p>截至 As of {as_of}</p></body></html>\n",
        as_of = escape(&summary.as_of),
    )
}
