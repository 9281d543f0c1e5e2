//! What Zoom really sends and accepts, checked through the generated client and
//! on the spec itself: dates that are date-times, one-or-many plan entries, the
//! replacement download path, typed request constraints and the later plan keys.
//! Servers run on 127.0.0.1 only.

mod support;

use serde_json::{Value, json};
use support::{Reply, TestServer};
use zoom_billing::Operation;
use zoom_billing::{Client, Error, ZoomDate, types};
use zoom_billing_codegen::{SPEC_PATH, Spec, workspace_root};

fn spec() -> Value {
    Spec::load(&workspace_root().unwrap().join(SPEC_PATH)).unwrap().source.value
}

fn client(server: &TestServer) -> Client {
    Client::builder().base_url(&server.base_url).bearer_token("test-token").build().unwrap()
}

/// The shape of Zoom's Postman sample for GET plans (collection "Zoom Billing Master
/// API"), whose plan dates are date-times: every documented date field of every plan
/// kind, with the `2021-09-07T00:00:00Z` form the sample uses.
const POSTMAN_GET_PLANS: &str = r#"{
  "plan_audio": {"callout_countries": "US,CA", "ddi_numbers": 2, "next_invoice_date": "2021-10-07T00:00:00Z",
    "premium_countries": "DE", "service_effective_date": "2021-09-07T00:00:00Z", "status": "active",
    "tollfree_countries": "US", "type": "audio_monthly"},
  "plan_base": {"hosts": 88, "included_minutes": 0, "next_invoice_date": "2021-10-07T00:00:00Z",
    "overage_price": 0, "service_effective_date": "2021-09-07T00:00:00Z", "status": "active", "type": "monthly"},
  "plan_large_meeting": [{"hosts": 2, "next_invoice_date": "2021-10-07T00:00:00Z",
    "service_effective_date": "2021-09-07T00:00:00Z", "status": "active", "type": "large500_monthly"}],
  "plan_phone": {
    "plan_base": {"callout_countries": "US", "next_invoice_date": "2021-10-07T00:00:00Z",
      "service_effective_date": "2021-09-07T00:00:00Z", "status": "active", "type": "phone_monthly"},
    "plan_calling": [{"hosts": 3, "next_invoice_date": "2021-10-07T00:00:00Z",
      "service_effective_date": "2021-09-07T00:00:00Z", "status": "expired", "type": "callingplan_monthly"}],
    "plan_number": [{"hosts": 1, "next_invoice_date": "2021-10-07T00:00:00Z",
      "service_effective_date": "2021-09-07T00:00:00Z", "status": "cancelled", "type": "phonenumber_monthly"}]
  },
  "plan_recording": "cmr_monthly_commitment_40",
  "plan_recording_next_invoice_date": "2021-10-07T00:00:00Z",
  "plan_recording_service_effective_date": "2021-09-07T00:00:00Z",
  "plan_recording_status": "active",
  "plan_room_connector": {"hosts": 1, "next_invoice_date": "2021-10-07T00:00:00Z",
    "service_effective_date": "2021-09-07T00:00:00Z", "status": "active", "type": "roomconnector_monthly"},
  "plan_webinar": [{"hosts": 88, "next_invoice_date": "2021-10-07T00:00:00Z",
    "service_effective_date": "2021-09-07T00:00:00Z", "status": "active", "type": "webinar500_monthly"}],
  "plan_zoom_rooms": {"hosts": 1, "next_invoice_date": "2021-10-07T00:00:00Z",
    "service_effective_date": "2021-09-07T00:00:00Z", "status": "active", "type": "zroom_monthly"}
}"#;

#[tokio::test]
async fn postman_get_plans_sample_decodes_through_the_client() {
    let server = TestServer::start(|_| Reply::bytes(200, "application/json", POSTMAN_GET_PLANS)).await;
    let plans = client(&server).get_account_plans().account_id("sub-1").send().await.unwrap().into_inner();

    let base = plans.plan_base.as_ref().unwrap();
    let effective = base.service_effective_date.unwrap();
    assert_eq!(effective.to_string(), "2021-09-07T00:00:00Z", "kept as sent");
    assert_eq!(effective.date(), chrono::NaiveDate::from_ymd_opt(2021, 9, 7).unwrap());
    let calling = &plans.plan_phone.as_ref().unwrap().plan_calling[0];
    assert_eq!(calling.next_invoice_date.unwrap().date().to_string(), "2021-10-07");
    assert_eq!(plans.plan_recording_service_effective_date.unwrap().to_string(), "2021-09-07T00:00:00Z");

    // Re-encoded, every date is the text Zoom sent.
    let again = serde_json::to_value(&plans).unwrap();
    let sent: Value = serde_json::from_str(POSTMAN_GET_PLANS).unwrap();
    assert_eq!(again["plan_audio"]["service_effective_date"], sent["plan_audio"]["service_effective_date"]);
    assert_eq!(again["plan_webinar"][0]["next_invoice_date"], sent["plan_webinar"][0]["next_invoice_date"]);
}

