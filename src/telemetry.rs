//! Logs (tracing, human or JSON) and metrics (Prometheus text).
//!
//! Phone numbers never reach a log line: request spans carry the matched route and method only
//! (never the URI, query, headers or body), and domain code logs [`crate::privacy::Msisdn`]
//! through its masked `Debug` or a blind-index tag.

use std::ffi::OsStr;
use std::io::IsTerminal as _;
use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, LogSettings};

/// Installs the global subscriber writing to stderr. `RUST_LOG`, when set, wins over `log.filter`.
/// Human lines are coloured only when stderr is a terminal and `NO_COLOR` is unset or empty.
pub fn init(settings: &LogSettings) {
    let colour = colour_wanted(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    init_with_writer(settings, std::io::stderr, colour);
}

/// Whether log lines may carry ANSI colours: only for a terminal, and never when `NO_COLOR`
/// holds a value (<https://no-color.org>: set and not empty, whatever it says).
pub fn colour_wanted(to_terminal: bool, no_color: Option<&OsStr>) -> bool {
    to_terminal && no_color.is_none_or(OsStr::is_empty)
}

/// Installs the global subscriber writing to `writer`, with ANSI colours in human lines when
/// `colour` says so (JSON lines never have them).
pub fn init_with_writer<W>(settings: &LogSettings, writer: W, colour: bool)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(colour && settings.format == LogFormat::Human);
    // An error means a subscriber is already installed (tests build several apps in one
    // process); the first one stays.
    let _ = match settings.format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Human => builder.try_init(),
    };
}

/// The process-wide Prometheus recorder; installed once, shared by every app in the process.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("_seconds".into()),
                    &[
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                        5.0,
                    ],
                )
                .expect("bucket list is not empty")
                .install_recorder()
                .expect("the metrics recorder is installed once")
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::colour_wanted;
    use std::ffi::OsStr;

    #[test]
    fn colour_only_on_a_terminal_and_never_under_no_color() {
        let cases: [(bool, Option<&str>, bool); 7] = [
            (true, None, true),
            (true, Some(""), true),
            (true, Some("1"), false),
            (true, Some("0"), false),
            (true, Some("false"), false),
            (false, None, false),
            (false, Some(""), false),
        ];
        for (to_terminal, no_color, wanted) in cases {
            assert_eq!(
                colour_wanted(to_terminal, no_color.map(OsStr::new)),
                wanted,
                "terminal {to_terminal}, NO_COLOR {no_color:?}"
            );
        }
    }
}
