//! `cargo xtask bench-build`: what zoom-billing costs its users to build, against zoom-api.
//!
//! One run measures, each as the median of `--runs` builds:
//! - the clean debug and release build of the `zoom-billing` crate alone, its dependencies prebuilt
//!   (`cargo clean -p zoom-billing`, then `cargo build -p zoom-billing [--release]`);
//! - its incremental debug rebuild after the mtime of one hand-written file is bumped;
//! - the same three figures for `zoom-api` 0.10.0 from crates.io, unpacked into a scratch workspace
//!   under `target/bench-build/zoom-api/` as a workspace member, so it is built exactly as
//!   zoom-billing is (same profile, incremental on, dependencies at the workspace's opt-level
//!   without debug info, and both crates with full debug info, as a user's dev profile has);
//! - the lines of code of both crates;
//! - the wall time of `xtask generate` and `xtask spec-diff` on a warm build (the built binary run
//!   `--tool-runs` times) and of `cargo xtask generate` (cargo's freshness check included).
//!
//! zoom-billing is built with `CARGO_TARGET_DIR=target/bench-build/zoom-billing`, so the workspace's
//! own `target/debug` is never cleaned. The run takes minutes: it is never run by tests or CI.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// The crates.io release of zoom-api compared against.
pub const ZOOM_API_VERSION: &str = "0.10.0";

