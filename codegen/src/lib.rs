//! Code generation for the `zoom-billing` crate.
//!
//! One direction of flow: [`spec::Spec::load`] reads `spec/zoom-billing.yaml`
//! (YAML errors carry line and column; structural errors the JSON pointer),
//! [`lint`] checks the project's rules, [`generate::generate`] runs progenitor
//! and renders the operation table and open enums, and [`files`] writes the
//! result atomically or checks that the checked-in copy is fresh.
//! [`api_summary`] reduces generated code to a reviewable list of its public
//! API. `cargo xtask` is a thin command line over this crate.

mod error;

pub mod api_summary;
pub mod diff;
pub mod drift_schema;
pub mod examples;
pub mod files;
pub mod generate;
pub mod lint;
pub mod metadata;
pub mod spec;
pub mod values;
pub mod yaml;

pub use error::{Error, Result};
pub use generate::{GeneratedFile, Options, Output, generate};
pub use spec::Spec;

/// The spec, relative to the workspace root.
pub const SPEC_PATH: &str = "spec/zoom-billing.yaml";

/// The generated module of the client crate, relative to the workspace root.
pub const GENERATED_DIR: &str = "zoom-billing/src/generated";

/// HTTP methods an OpenAPI path item can hold, in the order progenitor uses.
pub const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(std::path::Path::to_path_buf).unwrap_or_default()
}
