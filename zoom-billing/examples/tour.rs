//! A walk through all 18 operations, one line each: `ok <operationId> ...`
//! or the error.
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
//! `ZOOM_CLIENT_ID`, `ZOOM_CLIENT_SECRET`, optionally `ZOOM_OAUTH_HOST`).
//! Against real Zoom this subscribes plans and spends daily quotas: point it
//! at a test server. `TOUR_ACCOUNT_ID` picks the sub account (default `sub-1`).

use std::fmt::Display;

use zoom_billing::{Client, Error, RateLimitPolicy, types};

fn line<T, E: Display>(operation: &str, result: Result<T, E>, detail: impl FnOnce(&T) -> String) -> Option<T> {
    match result {
        Ok(value) => {
            println!("ok {operation} {}", detail(&value));
            Some(value)
        }
        Err(e) => {
            println!("error {operation}: {e}");
            None
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _fake) = match std::env::var("ZOOM_BASE_URL") {
        Ok(_) => (Client::from_env()?, None),
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
    let account = account.as_str();
    let c = &client;

    // Plans: subscribe, read, change, add an add-on, usage, cancel.
    let subscribe: types::SubscribePlanRequest = serde_json::from_value(serde_json::json!({
        "contact": {"first_name": "Jill", "last_name": "Chill", "email": "jill.chill@example.com",
            "phone_number": "+1 800 000 0000", "address": "55 Almaden Blvd", "city": "San Jose",
            "state": "CA", "zip": "95113", "country": "US", "company_name": "Example"},
        "plan_base": {"type": "monthly", "hosts": 10}
    }))?;
    let r = c.subscribe_plan().account_id(account).body(subscribe).send().await.map_err(Error::from);
    line("subscribe_plan", r, |v| format!("base {:?}", v.plan_base.as_ref().map(|b| &b.type_)));
    let r = c.get_account_plans().account_id(account).send().await.map_err(Error::from);
    line("get_account_plans", r, |v| format!("base {:?}", v.plan_base.as_ref().map(|b| (&b.type_, b.hosts))));
    let r = c
        .update_base_plan()
        .account_id(account)
        .body(types::UpdateBasePlanRequest::builder().type_("monthly").hosts(12))
        .send()
        .await
        .map_err(Error::from);
    line("update_base_plan", r, |v| format!("HTTP {}", v.status().as_u16()));
    let addon = types::AddonPlanSubscription::builder().type_("webinar500_monthly").hosts(2);
    let addon: types::AddonPlanSubscription = addon.try_into()?;
    let r = c.subscribe_addon_plan().account_id(account).body(addon).send().await.map_err(Error::from);
    line("subscribe_addon_plan", r, |v| format!("{} webinar add-on(s)", v.plan_webinar.len()));
    let r = c
        .update_addon_plan()
        .account_id(account)
        .body(types::UpdateAddonPlanRequest::builder().type_("webinar500_monthly").hosts(3))
        .send()
        .await
        .map_err(Error::from);
    line("update_addon_plan", r, |v| format!("HTTP {}", v.status().as_u16()));
    let r = c.get_plan_usage().account_id(account).send().await.map_err(Error::from);
    line("get_plan_usage", r, |v| {
        format!(
            "base {:?}, {} webinar plan(s)",
            v.plan_base.as_ref().map(|b| (&b.type_, b.hosts)),
            v.plan_webinar.len()
        )
    });
    let cancel: types::CancelAddonPlansRequest = serde_json::from_value(
        serde_json::json!({"action": "cancel", "type": "webinar500_monthly", "reason": 4, "comment": "tour"}),
    )?;
    let r = c.cancel_addon_plans().account_id(account).body(cancel).send().await.map_err(Error::from);
    line("cancel_addon_plans", r, |v| format!("HTTP {}", v.status().as_u16()));
    let cancel: types::CancelBasePlanRequest =
        serde_json::from_value(serde_json::json!({"action": "cancel", "reason": 3, "comment": "tour"}))?;
    let r = c.cancel_base_plan().account_id(account).body(cancel).send().await.map_err(Error::from);
    line("cancel_base_plan", r, |v| format!("HTTP {}", v.status().as_u16()));

    // Billing contact and invoices.
    let r = c.get_billing_information().account_id(account).send().await.map_err(Error::from);
    line("get_billing_information", r, |v| format!("{:?} {:?}", v.first_name, v.email));
    let r = c
        .update_billing_information()
        .account_id(account)
        .body(types::BillingContactUpdate::builder().apt(Some("Suite 700".to_owned())))
        .send()
        .await
        .map_err(Error::from);
    line("update_billing_information", r, |v| format!("HTTP {}", v.status().as_u16()));
    let r = c.list_billing_invoices().account_id(account).send().await.map_err(Error::from);
    let invoices = line("list_billing_invoices", r, |v| format!("{} invoice(s)", v.invoices.len()));
    let invoice_id = invoices.and_then(|v| v.into_inner().invoices.into_iter().find_map(|i| i.id));
    let invoice_id = invoice_id.unwrap_or_else(|| "inv-1".to_owned());
    let r = c.get_invoice_details().account_id(account).invoice_id(&invoice_id).send().await.map_err(Error::from);
    line("get_invoice_details", r, |v| format!("{:?} total {:?} {:?}", v.id, v.total_amount, v.currency));
    let mut pdf = Vec::new();
    let r = c.download_invoice_pdf_to(&invoice_id, &mut pdf).await;
    line("download_invoice_pdf", r, |n| format!("{n} bytes"));

    // Renewals and invoice reports.
    use futures::TryStreamExt;
    let r: Result<Vec<_>, _> = c.upcoming_renewals_stream(Some(2)).try_collect().await;
    line("list_upcoming_renewals", r, |v| format!("{} account(s)", v.len()));
    let request = types::GenerateInvoiceReportRequest::builder()
        .account_ids(vec![account.to_owned()])
        .start_date(Some("2024-01-01".parse()?))
        .end_date(Some("2024-01-31".parse()?));
    let r = c.generate_invoice_report().body(request).send().await.map_err(Error::from);
    let report = line("generate_invoice_report", r, |v| format!("{:?} {:?}", v.id, v.status));
    let report_id = report.and_then(|r| r.into_inner().id).unwrap_or_default();
    let r = c.list_invoice_reports().send().await.map_err(Error::from);
    line("list_invoice_reports", r, |v| {
        let status = v.invoice_reports.iter().find(|r| r.id.as_deref() == Some(report_id.as_str()));
        format!("{} report(s); {report_id}: {:?}", v.invoice_reports.len(), status.and_then(|r| r.status.as_ref()))
    });
    let dir = std::env::temp_dir().join(format!("zoom-billing-tour-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let wait = zoom_billing::download::ReportWait::default().with_poll_interval(std::time::Duration::from_millis(50));
    let r = c.wait_and_download_invoice_report(&report_id, dir.join("report.csv"), wait).await;
    line("download_invoice_report", r, |v| format!("{} bytes", v.bytes));
    let _ = std::fs::remove_dir_all(&dir);
    let r = c.delete_invoice_report().invoice_report_id(&report_id).send().await.map_err(Error::from);
    line("delete_invoice_report", r, |v| format!("HTTP {}", v.status().as_u16()));
    Ok(())
}
