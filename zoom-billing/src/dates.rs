//! [`ZoomDate`]: a date in a response, which Zoom may send as a date-time.
//!
//! Zoom documents its response dates as `yyyy-mm-dd`, but its own Postman
//! sample for GET plans sends `2021-09-07T00:00:00Z`. A strict date type would
//! fail the whole response on that, so every date Zoom sends back is a
//! `ZoomDate`: either form is accepted and kept as sent. Dates the client
//! sends stay `chrono::NaiveDate`.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A date Zoom sent: a plain date, or a date-time with or without an offset.
///
/// [`ZoomDate::date`] gives the calendar date in every case; the variant keeps
/// what Zoom actually sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ZoomDate {
    /// `2021-09-07`.
    Date(NaiveDate),
    /// `2021-09-07T00:00:00Z` or `2021-09-07T08:00:00+08:00` (RFC 3339).
    DateTime(DateTime<FixedOffset>),
    /// `2021-09-07T00:00:00` or `2021-09-07 00:00:00`: a date-time with no offset.
    LocalDateTime(NaiveDateTime),
}

/// Why a text is neither a date nor a date-time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a date or date-time: {text:?}")]
pub struct ZoomDateParseError {
    /// The text that was given (cut to 64 characters).
    text: String,
}

impl ZoomDate {
    /// The calendar date, as written (a date-time's date in its own offset).
    pub fn date(&self) -> NaiveDate {
        match self {
            ZoomDate::Date(d) => *d,
            ZoomDate::DateTime(dt) => dt.date_naive(),
            ZoomDate::LocalDateTime(dt) => dt.date(),
        }
    }
}

impl From<NaiveDate> for ZoomDate {
    fn from(date: NaiveDate) -> Self {
        ZoomDate::Date(date)
    }
}

impl PartialEq<NaiveDate> for ZoomDate {
    /// Equal when this is that plain date (a date-time is never equal to a date).
    fn eq(&self, other: &NaiveDate) -> bool {
        matches!(self, ZoomDate::Date(d) if d == other)
    }
}

impl FromStr for ZoomDate {
    type Err = ZoomDateParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // The common case first, without chrono's format parser: `yyyy-mm-dd`.
        if let Some(date) = plain_date(text.as_bytes()) {
            return Ok(ZoomDate::Date(date));
        }
        if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
            return Ok(ZoomDate::DateTime(dt));
        }
        for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(text, format) {
                return Ok(ZoomDate::LocalDateTime(dt));
            }
        }
        Err(ZoomDateParseError { text: text.chars().take(64).collect() })
    }
}

/// `yyyy-mm-dd` exactly, as a valid calendar date.
fn plain_date(b: &[u8]) -> Option<NaiveDate> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *b else { return None };
    let digit = |c: u8| c.is_ascii_digit().then(|| u32::from(c - b'0'));
    let year = ((digit(y0)? * 10 + digit(y1)?) * 10 + digit(y2)?) * 10 + digit(y3)?;
    let month = digit(m0)? * 10 + digit(m1)?;
    let day = digit(d0)? * 10 + digit(d1)?;
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

impl fmt::Display for ZoomDate {
    /// The form it came in: `2021-09-07`, `2021-09-07T00:00:00Z`, `2021-09-07T00:00:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ZoomDate::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            ZoomDate::DateTime(dt) => f.write_str(&dt.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            ZoomDate::LocalDateTime(dt) => write!(f, "{}", dt.format("%Y-%m-%dT%H:%M:%S%.f")),
        }
    }
}

impl Serialize for ZoomDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ZoomDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateVisitor;
        impl Visitor<'_> for DateVisitor {
            type Value = ZoomDate;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date (`yyyy-mm-dd`) or a date-time")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ZoomDate, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(DateVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> ZoomDate {
        serde_json::from_value(serde_json::Value::String(text.to_owned())).unwrap()
    }

    #[test]
    fn both_forms_decode_to_the_same_date_and_keep_their_form() {
        let day = NaiveDate::from_ymd_opt(2021, 9, 7).unwrap();
        for text in ["2021-09-07", "2021-09-07T00:00:00Z", "2021-09-07T23:30:00+08:00", "2021-09-07T00:00:00"] {
            let date = decode(text);
            assert_eq!(date.date(), day, "{text}");
            assert_eq!(date.to_string(), text);
            assert_eq!(serde_json::to_value(date).unwrap(), text);
        }
        assert_eq!(decode("2021-09-07"), day);
        assert_ne!(decode("2021-09-07T00:00:00Z"), day);
    }

    #[test]
    fn rejects_what_is_not_a_date() {
        for bad in ["", "2021-13-01", "2021-02-30", "2021-9-07", "07/09/2021", "2021-09-07T25:00:00Z", "yesterday"] {
            assert!(bad.parse::<ZoomDate>().is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<ZoomDate>("20210907").is_err());
    }
}
