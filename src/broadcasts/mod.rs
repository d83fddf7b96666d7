//! Tips and scheduled broadcasts: what may be said (`content`), to whom and when (`window`,
//! `schedule`, `cap`, `validity`, `plan`). The rules are pure: no IO, no clock; the store applies
//! them when it plans, and the dispatcher again when it sends. `planner` is the IO edge: the
//! loop that turns due broadcasts into recipient rows.

pub mod cap;
pub mod content;
pub mod plan;
pub mod schedule;
pub mod validity;
pub mod window;

pub use cap::FrequencyCap;
pub use content::{CheckedText, ContentPolicy, Problem, TextKey};
pub use plan::{BroadcastStatus, Content, Estimate, Segment, Skip};
pub use schedule::{CronRule, Schedule, ScheduleError};
pub use validity::{SendRules, SendVerdict, Timing};
pub use window::{SendWindow, WindowError};

/// Bilaspur wall-clock times for tests: `ist("2026-12-02 11:00")`.
#[cfg(test)]
pub(crate) fn ist(text: &str) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone as _;
    let local = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
    chrono_tz::Asia::Kolkata
        .from_local_datetime(&local)
        .unwrap()
        .with_timezone(&chrono::Utc)
}
