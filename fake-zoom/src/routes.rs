//! The stateful model: what each operation the fake models does to the world and answers.
//! An operation without a model here is answered with the spec's example for its success
//! status, so a new operation in the spec is reachable without a handler.

use std::collections::HashMap;
use std::time::Duration;

use chrono::NaiveDate;
use http::Response;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use crate::contract::{Matched, OperationSpec};
use crate::respond::{Body, amount, download, empty, error, json_response, page_token_expired, raw};
use crate::world::{Account, Contact, Invoice, InvoiceReport, Plan, Renewal, World};

/// The world and what serving it needs besides.
#[derive(Debug)]
pub(crate) struct Model {
    pub(crate) world: World,
    pub(crate) next_id: u64,
    pub(crate) report_page_size: usize,
    pub(crate) page_tokens: HashMap<String, (usize, Instant)>,
    pub(crate) download_size: u64,
    pub(crate) drifted_invoices: Option<usize>,
}

impl Model {
    pub(crate) fn new(world: World) -> Model {
        Model {
            world,
            next_id: 1,
            report_page_size: 10,
            page_tokens: HashMap::new(),
            download_size: 64 * 1024,
            drifted_invoices: None,
        }
    }

    fn next(&mut self, prefix: &str) -> String {
        let id = format!("{prefix}-{}", self.next_id);
        self.next_id += 1;
        id
    }

    /// The offset a page token stands for, or `None` when it is unknown or older than 15 minutes.
    fn offset(&self, query: &[(String, String)]) -> Result<usize, ()> {
        match query.iter().find(|(k, v)| k == "next_page_token" && !v.is_empty()) {
            Some((_, token)) => match self.page_tokens.get(token) {
                Some((offset, issued)) if issued.elapsed() < Duration::from_secs(15 * 60) => Ok(*offset),
                _ => Err(()),
            },
            None => Ok(0),
        }
    }

    fn page_token(&mut self, prefix: &str, offset: usize) -> String {
        let token = self.next(prefix);
        self.page_tokens.insert(token.clone(), (offset, Instant::now()));
        token
    }
}

/// One validated request.
pub(crate) struct Call<'a> {
    pub(crate) matched: &'a Matched<'a>,
    pub(crate) query: &'a [(String, String)],
    pub(crate) body: &'a Value,
    pub(crate) break_after: Option<u64>,
}

impl Call<'_> {
    fn query(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn date(&self, name: &str) -> Option<NaiveDate> {
        self.query(name).and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    }
}

const NO_SUBSCRIPTION: &str = "You do not have a subscription yet.";

/// The answer to a validated request.
pub(crate) fn answer(model: &mut Model, call: &Call<'_>) -> Response<Body> {
    let op = call.matched.operation;
    let id = op.operation_id.as_str();
    match id {
        "list_invoice_reports" => return list_reports(model, call),
        "generate_invoice_report" => return generate_report(model, call.body),
        "download_invoice_report" | "delete_invoice_report" => {
            let report_id = call.matched.param("invoiceReportId").unwrap_or_default();
            let reports = &mut model.world.invoice_reports;
            let Some(index) = reports.iter().position(|r| r.id == report_id) else {
                return error(404, 3001, "Invoice report does not exist.");
            };
            if id == "delete_invoice_report" {
                reports.remove(index);
                return empty(204);
            }
            return match reports[index].status.as_str() {
                "Completed" => download(model.download_size, "text/csv", b"account_id,amount\n", call.break_after),
                _ => error(400, 3001, "The invoice report is still being generated."),
            };
        }
        "list_upcoming_renewals" => return list_renewals(model, call),
        // The deprecated path and its replacement (Zoom's changelog, 2025-01-09) serve the same file.
        "download_invoice_pdf" | "download_invoice_file" => {
            return download(model.download_size, "application/pdf", b"%PDF-1.7\n", call.break_after);
        }
        "list_billing_invoices" => {
            if let Some(count) = model.drifted_invoices {
                return json_response(200, &drifted_invoice_list(count));
            }
        }
        _ => {}
    }
    let download_size = model.download_size;
    let Some(account_id) = call.matched.param("accountId") else { return example(op, download_size) };
    // Zoom answers an unknown account the same way whatever the operation.
    let Some(account) = model.world.account_mut(account_id) else {
        return error(404, 2001, &format!("Account does not exist: {account_id}."));
    };
    account_operation(account, id, call).unwrap_or_else(|| example(op, download_size))
}

