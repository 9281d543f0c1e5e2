//! What a spec change does to the public Rust API of the generated client.
//!
//! Both specs are run through progenitor (in memory, on two threads), each
//! result is reduced to the [`api_summary`] listing, and
//! the two listings are compared item by item: operations, builder
//! parameters, types, fields and variants added, removed or changed.

use std::collections::BTreeMap;

use serde::Serialize;

use zoom_billing_codegen::{Spec, VariantClash, generate, values};

use crate::api_summary::{self, ApiItem, ApiKind, ApiSummary, SummaryError};

/// One difference in the public Rust API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiChange {
    /// `added`, `removed` or `changed`; `unavailable` when a client could not be generated.
    pub change: &'static str,
    /// `op`, `param`, `struct`, `field`, `enum` or `variant` (as in the API summary).
    pub kind: &'static str,
    /// Qualified name: `get_plan_usage.account_id`, `PlanUsage.plan_base`, `PlanStatus::Active`.
    pub name: String,
    /// The old signature (type, or route and result for an operation).
    pub before: Option<String>,
    /// The new signature.
    pub after: Option<String>,
}

/// Why a side's client could not be generated and summarised.
#[derive(Debug, thiserror::Error)]
pub enum ImpactError {
    /// progenitor refused the spec.
    #[error(transparent)]
    Generate(#[from] zoom_billing_codegen::Error),
    /// The open enums clash.
    #[error("{file}: {source}")]
    OpenEnum {
        /// The spec file.
        file: String,
        /// The clash.
        #[source]
        source: VariantClash,
    },
    /// The generated code did not parse.
    #[error("{file}: {source}")]
    Summary {
        /// The spec file.
        file: String,
        /// syn's error.
        #[source]
        source: SummaryError,
    },
    /// The thread generating the base client panicked.
    #[error("the generator thread panicked")]
    Panicked,
}

/// The public API summary of the client generated from `spec`.
pub fn summarize(spec: &Spec) -> Result<ApiSummary, ImpactError> {
    let client = generate::run_progenitor(spec)?;
    let open = values::render(&values::collect(&spec.source.value))
        .map_err(|source| ImpactError::OpenEnum { file: spec.file.clone(), source })?;
    // The summary parses the tokens itself; pretty-printing them would only cost time.
    let (client, open) = (client.to_string(), open.to_string());
    api_summary::summarize(&[&client, &open]).map_err(|source| ImpactError::Summary { file: spec.file.clone(), source })
}

/// Generate both clients (in parallel) and compare their public APIs.
pub fn compare(base: &Spec, head: &Spec) -> Vec<ApiChange> {
    let (b, h) = std::thread::scope(|scope| {
        let b = scope.spawn(|| summarize(base));
        let h = summarize(head);
        (b.join().unwrap_or(Err(ImpactError::Panicked)), h)
    });
    match (b, h) {
        (Ok(b), Ok(h)) => diff(&b, &h),
        (b, h) => [("base", b.err()), ("head", h.err())]
            .into_iter()
            .filter_map(|(side, err)| {
                err.map(|e| ApiChange {
                    change: "unavailable",
                    kind: "client",
                    name: side.to_owned(),
                    before: None,
                    after: Some(e.to_string()),
                })
            })
            .collect(),
    }
}

fn parent(item: &ApiItem) -> Option<(ApiKind, &str)> {
    match item.kind {
        ApiKind::Parameter => item.name.split_once('.').map(|(p, _)| (ApiKind::Operation, p)),
        ApiKind::Field => item.name.split_once('.').map(|(p, _)| (ApiKind::Struct, p)),
        ApiKind::Variant => item.name.split_once("::").map(|(p, _)| (ApiKind::Enum, p)),
        _ => None,
    }
}

/// Compare two summaries. Members of an added or removed operation or type
/// are not listed separately.
pub fn diff(base: &ApiSummary, head: &ApiSummary) -> Vec<ApiChange> {
    let index = |s: &ApiSummary| -> BTreeMap<(ApiKind, String), String> {
        s.items.iter().map(|i| ((i.kind, i.name.clone()), i.detail.clone())).collect()
    };
    let (bi, hi) = (index(base), index(head));
    let parent_missing = |item: &ApiItem, other: &BTreeMap<(ApiKind, String), String>| {
        parent(item).is_some_and(|(kind, name)| !other.contains_key(&(kind, name.to_owned())))
    };
    let mut out = Vec::new();
    for item in &base.items {
        match hi.get(&(item.kind, item.name.clone())) {
            None if !parent_missing(item, &hi) => out.push(ApiChange {
                change: "removed",
                kind: item.kind.word(),
                name: item.name.clone(),
                before: Some(item.detail.clone()),
                after: None,
            }),
            Some(detail) if *detail != item.detail => out.push(ApiChange {
                change: "changed",
                kind: item.kind.word(),
                name: item.name.clone(),
                before: Some(item.detail.clone()),
                after: Some(detail.clone()),
            }),
            _ => {}
        }
    }
    for item in &head.items {
        if !bi.contains_key(&(item.kind, item.name.clone())) && !parent_missing(item, &bi) {
            out.push(ApiChange {
                change: "added",
                kind: item.kind.word(),
                name: item.name.clone(),
                before: None,
                after: Some(item.detail.clone()),
            });
        }
    }
    let top = |c: &ApiChange| {
        let end = c.name.find(['.', ':']).unwrap_or(c.name.len());
        c.name[..end].to_owned()
    };
    let rank = |c: &ApiChange| ["op", "struct", "enum", "param", "field", "variant"].iter().position(|k| *k == c.kind);
    out.sort_by(|a, b| (top(a), rank(a), &a.name).cmp(&(top(b), rank(b), &b.name)));
    out
}
