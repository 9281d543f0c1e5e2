//! From drift findings to a reviewed spec change.
//!
//! The client's drift observer (`zoom_billing::drift`) appends findings to
//! JSON Lines files. This crate reads many such files ([`input`]), merges
//! them ([`mod@merge`]), infers a schema for what was observed ([`infer`]),
//! edits the spec's text surgically so that everything it does not change
//! stays byte-identical ([`mod@propose`]), and renders the result as a unified
//! diff with the spec-diff report and Rust impact of the change ([`render`]).
//! `cargo xtask spec-drift` is a thin command line over it.

pub mod cli;
pub mod infer;
pub mod input;
pub mod merge;
pub mod propose;
pub mod render;
mod text;

pub use input::{InputError, Record, read_files, read_lines};
pub use merge::{Merged, merge};
pub use propose::{Edit, Proposal, ProposeError, propose};
