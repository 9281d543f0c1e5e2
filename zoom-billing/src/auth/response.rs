//! Reading and understanding a token endpoint's answer: a capped body read,
//! then a parser that never panics and never lets a secret through.

use std::time::Duration;

use secrecy::SecretString;
use serde_json::Value;

use super::{DEFAULT_TOKEN_LIFETIME, MAX_TOKEN_LIFETIME};
use crate::error::AuthError;
use crate::redact::Redactor;

/// A token and how long the endpoint says it lives (clamped).
pub(super) struct Token {
    pub(super) secret: SecretString,
    pub(super) lifetime: Duration,
}

/// The most a body read preallocates, whatever is announced.
const PREALLOCATE: usize = 16 * 1024;

/// Why a capped body read stopped.
pub(super) enum ReadError {
    /// More than the cap was announced or sent.
    TooLarge,
    /// The connection failed mid-body.
    Transport(reqwest::Error),
}

/// The body, at most `limit` bytes of it: a larger body (announced by
/// `Content-Length` or found while reading) stops the read.
pub(super) async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, ReadError> {
    let announced = response.content_length().unwrap_or(0);
    if announced > u64::try_from(limit).unwrap_or(u64::MAX) {
        return Err(ReadError::TooLarge);
    }
    // Trust the announced length only up to what a real token answer needs:
    // the cap itself may be huge.
    let mut body = Vec::with_capacity(usize::try_from(announced).unwrap_or(0).min(PREALLOCATE));
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Transport)? {
        if chunk.len() > limit.saturating_sub(body.len()) {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// What the token endpoint's answer means. `redactor` knows the client
/// secret; every text that ends up in an error goes through it first.
pub(super) fn parse(status: u16, body: &[u8], redactor: &Redactor) -> Result<Token, AuthError> {
    let json = serde_json::from_slice::<Value>(body).ok();
    let object = json.as_ref().and_then(Value::as_object);
    if (200..300).contains(&status) {
        let token = object.and_then(|o| o.get("access_token")).and_then(Value::as_str);
        return match token {
            Some(token) if !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic()) => Ok(Token {
                secret: SecretString::from(token.to_owned()),
                lifetime: lifetime(object.and_then(|o| o.get("expires_in"))),
            }),
            // A token that cannot go in a header is still a secret: say what
            // is wrong without showing the body.
            Some(token) if !token.is_empty() => Err(AuthError::InvalidResponse {
                status,
                snippet: "access_token contains characters not allowed in an HTTP header".into(),
            }),
            Some(_) => Err(AuthError::InvalidResponse { status, snippet: "empty access_token".into() }),
            // A token answer that is not valid JSON (e.g. `expires_in` out of
            // f64 range) may still carry a token: do not show it.
            None if json.is_none() && contains(body, b"access_token") => {
                Err(AuthError::InvalidResponse { status, snippet: "a token answer that is not valid JSON".into() })
            }
            None => Err(AuthError::InvalidResponse { status, snippet: body_snippet(body, json.as_ref(), redactor) }),
        };
    }
    let text = |key: &str| {
        object.and_then(|o| o.get(key)).and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    let (reason, error, code, message) = (text("reason"), text("error"), text("code"), text("message"));
    if reason.is_none() && error.is_none() && code.is_none() && message.is_none() {
        return Err(AuthError::InvalidResponse { status, snippet: body_snippet(body, json.as_ref(), redactor) });
    }
    let code = code.or_else(|| error.clone());
    let message = reason.or(message).or(error).unwrap_or_else(|| "no reason given".into());
    let hint = hint(status, code.as_deref(), &message);
    // Scrub whole fields; only then bound them like a snippet.
    Err(AuthError::Rejected {
        status,
        code: code.map(|c| redactor.snippet(c.as_bytes())),
        message: redactor.snippet(message.as_bytes()),
        hint,
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The start of a body, scrubbed. A JSON body is shown re-serialised, so a
/// secret written with `\u` escapes is spelt plainly and caught.
fn body_snippet(body: &[u8], json: Option<&Value>, redactor: &Redactor) -> String {
    match json.and_then(|v| serde_json::to_string(v).ok()) {
        Some(text) => redactor.snippet(text.as_bytes()),
        None => redactor.snippet(body),
    }
}

/// `expires_in` read leniently (see the module docs of [`super`]).
fn lifetime(value: Option<&Value>) -> Duration {
    let seconds = match value {
        Some(Value::Number(n)) => n.as_u64().map(|u| u as f64).or_else(|| n.as_f64()),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match seconds {
        Some(s) if s.is_nan() => DEFAULT_TOKEN_LIFETIME,
        Some(s) if s <= 0.0 => Duration::ZERO,
        Some(s) if s >= MAX_TOKEN_LIFETIME.as_secs_f64() => MAX_TOKEN_LIFETIME,
        // In (0, one day): no overflow, whole seconds.
        Some(s) => Duration::from_secs(s.floor() as u64),
        None => DEFAULT_TOKEN_LIFETIME,
    }
}

/// How long a token is reused: until `margin` before it expires, or half its
/// life if that is later (so a short-lived token is still reused).
pub(super) fn reuse_for(lifetime: Duration, margin: Duration) -> Duration {
    lifetime.saturating_sub(margin).max(lifetime / 2)
}

/// What to fix, from the token endpoint's code and message.
pub(super) fn hint(status: u16, code: Option<&str>, message: &str) -> &'static str {
    let message = message.to_ascii_lowercase();
    match code {
        Some("4717") => "The app is disabled: activate it in the Zoom App Marketplace",
        Some("4702" | "4704" | "invalid_client") => {
            "Check the client id and secret (ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET) of the Server-to-Server OAuth app"
        }
        Some("4705" | "unsupported_grant_type") => "The app is not a Server-to-Server OAuth app",
        Some("4706" | "4700") => "The client id, secret or account id is missing",
        _ if message.contains("account") => "Check the account id (ZOOM_ACCOUNT_ID) of the Server-to-Server OAuth app",
        _ if status == 401 || status == 400 => {
            "Check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET of the Server-to-Server OAuth app"
        }
        _ if status >= 500 => "Zoom's OAuth service failed; try again later",
        _ => "Check the app's credentials and that it is activated",
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use proptest::prelude::*;
    use secrecy::ExposeSecret;

    use super::*;

    const ID: &str = "client-id-1";
    const SECRET: &str = "kX9vQ2mZ7rT4wY1uB8nC3dF6";

    fn redactor() -> Redactor {
        Redactor::default().with_basic_credentials(ID, SECRET)
    }

    /// Every way the secret could show: plain, its first 6 characters, and
    /// the base64 of `id:secret` (standard, URL-safe) minus edge characters.
    fn shows_secret(text: &str) -> bool {
        let pair = format!("{ID}:{SECRET}");
        let b64 = [STANDARD.encode(&pair), URL_SAFE_NO_PAD.encode(&pair)];
        text.contains(&SECRET[..6]) || b64.iter().any(|b| text.contains(&b[b.len() - 24..b.len() - 4]))
    }

    fn render(result: &Result<Token, AuthError>) -> String {
        match result {
            Ok(t) => format!("{:?}", t.lifetime),
            Err(e) => format!("{e} {e:?}"),
        }
    }

    fn token_body(expires_in: &str) -> Vec<u8> {
        format!(r#"{{"access_token":"tok","token_type":"bearer","expires_in":{expires_in}}}"#).into_bytes()
    }

    #[test]
    fn expires_in_is_read_leniently_and_clamped() {
        let cases = [
            ("3599", Duration::from_secs(3599)),
            ("9223372036854775808", MAX_TOKEN_LIFETIME),
            ("18446744073709551617", MAX_TOKEN_LIFETIME),
            ("-5", Duration::ZERO),
            ("-9223372036854775809", Duration::ZERO),
            ("59.9", Duration::from_secs(59)),
            ("\"120\"", Duration::from_secs(120)),
            ("\"soon\"", DEFAULT_TOKEN_LIFETIME),
            ("null", DEFAULT_TOKEN_LIFETIME),
            ("{}", DEFAULT_TOKEN_LIFETIME),
        ];
        for (raw, want) in cases {
            let token = parse(200, &token_body(raw), &redactor()).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(token.lifetime, want, "{raw}");
            assert_eq!(token.secret.expose_secret(), "tok");
        }
    }

    #[test]
    fn a_token_answer_that_is_not_json_is_an_error_that_hides_the_token() {
        let text = render(&parse(200, &token_body("1e400"), &redactor()));
        assert!(text.contains("not valid JSON") && !text.contains("tok\""), "{text}");
    }

    #[test]
    fn short_tokens_are_reused_for_half_their_life() {
        let margin = Duration::from_secs(60);
        assert_eq!(reuse_for(Duration::from_secs(3600), margin), Duration::from_secs(3540));
        assert_eq!(reuse_for(Duration::from_secs(60), margin), Duration::from_secs(30));
        assert_eq!(reuse_for(Duration::from_secs(100), margin), Duration::from_secs(50));
        assert_eq!(reuse_for(Duration::ZERO, margin), Duration::ZERO);
    }

    #[test]
    fn every_field_is_scrubbed() {
        let b64 = STANDARD.encode(format!("{ID}:{SECRET}"));
        let body = format!(r#"{{"error":"{SECRET}","code":"x{SECRET}","reason":"bad Basic {b64}"}}"#);
        let err = parse(401, body.as_bytes(), &redactor()).err().unwrap();
        assert!(matches!(err, AuthError::Rejected { status: 401, .. }), "{err:?}");
        assert!(!shows_secret(&render(&Err(err.clone()))), "{err:?}");
    }

    #[test]
    fn escaped_secrets_in_json_bodies_are_caught() {
        let escaped = format!("\\u{:04x}{}", u32::from(SECRET.as_bytes()[0]), &SECRET[1..]);
        let body = format!(r#"{{"detail":"{escaped}"}}"#);
        let text = render(&parse(200, body.as_bytes(), &redactor()));
        assert!(!text.contains(&SECRET[1..7]), "{text}");
    }

    #[test]
    fn a_token_that_cannot_be_a_header_is_not_shown() {
        let body = br#"{"access_token":"tok en-secret","expires_in":3600}"#;
        let text = render(&parse(200, body, &redactor()));
        assert!(text.contains("not allowed") && !text.contains("en-secret"), "{text}");
    }

    fn hostile_body() -> impl Strategy<Value = Vec<u8>> {
        let pair = format!("{ID}:{SECRET}");
        let fragments = prop_oneof![
            Just(SECRET.to_owned()),
            Just(STANDARD.encode(&pair)),
            Just(URL_SAFE_NO_PAD.encode(&pair)),
            Just(format!("\"{SECRET}\"")),
            "[a-z_\": {},0-9.-]{0,12}",
            Just("\"error\":".to_owned()),
            Just("\"code\":".to_owned()),
            Just("\"access_token\":".to_owned()),
            Just("\"expires_in\":".to_owned()),
        ];
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..400),
            proptest::collection::vec(fragments, 0..30).prop_map(|parts| parts.concat().into_bytes()),
            (prop_oneof![Just("error"), Just("code"), Just("reason"), Just("message")], 0usize..400, 0usize..3)
                .prop_map(|(field, pad, form)| {
                    let secret = match form {
                        0 => SECRET.to_owned(),
                        1 => STANDARD.encode(format!("{ID}:{SECRET}")),
                        _ => URL_SAFE_NO_PAD.encode(format!("{ID}:{SECRET}")),
                    };
                    format!(r#"{{"{field}":"{}{secret}"}}"#, "x".repeat(pad)).into_bytes()
                }),
        ]
    }

    proptest! {
        #[test]
        fn any_answer_parses_without_panic_or_secret(status in 0u16..1000, body in hostile_body()) {
            let result = parse(status, &body, &redactor());
            let text = render(&result);
            prop_assert!(!shows_secret(&text), "{}", text);
            if let Ok(token) = result {
                prop_assert!(token.lifetime <= MAX_TOKEN_LIFETIME);
            }
        }

        #[test]
        fn any_expires_in_gives_a_bounded_lifetime(raw in prop_oneof![
            any::<i128>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|f| f.to_string()),
            any::<u64>().prop_map(|n| format!("\"{n}\"")),
            ".{0,20}",
        ]) {
            if let Ok(token) = parse(200, &token_body(&raw), &redactor()) {
                prop_assert!(token.lifetime <= MAX_TOKEN_LIFETIME);
            }
        }
    }
}