/// Why a measurement could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A file or directory operation failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done (`create`, `read`, `set the mtime of`...).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A command could not be started.
    #[error("cannot run {command}: {source}")]
    Spawn {
        /// The command line.
        command: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A command exited with failure (its output was printed).
    #[error("{command} failed ({status})")]
    Failed {
        /// The command line.
        command: String,
        /// How it exited.
        status: std::process::ExitStatus,
    },
    /// `cargo metadata` failed in the scratch workspace.
    #[error("cargo metadata failed in {}", dir.display())]
    Metadata {
        /// The scratch workspace.
        dir: PathBuf,
    },
    /// `cargo metadata` printed something that is not its JSON.
    #[error("cargo metadata output: {0}")]
    MetadataJson(#[source] serde_json::Error),
    /// zoom-api is not among the packages `cargo metadata` lists.
    #[error("zoom-api not in cargo metadata")]
    NotInMetadata,
}

/// The error-mapping closure for a file operation on `path`.
fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> BenchError {
    move |source| BenchError::Io { action, path: path.to_owned(), source }
}

/// The hand-written file whose mtime is bumped for the incremental figure.
const ZOOM_BILLING_TOUCHED: &str = "zoom-billing/src/config.rs";
/// zoom-api's small hand-written file, bumped for its incremental figure.
const ZOOM_API_TOUCHED: &str = "src/utils.rs";

/// What to measure.
pub struct Options {
    /// Builds per figure; the median is reported.
    pub runs: usize,
    /// Runs of each codegen tool; the median is reported.
    pub tool_runs: usize,
    /// Skip zoom-api (no ratios), for a quick look at zoom-billing alone.
    pub skip_zoom_api: bool,
    /// Markdown instead of a text table.
    pub markdown: bool,
}

/// Build figures of one crate.
#[derive(Default, Clone)]
struct BuildFigures {
    clean_debug: Option<Duration>,
    clean_release: Option<Duration>,
    incremental: Option<Duration>,
    lines: Option<Lines>,
}

#[derive(Default, Clone, Copy)]
struct Lines {
    generated: usize,
    hand_written: usize,
}

impl Lines {
    fn total(self) -> usize {
        self.generated + self.hand_written
    }
}

/// Runs the whole measurement and prints the report on stdout (progress goes to stderr).
pub fn run(root: &Path, options: &Options) -> Result<(), BenchError> {
    let started = Instant::now();
    let load_before = loadavg();
    let bench_dir = root.join("target").join("bench-build");
    std::fs::create_dir_all(&bench_dir).map_err(io("create", &bench_dir))?;

    let ours = measure_zoom_billing(root, &bench_dir, options.runs)?;
    let theirs = if options.skip_zoom_api {
        None
    } else {
        match measure_zoom_api(&bench_dir.join("zoom-api"), options.runs) {
            Ok(figures) => Some(figures),
            Err(err) => {
                eprintln!("bench-build: zoom-api {ZOOM_API_VERSION} not measured: {err}");
                None
            }
        }
    };
    let tools = measure_tools(root, options.tool_runs);
    let load_after = loadavg();

    let report = Report {
        ours,
        theirs,
        tools,
        runs: options.runs,
        tool_runs: options.tool_runs,
        load_before,
        load_after,
        elapsed: started.elapsed(),
    };
    print!("{}", if options.markdown { report.markdown() } else { report.text() });
    Ok(())
}

fn measure_zoom_billing(root: &Path, bench_dir: &Path, runs: usize) -> Result<BuildFigures, BenchError> {
    let target = bench_dir.join("zoom-billing");
    let build = |release: bool| {
        let mut cmd = cargo(root, &target);
        cmd.args(["build", "--package", "zoom-billing"]);
        if release {
            cmd.arg("--release");
        }
        cmd
    };
    let clean = |release: bool| {
        let mut cmd = cargo(root, &target);
        cmd.args(["clean", "--package", "zoom-billing"]);
        if release {
            cmd.arg("--release");
        }
        cmd
    };
    let figures = measure_builds("zoom-billing", &build, &clean, &root.join(ZOOM_BILLING_TOUCHED), runs)?;
    let generated = count_lines(&root.join("zoom-billing/src/generated"));
    let all = count_lines(&root.join("zoom-billing/src"));
    Ok(BuildFigures { lines: Some(Lines { generated, hand_written: all - generated }), ..figures })
}

/// Times the clean debug, clean release and incremental builds of one package. `build(release)`
/// builds the package, `clean(release)` removes only its own artifacts.
fn measure_builds(
    name: &str,
    build: &dyn Fn(bool) -> Command,
    clean: &dyn Fn(bool) -> Command,
    touched: &Path,
    runs: usize,
) -> Result<BuildFigures, BenchError> {
    let runs = runs.max(1);
    let mut figures = BuildFigures::default();
    for release in [false, true] {
        let profile = if release { "release" } else { "debug" };
        eprintln!("bench-build: {name}: building dependencies ({profile})");
        run_ok(build(release))?;
        let mut times = Vec::with_capacity(runs);
        for i in 0..runs {
            run_ok(clean(release))?;
            eprint!("bench-build: {name}: clean {profile} build {}/{runs} ... ", i + 1);
            let time = time_ok(build(release))?;
            eprintln!("{:.1} s", time.as_secs_f64());
            times.push(time);
        }
        let median = Some(median(times));
        if release {
            figures.clean_release = median;
        } else {
            figures.clean_debug = median;
        }
    }
    // Incremental: bump the file's mtime, rebuild, and put the old mtime back so the other
    // target dirs (the workspace's own) do not see a change.
    let original = std::fs::metadata(touched).and_then(|m| m.modified()).map_err(io("stat", touched))?;
    run_ok(build(false))?;
    let mut times = Vec::with_capacity(runs);
    let result = (|| {
        for i in 0..runs {
            set_mtime(touched, SystemTime::now())?;
            eprint!("bench-build: {name}: incremental debug rebuild {}/{runs} ... ", i + 1);
            let time = time_ok(build(false))?;
            eprintln!("{:.1} s", time.as_secs_f64());
            times.push(time);
        }
        Ok::<(), BenchError>(())
    })();
    set_mtime(touched, original)?;
    result?;
    figures.incremental = Some(median(times));
    Ok(figures)
}

fn measure_zoom_api(dir: &Path, runs: usize) -> Result<BuildFigures, BenchError> {
    let source = unpack_zoom_api(dir)?;
    let target = dir.join("target");
    let build = |release: bool| {
        let mut cmd = cargo(dir, &target);
        cmd.args(["build", "--package", "zoom-api"]);
        if release {
            cmd.arg("--release");
        }
        cmd
    };
    let clean = |release: bool| {
        let mut cmd = cargo(dir, &target);
        cmd.args(["clean", "--package", "zoom-api"]);
        if release {
            cmd.arg("--release");
        }
        cmd
    };
    let figures = measure_builds("zoom-api", &build, &clean, &source.join(ZOOM_API_TOUCHED), runs)?;
    // zoom-api is generated whole but for a few runtime files.
    let all = count_lines(&source.join("src"));
    let hand_written: usize =
        ["src/utils.rs", "src/lib.rs"].iter().map(|f| count_file_lines(&source.join(f))).sum::<usize>().min(all);
    Ok(BuildFigures { lines: Some(Lines { generated: all - hand_written, hand_written }), ..figures })
}

/// Makes `dir` a workspace whose only member is zoom-api's crates.io source, and returns the
/// member's directory. The source comes from cargo's registry cache (fetched on first use).
fn unpack_zoom_api(dir: &Path) -> Result<PathBuf, BenchError> {
    let member = dir.join("zoom-api");
    // The scratch workspace, written on every run so that an older one is brought up to date:
    // zoom-api as a member (incremental, opt-level 0 in dev), its dependencies at opt-level 1
    // without debug info, exactly like zoom-billing in this workspace; both crates get full
    // debug info from `cargo()`.
    write(
        &dir.join("Cargo.toml"),
        "[workspace]\nresolver = \"2\"\nmembers = [\"zoom-api\"]\n\n\
         [profile.dev.package.\"*\"]\nopt-level = 1\ndebug = false\n",
    )?;
    if member.join("Cargo.toml").is_file() {
        return Ok(member);
    }
    let fetch = dir.join("fetch");
    write(
        &fetch.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"fetch-zoom-api\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\nzoom-api = \"={ZOOM_API_VERSION}\"\n\n[workspace]\n"
        ),
    )?;
    write(&fetch.join("src/lib.rs"), "")?;
    let mut metadata = Command::new(cargo_bin());
    metadata.current_dir(&fetch).args(["metadata", "--format-version", "1"]).stderr(Stdio::inherit());
    let output =
        metadata.output().map_err(|source| BenchError::Spawn { command: "cargo metadata".to_owned(), source })?;
    if !output.status.success() {
        return Err(BenchError::Metadata { dir: fetch });
    }
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).map_err(BenchError::MetadataJson)?;
    let manifest = json["packages"]
        .as_array()
        .and_then(|packages| packages.iter().find(|p| p["name"] == "zoom-api" && p["version"] == ZOOM_API_VERSION))
        .and_then(|p| p["manifest_path"].as_str())
        .ok_or(BenchError::NotInMetadata)?;
    // A manifest path always has a parent; an empty one reads as the current directory.
    let source = Path::new(manifest).parent().unwrap_or(Path::new("."));
    copy_dir(source, &member)?;
    Ok(member)
}

