//! The fake's world: the accounts (plans, billing contact, invoices), upcoming renewals and
//! invoice reports it serves. Seed one before a test ([`crate::FakeZoom::start_with`],
//! `fake-zoom --seed world.json`) and read it back after ([`crate::FakeZoom::world`]) to see
//! what the client subscribed, updated or cancelled.
//!
//! Every type is plain data with public fields, serde in both directions (so a seed file is
//! the same shape as [`World`] in JSON or YAML), and a few builder methods for tests.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An exact decimal amount, kept as the text it was given: `2039.10` is served as `2039.10`,
/// never `2039.1`. In a seed file, write it as a string (`"2039.10"`) to keep its scale.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Amount(String);

/// A text that is not a JSON number, given as an [`Amount`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AmountError(String);

impl fmt::Display for AmountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a decimal amount (a JSON number such as `2039.10`)", self.0)
    }
}

impl std::error::Error for AmountError {}

/// Whether `text` is a JSON number, by the grammar of RFC 8259.
pub(crate) fn is_json_number(text: &str) -> bool {
    let rest = text.strip_prefix('-').unwrap_or(text);
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let int = digits(rest);
    if int == 0 || (int > 1 && rest.starts_with('0')) {
        return false;
    }
    let mut rest = &rest[int..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let n = digits(fraction);
        if n == 0 {
            return false;
        }
        rest = &fraction[n..];
    }
    if let Some(exponent) = rest.strip_prefix(['e', 'E']) {
        let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        let n = digits(exponent);
        if n == 0 {
            return false;
        }
        rest = &exponent[n..];
    }
    rest.is_empty()
}

impl Amount {
    /// The amount as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Zero.
    pub fn zero() -> Amount {
        Amount("0".to_owned())
    }
}

impl FromStr for Amount {
    type Err = AmountError;

    fn from_str(text: &str) -> Result<Amount, AmountError> {
        let text = text.trim();
        if is_json_number(text) { Ok(Amount(text.to_owned())) } else { Err(AmountError(text.to_owned())) }
    }
}

impl From<u32> for Amount {
    fn from(n: u32) -> Amount {
        Amount(n.to_string())
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Amount, D::Error> {
        // A string keeps its text; a JSON number has already lost trailing zeros.
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(s) => s.parse().map_err(serde::de::Error::custom),
            serde_json::Value::Number(n) => n.to_string().parse().map_err(serde::de::Error::custom),
            other => Err(serde::de::Error::custom(format!("an amount must be a string or a number, not {other}"))),
        }
    }
}

/// Everything the fake serves.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct World {
    /// "Today" for the renewals window (`interval` days from it); the UTC date when unset.
    pub today: Option<NaiveDate>,
    /// The accounts, by id (`me` is an id like any other).
    pub accounts: Vec<Account>,
    /// What an account not in `accounts` looks like (its id is the one asked for); when unset,
    /// an unknown account is Zoom's `404` code `2001`.
    pub any_account: Option<Account>,
    /// Sub accounts with upcoming renewals.
    pub renewals: Vec<Renewal>,
    /// Invoice reports of the sub accounts.
    pub invoice_reports: Vec<InvoiceReport>,
}

impl World {
    /// An empty world: no accounts (every account is `404` code `2001`), no renewals, no reports.
    pub fn new() -> World {
        World::default()
    }

    /// The world [`crate::FakeZoom::start`] serves: every account id exists, with the default
    /// billing contact (Jill Chill), no plan and one invoice `inv-1` (`INV00000001`, 2039 USD,
    /// 2024-08-07, `Posted`); three renewals (`sub-0`...) a week after today; no reports.
    pub fn standard() -> World {
        let date = NaiveDate::from_ymd_opt(2024, 8, 7).unwrap_or_default();
        let invoice = Invoice::new("inv-1", date, Amount::from(2039)).number("INV00000001").item(
            InvoiceItem::new("Standard Biz Annual", Amount::from(1999))
                .number("C-00000004")
                .quantity(10)
                .period(date, NaiveDate::from_ymd_opt(2025, 8, 6).unwrap_or_default()),
        );
        World {
            any_account: Some(Account::new("").contact(Contact::standard()).invoice(invoice)),
            renewals: (0..3).map(Renewal::standard).collect(),
            ..World::default()
        }
    }

