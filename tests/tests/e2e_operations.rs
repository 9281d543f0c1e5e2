//! Every one of the 19 operations through the generated client, against a
//! real HTTP server on 127.0.0.1 that answers with the spec's own examples.
//! Each test checks what went over the wire (method, path, query, JSON body,
//! headers) and what came back decoded.

mod support;

use std::str::FromStr;

use chrono::NaiveDate;
use futures::TryStreamExt;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use support::{Recorded, Reply, TestServer};
use zoom_billing::values::{EmployeeCount, InvoiceReportStatus, InvoiceStatus};
use zoom_billing::{Client, Error, Operation, types};
use zoom_billing_codegen::{SPEC_PATH, Spec, workspace_root};

fn spec() -> Value {
    Spec::load(&workspace_root().unwrap().join(SPEC_PATH)).unwrap().source.value
}

/// The success status and JSON example (if any) the spec gives an operation.
fn success_example(operation_id: &str) -> (u16, Option<Value>) {
    let spec = spec();
    for item in spec["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            if op["operationId"] != operation_id {
                continue;
            }
            for (status, response) in op["responses"].as_object().unwrap() {
                if status.starts_with('2') {
                    let example = response.pointer("/content/application~1json/example").cloned();
                    return (status.parse().unwrap(), example);
                }
            }
        }
    }
    panic!("no operation {operation_id}");
}

fn error_example(response: &str) -> Value {
    spec()["components"]["responses"][response]["content"]["application/json"]["example"].clone()
}

/// A server answering every request with the operation's spec example.
async fn serve_example(operation_id: &str) -> (TestServer, Option<Value>) {
    let (status, example) = success_example(operation_id);
    let reply = match &example {
        Some(body) => Reply::json(status, body),
        None => Reply::empty(status),
    };
    (TestServer::start(move |_| reply.clone()).await, example)
}

fn client(server: &TestServer) -> Client {
    Client::builder().base_url(&server.base_url).bearer_token("test-token").build().unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::from_str(s).unwrap()
}

/// Common to every request: the route, auth, user agent, and no `api-version`.
fn assert_request(req: &Recorded, method: &str, path: &str, query: Option<&str>) {
    assert_eq!(req.method, method);
    assert_eq!(req.path, path);
    assert_eq!(req.query.as_deref(), query);
    assert_eq!(req.header("authorization"), Some("Bearer test-token"));
    assert_eq!(req.header("user-agent"), Some(zoom_billing::USER_AGENT));
    assert_eq!(req.header("api-version"), None, "progenitor's api-version header must be removed");
}

/// The decoded value equals the example decoded as the same type.
fn assert_decodes<T>(value: &T, example: Option<Value>)
where
    T: serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let expected: T = serde_json::from_value(example.expect("the spec has an example")).unwrap();
    assert_eq!(value, &expected);
}

#[tokio::test]
async fn list_invoice_reports() {
    let (server, example) = serve_example("list_invoice_reports").await;
    let page = client(&server).list_invoice_reports().next_page_token("tok-1").send().await.unwrap();
    assert_request(&server.single_request(), "GET", "/accounts/billing/invoice_reports", Some("next_page_token=tok-1"));
    assert_eq!(page.status(), 200);
    let first = &page.invoice_reports[0];
    assert!(matches!(first.status, Some(InvoiceReportStatus::Completed | InvoiceReportStatus::Processing)));
    assert_decodes(&page.into_inner(), example);
}

#[tokio::test]
async fn generate_invoice_report() {
    let (server, example) = serve_example("generate_invoice_report").await;
    let body = types::GenerateInvoiceReportRequest::builder()
        .start_date(Some(date("2026-10-01")))
        .end_date(Some(date("2026-10-31")))
        .account_ids(vec!["sub-1".to_owned(), "sub-2".to_owned()]);
    let report = client(&server).generate_invoice_report().body(body).send().await.unwrap();
    let req = server.single_request();
    assert_request(&req, "POST", "/accounts/billing/invoice_reports", None);
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(
        req.json(),
        json!({"start_date": "2026-10-01", "end_date": "2026-10-31", "account_ids": ["sub-1", "sub-2"]})
    );
    assert_eq!(report.status(), 201);
    assert_decodes(&report.into_inner(), example);
}

