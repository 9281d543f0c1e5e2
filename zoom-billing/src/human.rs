//! Durations and instants as people read them in error messages:
//! "in 29m 59s, at 13:44:51 UTC", never `1799.123456789s`; and an error
//! with its causes, as a log line shows it.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// A duration rounded for people: `850ms`, `4.5s`, `42s`, `29m 59s`, `5h 3m`, `2d 4h`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dur(pub(crate) Duration);

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        let secs = d.as_secs();
        match secs {
            0 => write!(f, "{}ms", d.as_millis()),
            1..10 => write!(f, "{:.1}s", d.as_secs_f64()),
            10..60 => write!(f, "{secs}s"),
            60..3600 => write!(f, "{}m {}s", secs / 60, secs % 60),
            3600..86400 => write!(f, "{}h {}m", secs / 3600, secs % 3600 / 60),
            _ => write!(f, "{}d {}h", secs / 86400, secs % 86400 / 3600),
        }
    }
}

/// When something happens, seen from when the error was made:
/// `in 29m 59s, at 13:44:51 UTC` (with the date when it is a day or more away).
#[derive(Clone, Copy, Debug)]
pub(crate) struct When {
    pub(crate) after: Duration,
    pub(crate) at: DateTime<Utc>,
}

impl fmt::Display for When {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.after.is_zero() {
            f.write_str("now")?;
        } else {
            write!(f, "in {}", Dur(self.after))?;
        }
        if self.after >= Duration::from_secs(86400) {
            write!(f, ", at {} UTC", self.at.format("%Y-%m-%d %H:%M:%S"))
        } else {
            write!(f, ", at {} UTC", self.at.format("%H:%M:%S"))
        }
    }
}

/// An error and its sources, joined by `: ` as anyhow's `{:#}` shows them: what a
/// log line needs, since an error's own `Display` leaves its source out.
pub(crate) struct Chain<'a>(pub(crate) &'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(e) = source {
            write!(f, ": {e}")?;
            source = e.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_rounded_for_people() {
        let cases = [
            (Duration::from_millis(850), "850ms"),
            (Duration::from_millis(4_530), "4.5s"),
            (Duration::from_millis(42_999), "42s"),
            (Duration::from_secs(1799), "29m 59s"),
            (Duration::from_secs(5 * 3600 + 3 * 60 + 59), "5h 3m"),
            (Duration::from_secs(2 * 86400 + 4 * 3600), "2d 4h"),
            (Duration::MAX, "213503982334601d 7h"),
        ];
        for (d, text) in cases {
            assert_eq!(Dur(d).to_string(), text);
        }
    }

    proptest::proptest! {
        #[test]
        fn any_duration_and_instant_format_without_panic_and_briefly(
            secs in proptest::prop_oneof![proptest::prelude::any::<u64>(), proptest::prelude::Just(u64::MAX), u64::MAX - 1000.., 0u64..100_000],
            nanos in 0u32..1_000_000_000,
            at in -8_000_000_000_000i64..8_000_000_000_000,
        ) {
            let after = Duration::new(secs, nanos);
            let at = DateTime::from_timestamp(at, 0).unwrap_or(DateTime::<Utc>::MAX_UTC);
            let dur = Dur(after).to_string();
            let when = When { after, at }.to_string();
            proptest::prop_assert!(dur.len() <= 24, "{dur}");
            proptest::prop_assert!(when.len() <= 64, "{when}");
        }
    }

    #[test]
    fn instants_name_the_date_only_when_far() {
        let at = DateTime::parse_from_rfc3339("2026-11-24T13:44:51.123Z").unwrap().with_timezone(&Utc);
        assert_eq!(When { after: Duration::from_secs(1799), at }.to_string(), "in 29m 59s, at 13:44:51 UTC");
        assert_eq!(When { after: Duration::ZERO, at }.to_string(), "now, at 13:44:51 UTC");
        assert_eq!(When { after: Duration::from_secs(90_000), at }.to_string(), "in 1d 1h, at 2026-11-24 13:44:51 UTC");
    }
}
