//! The sending window: the local hours in which a message may leave (`campaign.send_window`,
//! `"10:00-19:00"` by default). A message due outside it waits for the next opening.
//!
//! A window never crosses midnight: the start must come before the end (`"24:00"` may end a
//! window). Every regulator's rule this campaign meets is a daytime window, and a night window
//! would most likely be a typo (`"19:00-10:00"`) that would send tips all night.

use std::fmt;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone as _, Utc};
use chrono_tz::Tz;

/// Local opening hours, `[start, end)`. (Read from configuration as `"HH:MM-HH:MM"`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct SendWindow {
    start: NaiveTime,
    /// `None` means midnight at the end of the day (`"24:00"`).
    end: Option<NaiveTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("expected \"HH:MM-HH:MM\", such as \"10:00-19:00\"")]
    Format,
    #[error("{0:?} is not a time of day (00:00 to 24:00)")]
    Time(String),
    #[error("the window must start before it ends, within one day (no window across midnight)")]
    Order,
}

impl SendWindow {
    pub fn parse(text: &str) -> Result<Self, WindowError> {
        let (start, end) = text.trim().split_once('-').ok_or(WindowError::Format)?;
        let start = parse_time(start.trim())?.ok_or(WindowError::Order)?;
        let end = parse_time(end.trim())?;
        if end.is_some_and(|end| end <= start) {
            return Err(WindowError::Order);
        }
        Ok(Self { start, end })
    }

    /// Whether `local` (a wall-clock time) is inside the window.
    fn contains(&self, local: NaiveTime) -> bool {
        local >= self.start && self.end.is_none_or(|end| local < end)
    }

    /// `at` itself if the window is open then, else the next time it opens.
    pub fn next_open(&self, at: DateTime<Utc>, zone: Tz) -> DateTime<Utc> {
        let local = at.with_timezone(&zone);
        if self.contains(local.time()) {
            return at;
        }
        let today = local.date_naive();
        let day = if local.time() < self.start {
            today
        } else {
            today + Duration::days(1)
        };
        self.opening(day, zone)
    }

    /// When the window that is open at `at` closes (`None` if it is closed at `at`).
    pub fn closes_after(&self, at: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
        let local = at.with_timezone(&zone);
        if !self.contains(local.time()) {
            return None;
        }
        let day = local.date_naive();
        Some(match self.end {
            Some(end) => wall_clock(day, end, zone),
            None => wall_clock(day + Duration::days(1), NaiveTime::MIN, zone),
        })
    }

    /// The instant the window opens on local `day`.
    fn opening(&self, day: NaiveDate, zone: Tz) -> DateTime<Utc> {
        wall_clock(day, self.start, zone)
    }
}

/// A local wall-clock time as an instant. In a DST gap (the clock jumps over it) the first
/// instant after the gap; when the clock repeats an hour, the earlier one.
fn wall_clock(day: NaiveDate, time: NaiveTime, zone: Tz) -> DateTime<Utc> {
    let mut local = day.and_time(time);
    loop {
        if let Some(at) = zone.from_local_datetime(&local).earliest() {
            return at.with_timezone(&Utc);
        }
        local += Duration::minutes(1);
    }
}

/// `"HH:MM"`; `"24:00"` is `None` (the end of the day).
fn parse_time(text: &str) -> Result<Option<NaiveTime>, WindowError> {
    if text == "24:00" {
        return Ok(None);
    }
    let well_formed = text.len() == 5 && text.as_bytes()[2] == b':';
    NaiveTime::parse_from_str(text, "%H:%M")
        .ok()
        .filter(|_| well_formed)
        .map(Some)
        .ok_or_else(|| WindowError::Time(text.to_string()))
}

impl TryFrom<String> for SendWindow {
    type Error = WindowError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text)
    }
}

