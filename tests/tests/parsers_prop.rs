//! Property test of the pagination guard against any sequence of pages a
//! server could send (issue 9): any page tokens (empty, repeated, any
//! Unicode), any number of empty pages. The listing always ends, after
//! exactly the requests a model of the guard predicts, with the model's
//! outcome. The other parsers of server input have property tests beside
//! them (classify.rs, human.rs, auth/response.rs).

#[path = "support/hostile.rs"]
mod hostile;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hostile::{Hostile, json};
use proptest::prelude::*;
use zoom_billing::paginate::MAX_EMPTY_PAGES;
use zoom_billing::{Client, Error, RateLimitPolicy, RetryPolicy};

/// One page: how many items, and its `next_page_token` (absent when `None`).
#[derive(Clone, Debug)]
struct Page {
    items: usize,
    token: Option<String>,
}

fn token() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        // A small pool, so that repeats are common.
        prop_oneof![Just("a"), Just("b"), Just(""), Just(" ")].prop_map(|t| Some(t.to_owned())),
        any::<String>().prop_map(Some),
        "[A-Za-z0-9]{1,12}".prop_map(Some),
        Just(None),
    ]
}

fn pages() -> impl Strategy<Value = Vec<Page>> {
    let page =
        (prop_oneof![3 => Just(0usize), 1 => 1usize..4], token()).prop_map(|(items, token)| Page { items, token });
    proptest::collection::vec(page, 0..30)
}

/// What the guard should do: `(items yielded, requests sent, stuck)`.
fn model(pages: &[Page]) -> (usize, usize, bool) {
    let mut seen = std::collections::HashSet::new();
    let (mut items, mut empty) = (0, 0);
    for (i, page) in pages.iter().chain(std::iter::repeat(&Page { items: 0, token: None })).enumerate() {
        let requests = i + 1;
        let next = page.token.as_deref().filter(|t| !t.is_empty());
        if let Some(t) = next
            && !seen.insert(t)
        {
            return (items, requests, true);
        }
        if page.items == 0 && next.is_some() {
            empty += 1;
            if empty > MAX_EMPTY_PAGES {
                return (items, requests, true);
            }
        } else {
            empty = 0;
        }
        items += page.items;
        if next.is_none() {
            return (items, requests, false);
        }
    }
    unreachable!("the chained pages end with no token")
}

async fn list(pages: Vec<Page>) -> (usize, u64, Result<(), Error>) {
    let served = Arc::new(AtomicUsize::new(0));
    let pages = Arc::new(pages);
    let server = Hostile::start(move |_| {
        let i = served.fetch_add(1, Ordering::SeqCst);
        let page = pages.get(i).cloned().unwrap_or(Page { items: 0, token: None });
        let reports: Vec<_> = (0..page.items).map(|n| serde_json::json!({"id": format!("{i}-{n}")})).collect();
        let body = serde_json::json!({"invoice_reports": reports, "next_page_token": page.token});
        Box::pin(async move { json(200, body) })
    })
    .await;
    let client = Client::builder()
        .base_url(&server.base_url)
        .bearer_token("prop-token")
        .rate_limit_policy(RateLimitPolicy::off())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let mut stream = client.list_invoice_reports().stream();
    let mut items = 0;
    let outcome = tokio::time::timeout(Duration::from_secs(10), async {
        while stream.try_next().await?.is_some() {
            items += 1;
        }
        Ok(())
    })
    .await
    .expect("the listing did not end within 10 s");
    (items, server.requests(), outcome)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_page_sequence_ends_as_the_guard_promises(pages in pages()) {
        let (want_items, want_requests, want_stuck) = model(&pages);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (items, requests, outcome) = runtime.block_on(list(pages));
        prop_assert_eq!(items, want_items);
        prop_assert_eq!(requests, want_requests as u64);
        match outcome {
            Ok(()) => prop_assert!(!want_stuck, "ended normally; the model says stuck"),
            Err(Error::PaginationStuck { .. }) => prop_assert!(want_stuck, "stuck; the model says it ends"),
            Err(e) => prop_assert!(false, "unexpected error {e:?}"),
        }
    }
}

// ---- money in every notation (issue 23) -----------------------------------------------

/// `digits` with the point after `point` of them, times 10^`exponent`, as
/// plain digits: the same value and scale as `d.ddde<exponent>`.
fn plain(negative: bool, digits: &str, point: usize, exponent: i32) -> String {
    let sign = if negative { "-" } else { "" };
    let at = point as i64 + i64::from(exponent);
    let n = digits.len() as i64;
    if at <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-at) as usize))
    } else if at >= n {
        format!("{sign}{digits}{}", "0".repeat((at - n) as usize))
    } else {
        format!("{sign}{}.{}", &digits[..at as usize], &digits[at as usize..])
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// An amount written with an exponent decodes exactly as the same digits
    /// without one: the same value and scale, or the same refusal (never a
    /// rounded amount; `Decimal::from_scientific` rounded).
    #[test]
    fn money_with_an_exponent_agrees_with_plain_digits(
        negative in any::<bool>(),
        digits in "[1-9][0-9]{0,39}",
        point in 1usize..41,
        exponent in -45i32..45,
        upper in any::<bool>(),
    ) {
        let point = point.min(digits.len());
        let mantissa = match point == digits.len() {
            true => digits.clone(),
            false => format!("{}.{}", &digits[..point], &digits[point..]),
        };
        let e = if upper { 'E' } else { 'e' };
        let scientific = format!("{}{mantissa}{e}{exponent}", if negative { "-" } else { "" });
        let plain = plain(negative, &digits, point, exponent);
        let from_scientific = serde_json::from_str::<zoom_billing::Money>(&scientific);
        let from_plain = serde_json::from_str::<zoom_billing::Money>(&plain);
        match (&from_scientific, &from_plain) {
            (Ok(a), Ok(b)) => {
                prop_assert_eq!(a.amount(), b.amount(), "{} vs {}", scientific, plain);
                prop_assert_eq!(a.amount().scale(), b.amount().scale(), "{} vs {}", scientific, plain);
            }
            (Err(_), Err(_)) => {}
            _ => prop_assert!(false, "{} -> {:?} but {} -> {:?}", scientific, from_scientific.map(|m| m.to_string()), plain, from_plain.map(|m| m.to_string())),
        }
        // The same amount as a numeric string.
        let quoted = serde_json::from_str::<zoom_billing::Money>(&format!("\"{scientific}\""));
        prop_assert_eq!(quoted.is_ok(), from_scientific.is_ok());
    }
}
