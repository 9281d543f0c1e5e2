//! The flags every subcommand takes, and the client they make: credentials (environment or
//! profile), pacing (`--max-wait`), the state store, `--dry-run`.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Arg, ArgAction, ArgMatches, value_parser};
use zoom_billing::{CallOptions, ClientBuilder, RateLimitPolicy, RetryPolicy};

use crate::config;
use crate::dry_run::Capture;
use zoom_billing::shared::{RedisStore, SharedStore, SqliteStore};

use crate::error::{Config, StateStore};
use crate::output::{Format, Output};
use crate::run::Context;

/// The flags every subcommand takes.
pub fn global_args() -> Vec<Arg> {
    let global = |arg: Arg| arg.global(true).help_heading("Global options");
    vec![
        global(
            Arg::new("output")
                .long("output")
                .short('o')
                .value_name("FORMAT")
                .value_parser(value_parser!(Format))
                .default_value("json")
                .help("How answers are printed"),
        ),
        global(
            Arg::new("profile")
                .long("profile")
                .value_name("NAME")
                .help("Use this profile of the config file instead of the environment's ZOOM_* variables"),
        ),
        global(
            Arg::new("config")
                .long("config")
                .value_name("PATH")
                .value_parser(value_parser!(PathBuf))
                .help("The config file (default: $XDG_CONFIG_HOME/zoom-billing/config.toml or ~/.config/...)"),
        ),
        global(
            Arg::new("max-wait")
                .long("max-wait")
                .value_name("DURATION")
                .value_parser(duration)
                .help("Fail at once (exit 3) instead of waiting longer than this for a rate-limit turn (30s, 5m, 1h)"),
        ),
        global(
            Arg::new("timeout")
                .long("timeout")
                .value_name("DURATION")
                .value_parser(duration)
                .help("Per-attempt timeout of each request (default 60s)"),
        ),
        global(
            Arg::new("dry-run")
                .long("dry-run")
                .action(ArgAction::SetTrue)
                .help("Print the request that would be sent (method, URL, body); send nothing, spend nothing"),
        ),
        global(
            Arg::new("redis")
                .long("redis")
                .value_name("URL")
                .help("Share pacing, daily budgets and the token with every process on every host through this Redis"),
        ),
        global(
            Arg::new("state")
                .long("state")
                .value_name("PATH")
                .value_parser(value_parser!(PathBuf))
                .conflicts_with("redis")
                .help("Keep the state shared by this host's runs in this file (default: $XDG_STATE_HOME/zoom-billing/state.sqlite3 or ~/.local/state/...)"),
        ),
        global(
            Arg::new("no-state")
                .long("no-state")
                .action(ArgAction::SetTrue)
                .conflicts_with_all(["redis", "state"])
                .help("Keep no state between runs (pacing, budgets and the token are this process's only)"),
        ),
    ]
}

/// `30s`, `5m`, `1h`, `250ms` or a number of seconds.
pub fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: f64 = number.parse().map_err(|_| format!("`{text}` is not a duration (30s, 5m, 1h)"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("`{text}`: unknown unit `{unit}` (ms, s, m or h)")),
    };
    Duration::try_from_secs_f64(secs).map_err(|_| format!("`{text}` is out of range"))
}

/// The store that carries pacing, budgets and the token between runs: the one place the
/// choice is made. `--no-state`: none; `--redis URL`: Redis, for processes on several hosts;
/// `--state PATH`: the embedded store in that file; by default the embedded store in the XDG
/// state dir (`$XDG_STATE_HOME` or `~/.local/state`, `zoom-billing/state.sqlite3`), when the
/// account is known (its id is the store's namespace) and there is a home to keep it in.
fn state_store(matches: &ArgMatches, namespace: Option<&str>) -> anyhow::Result<Option<SharedStore>> {
    if matches.get_flag("no-state") {
        return Ok(None);
    }
    if let Some(url) = matches.get_one::<String>("redis") {
        let mut builder = RedisStore::builder(url.clone());
        if let Some(namespace) = namespace {
            builder = builder.namespace(namespace);
        }
        let store = builder.build().map_err(|e| StateStore(format!("--redis: {e}")))?;
        return Ok(Some(store.into()));
    }
    let (path, explicit) = match matches.get_one::<PathBuf>("state") {
        Some(path) => (path.clone(), true),
        None => match SqliteStore::default_path() {
            Some(path) if namespace.is_some() => (path, false),
            // A bearer token of an unknown account, or no home: nothing to key or keep state in.
            _ => return Ok(None),
        },
    };
    let mut builder = SqliteStore::builder(path.clone());
    if let Some(namespace) = namespace {
        builder = builder.namespace(namespace);
    }
    let flag = if explicit { "--state " } else { "the state store " };
    let store = builder.build().map_err(|e| StateStore(format!("{flag}{}: {e}", path.display())))?;
    Ok(Some(store.into()))
}

