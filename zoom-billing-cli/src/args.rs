//! An operation's parameters as flags: what the generated commands (`generated/commands.rs`)
//! describe each parameter with, and how a flag's text becomes the value its builder setter
//! takes.
//!
//! clap checks what it can before anything else runs (possible values, integer ranges, the
//! shape of a number, a date or a boolean: exit code 2), and keeps each value as the JSON value
//! the spec describes; [`value`] then decodes it as the setter's own type, so the builder's
//! checks still apply on top.

use clap::builder::{PossibleValuesParser, TypedValueParser, ValueParser};
use clap::{Arg, ArgAction, ArgMatches};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::Usage;

/// What a parameter's schema says its value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Any text.
    String,
    /// A date, `yyyy-mm-dd`.
    Date,
    /// A whole number.
    Integer,
    /// A number.
    #[allow(dead_code, reason = "no parameter of today's spec is a number; one added later needs no change here")]
    Number,
    /// `true` or `false`.
    Boolean,
}

/// One parameter's flag, as the generated commands describe it.
#[derive(Clone, Copy, Debug)]
pub struct Flag {
    /// The builder setter's name, also the flag's id (`page_size`).
    pub id: &'static str,
    /// The long flag (`page-size`).
    pub long: &'static str,
    /// One line: the first sentence of the spec's description, and what is allowed.
    pub help: &'static str,
    /// The spec's whole description.
    pub long_help: &'static str,
    /// How the value is read.
    pub kind: Kind,
    /// Whether the request cannot be sent without it.
    pub required: bool,
    /// The values an enum allows (empty: any).
    pub values: &'static [&'static str],
    /// The smallest integer allowed.
    pub min: Option<i64>,
    /// The largest integer allowed.
    pub max: Option<i64>,
}

impl Flag {
    /// The clap argument.
    pub fn arg(self) -> Arg {
        let value_name = match self.kind {
            Kind::Date => "YYYY-MM-DD".to_owned(),
            Kind::Boolean => "true|false".to_owned(),
            _ => self.long.to_uppercase().replace('-', "_"),
        };
        Arg::new(self.id)
            .long(self.long)
            .help(self.help)
            .long_help(self.long_help)
            .required(self.required)
            .action(ArgAction::Set)
            .value_name(value_name)
            .value_parser(self.parser())
    }

    /// Checks the text and keeps it as the JSON value the setter's type decodes.
    fn parser(self) -> ValueParser {
        let kind = self.kind;
        if !self.values.is_empty() {
            return ValueParser::new(PossibleValuesParser::new(self.values).try_map(move |text| json(kind, &text)));
        }
        let (min, max) = (self.min, self.max);
        ValueParser::new(move |text: &str| -> Result<Value, String> {
            let value = json(kind, text)?;
            if let Some(n) = value.as_i64() {
                match (min, max) {
                    (Some(lo), _) if n < lo => return Err(range(min, max)),
                    (_, Some(hi)) if n > hi => return Err(range(min, max)),
                    _ => {}
                }
            }
            Ok(value)
        })
    }
}

/// What an integer range allows, in words.
fn range(min: Option<i64>, max: Option<i64>) -> String {
    match (min, max) {
        (Some(lo), Some(hi)) => format!("must be from {lo} to {hi}"),
        (Some(lo), None) => format!("must be at least {lo}"),
        (None, Some(hi)) => format!("must be at most {hi}"),
        (None, None) => "is out of range".to_owned(),
    }
}

/// The flag's text as the JSON value of its kind.
fn json(kind: Kind, text: &str) -> Result<Value, String> {
    match kind {
        Kind::String => Ok(Value::String(text.to_owned())),
        Kind::Date => match zoom_billing::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(_) => Ok(Value::String(text.to_owned())),
            Err(_) => Err("must be a date, yyyy-mm-dd".to_owned()),
        },
        Kind::Integer => text.parse::<i64>().map(Value::from).map_err(|_| "must be a whole number".to_owned()),
        Kind::Number => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| "must be a number".to_owned()),
        Kind::Boolean => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err("must be true or false".to_owned()),
        },
    }
}

/// The value of flag `id` as the type its setter takes, if it was given.
pub fn value<T: DeserializeOwned>(matches: &ArgMatches, id: &str) -> anyhow::Result<Option<T>> {
    let Some(value) = matches.get_one::<Value>(id) else { return Ok(None) };
    match serde_json::from_value(value.clone()) {
        Ok(typed) => Ok(Some(typed)),
        Err(e) => Err(Usage(format!("--{}: {value} is not allowed: {e}", id.replace('_', "-"))).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(kind: Kind, values: &'static [&'static str], min: Option<i64>, max: Option<i64>) -> Flag {
        Flag { id: "x", long: "x", help: "", long_help: "", kind, required: false, values, min, max }
    }

    fn parse(flag: Flag, text: &str) -> Result<Value, clap::Error> {
        clap::Command::new("t")
            .arg(flag.arg())
            .try_get_matches_from(["t", "--x", text])
            .map(|m| m.get_one::<Value>("x").cloned().unwrap_or_default())
    }

    #[test]
    fn values_are_checked_and_typed() {
        assert_eq!(parse(flag(Kind::Integer, &["30", "60"], None, None), "60").unwrap(), Value::from(60));
        assert!(parse(flag(Kind::Integer, &["30", "60"], None, None), "45").is_err());
        assert_eq!(parse(flag(Kind::Integer, &[], Some(1), Some(49)), "49").unwrap(), Value::from(49));
        let err = parse(flag(Kind::Integer, &[], Some(1), Some(49)), "50").unwrap_err().to_string();
        assert!(err.contains("must be from 1 to 49"), "{err}");
        assert!(parse(flag(Kind::Date, &[], None, None), "2026-13-01").is_err());
        assert_eq!(parse(flag(Kind::Boolean, &[], None, None), "true").unwrap(), Value::Bool(true));
    }
}