/// What a modelled operation on one account does; `None` for an operation without a model.
fn account_operation(account: &mut Account, id: &str, call: &Call<'_>) -> Option<Response<Body>> {
    let body = call.body;
    let answer = match id {
        "get_billing_information" => json_response(200, &to_value(&account.contact.clone().unwrap_or_default())),
        "update_billing_information" => {
            let mut contact = to_value(&account.contact.clone().unwrap_or_default());
            if let (Some(c), Some(update)) = (contact.as_object_mut(), body.as_object()) {
                for (k, v) in update.iter().filter(|(_, v)| v.is_string()) {
                    c.insert(k.clone(), v.clone());
                }
            }
            account.contact = serde_json::from_value::<Contact>(contact).ok().or(account.contact.take());
            empty(204)
        }
        "list_billing_invoices" => {
            let (from, to) = (call.date("from"), call.date("to"));
            let invoices: Vec<Value> = account
                .invoices
                .iter()
                .filter(|i| from.is_none_or(|f| i.invoice_date >= f) && to.is_none_or(|t| i.invoice_date <= t))
                .map(invoice_summary)
                .collect();
            json_response(200, &json!({"currency": account.currency, "invoices": invoices}))
        }
        "get_invoice_details" => {
            let invoice_id = call.matched.param("invoiceId").unwrap_or_default();
            match account.invoices.iter().find(|i| i.id == invoice_id) {
                Some(invoice) => {
                    let mut details = invoice_summary(invoice);
                    details["currency"] = json!(account.currency);
                    details["invoice_items"] = invoice
                        .items
                        .iter()
                        .map(|item| {
                            let mut value = to_value(item);
                            value["total_amount"] = amount(&item.total_amount);
                            value["tax_amount"] = amount(&item.tax_amount);
                            value
                        })
                        .collect();
                    json_response(200, &details)
                }
                None => error(404, 3200, &format!("Invoice does not exist: {invoice_id}.")),
            }
        }
        "get_account_plans" => json_response(200, &plans_json(account)),
        "subscribe_plan" => {
            let options = &body["subscription_options"];
            let date = |key: &str, default: &str| options[key].as_str().unwrap_or(default).to_owned();
            let base = &body["plan_base"];
            account.base_plan = Some(Plan {
                kind: base["type"].as_str().unwrap_or_default().to_owned(),
                hosts: base["hosts"].as_i64(),
                // Date-times where dates are documented, as in Zoom's own Postman sample for GET plans.
                service_effective_date: Some(date("service_effective_date", "2024-08-07T00:00:00Z")),
                next_invoice_date: Some("2025-08-07T00:00:00Z".to_owned()),
                ..Plan::default()
            });
            account.addons = body["plan_webinar"].as_array().into_iter().flatten().map(plan_from_request).collect();
            let webinars: Vec<Value> =
                account.addons.iter().map(|p| json!({"type": p.kind, "hosts": p.hosts})).collect();
            json_response(
                201,
                &json!({"plan_base": {"type": base["type"], "hosts": base["hosts"]}, "plan_webinar": webinars}),
            )
        }
        "update_base_plan" => match &mut account.base_plan {
            Some(plan) => {
                plan.kind = body["type"].as_str().unwrap_or(&plan.kind).to_owned();
                if let Some(hosts) = body["hosts"].as_i64() {
                    plan.hosts = Some(hosts);
                }
                empty(204)
            }
            None => error(400, 200, NO_SUBSCRIPTION),
        },
        "cancel_base_plan" => match &mut account.base_plan {
            Some(plan) => {
                plan.status = "cancelled".to_owned();
                empty(204)
            }
            None => error(400, 200, NO_SUBSCRIPTION),
        },
        "subscribe_addon_plan" => {
            if account.base_plan.is_none() {
                return Some(error(400, 200, NO_SUBSCRIPTION));
            }
            let plan = plan_from_request(body);
            let answer = json!({"plan_webinar": [{"type": plan.kind, "hosts": plan.hosts}]});
            account.addons.push(plan);
            json_response(201, &answer)
        }
        "update_addon_plan" | "cancel_addon_plans" => {
            if account.base_plan.is_none() {
                return Some(error(400, 200, NO_SUBSCRIPTION));
            }
            let kind = body["type"].as_str().unwrap_or_default();
            match account.addons.iter_mut().find(|p| p.kind == kind) {
                Some(plan) if id == "update_addon_plan" => {
                    plan.hosts = body["hosts"].as_i64().or(plan.hosts);
                    empty(204)
                }
                Some(plan) => {
                    plan.status = "cancelled".to_owned();
                    empty(204)
                }
                None => error(404, 2100, "Add-on plan not found."),
            }
        }
        "get_plan_usage" => {
            let mut usage = json!({});
            if let Some(base) = &account.base_plan {
                usage["plan_base"] = json!({"type": base.kind, "hosts": base.hosts, "usage": base.usage.unwrap_or(1)});
            }
            if account.base_plan.is_some() || !account.addons.is_empty() {
                usage["plan_webinar"] = account
                    .addons
                    .iter()
                    .map(|p| json!({"type": p.kind, "hosts": p.hosts, "usage": p.usage.unwrap_or(0)}))
                    .collect();
            }
            json_response(200, &usage)
        }
        _ => return None,
    };
    Some(answer)
}

