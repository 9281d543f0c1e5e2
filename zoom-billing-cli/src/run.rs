//! What the generated commands call: the context of a run (the client and how to print),
//! the operation-level flags (`--body`, `--out`, `--all`) and how each kind of answer is
//! printed or saved.

use std::future::{Future, IntoFuture};
use std::io::Read as _;
use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, ArgMatches, value_parser};
use serde::Serialize;
use serde::de::DeserializeOwned;
use zoom_billing::paginate::Pages;
use zoom_billing::{CallOptions, Client, ResponseValue};

use crate::error::Usage;
use crate::output::Output;
use crate::progress;

/// One run of the command line: the client every call goes through, and how to print.
#[derive(Debug)]
pub struct Context {
    /// The client, with the credentials, pacing and state store chosen.
    pub client: Client,
    /// Per-call overrides (`--timeout`).
    pub options: CallOptions,
    /// Where and how answers are printed.
    pub output: Output,
    /// `--dry-run`: the client talks to the capture server; nothing is written.
    pub dry_run: bool,
    /// Whether stderr is a terminal (progress is shown there).
    pub terminal: bool,
}

impl Context {
    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The per-call options.
    pub fn options(&self) -> CallOptions {
        self.options.clone()
    }
}

/// `--body FILE|-` of an operation that takes a request body.
pub fn body_arg(required: bool) -> Arg {
    Arg::new("body")
        .long("body")
        .value_name("FILE")
        .required(required)
        .value_parser(value_parser!(PathBuf))
        .help("The request body: a JSON file, or - to read it from standard input")
}

/// The request body of `--body`, decoded as the operation's body type, if given.
pub fn body<T: DeserializeOwned>(matches: &ArgMatches) -> anyhow::Result<Option<T>> {
    matches.get_one::<PathBuf>("body").map(|path| read_body(path)).transpose()
}

/// Read and decode a body file (`-`: standard input). A file that cannot be read, is not
/// JSON, or does not have the body's shape is a usage error naming the file and the fault.
pub fn read_body<T: DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let stdin = path == Path::new("-");
    let name = if stdin { "standard input".to_owned() } else { path.display().to_string() };
    let text = if stdin {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map(|_| text)
    } else {
        std::fs::read_to_string(path)
    }
    .map_err(|e| Usage(format!("--body {name}: cannot read it: {e}")))?;
    serde_json::from_str(&text).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => {
                let ty = std::any::type_name::<T>().rsplit("::").next().unwrap_or("request body");
                format!("is not a valid {ty}")
            }
            _ => "is not valid JSON".to_owned(),
        };
        Usage(format!("--body {name}: {what}: {e}")).into()
    })
}

/// `--all` of a paginated operation.
pub fn all_arg() -> Arg {
    Arg::new("all")
        .long("all")
        .action(ArgAction::SetTrue)
        .help("Follow every page and print each item on a line of its own (NDJSON)")
}

/// Whether `--all` was given.
pub fn all(matches: &ArgMatches) -> bool {
    matches.get_flag("all")
}

/// `--out PATH` of a download.
pub fn out_arg() -> Arg {
    Arg::new("out")
        .long("out")
        .value_name("PATH")
        .required(true)
        .value_parser(value_parser!(PathBuf))
        .help("Save the file here (written to a temporary file beside it, renamed when complete)")
}

/// Send a call with a JSON answer and print it.
pub async fn json<F, T>(ctx: &Context, call: F) -> anyhow::Result<()>
where
    F: IntoFuture<Output = zoom_billing::Result<ResponseValue<T>>>,
    T: Serialize,
{
    let answer = call.await?.into_inner();
    ctx.output.value(&answer)
}

/// Send a call with an empty answer; prints nothing.
pub async fn empty<F>(_ctx: &Context, call: F) -> anyhow::Result<()>
where
    F: IntoFuture<Output = zoom_billing::Result<ResponseValue<()>>>,
{
    call.await?;
    Ok(())
}

/// Read every item of a listing, page by page: one JSON line each (or one table).
pub async fn pages<T: Serialize>(ctx: &Context, mut pages: Pages<'_, T>) -> anyhow::Result<()> {
    let mut rows = Vec::new();
    while let Some(item) = pages.try_next().await? {
        if ctx.output.is_table() {
            rows.push(serde_json::to_value(&item)?);
        } else {
            ctx.output.line(&item)?;
        }
    }
    if ctx.output.is_table() {
        ctx.output.table(&rows)?;
    }
    Ok(())
}

/// Save a download to `--out` (atomically, by the builder's `save_to`), with progress on a
/// terminal, and print where and how many bytes.
pub async fn save<F, Fut>(ctx: &Context, matches: &ArgMatches, send: F) -> anyhow::Result<()>
where
    F: FnOnce(PathBuf) -> Fut,
    Fut: Future<Output = zoom_billing::Result<u64>>,
{
    let out = matches.get_one::<PathBuf>("out").cloned().ok_or_else(|| Usage("--out PATH is required".into()))?;
    if ctx.dry_run {
        // Nothing is written where the user asked: the capture server's empty answer goes
        // to a scratch file, removed at once.
        let scratch = std::env::temp_dir().join(format!(".zoom-billing-dry-run-{}", std::process::id()));
        let result = send(scratch.clone()).await;
        let _ = std::fs::remove_file(&scratch);
        result?;
        return Ok(());
    }
    let label = format!("downloading to {}", out.display());
    let bytes = progress::while_running(ctx.terminal, label, send(out.clone())).await?;
    ctx.output.value(&serde_json::json!({"path": out, "bytes": bytes}))
}

/// A subcommand the dispatch does not know (cannot happen: clap knows the same list).
pub fn unknown(command: &str) -> anyhow::Error {
    anyhow::anyhow!("no operation for the subcommand `{command}`")
}