    /// Add an account.
    pub fn account(mut self, account: Account) -> World {
        self.accounts.push(account);
        self
    }

    /// Add an upcoming renewal.
    pub fn renewal(mut self, renewal: Renewal) -> World {
        self.renewals.push(renewal);
        self
    }

    /// Add an invoice report.
    pub fn invoice_report(mut self, report: InvoiceReport) -> World {
        self.invoice_reports.push(report);
        self
    }

    /// Set "today" (for the renewals window).
    pub fn today(mut self, date: NaiveDate) -> World {
        self.today = Some(date);
        self
    }

    /// A world from a seed file's text: JSON, or YAML when it does not start with `{`.
    pub fn parse(text: &str) -> Result<World, SeedError> {
        let value = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|e| SeedError(format!("JSON: {e}")))?
        } else {
            let docs = yaml_rust2::YamlLoader::load_from_str(text).map_err(|e| SeedError(format!("YAML: {e}")))?;
            docs.into_iter().next().map(yaml_to_json).unwrap_or_default()
        };
        serde_json::from_value(value).map_err(|e| SeedError(e.to_string()))
    }

    /// The account `id`: a listed one, or one made from [`World::any_account`] (added to the
    /// world, so what the client changes is kept).
    pub(crate) fn account_mut(&mut self, id: &str) -> Option<&mut Account> {
        let index = match self.accounts.iter().position(|a| a.id == id) {
            Some(index) => index,
            None => {
                let mut account = self.any_account.clone()?;
                account.id = id.to_owned();
                self.accounts.push(account);
                self.accounts.len() - 1
            }
        };
        self.accounts.get_mut(index)
    }
}

/// A seed that could not be read: what is wrong and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedError(String);

impl fmt::Display for SeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the world cannot be read: {}", self.0)
    }
}

impl std::error::Error for SeedError {}

/// YAML to JSON. A real number stays the text it was written as (a string), so `2039.10` in a
/// seed keeps its scale; the world has no other fractional field.
fn yaml_to_json(yaml: yaml_rust2::Yaml) -> serde_json::Value {
    use serde_json::Value;
    use yaml_rust2::Yaml;
    match yaml {
        Yaml::Real(text) | Yaml::String(text) => Value::String(text),
        Yaml::Integer(n) => Value::from(n),
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Array(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Yaml::Hash(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) | Yaml::Real(s) => s,
                        Yaml::Integer(n) => n.to_string(),
                        Yaml::Boolean(b) => b.to_string(),
                        _ => String::new(),
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
        Yaml::Null | Yaml::BadValue | Yaml::Alias(_) => Value::Null,
    }
}

/// A (sub) account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Account {
    /// The account id (`me`, or a sub account's id).
    pub id: String,
    /// The base plan, if subscribed.
    pub base_plan: Option<Plan>,
    /// Add-on plans (served as `plan_webinar`), cancelled ones included.
    pub addons: Vec<Plan>,
    /// The billing contact.
    pub contact: Option<Contact>,
    /// Currency of the invoices.
    pub currency: String,
    /// Invoices, in the order they are listed.
    pub invoices: Vec<Invoice>,
}

impl Default for Account {
    fn default() -> Self {
        Account {
            id: String::new(),
            base_plan: None,
            addons: Vec::new(),
            contact: None,
            currency: "USD".to_owned(),
            invoices: Vec::new(),
        }
    }
}

impl Account {
    /// An account with no plan, no contact and no invoice.
    pub fn new(id: &str) -> Account {
        Account { id: id.to_owned(), ..Account::default() }
    }

