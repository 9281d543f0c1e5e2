//! [`Money`]: an exact decimal amount decoded from the JSON number's own text.
//!
//! serde_json hands a number to a visitor as `f64` unless its
//! `arbitrary_precision` feature is on, and `2039.10` becomes `2039.1`
//! (`12345678901234567.89` becomes `12345678901234568`). That feature would
//! change `serde_json::Number` and `Value` for the whole program that links
//! this crate, so instead `Money` asks serde_json for the raw text of the value
//! (the `raw_value` protocol, which changes nothing for anyone else) and parses
//! that text into a [`Decimal`], keeping its scale and every digit.
//!
//! Other deserializers (and serde's buffering of untagged enums, which turns
//! numbers into `f64` before any type sees them) get a lenient fallback: the
//! number as they give it. The spec therefore keeps `Money` out of `oneOf`
//! schemas (a test walks the spec to check it).

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

/// serde_json's name for a raw value: asking a serde_json deserializer for a
/// newtype struct of this name yields the value's JSON text (`raw_value`).
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// A money amount, exact: the decimal Zoom wrote, with its scale
/// (`2039.10` stays `2039.10`) and every digit.
///
/// Decodes from a JSON number or a numeric string; encodes as a JSON number
/// with the same text. Equality is numeric (`2039.10 == 2039.1`); compare
/// the text (`to_string()`) or [`Decimal::scale`] when the scale matters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

/// Why a text is not an exact money amount.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an exact decimal amount: {text:?} ({reason})")]
pub struct MoneyParseError {
    /// The text that was given (cut to 64 characters).
    text: String,
    /// What is wrong with it.
    reason: String,
}

impl Money {
    /// The amount as a decimal.
    pub const fn amount(self) -> Decimal {
        self.0
    }

    /// The common case without the general parser: `-?digits(.digits)?` with at most 18
    /// digits in all, which fit an `i64` mantissa exactly. `None` sends anything else to
    /// the general (still exact) parser.
    fn parse_plain(text: &[u8]) -> Option<Money> {
        let (negative, digits) = match text.split_first()? {
            (b'-', rest) => (true, rest),
            _ => (false, text),
        };
        let mut mantissa: i64 = 0;
        let (mut count, mut scale, mut point) = (0u32, 0u32, false);
        for &b in digits {
            match b {
                b'0'..=b'9' => {
                    count += 1;
                    if count > 18 {
                        return None;
                    }
                    mantissa = mantissa * 10 + i64::from(b - b'0');
                    scale += u32::from(point);
                }
                b'.' if !point => point = true,
                _ => return None,
            }
        }
        // Digits before the point, and after it if there is one.
        if count == scale || (point && scale == 0) {
            return None;
        }
        Some(Money(Decimal::new(if negative { -mantissa } else { mantissa }, scale)))
    }
}

impl From<Decimal> for Money {
    fn from(amount: Decimal) -> Self {
        Money(amount)
    }
}

impl From<Money> for Decimal {
    fn from(money: Money) -> Self {
        money.0
    }
}

/// Totals keep the larger scale: `2039.10 + 2039 = 4078.10`.
///
/// Panics on overflow past [`Decimal::MAX`] (about 7.9e28), as `Decimal`'s own `+`
/// does; [`Money::checked_add`] returns `None` instead, for sums of amounts from a
/// source you do not trust.
impl std::ops::Add for Money {
    type Output = Money;

    fn add(self, other: Money) -> Money {
        Money(self.0 + other.0)
    }
}

impl std::ops::AddAssign for Money {
    fn add_assign(&mut self, other: Money) {
        self.0 += other.0;
    }
}

/// The total of the amounts (zero for none), as [`Add`](std::ops::Add) adds them.
impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(amounts: I) -> Money {
        amounts.fold(Money::default(), |total, amount| total + amount)
    }
}

impl<'a> std::iter::Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(amounts: I) -> Money {
        amounts.copied().sum()
    }
}

impl Money {
    /// `self + other`, or `None` past [`Decimal::MAX`].
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }
}

