//! Test support shared by the workspace tests and the fleet worker binary.

pub mod fleet;
pub mod redis_server;
pub mod stores;

/// The Rust examples of docs/ (the other pages hold none) are doctests of this package (which has zoom-billing with
/// every feature, fake-zoom and tokio's test utilities), so they cannot rot; the README's
/// are zoom-billing's own doctests, and .ci/run also builds them as a user's crate.
#[cfg(doctest)]
pub mod docs {
    #[doc = include_str!("../../docs/runtime.md")]
    pub struct Runtime;
    #[doc = include_str!("../../docs/fleet.md")]
    pub struct Fleet;
    #[doc = include_str!("../../docs/spec-drift.md")]
    pub struct SpecDrift;
}
