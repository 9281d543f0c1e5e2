//! The `zoom-billing` binary as a real process against fake-zoom on 127.0.0.1 (in this test's
//! process): every operation of the spec (from `zoom_billing::Operation::ALL`, so a new one is
//! covered without a change here), bad input (exit code 2, nothing sent), `--dry-run` (nothing
//! sent, no token), config files holding secrets, and docs/cli.md's session transcript
//! (`UPDATE_TRANSCRIPT=1` rewrites it). Every process is bounded by a deadline.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fake_zoom::{FakeZoom, InvoiceReport, World};
use serde_json::Value;
use zoom_billing::Operation;
use zoom_billing::metadata::ResponseKind;
use zoom_billing_codegen::{SPEC_PATH, Spec, workspace_root};

// The workspace tests' redis-server helper, shared rather than copied.
#[allow(dead_code)]
#[path = "../../tests/src/redis_server.rs"]
mod redis_server;

/// The longest one invocation may take.
const DEADLINE: Duration = Duration::from_secs(30);

/// What a finished invocation left.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// A fake Zoom on its own runtime, and a scratch directory (HOME and the working directory
/// of every invocation, so no real config or state is read).
struct Setup {
    fake: FakeZoom,
    dir: PathBuf,
    _runtime: tokio::runtime::Runtime,
}

fn date(y: i32, m: u32, d: u32) -> zoom_billing::NaiveDate {
    zoom_billing::NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

impl Setup {
    fn new(name: &str) -> Setup {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let world = World::standard().today(date(2026, 12, 1)).invoice_report(InvoiceReport::new(
            "rpt-7",
            date(2026, 10, 1),
            date(2026, 10, 31),
        ));
        let fake = runtime.block_on(FakeZoom::start_with(world)).unwrap();
        let dir = std::env::temp_dir().join(format!("zoom-billing-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Setup { fake, dir, _runtime: runtime }
    }

    /// The environment the library reads, pointing at the fake.
    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ZOOM_BASE_URL", self.fake.base_url()),
            ("ZOOM_OAUTH_HOST", self.fake.oauth_host()),
            ("ZOOM_ACCOUNT_ID", fake_zoom::ACCOUNT_ID.to_owned()),
            ("ZOOM_CLIENT_ID", fake_zoom::CLIENT_ID.to_owned()),
            ("ZOOM_CLIENT_SECRET", fake_zoom::CLIENT_SECRET.to_owned()),
        ]
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &self.env(), None)
    }

    /// Run the binary with only `env` of the ZOOM_* variables, `stdin` on its standard input.
    fn run_with(&self, args: &[&str], env: &[(&str, String)], stdin: Option<&str>) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_zoom-billing"));
        command.args(args).current_dir(&self.dir);
        for (key, _) in std::env::vars() {
            if key.starts_with("ZOOM_") || key.starts_with("XDG_") {
                command.env_remove(key);
            }
        }
        command.env("HOME", &self.dir).envs(env.iter().map(|(k, v)| (*k, v)));
        command.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            use std::io::Write as _;
            pipe.write_all(text.as_bytes()).unwrap();
        }
        let read = |mut pipe: Box<dyn std::io::Read + Send>| {
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = pipe.read_to_string(&mut text);
                text
            })
        };
        let stdout = read(Box::new(child.stdout.take().unwrap()));
        let stderr = read(Box::new(child.stderr.take().unwrap()));
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > DEADLINE {
                let _ = child.kill();
                panic!("zoom-billing {args:?} ran longer than {DEADLINE:?}");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        Run { code: status.code().unwrap_or(-1), stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() }
    }

    fn write(&self, name: &str, text: &str) -> String {
        std::fs::write(self.dir.join(name), text).unwrap();
        name.to_owned()
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `accountId` → `account-id`, `page_size` → `page-size`.
fn kebab(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_uppercase() {
            out.push('-');
            out.extend(c.to_lowercase());
        } else {
            out.push(if c == '_' { '-' } else { c });
        }
    }
    out
}

/// fake-zoom's contract of the spec (parameters with their examples, body examples).
fn contract() -> Value {
    let spec = Spec::load(&workspace_root().unwrap().join(SPEC_PATH)).unwrap();
    zoom_billing_codegen::fake::contract(&spec.source.value).unwrap()
}