impl PartialEq<Decimal> for Money {
    fn eq(&self, other: &Decimal) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for Money {
    /// The exact text: `Decimal` keeps the scale, so `2039.10` prints as `2039.10`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for Money {
    type Err = MoneyParseError;

    /// Parses a JSON number's text (`-12.50`, `1e3`) exactly; a value that
    /// would lose digits (more than 28 significant digits) is an error, never
    /// rounded, whether it is written with an exponent or not.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some(money) = Money::parse_plain(text.as_bytes()) {
            return Ok(money);
        }
        let fail = |reason: String| MoneyParseError { text: text.chars().take(64).collect(), reason };
        if text.is_empty() || text.trim() != text {
            return Err(fail("empty or padded".to_owned()));
        }
        // `Decimal::from_scientific` rounds what it cannot hold: an exponent is written
        // out as plain digits instead, which the one exact parser then reads.
        let plain = if text.contains(['e', 'E']) { Some(without_exponent(text).map_err(fail)?) } else { None };
        let plain = plain.as_deref().unwrap_or(text);
        if let Some(money) = Money::parse_plain(plain.as_bytes()) {
            return Ok(money);
        }
        Decimal::from_str_exact(plain).map(Money).map_err(|e| fail(e.to_string()))
    }
}

/// The largest exponent written out: a `Decimal` holds at most 28 decimal
/// places and 29 digits, so a larger one is refused unless its mantissa's
/// zeros bring it back, which no amount needs.
const MAX_EXPONENT: usize = 64;

/// `text` (`-1.25e3`) with its exponent applied to the digits (`-1250`):
/// the same value and scale, in the notation the exact parser reads.
fn without_exponent(text: &str) -> Result<String, String> {
    let (mantissa, exponent) = text.split_once(['e', 'E']).ok_or("no exponent")?;
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) || mantissa.ends_with('.') {
        return Err("not a number".to_owned());
    }
    let (negative, magnitude) = match exponent.as_bytes().first() {
        Some(b'-') => (true, &exponent[1..]),
        Some(b'+') => (false, &exponent[1..]),
        _ => (false, exponent),
    };
    if magnitude.is_empty() || !digits_only(magnitude) {
        return Err("not a number".to_owned());
    }
    let shift = match magnitude.trim_start_matches('0') {
        "" => 0,
        m if m.len() <= 3 => m.parse::<usize>().unwrap_or(usize::MAX),
        _ => usize::MAX,
    };
    if shift > MAX_EXPONENT {
        return Err(format!("an exponent beyond ±{MAX_EXPONENT} cannot be held exactly"));
    }
    let digits = format!("{whole}{fraction}");
    // Where the point goes, counted in digits from the left.
    let point = if negative {
        whole.len().checked_sub(shift).ok_or_else(|| shift - whole.len())
    } else {
        Ok(whole.len() + shift)
    };
    Ok(match point {
        // Before the first digit: leading zeros.
        Err(zeros) => format!("{sign}0.{}{digits}", "0".repeat(zeros)),
        Ok(0) => format!("{sign}0.{digits}"),
        Ok(at) if at >= digits.len() => format!("{sign}{digits}{}", "0".repeat(at - digits.len())),
        Ok(at) => format!("{sign}{}.{}", &digits[..at], &digits[at..]),
    })
}

impl Serialize for Money {
    /// The exact text as a JSON number (serde_json's raw-value protocol).
    /// Other formats receive serde_json's one-entry raw-value map, which
    /// `Money` reads back exactly.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(self.0.to_string()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_newtype_struct(RAW_VALUE_TOKEN, MoneyVisitor)
    }
}

struct MoneyVisitor;

impl MoneyVisitor {
    /// `raw` is JSON text: a number, or a string holding one.
    fn from_raw<E: de::Error>(raw: &str) -> Result<Money, E> {
        if raw.starts_with('"') {
            let text: String = serde_json::from_str(raw).map_err(E::custom)?;
            return text.parse().map_err(E::custom);
        }
        raw.parse().map_err(E::custom)
    }
}

