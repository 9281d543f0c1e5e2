//! fake-zoom as a user's test double: a seeded world (in process and as the binary with
//! `--seed`), faults aimed at one operation, requests checked against the spec, and an
//! operation added to a copy of the spec answered with its example.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use fake_zoom::{Account, FakeZoom, Fault, Invoice, Plan, Renewal, World};
use rust_decimal::Decimal;
use serde_json::Value;
use zoom_billing::{Client, Error, RateLimitPolicy, types};

fn client(base_url: &str) -> Client {
    Client::builder()
        .base_url(base_url)
        .bearer_token(fake_zoom::FIXED_TOKEN)
        .rate_limit_policy(RateLimitPolicy::for_tests())
        .build()
        .unwrap()
}

fn date(text: &str) -> chrono::NaiveDate {
    text.parse().unwrap()
}

fn money(text: &str) -> fake_zoom::Amount {
    text.parse().unwrap()
}

/// Two sub accounts with January invoices in cents (and some outside January), renewals
/// inside and outside a 60-day window, and a base plan on `sub-a`.
fn month_end_world() -> World {
    World::new()
        .today(date("2026-01-31"))
        .account(
            Account::new("sub-a")
                .base_plan(Plan::new("monthly").hosts(20))
                .invoice(Invoice::new("inv-a0", date("2025-12-15"), money("500.00")))
                .invoice(Invoice::new("inv-a1", date("2026-01-05"), money("1999.95")).number("INV-A1"))
                .invoice(Invoice::new("inv-a2", date("2026-01-20"), money("40.10")).status("Paid")),
        )
        .account(
            Account::new("sub-b")
                .base_plan(Plan::new("monthly").hosts(10))
                .invoice(Invoice::new("inv-b1", date("2026-01-31"), money("100.01")))
                .invoice(Invoice::new("inv-b2", date("2026-02-01"), money("7.00"))),
        )
        .renewal(Renewal::new("sub-a", date("2026-02-20"), money("1999.95")))
        .renewal(Renewal::new("sub-b", date("2026-03-25"), money("100.50")))
        .renewal(Renewal::new("sub-c", date("2026-04-15"), money("9.99")))
}

/// The user's month-end job: January's invoiced total over the accounts, what renews in the
/// next 60 days, and a webinar add-on for `sub-a`.
async fn month_end(client: &Client) -> Result<(Decimal, Decimal), Error> {
    let mut invoiced = Decimal::ZERO;
    for account in ["sub-a", "sub-b"] {
        let list =
            client.list_billing_invoices().account_id(account).from(date("2026-01-01")).to(date("2026-01-31")).await?;
        invoiced += list.invoices.iter().filter_map(|i| i.total_amount).map(|m| m.amount()).sum::<Decimal>();
    }
    let renewals = client.list_upcoming_renewals().interval(60i64).page_size(10i64).await?;
    let renewing = renewals.results.iter().filter_map(|r| r.total_renewal_amount).map(|m| m.amount()).sum();
    let addon = types::AddonPlanSubscription::builder().type_("webinar500_monthly").hosts(2);
    client.subscribe_addon_plan().account_id("sub-a").body(addon).await?;
    Ok((invoiced, renewing))
}

fn exact(text: &str) -> Decimal {
    text.parse().unwrap()
}

