//! Exact money through the generated client: every money field keeps the scale
//! and every digit of the JSON number's own text (and of numeric strings), and
//! re-encodes to the same text. Servers run on 127.0.0.1 only.

mod support;

use rust_decimal::Decimal;
use support::{Reply, TestServer};
use zoom_billing::{Client, Money, types};

fn client(server: &TestServer) -> Client {
    Client::builder().base_url(&server.base_url).bearer_token("test-token").build().unwrap()
}

async fn serve(body: &'static str) -> TestServer {
    TestServer::start(move |_| Reply::bytes(200, "application/json", body)).await
}

const INVOICES: &str = r#"{"currency": "USD", "invoices": [
  {"id": "a", "total_amount": 2039.10, "tax_amount": "0.00", "balance": 12345678901234567.89},
  {"id": "b", "total_amount": -0.5, "tax_amount": 1e2, "balance": 0}
]}"#;

#[tokio::test]
async fn invoice_amounts_keep_scale_and_every_digit() {
    let server = serve(INVOICES).await;
    let list = client(&server).list_billing_invoices().account_id("me").send().await.unwrap().into_inner();
    let a = &list.invoices[0];
    assert_eq!(a.total_amount.unwrap().to_string(), "2039.10");
    assert_eq!(a.total_amount.unwrap().amount().scale(), 2);
    assert_eq!(a.tax_amount.unwrap().to_string(), "0.00", "numeric strings too");
    assert_eq!(a.balance.unwrap().to_string(), "12345678901234567.89");
    let b = &list.invoices[1];
    assert_eq!(b.total_amount.unwrap().to_string(), "-0.5");
    assert_eq!(b.tax_amount.unwrap(), Decimal::from(100));
}

#[tokio::test]
async fn amounts_re_encode_as_the_same_numbers() {
    let server = serve(INVOICES).await;
    let list = client(&server).list_billing_invoices().account_id("me").send().await.unwrap().into_inner();
    let text = serde_json::to_string(&list).unwrap();
    assert!(text.contains(r#""total_amount":2039.10"#), "{text}");
    assert!(text.contains(r#""balance":12345678901234567.89"#), "{text}");
    assert!(text.contains(r#""tax_amount":0.00"#), "a numeric string re-encodes as a number: {text}");
    let again: types::InvoiceList = serde_json::from_str(&text).unwrap();
    assert_eq!(serde_json::to_string(&again).unwrap(), text);
}

#[tokio::test]
async fn every_money_field_of_every_operation_is_exact() {
    // Invoice details and line items.
    let server = serve(
        r#"{"total_amount": 1999.90, "tax_amount": 0.10, "balance": 2000.00,
            "invoice_items": [{"total_amount": 1999.90, "tax_amount": 0.10}]}"#,
    )
    .await;
    let details = client(&server).get_invoice_details().account_id("me").invoice_id("i").send().await.unwrap();
    assert_eq!(details.balance.unwrap().to_string(), "2000.00");
    assert_eq!(details.invoice_items[0].tax_amount.unwrap().to_string(), "0.10");

    // Renewals: the account total and each subscription's next invoice.
    let server = serve(
        r#"{"results": [{"total_renewal_amount": 3998.80,
            "renewable_subscriptions": [{"next_invoice_amount": 1999.40}]}]}"#,
    )
    .await;
    let renewals = client(&server).list_upcoming_renewals().send().await.unwrap();
    assert_eq!(renewals.results[0].total_renewal_amount.unwrap().to_string(), "3998.80");
    assert_eq!(renewals.results[0].renewable_subscriptions[0].next_invoice_amount.unwrap().to_string(), "1999.40");

    // Account plans: the base plan's overage price.
    let server = serve(r#"{"plan_base": {"type": "monthly", "overage_price": 0.050}}"#).await;
    let plans = client(&server).get_account_plans().account_id("me").send().await.unwrap();
    assert_eq!(plans.plan_base.as_ref().unwrap().overage_price.unwrap().to_string(), "0.050");
}

#[tokio::test]
async fn an_amount_that_is_not_a_number_fails_the_decode_with_context() {
    let server = serve(r#"{"invoices": [{"total_amount": "twelve"}]}"#).await;
    let err = client(&server).list_billing_invoices().account_id("me").send().await.unwrap_err();
    assert!(
        matches!(&err, zoom_billing::Error::Decode(d) if d.operation == zoom_billing::Operation::ListBillingInvoices),
        "{err}"
    );
    assert!(err.to_string().contains("twelve"), "{err}");
}

#[test]
fn money_converts_to_and_from_decimal() {
    let exact: Decimal = "2039.10".parse().unwrap();
    let money = Money::from(exact);
    assert_eq!(Decimal::from(money).scale(), 2);
    assert_eq!(money, exact);
    assert_eq!("2039.10".parse::<Money>().unwrap().to_string(), "2039.10");
}