#[test]
fn every_response_date_accepts_both_forms() {
    // Plain dates (the documented form) still decode to the same calendar dates.
    let plain = POSTMAN_GET_PLANS.replace("T00:00:00Z", "");
    let plans: types::AccountPlans = serde_json::from_str(&plain).unwrap();
    let date = plans.plan_base.unwrap().service_effective_date.unwrap();
    assert!(matches!(date, ZoomDate::Date(_)));
    assert_eq!(date.to_string(), "2021-09-07");

    // Invoices, renewals and reports too.
    let invoice: types::InvoiceDetails = serde_json::from_value(json!({
        "invoice_date": "2020-08-07T00:00:00Z", "due_date": "2020-08-07", "target_date": "2020-08-07T08:00:00+08:00",
        "invoice_items": [{"start_date": "2020-08-07T00:00:00Z", "end_date": "2021-08-06"}]
    }))
    .unwrap();
    assert_eq!(invoice.target_date.unwrap().date().to_string(), "2020-08-07");
    let renewals: types::RenewalList = serde_json::from_value(json!({"results": [{
        "next_renewal_date": "2024-08-07T00:00:00Z",
        "renewable_subscriptions": [{"next_invoice_date": "2024-08-07T00:00:00Z", "service_effective_date": "2023-08-07"}]
    }]}))
    .unwrap();
    assert_eq!(renewals.results[0].next_renewal_date.unwrap().date().to_string(), "2024-08-07");
    let report: types::InvoiceReport =
        serde_json::from_value(json!({"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-01-31"})).unwrap();
    assert_eq!(report.start_date.unwrap().date().to_string(), "2024-01-01");
}

/// No schema reachable from a response still says `format: date` (a date-time there
/// would fail the whole response); requests keep `format: date`.
#[test]
fn only_request_schemas_use_format_date() {
    let spec = spec();
    let mut offenders = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                let mut seen = Vec::new();
                walk(&spec, response, &mut seen, &mut |node, at| {
                    if node.get("format") == Some(&json!("date")) {
                        offenders.push(format!("{method} {path} {status}: {at}"));
                    }
                });
            }
        }
    }
    assert!(offenders.is_empty(), "response dates with `format: date`: {offenders:#?}");
}

/// `Money` is decoded exactly only when serde_json hands it over directly; serde's
/// buffering of untagged (`oneOf`/`anyOf`) values turns numbers into `f64` first.
#[test]
fn money_is_never_inside_one_of() {
    let spec = spec();
    let mut offenders = Vec::new();
    for (name, schema) in spec["components"]["schemas"].as_object().unwrap() {
        for key in ["oneOf", "anyOf"] {
            if let Some(alternatives) = schema.get(key) {
                let mut seen = Vec::new();
                walk(&spec, alternatives, &mut seen, &mut |node, at| {
                    if node.get("$ref") == Some(&json!("#/components/schemas/Money")) {
                        offenders.push(format!("{name}: {at}"));
                    }
                });
            }
        }
    }
    assert!(offenders.is_empty(), "Money inside oneOf/anyOf: {offenders:?}");
}

/// The generator replaces `{type: string, format: zoom-date}` whole, so an `x-` key
/// beside it would silently leave a plain `String`.
#[test]
fn zoom_dates_are_generated_as_zoom_date() {
    let spec = spec();
    let mut seen = Vec::new();
    let mut count = 0;
    walk(&spec, &spec, &mut seen, &mut |node, at| {
        if node.get("format") == Some(&json!("zoom-date")) {
            count += 1;
            let extra: Vec<_> = node.as_object().unwrap().keys().filter(|k| k.starts_with("x-")).collect();
            assert!(extra.is_empty(), "{at}: {extra:?} beside format: zoom-date");
        }
    });
    assert!(count >= 25, "only {count} zoom-date fields");
    let client_rs =
        std::fs::read_to_string(workspace_root().unwrap().join("zoom-billing/src/generated/client.rs")).unwrap();
    assert_eq!(client_rs.matches("pub next_invoice_date: ::std::option::Option<crate::ZoomDate>").count(), 6);
}

