//! `gridline summaries rebuild [--check]`: recompute the per-day summaries
//! ([`crate::store::summaries`]) and the statistics' facts ([`crate::store::stat_facts`]) from
//! the audit trail, on the database the configuration names (the same `DATABASE_URL`,
//! `GRIDLINE_DATA_DIR`, ... as `serve`).
//!
//! ```text
//! gridline summaries rebuild --check   # compare only; exit 1 when any figure differs
//! gridline summaries rebuild           # write the recomputed figures (once after an upgrade)
//! gridline summaries rebuild --rollups # only the statistics' roll-ups (after a calendar change)
//! ```
//!
//! Either prints how many cells, summary rows and reports it went through and whose days they
//! count (the time zone; a rebuild counts them on the calendar's, so a check fails while they
//! count another's), and each difference as a tab-separated line: day, cell, category,
//! channel, stored, from the events;
//! then how many cases and facts, and each fact that differs as a line `fact`, case, sequence
//! number, stored, from the events (`-` for a missing one); then how many cases and roll-up
//! rows ([`crate::store::rollups`], counted by the configuration's calendar and response
//! limit), and each row that differs as a line `rollup`, key, days, stored, from the facts.
//! A running server may keep writing meanwhile: each batch of cells holds the lock that orders
//! event writers while it is read (and written).

use clap::{Args, Subcommand};

use super::{CliError, CliResult};
use crate::store::rollups::{self, RollupComparison};
use crate::store::stat_facts::{self, FactComparison};
use crate::store::summaries::{self, Comparison};

#[derive(Debug, Subcommand)]
pub enum SummariesCommand {
    /// Recompute the summaries from the events (and with --check, only compare).
    Rebuild(RebuildArgs),
}

#[derive(Debug, Args)]
pub struct RebuildArgs {
    /// Compare only: write nothing, exit with 1 when a stored figure differs.
    #[arg(long)]
    check: bool,
    /// Only the statistics' roll-ups (after the working calendar or `GRIDLINE_RESPONSE_LIMIT`
    /// changed, say), not the summaries and facts they are derived from.
    #[arg(long)]
    rollups: bool,
}

pub fn run(command: SummariesCommand) -> CliResult {
    let SummariesCommand::Rebuild(args) = command;
    let db = super::user::open_database()?;
    let mut conn = db.get().map_err(super::user::database)?;
    let (mut comparison, mut facts) = (Comparison::default(), FactComparison::default());
    let rules = super::user::rollup_rules()?;
    let zone = rules.calendar.settings().timezone;
    let mut summaries_current = true;
    if !args.rollups {
        let started = std::time::Instant::now();
        comparison =
            if args.check { summaries::compare(&mut conn) } else { summaries::rebuild(&mut conn, zone) }
                .map_err(super::user::database)?;
        summaries_current = summaries::usable(&mut conn, zone).map_err(super::user::database)?;
        print!("{}", report(&comparison, args.check, started.elapsed()));
        let started = std::time::Instant::now();
        facts = if args.check { stat_facts::compare(&mut conn) } else { stat_facts::rebuild(&mut conn) }
            .map_err(super::user::database)?;
        print!("{}", facts_report(&facts, args.check, started.elapsed()));
    }
    let started = std::time::Instant::now();
    let rolled =
        if args.check { rollups::compare(&mut conn, &rules) } else { rollups::rebuild(&mut conn, &rules) }
            .map_err(super::user::database)?;
    print!("{}", rollups_report(&rolled, args.check, started.elapsed()));
    let (summaries_differ, facts_differ, rows_differ) =
        (comparison.differences.len(), facts.differences.len(), rolled.differences.len());
    if args.check
        && (summaries_differ + facts_differ + rows_differ > 0 || !rolled.current || !summaries_current)
    {
        return Err(CliError::failure(format!(
            "{summaries_differ} summary rows and {facts_differ} facts differ from the events, \
             {rows_differ} roll-up rows from the facts{}{}",
            if rolled.current { "" } else { "; the roll-ups are not current (run without --check)" },
            if summaries_current {
                ""
            } else {
                "; the summaries count another zone's days than the calendar's (run without --check)"
            }
        )));
    }
    Ok(())
}

fn rollups_report(comparison: &RollupComparison, check: bool, took: std::time::Duration) -> String {
    let mut out = String::new();
    for d in &comparison.differences {
        let (k, s) = (&d.key, &d.span);
        out.push_str(&format!(
            "rollup\t{}\t{}\t{}\t{}\t{}\tlevel {} figure {} days {}..{} {}..{} bucket {}\t{:?}\t{:?}\n",
            k.district_code,
            k.street_code,
            k.category_code,
            k.handling_unit,
            k.channel,
            s.level,
            s.figure,
            s.start,
            s.lo,
            s.hi,
            s.end,
            s.bucket,
            d.stored,
            d.from_facts
        ));
    }
    let verdict = match (check, comparison.differences.is_empty(), comparison.current) {
        (true, true, true) => "the roll-ups agree with the facts".to_owned(),
        (true, true, false) => "the roll-ups agree with the facts but are not current".to_owned(),
        (true, false, _) => format!("{} roll-up rows differ", comparison.differences.len()),
        (false, _, _) => "rebuilt".to_owned(),
    };
    out.push_str(&format!(
        "{} cases, {} roll-up rows in {:.1} s: {verdict}\n",
        comparison.cases,
        comparison.rows,
        took.as_secs_f64()
    ));
    out
}

fn facts_report(comparison: &FactComparison, check: bool, took: std::time::Duration) -> String {
    let mut out = String::new();
    for d in &comparison.differences {
        let Some(fact) = d.stored.as_ref().or(d.from_events.as_ref()) else { continue };
        let shown = |f: &Option<stat_facts::Fact>| f.as_ref().map_or("-".to_owned(), |f| format!("{f:?}"));
        out.push_str(&format!(
            "fact\t{}\t{}\t{}\t{}\n",
            fact.case_id,
            fact.seq,
            shown(&d.stored),
            shown(&d.from_events)
        ));
    }
    let verdict = match (check, comparison.differences.is_empty()) {
        (true, true) => "the facts agree with the events".to_owned(),
        (true, false) => format!("{} facts differ", comparison.differences.len()),
        (false, _) => format!("rebuilt; {} facts had differed", comparison.differences.len()),
    };
    out.push_str(&format!(
        "{} cases, {} facts in {:.1} s: {verdict}\n",
        comparison.cases,
        comparison.facts,
        took.as_secs_f64()
    ));
    out
}

fn report(comparison: &Comparison, check: bool, took: std::time::Duration) -> String {
    let mut out = String::new();
    for d in &comparison.differences {
        let k = &d.key;
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\n",
            k.day, k.grid_code, k.category_code, k.channel, d.stored, d.from_events
        ));
    }
    let verdict = match (check, comparison.differences.is_empty()) {
        (true, true) => "the summaries agree with the events".to_owned(),
        (true, false) => format!("{} rows differ", comparison.differences.len()),
        (false, _) => format!("rebuilt; {} rows had differed", comparison.differences.len()),
    };
    out.push_str(&format!(
        "{} cells, {} summary rows, {} reports (days of {}) in {:.1} s: {verdict}\n",
        comparison.cells,
        comparison.rows,
        comparison.reports,
        comparison.zone,
        took.as_secs_f64()
    ));
    out
}
