// The compiled-schema types. Kept in a file of their own, free of crate paths (and of
// inner doc comments), so the fixture outputs compiled by tests/tests/fixtures_compile.rs
// use these very types.

/// One schema of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node {
    /// JSON pointer in the spec of where this schema is written (a component
    /// for a `$ref`): where a proposed edit goes.
    pub at: &'static str,
    /// Whether `null` is allowed (`nullable: true`).
    pub nullable: bool,
    /// What the schema accepts.
    pub shape: Shape,
}

/// What one schema accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Anything (no type declared, or a construct the observer does not check).
    Any,
    /// An object.
    Object {
        /// Declared properties and their node, sorted by name.
        properties: &'static [(&'static str, u16)],
        /// Names of the required properties.
        required: &'static [&'static str],
        /// `additionalProperties` allows other keys: an unknown key is not drift.
        open: bool,
    },
    /// An array of `items`.
    Array {
        /// The node of every item.
        items: u16,
    },
    /// A string.
    String {
        /// The declared `format`, when the observer checks it.
        format: Option<StringFormat>,
        /// The known values of an `x-extensible-enum` (or `enum`), if any.
        values: Option<&'static [&'static str]>,
    },
    /// A whole number.
    Integer,
    /// Any number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// One of these alternatives (`oneOf`/`anyOf`), chosen by the JSON type.
    OneOf(&'static [u16]),
}

/// String formats the observer checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StringFormat {
    /// `yyyy-mm-dd`.
    Date,
    /// RFC 3339 date and time.
    DateTime,
}
