//! Building answers: JSON with exact amounts, Zoom's error bodies and 429s, streamed downloads,
//! and the `x-zm-trackingid` every answer carries.

use std::convert::Infallible;

use bytes::Bytes;
use futures::StreamExt;
use http::{Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use serde_json::{Value, json};

use crate::limits::Rejection;
use crate::world::{Amount, is_json_number};

/// The body type of every answer.
pub(crate) type Body = BoxBody<Bytes, std::io::Error>;

/// Marks a JSON string that is an exact amount, written as the number it holds.
const AMOUNT: char = '\u{E000}';

/// An amount inside a [`Value`] tree; [`to_text`] writes it as its exact number text.
pub(crate) fn amount(a: &Amount) -> Value {
    Value::String(format!("{AMOUNT}{a}"))
}

/// JSON text of `value`, amounts (see [`amount`]) written as their number text. A string
/// that only looks like one (not a JSON number after the mark) stays a string.
pub(crate) fn to_text(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => match s.strip_prefix(AMOUNT) {
            Some(number) if is_json_number(number) => out.push_str(number),
            _ => out.push_str(&Value::String(s.clone()).to_string()),
        },
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write(item, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn tracked(mut response: Response<Body>) -> Response<Body> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let id = format!("fake-track-{}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    if let Ok(v) = id.parse() {
        response.headers_mut().insert("x-zm-trackingid", v);
    }
    response
}

/// `status` with this body and content type.
pub(crate) fn raw(status: u16, content_type: &str, body: Bytes) -> Response<Body> {
    let mut response = Response::new(Full::new(body).map_err(|e: Infallible| match e {}).boxed());
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = content_type.parse() {
        response.headers_mut().insert("content-type", v);
    }
    tracked(response)
}

/// `status` with a JSON body (amounts exact).
pub(crate) fn json_response(status: u16, body: &Value) -> Response<Body> {
    raw(status, "application/json", to_text(body).into())
}

/// `status` with no body.
pub(crate) fn empty(status: u16) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::new()).map_err(|e: Infallible| match e {}).boxed());
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::NO_CONTENT);
    tracked(response)
}

/// Zoom's error body.
pub(crate) fn error(status: u16, code: i64, message: &str) -> Response<Body> {
    json_response(status, &json!({"code": code, "message": message}))
}

/// Zoom's validation error: `400` code `300`, naming the field.
pub(crate) fn invalid(field: &str, reason: &str) -> Response<Body> {
    json_response(
        400,
        &json!({"code": 300, "message": format!("Invalid field: {field} {reason}."),
            "errors": [{"field": field, "message": "Invalid field."}]}),
    )
}

/// Zoom's answer to an expired page token.
pub(crate) fn page_token_expired() -> Response<Body> {
    error(400, 300, "The next page token is invalid or expired.")
}

/// Zoom's 429: the daily form (ISO-8601 `Retry-After`) or the per-second one.
pub(crate) fn too_many(r: Rejection) -> Response<Body> {
    let (kind, message, retry_after) = if r.daily {
        (
            "Daily-limit",
            "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request.",
            r.retry_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )
    } else {
        (
            "QPS",
            "You have reached the maximum per-second rate limit for this API. Try again later.",
            // Whole seconds, rounded up so a client waiting that long is in time.
            r.retry_in.as_secs_f64().ceil().to_string(),
        )
    };
    let mut response = error(429, 429, message);
    let headers = [
        ("x-ratelimit-type", kind.to_owned()),
        ("x-ratelimit-category", r.label.clone()),
        ("x-ratelimit-limit", r.limit.to_string()),
        ("x-ratelimit-remaining", "0".to_owned()),
        ("retry-after", retry_after),
    ];
    for (name, value) in headers {
        if let Ok(v) = value.parse() {
            response.headers_mut().insert(name, v);
        }
    }
    if !r.daily
        && let Ok(v) = r.retry_at.timestamp().to_string().parse()
    {
        response.headers_mut().insert("x-ratelimit-reset", v);
    }
    response
}

/// A streamed body of `size` bytes, generated chunk by chunk; when
/// `break_after` is set the connection breaks after that many bytes.
pub(crate) fn download(
    size: u64,
    content_type: &str,
    header: &'static [u8],
    break_after: Option<u64>,
) -> Response<Body> {
    const CHUNK: u64 = 64 * 1024;
    let limit = break_after.unwrap_or(u64::MAX);
    let chunks = size.div_ceil(CHUNK);
    let stream = futures::stream::iter(0..chunks).map(move |i| {
        let start = i * CHUNK;
        if start >= limit {
            return Err(std::io::Error::other("injected failure mid-download"));
        }
        let len = (size - start).min(CHUNK).min(limit - start);
        let mut chunk: Vec<u8> = (start..start + len).map(|b| (b % 251) as u8).collect();
        if i == 0 {
            let n = header.len().min(chunk.len());
            chunk[..n].copy_from_slice(&header[..n]);
        }
        Ok(Frame::data(Bytes::from(chunk)))
    });
    // After the limit, one more item yields the error that breaks the body.
    let mut response = Response::new(BodyExt::boxed(StreamBody::new(stream)));
    if let Ok(v) = content_type.parse() {
        response.headers_mut().insert("content-type", v);
    }
    if let Ok(v) = size.to_string().parse() {
        response.headers_mut().insert("content-length", v);
    }
    tracked(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_exactly_and_only_amounts() {
        let a: Amount = "2039.10".parse().unwrap();
        let value = json!({"total": amount(&a), "note": format!("{AMOUNT}1,\"x\":2"), "n": [1, "s"]});
        assert_eq!(to_text(&value), format!(r#"{{"n":[1,"s"],"note":"{AMOUNT}1,\"x\":2","total":2039.10}}"#));
    }
}
