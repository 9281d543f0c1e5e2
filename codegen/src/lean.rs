//! Allocations progenitor's operation builders make on every call, and nothing
//! reads, are removed from its output (each is about 0.2-0.5% of a small call's
//! instructions, BENCHMARKS.md):
//!
//! - `new()` starts each required parameter as `Err("<name> was not
//!   initialized".to_string())`, an allocated message that the setter then
//!   replaces. The call layer (`calls.rs`) refuses a request whose required
//!   parameters are not set before progenitor's `send()` runs, with its own
//!   message, so the placeholder is an empty `String` (no allocation). The
//!   body keeps progenitor's message.
//! - `send()` formats each `String` path parameter as
//!   `encode_path(&name.to_string())`: a copy of a `String` to borrow it as
//!   `&str`. It becomes `encode_path(&name)`.
//! - `encode_path` itself collects the encoded segment in a new `String`, which
//!   `format!` then copies into the URL. It becomes the runtime's
//!   `request::path_segment`, the same encoding displayed in place.
//! - `ResponseValue::from_response(response)` clones the response's headers
//!   (two allocations) and drops the originals. It becomes the runtime's
//!   `decode::json`, which moves them, with progenitor's errors.
//!
//! Two more make each `send()` smaller to compile (its future is built once
//! per operation; BENCHMARKS.md, "Jobs and the build"), and run the same code:
//!
//! - the hooks' three steps, `pre`, `exec` and `post`, each awaited in
//!   `send()`, become one await of the runtime's `hooks::execute`, which runs
//!   them in that order: one future compiled once, not three awaits per
//!   operation;
//! - the status `match` has an arm per documented error status, each
//!   decoding the same error body (five awaits of the same decode). Arms whose
//!   literal patterns lead to the same expression are merged into one arm
//!   (`400u16 | 401u16 | ...`); literal patterns never overlap, so which arm
//!   runs for a status is unchanged.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::visit_mut::VisitMut;
use syn::{Expr, ImplItem, Item, Lit};

/// What [`lighten`] changed: the builders' placeholders, path copies and encodings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lightened {
    /// Placeholder messages replaced by an empty `String`.
    pub placeholders: usize,
    /// `.to_string()` copies of `String` path parameters removed.
    pub copies: usize,
    /// `encode_path` calls that now display in place.
    pub encodings: usize,
    /// `ResponseValue::from_response` calls that now move the headers.
    pub decodes: usize,
    /// `pre`/`exec`/`post` sequences that are now one `hooks::execute`.
    pub hooks: usize,
    /// Status arms merged into an earlier arm with the same expression.
    pub arms: usize,
}

/// Lighten every operation builder in `file` (progenitor's output), whose
/// runtime (`request.rs`) lives under `module_root`.
pub fn lighten(file: &mut syn::File, module_root: &syn::Path) -> Lightened {
    let segment = format!("{} :: request :: path_segment (", module_root.to_token_stream());
    let json: syn::Path = syn::parse_quote!(#module_root::decode::json);
    let execute: syn::Path = syn::parse_quote!(#module_root::hooks::execute);
    let mut done = Lightened::default();
    let Some(items) = file.items.iter_mut().find_map(|item| match item {
        Item::Mod(m) if m.ident == "builder" => m.content.as_mut().map(|c| &mut c.1),
        _ => None,
    }) else {
        return done;
    };
    // The `String` fields of each builder struct: the path parameters `send()` copies.
    let mut strings: Vec<(String, Vec<String>)> = Vec::new();
    for item in items.iter() {
        if let Item::Struct(s) = item {
            let fields = s
                .fields
                .iter()
                .filter(|f| {
                    f.ty.to_token_stream().to_string().replace(' ', "") == "Result<::std::string::String,String>"
                })
                .filter_map(|f| f.ident.as_ref().map(ToString::to_string))
                .collect();
            strings.push((s.ident.to_string(), fields));
        }
    }
    for item in items.iter_mut() {
        let Item::Impl(imp) = item else { continue };
        let owner = imp.self_ty.to_token_stream().to_string();
        let owner = owner.split(['<', ' ']).next().unwrap_or_default().to_owned();
        let fields = strings.iter().find(|(name, _)| *name == owner).map(|(_, f)| f.clone()).unwrap_or_default();
        for member in &mut imp.items {
            let ImplItem::Fn(f) = member else { continue };
            if f.sig.ident == "new" {
                let mut visitor = Placeholders(0);
                visitor.visit_block_mut(&mut f.block);
                done.placeholders += visitor.0;
            } else if f.sig.ident == "send" {
                let mut visitor = Copies { fields: &fields, segment: &segment, removed: 0, encodings: 0 };
                visitor.visit_block_mut(&mut f.block);
                done.copies += visitor.removed;
                done.encodings += visitor.encodings;
                let mut visitor = Decodes { json: &json, replaced: 0 };
                visitor.visit_block_mut(&mut f.block);
                done.decodes += visitor.replaced;
                done.hooks += one_execute(&mut f.block, &execute);
                let mut visitor = Arms(0);
                visitor.visit_block_mut(&mut f.block);
                done.arms += visitor.0;
            }
        }
    }
    done
}

/// `Err("x was not initialized".to_string())` → `Err(::std::string::String::new())`, except the body's.
struct Placeholders(usize);

impl VisitMut for Placeholders {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        if let Expr::Call(call) = expr
            && call.func.to_token_stream().to_string() == "Err"
            && let Some(Expr::MethodCall(method)) = call.args.first()
            && method.method == "to_string"
            && let Expr::Lit(lit) = &*method.receiver
            && let Lit::Str(text) = &lit.lit
            && text.value().ends_with(" was not initialized")
            && text.value() != "body was not initialized"
        {
            call.args[0] = syn::parse_quote!(::std::string::String::new());
            self.0 += 1;
            return;
        }
        syn::visit_mut::visit_expr_mut(self, expr);
    }
}

/// In `send()`'s `format!`, `& name . to_string ()` → `& name` for a `String` field, and
/// `encode_path (` → `<root>::request::path_segment (`.
struct Copies<'a> {
    fields: &'a [String],
    segment: &'a str,
    removed: usize,
    encodings: usize,
}

