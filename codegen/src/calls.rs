//! The public call layer: one builder per operation around progenitor's.
//!
//! progenitor's builders return its own error type and can only run the
//! runtime inside its `exec` hook, which returns a `reqwest::Response`. The
//! builders generated here keep progenitor's fluent setters (so a new
//! optional parameter stays non-breaking) and send through the runtime's
//! call pipeline (`<root>::call::run`), which retries clones of the
//! progenitor builder and returns the crate's own `Result`. What codegen knows
//! of the call reaches the pipeline as values (`<root>::call::Call`): the
//! operation, the `accountId` given (for an operation whose path has one) and,
//! for a bodiless success, its value. `send()` returns
//! the pipeline's boxed future (`<root>::CallFuture`) as it is, and `.await`
//! on a builder runs that same future.
//!
//! Everything is read from progenitor's output (the builder structs, their
//! setters and `send` signatures, the client methods and their docs) and the
//! operation table, so the spec stays the only per-operation table.

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote};
use syn::{Attribute, FnArg, GenericArgument, ImplItem, Item, PathArguments, ReturnType, Type};

use crate::metadata::{OperationMeta, Pagination, ParamMeta};

/// Why progenitor's output could not be wrapped.
#[derive(Debug, thiserror::Error)]
pub enum CallsError {
    /// progenitor's tokens did not parse as a file.
    #[error("progenitor's output does not parse: {0}")]
    Parse(#[from] syn::Error),
    /// An expected item is missing.
    #[error("progenitor's output has no {0}")]
    Missing(String),
    /// A `send` signature of an unexpected shape.
    #[error("operation `{operation}`: unexpected `send` return type: {found}")]
    SendShape {
        /// The operation id.
        operation: String,
        /// The return type as written.
        found: String,
    },
    /// More required parameters than `request::Checks` tracks.
    #[error("operation `{operation}`: more than 8 required parameters")]
    TooManyRequired {
        /// The operation id.
        operation: String,
    },
    /// A paginated operation's response type does not have the fields `x-zoom-pagination` names.
    #[error("operation `{operation}`: {message}")]
    Pagination {
        /// The operation id.
        operation: String,
        /// What is missing.
        message: String,
    },
    /// A spec parameter would shadow a method the call layer adds.
    #[error("operation `{operation}`: a parameter setter is named `{name}`, which the call layer reserves")]
    ReservedName {
        /// The operation id.
        operation: String,
        /// The clashing name.
        name: String,
    },
}

/// The path parameter that names the account a call is for: pacing and daily budgets
/// are kept per account, so its value is handed to the pipeline.
const ACCOUNT_ID: &str = "accountId";

/// Method names the call layer adds to builders.
const RESERVED: &[&str] = &["send", "options", "into_future", "stream", "stream_from", "save_to", "write_to"];

/// Tokens of `generated/calls.rs` for progenitor's `client` tokens and the operation table.
pub fn render(client: &TokenStream, ops: &[OperationMeta], module_root: &syn::Path) -> Result<TokenStream, CallsError> {
    let file: syn::File = syn::parse2(client.clone())?;
    let builders = builder_impls(&file)?;
    let methods = client_methods(&file);
    let root = quote!(#module_root).to_string().replace(' ', "");

    let mut client_fns = Vec::new();
    let mut builder_items = Vec::new();
    for op in ops {
        let name = format_ident!("{}", op.operation_id);
        let variant = format_ident!("{}", heck::AsUpperCamelCase(&op.operation_id).to_string());
        let (method_docs, ty) = methods
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, docs, ty)| (docs.clone(), ty.clone()))
            .ok_or_else(|| CallsError::Missing(format!("client method `{name}`")))?;
        let builder =
            builders.iter().find(|b| b.ident == ty).ok_or_else(|| CallsError::Missing(format!("builder `{ty}`")))?;
        let (ok, _err) = send_types(builder, &op.operation_id)?;

        // Required parameters, one bit each, cleared by their setter (`request::Checks`).
        let required: Vec<&ParamMeta> = op.params.iter().filter(|p| p.required).collect();
        if required.len() > 8 {
            return Err(CallsError::TooManyRequired { operation: op.operation_id.clone() });
        }
        let mut setters = Vec::new();
        for f in &builder.setters {
            let setter = &f.sig.ident;
            if RESERVED.contains(&setter.to_string().as_str()) {
                return Err(CallsError::ReservedName { operation: op.operation_id.clone(), name: setter.to_string() });
            }
            setters.push(setter_tokens(f, op, &required, module_root));
        }
        let required_names = required.iter().map(|p| {
            let (name, hint) = (&p.setter, &p.hint);
            quote!((#name, #hint))
        });
        let all_required = (1u16 << required.len()) - 1;
        let all_required = all_required as u8;

        let empty = if is_unit(&ok) { quote!(Some(|| ())) } else { quote!(None) };
        let builder_docs = format!(
            "Builder for [`Client::{name}`]({root}::Client::{name}): `{} {}`.\n\n\
             Set the parameters, then `.send().await` (or `.await` the builder). The call is paced by the \
             spec's rate limits, authorised, retried when that is safe, and fails with \
             [`Error`]({root}::Error).",
            op.method,
            op.path,
            root = quote!(#module_root).to_string().replace(' ', ""),
        );
        let deprecated = op.replaced_by.as_ref().map(|replacement| {
            let target = ops.iter().find(|o| &o.operation_id == replacement);
            let note = match target {
                Some(t) => format!(
                    "Zoom deprecated `{} {}`: use `{replacement}` (`{} {}`) instead",
                    op.method, op.path, t.method, t.path
                ),
                None => format!("Zoom deprecated `{} {}`: use `{replacement}` instead", op.method, op.path),
            };
            quote!(#[deprecated(note = #note)])
        });
        client_fns.push(quote! {
            #(#method_docs)*
            #deprecated
            pub fn #name(&self) -> builder::#ty<'_> {
                builder::#ty::new(self)
            }
        });
        let extras = match (&op.pagination, op.response.as_str()) {
            (Some(pagination), _) => stream_tokens(&file, op, pagination, &ok, &variant, module_root, &root)?,
            (None, "binary") => sink_tokens(&variant, module_root),
            _ => TokenStream::new(),
        };
        builder_items.push(quote! {
            #[doc = #builder_docs]
            #[derive(Debug, Clone)]
            #[must_use = "a request does nothing until it is sent: call `.send().await` or `.await` it"]
            pub struct #ty<'a> {
                client: &'a #module_root::Client,
                raw: raw::#ty<'a>,
                options: #module_root::call::CallOptions,
                checks: #module_root::request::Checks,
                /// The `accountId` given, for an operation that has one: the pipeline paces per account.
                account_id: Option<String>,
            }

            impl<'a> #ty<'a> {
                pub(super) fn new(client: &'a #module_root::Client) -> Self {
                    Self {
                        client,
                        raw: client.raw().#name(),
                        options: Default::default(),
                        checks: #module_root::request::Checks::new(#all_required),
                        account_id: None,
                    }
                }

                #(#setters)*

                /// Override the client's timeout, retry policy or pacing `max_wait` for this call only.
                pub fn options(self, options: #module_root::call::CallOptions) -> Self {
                    Self { options, ..self }
                }

                /// Send the request. A parameter the spec does not allow, or a required one
                /// not set, fails with `Error::InvalidRequest` before anything is sent.
                pub fn send(self) -> #module_root::CallFuture<'a, #ok> {
                    let Self { client, raw, options, checks, account_id } = self;
                    if let Some(message) = checks.refusal(&[#(#required_names),*]) {
                        return #module_root::call::refused(Operation::#variant, message);
                    }
                    let call = #module_root::call::Call { operation: Operation::#variant, account_id, options, empty: #empty };
                    #module_root::call::run(client, call, move || raw.clone().send())
                }

                #extras
            }

            impl<'a> ::std::future::IntoFuture for #ty<'a> {
                type Output = #module_root::Result<ResponseValue<#ok>>;
                type IntoFuture = #module_root::CallFuture<'a, #ok>;

                fn into_future(self) -> Self::IntoFuture {
                    self.send()
                }
            }
        });
    }

    let conversions = builder_conversions(&file, &builders);
    let builder_mod_doc = format!(
        "One builder per operation, returned by the [`Client`]({}::Client) methods.",
        quote!(#module_root).to_string().replace(' ', "")
    );
    Ok(quote! {
        #[allow(unused_imports)]
        use #module_root::generated::client::{types, ByteStream, ResponseValue};
        use #module_root::metadata::Operation;

        impl #module_root::Client {
            #(#client_fns)*
        }

        #(#conversions)*

        #[doc = #builder_mod_doc]
        pub mod builder {
            #[allow(unused_imports)]
            use super::{types, ByteStream, Operation, ResponseValue};
            use #module_root::generated::client::builder as raw;

            #(#builder_items)*
        }
    })
}

/// `(setter, the type its value is converted to)` of one builder.
pub type Setters = Vec<(String, Type)>;

/// What each operation's progenitor builder takes: `(setter, target type)` for every setter
/// whose argument is `V: TryInto<T>` (parameters and the body), keyed by operationId, with
/// types as progenitor names them (`types::X`, `::std::string::String`...). The command line
/// (`cli.rs`) needs them to convert a flag's value into what the setter takes.
pub fn setter_targets(client: &TokenStream) -> Result<Vec<(String, Setters)>, CallsError> {
    let file: syn::File = syn::parse2(client.clone())?;
    let builders = builder_impls(&file)?;
    let mut out = Vec::new();
    for (method, _, ty) in client_methods(&file) {
        let builder =
            builders.iter().find(|b| b.ident == ty).ok_or_else(|| CallsError::Missing(format!("builder `{ty}`")))?;
        let targets = builder
            .setters
            .iter()
            .filter_map(|s| {
                let bound = s.sig.generics.where_clause.as_ref()?.predicates.iter().find_map(|p| match p {
                    syn::WherePredicate::Type(t) => t.bounds.iter().find_map(|b| match b {
                        syn::TypeParamBound::Trait(t)
                            if t.path.segments.last().is_some_and(|s| s.ident == "TryInto") =>
                        {
                            path_args::<1>(&t.path)
                        }
                        _ => None,
                    }),
                    _ => None,
                })?;
                let [target] = bound;
                Some((s.sig.ident.to_string(), target))
            })
            .collect();
        out.push((method.to_string(), targets));
    }
    Ok(out)
}

/// One setter of the public builder: progenitor's, with the checks the spec asks for
/// (a constrained value converted and refused with what is allowed; a required parameter
/// marked set; a body converted here, so a bad one is refused with the reason).
fn setter_tokens(f: &Setter, op: &OperationMeta, required: &[&ParamMeta], module_root: &syn::Path) -> TokenStream {
    let setter = &f.sig.ident;
    let generics = &f.sig.generics;
    let where_clause = &f.sig.generics.where_clause;
    let args: Vec<_> = f.sig.inputs.iter().filter_map(typed_arg).collect();
    let name = setter.to_string();
    let param = op.params.iter().find(|p| p.setter == name);
    // progenitor documents no setter: say what the spec says of the parameter.
    let spec_docs: Vec<Attribute> = match param {
        Some(p) if f.docs.is_empty() => {
            let mut text =
                format!("`{}` ({} parameter{}).", p.name, p.location, if p.required { ", required" } else { "" });
            if !p.hint.is_empty() {
                text = format!("{} {text}", p.hint);
            }
            if let Some(allowed) = &p.allowed {
                text.push_str(&format!(" Allowed: {allowed}; anything else is refused before sending."));
            }
            vec![syn::parse_quote!(#[doc = #text])]
        }
        None if f.docs.is_empty() && name == "body" => {
            let text = "The request body: the type or its builder. One that cannot be built (a required \
                        field missing) is refused before sending.";
            vec![syn::parse_quote!(#[doc = #text])]
        }
        _ => f.docs.clone(),
    };
    let docs = &spec_docs;
    let target = where_clause.as_ref().and_then(|w| w.predicates.first()).and_then(|p| match p {
        syn::WherePredicate::Type(t) => t.bounds.first().and_then(|b| match b {
            syn::TypeParamBound::Trait(t) => path_args::<1>(&t.path),
            _ => None,
        }),
        _ => None,
    });
    let bit = required.iter().position(|p| p.setter == name).map(|i| 1u8 << i);
    let mark = bit.map(|bit| quote!(self.checks.set(#bit);));
    match (args.as_slice(), target) {
        ([(value, _)], Some([target])) if name == "body" => {
            // Where progenitor's bound lets the conversion's error be shown, it is.
            let shows_error = where_clause.as_ref().is_some_and(|w| w.predicates.len() > 1);
            let convert = if shows_error { quote!(body) } else { quote!(body_of) };
            quote! {
                #(#docs)*
                pub fn body #generics (mut self, #value: V) -> Self #where_clause {
                    if let Some(body) = #module_root::request::#convert::<V, #target>(&mut self.checks, #value) {
                        self.raw = self.raw.body(body);
                    }
                    self
                }
            }
        }
        ([(value, _)], Some([target])) if param.is_some_and(|p| p.allowed.is_some()) => {
            let allowed = param.and_then(|p| p.allowed.clone()).unwrap_or_default();
            let bound = |b: Option<(f64, bool)>| match b {
                Some((n, exclusive)) => quote!(Some((#n, #exclusive))),
                None => quote!(None),
            };
            // The generated type may not hold a bound (`maximum` beside `minimum: 1` is a `NonZeroU64`).
            let within = param.filter(|p| p.bounds.0.is_some() || p.bounds.1.is_some()).map(|p| {
                let (min, max) = (bound(p.bounds.0), bound(p.bounds.1));
                quote! {
                    let value = value.and_then(|v| #module_root::request::within(&mut self.checks, v, #name, #allowed, #min, #max));
                }
            });
            // The value is shown in the refusal: `got 50`.
            let mut where_clause = where_clause.clone();
            if let Some(w) = where_clause.as_mut() {
                w.predicates.push(syn::parse_quote!(V: ::std::fmt::Debug));
            }
            quote! {
                #(#docs)*
                pub fn #setter #generics (mut self, #value: V) -> Self #where_clause {
                    #mark
                    let value = #module_root::request::convert::<V, #target>(&mut self.checks, #value, #name, #allowed);
                    #within
                    if let Some(value) = value {
                        self.raw = self.raw.#setter(value);
                    }
                    self
                }
            }
        }
        ([(value, _)], Some([target])) if param.is_some_and(|p| p.location == "path") && is_string(&target) => {
            // The pipeline gets the account as a value: it never reads it back out of the URL.
            let keep = param.filter(|p| p.name == ACCOUNT_ID).map(|_| quote!(self.account_id = Some(value.clone());));
            quote! {
                #(#docs)*
                pub fn #setter #generics (mut self, #value: V) -> Self #where_clause {
                    #mark
                    if let Some(value) = #module_root::request::segment(&mut self.checks, #value, #name) {
                        #keep
                        self.raw = self.raw.#setter(value);
                    }
                    self
                }
            }
        }
        _ => {
            let arg_names: Vec<_> = args.iter().map(|(n, _)| n.clone()).collect();
            let arg_decls = args.iter().map(|(n, t)| quote!(#n: #t));
            quote! {
                #(#docs)*
                pub fn #setter #generics (mut self, #(#arg_decls),*) -> Self #where_clause {
                    #mark
                    self.raw = self.raw.#setter(#(#arg_names),*);
                    self
                }
            }
        }
    }
}

fn is_string(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "String"))
}

/// `stream()` and `stream_from(cursor)` on a paginated operation's builder: every page is
/// this builder (all its parameters) with the page token set.
fn stream_tokens(
    file: &syn::File,
    op: &OperationMeta,
    pagination: &Pagination,
    ok: &Type,
    variant: &syn::Ident,
    module_root: &syn::Path,
    root: &str,
) -> Result<TokenStream, CallsError> {
    let fail = |message: String| CallsError::Pagination { operation: op.operation_id.clone(), message };
    let Type::Path(page) = ok else { return Err(fail(format!("the response type {} is not a struct", quote!(#ok)))) };
    let page_type = page.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
    let (items, items_ty) = struct_field(file, &page_type, &pagination.items)
        .ok_or_else(|| fail(format!("`{page_type}` has no field for `{}`", pagination.items)))?;
    let (token, _) = struct_field(file, &page_type, &pagination.token)
        .ok_or_else(|| fail(format!("`{page_type}` has no field for `{}`", pagination.token)))?;
    let (item, optional) = match (generic_args::<1>(&items_ty), last_ident(&items_ty).as_deref()) {
        (Some([inner]), Some("Vec")) => (inner, false),
        (Some([vec]), Some("Option")) => match generic_args::<1>(&vec) {
            Some([inner]) => (inner, true),
            None => return Err(fail(format!("`{page_type}.{items}` is not a list"))),
        },
        _ => return Err(fail(format!("`{page_type}.{items}` is not a list"))),
    };
    // A type of progenitor's `types` module is named from here as `types::X`.
    let item = match &item {
        Type::Path(p) if p.path.segments.len() == 1 => quote!(types::#item),
        other => quote!(#other),
    };
    let items_expr = if optional { quote!(page.#items.unwrap_or_default()) } else { quote!(page.#items) };
    let token_setter = format_ident!("{}", heck::AsSnakeCase(&pagination.token).to_string());
    let stream_docs = format!(
        "Every item of the listing, page by page, as a lazy [`Pages`]({root}::paginate::Pages) stream. \
         Each page is this request, with every parameter set on it, and the page token Zoom sent; \
         pages are fetched as the stream is read, each through the client's pacing."
    );
    let from_docs = format!(
        "The listing from a [`PageCursor`]({root}::paginate::PageCursor) kept from an earlier stream's \
         `cursor()`: the page it stood on, without the items already read."
    );
    Ok(quote! {
        #[doc = #stream_docs]
        pub fn stream(self) -> #module_root::paginate::Pages<'a, #item> {
            self.stream_from(::std::default::Default::default())
        }

        #[doc = #from_docs]
        pub fn stream_from(self, cursor: #module_root::paginate::PageCursor) -> #module_root::paginate::Pages<'a, #item> {
            let client = self.client;
            #module_root::paginate::pages(client, Operation::#variant, cursor, move |token: Option<String>| {
                let page = match token {
                    Some(token) => self.clone().#token_setter(token),
                    None => self.clone(),
                };
                let call = page.send();
                Box::pin(async move {
                    let page = call.await?.into_inner();
                    Ok((#items_expr, page.#token))
                })
            })
        }
    })
}

/// `save_to(path)` and `write_to(writer)` on a binary operation's builder.
fn sink_tokens(variant: &syn::Ident, module_root: &syn::Path) -> TokenStream {
    quote! {
        /// Send the request and save the body to `path` atomically: a temporary file beside
        /// it (created before anything is sent, so a path that cannot be written spends no
        /// rate-limit turn), renamed on success and removed on any failure. Returns the bytes
        /// written; the body streams, whatever its size. In a job (feature `jobs`), the file's size
        /// and digest are journaled, and a rerun that finds that file at `path` does not download
        /// it again.
        pub async fn save_to(self, path: impl AsRef<::std::path::Path>) -> #module_root::Result<u64> {
            // The probe builds the request without sending it: a job finds it in its journal.
            let raw = self.raw.clone();
            let probe = move || raw.clone().send();
            #module_root::download::save_to(self.client, Operation::#variant, probe, self.send(), path.as_ref()).await
        }

        /// Send the request and stream the body to `writer`; returns the bytes written.
        pub async fn write_to<W>(self, writer: &mut W) -> #module_root::Result<u64>
        where
            W: ::tokio::io::AsyncWrite + Unpin + ?Sized,
        {
            #module_root::download::write_to(Operation::#variant, self.send(), writer).await
        }
    }
}

/// The field of struct `types::NAME` that holds JSON property `property`, with its type.
fn struct_field(file: &syn::File, name: &str, property: &str) -> Option<(syn::Ident, Type)> {
    let types = file.items.iter().find_map(|item| match item {
        Item::Mod(m) if m.ident == "types" => m.content.as_ref().map(|c| &c.1),
        _ => None,
    })?;
    let fields = types.iter().find_map(|item| match item {
        Item::Struct(s) if s.ident == name => Some(&s.fields),
        _ => None,
    })?;
    fields.iter().find_map(|field| {
        let ident = field.ident.clone()?;
        let renamed = field.attrs.iter().any(|a| {
            a.path().is_ident("serde") && a.to_token_stream().to_string().contains(&format!("rename = \"{property}\""))
        });
        let plain = ident.to_string().trim_start_matches("r#").trim_end_matches('_') == property;
        (renamed || plain).then(|| (ident, field.ty.clone()))
    })
}

fn last_ident(ty: &Type) -> Option<String> {
    let Type::Path(p) = ty else { return None };
    p.path.segments.last().map(|s| s.ident.to_string())
}

/// A builder struct of progenitor's with its setters and `send`.
struct Builder {
    ident: syn::Ident,
    setters: Vec<Setter>,
    send: Option<syn::Signature>,
}

struct Setter {
    sig: syn::Signature,
    docs: Vec<Attribute>,
}

fn docs(attrs: &[Attribute]) -> Vec<Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("doc")).cloned().collect()
}

/// The `impl` blocks of `mod builder`.
fn builder_impls(file: &syn::File) -> Result<Vec<Builder>, CallsError> {
    let module = file
        .items
        .iter()
        .find_map(|item| match item {
            Item::Mod(m) if m.ident == "builder" => m.content.as_ref(),
            _ => None,
        })
        .ok_or_else(|| CallsError::Missing("`mod builder`".into()))?;
    let mut out = Vec::new();
    for item in &module.1 {
        let Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() {
            continue;
        }
        let Type::Path(path) = &*imp.self_ty else { continue };
        let Some(last) = path.path.segments.last() else { continue };
        let mut builder = Builder { ident: last.ident.clone(), setters: Vec::new(), send: None };
        for it in &imp.items {
            let ImplItem::Fn(f) = it else { continue };
            if !matches!(f.vis, syn::Visibility::Public(_)) {
                continue;
            }
            match f.sig.ident.to_string().as_str() {
                "new" => {}
                "send" => builder.send = Some(f.sig.clone()),
                _ => builder.setters.push(Setter { sig: f.sig.clone(), docs: docs(&f.attrs) }),
            }
        }
        out.push(builder);
    }
    Ok(out)
}

/// `(method, docs, builder type)` of every `impl Client` method returning `builder::X<'_>`.
fn client_methods(file: &syn::File) -> Vec<(syn::Ident, Vec<Attribute>, syn::Ident)> {
    let mut out = Vec::new();
    for item in &file.items {
        let Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() {
            continue;
        }
        for it in &imp.items {
            let ImplItem::Fn(f) = it else { continue };
            let ReturnType::Type(_, ty) = &f.sig.output else { continue };
            let Type::Path(path) = &**ty else { continue };
            let segments: Vec<_> = path.path.segments.iter().collect();
            if let [first, last] = segments.as_slice()
                && first.ident == "builder"
            {
                out.push((f.sig.ident.clone(), docs(&f.attrs), last.ident.clone()));
            }
        }
    }
    out
}

/// `(name, type)` of a typed argument (not `self`).
fn typed_arg(arg: &FnArg) -> Option<(syn::Ident, Type)> {
    let FnArg::Typed(t) = arg else { return None };
    let syn::Pat::Ident(p) = &*t.pat else { return None };
    Some((p.ident.clone(), (*t.ty).clone()))
}

/// `T` and `E` of `send(self) -> Result<ResponseValue<T>, Error<E>>`.
fn send_types(builder: &Builder, operation: &str) -> Result<(Type, Type), CallsError> {
    let shape = |found: String| CallsError::SendShape { operation: operation.to_owned(), found };
    let sig = builder.send.as_ref().ok_or_else(|| CallsError::Missing(format!("`{}::send`", builder.ident)))?;
    let ReturnType::Type(_, ty) = &sig.output else { return Err(shape("()".into())) };
    let text = || quote!(#ty).to_string();
    let [ok, err] = generic_args(ty).ok_or_else(|| shape(text()))?;
    let [ok] = generic_args(&ok).ok_or_else(|| shape(text()))?;
    let [err] = generic_args(&err).ok_or_else(|| shape(text()))?;
    Ok((ok, err))
}

/// The type arguments of the last segment of a path type, when there are `N`.
fn generic_args<const N: usize>(ty: &Type) -> Option<[Type; N]> {
    let Type::Path(path) = ty else { return None };
    path_args(&path.path)
}

/// The type arguments of the last segment of a path, when there are `N`.
fn path_args<const N: usize>(path: &syn::Path) -> Option<[Type; N]> {
    let PathArguments::AngleBracketed(args) = &path.segments.last()?.arguments else { return None };
    let types: Vec<Type> = args
        .args
        .iter()
        .filter_map(|a| match a {
            GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    types.try_into().ok()
}

fn is_unit(ty: &Type) -> bool {
    matches!(ty, Type::Tuple(t) if t.elems.is_empty())
}

/// `TryFrom<types::builder::X> for types::Y` for each request body `Y` without a builder of its
/// own (a `oneOf`) that progenitor can build `From<X>`: so `.body(builder)` works for every
/// operation, as it does where the body is a plain object.
fn builder_conversions(file: &syn::File, builders: &[Builder]) -> Vec<TokenStream> {
    let Some(types) = file.items.iter().find_map(|item| match item {
        Item::Mod(m) if m.ident == "types" => m.content.as_ref().map(|c| &c.1),
        _ => None,
    }) else {
        return Vec::new();
    };
    let type_builders: Vec<syn::Ident> = types
        .iter()
        .find_map(|item| match item {
            Item::Mod(m) if m.ident == "builder" => m.content.as_ref().map(|c| &c.1),
            _ => None,
        })
        .map(|items| {
            items
                .iter()
                .filter_map(|i| match i {
                    Item::Struct(s) => Some(s.ident.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let bodies: Vec<syn::Ident> = builders
        .iter()
        .flat_map(|b| &b.setters)
        .filter(|s| s.sig.ident == "body")
        .filter_map(|s| s.sig.generics.where_clause.as_ref())
        .filter_map(|w| w.predicates.first())
        .filter_map(|p| match p {
            syn::WherePredicate::Type(t) => t.bounds.first(),
            _ => None,
        })
        .filter_map(|bound| match bound {
            syn::TypeParamBound::Trait(t) => path_args::<1>(&t.path),
            _ => None,
        })
        .filter_map(|[t]| match t {
            Type::Path(p) => p.path.segments.last().map(|s| s.ident.clone()),
            _ => None,
        })
        .filter(|body| !type_builders.contains(body))
        .collect();
    let mut out = Vec::new();
    for item in types {
        let Item::Impl(imp) = item else { continue };
        let Some((trait_path, _)) = &imp.trait_ else { continue };
        let Some(last) = trait_path.segments.last() else { continue };
        if last.ident != "From" {
            continue;
        }
        let Type::Path(target) = &*imp.self_ty else { continue };
        let Some(target) = target.path.get_ident() else { continue };
        let Some([Type::Path(source)]) = path_args::<1>(trait_path) else { continue };
        let Some(source) = source.path.get_ident() else { continue };
        if bodies.contains(target) && type_builders.contains(source) {
            out.push(quote! {
                impl ::std::convert::TryFrom<types::builder::#source> for types::#target {
                    type Error = types::error::ConversionError;

                    fn try_from(value: types::builder::#source) -> ::std::result::Result<Self, Self::Error> {
                        types::#source::try_from(value).map(Self::from)
                    }
                }
            });
        }
    }
    out
}