#[tokio::test]
async fn download_invoice_report_streams_bytes() {
    let csv = "account_id,amount\nsub-1,10.00\n".repeat(1000);
    let body = csv.clone();
    let server = TestServer::start(move |_| Reply::bytes(200, "application/octet-stream", body.clone())).await;
    let response =
        client(&server).download_invoice_report().invoice_report_id("rep 1/a").download(true).send().await.unwrap();
    // Path segments are percent-encoded: an id cannot escape its segment.
    assert_request(
        &server.single_request(),
        "GET",
        "/accounts/billing/invoice_reports/rep%201%2Fa",
        Some("download=true"),
    );
    let chunks: Vec<bytes::Bytes> = response.into_inner().into_inner().try_collect().await.unwrap();
    assert_eq!(chunks.concat(), csv.as_bytes());
}

#[tokio::test]
async fn delete_invoice_report() {
    let (server, _) = serve_example("delete_invoice_report").await;
    let response = client(&server).delete_invoice_report().invoice_report_id("rep-1").send().await.unwrap();
    assert_request(&server.single_request(), "DELETE", "/accounts/billing/invoice_reports/rep-1", None);
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn list_upcoming_renewals() {
    let (server, example) = serve_example("list_upcoming_renewals").await;
    let page = client(&server).list_upcoming_renewals().interval(60i64).page_size(20i64).send().await.unwrap();
    let req = server.single_request();
    assert_request(&req, "GET", "/accounts/billing/renewals", req.query.as_deref());
    let mut query: Vec<&str> = req.query.as_deref().unwrap().split('&').collect();
    query.sort();
    assert_eq!(query, ["interval=60", "page_size=20"]);
    assert_decodes(&page.into_inner(), example);
}

#[tokio::test]
async fn get_billing_information() {
    let (server, example) = serve_example("get_billing_information").await;
    let contact = client(&server).get_billing_information().account_id("sub-1").send().await.unwrap();
    assert_request(&server.single_request(), "GET", "/accounts/sub-1/billing", None);
    assert_decodes(&contact.into_inner(), example);
}

#[tokio::test]
async fn update_billing_information_sends_only_set_fields() {
    let (server, _) = serve_example("update_billing_information").await;
    let body = types::BillingContactUpdate::builder().city(Some("San Jose".to_owned())).zip(Some("95113".to_owned()));
    let response = client(&server).update_billing_information().account_id("sub-1").body(body).send().await.unwrap();
    let req = server.single_request();
    assert_request(&req, "PATCH", "/accounts/sub-1/billing", None);
    assert_eq!(req.json(), json!({"city": "San Jose", "zip": "95113"}));
    assert_eq!(response.status(), 204);
}

#[tokio::test]
async fn list_billing_invoices_with_a_date_range() {
    let (server, example) = serve_example("list_billing_invoices").await;
    let list = client(&server)
        .list_billing_invoices()
        .account_id("me")
        .from(date("2026-01-01"))
        .to(date("2026-06-30"))
        .send()
        .await
        .unwrap();
    assert_request(
        &server.single_request(),
        "GET",
        "/accounts/me/billing/invoices",
        Some("from=2026-01-01&to=2026-06-30"),
    );
    let invoice = &list.invoices[0];
    // Money decodes exactly, not through f64.
    assert_eq!(
        invoice.total_amount.unwrap().to_string(),
        example.as_ref().unwrap()["invoices"][0]["total_amount"].to_string()
    );
    assert!(invoice.status.as_ref().is_some_and(InvoiceStatus::is_known));
    assert_decodes(&list.into_inner(), example);
}

#[tokio::test]
async fn get_invoice_details() {
    let (server, example) = serve_example("get_invoice_details").await;
    let invoice = client(&server).get_invoice_details().account_id("me").invoice_id("inv-9").send().await.unwrap();
    assert_request(&server.single_request(), "GET", "/accounts/me/billing/invoices/inv-9", None);
    assert!(!invoice.invoice_items.is_empty());
    assert_decodes(&invoice.into_inner(), example);
}

#[tokio::test]
async fn get_account_plans() {
    let (server, example) = serve_example("get_account_plans").await;
    let plans = client(&server).get_account_plans().account_id("sub-1").send().await.unwrap();
    assert_request(&server.single_request(), "GET", "/accounts/sub-1/plans", None);
    assert!(plans.plan_base.is_some());
    assert_decodes(&plans.into_inner(), example);
}

fn seed(name: &str) -> Value {
    let path = format!("{}/fixtures/seeds/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn subscribe_plan() {
    let (server, example) = serve_example("subscribe_plan").await;
    let body = types::SubscribePlanRequest::builder()
        .contact(
            types::PlanContact::builder()
                .first_name("Ada")
                .last_name("Lovelace")
                .email("ada@example.com")
                .phone_number("+1 555 0100")
                .address("1 Main St")
                .city("San Jose")
                .state("CA")
                .zip("95113")
                .country("US")
                .employee_count(Some(EmployeeCount::N11To50)),
        )
        .plan_base(types::BasePlanOrder::builder().type_("monthly").hosts(Some(10)));
    let plans = client(&server).subscribe_plan().account_id("sub-1").body(body).send().await.unwrap();
    let req = server.single_request();
    assert_request(&req, "POST", "/accounts/sub-1/plans", None);
    let sent = req.json();
    assert_eq!(sent["plan_base"], json!({"type": "monthly", "hosts": 10}));
    assert_eq!(sent["contact"]["employee_count"], "11-50");
    assert_eq!(plans.status(), 201);
    assert_decodes(&plans.into_inner(), example);
}

#[tokio::test]
async fn update_addon_plan() {
    let (server, _) = serve_example("update_addon_plan").await;
    let body = types::UpdateAddonPlanRequest::builder().type_("webinar500_monthly").hosts(2);
    client(&server).update_addon_plan().account_id("sub-1").body(body).send().await.unwrap();
    let req = server.single_request();
    assert_request(&req, "PUT", "/accounts/sub-1/plans/addons", None);
    assert_eq!(req.json(), json!({"type": "webinar500_monthly", "hosts": 2}));
}

#[tokio::test]
async fn subscribe_addon_plan() {
    let (server, example) = serve_example("subscribe_addon_plan").await;
    let addon = types::AddonPlanSubscription::builder()
        .type_("webinar500_monthly")
        .hosts(18)
        .service_effective_date(Some(date("2026-12-01")));
    let addon: types::AddonPlanSubscription = addon.try_into().unwrap();
    let body = types::SubscribeAddonPlanRequest::AddonPlanSubscription(addon);
    let plans = client(&server).subscribe_addon_plan().account_id("sub-1").body(body).send().await.unwrap();
    let req = server.single_request();
    assert_request(&req, "POST", "/accounts/sub-1/plans/addons", None);
    assert_eq!(req.json(), json!({"type": "webinar500_monthly", "hosts": 18, "service_effective_date": "2026-12-01"}));
    assert_decodes(&plans.into_inner(), example);
}

#[tokio::test]
async fn cancel_addon_plans() {
    let (server, _) = serve_example("cancel_addon_plans").await;
    let body = types::CancelAddonPlansRequest::builder()
        .action(types::CancelAction::Cancel)
        .type_("webinar500_monthly")
        .reason(Some(types::CancelReason::try_from(4).unwrap()))
        .comment(Some("Too expensive".to_owned()));
    client(&server).cancel_addon_plans().account_id("sub-1").body(body).send().await.unwrap();
    let req = server.single_request();
    assert_request(&req, "PATCH", "/accounts/sub-1/plans/addons/status", None);
    assert_eq!(
        req.json(),
        json!({"action": "cancel", "type": "webinar500_monthly", "reason": 4, "comment": "Too expensive"})
    );
}

#[tokio::test]
async fn update_base_plan() {
    let (server, _) = serve_example("update_base_plan").await;
    let body = types::UpdateBasePlanRequest::builder().type_("monthly").hosts(Some(12));
    client(&server).update_base_plan().account_id("sub-1").body(body).send().await.unwrap();
    let req = server.single_request();
    assert_request(&req, "PUT", "/accounts/sub-1/plans/base", None);
    assert_eq!(req.json(), json!({"type": "monthly", "hosts": 12}));
}

#[tokio::test]
async fn cancel_base_plan() {
    let (server, _) = serve_example("cancel_base_plan").await;
    let body = types::CancelBasePlanRequest::builder()
        .action(types::CancelAction::Cancel)
        .reason(Some(types::CancelReason::try_from(6).unwrap()));
    client(&server).cancel_base_plan().account_id("sub-1").body(body).send().await.unwrap();
    let req = server.single_request();
    assert_request(&req, "PATCH", "/accounts/sub-1/plans/base/status", None);
    assert_eq!(req.json(), json!({"action": "cancel", "reason": 6}));
}

#[tokio::test]
async fn get_plan_usage() {
    let (server, example) = serve_example("get_plan_usage").await;
    let usage = client(&server).get_plan_usage().account_id("me").send().await.unwrap();
    assert_request(&server.single_request(), "GET", "/accounts/me/plans/usage", None);
    assert!(usage.plan_base.is_some());
    assert_decodes(&usage.into_inner(), example);
}

#[tokio::test]
async fn download_invoice_file_uses_the_replacement_path() {
    let server = TestServer::start(|_| Reply::bytes(200, "application/pdf", &b"%PDF-1.7\n"[..])).await;
    let response = client(&server).download_invoice_file().invoice_id("inv-9").send().await.unwrap();
    assert_request(&server.single_request(), "GET", "/billing/invoices/inv-9/download", None);
    let received: Vec<u8> = response.into_inner().into_inner().map_ok(|b| b.to_vec()).try_concat().await.unwrap();
    assert_eq!(received, b"%PDF-1.7\n");
}

#[tokio::test]
async fn a_download_streams_bytes() {
    let pdf: Vec<u8> = b"%PDF-1.7\n".iter().copied().chain((0..200_000u32).map(|i| (i % 251) as u8)).collect();
    let body = pdf.clone();
    let server = TestServer::start(move |_| Reply::bytes(200, "application/pdf", body.clone())).await;
    let response = client(&server).download_invoice_file().invoice_id("inv-9").send().await.unwrap();
    assert_request(&server.single_request(), "GET", "/billing/invoices/inv-9/download", None);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let mut stream = response.into_inner().into_inner();
    let mut received = Vec::new();
    let mut chunks = 0;
    while let Some(chunk) = stream.try_next().await.unwrap() {
        chunks += 1;
        received.extend_from_slice(&chunk);
    }
    assert_eq!(received, pdf);
    assert!(chunks >= 1);
}

// ---- errors ----------------------------------------------------------------

#[tokio::test]
async fn error_statuses_decode_into_the_typed_zoom_error() {
    // 401 and 429 are handled by the runtime (token renewal, rate limits):
    // see runtime_*.rs. Here: the plain typed decoding of Zoom's error body.
    for (status, name) in [(400, "BadRequest"), (403, "Forbidden"), (404, "NotFound")] {
        let example = error_example(name);
        let body = example.clone();
        let server = TestServer::start(move |_| Reply::json(status, &body)).await;
        let err: Error = client(&server).get_plan_usage().account_id("sub-x").send().await.unwrap_err();
        let Error::Api(api) = &err else { panic!("{status}: {err:?}") };
        assert_eq!(api.status.as_u16(), status);
        assert_eq!(api.operation, Operation::GetPlanUsage);
        assert_eq!(api.code, example["code"].as_i64(), "{status}");
        assert_eq!(api.message, example["message"].as_str().unwrap(), "{status}");
        assert_eq!(err.zoom_code(), example["code"].as_i64());
        assert!(!err.is_retryable());
        assert_eq!(server.requests().len(), 1, "a {status} is not retried");
    }
}

#[tokio::test]
async fn validation_errors_carry_their_fields() {
    let body = json!({"code": 300, "message": "Validation Failed.", "errors": [{"field": "contact.email", "message": "Invalid field."}]});
    let server = TestServer::start(move |_| Reply::json(400, &body)).await;
    let request = types::UpdateBasePlanRequest::builder().type_("monthly");
    let err: Error = client(&server).update_base_plan().account_id("sub-1").body(request).send().await.unwrap_err();
    let Error::Api(api) = &err else { panic!("{err:?}") };
    assert_eq!(api.code, Some(300));
    assert_eq!(api.errors[0].field.as_deref(), Some("contact.email"));
    assert!(err.to_string().contains("contact.email"), "{err}");
}

#[tokio::test]
async fn a_missing_required_parameter_is_refused_before_sending() {
    let server = TestServer::start(|_| Reply::empty(500)).await;
    let err = client(&server).get_plan_usage().send().await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { operation: Operation::GetPlanUsage, message } if message.contains("account_id")),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("get_plan_usage: invalid request, not sent"), "{err}");
    assert!(server.requests().is_empty());
}

