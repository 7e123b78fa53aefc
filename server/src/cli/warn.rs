//! `gridline warn evaluate`: the proof of early warning's methods, run on the command line.
//! Clusters of a set size, spread and length go into a synthetic city's background, the charts
//! and the two scans run day by day, and the hit rate, delay and false signals per district per
//! month of each method and threshold are printed as a table or as JSON.

use clap::{Args, Subcommand, ValueEnum};
use gridline_core::warning::evaluate::{
    EvaluationReport, EvaluationSettings, demo_class_shares, evaluate, one_stream,
};

use super::{CliError, CliResult};

#[derive(Debug, Subcommand)]
pub enum WarnCommand {
    /// Inject clusters into a synthetic background, run every method day by day, and report
    /// hit rate, detection delay and false signals per district per month.
    Evaluate(EvaluateArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// A family of detectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// The CUSUM and EWMA charts per cell.
    Charts,
    /// The permutation scan.
    Scan,
    /// The expectation-based scan.
    Ebp,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Cells of the synthetic city.
    #[arg(long, default_value_t = 400, value_parser = clap::value_parser!(u32).range(10..=20_000))]
    cells: u32,
    /// Days of the study (31 days of history come before). The clusters come one after the
    /// other, each with its grace days, so the study needs 7 days per cluster by default.
    #[arg(long, default_value_t = 182, value_parser = clap::value_parser!(u32).range(1..=1_460))]
    days: u32,
    /// Clusters injected.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(0..=1_000))]
    clusters: u32,
    /// Extra reports a day of each cluster.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    size: u32,
    /// Cells each cluster spreads over: its centre and the nearest others.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    spread: u32,
    /// Days each cluster lasts.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=730))]
    length: u32,
    /// Every report in one stream instead of the demo city's category classes, each scanned
    /// on its own as the server's daily scan does.
    #[arg(long)]
    one_stream: bool,
    /// The methods run (the scans cost most of the time).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_values_t = [Method::Charts, Method::Scan, Method::Ebp]
    )]
    methods: Vec<Method>,
    /// The scans' shuffles a day; a recurrence interval of at most this plus one day can be
    /// said.
    #[arg(long, default_value_t = 99, value_parser = clap::value_parser!(u32).range(9..=9_999))]
    replications: u32,
    /// The scans' recurrence intervals tried, in days.
    #[arg(long, value_delimiter = ',', default_values_t = [20.0, 50.0, 100.0])]
    thresholds: Vec<f64>,
    /// Seed of the city, the background, the clusters and the scan's shuffles.
    #[arg(long, default_value_t = 23)]
    seed: u64,
    /// Output: a table, or the whole report as JSON.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub fn run(cmd: WarnCommand) -> CliResult {
    match cmd {
        WarnCommand::Evaluate(args) => {
            let classes = if args.one_stream {
                one_stream()
            } else {
                demo_class_shares().map_err(|e| CliError::failure(e.to_string()))?
            };
            let charts = args.methods.contains(&Method::Charts);
            let defaults = EvaluationSettings::default();
            let settings = EvaluationSettings {
                cells: args.cells as usize,
                days: args.days,
                clusters: args.clusters as usize,
                size: args.size,
                spread: args.spread as usize,
                length: args.length,
                seed: args.seed,
                classes,
                permutation_scan: args.methods.contains(&Method::Scan),
                expectation_scan: args.methods.contains(&Method::Ebp),
                cusum_h: if charts { defaults.cusum_h.clone() } else { Vec::new() },
                ewma_sigmas: if charts { defaults.ewma_sigmas.clone() } else { Vec::new() },
                replications: args.replications,
                scan_recurrence_days: args.thresholds,
                ..defaults
            };
            let report = evaluate(&settings).map_err(|e| CliError::input(e.to_string()))?;
            match args.format {
                Format::Json => {
                    let text = serde_json::to_string_pretty(&report)
                        .map_err(|e| CliError::failure(format!("writing the report: {e}")))?;
                    println!("{text}");
                }
                Format::Text => print!("{}", table(&report)),
            }
            Ok(())
        }
    }
}

/// The report as a plain table, with what the study was above it.
fn table(report: &EvaluationReport) -> String {
    let s = &report.settings;
    let mut out = format!(
        "Study {} to {} ({} days, {} days of history before), {} cells in {} district(s), \
         {:.0} background reports a day, seed {}.\n\
         {} clusters of {} extra reports a day over {} cell(s) for {} day(s); a hit is a signal \
         on a cluster's cells by {} day(s) after its last day; one cluster at a time.\n\
         Scans: {} replications a day, so p >= {:.4} and a recurrence interval of at most {:.0} \
         days.\n\
         Category classes, each scanned on its own, false signals counted over all: {}.\n\n",
        s.first_day,
        report.last_day,
        s.days,
        report.history_days,
        s.cells,
        report.districts,
        report.mean_daily_reports,
        s.seed,
        s.clusters,
        s.size,
        s.spread,
        s.length,
        s.grace_days,
        s.replications,
        report.scan_smallest_p,
        report.scan_largest_recurrence_days,
        s.classes
            .iter()
            .map(|c| format!("{} {:.1}%", c.class, c.share * 100.0))
            .collect::<Vec<_>>()
            .join(", "),
    );
    out.push_str(&format!(
        "{:<6} {:<9} {:>5} {:>9} {:>8} {:>8} {:>7} {:>15}\n",
        "method", "threshold", "hits", "hit rate", "<=1 day", "median", "mean", "false/dist/mo"
    ));
    let days = |d: Option<f64>| d.map_or_else(|| "-".to_owned(), |d| format!("{d:.1}"));
    for m in &report.methods {
        out.push_str(&format!(
            "{:<6} {:<9} {:>2}/{:<2} {:>8.0}% {:>8} {:>8} {:>7} {:>15.2}\n",
            m.method,
            m.threshold,
            m.hits,
            m.clusters,
            m.hit_rate * 100.0,
            m.hits_within_2_days,
            days(m.median_delay_days),
            days(m.mean_delay_days),
            m.false_per_district_month,
        ));
    }
    out
}