/// The spec's example for the operation's success status.
fn example(op: &OperationSpec, download_size: u64) -> Response<Body> {
    let success = &op.success;
    match success.content_type.as_deref() {
        None => empty(success.status),
        Some("application/json") => {
            let body = if success.example.is_null() { json!({}) } else { success.example.clone() };
            json_response(success.status, &body)
        }
        Some(content_type) => match success.example.as_str() {
            Some(text) => raw(success.status, content_type, text.to_owned().into()),
            None => download(download_size, content_type, b"", None),
        },
    }
}

fn to_value<T: serde::Serialize>(value: &T) -> Value {
    let value = serde_json::to_value(value).unwrap_or_default();
    // Unset fields are not served.
    match value {
        Value::Object(map) => Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).collect::<Map<_, _>>()),
        other => other,
    }
}

fn plan_from_request(body: &Value) -> Plan {
    Plan {
        kind: body["type"].as_str().unwrap_or_default().to_owned(),
        hosts: body["hosts"].as_i64(),
        ..Plan::default()
    }
}

fn plan_json(plan: &Plan) -> Value {
    to_value(&json!({"type": plan.kind, "hosts": plan.hosts, "status": plan.status,
        "service_effective_date": plan.service_effective_date, "next_invoice_date": plan.next_invoice_date}))
}

fn plans_json(account: &Account) -> Value {
    let mut plans = json!({});
    if let Some(base) = &account.base_plan {
        plans["plan_base"] = plan_json(base);
    }
    if account.base_plan.is_some() || !account.addons.is_empty() {
        plans["plan_webinar"] = account.addons.iter().map(plan_json).collect();
    }
    plans
}

fn invoice_summary(invoice: &Invoice) -> Value {
    let date = |d: Option<NaiveDate>| d.unwrap_or(invoice.invoice_date).to_string();
    json!({
        "id": invoice.id,
        "invoice_number": invoice.invoice_number.as_deref().unwrap_or(&invoice.id),
        "total_amount": amount(&invoice.total_amount),
        "tax_amount": amount(&invoice.tax_amount),
        "balance": amount(invoice.balance.as_ref().unwrap_or(&invoice.total_amount)),
        "invoice_date": invoice.invoice_date.to_string(),
        "due_date": date(invoice.due_date),
        "target_date": date(invoice.target_date),
        "status": invoice.status,
    })
}

fn report_json(r: &InvoiceReport) -> Value {
    json!({"id": r.id, "start_date": r.start_date.to_string(), "end_date": r.end_date.to_string(),
        "accounts_total_number": r.accounts_total_number, "remaining_days": r.remaining_days, "status": r.status})
}