// ---- forward compatibility and the seeds -------------------------------------

#[tokio::test]
async fn unknown_fields_and_values_still_decode() {
    let body = json!({
        "currency": "USD",
        "a_field_zoom_added_later": {"x": 1},
        "invoices": [{"id": "i1", "status": "Refunded", "total_amount": 12.345, "due_date": "2026-01-31"}]
    });
    let server = TestServer::start(move |_| Reply::json(200, &body)).await;
    let list = client(&server).list_billing_invoices().account_id("me").send().await.unwrap();
    let invoice = &list.invoices[0];
    assert_eq!(invoice.status, Some(InvoiceStatus::Other("Refunded".to_owned())));
    assert_eq!(invoice.status.as_ref().unwrap().as_str(), "Refunded");
    assert_eq!(invoice.total_amount.unwrap(), Decimal::from_str("12.345").unwrap());
}

#[test]
fn seed_003_plan_usage_sample_decodes() {
    let usage: types::PlanUsage = serde_json::from_value(seed("003-plan-usage.json")).unwrap();
    let base = usage.plan_base.unwrap();
    assert_eq!((base.type_.as_deref(), base.hosts, base.usage), (Some("monthly"), Some(2), Some(1)));
    assert_eq!(usage.plan_webinar[0].type_.as_deref(), Some("webinar1000"));
    assert_eq!(usage.plan_recording.unwrap().free_storage.as_deref(), Some("3 GB"));
}