impl VisitMut for Copies<'_> {
    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        let mut text = mac.tokens.to_string();
        for field in self.fields {
            let copy = format!("& {field} . to_string ()");
            let count = text.matches(&copy).count();
            if count > 0 {
                text = text.replace(&copy, &format!("& {field}"));
                self.removed += count;
            }
        }
        let encodings = text.matches("encode_path (").count();
        if encodings > 0 {
            text = text.replace("encode_path (", self.segment);
            self.encodings += encodings;
        }
        if let Ok(tokens) = text.parse::<TokenStream>() {
            mac.tokens = tokens;
        }
    }
}

/// `ResponseValue::from_response(response)` → `<root>::decode::json(response)`.
struct Decodes<'a> {
    json: &'a syn::Path,
    replaced: usize,
}

impl VisitMut for Decodes<'_> {
    fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
        if call.func.to_token_stream().to_string() == "ResponseValue :: from_response" {
            let json = self.json;
            *call.func = syn::parse_quote!(#json);
            self.replaced += 1;
        }
        syn::visit_mut::visit_expr_call_mut(self, call);
    }
}

/// The statements progenitor writes in `send()` to run the hooks, as tokens.
const HOOK_STEPS: [&str; 4] = [
    "client . pre (& mut request , & info) . await ? ;",
    "let result = client . exec (request , & info) . await ;",
    "client . post (& result , & info) . await ? ;",
    "let response = result ? ;",
];

