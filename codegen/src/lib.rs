//! Code generation for the `zoom-billing` crate.
//!
//! One direction of flow: [`spec::Spec::load`] reads `spec/zoom-billing.yaml`
//! (YAML errors carry line and column; structural errors the JSON pointer),
//! [`lint`] checks the project's rules, [`generate::generate`] runs progenitor
//! and renders the operation table and open enums, and [`files`] writes the
//! result atomically or checks that the checked-in copy is fresh.
//! `cargo xtask` is a thin command line over this crate (and over
//! `zoom-billing-spec-diff`, which compares two versions of the spec).
//!
//! The modules form a stack; each imports only modules listed before it
//! (`codegen/tests/module_graph.rs` fails on a cycle):
//!
//! - `diagnostic`: what a rule reports (re-exported by [`lint`]);
//! - [`yaml`]: YAML to JSON with source locations;
//! - `error`: the crate's error type;
//! - [`workspace`]: where the repository's files are, found at run time;
//! - [`walk`]: the one operation walker; [`refs`]: the one `$ref` resolver;
//! - [`spec`]: loading; [`examples`]: example values against schemas;
//! - [`metadata`]: the operation table; [`rates`]: the label rate table; [`lint`]: the project's rules;
//! - [`values`]: open enums; [`calls`]: the public call layer around progenitor's builders;
//! - [`builders`] and [`headers`]: edits to progenitor's output (builders only for request
//!   bodies; no `api-version` header);
//! - [`mod@generate`]: progenitor and formatting; [`fake`]: fake-zoom's contract (operations,
//!   schemas, examples, label rates as JSON); [`cli`]: the command line's commands; [`files`]: writing.

mod diagnostic;
mod error;

pub mod builders;
pub mod calls;
pub mod cli;
pub mod drift_schema;
pub mod examples;
pub mod fake;
pub mod files;
pub mod generate;
pub mod headers;
pub mod lean;
pub mod lint;
pub mod metadata;
pub mod rates;
pub mod refs;
pub mod spec;
pub mod values;
pub mod walk;
pub mod workspace;
pub mod yaml;

pub use error::{Error, Result, VariantClash};
pub use generate::{GeneratedFile, Options, Output, generate};
pub use spec::Spec;
pub use walk::METHODS;
pub use workspace::{GENERATED_DIR, SPEC_PATH, workspace_root};
