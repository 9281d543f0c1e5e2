//! Request bodies the tests send.

use zoom_billing::types;

/// A valid `subscribe_plan` body: a contact and a monthly base plan for 5 hosts.
pub fn subscribe_plan_request() -> types::SubscribePlanRequest {
    serde_json::from_value(serde_json::json!({
        "contact": {"first_name": "Jill", "last_name": "Chill", "email": "jill@example.com", "phone_number": "1",
            "address": "55 Almaden", "city": "San Jose", "state": "CA", "zip": "95113", "country": "US", "company_name": "X"},
        "plan_base": {"type": "monthly", "hosts": 5}
    }))
    .expect("the sample body matches the spec")
}