/// Times `xtask generate` and `xtask spec-diff` (this very binary, already built) and
/// `cargo xtask generate`.
fn measure_tools(root: &Path, runs: usize) -> Vec<(String, Option<Duration>)> {
    let runs = runs.max(1);
    // The workspace's own build of xtask, as `cargo xtask` runs it (not `current_exe`, which a
    // concurrent rebuild may have replaced).
    let exe = root.join("target/debug/xtask");
    // spec-diff exits 1 when it finds a breaking change: that run still counts.
    let cases: Vec<(String, Command)> = vec![
        ("xtask generate".into(), tool(root, &exe, &["generate"])),
        ("xtask generate --check".into(), tool(root, &exe, &["generate", "--check"])),
        ("xtask spec-diff (HEAD vs working tree, both clients generated)".into(), {
            tool(root, &exe, &["spec-diff", "--base", "HEAD"])
        }),
        ("cargo xtask generate".into(), {
            let mut cmd = Command::new(cargo_bin());
            cmd.current_dir(root).args(["xtask", "generate"]);
            cmd
        }),
    ];
    let mut results = Vec::new();
    for (name, mut cmd) in cases {
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let started = Instant::now();
            match cmd.output() {
                Ok(output) if matches!(output.status.code(), Some(0)) => times.push(started.elapsed()),
                Ok(output) if name.contains("spec-diff") && output.status.code() == Some(1) => {
                    times.push(started.elapsed())
                }
                Ok(output) => {
                    eprint!("{}", String::from_utf8_lossy(&output.stderr));
                    break;
                }
                Err(err) => {
                    eprintln!("cannot run {cmd:?}: {err}");
                    break;
                }
            }
        }
        let figure = (times.len() == runs).then(|| median(times));
        if figure.is_none() {
            eprintln!("bench-build: `{name}` failed; not measured");
        }
        results.push((name, figure));
    }
    results
}

fn tool(root: &Path, exe: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(exe);
    cmd.current_dir(root).args(args);
    cmd
}

struct Report {
    ours: BuildFigures,
    theirs: Option<BuildFigures>,
    tools: Vec<(String, Option<Duration>)>,
    runs: usize,
    tool_runs: usize,
    load_before: String,
    load_after: String,
    elapsed: Duration,
}

/// One row: figure name, zoom-billing, zoom-api, ratio, goal.
type Row = [String; 5];

