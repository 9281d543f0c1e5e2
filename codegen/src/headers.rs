//! Request headers: progenitor's `api-version` header is dropped.
//!
//! progenitor adds `api-version: <info.version>` to every request, built in
//! a header map of its own and merged into the request. Zoom does not read
//! it, and it is the spec document's version, not an API version a server
//! could act on. Building, merging and then removing it cost about 1% of a
//! small call's CPU time (BENCHMARKS.md), so the statements that build it are
//! removed from progenitor's output instead.

use quote::ToTokens;
use syn::{Expr, ImplItem, Item, Stmt};

/// The header progenitor adds.
const NAME: &str = "api-version";

/// Remove the `api-version` header from every operation's `send` in `file`
/// (progenitor's output). Returns the `send` functions that still mention it
/// (none when progenitor's code has the expected shape).
pub fn drop_api_version(file: &mut syn::File) -> Vec<String> {
    let mut left = Vec::new();
    let Some(ops) = file.items.iter_mut().find_map(|item| match item {
        Item::Mod(m) if m.ident == "builder" => m.content.as_mut().map(|c| &mut c.1),
        _ => None,
    }) else {
        return left;
    };
    for item in ops {
        let Item::Impl(imp) = item else { continue };
        let owner = imp.self_ty.to_token_stream().to_string().replace(' ', "");
        for member in &mut imp.items {
            let ImplItem::Fn(f) = member else { continue };
            if f.sig.ident != "send" {
                continue;
            }
            drop_from(&mut f.block.stmts);
            if mentions(&f.block.to_token_stream().to_string(), &format!("\"{NAME}\"")) {
                left.push(format!("{owner}::send"));
            }
        }
    }
    left
}

/// Drop the `header_map.append(.. "api-version" ..)` statement; when nothing
/// else goes into the map (the operation has no header parameters), drop the
/// map and the `.headers(header_map)` that merges it as well.
fn drop_from(stmts: &mut Vec<Stmt>) {
    let is_append = |stmt: &Stmt| {
        let text = stmt.to_token_stream().to_string();
        mentions(&text, "header_map") && mentions(&text, &format!("\"{NAME}\""))
    };
    let before = stmts.len();
    stmts.retain(|stmt| !is_append(stmt));
    if stmts.len() == before {
        return;
    }
    let uses = |stmt: &Stmt| mentions(&stmt.to_token_stream().to_string(), "header_map");
    let declares = |stmt: &Stmt| matches!(stmt, Stmt::Local(local) if mentions(&local.pat.to_token_stream().to_string(), "header_map"));
    // The map stays when anything besides its declaration and its merge uses it (a header parameter).
    if stmts.iter().any(|stmt| uses(stmt) && !declares(stmt) && !merged_in(stmt)) {
        return;
    }
    stmts.retain(|stmt| !declares(stmt));
    for stmt in stmts.iter_mut() {
        if let Stmt::Local(local) = stmt
            && let Some(init) = &mut local.init
        {
            remove_headers_call(&mut init.expr);
        }
    }
}

/// Whether `stmt` is the request chain with `.headers(header_map)` in it.
fn merged_in(stmt: &Stmt) -> bool {
    let Stmt::Local(local) = stmt else { return false };
    let Some(init) = &local.init else { return false };
    let mut expr = (*init.expr).clone();
    remove_headers_call(&mut expr)
}

/// Remove `.headers(header_map)` from a method-call chain; whether it was there.
fn remove_headers_call(expr: &mut Expr) -> bool {
    match expr {
        Expr::Try(t) => remove_headers_call(&mut t.expr),
        Expr::Await(a) => remove_headers_call(&mut a.base),
        Expr::MethodCall(call) => {
            let is_merge = call.method == "headers"
                && call.args.len() == 1
                && call.args.first().is_some_and(|arg| arg.to_token_stream().to_string() == "header_map");
            if is_merge {
                *expr = (*call.receiver).clone();
                // The receiver may hold a second merge; progenitor writes one.
                remove_headers_call(expr);
                true
            } else {
                remove_headers_call(&mut call.receiver)
            }
        }
        _ => false,
    }
}

/// Whether `text` (tokens printed by `quote`) has `word` as a whole token.
fn mentions(text: &str, word: &str) -> bool {
    text.split(|c: char| c.is_whitespace() || "(),.;".contains(c)).any(|token| token == word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send_of(file: &syn::File) -> String {
        file.to_token_stream().to_string()
    }

    #[test]
    fn the_header_its_map_and_the_merge_go_when_nothing_else_uses_the_map() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod builder {
                impl<'a> GetThing<'a> {
                    pub async fn send(self) -> Result<(), Error> {
                        let url = format!("{}/thing", client.baseurl);
                        let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
                        header_map.append(
                            ::reqwest::header::HeaderName::from_static("api-version"),
                            ::reqwest::header::HeaderValue::from_static(super::Client::api_version()),
                        );
                        #[allow(unused_mut)]
                        let mut request = client.client.get(url).header(ACCEPT, json).headers(header_map).build()?;
                        client.pre(&mut request, &info).await?;
                        Ok(())
                    }
                }
            }
        };
        assert!(drop_api_version(&mut file).is_empty());
        let text = send_of(&file);
        assert!(!text.contains("header_map"), "{text}");
        assert!(!text.contains("api-version"), "{text}");
        assert!(
            text.contains("let mut request = client . client . get (url) . header (ACCEPT , json) . build () ?"),
            "{text}"
        );
    }

    #[test]
    fn a_map_with_header_parameters_stays_without_the_version() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod builder {
                impl<'a> GetThing<'a> {
                    pub async fn send(self) -> Result<(), Error> {
                        let mut header_map = ::reqwest::header::HeaderMap::with_capacity(2usize);
                        header_map.append(
                            ::reqwest::header::HeaderName::from_static("api-version"),
                            ::reqwest::header::HeaderValue::from_static(super::Client::api_version()),
                        );
                        header_map.append("x-trace", trace.to_string().try_into()?);
                        let mut request = client.client.get(url).headers(header_map).build()?;
                        Ok(())
                    }
                }
            }
        };
        assert!(drop_api_version(&mut file).is_empty());
        let text = send_of(&file);
        assert!(!text.contains("api-version"), "{text}");
        assert!(text.contains("header_map . append (\"x-trace\""), "{text}");
        assert!(text.contains(". headers (header_map)"), "{text}");
    }

    #[test]
    fn a_shape_it_does_not_know_is_reported() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod builder {
                impl<'a> GetThing<'a> {
                    pub async fn send(self) -> Result<(), Error> {
                        let request = client.client.get(url).header("api-version", "1").build()?;
                        Ok(())
                    }
                }
            }
        };
        assert_eq!(drop_api_version(&mut file), ["GetThing<'a>::send"]);
    }
}
