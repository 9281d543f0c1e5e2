//! A walk through every operation of the spec, one line each: `ok <operationId> ...`
//! or the error. Operations Zoom deprecated are left out: their replacements are called.
//!
//! With no configuration it starts the in-process fake Zoom billing server
//! on 127.0.0.1 (no Zoom account needed):
//!
//! ```text
//! cargo run --example tour
//! ```
//!
//! With `ZOOM_BASE_URL` set it runs against that server instead, with
//! `ZOOM_ACCESS_TOKEN` or the Server-to-Server variables (`ZOOM_ACCOUNT_ID`,
//! `ZOOM_CLIENT_ID`, `ZOOM_CLIENT_SECRET`, optionally `ZOOM_OAUTH_HOST`), paced by
//! Zoom's limits; `ZOOM_TIME_SCALE` runs the pacing that many times faster, to match
//! a `fake-zoom --enforce-limits --time-scale N` server. A wait for a rate limit of a
//! second or more is printed as it starts. Against real Zoom this subscribes plans and
//! spends daily quotas: point it at a test server. `TOUR_ACCOUNT_ID` picks the sub
//! account (default `sub-1`).

use std::fmt::Display;

use zoom_billing::{Client, RateLimitPolicy, types};

/// Print and record one operation's line.
fn line<T, E: Display>(
    out: &mut Vec<String>,
    operation: &str,
    result: Result<T, E>,
    detail: impl FnOnce(&T) -> String,
) -> Option<T> {
    let (text, value) = match result {
        Ok(value) => (format!("ok {operation} {}", detail(&value)), Some(value)),
        Err(e) => (format!("error {operation}: {e}"), None),
    };
    println!("{text}");
    out.push(text);
    value
}

/// An optional value for the tour's output: the value, or `-`.
fn opt<T: Display>(value: &Option<T>) -> String {
    value.as_ref().map_or_else(|| "-".to_owned(), ToString::to_string)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Pacing waits of a second or more are INFO events: show them as they start.
    tracing_subscriber::fmt().with_max_level(tracing::Level::INFO).with_target(false).init();
    let (client, _fake) = match std::env::var("ZOOM_BASE_URL") {
        Ok(_) => {
            let scale = std::env::var("ZOOM_TIME_SCALE").ok().map(|s| s.parse::<f64>()).transpose()?;
            let policy = RateLimitPolicy::default().with_time_scale(scale.unwrap_or(1.0));
            (zoom_billing::ClientBuilder::from_env()?.rate_limit_policy(policy).build()?, None)
        }
        Err(_) => {
            let fake = fake_zoom::FakeZoom::start().await?;
            fake.seed_reports(1);
            let client = Client::builder()
                .base_url(fake.base_url())
                .oauth_host(fake.oauth_host())
                .server_to_server(fake_zoom::ACCOUNT_ID, fake_zoom::CLIENT_ID, fake_zoom::CLIENT_SECRET)
                // The fake has no limits; real Zoom allows e.g. one invoice PDF per 30 minutes.
                .rate_limit_policy(RateLimitPolicy::off())
                .build()?;
            println!("# fake Zoom billing server at {}", fake.base_url());
            (client, Some(fake))
        }
    };
    let account = std::env::var("TOUR_ACCOUNT_ID").unwrap_or_else(|_| "sub-1".to_owned());
    let lines = tour(&client, &account).await?;
    if lines.iter().any(|l| !l.starts_with("ok ")) {
        return Err("some operations failed".into());
    }
    Ok(())
}