impl Report {
    fn build_rows(&self) -> Vec<Row> {
        let theirs = self.theirs.clone().unwrap_or_default();
        let secs = |d: Option<Duration>| d.map_or("-".to_owned(), |d| format!("{:.2} s", d.as_secs_f64()));
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:.3}", a / b),
            _ => "-".to_owned(),
        };
        let f = |d: Option<Duration>| d.map(|d| d.as_secs_f64());
        let build_row = |name: &str, a: Option<Duration>, b: Option<Duration>, goal: &str| -> Row {
            [name.to_owned(), secs(a), secs(b), ratio(f(a), f(b)), goal.to_owned()]
        };
        let count = |l: Option<Lines>, pick: fn(Lines) -> usize| l.map_or("-".to_owned(), |l| pick(l).to_string());
        let lines_ratio = |pick: fn(Lines) -> usize| {
            ratio(self.ours.lines.map(|l| pick(l) as f64), theirs.lines.map(|l| pick(l) as f64))
        };
        vec![
            build_row("clean debug build (deps prebuilt)", self.ours.clean_debug, theirs.clean_debug, "<= 0.10"),
            build_row("clean release build (deps prebuilt)", self.ours.clean_release, theirs.clean_release, "<= 0.25"),
            build_row("incremental debug rebuild (1 file touched)", self.ours.incremental, theirs.incremental, ""),
            [
                "lines of generated code".into(),
                count(self.ours.lines, |l| l.generated),
                count(theirs.lines, |l| l.generated),
                lines_ratio(|l| l.generated),
                String::new(),
            ],
            [
                "lines of Rust in the crate".into(),
                count(self.ours.lines, Lines::total),
                count(theirs.lines, Lines::total),
                lines_ratio(Lines::total),
                String::new(),
            ],
        ]
    }

    fn tool_rows(&self) -> Vec<[String; 3]> {
        self.tools
            .iter()
            .map(|(name, d)| {
                [
                    name.clone(),
                    d.map_or("failed".to_owned(), |d| format!("{:.0} ms", d.as_secs_f64() * 1000.0)),
                    "< 1 s".to_owned(),
                ]
            })
            .collect()
    }

    fn footer(&self) -> String {
        format!(
            "median of {} build(s) and {} tool run(s); load average before {} / after {}; whole run {:.0} s",
            self.runs,
            self.tool_runs,
            self.load_before,
            self.load_after,
            self.elapsed.as_secs_f64()
        )
    }

    fn text(&self) -> String {
        let mut out = String::new();
        let header: Row = [
            "build figure".into(),
            "zoom-billing".into(),
            format!("zoom-api {ZOOM_API_VERSION}"),
            "ratio".into(),
            "goal".into(),
        ];
        let rows = self.build_rows();
        let mut widths = [0; 5];
        for row in std::iter::once(&header).chain(&rows) {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.len());
            }
        }
        for row in std::iter::once(&header).chain(&rows) {
            let line = row
                .iter()
                .zip(widths)
                .enumerate()
                .map(|(i, (cell, w))| if i == 0 { format!("{cell:<w$}") } else { format!("{cell:>w$}") })
                .collect::<Vec<_>>()
                .join("  ");
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out.push('\n');
        let tools = self.tool_rows();
        let w0 = tools.iter().map(|r| r[0].len()).max().unwrap_or(0).max("codegen tool (warm)".len());
        let _ = writeln!(out, "{:<w0$}  {:>9}  goal", "codegen tool (warm)", "median");
        for [name, time, goal] in tools {
            let _ = writeln!(out, "{name:<w0$}  {time:>9}  {goal}");
        }
        let _ = writeln!(out, "\n{}", self.footer());
        out
    }

    fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "| build figure | zoom-billing | zoom-api {ZOOM_API_VERSION} | ratio | goal |");
        let _ = writeln!(out, "| --- | ---: | ---: | ---: | --- |");
        for row in self.build_rows() {
            let _ = writeln!(out, "| {} |", row.join(" | "));
        }
        let _ = writeln!(out, "\n| codegen tool (warm) | median | goal |\n| --- | ---: | --- |");
        for row in self.tool_rows() {
            let _ = writeln!(out, "| `{}` | {} | {} |", row[0], row[1], row[2]);
        }
        let _ = writeln!(out, "\n_{}_", self.footer());
        out
    }
}

fn cargo_bin() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// A quiet cargo command in `dir` with its own target dir, building debug code with full
/// debug info: a user's default dev profile, which this workspace's own profile (line tables
/// only, to keep CI's disk) would otherwise give zoom-billing alone.
fn cargo(dir: &Path, target: &Path) -> Command {
    let mut cmd = Command::new(cargo_bin());
    cmd.current_dir(dir).env("CARGO_TARGET_DIR", target).env("CARGO_PROFILE_DEV_DEBUG", "true").arg("--quiet");
    cmd
}

fn run_ok(cmd: Command) -> Result<(), BenchError> {
    time_ok(cmd).map(|_| ())
}

