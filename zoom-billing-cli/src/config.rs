//! Credentials: the library's environment variables, or a named profile of a config file
//! (`$XDG_CONFIG_HOME/zoom-billing/config.toml`, else `~/.config/zoom-billing/config.toml`).
//!
//! ```toml
//! [default]
//! account_id = "..."
//! client_id = "..."
//! client_secret = "..."
//!
//! [sandbox]
//! access_token = "..."
//! base_url = "http://127.0.0.1:8080/v2"
//! ```
//!
//! A file that holds a secret must be readable by its owner only: one that group or others
//! can read is refused, naming the fix. Secrets are kept in `SecretString`s and never shown:
//! not in `Debug`, not in errors (a TOML error is reported by line and message, never with
//! the line's text).

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use zoom_billing::ClientBuilder;

use crate::error::Config;

/// The default config file, if a home or XDG config dir is known.
pub fn default_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".config"),
    };
    Some(base.join("zoom-billing").join("config.toml"))
}

/// One profile as written in the file. No `Debug`: it holds secrets as plain text.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    access_token: Option<String>,
    account_id: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    base_url: Option<String>,
    oauth_host: Option<String>,
}

/// A profile: credentials and endpoints.
pub struct Profile {
    access_token: Option<SecretString>,
    account_id: Option<String>,
    client_id: Option<String>,
    client_secret: Option<SecretString>,
    /// The API base URL, if the profile sets one.
    pub base_url: Option<String>,
    oauth_host: Option<String>,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("access_token", &self.access_token.as_ref().map(|_| "[REDACTED]"))
            .field("account_id", &self.account_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "[REDACTED]"))
            .field("base_url", &self.base_url)
            .field("oauth_host", &self.oauth_host)
            .finish()
    }
}

/// Read profile `name` from the config file at `path`.
pub fn load(path: &Path, name: &str) -> Result<Profile, Config> {
    let shown = path.display();
    let text =
        std::fs::read_to_string(path).map_err(|e| Config(format!("cannot read the config file {shown}: {e}")))?;
    let mut profiles: std::collections::BTreeMap<String, RawProfile> = toml::from_str(&text).map_err(|e| {
        // The message and line only: toml's own Display quotes the line, which may hold a secret.
        let line = e.span().map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        let at = line.map(|l| format!(", line {l}")).unwrap_or_default();
        Config(format!("the config file {shown}{at}: {}", e.message().trim()))
    })?;
    let holds_secret = profiles.values().any(|p| p.access_token.is_some() || p.client_secret.is_some());
    if holds_secret {
        check_private(path)?;
    }
    let known: Vec<String> = profiles.keys().cloned().collect();
    let raw = profiles.remove(name).ok_or_else(|| {
        Config(format!(
            "the config file {shown} has no profile `{name}` (it has: {})",
            if known.is_empty() { "none".to_owned() } else { known.join(", ") }
        ))
    })?;
    Ok(Profile {
        access_token: raw.access_token.map(SecretString::from),
        account_id: raw.account_id,
        client_id: raw.client_id,
        client_secret: raw.client_secret.map(SecretString::from),
        base_url: raw.base_url,
        oauth_host: raw.oauth_host,
    })
}

/// Refuse a file holding a secret that group or others may read.
#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), Config> {
    use std::os::unix::fs::PermissionsExt;
    let shown = path.display();
    let mode = std::fs::metadata(path)
        .map_err(|e| Config(format!("cannot read the config file {shown}: {e}")))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(Config(format!(
            "the config file {shown} holds a secret and can be read by group or others (mode {:03o}); \
             make it private with `chmod 600 {shown}`",
            mode & 0o777
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path) -> Result<(), Config> {
    Ok(())
}

impl Profile {
    /// The profile's Zoom account id, if it sets one (the state store's namespace).
    pub fn account_id(&self) -> Option<String> {
        self.account_id.clone()
    }

    /// A client builder with this profile's credentials and endpoints; the environment's
    /// `ZOOM_BASE_URL` and `ZOOM_OAUTH_HOST` apply where the profile sets none.
    pub fn builder(&self, name: &str) -> Result<ClientBuilder, Config> {
        let mut builder = zoom_billing::Client::builder();
        let env = |var: &str| std::env::var(var).ok().filter(|v| !v.trim().is_empty());
        if let Some(url) = self.base_url.clone().or_else(|| env("ZOOM_BASE_URL")) {
            builder = builder.base_url(url);
        }
        if let Some(host) = self.oauth_host.clone().or_else(|| env("ZOOM_OAUTH_HOST")) {
            builder = builder.oauth_host(host);
        }
        if let Some(token) = &self.access_token {
            return Ok(builder.bearer_token(token.expose_secret()));
        }
        match (&self.account_id, &self.client_id, &self.client_secret) {
            (Some(account), Some(id), Some(secret)) => {
                Ok(builder.server_to_server(account.clone(), id.clone(), secret.expose_secret()))
            }
            _ => Err(Config(format!(
                "profile `{name}` has no credentials: set access_token, or account_id, client_id and client_secret"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str, mode: u32) -> PathBuf {
        let path = std::env::temp_dir().join(format!("zb-cli-config-{}-{name}.toml", std::process::id()));
        std::fs::write(&path, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        path
    }

    #[test]
    #[cfg(unix)]
    fn a_readable_secret_is_refused_with_the_fix() {
        let path = write("open", "[default]\nclient_secret = \"hunter2\"\naccount_id = \"a\"\n", 0o644);
        let err = load(&path, "default").unwrap_err().to_string();
        assert!(err.contains("chmod 600") && err.contains("mode 644"), "{err}");
        assert!(!err.contains("hunter2"));
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn errors_never_quote_the_file() {
        let path = write("broken", "[default]\naccess_token = \"hunter2\n", 0o600);
        let err = load(&path, "default").unwrap_err().to_string();
        assert!(err.contains("line 2") && !err.contains("hunter2"), "{err}");
        std::fs::remove_file(&path).unwrap();
        let path = write("ok", "[default]\naccess_token = \"hunter2\"\n", 0o600);
        let profile = load(&path, "default").unwrap();
        assert!(!format!("{profile:?}").contains("hunter2"));
        assert!(load(&path, "prod").unwrap_err().to_string().contains("has no profile `prod` (it has: default)"));
        std::fs::remove_file(path).unwrap();
    }
}
