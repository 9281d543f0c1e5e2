//! The operation table: what the runtime needs to know about each operation
//! (rate limits, scopes, whether a retry is safe), read from the spec's
//! extensions so that there is no second, hand-kept copy of it.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::{refs, walk};

/// One operation as the runtime sees it.
#[derive(Clone, Debug, PartialEq)]
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
    /// The status of the success response (the first 2xx the spec lists).
    pub success_status: u16,
    /// `x-zoom-verify-with`: the operation that tells whether a request of this
    /// (creating) operation took effect, and how to use it.
    pub verify_with: Option<(String, String)>,
    /// `x-zoom-pagination`: the response property holding a page's items.
    pub pagination: Option<Pagination>,
    /// `x-zoom-replaced-by` of a `deprecated: true` operation: its replacement's operationId.
    pub replaced_by: Option<String>,
    /// The operation's parameters, path and query, in spec order.
    pub params: Vec<ParamMeta>,
}

/// How a paginated list pages (`x-zoom-pagination`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pagination {
    /// The response property (an array) that holds the items of a page.
    pub items: String,
    /// The query parameter and response property that carry the page token.
    pub token: String,
}

/// The page token's name, as everywhere in Zoom's API.
pub const PAGE_TOKEN: &str = "next_page_token";

/// A `minimum` or `maximum`, with whether it is exclusive.
pub type Bound = Option<(f64, bool)>;

/// One path or query parameter, as the call layer checks it before sending.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamMeta {
    /// The name in the spec (`accountId`).
    pub name: String,
    /// progenitor's setter name (`account_id`).
    pub setter: String,
    /// `path` or `query`.
    pub location: String,
    /// Whether the request cannot be sent without it.
    pub required: bool,
    /// The values the schema allows, in words (`one of 30, 60, 90`, `from 1 to 49`),
    /// when it constrains them.
    pub allowed: Option<String>,
    /// `minimum` and `maximum`, each with whether it is exclusive: checked on the value,
    /// since the generated type may not hold them (`{minimum: 1, maximum: 300}` is a `NonZeroU64`).
    pub bounds: (Bound, Bound),
    /// The first sentence of its description.
    pub hint: String,
}

/// Parse `"180s"` (or a bare integer of seconds).
pub fn parse_interval(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.strip_suffix('s')?.parse().ok(),
        _ => None,
    }
}

/// The first 2xx status the operation's responses list (200 when none does).
fn success_status(op: &Value) -> u16 {
    op.get("responses")
        .and_then(Value::as_object)
        .and_then(|responses| {
            responses.keys().find_map(|status| status.parse::<u16>().ok().filter(|s| (200..300).contains(s)))
        })
        .unwrap_or(200)
}

/// `json`, `empty` or `binary`: the content of the operation's 2xx response.
fn response_kind(root: &Value, op: &Value) -> &'static str {
    let Some(responses) = op.get("responses").and_then(Value::as_object) else { return "empty" };
    let Some(success) = responses.iter().find(|(status, _)| status.starts_with('2')).map(|(_, r)| r) else {
        return "empty";
    };
    // A response may be a local `$ref` to `#/components/responses/NAME`.
    let success = refs::resolve(root, success).map_or(success, |r| r.value);
    match success.get("content").and_then(Value::as_object) {
        None => "empty",
        Some(content) if content.is_empty() => "empty",
        Some(content) if content.keys().any(|k| k == "application/json") => "json",
        Some(_) => "binary",
    }
}

/// The operation's path and query parameters, in spec order.
fn params<'v>(root: &'v Value, op: &walk::Operation<'v>) -> Vec<ParamMeta> {
    // A `$ref` that does not resolve is the lint's finding; generation runs on a linted spec.
    let resolved = refs::parameters(root, op).unwrap_or_default();
    let schema = |param: &'v Value| param.get("schema").and_then(|s| refs::resolve(root, s).ok()).map(|r| r.value);
    resolved
        .into_iter()
        .filter_map(|param| {
            let name = param.get("name").and_then(Value::as_str)?;
            let location = param.get("in").and_then(Value::as_str).filter(|l| *l == "path" || *l == "query")?;
            let description = param.get("description").and_then(Value::as_str).unwrap_or_default();
            Some(ParamMeta {
                name: name.to_owned(),
                setter: heck::AsSnakeCase(name).to_string(),
                location: location.to_owned(),
                required: param.get("required").and_then(Value::as_bool).unwrap_or(false),
                allowed: schema(param).and_then(allowed),
                bounds: schema(param).map(bounds).unwrap_or_default(),
                hint: first_sentence(description),
            })
        })
        .collect()
}

