//! Redirects from the API server. Zoom's API does not redirect billing calls,
//! but a proxy or a wrong base URL can. A 301, 302 or 303 turns the request
//! that follows it into a GET: a creating call would then "succeed" with
//! whatever the new URL answers. The client the builder makes does not follow
//! those for an operation that is not a GET; a GET follows (at most 10 hops)
//! and its token stays on its own host.

#[path = "support/bodies.rs"]
mod bodies;

use bodies::subscribe_plan_request as plan;
use fake_zoom::{FakeZoom, Fault, FaultKind};
use zoom_billing::{Client, Error};

fn client(fake: &FakeZoom) -> Client {
    Client::builder().base_url(fake.base_url()).bearer_token(fake_zoom::FIXED_TOKEN).build().unwrap()
}

fn redirect(status: u16, location: String) -> Fault {
    Fault::new(FaultKind::Respond { status, body: "".into(), headers: vec![("Location".into(), location)] })
}

#[tokio::test]
async fn a_creating_call_is_not_turned_into_a_get() {
    let fake = FakeZoom::start().await.unwrap();
    let client = client(&fake);
    for status in [301, 302, 303] {
        // Where it points answers 200 to a GET: followed, the call would look like a success.
        let location = format!("{}/accounts/sub-1/plans?token=do-not-show#frag", fake.base_url());
        fake.inject(redirect(status, location).operation("subscribe_plan").times(1)).unwrap();
        let before = fake.requests().len();
        let err = client.subscribe_plan().account_id("sub-1").body(plan()).await.unwrap_err();
        let sent: Vec<String> = fake.requests()[before..].iter().map(|r| format!("{} {}", r.method, r.path)).collect();
        assert_eq!(sent, ["POST /v2/accounts/sub-1/plans"], "HTTP {status}: only the POST went out");
        let Error::Api(api) = &err else { panic!("HTTP {status}: {err:?}") };
        assert_eq!(api.status.as_u16(), status);
        assert!(!err.is_retryable(), "{err}");
        let text = format!("{:#}", anyhow::Error::from(err));
        let expected = format!(
            "subscribe_plan: Zoom answered HTTP {status}: a redirect to {}/accounts/sub-1/plans, not followed",
            fake.base_url()
        );
        assert!(text.starts_with(&expected), "{text}");
        assert!(!text.contains("do-not-show") && !text.contains("frag"), "the query is not shown: {text}");
    }
}

#[tokio::test]
async fn a_get_follows_a_redirect_on_its_host() {
    let fake = FakeZoom::start().await.unwrap();
    let client = client(&fake);
    let location = format!("{}/accounts/sub-2/plans/usage", fake.base_url());
    fake.inject(redirect(302, location).operation("get_plan_usage").account("sub-1").times(1)).unwrap();
    client.get_plan_usage().account_id("sub-1").await.expect("followed to sub-2's usage");
    let paths: Vec<String> = fake.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, ["/v2/accounts/sub-1/plans/usage", "/v2/accounts/sub-2/plans/usage"]);
    assert!(fake.requests().iter().all(|r| r.header("authorization").is_some()), "same host: the token goes along");
}

#[tokio::test]
async fn the_token_does_not_follow_a_redirect_to_another_host() {
    let fake = FakeZoom::start().await.unwrap();
    let other = FakeZoom::start().await.unwrap();
    let client = client(&fake);
    let location = format!("{}/accounts/me/plans/usage", other.base_url());
    fake.inject(redirect(302, location).operation("get_plan_usage").times(1)).unwrap();
    // The other host sees no token and refuses; the call fails, the token stays home.
    let err = client.get_plan_usage().account_id("me").await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    let seen = other.requests();
    assert_eq!(seen.len(), 1, "the redirect was followed once");
    assert_eq!(seen[0].header("authorization"), None, "no token to another host");
}

#[tokio::test]
async fn a_307_resends_the_same_request() {
    let fake = FakeZoom::start().await.unwrap();
    let client = client(&fake);
    // A 307 keeps the method and the body: the server asked for the same request there.
    let location = format!("{}/accounts/sub-1/plans", fake.base_url());
    fake.inject(redirect(307, location).operation("subscribe_plan").times(1)).unwrap();
    client.subscribe_plan().account_id("sub-1").body(plan()).await.expect("resent and subscribed");
    let posts = fake.requests().iter().filter(|r| r.method == "POST").count();
    assert_eq!(posts, 2);
}
