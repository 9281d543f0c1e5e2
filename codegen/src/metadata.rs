//! The operation table: what the runtime needs to know about each operation
//! (rate limits, scopes, whether a retry is safe), read from the spec's
//! extensions so that there is no second, hand-kept copy of it.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::walk::operation_rows as operations;

/// One operation as the runtime sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperationMeta {
    /// Our snake_case operationId (the Rust method name).
    pub operation_id: String,
    /// Zoom's own operationId, for cross-referencing Zoom's docs.
    pub zoom_operation_id: Option<String>,
    /// `GET`, `POST`...
    pub method: String,
    /// Path template relative to the server URL.
    pub path: String,
    /// The summary line.
    pub summary: String,
    /// Rate-limit label (`Heavy`...).
    pub label: String,
    /// Minimum seconds between two requests.
    pub min_interval_secs: Option<u64>,
    /// Requests per UTC day.
    pub daily_limit: Option<u64>,
    /// `account` or `account_id`.
    pub per: String,
    /// Alternative scope sets: any one set is enough.
    pub scopes: Vec<Vec<String>>,
    /// Whether sending the request twice is harmless.
    pub idempotent: bool,
    /// What the success response carries: `json`, `empty` or `binary`.
    pub response: String,
    /// `x-zoom-verify-with`: the operation that tells whether a request of this
    /// (creating) operation took effect, and how to use it.
    pub verify_with: Option<(String, String)>,
}

/// Parse `"180s"` (or a bare integer of seconds).
pub fn parse_interval(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.strip_suffix('s')?.parse().ok(),
        _ => None,
    }
}

/// `json`, `empty` or `binary`: the content of the operation's 2xx response.
fn response_kind(root: &Value, op: &Value) -> &'static str {
    let Some(responses) = op.get("responses").and_then(Value::as_object) else { return "empty" };
    let Some(success) = responses.iter().find(|(status, _)| status.starts_with('2')).map(|(_, r)| r) else {
        return "empty";
    };
    // A response may be a local `$ref` to `#/components/responses/NAME`.
    let success = match success.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => root.pointer(pointer).unwrap_or(success),
        None => success,
    };
    match success.get("content").and_then(Value::as_object) {
        None => "empty",
        Some(content) if content.is_empty() => "empty",
        Some(content) if content.keys().any(|k| k == "application/json") => "json",
        Some(_) => "binary",
    }
}