#[tokio::test]
async fn month_end_against_a_seeded_fake() {
    let fake = FakeZoom::start_with(month_end_world()).await.unwrap();
    let client = client(&fake.base_url());
    let (invoiced, renewing) = month_end(&client).await.unwrap();
    assert_eq!(invoiced, exact("2140.06"));
    assert_eq!(invoiced.to_string(), "2140.06");
    assert_eq!(renewing, exact("2100.45"));
    // Read back what the job did.
    let sub_a = fake.account("sub-a").unwrap();
    assert_eq!(sub_a.addons, vec![Plan::new("webinar500_monthly").hosts(2)]);
    assert!(fake.account("sub-b").unwrap().addons.is_empty());
    assert!(fake.refused().is_empty(), "{:?}", fake.refused());
    // The list carries the seeded cents as written.
    let body = reqwest::Client::new()
        .get(format!("{}/accounts/sub-a/billing/invoices?from=2026-01-01", fake.base_url()))
        .bearer_auth(fake_zoom::FIXED_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains(r#""total_amount":40.10"#), "{body}");
    // A seeded world is closed: an account it does not list is Zoom's 404 code 2001.
    let err = client.get_plan_usage().account_id("nobody").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
}

struct Binary(Child);

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn month_end_against_the_binary_with_a_seed_file() {
    let dir = std::env::temp_dir().join(format!("fake-zoom-seed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seed = dir.join("world.json");
    std::fs::write(&seed, serde_json::to_string_pretty(&month_end_world()).unwrap()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fleet-fake-zoom"))
        .arg("--seed")
        .arg(&seed)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start fake-zoom");
    let stdout = child.stdout.take().expect("piped");
    let binary = Binary(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("fake-zoom's base URL");
    let client = client(line.trim());
    let (invoiced, renewing) = month_end(&client).await.unwrap();
    assert_eq!((invoiced, renewing), (exact("2140.06"), exact("2100.45")));
    let plans = client.get_account_plans().account_id("sub-a").await.unwrap();
    assert_eq!(plans.plan_webinar.len(), 1);
    drop(binary);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_fault_aimed_at_list_billing_invoices_never_touches_get_invoice_details() {
    let fake = FakeZoom::start().await.unwrap();
    let client = client(&fake.base_url());
    fake.inject(Fault::status(503).operation("list_billing_invoices").times(100)).unwrap();
    for _ in 0..3 {
        client.get_invoice_details().account_id("sub-1").invoice_id("inv-1").await.unwrap();
    }
    let details = client.get_invoice_details().account_id("sub-1").invoice_id("inv-1").await.unwrap();
    assert_eq!(details.total_amount.map(|m| m.amount()), Some(Decimal::from(2039)));
    let err = client.list_billing_invoices().account_id("sub-1").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(fake.requests_for("get_invoice_details").len(), 4);
    // And by account: another account's list is untouched.
    fake.inject(Fault::status(404).operation("get_plan_usage").account("sub-9")).unwrap();
    client.get_plan_usage().account_id("sub-1").await.unwrap();
    assert!(client.get_plan_usage().account_id("sub-9").await.is_err());
    // An operation the spec does not have is refused at once.
    assert!(fake.inject(Fault::status(500).operation("list_invoices")).is_err());
}

#[tokio::test]
async fn an_exact_body_fault_keeps_its_cents() {
    let fake = FakeZoom::start().await.unwrap();
    let client = client(&fake.base_url());
    let body = r#"{"currency": "USD", "invoices": [{"id": "x", "total_amount": 2039.10}]}"#;
    fake.inject(Fault::body(200, body).operation("list_billing_invoices").header("X-Extra", "1")).unwrap();
    let list = client.list_billing_invoices().account_id("me").await.unwrap();
    assert_eq!(list.invoices[0].total_amount.map(|m| m.amount().to_string()).as_deref(), Some("2039.10"));
}

/// Send a raw request; the status and the JSON body.
async fn send(fake: &FakeZoom, method: reqwest::Method, path: &str, body: Option<&str>) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", fake.base_url()))
        .bearer_auth(fake_zoom::FIXED_TOKEN);
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body.to_owned());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn assert_zoom_400(answer: &(u16, Value), field: &str) {
    assert_eq!(answer.0, 400, "{answer:?}");
    assert_eq!(answer.1["code"], 300, "{answer:?}");
    assert!(answer.1["message"].as_str().unwrap().contains(field), "{answer:?}");
    assert_eq!(answer.1["errors"][0]["field"], field, "{answer:?}");
}

#[tokio::test]
async fn a_wrong_type_is_zooms_400() {
    let fake = FakeZoom::start().await.unwrap();
    let put = reqwest::Method::PUT;
    let answer = send(&fake, put, "/accounts/sub-1/plans/base", Some(r#"{"type": "monthly", "hosts": "12"}"#)).await;
    assert_zoom_400(&answer, "hosts");
    let answer = send(&fake, reqwest::Method::GET, "/accounts/billing/renewals?page_size=ten", None).await;
    assert_zoom_400(&answer, "page_size");
    assert_eq!(fake.refused().len(), 2);
}

#[tokio::test]
async fn a_value_outside_an_enum_is_zooms_400() {
    let fake = FakeZoom::start().await.unwrap();
    let answer = send(&fake, reqwest::Method::GET, "/accounts/billing/renewals?interval=45", None).await;
    assert_zoom_400(&answer, "interval");
    let body = r#"{"action": "stop", "reason": 3}"#;
    let answer = send(&fake, reqwest::Method::PATCH, "/accounts/sub-1/plans/base/status", Some(body)).await;
    assert_zoom_400(&answer, "action");
}

#[tokio::test]
async fn a_missing_required_field_is_zooms_400() {
    let fake = FakeZoom::start().await.unwrap();
    let contact = r#"{"first_name": "J", "last_name": "C", "email": "j@example.com", "phone_number": "1",
        "address": "55 Almaden", "city": "San Jose", "state": "CA", "zip": "95113", "country": "US"}"#;
    let body = format!(r#"{{"contact": {contact}, "plan_base": {{"hosts": 5}}}}"#);
    let answer = send(&fake, reqwest::Method::POST, "/accounts/sub-1/plans", Some(&body)).await;
    assert_zoom_400(&answer, "plan_base.type");
    let answer = send(&fake, reqwest::Method::PUT, "/accounts/sub-1/plans/addons", Some(r#"{"type": "w"}"#)).await;
    assert_zoom_400(&answer, "hosts");
    let answer = send(&fake, reqwest::Method::POST, "/accounts/sub-1/plans", None).await;
    assert_zoom_400(&answer, "body");
}

#[tokio::test]
async fn an_operation_added_to_a_copy_of_the_spec_is_answered_with_its_example() {
    let root = zoom_billing_codegen::workspace_root().unwrap();
    let text = std::fs::read_to_string(root.join(zoom_billing_codegen::SPEC_PATH)).unwrap();
    let added = r##"paths:
  /accounts/{accountId}/billing/credits:
    get:
      operationId: list_billing_credits
      summary: List billing credits
      security:
        - openapi_oauth: ["billing:master"]
      x-zoom-rate-limit:
        label: Medium
        per: account
      parameters:
        - $ref: "#/components/parameters/AccountId"
        - name: currency
          in: query
          schema:
            type: string
            enum: [USD, EUR]
      responses:
        "200":
          description: Credits returned.
          content:
            application/json:
              schema:
                type: object
                properties:
                  credits:
                    type: array
                    items:
                      type: object
                      properties:
                        amount:
                          $ref: "#/components/schemas/Money"
              example:
                credits:
                  - amount: 12.5
"##;
    let copy = text.replacen("paths:\n", added, 1);
    let spec = zoom_billing_codegen::Spec::parse("copy.yaml", &copy).unwrap();
    let json = zoom_billing_codegen::fake::contract_json(&spec).unwrap();
    let contract = fake_zoom::Contract::from_json(&json).unwrap();
    assert!(contract.operation_ids().contains(&"list_billing_credits"));

    let fake = FakeZoom::builder().contract(contract).start().await.unwrap();
    let answer = send(&fake, reqwest::Method::GET, "/accounts/sub-1/billing/credits?currency=USD", None).await;
    assert_eq!(answer, (200, serde_json::json!({"credits": [{"amount": 12.5}]})));
    // The new operation is checked and aimable like the others.
    assert_zoom_400(
        &send(&fake, reqwest::Method::GET, "/accounts/sub-1/billing/credits?currency=GBP", None).await,
        "currency",
    );
    fake.inject(Fault::status(503).operation("list_billing_credits")).unwrap();
    assert_eq!(send(&fake, reqwest::Method::GET, "/accounts/sub-1/billing/credits", None).await.0, 503);
}

/// The checked-in contract is what the spec generates (`cargo xtask generate --check` too).
#[test]
fn the_fakes_contract_is_fresh() {
    let root = zoom_billing_codegen::workspace_root().unwrap();
    let spec = zoom_billing_codegen::Spec::load(&root.join(zoom_billing_codegen::SPEC_PATH)).unwrap();
    let files = zoom_billing_codegen::fake::generate(&spec, zoom_billing_codegen::SPEC_PATH).unwrap();
    let stale = zoom_billing_codegen::files::check_all(&root, &files).unwrap();
    assert!(stale.is_empty(), "run `cargo xtask generate`: {stale:?}");
}

/// The requests the crate's tests send, every operation once (as the tour sends them),
/// pass the fake's validation: none is refused.
#[tokio::test]
async fn no_request_the_crates_tests_send_is_refused() {
    let fake = FakeZoom::start().await.unwrap();
    fake.seed_reports(1);
    let c = client(&fake.base_url());
    let account = "sub-1";
    let subscribe: types::SubscribePlanRequest = serde_json::from_value(serde_json::json!({
        "contact": {"first_name": "Jill", "last_name": "Chill", "email": "jill.chill@example.com",
            "phone_number": "+1 800 000 0000", "address": "55 Almaden Blvd", "city": "San Jose",
            "state": "CA", "zip": "95113", "country": "US", "company_name": "Example"},
        "plan_base": {"type": "monthly", "hosts": 10}
    }))
    .unwrap();
    c.subscribe_plan().account_id(account).body(subscribe).await.unwrap();
    c.get_account_plans().account_id(account).await.unwrap();
    c.update_base_plan()
        .account_id(account)
        .body(types::UpdateBasePlanRequest::builder().type_("monthly").hosts(Some(12)))
        .await
        .unwrap();
    let addon = types::AddonPlanSubscription::builder().type_("webinar500_monthly").hosts(2);
    c.subscribe_addon_plan().account_id(account).body(addon).await.unwrap();
    c.update_addon_plan()
        .account_id(account)
        .body(types::UpdateAddonPlanRequest::builder().type_("webinar500_monthly").hosts(3))
        .await
        .unwrap();
    c.get_plan_usage().account_id(account).await.unwrap();
    let cancel: types::CancelAddonPlansRequest =
        serde_json::from_value(serde_json::json!({"action": "cancel", "type": "webinar500_monthly", "reason": 4}))
            .unwrap();
    c.cancel_addon_plans().account_id(account).body(cancel).await.unwrap();
    let cancel: types::CancelBasePlanRequest =
        serde_json::from_value(serde_json::json!({"action": "cancel", "reason": 3})).unwrap();
    c.cancel_base_plan().account_id(account).body(cancel).await.unwrap();
    c.get_billing_information().account_id(account).await.unwrap();
    c.update_billing_information()
        .account_id(account)
        .body(types::BillingContactUpdate::builder().apt(Some("Suite 700".to_owned())))
        .await
        .unwrap();
    c.list_billing_invoices().account_id(account).from(date("2024-01-01")).to(date("2024-12-31")).await.unwrap();
    c.get_invoice_details().account_id(account).invoice_id("inv-1").await.unwrap();
    c.download_invoice_file().invoice_id("inv-1").await.unwrap();
    c.list_upcoming_renewals().interval(90i64).page_size(49i64).await.unwrap();
    let request = types::GenerateInvoiceReportRequest::builder()
        .start_date(Some(date("2024-01-01")))
        .end_date(Some(date("2024-01-31")))
        .account_ids(vec![account.to_owned()]);
    c.generate_invoice_report().body(request).await.unwrap();
    let reports = c.list_invoice_reports().await.unwrap();
    let id = reports.invoice_reports[0].id.clone().unwrap();
    c.download_invoice_report().invoice_report_id(&id).await.unwrap();
    c.delete_invoice_report().invoice_report_id(&id).await.unwrap();
    assert!(fake.refused().is_empty(), "{:?}", fake.refused());
    assert_eq!(fake.account(account).unwrap().contact.unwrap().apt.as_deref(), Some("Suite 700"));
}