    /// Subscribe a base plan.
    pub fn base_plan(mut self, plan: Plan) -> Account {
        self.base_plan = Some(plan);
        self
    }

    /// Add an add-on plan.
    pub fn addon(mut self, plan: Plan) -> Account {
        self.addons.push(plan);
        self
    }

    /// Set the billing contact.
    pub fn contact(mut self, contact: Contact) -> Account {
        self.contact = Some(contact);
        self
    }

    /// Add an invoice.
    pub fn invoice(mut self, invoice: Invoice) -> Account {
        self.invoices.push(invoice);
        self
    }
}

/// A base or add-on plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Plan {
    /// The plan type code (`monthly`, `webinar500_monthly`...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Number of hosts (licenses).
    pub hosts: Option<i64>,
    /// Licenses in use, served by `get_plan_usage` (1 for a base plan, 0 for an add-on when unset).
    pub usage: Option<i64>,
    /// `active` or `cancelled`.
    pub status: String,
    /// When the service took effect (a date or a date-time, served as written).
    pub service_effective_date: Option<String>,
    /// The next invoice date (a date or a date-time, served as written).
    pub next_invoice_date: Option<String>,
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            kind: String::new(),
            hosts: None,
            usage: None,
            status: "active".to_owned(),
            service_effective_date: None,
            next_invoice_date: None,
        }
    }
}

impl Plan {
    /// An active plan of this type.
    pub fn new(kind: &str) -> Plan {
        Plan { kind: kind.to_owned(), ..Plan::default() }
    }

    /// Set the number of hosts.
    pub fn hosts(mut self, hosts: i64) -> Plan {
        self.hosts = Some(hosts);
        self
    }

    /// Set the licenses in use.
    pub fn usage(mut self, usage: i64) -> Plan {
        self.usage = Some(usage);
        self
    }
}

/// A billing contact; absent fields are not served.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[allow(missing_docs)] // The fields are Zoom's, documented in the spec's `BillingContact`.
pub struct Contact {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub address: Option<String>,
    pub apt: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    pub country: Option<String>,
    pub employee_count: Option<String>,
}

impl Contact {
    /// Jill Chill of San Jose, the contact of the standard world.
    pub fn standard() -> Contact {
        let s = |v: &str| Some(v.to_owned());
        Contact {
            first_name: s("Jill"),
            last_name: s("Chill"),
            email: s("jill.chill@example.com"),
            phone_number: s("+1 800 000 0000"),
            address: s("55 Almaden Blvd"),
            apt: s("Suite 600"),
            city: s("San Jose"),
            state: s("CA"),
            zip: s("95113"),
            country: s("US"),
            employee_count: None,
        }
    }
}

/// An invoice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invoice {
    /// Invoice id (the `invoiceId` of the details and download paths).
    pub id: String,
    /// Invoice number; the id when unset.
    #[serde(default)]
    pub invoice_number: Option<String>,
    /// Invoice date: `from`/`to` of `list_billing_invoices` filter on it.
    pub invoice_date: NaiveDate,
    /// Due date; the invoice date when unset.
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
    /// Target date; the invoice date when unset.
    #[serde(default)]
    pub target_date: Option<NaiveDate>,
    /// Status (`Posted`, `Draft`, `Paid`...).
    #[serde(default = "posted")]
    pub status: String,
    /// Total amount.
    pub total_amount: Amount,
    /// Tax amount (0 when unset).
    #[serde(default = "Amount::zero")]
    pub tax_amount: Amount,
    /// Balance still owed; the total when unset.
    #[serde(default)]
    pub balance: Option<Amount>,
    /// Line items, served by `get_invoice_details`.
    #[serde(default)]
    pub items: Vec<InvoiceItem>,
}

fn posted() -> String {
    "Posted".to_owned()
}

fn recurring() -> String {
    "Recurring".to_owned()
}