#[test]
fn every_operation_runs_against_the_fake() {
    let setup = Setup::new("every");
    let contract = contract();
    for operation in Operation::ALL {
        let id = operation.meta().operation_id;
        let op = contract["operations"].as_array().unwrap().iter().find(|o| o["operation_id"] == id).unwrap();
        let mut args = vec![kebab(id)];
        for p in op["parameters"].as_array().unwrap() {
            if p["required"] != true {
                continue;
            }
            let name = p["name"].as_str().unwrap();
            // Values of the fake's seeded world; else the spec's example.
            let value = match name {
                "accountId" => "me".to_owned(),
                "invoiceId" => "inv-1".to_owned(),
                "invoiceReportId" => "rpt-7".to_owned(),
                _ => p["example"].as_str().map_or_else(|| p["example"].to_string(), str::to_owned),
            };
            args.extend([format!("--{}", kebab(name)), value]);
        }
        if !op["body"].is_null() {
            let file = setup.write(&format!("{id}.json"), &op["body"]["example"].to_string());
            args.extend(["--body".to_owned(), file]);
        }
        if operation.meta().response == ResponseKind::Binary {
            args.extend(["--out".to_owned(), format!("{id}.bin")]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = setup.run(&args);
        assert_eq!(run.code, 0, "zoom-billing {args:?}: {run:?}");
        assert!(!setup.fake.requests_for(id).is_empty(), "zoom-billing {args:?} sent nothing to the fake");
        if operation.meta().response == ResponseKind::Binary {
            let saved: Value = serde_json::from_str(&run.stdout).unwrap();
            let path = setup.dir.join(format!("{id}.bin"));
            assert_eq!(saved["bytes"].as_u64(), Some(std::fs::metadata(&path).unwrap().len()), "{run:?}");
        } else if operation.meta().response == ResponseKind::Json {
            let _: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {run:?}"));
        }
    }
    // One process per call, one token for all: the default state store keeps it.
    assert_eq!(setup.fake.token_requests(), 1);
}

#[test]
fn all_follows_every_page_as_ndjson() {
    let setup = Setup::new("all");
    setup.fake.set_renewals(7);
    let run = setup.run(&["list-upcoming-renewals", "--page-size", "3", "--all"]);
    assert_eq!(run.code, 0, "{run:?}");
    let lines: Vec<Value> = run.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 7, "{}", run.stdout);
    assert_eq!(setup.fake.requests_for("list_upcoming_renewals").len(), 3);
    assert!(lines.iter().all(|l| l["account_id"].is_string()));
}

#[test]
fn bad_input_is_a_usage_error_and_sends_nothing() {
    let setup = Setup::new("bad");
    let malformed = setup.write("malformed.json", "{\"type\": \"monthly\",");
    let shaped = setup.write("shaped.json", "{\"type\": 12}");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["get-plan-useage", "--account-id", "me"], "unrecognized subcommand 'get-plan-useage'"),
        (vec!["get-plan-usage", "--account-id", "me", "--verbose"], "unexpected argument '--verbose'"),
        (vec!["get-plan-usage"], "--account-id <ACCOUNT_ID>"),
        (vec!["list-upcoming-renewals", "--interval", "45"], "[possible values: 30, 60, 90]"),
        (vec!["list-upcoming-renewals", "--page-size", "50"], "must be from 1 to 49"),
        (vec!["list-billing-invoices", "--account-id", "me", "--from", "2026-02-30"], "must be a date, yyyy-mm-dd"),
        (
            vec!["update-base-plan", "--account-id", "me", "--body", &malformed],
            "--body malformed.json: is not valid JSON",
        ),
        (
            vec!["update-base-plan", "--account-id", "me", "--body", &shaped],
            "--body shaped.json: is not a valid UpdateBasePlanRequest: invalid type: integer `12`, expected a string",
        ),
        (
            vec!["update-base-plan", "--account-id", "me", "--body", "missing.json"],
            "--body missing.json: cannot read it",
        ),
        (vec!["update-base-plan", "--account-id", "", "--body", &shaped], "is not a valid UpdateBasePlanRequest"),
        (vec!["get-account-plans", "--account-id", ""], "account_id must not be empty"),
    ];
    for (args, message) in cases {
        let run = setup.run(&args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stderr.contains(message), "{args:?}: expected {message:?} in {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}: {run:?}");
    }
    let piped =
        setup.run_with(&["update-base-plan", "--account-id", "me", "--body", "-"], &setup.env(), Some("[1, 2]"));
    assert_eq!(piped.code, 2, "{piped:?}");
    assert!(piped.stderr.contains("--body standard input: is not a valid UpdateBasePlanRequest"), "{piped:?}");
    assert!(setup.fake.requests().is_empty(), "nothing may reach Zoom: {:?}", setup.fake.requests());
    assert_eq!(setup.fake.token_requests(), 0, "no token for a request that is not sent");
}

