// How a response's JSON body becomes its typed value: what progenitor's
// `ResponseValue::from_response` does, without copying the headers.
//
// progenitor clones the response's `HeaderMap` (two allocations, every call)
// and drops the original with the response a moment later; here the headers
// are moved out instead. Codegen's `lean` pass puts [`json`] in the builders'
// `send()` in place of `from_response`; the errors are progenitor's own, so
// the pipeline classifies them as before. Kept free of crate paths: the
// fixture outputs compiled by tests/tests/fixtures_compile.rs include this file.

use progenitor_client::{Error, ResponseValue};

/// Read `response`'s body and decode it as `T`, as progenitor's
/// `ResponseValue::from_response` does: a body that cannot be read is
/// `Error::ResponseBodyError`, one that does not decode is
/// `Error::InvalidResponsePayload` with the body.
pub async fn json<T: serde::de::DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> Result<ResponseValue<T>, Error<E>> {
    let status = response.status();
    // An empty `HeaderMap` allocates nothing.
    let headers = std::mem::take(response.headers_mut());
    let full = response.bytes().await.map_err(Error::ResponseBodyError)?;
    match serde_json::from_slice(&full) {
        Ok(inner) => Ok(ResponseValue::new(inner, status, headers)),
        Err(error) => Err(Error::InvalidResponsePayload(full, error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response as reqwest hands it over: `status`, two headers and `body`.
    fn response(status: u16, body: &[u8]) -> reqwest::Response {
        let response = http::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .header("x-zm-trackingid", "v=2.0;clid=us06;rid=1")
            .body(body.to_vec())
            .unwrap_or_else(|_| http::Response::new(body.to_vec()));
        reqwest::Response::from(response)
    }

    /// `json` and progenitor's `from_response` on the same answer.
    fn both(status: u16, body: &[u8]) -> (String, String) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
        runtime.block_on(async {
            let show = |result: Result<ResponseValue<serde_json::Value>, Error<()>>| match result {
                Ok(value) => format!("{} {:?} {:?}", value.status(), value.headers(), *value),
                Err(error) => format!("error: {error}"),
            };
            let ours = show(json(response(status, body)).await);
            let theirs = show(ResponseValue::from_response(response(status, body)).await);
            (ours, theirs)
        })
    }

    proptest::proptest! {
        /// The same value, status and headers, or the same error, as progenitor's `from_response`.
        #[test]
        fn decodes_as_progenitor_does(
            status in 200_u16..600,
            body in proptest::prop_oneof![
                "\\{\"a\": ?[0-9]{1,5}(, \"b\": \"[a-z]{0,5}\")?\\}",
                "(?s).{0,30}",
            ],
        ) {
            let (ours, theirs) = both(status, body.as_bytes());
            proptest::prop_assert_eq!(ours, theirs);
        }
    }
}