/// Depth-first over a JSON document, following local `$ref`s once each.
fn walk<'a>(root: &'a Value, node: &'a Value, seen: &mut Vec<String>, f: &mut dyn FnMut(&'a Value, &str)) {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                if !seen.contains(r) {
                    seen.push(r.clone());
                    if let Some(target) = root.pointer(r.trim_start_matches('#')) {
                        f(target, r);
                        walk(root, target, seen, f);
                    }
                }
                return;
            }
            f(node, "");
            for value in map.values() {
                walk(root, value, seen, f);
            }
        }
        Value::Array(items) => {
            for value in items {
                walk(root, value, seen, f);
            }
        }
        _ => {}
    }
}

#[test]
fn room_connector_and_zwr_usage_accept_one_or_many() {
    let item = json!({"type": "roomconnector_monthly", "hosts": 2, "usage": 1, "pending": 0});
    let one: types::PlanUsage = serde_json::from_value(json!({"plan_room_connector": item, "plan_zwr": item})).unwrap();
    assert!(matches!(one.plan_room_connector, Some(types::PlanUsageItemOrList::PlanUsageItem(_))));
    assert!(matches!(one.plan_zwr, Some(types::PlanUsageItemOrList::PlanUsageItem(_))));
    let many: types::PlanUsage =
        serde_json::from_value(json!({"plan_room_connector": [item, item], "plan_zwr": [item]})).unwrap();
    match many.plan_room_connector {
        Some(types::PlanUsageItemOrList::Array(list)) => assert_eq!(list.len(), 2),
        other => panic!("expected a list, got {other:?}"),
    }
}

#[test]
fn the_old_download_path_is_deprecated_in_favour_of_the_new_one() {
    let spec = spec();
    let old = &spec["paths"]["/api/download/billing/invoices/{invoiceId}"]["get"];
    assert_eq!(old["deprecated"], true);
    let description = old["description"].as_str().unwrap();
    assert!(description.contains("2025-01-09") && description.contains("download_invoice_file"), "{description}");
    let new = &spec["paths"]["/billing/invoices/{invoiceId}/download"]["get"];
    assert_eq!(new["operationId"], "download_invoice_file");
    assert_eq!(new["x-zoom-operation-id"], "downloadInvoicePDFFile");
    assert!(new["x-zoom-uncertain"].as_str().is_some_and(|u| u.contains("rate limits")));
    let (old_meta, new_meta) = (Operation::DownloadInvoicePdf.meta(), Operation::DownloadInvoiceFile.meta());
    assert_eq!(old_meta.scopes, new_meta.scopes);
    assert_eq!(old_meta.rate_limit, new_meta.rate_limit);
}

#[tokio::test]
async fn the_new_download_path_is_served_by_fake_zoom() {
    use futures::TryStreamExt;
    let fake = fake_zoom::FakeZoom::start().await.unwrap();
    fake.set_download_size(1000);
    let client = Client::builder().base_url(fake.base_url()).bearer_token(fake_zoom::FIXED_TOKEN).build().unwrap();
    let response = client.download_invoice_file().invoice_id("inv-1").send().await.unwrap();
    let bytes: Vec<u8> = response.into_inner().into_inner().map_ok(|b| b.to_vec()).try_concat().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    assert_eq!(bytes.len(), 1000);
    let calls = fake.requests_to("/download");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].path, "/v2/billing/invoices/inv-1/download");
}

#[test]
fn delete_invoice_report_success_is_marked_uncertain() {
    let spec = spec();
    let op = &spec["paths"]["/accounts/billing/invoice_reports/{invoiceReportId}"]["delete"];
    let uncertain = op["responses"]["204"]["x-zoom-uncertain"].as_str().unwrap();
    assert!(uncertain.contains("No public source") && uncertain.contains("200"), "{uncertain}");
}