impl Invoice {
    /// A `Posted` invoice of this total, dated `date`, with no tax and no line item.
    pub fn new(id: &str, date: NaiveDate, total: Amount) -> Invoice {
        Invoice {
            id: id.to_owned(),
            invoice_number: None,
            invoice_date: date,
            due_date: None,
            target_date: None,
            status: posted(),
            total_amount: total,
            tax_amount: Amount::zero(),
            balance: None,
            items: Vec::new(),
        }
    }

    /// Set the invoice number.
    pub fn number(mut self, number: &str) -> Invoice {
        self.invoice_number = Some(number.to_owned());
        self
    }

    /// Set the status.
    pub fn status(mut self, status: &str) -> Invoice {
        self.status = status.to_owned();
        self
    }

    /// Set the balance.
    pub fn balance(mut self, balance: Amount) -> Invoice {
        self.balance = Some(balance);
        self
    }

    /// Set the tax amount.
    pub fn tax(mut self, tax: Amount) -> Invoice {
        self.tax_amount = tax;
        self
    }

    /// Set the due date.
    pub fn due(mut self, date: NaiveDate) -> Invoice {
        self.due_date = Some(date);
        self
    }

    /// Add a line item.
    pub fn item(mut self, item: InvoiceItem) -> Invoice {
        self.items.push(item);
        self
    }
}

/// One charge on an invoice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // The fields are Zoom's, documented in the spec's `InvoiceItem`.
pub struct InvoiceItem {
    pub charge_name: String,
    #[serde(default)]
    pub charge_number: Option<String>,
    #[serde(default = "recurring")]
    pub charge_type: String,
    #[serde(default)]
    pub quantity: Option<i64>,
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    pub total_amount: Amount,
    #[serde(default = "Amount::zero")]
    pub tax_amount: Amount,
    #[serde(default)]
    pub purchase_order_number: Option<String>,
    #[serde(default)]
    pub partner_sku: Option<String>,
}

impl InvoiceItem {
    /// A `Recurring` charge of this amount.
    pub fn new(name: &str, total: Amount) -> InvoiceItem {
        InvoiceItem {
            charge_name: name.to_owned(),
            charge_number: None,
            charge_type: recurring(),
            quantity: None,
            start_date: None,
            end_date: None,
            total_amount: total,
            tax_amount: Amount::zero(),
            purchase_order_number: None,
            partner_sku: None,
        }
    }

    /// Set the charge number.
    pub fn number(mut self, number: &str) -> InvoiceItem {
        self.charge_number = Some(number.to_owned());
        self
    }

    /// Set the quantity.
    pub fn quantity(mut self, quantity: i64) -> InvoiceItem {
        self.quantity = Some(quantity);
        self
    }

    /// Set the charged period.
    pub fn period(mut self, start: NaiveDate, end: NaiveDate) -> InvoiceItem {
        self.start_date = Some(start);
        self.end_date = Some(end);
        self
    }
}

/// A sub account whose subscriptions renew soon.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // The fields are Zoom's, documented in the spec's `RenewalAccount`.
pub struct Renewal {
    pub account_id: String,
    #[serde(default)]
    pub account_name: Option<String>,
    #[serde(default)]
    pub account_number: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default = "yes")]
    pub auto_renew: bool,
    /// `interval` of `list_upcoming_renewals` filters on it: listed when it falls within
    /// `interval` days from [`World::today`].
    pub next_renewal_date: NaiveDate,
    pub total_renewal_amount: Amount,
    #[serde(default)]
    pub subscriptions: Vec<RenewableSubscription>,
}

fn yes() -> bool {
    true
}

impl Renewal {
    /// A renewal of `account_id` on `date` for `amount`, with no subscription listed.
    pub fn new(account_id: &str, date: NaiveDate, amount: Amount) -> Renewal {
        Renewal {
            account_id: account_id.to_owned(),
            account_name: None,
            account_number: None,
            email: None,
            auto_renew: true,
            next_renewal_date: date,
            total_renewal_amount: amount,
            subscriptions: Vec::new(),
        }
    }

