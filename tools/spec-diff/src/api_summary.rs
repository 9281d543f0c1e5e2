//! A reviewable summary of the generated public API.
//!
//! 14,000 lines of generated client are not reviewable; this listing is.
//! It reads the generated Rust (not the spec), so it shows what users of the
//! crate actually get: each operation with its builder parameters and result,
//! each type with its fields or variants. A spec change then shows up as a
//! small diff of this summary (snapshotted by the tests and compared by
//! `cargo xtask spec-diff`).

use std::fmt;

use quote::ToTokens;
use syn::{Fields, GenericArgument, Item, PathArguments, ReturnType, Type, Visibility};

/// What one line of the summary describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ApiKind {
    /// A client method (one per operation).
    Operation,
    /// A builder parameter of an operation.
    Parameter,
    /// A struct type.
    Struct,
    /// A field of a struct (or the inner type of a newtype).
    Field,
    /// An enum type.
    Enum,
    /// A variant of an enum.
    Variant,
}

impl ApiKind {
    /// The word used in the rendered summary.
    pub fn word(self) -> &'static str {
        match self {
            ApiKind::Operation => "op",
            ApiKind::Parameter => "param",
            ApiKind::Struct => "struct",
            ApiKind::Field => "field",
            ApiKind::Enum => "enum",
            ApiKind::Variant => "variant",
        }
    }
}

/// One item of the public API.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiItem {
    /// What it is.
    pub kind: ApiKind,
    /// Its qualified name, unique per kind: `get_plan_usage`,
    /// `get_plan_usage.account_id`, `PlanUsage`, `PlanUsage.plan_base`,
    /// `EmployeeCount::JustMe`.
    pub name: String,
    /// Its signature: a type, or for an operation `GET /path -> Ok / Err`;
    /// empty where there is nothing to add.
    pub detail: String,
}

/// The public API of a generated client.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiSummary {
    /// Operations first (in client order), then types by name.
    pub items: Vec<ApiItem>,
}

impl fmt::Display for ApiSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for item in &self.items {
            let indent =
                if matches!(item.kind, ApiKind::Parameter | ApiKind::Field | ApiKind::Variant) { "  " } else { "" };
            let sep = if item.detail.is_empty() {
                ""
            } else if item.kind == ApiKind::Operation {
                " "
            } else {
                ": "
            };
            writeln!(f, "{indent}{} {}{sep}{}", item.kind.word(), item.name, item.detail)?;
        }
        Ok(())
    }
}