#[test]
fn help_documents_the_exit_codes_and_completions_cover_every_operation() {
    let setup = Setup::new("help");
    let help = setup.run(&["--help"]);
    assert_eq!(help.code, 0, "{help:?}");
    assert!(help.stdout.contains("Exit codes:") && help.stdout.contains("3  rate limit or daily budget"), "{help:?}");
    let op_help = setup.run(&["list-upcoming-renewals", "--help"]);
    assert!(op_help.stdout.contains("Renewal window in days"), "the spec's description: {op_help:?}");
    assert!(op_help.stdout.contains("`GET /accounts/billing/renewals`"), "{op_help:?}");
    for shell in ["bash", "zsh", "fish"] {
        let script = setup.run(&["completions", shell]);
        assert_eq!(script.code, 0, "{script:?}");
        for operation in Operation::ALL {
            let name = kebab(operation.meta().operation_id);
            assert!(script.stdout.contains(&name), "{shell}: no {name}");
        }
    }
    assert_eq!(setup.run(&["completions", "cmd.exe"]).code, 2);
}

#[test]
fn plan_prints_the_floor_of_a_workload_from_the_spec_alone() {
    let setup = Setup::new("plan");
    let run = setup.run(&["plan", "download-invoice-file=200", "list-billing-invoices=3x50"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.starts_with("at least 4d 3h (bound by download_invoice_file's own interval: 4d 3h)"), "{run:?}");
    assert!(run.stdout.contains("  list_billing_invoices's own interval: 10m 0s"), "{run:?}");
    let bad = setup.run(&["plan", "no-such-operation=1"]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("`no-such-operation` is no operation"), "{bad:?}");
}

#[test]
fn dry_run_prints_the_request_and_spends_nothing() {
    let setup = Setup::new("dry");
    let body = setup.write("plan.json", "{\"type\": \"monthly\", \"hosts\": 12}");
    let run = setup.run(&["update-base-plan", "--account-id", "sub-1", "--body", &body, "--dry-run"]);
    assert_eq!(run.code, 0, "{run:?}");
    let request: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(request["method"], "PUT");
    assert_eq!(request["url"], format!("{}/accounts/sub-1/plans/base", setup.fake.base_url()));
    assert_eq!(request["body"], serde_json::json!({"type": "monthly", "hosts": 12}));
    let run = setup.run(&["list-upcoming-renewals", "--interval", "60", "--all", "--dry-run"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("/accounts/billing/renewals?interval=60"), "{run:?}");
    // Without credentials, and to Zoom's own URL: nothing is needed, nothing is sent.
    let run =
        setup.run_with(&["download-invoice-file", "--invoice-id", "inv-1", "--out", "x.pdf", "--dry-run"], &[], None);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("\"url\":\"https://api.zoom.us/v2/billing/invoices/inv-1/download\""), "{run:?}");
    assert!(!setup.dir.join("x.pdf").exists(), "a dry run writes no file");
    assert!(setup.fake.requests().is_empty());
    assert_eq!(setup.fake.token_requests(), 0);
}

#[test]
fn credentials_come_from_a_private_profile_only() {
    let setup = Setup::new("profile");
    let config = setup.dir.join(".config/zoom-billing");
    std::fs::create_dir_all(&config).unwrap();
    let path = config.join("config.toml");
    let text = format!(
        "[sandbox]\naccount_id = \"{}\"\nclient_id = \"{}\"\nclient_secret = \"{}\"\nbase_url = \"{}\"\noauth_host = \"{}\"\n",
        fake_zoom::ACCOUNT_ID,
        fake_zoom::CLIENT_ID,
        fake_zoom::CLIENT_SECRET,
        setup.fake.base_url(),
        setup.fake.oauth_host()
    );
    std::fs::write(&path, text).unwrap();
    set_mode(&path, 0o644);
    let args = ["get-billing-information", "--account-id", "me", "--profile", "sandbox"];
    let open = setup.run_with(&args, &[], None);
    assert_eq!(open.code, 1, "{open:?}");
    assert!(open.stderr.contains(&format!("chmod 600 {}", path.display())), "{open:?}");
    assert!(!open.stderr.contains(fake_zoom::CLIENT_SECRET));
    assert!(setup.fake.requests().is_empty());
    set_mode(&path, 0o600);
    let ok = setup.run_with(&args, &[], None);
    assert_eq!(ok.code, 0, "{ok:?}");
    assert!(ok.stdout.contains("Jill"), "{ok:?}");
    let unknown = setup.run_with(&["get-billing-information", "--account-id", "me", "--profile", "prod"], &[], None);
    assert!(unknown.stderr.contains("has no profile `prod` (it has: sandbox)"), "{unknown:?}");
    // No credentials anywhere: the authentication class.
    let none =
        setup.run_with(&["get-billing-information", "--account-id", "me", "--config", "nowhere.toml"], &[], None);
    assert_eq!(none.code, 5, "{none:?}");
}

fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

#[test]
fn errors_have_their_class_s_exit_code() {
    let setup = Setup::new("classes");
    // Zoom's 404 for an unknown invoice: an API error.
    let api = setup.run(&["get-invoice-details", "--account-id", "me", "--invoice-id", "nope"]);
    assert_eq!(api.code, 4, "{api:?}");
    assert!(api.stderr.starts_with("error: get_invoice_details: "), "{api:?}");
    // A refused secret.
    let mut env = setup.env();
    env.retain(|(k, _)| *k != "ZOOM_CLIENT_SECRET");
    env.push(("ZOOM_CLIENT_SECRET", "not-the-secret".to_owned()));
    // (Without the state store: it holds the token the first call had.)
    let auth = setup.run_with(&["get-plan-usage", "--account-id", "me", "--no-state"], &env, None);
    assert_eq!(auth.code, 5, "{auth:?}");
    assert!(!auth.stderr.contains("not-the-secret"), "{auth:?}");
    // Nothing listening.
    let mut env = setup.env();
    env.retain(|(k, _)| *k != "ZOOM_BASE_URL");
    env.push(("ZOOM_BASE_URL", "http://127.0.0.1:9/v2".to_owned()));
    env.push(("ZOOM_ACCESS_TOKEN", "t".to_owned()));
    let transport = setup.run_with(&["get-plan-usage", "--account-id", "me", "--timeout", "2s"], &env, None);
    assert_eq!(transport.code, 6, "{transport:?}");
}

/// The commands of docs/cli.md's session, run in order against the fake.
const SESSION: &[&str] = &[
    "zoom-billing get-billing-information --account-id me --output table",
    "zoom-billing list-billing-invoices --account-id me --from 2024-01-01 --output table",
    "zoom-billing list-upcoming-renewals --interval 30 --all",
    "zoom-billing download-invoice-file --invoice-id inv-1 --out invoice.pdf",
    "zoom-billing invoice-report --resume rpt-7 --out october.csv",
    "cat plan.json",
    "zoom-billing update-base-plan --account-id sub-1 --body plan.json --dry-run",
    "zoom-billing update-base-plan --account-id sub-1 --body plan.json",
    "zoom-billing list-upcoming-renewals --interval 45",
    "zoom-billing get-invoice-details --account-id me --invoice-id inv-404",
];

const START: &str =
    "<!-- transcript: generated by zoom-billing-cli/tests/cli.rs; UPDATE_TRANSCRIPT=1 rewrites it -->\n";
const END: &str = "<!-- end of transcript -->";

#[test]
fn the_transcript_in_docs_cli_md_is_what_the_commands_print() {
    let setup = Setup::new("transcript");
    setup.write("plan.json", "{\"type\": \"monthly\", \"hosts\": 12}\n");
    let mut transcript = String::from("```console\n");
    for line in SESSION {
        transcript.push_str(&format!("$ {line}\n"));
        if let Some(file) = line.strip_prefix("cat ") {
            transcript.push_str(&std::fs::read_to_string(setup.dir.join(file)).unwrap());
            continue;
        }
        let args: Vec<&str> = line.split_whitespace().skip(1).collect();
        let run = setup.run(&args);
        transcript.push_str(&run.stdout);
        transcript.push_str(&run.stderr);
        if run.code != 0 {
            transcript.push_str(&format!("[exit code {}]\n", run.code));
        }
    }
    transcript.push_str("```\n");
    // The fake's port and tracking ids (one counter for the tests running beside this one)
    // change from run to run.
    let transcript = transcript.replace(&setup.fake.oauth_host(), "http://127.0.0.1:PORT");
    let transcript = transcript
        .split("fake-track-")
        .enumerate()
        .map(|(i, part)| {
            if i == 0 { part.to_owned() } else { format!("N{}", part.trim_start_matches(|c: char| c.is_ascii_digit())) }
        })
        .collect::<Vec<_>>()
        .join("fake-track-");
    let path = workspace_root().unwrap().join("docs/cli.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let (before, rest) = doc.split_once(START).expect("docs/cli.md has the transcript's start marker");
    let (current, after) = rest.split_once(END).expect("docs/cli.md has the transcript's end marker");
    if current != transcript {
        if std::env::var_os("UPDATE_TRANSCRIPT").is_some() {
            std::fs::write(&path, format!("{before}{START}{transcript}{END}{after}")).unwrap();
        } else {
            panic!(
                "docs/cli.md's transcript differs from what the commands print; run \
                 `UPDATE_TRANSCRIPT=1 cargo test -p zoom-billing-cli --test cli` and review.\n\
                 --- docs/cli.md\n{current}\n+++ now\n{transcript}"
            );
        }
    }
}

/// Invocations sharing state: through the default embedded store (a file under the
/// scratch HOME), and through a real `redis-server` (`--redis URL`; ignored where it may be
/// missing; CI installs it and runs them: `.ci/run`, `-- --ignored`).
mod shared_state {
    use super::*;

    /// The flags that choose a store (none: the default file).
    type Store<'a> = &'a [&'a str];

    fn with(args: &[&str], store: Store<'_>) -> Vec<String> {
        args.iter().chain(store).map(|a| (*a).to_owned()).collect()
    }

    fn run(setup: &Setup, args: &[String], env: &[(&str, String)]) -> Run {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        setup.run_with(&args, env, None)
    }

    fn five_invocations_make_one_token_request(setup: &Setup, store: Store<'_>) {
        for _ in 0..5 {
            let run = run(setup, &with(&["get-billing-information", "--account-id", "me"], store), &setup.env());
            assert_eq!(run.code, 0, "{run:?}");
        }
        assert_eq!(setup.fake.requests_for("get_billing_information").len(), 5);
        assert_eq!(setup.fake.token_requests(), 1, "the token is shared through the store");
    }

    fn a_second_invoice_within_30_minutes_fails_fast_with_max_wait(setup: &Setup, store: Store<'_>) {
        let args = with(&["get-invoice-details", "--account-id", "me", "--invoice-id", "inv-1"], store);
        let first = run(setup, &args, &setup.env());
        assert_eq!(first.code, 0, "{first:?}");
        let mut again = args.clone();
        again.extend(["--max-wait".to_owned(), "1s".to_owned()]);
        let second = run(setup, &again, &setup.env());
        assert_eq!(second.code, 3, "{second:?}");
        // The wait is in the message: the next turn is 30 minutes after the first request.
        let message = &second.stderr;
        assert!(message.contains("not sent") && message.contains("allows the next request in 29m"), "{second:?}");
        assert!(message.contains("longer than max_wait (1.0s)"), "{second:?}");
        assert!(second.stdout.is_empty());
        assert_eq!(setup.fake.requests_for("get_invoice_details").len(), 1, "the second request was not sent");
    }

    fn a_pacing_wait_is_a_log_line_off_a_terminal(setup: &Setup, store: Store<'_>) {
        // One invoice per 30 minutes, 1000 times faster: the second waits about 1.8 s.
        let mut env = setup.env();
        env.push(("ZOOM_TIME_SCALE", "1000".to_owned()));
        let args = with(&["get-invoice-details", "--account-id", "me", "--invoice-id", "inv-1"], store);
        assert_eq!(run(setup, &args, &env).code, 0);
        let second = run(setup, &args, &env);
        assert_eq!(second.code, 0, "{second:?}");
        assert!(second.stderr.starts_with("zoom-billing: waiting 1."), "{second:?}");
        assert!(second.stderr.contains("s for Zoom's rate limit: operation=get_invoice_details"), "{second:?}");
        assert_eq!(setup.fake.requests_for("get_invoice_details").len(), 2);
    }

    fn concurrent_invocations_keep_the_daily_budget_exact(setup: &Setup, store: Store<'_>) {
        // list_billing_invoices: one request per 5 minutes and 6 a day per account; paced
        // 3000 times faster (0.1 s apart), the budget still counts the UTC day.
        let mut env = setup.env();
        env.push(("ZOOM_TIME_SCALE", "3000".to_owned()));
        let args = with(&["list-billing-invoices", "--account-id", "sub-9"], store);
        let mut codes = Vec::new();
        for _round in 0..2 {
            let runs: Vec<Run> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..4).map(|_| scope.spawn(|| run(setup, &args, &env))).collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            for run in &runs {
                assert!(run.code == 0 || run.stderr.contains("the daily limit of 6 requests is spent"), "{run:?}");
            }
            codes.extend(runs.iter().map(|r| r.code));
        }
        assert_eq!(codes.iter().filter(|c| **c == 0).count(), 6, "{codes:?}");
        assert_eq!(codes.iter().filter(|c| **c == 3).count(), 2, "{codes:?}");
        assert_eq!(setup.fake.requests_for("list_billing_invoices").len(), 6, "exactly the budget reached Zoom");
    }

    /// One test per behaviour and store.
    macro_rules! on_both_stores {
        ($($name:ident),* $(,)?) => {
            mod embedded {
                $(
                    #[test]
                    fn $name() {
                        let setup = super::Setup::new(concat!("sqlite-", stringify!($name)));
                        super::$name(&setup, &[]);
                    }
                )*
            }
            mod redis {
                $(
                    #[test]
                    #[ignore = "needs redis-server: apt-get install redis-server"]
                    fn $name() {
                        let redis = super::redis_server::RedisServer::start();
                        let setup = super::Setup::new(concat!("redis-", stringify!($name)));
                        super::$name(&setup, &["--redis", &redis.url()]);
                    }
                )*
            }
        };
    }

    on_both_stores!(
        five_invocations_make_one_token_request,
        a_second_invoice_within_30_minutes_fails_fast_with_max_wait,
        a_pacing_wait_is_a_log_line_off_a_terminal,
        concurrent_invocations_keep_the_daily_budget_exact,
    );

    #[test]
    fn a_store_file_others_can_read_is_refused_and_nothing_is_sent() {
        let setup = Setup::new("open-store");
        let path = setup.dir.join("state.sqlite3");
        let args = ["get-billing-information", "--account-id", "me", "--state", "state.sqlite3"];
        assert_eq!(setup.run(&args).code, 0, "creates the file");
        set_mode(&path, 0o644);
        let run = setup.run(&args);
        assert_eq!(run.code, 7, "{run:?}");
        assert!(run.stderr.starts_with("error: --state state.sqlite3: "), "{run:?}");
        assert_eq!(setup.fake.requests_for("get_billing_information").len(), 1, "nothing more was sent");
        let elsewhere = setup.run(&["get-billing-information", "--account-id", "me", "--no-state"]);
        assert_eq!(elsewhere.code, 0, "--no-state needs no file: {elsewhere:?}");
    }
}
