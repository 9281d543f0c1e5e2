// What a request builder checks before anything is sent: values the spec does not
// allow, required parameters not set, a request body that cannot be built.
//
// The generated builders (`generated/calls.rs`) call these as their setters run and
// ask [`Checks::refusal`] in `send()`; a refused request fails with
// [`Error::InvalidRequest`](crate::Error::InvalidRequest) naming the operation, the
// parameter, what the spec allows and what was given, before any pacing turn, token
// or quota is spent. What is allowed comes from the spec (`codegen/src/metadata.rs`).
// Kept free of crate paths: the fixture outputs compiled by tests/tests/fixtures_compile.rs
// include this very file.

use std::fmt::{Debug, Display};

/// A path parameter as the URL carries it: percent-encoded exactly as
/// progenitor's `encode_path` does (the same set), but displayed in place into
/// the URL being formatted, not first collected in a `String` of its own
/// (codegen's `lean` pass puts this in the builders' `send()`).
pub fn path_segment(value: &str) -> ::percent_encoding::PercentEncode<'_> {
    ::percent_encoding::utf8_percent_encode(value, PATH_SEGMENT)
}

/// progenitor-client's `PATH_SET` (private there): the URL standard's path
/// percent-encode set, plus `/` and `%`.
const PATH_SEGMENT: &::percent_encoding::AsciiSet = &::percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%');

/// The longest a value quoted in a refusal may be, in characters.
const SHOWN_MAX: usize = 80;

/// A builder's findings so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checks {
    /// The first thing found wrong (later setters do not hide it).
    refusal: Option<String>,
    /// One bit per required parameter not set yet, in the order `refusal` is given them.
    missing: u8,
}

impl Checks {
    /// A builder whose required parameters are the bits of `missing`.
    pub fn new(missing: u8) -> Self {
        Checks { refusal: None, missing }
    }

    /// A required parameter was given.
    pub fn set(&mut self, bit: u8) {
        self.missing &= !bit;
    }

    fn refuse(&mut self, message: String) {
        self.refusal.get_or_insert(message);
    }

    /// Why the request cannot be sent, if it cannot: `required` names the required
    /// parameters (with a hint from the spec) in bit order.
    pub fn refusal(self, required: &[(&str, &str)]) -> Option<String> {
        if self.refusal.is_some() || self.missing == 0 {
            // Every call asks: the common answer, nothing wrong, without a search.
            return self.refusal;
        }
        let (name, hint) = required.iter().enumerate().find(|(i, _)| self.missing & (1 << i) != 0)?.1;
        Some(if hint.is_empty() {
            format!("{name} is required and was not set")
        } else {
            // The spec's first sentence, as the end of ours: `...was not set: the account ID`.
            let hint = hint.trim_end_matches('.');
            let mut chars = hint.chars();
            let lowered = match (chars.next(), chars.next()) {
                (Some(first), Some(second)) if second.is_lowercase() => {
                    first.to_lowercase().chain(hint.chars().skip(1)).collect()
                }
                _ => hint.to_owned(),
            };
            format!("{name} is required and was not set: {lowered}")
        })
    }
}

/// `value` quoted for a refusal: its Debug form, cut at [`SHOWN_MAX`] characters.
fn shown(value: &impl Debug) -> String {
    let text = format!("{value:?}");
    match text.char_indices().nth(SHOWN_MAX) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text,
    }
}

/// Convert a parameter the spec constrains; on failure note `name must be ALLOWED; got VALUE`.
pub fn convert<V, T>(checks: &mut Checks, value: V, name: &str, allowed: &str) -> Option<T>
where
    V: TryInto<T> + Debug,
{
    // Shown before the conversion consumes it; only constrained parameters pay for this.
    let given = shown(&value);
    match value.try_into() {
        Ok(value) => Some(value),
        Err(_) => {
            checks.refuse(format!("{name} must be {allowed}; got {given}"));
            None
        }
    }
}

/// Check a converted number against the spec's `minimum` and `maximum` (each with whether
/// it is exclusive); a value that does not read as a number is left to the type.
#[allow(
    dead_code,
    reason = "generated builders call it for a parameter with a minimum or maximum; today's spec has none"
)]
pub fn within<T: Display>(
    checks: &mut Checks,
    value: T,
    name: &str,
    allowed: &str,
    min: Option<(f64, bool)>,
    max: Option<(f64, bool)>,
) -> Option<T> {
    let text = value.to_string();
    let Ok(n) = text.parse::<f64>() else { return Some(value) };
    let low = min.is_some_and(|(m, exclusive)| if exclusive { n <= m } else { n < m });
    let high = max.is_some_and(|(m, exclusive)| if exclusive { n >= m } else { n > m });
    if low || high {
        checks.refuse(format!("{name} must be {allowed}; got {text}"));
        return None;
    }
    Some(value)
}

/// Convert a path parameter: an empty one would address another resource
/// (`/accounts//plans`) and spend a rate-limit turn on Zoom's 404.
pub fn segment<V: TryInto<String>>(checks: &mut Checks, value: V, name: &str) -> Option<String> {
    match value.try_into() {
        Ok(value) if value.is_empty() => {
            checks.refuse(format!("{name} must not be empty"));
            None
        }
        Ok(value) => Some(value),
        Err(_) => {
            checks.refuse(format!("{name} could not be converted to a string"));
            None
        }
    }
}