impl fmt::Display for SendWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = self.end.map_or_else(
            || "24:00".to_string(),
            |end| end.format("%H:%M").to_string(),
        );
        write!(f, "{}-{end}", self.start.format("%H:%M"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broadcasts::ist;
    use chrono_tz::Asia::Kolkata;

    #[test]
    fn windows_are_read_from_hh_mm_pairs() {
        let cases = [
            ("10:00-19:00", Ok("10:00-19:00")),
            (" 09:30 - 21:00 ", Ok("09:30-21:00")),
            ("00:00-24:00", Ok("00:00-24:00")),
            ("10-19", Err(WindowError::Time("10".into()))),
            ("10:00", Err(WindowError::Format)),
            ("10:00-25:00", Err(WindowError::Time("25:00".into()))),
            ("9:00-19:00", Err(WindowError::Time("9:00".into()))),
            ("19:00-10:00", Err(WindowError::Order)),
            ("10:00-10:00", Err(WindowError::Order)),
            ("24:00-10:00", Err(WindowError::Order)),
        ];
        for (text, expected) in cases {
            let parsed = SendWindow::parse(text).map(|w| w.to_string());
            assert_eq!(parsed, expected.map(str::to_string), "{text:?}");
        }
    }

    #[test]
    fn a_message_due_inside_the_window_leaves_at_once_and_one_due_outside_waits_for_the_opening() {
        let window = SendWindow::parse("10:00-19:00").unwrap();
        let cases = [
            ("2026-12-02 11:00", "2026-12-02 11:00"),
            ("2026-12-02 10:00", "2026-12-02 10:00"),
            ("2026-12-02 18:59", "2026-12-02 18:59"),
            ("2026-12-02 19:00", "2026-12-03 10:00"),
            ("2026-12-02 23:30", "2026-12-03 10:00"),
            ("2026-12-02 00:10", "2026-12-02 10:00"),
            ("2026-12-02 09:59", "2026-12-02 10:00"),
            ("2026-12-31 20:00", "2027-01-01 10:00"),
        ];
        for (due, expected) in cases {
            assert_eq!(window.next_open(ist(due), Kolkata), ist(expected), "{due}");
        }
    }

    #[test]
    fn a_whole_day_window_is_open_at_every_minute_and_closes_only_at_midnight() {
        let window = SendWindow::parse("00:00-24:00").unwrap();
        let midnight = ist("2026-12-02 00:00");
        for minute in 0..24 * 60 {
            let at = midnight + Duration::minutes(minute);
            assert_eq!(window.next_open(at, Kolkata), at, "{at}");
            assert_eq!(
                window.closes_after(at, Kolkata),
                Some(ist("2026-12-03 00:00")),
                "{at}"
            );
        }
    }

    #[test]
    fn the_window_is_read_in_local_time_not_utc() {
        // 04:00 UTC is 09:30 in Bilaspur: closed, although 04:00 UTC is inside 10-19 nowhere.
        let window = SendWindow::parse("10:00-19:00").unwrap();
        let at = Utc.with_ymd_and_hms(2026, 12, 2, 4, 0, 0).unwrap();
        assert_eq!(window.next_open(at, Kolkata), ist("2026-12-02 10:00"));
        // 13:00 UTC is 18:30 in Bilaspur: open, closing at 19:00 local.
        let at = Utc.with_ymd_and_hms(2026, 12, 2, 13, 0, 0).unwrap();
        assert_eq!(window.next_open(at, Kolkata), at);
        assert_eq!(
            window.closes_after(at, Kolkata),
            Some(ist("2026-12-02 19:00"))
        );
        assert_eq!(window.closes_after(ist("2026-12-02 19:00"), Kolkata), None);
    }

    #[test]
    fn an_opening_inside_a_daylight_saving_gap_moves_to_the_first_minute_after_it() {
        // New York skips 02:00-03:00 on 2026-03-08.
        let window = SendWindow::parse("02:30-05:00").unwrap();
        let zone = chrono_tz::America::New_York;
        let before = Utc.with_ymd_and_hms(2026, 3, 8, 5, 0, 0).unwrap(); // 00:00 EST
        let opens = window.next_open(before, zone);
        assert_eq!(opens, Utc.with_ymd_and_hms(2026, 3, 8, 7, 0, 0).unwrap()); // 03:00 EDT
    }
}
