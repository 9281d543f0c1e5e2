//! Struct builders only where a request body needs them.
//!
//! progenitor's builder interface makes typify write a builder for every
//! struct (`types::X::builder()`, `types::builder::X` and its conversions).
//! Users build request bodies; they never build a response. The builders of
//! types no request body reaches are dropped from progenitor's output, which
//! shrinks the generated client and its compile time.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{ImplItem, Item, Type};

/// What [`prune`] kept and dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Types whose builder is kept (reachable from a request body).
    pub kept: BTreeSet<String>,
    /// Types whose builder was dropped.
    pub dropped: BTreeSet<String>,
}

/// Drop the struct builders no request body reaches. `file` is progenitor's
/// output (`mod types` with `mod builder` inside, and the operation builders
/// in the top-level `mod builder`).
pub fn prune(file: &mut syn::File) -> Pruned {
    let roots = body_types(file);
    let Some(types) = module_mut(&mut file.items, "types") else { return Pruned::default() };

    // Which type names each type's definition mentions.
    let names: BTreeSet<String> = types
        .iter()
        .filter_map(|item| match item {
            Item::Struct(s) => Some(s.ident.to_string()),
            Item::Enum(e) => Some(e.ident.to_string()),
            _ => None,
        })
        .collect();
    let mut mentions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in types.iter() {
        let (ident, tokens) = match item {
            Item::Struct(s) => (s.ident.to_string(), s.fields.to_token_stream()),
            Item::Enum(e) => (e.ident.to_string(), e.variants.to_token_stream()),
            _ => continue,
        };
        let mut found = BTreeSet::new();
        idents(tokens, &mut |i| {
            if names.contains(i) {
                found.insert(i.to_owned());
            }
        });
        mentions.insert(ident, found);
    }
    let mut reachable: BTreeSet<String> = BTreeSet::new();
    let mut stack: Vec<String> = roots.into_iter().filter(|r| names.contains(r)).collect();
    while let Some(name) = stack.pop() {
        if reachable.insert(name.clone()) {
            stack.extend(mentions.get(&name).into_iter().flatten().cloned());
        }
    }

    let Some(builders) = module_mut(types, "builder") else { return Pruned::default() };
    let built: BTreeSet<String> = builders
        .iter()
        .filter_map(|item| match item {
            Item::Struct(s) => Some(s.ident.to_string()),
            _ => None,
        })
        .collect();
    let dropped: BTreeSet<String> = built.iter().filter(|b| !reachable.contains(*b)).cloned().collect();
    // In `types::builder`: the struct and every impl for or from it.
    builders.retain(|item| match item {
        Item::Struct(s) => !dropped.contains(&s.ident.to_string()),
        Item::Impl(imp) => !header_mentions(&imp.to_token_stream(), &dropped),
        _ => true,
    });
    // In `types`: `impl X { pub fn builder() -> builder::X }`.
    types.retain_mut(|item| {
        let Item::Impl(imp) = item else { return true };
        if imp.trait_.is_some() {
            return true;
        }
        let Type::Path(path) = &*imp.self_ty else { return true };
        let Some(last) = path.path.segments.last() else { return true };
        if !dropped.contains(&last.ident.to_string()) {
            return true;
        }
        imp.items.retain(|member| !matches!(member, ImplItem::Fn(f) if f.sig.ident == "builder"));
        !imp.items.is_empty()
    });
    let kept = built.difference(&dropped).cloned().collect();
    Pruned { kept, dropped }
}

/// The request body types of the operation builders (`V: TryInto<types::X>` of `body`).
fn body_types(file: &syn::File) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Some(ops) = file.items.iter().find_map(|item| match item {
        Item::Mod(m) if m.ident == "builder" => m.content.as_ref().map(|c| &c.1),
        _ => None,
    }) else {
        return out;
    };
    for item in ops {
        let Item::Impl(imp) = item else { continue };
        for member in &imp.items {
            let ImplItem::Fn(f) = member else { continue };
            if f.sig.ident != "body" {
                continue;
            }
            // The body type is the one `types::X` named in the where clause.
            let mut previous_was_types = false;
            if let Some(w) = &f.sig.generics.where_clause {
                idents(w.to_token_stream(), &mut |i| {
                    if previous_was_types && i != "builder" {
                        out.insert(i.to_owned());
                    }
                    previous_was_types = i == "types";
                });
            }
        }
    }
    out
}

fn module_mut<'a>(items: &'a mut [Item], name: &str) -> Option<&'a mut Vec<Item>> {
    items.iter_mut().find_map(|item| match item {
        Item::Mod(m) if m.ident == name => m.content.as_mut().map(|c| &mut c.1),
        _ => None,
    })
}

/// Every identifier in `tokens`, in order.
fn idents(tokens: TokenStream, f: &mut impl FnMut(&str)) {
    for tree in tokens {
        match tree {
            TokenTree::Ident(i) => f(&i.to_string()),
            TokenTree::Group(g) => idents(g.stream(), f),
            _ => {}
        }
    }
}

/// Whether an impl in `types::builder` is about one of `names` (its self type
/// or, for conversions, the type converted).
fn header_mentions(tokens: &TokenStream, names: &BTreeSet<String>) -> bool {
    // The header (up to the first brace group) names the types involved.
    let mut found = false;
    for tree in tokens.clone() {
        match tree {
            TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Brace => break,
            TokenTree::Ident(i) if names.contains(&i.to_string()) => found = true,
            TokenTree::Group(g) => idents(g.stream(), &mut |i| found |= names.contains(i)),
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_types_a_request_body_reaches_keep_their_builder() {
        let mut file: syn::File = syn::parse_quote! {
            pub mod types {
                pub struct Body { pub inner: Option<Inner> }
                pub struct Inner { pub x: i64 }
                pub struct Answer { pub inner: Inner }
                impl Body { pub fn builder() -> builder::Body { Default::default() } }
                impl Answer { pub fn builder() -> builder::Answer { Default::default() } }
                pub mod builder {
                    pub struct Body { inner: Result<Option<super::Inner>, String> }
                    pub struct Inner { x: Result<i64, String> }
                    pub struct Answer { inner: Result<super::Inner, String> }
                    impl Default for Answer { fn default() -> Self { todo!() } }
                    impl Answer { pub fn inner(self) -> Self { self } }
                    impl ::std::convert::TryFrom<Answer> for super::Answer { }
                    impl ::std::convert::From<super::Answer> for Answer { }
                    impl ::std::convert::TryFrom<Inner> for super::Inner { }
                }
            }
            pub mod builder {
                impl<'a> Op<'a> {
                    pub fn body<V>(self, value: V) -> Self where V: std::convert::TryInto<types::Body> { self }
                }
            }
        };
        let pruned = prune(&mut file);
        assert_eq!(pruned.dropped, BTreeSet::from(["Answer".to_owned()]));
        assert_eq!(pruned.kept, BTreeSet::from(["Body".to_owned(), "Inner".to_owned()]));
        let text = file.to_token_stream().to_string();
        assert!(!text.contains("builder :: Answer"), "{text}");
        assert!(!text.contains("for Answer"), "{text}");
        assert!(text.contains("struct Inner"), "{text}");
        assert!(text.contains("TryFrom < Inner >"), "{text}");
    }
}