/// The credentials and endpoints: `--profile`, else the environment, else the config file's
/// `default` profile when there is one.
fn credentials(matches: &ArgMatches) -> anyhow::Result<(ClientBuilder, Option<String>)> {
    let path = matches.get_one::<PathBuf>("config").cloned().or_else(config::default_path);
    let account = |profile_account: Option<String>| {
        profile_account.or_else(|| std::env::var("ZOOM_ACCOUNT_ID").ok().filter(|v| !v.is_empty()))
    };
    if let Some(name) = matches.get_one::<String>("profile") {
        let path = path.ok_or_else(|| Config("--profile: no config file (no $XDG_CONFIG_HOME or $HOME)".into()))?;
        let profile = config::load(&path, name)?;
        return Ok((profile.builder(name)?, account(profile.account_id())));
    }
    match ClientBuilder::from_env() {
        Ok(builder) => Ok((builder, account(None))),
        Err(zoom_billing::BuildError::MissingCredentials) if path.as_ref().is_some_and(|p| p.is_file()) => {
            let path = path.unwrap_or_default();
            let profile = config::load(&path, "default")?;
            Ok((profile.builder("default")?, account(profile.account_id())))
        }
        Err(e) => Err(e.into()),
    }
}

/// The base URL requests would go to (for `--dry-run`'s output).
fn real_base_url(matches: &ArgMatches) -> String {
    let from_profile = matches.get_one::<String>("profile").and_then(|name| {
        let path = matches.get_one::<PathBuf>("config").cloned().or_else(config::default_path)?;
        config::load(&path, name).ok()?.base_url.clone()
    });
    from_profile
        .or_else(|| std::env::var("ZOOM_BASE_URL").ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| zoom_billing::DEFAULT_BASE_URL.to_owned())
        .trim_end_matches('/')
        .to_owned()
}

/// The run's context, and the capture server with the real base URL under `--dry-run`.
pub async fn context(matches: &ArgMatches) -> anyhow::Result<(Context, Option<(Capture, String)>)> {
    let output = Output::new(matches.get_one::<Format>("output").copied().unwrap_or(Format::Json));
    let mut options = CallOptions::new();
    if let Some(timeout) = matches.get_one::<Duration>("timeout") {
        options = options.with_timeout(*timeout);
    }
    let terminal = std::io::stderr().is_terminal();
    let dry_run = matches.get_flag("dry-run");
    if dry_run {
        let real = real_base_url(matches);
        let capture = Capture::start(&real).await.context("--dry-run: cannot start the capture server")?;
        let client = zoom_billing::Client::builder()
            .base_url(capture.base_url.clone())
            .bearer_token("dry-run")
            .rate_limit_policy(RateLimitPolicy::off())
            .retry_policy(RetryPolicy::none())
            .build()?;
        return Ok((Context { client, options, output, dry_run, terminal }, Some((capture, real))));
    }
    let (mut builder, account) = credentials(matches)?;
    let mut policy = RateLimitPolicy::default();
    if let Some(max_wait) = matches.get_one::<Duration>("max-wait") {
        policy = policy.with_max_wait(*max_wait);
    }
    // As the library's tour: pacing that many times faster, to match `fake-zoom --time-scale N`.
    if let Some(scale) = std::env::var("ZOOM_TIME_SCALE").ok().filter(|v| !v.trim().is_empty()) {
        let scale: f64 =
            scale.trim().parse().map_err(|_| Config(format!("ZOOM_TIME_SCALE must be a number, not `{scale}`")))?;
        policy = policy.with_time_scale(scale);
    }
    builder = builder.rate_limit_policy(policy);
    if let Some(store) = state_store(matches, account.as_deref())? {
        builder = builder.shared_state(store);
    }
    let client = builder.build()?;
    Ok((Context { client, options, output, dry_run, terminal }, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_and_subcommand_the_command_line_adds_is_reserved_in_the_generator() {
        use zoom_billing_codegen::cli::{RESERVED_COMMANDS, RESERVED_FLAGS};
        let added = [crate::run::body_arg(false), crate::run::all_arg(), crate::run::out_arg()];
        for arg in global_args().iter().chain(&added) {
            let long = arg.get_long().unwrap_or_default();
            assert!(RESERVED_FLAGS.contains(&long), "--{long} is not in codegen's RESERVED_FLAGS");
        }
        for name in [crate::report::NAME, "completions"] {
            assert!(RESERVED_COMMANDS.contains(&name), "{name} is not in codegen's RESERVED_COMMANDS");
        }
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(duration("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(duration("2"), Ok(Duration::from_secs(2)));
        assert!(duration("5 parsecs").is_err());
        assert!(duration("m").is_err());
    }
}
