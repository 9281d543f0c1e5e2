//! Open string enums: `type: string` schemas with `x-extensible-enum`.
//!
//! Zoom adds plan statuses, billing cycles and the like without notice. A
//! closed Rust enum would make the whole response fail to decode on the first
//! new value, so each such schema becomes an enum with the known values plus
//! `Other(String)`, and progenitor is told to use it in place of the schema.

use std::collections::BTreeSet;

use heck::ToUpperCamelCase;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::error::VariantClash;

/// One open enum to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenEnum {
    /// The component name, which is also the Rust type name.
    pub name: String,
    /// The schema's description.
    pub description: Option<String>,
    /// The values the spec knows, in spec order.
    pub values: Vec<String>,
}

/// Every component schema with `x-extensible-enum`, by name.
pub fn collect(root: &Value) -> Vec<OpenEnum> {
    let Some(schemas) = root.pointer("/components/schemas").and_then(Value::as_object) else {
        return Vec::new();
    };
    schemas
        .iter()
        .filter_map(|(name, schema)| {
            let values = schema.get("x-extensible-enum")?.as_array()?;
            Some(OpenEnum {
                name: name.to_upper_camel_case(),
                description: schema.get("description").and_then(Value::as_str).map(|d| d.trim().to_owned()),
                values: values.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            })
        })
        .collect()
}

/// The Rust variant name for a wire value: `"Just Me"` → `JustMe`,
/// `"2-10"` → `N2To10`, `"10001+"` → `N10001Plus`, `""` → `Empty`.
pub fn variant_name(value: &str) -> String {
    if value.is_empty() {
        return "Empty".to_owned();
    }
    let mut spelled = String::new();
    let chars: Vec<char> = value.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        match c {
            '+' => spelled.push_str(" plus "),
            '-' if i > 0 && chars[i - 1].is_ascii_digit() && chars.get(i + 1).is_some_and(char::is_ascii_digit) => {
                spelled.push_str(" to ")
            }
            c if c.is_alphanumeric() => spelled.push(*c),
            _ => spelled.push(' '),
        }
    }
    // Keep digit groups apart from the words around them.
    let camel = spelled.to_upper_camel_case();
    if camel.starts_with(|c: char| c.is_ascii_digit()) { format!("N{camel}") } else { camel }
}

/// Tokens for all open enums, or an error naming a clash of variant names.
pub fn render(enums: &[OpenEnum]) -> Result<TokenStream, VariantClash> {
    let mut items = Vec::new();
    for e in enums {
        let name = format_ident!("{}", e.name);
        let mut seen = BTreeSet::new();
        let mut variants = Vec::new();
        for value in &e.values {
            let variant = variant_name(value);
            if variant == "Other" || !seen.insert(variant.clone()) {
                return Err(VariantClash { schema: e.name.clone(), value: value.clone(), variant });
            }
            variants.push(format_ident!("{}", variant));
        }
        let values = &e.values;
        let doc = e.description.clone().unwrap_or_else(|| format!("`{}` values.", e.name));
        let variant_docs = values.iter().map(|v| format!("`{v:?}`"));
        items.push(quote! {
            #[doc = #doc]
            ///
            /// Open: a value this version of the crate does not know decodes as
            /// [`Self::Other`] instead of failing the response. Non-exhaustive, so a
            /// value added to the spec later is not a breaking change for `match`es.
            #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
            #[non_exhaustive]
            pub enum #name {
                #(#[doc = #variant_docs] #variants,)*
                /// A value the spec did not list, kept exactly as received.
                Other(::std::string::String),
            }

            impl #name {
                /// The values the spec lists, as sent on the wire.
                pub const KNOWN: &'static [&'static str] = &[#(#values),*];

                /// The value as sent on the wire.
                pub fn as_str(&self) -> &str {
                    match self {
                        #(Self::#variants => #values,)*
                        Self::Other(value) => value.as_str(),
                    }
                }

                /// Whether this is one of the values the spec lists.
                pub fn is_known(&self) -> bool {
                    !matches!(self, Self::Other(_))
                }
            }

            impl ::std::convert::From<&str> for #name {
                fn from(value: &str) -> Self {
                    match value {
                        #(#values => Self::#variants,)*
                        other => Self::Other(other.to_owned()),
                    }
                }
            }

            impl ::std::convert::From<::std::string::String> for #name {
                fn from(value: ::std::string::String) -> Self {
                    match Self::from(value.as_str()) {
                        Self::Other(_) => Self::Other(value),
                        known => known,
                    }
                }
            }

            impl ::std::str::FromStr for #name {
                type Err = ::std::convert::Infallible;
                fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                    Ok(Self::from(value))
                }
            }

            impl ::std::fmt::Display for #name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(self.as_str())
                }
            }

            impl ::serde::Serialize for #name {
                fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                    serializer.serialize_str(self.as_str())
                }
            }

            impl<'de> ::serde::Deserialize<'de> for #name {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                    ::std::string::String::deserialize(deserializer).map(Self::from)
                }
            }
        });
    }
    Ok(quote! { #(#items)* })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_names() {
        assert_eq!(variant_name("Just Me"), "JustMe");
        assert_eq!(variant_name("2-10"), "N2To10");
        assert_eq!(variant_name("10001+"), "N10001Plus");
        assert_eq!(variant_name(""), "Empty");
        assert_eq!(variant_name("active"), "Active");
        assert_eq!(variant_name("Resource-intensive"), "ResourceIntensive");
    }
}
