//! Structured logs: tracing with an `EnvFilter` (`GRIDLINE_LOG`) in text or JSON lines
//! (`GRIDLINE_LOG_FORMAT`). Request ids come from the span opened in `request_log`.

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, Settings};

/// Installs the global subscriber once; later calls (tests starting several servers) keep the
/// first one.
pub fn init(settings: &Settings) {
    let filter = EnvFilter::try_new(&settings.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _already_installed = match settings.log_format {
        LogFormat::Json => builder.json().with_current_span(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