impl<'de> Visitor<'de> for MoneyVisitor {
    type Value = Money;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a money amount (a number or a numeric string)")
    }

    /// serde_json's raw value: a one-entry map from its token to the JSON text.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Money, A::Error> {
        let Some(RawKey) = map.next_key::<RawKey>()? else {
            return Err(de::Error::invalid_length(0, &self));
        };
        let money = map.next_value_seed(RawText)?;
        if map.next_key::<RawKey>()?.is_some() {
            return Err(de::Error::invalid_length(2, &self));
        }
        Ok(money)
    }

    /// Any other deserializer: take the value as it comes.
    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<Money, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Money, E> {
        Ok(Money(Decimal::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Money, E> {
        Ok(Money(Decimal::from(v)))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Money, E> {
        Decimal::try_from_i128_with_scale(v, 0).map(Money).map_err(E::custom)
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Money, E> {
        let v = i128::try_from(v).map_err(E::custom)?;
        self.visit_i128(v)
    }

    /// Only reached when a format (or serde's untagged buffering) already
    /// turned the number into `f64`: its shortest text is the best left.
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Money, E> {
        if !v.is_finite() {
            return Err(E::custom(format!("not a finite amount: {v}")));
        }
        let text = v.to_string();
        text.parse().map_err(E::custom)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Money, E> {
        v.parse().map_err(E::custom)
    }
}

/// The raw value's key; any other key means this is not a raw value.
struct RawKey;

impl<'de> Deserialize<'de> for RawKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = RawKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("serde_json's raw value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawKey, E> {
                if v == RAW_VALUE_TOKEN { Ok(RawKey) } else { Err(E::custom("expected a money amount, found a map")) }
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

/// The raw value's JSON text, borrowed when the input allows it.
struct RawText;

impl<'de> DeserializeSeed<'de> for RawText {
    type Value = Money;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Money, D::Error> {
        struct TextVisitor;
        impl Visitor<'_> for TextVisitor {
            type Value = Money;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the JSON text of a money amount")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Money, E> {
                MoneyVisitor::from_raw(v)
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(json: &str) -> Result<Money, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn keeps_scale_and_digits() {
        assert_eq!(decode("2039.10").unwrap().to_string(), "2039.10");
        assert_eq!(decode("12345678901234567.89").unwrap().to_string(), "12345678901234567.89");
        assert_eq!(decode("\"0.50\"").unwrap().to_string(), "0.50");
        assert_eq!(decode("-7").unwrap().to_string(), "-7");
        assert_eq!(decode("1e3").unwrap(), Decimal::from(1000));
        assert_eq!(decode("2.0391e3").unwrap().to_string(), "2039.1");
        assert_eq!(decode("-1.5E-2").unwrap().to_string(), "-0.015");
        assert_eq!(decode("12e+0").unwrap().to_string(), "12");
        assert_eq!(decode("-0.05").unwrap().to_string(), "-0.05");
        assert_eq!(decode("123456789012345678.5").unwrap().to_string(), "123456789012345678.5", "19 digits");
    }

    #[test]
    fn the_plain_fast_path_agrees_with_the_general_parser() {
        for text in ["0", "-0", "7", "2039.10", "-12.500", "0.000001", "999999999999999999", "12345678.90123456"] {
            let fast = Money::parse_plain(text.as_bytes()).unwrap();
            let general = Decimal::from_str_exact(text).unwrap();
            assert_eq!((fast.0, fast.0.scale()), (general, general.scale()), "{text}");
        }
        for text in ["", "-", ".", "1.", ".5", "1.2.3", "+1", "1e3", "1234567890123456789", "0x10", " 1"] {
            assert!(Money::parse_plain(text.as_bytes()).is_none(), "{text:?}");
        }
    }

    #[test]
    fn reader_input_is_exact_too() {
        let money: Money = serde_json::from_reader(&b"2039.10"[..]).unwrap();
        assert_eq!(money.to_string(), "2039.10");
    }

    #[test]
    fn rejects_what_is_not_an_exact_amount() {
        for bad in [
            "true",
            "\"\"",
            "\" 1\"",
            "\"abc\"",
            "[1]",
            "{\"a\":1}",
            "123456789012345678901234567890.1",
            // Exponent notation is as exact as plain digits: no rounding (issue 23).
            "1.00000000000000000000000000001e0",
            "3.14159265358979323846264338327950288e0",
            "1.234567890123456789012345678901e2",
            "1e-29",
            "1e100",
            "1e99999999999999999999",
            "1.e3",
            "e3",
            "1e",
            "1e+-3",
        ] {
            assert!(decode(bad).is_err(), "{bad} decoded");
        }
    }

    #[test]
    fn encodes_the_same_text() {
        let money = decode("2039.10").unwrap();
        assert_eq!(serde_json::to_string(&money).unwrap(), "2039.10");
        let back: Money = serde_json::from_value(serde_json::to_value(money).unwrap()).unwrap();
        assert_eq!(back, money);
    }

    #[test]
    fn other_deserializers_get_the_number_as_given() {
        use serde::de::IntoDeserializer;
        let d: de::value::F64Deserializer<de::value::Error> = 12.5f64.into_deserializer();
        assert_eq!(Money::deserialize(d).unwrap().to_string(), "12.5");
        let d: de::value::StrDeserializer<de::value::Error> = "3.10".into_deserializer();
        assert_eq!(Money::deserialize(d).unwrap().to_string(), "3.10");
    }
}