/// Call every operation Zoom has not deprecated; one line each.
pub async fn tour(c: &Client, account: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();

    // Plans: subscribe, read, change, add an add-on, usage, cancel.
    let subscribe: types::SubscribePlanRequest = serde_json::from_value(serde_json::json!({
        "contact": {"first_name": "Jill", "last_name": "Chill", "email": "jill.chill@example.com",
            "phone_number": "+1 800 000 0000", "address": "55 Almaden Blvd", "city": "San Jose",
            "state": "CA", "zip": "95113", "country": "US", "company_name": "Example"},
        "plan_base": {"type": "monthly", "hosts": 10}
    }))?;
    let r = c.subscribe_plan().account_id(account).body(subscribe).await;
    line(&mut out, "subscribe_plan", r, |v| {
        format!("base plan {}", v.plan_base.as_ref().map_or("-".into(), |b| opt(&b.type_)))
    });
    let r = c.get_account_plans().account_id(account).await;
    line(&mut out, "get_account_plans", r, |v| match &v.plan_base {
        Some(b) => format!("base plan {} with {} hosts", opt(&b.type_), opt(&b.hosts)),
        None => "no base plan".to_owned(),
    });
    let r = c
        .update_base_plan()
        .account_id(account)
        .body(types::UpdateBasePlanRequest::builder().type_("monthly").hosts(12))
        .await;
    line(&mut out, "update_base_plan", r, |v| format!("HTTP {}", v.status().as_u16()));
    let addon = types::AddonPlanSubscription::builder().type_("webinar500_monthly").hosts(2);
    let r = c.subscribe_addon_plan().account_id(account).body(addon).await;
    line(&mut out, "subscribe_addon_plan", r, |v| format!("{} webinar add-on(s)", v.plan_webinar.len()));
    let r = c
        .update_addon_plan()
        .account_id(account)
        .body(types::UpdateAddonPlanRequest::builder().type_("webinar500_monthly").hosts(3))
        .await;
    line(&mut out, "update_addon_plan", r, |v| format!("HTTP {}", v.status().as_u16()));
    let r = c.get_plan_usage().account_id(account).await;
    line(&mut out, "get_plan_usage", r, |v| {
        let base = v.plan_base.as_ref().map_or("-".into(), |b| format!("{} ({} hosts)", opt(&b.type_), opt(&b.hosts)));
        format!("base plan {base}, {} webinar plan(s)", v.plan_webinar.len())
    });
    let cancel: types::CancelAddonPlansRequest = serde_json::from_value(
        serde_json::json!({"action": "cancel", "type": "webinar500_monthly", "reason": 4, "comment": "tour"}),
    )?;
    let r = c.cancel_addon_plans().account_id(account).body(cancel).await;
    line(&mut out, "cancel_addon_plans", r, |v| format!("HTTP {}", v.status().as_u16()));
    let cancel: types::CancelBasePlanRequest =
        serde_json::from_value(serde_json::json!({"action": "cancel", "reason": 3, "comment": "tour"}))?;
    let r = c.cancel_base_plan().account_id(account).body(cancel).await;
    line(&mut out, "cancel_base_plan", r, |v| format!("HTTP {}", v.status().as_u16()));

    // Billing contact and invoices.
    let r = c.get_billing_information().account_id(account).await;
    line(&mut out, "get_billing_information", r, |v| format!("contact {} <{}>", opt(&v.first_name), opt(&v.email)));
    let r = c
        .update_billing_information()
        .account_id(account)
        .body(types::BillingContactUpdate::builder().apt(Some("Suite 700".to_owned())))
        .await;
    line(&mut out, "update_billing_information", r, |v| format!("HTTP {}", v.status().as_u16()));
    let r = c.list_billing_invoices().account_id(account).await;
    let invoices = line(&mut out, "list_billing_invoices", r, |v| format!("{} invoice(s)", v.invoices.len()));
    let invoice_id = invoices.and_then(|v| v.into_inner().invoices.into_iter().find_map(|i| i.id));
    let invoice_id = invoice_id.unwrap_or_else(|| "inv-1".to_owned());
    let r = c.get_invoice_details().account_id(account).invoice_id(&invoice_id).await;
    line(&mut out, "get_invoice_details", r, |v| {
        format!("{} total {} {}", opt(&v.id), opt(&v.total_amount), opt(&v.currency))
    });
    // The replacement of Zoom's deprecated download path (Zoom's changelog, 2025-01-09).
    let mut pdf = Vec::new();
    let r = c.download_invoice_file().invoice_id(&invoice_id).write_to(&mut pdf).await;
    line(&mut out, "download_invoice_file", r, |n| format!("{n} bytes"));

    // Renewals (every page of a 60-day window) and invoice reports.
    let mut renewals = c.list_upcoming_renewals().interval(60).page_size(2).stream();
    let mut accounts = 0;
    let r = loop {
        match renewals.try_next().await {
            Ok(Some(_)) => accounts += 1,
            Ok(None) => break Ok(accounts),
            Err(e) => break Err(e),
        }
    };
    line(&mut out, "list_upcoming_renewals", r, |n| format!("{n} account(s) renew within 60 days"));
    let request = types::GenerateInvoiceReportRequest::builder()
        .account_ids(vec![account.to_owned()])
        .start_date(Some("2024-01-01".parse()?))
        .end_date(Some("2024-01-31".parse()?));
    let r = c.generate_invoice_report().body(request).await;
    let report = line(&mut out, "generate_invoice_report", r, |v| format!("report {} {}", opt(&v.id), opt(&v.status)));
    let report_id = report.and_then(|r| r.into_inner().id).unwrap_or_default();
    let r = c.list_invoice_reports().await;
    line(&mut out, "list_invoice_reports", r, |v| {
        let status = v.invoice_reports.iter().find(|r| r.id.as_deref() == Some(report_id.as_str()));
        let status = status.and_then(|r| r.status.as_ref()).map_or("-".into(), ToString::to_string);
        format!("{} report(s); {report_id}: {status}", v.invoice_reports.len())
    });
    // Unique per run: two tours in one process (the tests) must not share it.
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!("zoom-billing-tour-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let wait = zoom_billing::reports::ReportWait::default();
    let r = c.wait_and_download_invoice_report(&report_id, dir.join("report.csv"), wait).await;
    line(&mut out, "download_invoice_report", r, |v| format!("{} bytes", v.bytes));
    let _ = std::fs::remove_dir_all(&dir);
    let r = c.delete_invoice_report().invoice_report_id(&report_id).await;
    line(&mut out, "delete_invoice_report", r, |v| format!("HTTP {}", v.status().as_u16()));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `cargo test` runs the tour against the fake: every current operation, once, ok.
    #[tokio::test(flavor = "current_thread")]
    async fn the_tour_runs_every_current_operation_against_the_fake() {
        let fake = fake_zoom::FakeZoom::start().await.unwrap();
        fake.seed_reports(1);
        let client = Client::builder()
            .base_url(fake.base_url())
            .oauth_host(fake.oauth_host())
            .server_to_server(fake_zoom::ACCOUNT_ID, fake_zoom::CLIENT_ID, fake_zoom::CLIENT_SECRET)
            .rate_limit_policy(RateLimitPolicy::off())
            .build()
            .unwrap();
        let lines = tour(&client, "sub-1").await.unwrap();
        let mut seen: Vec<&str> = lines
            .iter()
            .map(|l| l.strip_prefix("ok ").unwrap_or_else(|| panic!("{l}")))
            .map(|l| l.split(' ').next().unwrap())
            .collect();
        seen.sort();
        let current = zoom_billing::Operation::ALL.into_iter().filter(|op| op.meta().replaced_by.is_none());
        let mut all: Vec<&str> = current.map(|op| op.operation_id()).collect();
        all.sort();
        assert_eq!(seen, all);
    }
}