/// The four statements of [`HOOK_STEPS`], where they appear in that order, →
/// `let response = <execute>(client, request, &info).await?;`. Returns 1 if replaced.
fn one_execute(block: &mut syn::Block, execute: &syn::Path) -> usize {
    let texts: Vec<String> = block.stmts.iter().map(|stmt| stmt.to_token_stream().to_string()).collect();
    let Some(at) = texts.windows(HOOK_STEPS.len()).position(|w| w.iter().zip(HOOK_STEPS).all(|(a, b)| a == b)) else {
        return 0;
    };
    let one: syn::Stmt = syn::parse_quote!(let response = #execute(client, request, &info).await?;);
    block.stmts.splice(at..at + HOOK_STEPS.len(), [one]);
    1
}

/// In a `match`, an arm with a literal pattern (no guard) whose expression is the
/// same as an earlier such arm's is merged into that arm (`a | b => same`). Only
/// before the first other arm (progenitor's `_`): past it, moving an arm up would
/// change which arm matches.
struct Arms(usize);

impl VisitMut for Arms {
    fn visit_expr_match_mut(&mut self, m: &mut syn::ExprMatch) {
        syn::visit_mut::visit_expr_match_mut(self, m);
        // A guard is a pattern of its own (`Pat::Guard`): such an arm is not literal.
        let literal = |arm: &syn::Arm| match &arm.pat {
            syn::Pat::Lit(_) => true,
            syn::Pat::Or(or) => or.cases.iter().all(|case| matches!(case, syn::Pat::Lit(_))),
            _ => false,
        };
        let mut kept: Vec<syn::Arm> = Vec::with_capacity(m.arms.len());
        let mut open = true;
        for arm in std::mem::take(&mut m.arms) {
            open &= literal(&arm);
            let body = arm.body.to_token_stream().to_string();
            let same = kept.iter_mut().find(|k| k.body.to_token_stream().to_string() == body);
            match same {
                Some(earlier) if open => {
                    let mut cases = match std::mem::replace(&mut earlier.pat, syn::Pat::Verbatim(TokenStream::new())) {
                        syn::Pat::Or(or) => or.cases,
                        pat => std::iter::once(pat).collect(),
                    };
                    match arm.pat {
                        syn::Pat::Or(or) => cases.extend(or.cases),
                        pat => cases.push(pat),
                    }
                    earlier.pat = syn::Pat::Or(syn::PatOr { attrs: Vec::new(), leading_vert: None, cases });
                    self.0 += 1;
                }
                _ => kept.push(arm),
            }
        }
        m.arms = kept;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_copies_go_and_nothing_else_changes() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod builder {
                pub struct GetThing<'a> {
                    client: &'a super::Client,
                    account_id: Result<::std::string::String, String>,
                    page: Result<Option<i64>, String>,
                    body: Result<types::Body, String>,
                }
                impl<'a> GetThing<'a> {
                    pub fn new(client: &'a super::Client) -> Self {
                        Self {
                            client: client,
                            account_id: Err("account_id was not initialized".to_string()),
                            page: Ok(None),
                            body: Err("body was not initialized".to_string()),
                        }
                    }
                    pub async fn send(self) -> Result<(), ()> {
                        let url = format!("{}/a/{}/{}", client.baseurl, encode_path(&account_id.to_string()), encode_path(&page.to_string()));
                        #[allow(unused_mut)]
                        let mut request = client.client.get(url).build()?;
                        let info = OperationInfo { operation_id: "get_thing" };
                        client.pre(&mut request, &info).await?;
                        let result = client.exec(request, &info).await;
                        client.post(&result, &info).await?;
                        let response = result?;
                        match response.status().as_u16() {
                            200u16 => ResponseValue::from_response(response).await,
                            400u16 => Err(Error::ErrorResponse(ResponseValue::from_response(response).await?)),
                            204u16 => Ok(ResponseValue::empty(response)),
                            401u16 => Err(Error::ErrorResponse(ResponseValue::from_response(response).await?)),
                            429u16 => Err(Error::ErrorResponse(ResponseValue::from_response(response).await?)),
                            _ => Err(Error::UnexpectedResponse(response)),
                            418u16 => Err(Error::ErrorResponse(ResponseValue::from_response(response).await?)),
                        }
                    }
                }
            }
        };
        assert_eq!(
            lighten(&mut file, &syn::parse_quote!(crate)),
            Lightened { placeholders: 1, copies: 1, encodings: 2, decodes: 5, hooks: 1, arms: 2 }
        );
        let text = file.to_token_stream().to_string();
        assert!(text.contains("account_id : Err (:: std :: string :: String :: new ())"), "{text}");
        assert!(text.contains("Err (\"body was not initialized\" . to_string ())"), "{text}");
        assert!(text.contains("crate :: request :: path_segment (& account_id)"), "{text}");
        assert!(text.contains("crate :: request :: path_segment (& page . to_string ())"), "not a String: {text}");
        assert!(!text.contains("encode_path"), "{text}");
        assert!(!text.contains("from_response"), "{text}");
        assert_eq!(text.matches("crate :: decode :: json (response)").count(), 3, "{text}");
        assert!(text.contains("ResponseValue :: empty (response)"), "{text}");
        assert!(
            text.contains("let response = crate :: hooks :: execute (client , request , & info) . await ? ;"),
            "{text}"
        );
        assert!(!text.contains("client . pre") && !text.contains("client . exec"), "{text}");
        assert!(text.contains("400u16 | 401u16 | 429u16 =>"), "merged, in order: {text}");
        assert!(text.contains("204u16 =>"), "{text}");
        // Past the wildcard, an arm stays where it is.
        assert!(text.contains("_ => Err (Error :: UnexpectedResponse (response)) , 418u16 =>"), "{text}");
    }
}
