//! The TLS crypto provider for the `rustls-ring` feature.
//!
//! reqwest's `rustls-no-provider` panics when it builds a client and no
//! rustls provider is installed for the process; installing ring first
//! keeps that panic out of [`ClientBuilder::build`](crate::ClientBuilder::build).

/// Install ring as rustls's process-wide provider unless one is installed.
///
/// A provider the program installed itself is kept. With the `rustls`
/// feature also enabled, reqwest falls back to aws-lc-rs on its own, so
/// nothing is installed.
pub(crate) fn ensure_provider() {
    #[cfg(all(feature = "rustls-ring", not(feature = "rustls")))]
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // An error means another thread installed one in between: that one is used.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