/// Runs `cmd` to success and returns its wall time; its output is shown only if it fails
/// (zoom-api's own warnings would drown the progress lines).
fn time_ok(mut cmd: Command) -> Result<Duration, BenchError> {
    let started = Instant::now();
    let output = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).output();
    let output = output.map_err(|source| BenchError::Spawn { command: format!("{cmd:?}"), source })?;
    let elapsed = started.elapsed();
    if !output.status.success() {
        eprint!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        return Err(BenchError::Failed { command: format!("{cmd:?}"), status: output.status });
    }
    Ok(elapsed)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    let n = times.len();
    if n % 2 == 1 { times[n / 2] } else { (times[n / 2 - 1] + times[n / 2]) / 2 }
}

fn set_mtime(path: &Path, time: SystemTime) -> Result<(), BenchError> {
    std::fs::File::options()
        .append(true)
        .open(path)
        .and_then(|f| f.set_modified(time))
        .map_err(io("set the mtime of", path))
}

fn count_file_lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |text| text.lines().count())
}

/// Lines of all `.rs` files under `dir`.
fn count_lines(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                count_lines(&path)
            } else if path.extension().is_some_and(|e| e == "rs") {
                count_file_lines(&path)
            } else {
                0
            }
        })
        .sum()
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), BenchError> {
    std::fs::create_dir_all(to).map_err(io("create", to))?;
    let entries = std::fs::read_dir(from).map_err(io("read", from))?;
    for entry in entries.flatten() {
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(io("copy", &src))?;
        }
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), BenchError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io("create", parent))?;
    }
    std::fs::write(path, text).map_err(io("write", path))
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Option<Duration> {
        Some(Duration::from_secs_f64(s))
    }

    fn report(theirs: Option<BuildFigures>) -> Report {
        Report {
            ours: BuildFigures {
                clean_debug: secs(7.0),
                clean_release: secs(11.0),
                incremental: secs(1.5),
                lines: Some(Lines { generated: 15_000, hand_written: 3_000 }),
            },
            theirs,
            tools: vec![
                ("xtask generate".into(), Some(Duration::from_millis(148))),
                ("cargo xtask generate".into(), None),
            ],
            runs: 3,
            tool_runs: 5,
            load_before: "0.10 0.20 0.30".into(),
            load_after: "0.40 0.50 0.60".into(),
            elapsed: Duration::from_secs(1_169),
        }
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        let ms = |v: &[u64]| v.iter().map(|&m| Duration::from_millis(m)).collect::<Vec<_>>();
        assert_eq!(median(ms(&[30, 10, 20])), Duration::from_millis(20));
        assert_eq!(median(ms(&[40, 10, 20, 30])), Duration::from_millis(25));
    }

    #[test]
    fn ratios_are_ours_over_theirs_and_missing_figures_show_a_dash() {
        let theirs = BuildFigures {
            clean_debug: secs(70.0),
            clean_release: secs(44.0),
            incremental: None,
            lines: Some(Lines { generated: 60_000, hand_written: 0 }),
        };
        let rows = report(Some(theirs)).build_rows();
        assert_eq!(rows[0][1..4], ["7.00 s".to_owned(), "70.00 s".into(), "0.100".into()]);
        assert_eq!(rows[1][3], "0.250");
        assert_eq!(rows[2][2..4], ["-".to_owned(), "-".into()]);
        assert_eq!(rows[3][1..4], ["15000".to_owned(), "60000".into(), "0.250".into()]);
        assert_eq!(rows[4][1], "18000");
        // Without zoom-api there is nothing to divide by.
        assert!(report(None).build_rows().iter().all(|row| row[3] == "-"));
    }

    #[test]
    fn markdown_has_both_tables_and_says_what_failed() {
        let md = report(None).markdown();
        assert!(md.contains("| clean debug build (deps prebuilt) | 7.00 s | - | - | <= 0.10 |"), "{md}");
        assert!(md.contains("| `xtask generate` | 148 ms | < 1 s |"), "{md}");
        assert!(md.contains("| `cargo xtask generate` | failed | < 1 s |"), "{md}");
        assert!(md.contains("median of 3 build(s) and 5 tool run(s)"), "{md}");
    }

    #[test]
    fn lines_are_counted_in_rust_files_only_and_recursively() {
        let dir = std::env::temp_dir().join(format!("bench-build-lines-{}", std::process::id()));
        write(&dir.join("a.rs"), "fn a() {}\nfn b() {}\n").unwrap();
        write(&dir.join("sub/c.rs"), "fn c() {}\n").unwrap();
        write(&dir.join("notes.md"), "not\ncounted\n").unwrap();
        assert_eq!(count_lines(&dir), 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