fn list_reports(model: &mut Model, call: &Call<'_>) -> Response<Body> {
    let Ok(offset) = model.offset(call.query) else { return page_token_expired() };
    let size = model.report_page_size;
    for r in model.world.invoice_reports.iter_mut().skip(offset).take(size) {
        r.listings += 1;
        // A generated report is `Processing` until a second list shows it.
        if r.status == "Processing" && r.listings >= 2 {
            r.status = "Completed".to_owned();
        }
    }
    let page: Vec<Value> = model.world.invoice_reports.iter().skip(offset).take(size).map(report_json).collect();
    let next = if offset + size < model.world.invoice_reports.len() {
        model.page_token("rpt-page", offset + size)
    } else {
        String::new()
    };
    json_response(200, &json!({"invoice_reports": page, "next_page_token": next}))
}

fn generate_report(model: &mut Model, body: &Value) -> Response<Body> {
    let date = |key: &str, default: NaiveDate| {
        body[key].as_str().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()).unwrap_or(default)
    };
    let id = model.next("rpt");
    let mut report = InvoiceReport::new(
        &id,
        date("start_date", NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default()),
        date("end_date", NaiveDate::from_ymd_opt(2024, 1, 31).unwrap_or_default()),
    );
    report.status = "Processing".to_owned();
    report.accounts_total_number = body["account_ids"].as_array().map_or(0, |a| a.len() as i64);
    let value = report_json(&report);
    model.world.invoice_reports.push(report);
    json_response(201, &value)
}

fn renewal_json(r: &Renewal) -> Value {
    let mut value = to_value(r);
    value["total_renewal_amount"] = amount(&r.total_renewal_amount);
    if let Some(map) = value.as_object_mut() {
        map.remove("subscriptions");
    }
    value["renewable_subscriptions"] = r
        .subscriptions
        .iter()
        .map(|s| {
            let mut v = to_value(s);
            v["next_invoice_amount"] = amount(&s.next_invoice_amount);
            v
        })
        .collect();
    value
}

fn list_renewals(model: &mut Model, call: &Call<'_>) -> Response<Body> {
    let Ok(offset) = model.offset(call.query) else { return page_token_expired() };
    let size = call.query("page_size").and_then(|s| s.parse::<usize>().ok()).unwrap_or(30).max(1);
    let interval = call.query("interval").and_then(|s| s.parse::<u64>().ok()).unwrap_or(30);
    let today = model.world.today.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let last = today + chrono::Days::new(interval);
    let mut due: Vec<&Renewal> =
        model.world.renewals.iter().filter(|r| r.next_renewal_date >= today && r.next_renewal_date <= last).collect();
    due.sort_by_key(|r| r.next_renewal_date);
    let total = due.len();
    let results: Vec<Value> = due.iter().skip(offset).take(size).map(|r| renewal_json(r)).collect();
    let next = if offset + size < total { model.page_token("renewal-page", offset + size) } else { String::new() };
    json_response(
        200,
        &json!({"interval": interval, "page_size": size, "total_records": total, "next_page_token": next, "results": results}),
    )
}

/// An invoice list that has drifted from the spec in exactly three ways, on every
/// invoice: a property the spec does not list (`payment_terms`, a string), a status
/// the spec's open enum does not list (`Paid`), and an amount sent as a string
/// (`total_amount: "2039.00"`, where the spec says number). Everything else
/// conforms, and it still decodes with today's tolerant types.
pub fn drifted_invoice_list(count: usize) -> Value {
    let invoices: Vec<Value> = (0..count)
        .map(|i| {
            json!({
                "id": format!("inv-{i}"), "invoice_number": format!("INV{i:08}"),
                "total_amount": "2039.00", "tax_amount": 0, "balance": 2039,
                "due_date": "2024-08-07", "invoice_date": "2024-08-07", "target_date": "2024-08-07",
                "status": if i % 2 == 0 { "Paid" } else { "Draft" }, "payment_terms": "Net 30"
            })
        })
        .collect();
    json!({"currency": "USD", "invoices": invoices})
}
