//! A semantic diff of two versions of the spec, for reviewing spec changes.
//!
//! [`compare`] walks both documents operation by operation (following
//! `$ref`s, so a change to a shared component is reported at every operation
//! that uses it, and once more as the component) and reports each difference
//! as a [`Change`] with a stable rule id from [`rules::RULES`]. [`rust_impact`]
//! adds what the change does to the generated Rust API (through the
//! [`api_summary`] listing), [`waivers`] marks accepted findings, [`render`]
//! prints text, Markdown or JSON, and [`command`] is the whole
//! `cargo xtask spec-diff` behind a thin CLI.
//!
//! It reads specs with `zoom-billing-codegen` and walks them with the same
//! operation walker and `$ref` resolver as the lint; nothing in code
//! generation depends on this crate.

mod change;
mod engine;

pub mod api_summary;
pub mod command;
pub mod render;
pub mod rules;
pub mod rust_impact;
pub mod source;
pub mod waivers;

pub use change::{Area, Change, Location, Severity, Side, Summary};
pub use engine::compare;