#[test]
fn constrained_request_values_cannot_be_built_out_of_range() {
    use types::{CancelReason, RenewalInterval, RenewalPageSize};
    for ok in [30, 60, 90] {
        assert_eq!(*RenewalInterval::try_from(ok).unwrap(), ok);
    }
    for bad in [0, 29, 45, 91, -30] {
        assert!(RenewalInterval::try_from(bad).is_err(), "interval {bad}");
    }
    assert!((1..=49).all(|n| RenewalPageSize::try_from(n).is_ok()));
    for bad in [0, 50, 300, -1] {
        assert!(RenewalPageSize::try_from(bad).is_err(), "page_size {bad}");
    }
    assert!((1..=6).all(|n| CancelReason::try_from(n).is_ok()));
    for bad in [0, 7, -1] {
        assert!(CancelReason::try_from(bad).is_err(), "reason {bad}");
    }
    // Both cancel bodies use it; a value Zoom rejects does not even deserialize.
    let body = json!({"action": "cancel", "type": "webinar500_monthly", "reason": 7});
    assert!(serde_json::from_value::<types::CancelAddonPlansRequest>(body).is_err());
    assert!(serde_json::from_value::<types::CancelBasePlanRequest>(json!({"action": "cancel", "reason": 0})).is_err());
    let built = types::CancelBasePlanRequest::builder()
        .action(types::CancelAction::Cancel)
        .reason(Some(CancelReason::try_from(6).unwrap()));
    let built: types::CancelBasePlanRequest = built.try_into().unwrap();
    assert_eq!(serde_json::to_value(built).unwrap(), json!({"action": "cancel", "reason": 6}));
}

#[tokio::test]
async fn an_out_of_range_query_value_is_refused_before_anything_is_sent() {
    let server = TestServer::start(|_| Reply::json(200, &json!({"results": []}))).await;
    let client = client(&server);
    let err = client.list_upcoming_renewals().interval(45i64).send().await.unwrap_err();
    assert!(matches!(&err, Error::InvalidRequest { message, .. } if message.contains("interval")), "refused: {err:?}");
    let err = client.list_upcoming_renewals().page_size(50i64).send().await.unwrap_err();
    assert!(err.to_string().contains("page_size"), "{err}");
    assert!(server.requests().is_empty(), "nothing went over the wire");

    client.list_upcoming_renewals().interval(90i64).page_size(49i64).send().await.unwrap();
    assert_eq!(server.single_request().query.as_deref(), Some("interval=90&page_size=49"));
}

#[test]
fn later_plan_keys_are_in_the_subscribe_request_and_response() {
    let order = json!({"type": "zoe_prem_jp_yearly", "hosts": 5});
    let request: types::SubscribePlanRequest = serde_json::from_value(json!({
        "contact": {"first_name": "A", "last_name": "B", "email": "a@example.com", "phone_number": "1",
            "address": "x", "city": "y", "state": "CA", "zip": "9", "country": "US"},
        "plan_base": {"type": "monthly", "hosts": 1},
        "plan_zoom_one_premier": [order],
        "plan_ai_expert_assist": order,
        "plan_zoom_clips_plus": {"type": "zm_clips_plus_monthly", "hosts": 1},
        "plan_package_list": [{"package": "p1"}]
    }))
    .unwrap();
    let sent = serde_json::to_value(&request).unwrap();
    for key in ["plan_zoom_one_premier", "plan_ai_expert_assist", "plan_zoom_clips_plus", "plan_package_list"] {
        assert!(sent.get(key).is_some(), "{key} dropped from the request");
    }
    let subscribed: types::SubscribedPlans = serde_json::from_value(json!({
        "plan_zoom_one_premier": [order], "plan_ai_expert_assist": order, "plan_zoom_clips_plus": order,
        "plan_package_list": {"anything": true}
    }))
    .unwrap();
    assert!(subscribed.plan_zoom_one_premier.is_some() && subscribed.plan_package_list.is_some());
}

#[test]
fn unsourced_fields_are_marked_uncertain() {
    let spec = spec();
    let schemas = &spec["components"]["schemas"];
    let subscribed = schemas["SubscribedPlans"]["x-zoom-uncertain"].as_str().unwrap_or("");
    assert!(subscribed.contains("plan_cloud_recording"), "{subscribed}");
    let plans = schemas["AccountPlans"]["x-zoom-uncertain"].as_str().unwrap_or("");
    assert!(plans.contains("plan_tchybrid") && plans.contains("plan_cmrhybrid"), "{plans}");
}