/// Build a request body; on failure note why, in the spec's words where the builder's
/// message allows.
pub fn body<V, T>(checks: &mut Checks, value: V) -> Option<T>
where
    V: TryInto<T>,
    V::Error: Display,
{
    match value.try_into() {
        Ok(body) => Some(body),
        Err(e) => {
            checks.refuse(explain(&e.to_string()));
            None
        }
    }
}

/// [`body`] for a body type whose conversion errors cannot be shown (a `oneOf`).
pub fn body_of<V: TryInto<T>, T>(checks: &mut Checks, value: V) -> Option<T> {
    match value.try_into() {
        Ok(body) => Some(body),
        Err(_) => {
            let name = std::any::type_name::<T>().rsplit("::").next().unwrap_or("the body type");
            checks.refuse(format!("the request body cannot be converted to `{name}`"));
            None
        }
    }
}

/// progenitor's and typify's messages about a request that cannot be built, said in
/// terms of the request: `no value supplied for type_` is the body's required `type`.
pub(crate) fn explain(message: &str) -> String {
    // progenitor prefixes a body conversion failure with this; the rest is typify's.
    let message = match message.split_once(" for body failed: ") {
        Some((_, reason)) => reason,
        None => message,
    };
    if let Some(field) = message.strip_prefix("no value supplied for ") {
        return format!("the request body's required field `{}` is missing", json_name(field));
    }
    if let Some(rest) = message.strip_prefix("error converting supplied value for ") {
        let (field, reason) = rest.split_once(": ").unwrap_or((rest, "invalid value"));
        return format!("the request body's field `{}` is invalid: {reason}", json_name(field));
    }
    if let Some(name) = message.strip_suffix(" was not initialized") {
        return format!("{name} is required and was not set");
    }
    message.to_owned()
}

/// The JSON name of a Rust field typify named (`type_` for `type`).
fn json_name(field: &str) -> &str {
    field.trim().trim_end_matches('_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_refusal_stands_and_missing_parameters_are_named_in_order() {
        assert_eq!(
            Checks::new(1).refusal(&[("account_id", "The account ID.")]),
            Some("account_id is required and was not set: the account ID".to_owned())
        );
        let mut checks = Checks::new(0b11);
        checks.set(0b01);
        assert_eq!(
            checks.clone().refusal(&[("account_id", "The account ID."), ("invoice_id", "")]),
            Some("invoice_id is required and was not set".to_owned())
        );
        checks.set(0b10);
        assert_eq!(checks.clone().refusal(&[("account_id", ""), ("invoice_id", "")]), None);
        assert_eq!(convert::<i64, u8>(&mut checks, 300, "page_size", "from 1 to 49"), None);
        assert_eq!(convert::<i64, u8>(&mut checks, 400, "other", "anything"), None);
        assert_eq!(checks.clone().refusal(&[]), Some("page_size must be from 1 to 49; got 300".to_owned()));
        let mut checks = Checks::new(0);
        let max = Some((300.0, false));
        assert_eq!(within(&mut checks, 300_u64, "page_size", "from 1 to 300", Some((1.0, false)), max), Some(300));
        assert_eq!(within(&mut checks, 301_u64, "page_size", "from 1 to 300", Some((1.0, false)), max), None);
        assert_eq!(within(&mut checks, 50_i64, "size", "below 50", None, Some((50.0, true))), None);
        assert_eq!(checks.refusal(&[]), Some("page_size must be from 1 to 300; got 301".to_owned()));
    }

    #[test]
    fn long_values_are_cut_and_empty_segments_refused() {
        let mut checks = Checks::new(0);
        let long = vec![7_u64; 1000];
        assert_eq!(convert::<Vec<u64>, [u64; 2]>(&mut checks, long, "size", "a number"), None);
        let refusal = checks.refusal(&[]).unwrap();
        assert!(refusal.len() < 140, "{refusal}");
        let mut checks = Checks::new(0);
        assert_eq!(segment(&mut checks, "", "account_id"), None);
        assert_eq!(checks.refusal(&[]), Some("account_id must not be empty".to_owned()));
    }

    #[test]
    fn builder_messages_are_said_in_the_request_s_terms() {
        assert_eq!(
            explain("conversion to `UpdateBasePlanRequest` for body failed: no value supplied for type_"),
            "the request body's required field `type` is missing"
        );
        assert_eq!(
            explain("error converting supplied value for reason: invalid value"),
            "the request body's field `reason` is invalid: invalid value"
        );
        assert_eq!(explain("account_id was not initialized"), "account_id is required and was not set");
    }

    proptest::proptest! {
        /// Byte for byte what progenitor's `encode_path` gives, for any text (the set is a copy).
        #[test]
        fn path_segments_are_encoded_as_progenitor_encodes_them(value in "(?s).{0,40}|[ -~]{0,40}") {
            proptest::prop_assert_eq!(path_segment(&value).to_string(), ::progenitor_client::encode_path(&value));
        }
    }
}