/// The generated code given to [`summarize`] is not Rust.
#[derive(Debug, thiserror::Error)]
#[error("generated code does not parse: {0}")]
pub struct SummaryError(#[source] pub syn::Error);

/// Summarise generated files: the progenitor client and any file of extra
/// public types (the open enums).
pub fn summarize(files: &[&str]) -> Result<ApiSummary, SummaryError> {
    let mut ops = Vec::new();
    let mut types = Vec::new();
    for text in files {
        let file = syn::parse_file(text).map_err(SummaryError)?;
        walk(&file.items, &mut ops, &mut types);
    }
    types.sort_by(|a: &Vec<ApiItem>, b| a[0].name.cmp(&b[0].name));
    let mut items: Vec<ApiItem> = ops.into_iter().flatten().collect();
    items.extend(types.into_iter().flatten());
    Ok(ApiSummary { items })
}

fn is_pub(vis: &Visibility) -> bool {
    matches!(vis, Visibility::Public(_))
}

/// `ops` and `types` collect groups: an item followed by its members.
fn walk(items: &[Item], ops: &mut Vec<Vec<ApiItem>>, types: &mut Vec<Vec<ApiItem>>) {
    let builders = items.iter().find_map(|item| match item {
        Item::Mod(m) if m.ident == "builder" => m.content.as_ref().map(|(_, items)| items.as_slice()),
        _ => None,
    });
    for item in items {
        match item {
            Item::Mod(m) if m.ident == "types" => {
                if let Some((_, inner)) = &m.content {
                    walk_types(inner, types);
                }
            }
            Item::Impl(imp) if imp.trait_.is_none() && type_name(&imp.self_ty) == "Client" => {
                for member in &imp.items {
                    if let syn::ImplItem::Fn(method) = member
                        && is_pub(&method.vis)
                        && let ReturnType::Type(_, ret) = &method.sig.output
                        && is_builder_path(ret)
                    {
                        let op = method.sig.ident.to_string();
                        ops.push(operation(&op, &type_name(ret), builders.unwrap_or(&[])));
                    }
                }
            }
            _ => {}
        }
    }
    walk_types(items, types);
}

fn walk_types(items: &[Item], types: &mut Vec<Vec<ApiItem>>) {
    for item in items {
        match item {
            Item::Struct(s) if is_pub(&s.vis) && s.ident != "Client" => {
                let name = s.ident.to_string();
                let mut group = vec![ApiItem { kind: ApiKind::Struct, name: name.clone(), detail: String::new() }];
                match &s.fields {
                    Fields::Named(named) => {
                        for field in named.named.iter().filter(|f| is_pub(&f.vis)) {
                            let field_name = field.ident.as_ref().map(|i| i.to_string()).unwrap_or_default();
                            group.push(ApiItem {
                                kind: ApiKind::Field,
                                name: format!("{name}.{}", field_name.trim_start_matches("r#")),
                                detail: render_type(&field.ty),
                            });
                        }
                    }
                    Fields::Unnamed(unnamed) => {
                        for (i, field) in unnamed.unnamed.iter().enumerate().filter(|(_, f)| is_pub(&f.vis)) {
                            group.push(ApiItem {
                                kind: ApiKind::Field,
                                name: format!("{name}.{i}"),
                                detail: render_type(&field.ty),
                            });
                        }
                    }
                    Fields::Unit => {}
                }
                types.push(group);
            }
            Item::Enum(e) if is_pub(&e.vis) => {
                let name = e.ident.to_string();
                let mut group = vec![ApiItem { kind: ApiKind::Enum, name: name.clone(), detail: String::new() }];
                for variant in &e.variants {
                    let detail = match &variant.fields {
                        Fields::Unnamed(f) => {
                            f.unnamed.iter().map(|f| render_type(&f.ty)).collect::<Vec<_>>().join(", ")
                        }
                        Fields::Named(f) => f
                            .named
                            .iter()
                            .map(|f| {
                                format!(
                                    "{}: {}",
                                    f.ident.as_ref().map(|i| i.to_string()).unwrap_or_default(),
                                    render_type(&f.ty)
                                )
                            })
                            .collect::<Vec<_>>()
                            .join(", "),
                        Fields::Unit => String::new(),
                    };
                    group.push(ApiItem { kind: ApiKind::Variant, name: format!("{name}::{}", variant.ident), detail });
                }
                types.push(group);
            }
            _ => {}
        }
    }
}

/// An operation's line and its parameters, read from its builder.
fn operation(op: &str, builder: &str, builders: &[Item]) -> Vec<ApiItem> {
    let mut fields: Vec<(String, bool)> = Vec::new();
    let mut params: Vec<(String, String)> = Vec::new();
    let mut detail = String::new();
    for item in builders {
        match item {
            Item::Struct(s) if s.ident == builder => {
                if let Fields::Named(named) = &s.fields {
                    for field in &named.named {
                        let name = field.ident.as_ref().map(|i| i.to_string()).unwrap_or_default();
                        if name == "client" {
                            continue;
                        }
                        // Builders hold `Result<T, String>`; `T = Option<_>` means optional.
                        let optional = first_generic(&field.ty).is_some_and(|t| type_name(t) == "Option");
                        fields.push((name, optional));
                    }
                }
            }
            Item::Impl(imp) if type_name(&imp.self_ty) == builder => {
                for member in &imp.items {
                    let syn::ImplItem::Fn(method) = member else { continue };
                    let name = method.sig.ident.to_string();
                    if name == "send" {
                        let route = method
                            .attrs
                            .iter()
                            .filter_map(|a| match &a.meta {
                                syn::Meta::NameValue(nv) => Some(nv.value.to_token_stream().to_string()),
                                _ => None,
                            })
                            .find_map(|doc| {
                                let rest = doc.split("Sends a `").nth(1)?;
                                let (method, rest) = rest.split_once("` request to `")?;
                                let path = rest.split('`').next()?;
                                Some(format!("{method} {path}"))
                            })
                            .unwrap_or_default();
                        let ret = match &method.sig.output {
                            ReturnType::Type(_, ty) => render_type(ty),
                            ReturnType::Default => "()".into(),
                        };
                        // Users call the generated call layer, whose `send()` returns the crate's
                        // own `Result<ResponseValue<T>>` (progenitor's error type is internal):
                        // keep `ResponseValue<T>` of progenitor's `Result<ResponseValue<T>, Error<E>>`.
                        let ok = ret
                            .strip_prefix("Result<")
                            .and_then(|r| r.strip_suffix('>'))
                            .map(|r| r.rsplit_once(", Error<").map_or(r, |(ok, _)| ok))
                            .unwrap_or(&ret);
                        detail = format!("{route} -> Result<{ok}>");
                    } else if name != "new" && is_pub(&method.vis) {
                        params.push((name, param_type(method)));
                    }
                }
            }
            _ => {}
        }
    }
    let mut group = vec![ApiItem { kind: ApiKind::Operation, name: op.to_owned(), detail }];
    for (name, ty) in params {
        let detail = match fields.iter().find(|(f, _)| *f == name) {
            Some((_, true)) => format!("{ty}, optional"),
            Some((_, false)) => format!("{ty}, required"),
            // `body_map` edits the body through its builder instead of setting it.
            None => ty,
        };
        group.push(ApiItem { kind: ApiKind::Parameter, name: format!("{op}.{name}"), detail });
    }
    group
}

/// The `T` of a builder setter `fn x<V>(self, value: V) where V: TryInto<T>`.
fn param_type(method: &syn::ImplItemFn) -> String {
    let bounds = method.sig.generics.where_clause.iter().flat_map(|w| w.predicates.iter()).chain(
        // Bounds may also be written inline: `fn x<V: TryInto<T>>`.
        std::iter::empty(),
    );
    for predicate in bounds {
        if let syn::WherePredicate::Type(pt) = predicate {
            for bound in &pt.bounds {
                if let syn::TypeParamBound::Trait(tb) = bound
                    && let Some(last) = tb.path.segments.last()
                    && let PathArguments::Parenthesized(args) = &last.arguments
                {
                    // `FnOnce(builder::X) -> builder::X`.
                    let text: String = args.to_token_stream().to_string().split_whitespace().collect();
                    let text =
                        text.replace("super::", "").replace("types::", "").replace(",)", ")").replace("->", " -> ");
                    return format!("{}{text}", last.ident);
                }
                if let syn::TypeParamBound::Trait(tb) = bound
                    && let Some(last) = tb.path.segments.last()
                    && last.ident == "TryInto"
                    && let PathArguments::AngleBracketed(args) = &last.arguments
                    && let Some(GenericArgument::Type(ty)) = args.args.first()
                {
                    let ty = render_type(ty);
                    // An optional parameter is set with its inner type.
                    return ty.strip_prefix("Option<").and_then(|t| t.strip_suffix('>')).unwrap_or(&ty).to_owned();
                }
            }
        }
    }
    method.sig.inputs.iter().nth(1).map(|arg| arg.to_token_stream().to_string()).unwrap_or_default()
}

fn first_generic(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else { return None };
    args.args.iter().find_map(|a| match a {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

/// Operation methods return `builder::Op<'_>`.
fn is_builder_path(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.len() == 2 && p.path.segments[0].ident == "builder")
}

fn type_name(ty: &Type) -> String {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
        Type::Reference(r) => type_name(&r.elem),
        _ => String::new(),
    }
}

/// A type with every path shortened to its last segment: `Option<Vec<PlanUsageItem>>`.
pub fn render_type(ty: &Type) -> String {
    match ty {
        Type::Path(p) => {
            let Some(last) = p.path.segments.last() else { return String::new() };
            let mut out = last.ident.to_string();
            if let PathArguments::AngleBracketed(args) = &last.arguments {
                let inner: Vec<String> = args
                    .args
                    .iter()
                    .filter_map(|a| match a {
                        GenericArgument::Type(t) => Some(render_type(t)),
                        _ => None,
                    })
                    .collect();
                if !inner.is_empty() {
                    out.push('<');
                    out.push_str(&inner.join(", "));
                    out.push('>');
                }
            }
            out
        }
        Type::Reference(r) => format!("&{}", render_type(&r.elem)),
        Type::Tuple(t) if t.elems.is_empty() => "()".into(),
        other => other.to_token_stream().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_types_and_operations() {
        let client = r#"
            pub mod types {
                pub struct Usage { pub hosts: ::std::option::Option<i64>, private: u8 }
                pub enum Status { Active, Other(::std::string::String) }
            }
            pub struct Client { baseurl: String }
            impl Client {
                pub fn new(baseurl: &str) -> Self { todo!() }
                pub fn get_usage(&self) -> builder::GetUsage<'_> { todo!() }
            }
            pub mod builder {
                pub struct GetUsage<'a> {
                    client: &'a super::Client,
                    account_id: Result<::std::string::String, String>,
                    from: Result<Option<::chrono::naive::NaiveDate>, String>,
                }
                impl<'a> GetUsage<'a> {
                    pub fn new(client: &'a super::Client) -> Self { todo!() }
                    pub fn account_id<V>(mut self, value: V) -> Self where V: std::convert::TryInto<::std::string::String> { self }
                    pub fn from<V>(mut self, value: V) -> Self where V: std::convert::TryInto<::chrono::naive::NaiveDate> { self }
                    /// Sends a `GET` request to `/accounts/{accountId}/usage`
                    pub async fn send(self) -> Result<ResponseValue<types::Usage>, Error<types::ZoomError>> { todo!() }
                }
            }
        "#;
        let summary = summarize(&[client]).unwrap().to_string();
        assert_eq!(
            summary,
            "op get_usage GET /accounts/{accountId}/usage -> Result<ResponseValue<Usage>>\n  \
             param get_usage.account_id: String, required\n  \
             param get_usage.from: NaiveDate, optional\n\
             enum Status\n  variant Status::Active\n  variant Status::Other: String\n\
             struct Usage\n  field Usage.hosts: Option<i64>\n"
        );
    }
}