    /// Add a renewing subscription.
    pub fn subscription(mut self, subscription: RenewableSubscription) -> Renewal {
        self.subscriptions.push(subscription);
        self
    }

    /// Renewal `i` of the standard world: `sub-i`, a week after today, 1999.
    pub(crate) fn standard(i: usize) -> Renewal {
        let date = chrono::Utc::now().date_naive() + chrono::Days::new(7);
        Renewal {
            account_name: Some(format!("Sub account {i}")),
            account_number: Some(format!("{:09}", 100_000_000 + i)),
            email: Some("billing@example.com".to_owned()),
            ..Renewal::new(&format!("sub-{i}"), date, Amount::from(1999)).subscription(RenewableSubscription {
                billing_cycle: "Annual".to_owned(),
                next_invoice_amount: Amount::from(1999),
                next_invoice_date: Some(date),
                plan_name: Some("Standard Biz Annual".to_owned()),
                quantity: Some(10),
                service_effective_date: NaiveDate::from_ymd_opt(2023, 8, 7),
            })
        }
    }
}

/// One subscription of a renewal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // The fields are Zoom's, documented in the spec's `RenewableSubscription`.
pub struct RenewableSubscription {
    pub billing_cycle: String,
    pub next_invoice_amount: Amount,
    #[serde(default)]
    pub next_invoice_date: Option<NaiveDate>,
    #[serde(default)]
    pub plan_name: Option<String>,
    #[serde(default)]
    pub quantity: Option<i64>,
    #[serde(default)]
    pub service_effective_date: Option<NaiveDate>,
}

/// An invoice report of the sub accounts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // The fields are Zoom's, documented in the spec's `InvoiceReport`.
pub struct InvoiceReport {
    pub id: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    #[serde(default)]
    pub accounts_total_number: i64,
    #[serde(default = "five")]
    pub remaining_days: i64,
    /// `Completed` (downloadable) or `Processing` (completed once listed twice).
    #[serde(default = "completed")]
    pub status: String,
    /// How many list pages showed it (a `Processing` report completes at the second).
    #[serde(skip)]
    pub(crate) listings: u32,
}

fn five() -> i64 {
    5
}

fn completed() -> String {
    "Completed".to_owned()
}

impl InvoiceReport {
    /// A completed report of this period.
    pub fn new(id: &str, start: NaiveDate, end: NaiveDate) -> InvoiceReport {
        InvoiceReport {
            id: id.to_owned(),
            start_date: start,
            end_date: end,
            accounts_total_number: 0,
            remaining_days: 5,
            status: completed(),
            listings: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_keep_their_text() {
        assert_eq!("2039.10".parse::<Amount>().unwrap().as_str(), "2039.10");
        for bad in ["", "1.", ".5", "01", "1e", "12a", "- 1", "NaN"] {
            assert!(bad.parse::<Amount>().is_err(), "{bad}");
        }
        for good in ["0", "-1.50", "1e3", "2.5E-2"] {
            assert!(good.parse::<Amount>().is_ok(), "{good}");
        }
    }

    #[test]
    fn a_yaml_seed_keeps_cents() {
        let world = World::parse(
            "accounts:\n  - id: sub-1\n    invoices:\n      - {id: i1, invoice_date: 2026-01-31, total_amount: 2039.10}\n",
        )
        .unwrap();
        assert_eq!(world.accounts[0].invoices[0].total_amount.as_str(), "2039.10");
        let json = World::parse(r#"{"accounts": [{"id": "x", "invoices": [{"id": "i", "invoice_date": "2026-01-31", "total_amount": "5.50"}]}]}"#).unwrap();
        assert_eq!(json.accounts[0].invoices[0].total_amount.as_str(), "5.50");
        assert!(World::parse("accounts: [{id: x, colour: red}]").unwrap_err().to_string().contains("colour"));
    }
}