/// Same keys, same nesting, same JSON kinds; `"<integer>"` stands for a number.
fn assert_same_shape(built: &Value, seed: &Value, at: &str) {
    match (built, seed) {
        (Value::Object(b), Value::Object(s)) => {
            let bk: Vec<&String> = b.keys().collect();
            let sk: Vec<&String> = s.keys().collect();
            assert_eq!(bk, sk, "keys differ at {at}");
            for (k, v) in s {
                assert_same_shape(&b[k], v, &format!("{at}/{k}"));
            }
        }
        (Value::Array(b), Value::Array(s)) => {
            assert_eq!(b.len(), s.len(), "array length differs at {at}");
            for (i, (bv, sv)) in b.iter().zip(s).enumerate() {
                assert_same_shape(bv, sv, &format!("{at}/{i}"));
            }
        }
        (Value::Number(_), Value::String(s)) if s == "<integer>" => {}
        (Value::String(_), Value::String(s)) if s == "<string>" => {}
        _ => panic!("kind differs at {at}: built {built}, seed {seed}"),
    }
}

#[test]
fn seed_002_body_builds_with_the_typed_api() {
    fn order(t: &str, hosts: i64) -> types::PlanOrder {
        types::PlanOrder::builder().type_(t).hosts(Some(hosts)).try_into().unwrap()
    }
    fn orders(t: &str) -> Vec<types::PlanOrder> {
        vec![order(t, 1), order(t, 2)]
    }
    let date = Some(date("2026-12-01"));
    let body: types::SubscribePlanRequest = types::SubscribePlanRequest::builder()
        .contact(
            types::PlanContact::builder()
                .address("1 Main St")
                .city("San Jose")
                .country("US")
                .email("ada@example.com")
                .first_name("Ada")
                .last_name("Lovelace")
                .phone_number("+1 555 0100")
                .state("CA")
                .zip("95113")
                .apt(Some("4B".to_owned()))
                .employee_count(Some(EmployeeCount::N51To250)),
        )
        .plan_base(types::BasePlanOrder::builder().type_("monthly").hosts(Some(10)))
        .subscription_options(Some(
            types::SubscriptionOptions::builder()
                .paid_period_start_date(date)
                .service_effective_date(date)
                .try_into()
                .unwrap(),
        ))
        .plan_audio(Some(
            types::AudioPlanOrder::builder()
                .callout_countries(Some("US,CA".to_owned()))
                .ddi_numbers(Some(5))
                .premium_countries(Some("GB".to_owned()))
                .tollfree_countries(Some("US".to_owned()))
                .type_("audio_monthly")
                .try_into()
                .unwrap(),
        ))
        .plan_large_meeting(orders("large500_monthly"))
        .plan_phone(Some(
            serde_json::from_value(json!({
                "plan_base": {"callout_countries": "US", "type": "phone_base"},
                "plan_calling": [{"hosts": 1, "type": "a"}, {"hosts": 2, "type": "b"}],
                "plan_calling_addons": [{"hosts": 1, "type": "a"}, {"hosts": 2, "type": "b"}],
                "plan_number": [{"hosts": 1, "type": "a"}, {"hosts": 2, "type": "b"}]
            }))
            .unwrap(),
        ))
        .plan_zcc(Some(
            serde_json::from_value(json!({
                "plan_package": {"callout_countries": "US", "type": "zcc"},
                "plan_recording": [{"type": "r1"}, {"type": "r2"}],
                "plan_usage": [{"hosts": 1, "type": "a"}, {"hosts": 2, "type": "b"}],
                "plan_phone_number": [{"hosts": 1, "type": "a"}, {"hosts": 2, "type": "b"}]
            }))
            .unwrap(),
        ))
        .plan_recording(Some("cmr_monthly_commitment_40".to_owned()))
        .plan_room_connector(Some(order("roomconnector_monthly", 1)))
        .plan_webinar(orders("webinar500_monthly"))
        .plan_zoom_events(orders("zoomevents500_monthly"))
        .plan_zoom_rooms(Some(order("zroom_monthly", 1)))
        .plan_sdk_cmr(Some(order("vsdk_cmr_monthly_100", 1)))
        .plan_whiteboard(Some(order("zwb_monthly", 1)))
        .plan_whiteboard_plus(Some(order("zwb_plus_monthly", 1)))
        .plan_zoom_iq(Some(order("ziq_sales_monthly", 1)))
        .plan_bundle(Some(
            serde_json::from_value(json!([{"type": "b1", "hosts": 1}, {"type": "b2", "hosts": 2}])).unwrap(),
        ))
        .plan_zoom_one(orders("zoom_one_monthly"))
        .plan_zwr(Some(order("zwr_yearly", 1)))
        .plan_ztransl(Some(order("ztransl_monthly", 1)))
        .plan_zsched(Some(order("zsched_yearly", 1)))
        .plan_mesh(Some(order("mesh_monthly", 1)))
        .plan_znode(Some(
            serde_json::from_value(json!({
                "plan_znode_base": {"type": "znode_monthly", "hosts": 1},
                "plan_zphybrid": {"type": "zphybrid_monthly", "hosts": 1},
                "plan_zmhybrid": {"type": "zm_hybrid_quarterly", "hosts": 1},
                "plan_mchybrid": {"type": "zmc_monthly", "hosts": 1},
                "plan_rchybrid": {"type": "zrc_monthly", "hosts": 1}
            }))
            .unwrap(),
        ))
        .plan_workforce_management(Some(order("zm_wf_mgt_quarterly", 1)))
        .plan_audio_us_ca(Some(order("zobp_usca_monthly_unlimited", 1)))
        .try_into()
        .unwrap();
    let built = serde_json::to_value(&body).unwrap();
    let seed = seed("002-subscribe-plan-request.json");
    // Key order is not part of JSON; compare sorted.
    assert_same_shape(&sort(built), &sort(seed), "");
}

fn sort(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: std::collections::BTreeMap<String, Value> =
                map.into_iter().map(|(k, v)| (k, sort(v))).collect();
            Value::Object(sorted.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sort).collect()),
        other => other,
    }
}