/// Read the table from a spec that passed the lint.
pub fn extract(root: &Value) -> Vec<OperationMeta> {
    operations(root)
        .into_iter()
        .map(|(_, method, path, op)| {
            let limit = op.get("x-zoom-rate-limit");
            let field = |key: &str| limit.and_then(|l| l.get(key));
            let scopes = op
                .get("security")
                .and_then(Value::as_array)
                .map(|reqs| {
                    reqs.iter()
                        .filter_map(Value::as_object)
                        .flat_map(|r| r.values())
                        .filter_map(Value::as_array)
                        .map(|set| set.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                        .collect()
                })
                .unwrap_or_default();
            OperationMeta {
                operation_id: op.get("operationId").and_then(Value::as_str).unwrap_or_default().to_owned(),
                zoom_operation_id: op.get("x-zoom-operation-id").and_then(Value::as_str).map(str::to_owned),
                summary: op.get("summary").and_then(Value::as_str).unwrap_or_default().trim().to_owned(),
                idempotent: method != "POST",
                response: response_kind(root, op).to_owned(),
                verify_with: op.get("x-zoom-verify-with").and_then(|v| {
                    let operation = v.get("operation").and_then(Value::as_str)?;
                    let how = v.get("how").and_then(Value::as_str).unwrap_or_default().trim();
                    Some((operation.to_owned(), how.to_owned()))
                }),
                method,
                path,
                label: field("label").and_then(Value::as_str).unwrap_or("Heavy").to_owned(),
                min_interval_secs: field("min_interval").and_then(parse_interval),
                daily_limit: field("daily_limit").and_then(Value::as_u64),
                per: field("per").and_then(Value::as_str).unwrap_or("account").to_owned(),
                scopes,
            }
        })
        .collect()
}

/// Rust tokens for `generated/operations.rs`: an `Operation` enum and the table.
pub fn render(ops: &[OperationMeta], module_root: &syn::Path) -> TokenStream {
    let count = ops.len();
    let variants: Vec<_> =
        ops.iter().map(|op| format_ident!("{}", heck::AsUpperCamelCase(&op.operation_id).to_string())).collect();
    let variant_docs: Vec<String> =
        ops.iter().map(|op| format!("`{} {}`: {}.", op.method, op.path, op.summary.trim_end_matches('.'))).collect();
    let ids: Vec<&str> = ops.iter().map(|op| op.operation_id.as_str()).collect();
    let entries = ops.iter().zip(&variants).map(|(op, variant)| {
        let OperationMeta { operation_id, method, path, summary, .. } = op;
        let zoom_id = op.zoom_operation_id.as_deref().unwrap_or(operation_id);
        let label = format_ident!("{}", heck::AsUpperCamelCase(&op.label).to_string());
        let interval = match op.min_interval_secs {
            Some(s) => quote!(Some(::std::time::Duration::from_secs(#s))),
            None => quote!(None),
        };
        let daily = match op.daily_limit.map(|d| d as u32) {
            Some(d) => quote!(Some(#d)),
            None => quote!(None),
        };
        let per =
            if op.per == "account_id" { quote!(RateLimitScope::AccountId) } else { quote!(RateLimitScope::Account) };
        let scopes = op.scopes.iter().map(|set| quote!(&[#(#set),*]));
        let idempotent = op.idempotent;
        let response = format_ident!("{}", heck::AsUpperCamelCase(&op.response).to_string());
        let verify_with = match &op.verify_with {
            Some((operation, how)) => {
                let variant = format_ident!("{}", heck::AsUpperCamelCase(operation).to_string());
                quote!(Some(Verification { operation: Operation::#variant, how: #how }))
            }
            None => quote!(None),
        };
        quote! {
            OperationMeta {
                operation: Operation::#variant,
                operation_id: #operation_id,
                zoom_operation_id: #zoom_id,
                method: #method,
                path: #path,
                summary: #summary,
                rate_limit: RateLimit {
                    label: RateLimitLabel::#label,
                    min_interval: #interval,
                    daily_limit: #daily,
                    per: #per,
                },
                scopes: &[#(#scopes),*],
                idempotent: #idempotent,
                response: ResponseKind::#response,
                verify_with: #verify_with,
            }
        }
    });
    let indices = 0..count;
    quote! {
        #[allow(unused_imports)]
        use #module_root::metadata::{OperationMeta, RateLimit, RateLimitLabel, RateLimitScope, ResponseKind, Verification};

        /// Every operation of the API, one variant each; its `Display` is the operationId.
        ///
        /// Non-exhaustive: an operation added to the spec is not a breaking change. Inside
        /// this crate, matches are exhaustive, so a new operation is handled everywhere.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Operation {
            #(#[doc = #variant_docs] #variants,)*
        }

        impl Operation {
            /// All operations, in spec order.
            pub const ALL: [Operation; #count] = [#(Operation::#variants),*];

            /// The operation whose operationId (the Rust method name) is `id`.
            pub fn from_operation_id(id: &str) -> Option<Operation> {
                match id {
                    #(#ids => Some(Operation::#variants),)*
                    _ => None,
                }
            }

            /// What the spec says about this operation.
            pub fn meta(self) -> &'static OperationMeta {
                match self {
                    #(Operation::#variants => &OPERATIONS[#indices],)*
                }
            }

            /// The operationId, which is also the client's method name.
            pub fn operation_id(self) -> &'static str {
                self.meta().operation_id
            }
        }

        impl ::std::fmt::Display for Operation {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.operation_id())
            }
        }

        /// The metadata of every operation, in spec order.
        pub static OPERATIONS: [OperationMeta; #count] = [#(#entries),*];
    }
}