/// A schema's `minimum` and `maximum`, each with whether it is exclusive.
pub fn bounds(schema: &Value) -> (Bound, Bound) {
    let bound = |key: &str, exclusive: &str| {
        let n = schema.get(key).and_then(Value::as_f64)?;
        Some((n, schema.get(exclusive).and_then(Value::as_bool).unwrap_or(false)))
    };
    (bound("minimum", "exclusiveMinimum"), bound("maximum", "exclusiveMaximum"))
}

/// What a parameter schema allows, in words, when it constrains the value.
pub fn allowed(schema: &Value) -> Option<String> {
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let ints: Option<Vec<i64>> = values.iter().map(Value::as_i64).collect();
        if let Some(ints) = ints.filter(|i| i.len() > 3)
            && ints.windows(2).all(|w| w[1] == w[0] + 1)
        {
            return Some(format!("from {} to {}", ints[0], ints[ints.len() - 1]));
        }
        let shown: Vec<String> = values
            .iter()
            .map(|v| match v {
                Value::String(s) => format!("`{s}`"),
                other => other.to_string(),
            })
            .collect();
        return Some(format!("one of {}", shown.join(", ")));
    }
    let number = |n: f64| if n.fract() == 0.0 { format!("{}", n as i64) } else { n.to_string() };
    match bounds(schema) {
        (Some((lo, false)), Some((hi, false))) => Some(format!("from {} to {}", number(lo), number(hi))),
        (lo, hi) if lo.is_some() || hi.is_some() => {
            let mut parts = Vec::new();
            if let Some((lo, ex)) = lo {
                parts.push(if ex { format!("above {}", number(lo)) } else { format!("at least {}", number(lo)) });
            }
            if let Some((hi, ex)) = hi {
                parts.push(if ex { format!("below {}", number(hi)) } else { format!("at most {}", number(hi)) });
            }
            Some(parts.join(" and "))
        }
        _ => None,
    }
}

/// The first sentence of `text`, on one line.
fn first_sentence(text: &str) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.find(". ") {
        Some(end) => one_line[..=end].to_owned(),
        None => one_line,
    }
}

/// Read the table from a spec that passed the lint.
pub fn extract(root: &Value) -> Vec<OperationMeta> {
    walk::operations(root)
        .into_iter()
        .map(|walked| {
            let (method, path, op) = (walked.http_method(), walked.path.to_owned(), walked.value);
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
                success_status: success_status(op),
                verify_with: op.get("x-zoom-verify-with").and_then(|v| {
                    let operation = v.get("operation").and_then(Value::as_str)?;
                    let how = v.get("how").and_then(Value::as_str).unwrap_or_default().trim();
                    Some((operation.to_owned(), how.to_owned()))
                }),
                pagination: op.get("x-zoom-pagination").and_then(|p| {
                    Some(Pagination { items: p.get("items")?.as_str()?.to_owned(), token: PAGE_TOKEN.to_owned() })
                }),
                replaced_by: op
                    .get("deprecated")
                    .and_then(Value::as_bool)
                    .filter(|d| *d)
                    .and_then(|_| op.get("x-zoom-replaced-by")?.as_str().map(str::to_owned)),
                params: params(root, &walked),
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
        let success_status = op.success_status;
        let verify_with = match &op.verify_with {
            Some((operation, how)) => {
                let variant = format_ident!("{}", heck::AsUpperCamelCase(operation).to_string());
                quote!(Some(Verification { operation: Operation::#variant, how: #how }))
            }
            None => quote!(None),
        };
        let pagination = match &op.pagination {
            Some(Pagination { items, token }) => quote!(Some(Pagination { items: #items, token: #token })),
            None => quote!(None),
        };
        let replaced_by = match &op.replaced_by {
            Some(replacement) => {
                let variant = format_ident!("{}", heck::AsUpperCamelCase(replacement).to_string());
                quote!(Some(Operation::#variant))
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
                success_status: #success_status,
                verify_with: #verify_with,
                pagination: #pagination,
                replaced_by: #replaced_by,
            }
        }
    });
    let indices = 0..count;
    quote! {
        #[allow(unused_imports)]
        use #module_root::metadata::{
            OperationMeta, Pagination, RateLimit, RateLimitLabel, RateLimitScope, ResponseKind, Verification,
        };

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
