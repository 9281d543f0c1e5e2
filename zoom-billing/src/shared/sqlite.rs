//! The embedded backend: one SQLite file that the processes of one host
//! share (cargo feature `sqlite`).
//!
//! Why SQLite (through rusqlite, with SQLite compiled in): it is the
//! embedded engine made for several processes on one file. In WAL mode
//! readers never block the writer; each operation here is one `BEGIN
//! IMMEDIATE` transaction, which takes the file's write lock before it
//! reads, so two processes' read-modify-write never interleave (what one Lua
//! script is on Redis); a process killed mid-transaction leaves nothing
//! behind (SQLite rolls the transaction back). Engines that allow one
//! process per file (sled, redb, LMDB's writers across processes need care)
//! do not fit a cron job beside a service.
//!
//! The file holds tables that act as the Redis keys do ([`SCHEMA`]), and each [`Script`] does here what its Lua script does there,
//! answering in the same format, which [`super::store`] reads and checks.
//! Times come from the host's clock, which every process on it shares.
//!
//! The file holds the Server-to-Server token: it is created readable by its
//! owner only (0600, its directory 0700), and a file that others can read is
//! refused. SQLite gives its `-wal` and `-shm` files the database's mode.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::config::DbConfig;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params};

use super::WhenUnavailable;
#[cfg(feature = "jobs")]
use super::jobs::JobScript;
use super::store::{Backend as AnyBackend, Op, Script, Settings, Store, bounded, snippet};
use crate::error::{BuildError, StoreError};

/// Marks a file as this crate's state store (`PRAGMA application_id`).
const APPLICATION_ID: i32 = 0x7A62_5354; // "zbST"

/// The layout of the tables below (`PRAGMA user_version`).
const SCHEMA_VERSION: i32 = 1;

/// `kv`: the Redis keys' counterpart, a value and when it expires (Unix µs);
/// `pending`: the pending reservations of each budget (a sorted set on
/// Redis); `used`: the units used per UTC day of each budget (a hash).
const SCHEMA: &str = "
    CREATE TABLE kv (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID;
    CREATE INDEX kv_expires ON kv (expires);
    CREATE TABLE pending (key TEXT NOT NULL, id TEXT NOT NULL, until INTEGER NOT NULL, PRIMARY KEY (key, id)) WITHOUT ROWID;
    CREATE TABLE used (key TEXT NOT NULL, day INTEGER NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (key, day)) WITHOUT ROWID;
";

/// `journal`: jobs' journals (a hash on Redis), one row per entry; a journal
/// lives while its `kv` row (its expiry) does. Added to layout 1 when missing
/// by a build with jobs, so that files shared with 0.4 processes, and with
/// builds without jobs (which leave it alone), stay readable by all.
#[cfg(feature = "jobs")]
const JOURNAL_SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS journal (key TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (key, field)) WITHOUT ROWID;
";

/// Expired rows are swept once every this many operations (and at open):
/// each operation already ignores them, the sweep keeps the file small.
const SWEEP_EVERY: u32 = 256;

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// A state store in a local SQLite file, shared by every process on this
/// host that opens the same file: pacing turns, daily budgets, 429 holds and
/// the Server-to-Server token outlive each process and bind them all.
/// Cheap to clone: clones share one connection. Give it to
/// [`ClientBuilder::shared_state`](crate::ClientBuilder::shared_state).
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use zoom_billing::shared::SqliteStore;
///
/// let store = match SqliteStore::default_path() {
///     Some(path) => SqliteStore::open(path)?,
///     None => SqliteStore::open("zoom-billing-state.sqlite3")?,
/// };
/// let client = zoom_billing::Client::builder()
///     .server_to_server("account-id", "client-id", "client-secret")
///     .shared_state(store)
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SqliteStore(pub(super) Store);

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SqliteStore").field(&self.0).finish()
    }
}

/// Settings of a [`SqliteStore`]. Start with [`SqliteStore::builder`].
#[derive(Debug)]
#[must_use]
pub struct SqliteStoreBuilder {
    path: PathBuf,
    settings: Settings,
}

impl SqliteStore {
    /// The store in the file at `path` with the default settings: created
    /// (0600, with its directories, 0700) when missing, checked and opened
    /// now (see [`SqliteStoreBuilder::build`]).
    pub fn open(path: impl Into<PathBuf>) -> Result<SqliteStore, BuildError> {
        Self::builder(path).build()
    }

    /// Configure the store in the file at `path`.
    pub fn builder(path: impl Into<PathBuf>) -> SqliteStoreBuilder {
        SqliteStoreBuilder { path: path.into(), settings: Settings::default() }
    }

    /// Where the state of this user's programs goes by default:
    /// `$XDG_STATE_HOME/zoom-billing/state.sqlite3`, else
    /// `$HOME/.local/state/zoom-billing/state.sqlite3`; `None` when neither
    /// variable is set (to an absolute path).
    pub fn default_path() -> Option<PathBuf> {
        let absolute = |name: &str| std::env::var_os(name).map(PathBuf::from).filter(|p| p.is_absolute());
        let state = absolute("XDG_STATE_HOME").or_else(|| absolute("HOME").map(|home| home.join(".local/state")))?;
        Some(state.join("zoom-billing").join("state.sqlite3"))
    }
}

impl SqliteStoreBuilder {
    /// The namespace of the keys: the Zoom account whose limits they count
    /// (default: the account id of the client's Server-to-Server
    /// credentials; a client with other credentials must set it). Every
    /// process of one account must use the same.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.settings.namespace = Some(namespace.into());
        self
    }

    /// Time allowed for one store operation, waiting for another process's
    /// transaction included (default 2 s). Past it, the store counts as
    /// unavailable.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }

    /// What calls do while the store cannot be used (default
    /// [`WhenUnavailable::Fail`]).
    pub fn when_unavailable(mut self, policy: WhenUnavailable) -> Self {
        self.settings.when_unavailable = policy;
        self
    }

    /// Check the settings and open the file: create it (0600) and its
    /// directories (0700) when missing. Fails with
    /// [`BuildError::InvalidSetting`] (`shared_state.path`) when the file
    /// can be read by other users (it holds the access token), is not a
    /// SQLite file, belongs to another program, or cannot be opened.
    pub fn build(self) -> Result<SqliteStore, BuildError> {
        let invalid = |setting, reason: String| BuildError::InvalidSetting { setting, reason };
        self.settings.check()?;
        let shown = self.path.display().to_string();
        create_private(&self.path).map_err(|reason| invalid("shared_state.path", format!("{shown}: {reason}")))?;
        let open = Opened::open(&self.path, self.settings.timeout)
            .map_err(|reason| invalid("shared_state.path", format!("{shown}: {reason}")))?;
        let backend = Backend {
            path: self.path,
            shown,
            timeout: self.settings.timeout,
            when_unavailable: self.settings.when_unavailable,
            connection: Mutex::new(Some(open)),
            operations: AtomicU32::new(0),
        };
        Ok(SqliteStore(Store::new(AnyBackend::Sqlite(Arc::new(backend)), self.settings.namespace)))
    }
}

/// A SQLite store's file and connection, shared by its clones.
pub(super) struct Backend {
    path: PathBuf,
    /// The path, for messages.
    shown: String,
    timeout: Duration,
    when_unavailable: WhenUnavailable,
    /// `None` after a failure: the next operation opens the file again.
    connection: Mutex<Option<Opened>>,
    /// Operations run, to sweep expired rows now and then.
    operations: AtomicU32,
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sqlite")
            .field("path", &self.shown)
            .field("timeout", &self.timeout)
            .field("when_unavailable", &self.when_unavailable)
            .finish()
    }
}

/// An open connection and the identity of the file it opened.
struct Opened {
    connection: Connection,
    file: FileId,
}

/// Why one operation failed, before it is a [`StoreError`].
enum Fault {
    /// The file could not be used: locked past the timeout, gone, unreadable, full.
    Unavailable(String),
    /// The file holds what this crate did not write.
    Protocol(String),
}

impl From<rusqlite::Error> for Fault {
    fn from(error: rusqlite::Error) -> Self {
        match error.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                Fault::Unavailable("another process kept the file locked past the store's timeout".into())
            }
            _ => Fault::Unavailable(bounded(&error.to_string())),
        }
    }
}

impl Backend {
    pub(super) fn when_unavailable(&self) -> WhenUnavailable {
        self.when_unavailable
    }

    pub(super) fn shown(&self) -> &str {
        &self.shown
    }

    /// Run one operation in one immediate transaction, off the async
    /// threads (waiting for another process's lock blocks), within the
    /// store's timeout. The transaction itself gives up at the timeout
    /// (before committing), so an operation the caller no longer waits for
    /// never lands: a reservation nobody holds would keep a unit for minutes.
    pub(super) async fn run(self: &Arc<Self>, op: Op) -> Result<Vec<String>, StoreError> {
        let backend = Arc::clone(self);
        let deadline = std::time::Instant::now() + self.timeout;
        let task = tokio::task::spawn_blocking(move || backend.run_blocking(&op, deadline));
        let unavailable = |reason| StoreError::Unavailable { url: self.shown.clone(), reason };
        // The grace: the transaction answers for itself at the deadline; past it, the
        // blocking pool is starved and the outcome unknown.
        match tokio::time::timeout(self.timeout + Duration::from_secs(1), task).await {
            Ok(Ok(Ok(answer))) => Ok(answer),
            Ok(Ok(Err(Fault::Unavailable(reason)))) => Err(unavailable(reason)),
            Ok(Ok(Err(Fault::Protocol(reason)))) => Err(StoreError::Protocol { url: self.shown.clone(), reason }),
            Ok(Err(failed)) => Err(unavailable(failed.to_string())),
            Err(_) => Err(unavailable(format!("no answer within {}", crate::human::Dur(self.timeout)))),
        }
    }

    fn run_blocking(&self, op: &Op, deadline: std::time::Instant) -> Result<Vec<String>, Fault> {
        let mut slot = self.connection.lock().unwrap_or_else(PoisonError::into_inner);
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(Fault::Unavailable(format!("no answer within {}", crate::human::Dur(self.timeout))));
        }
        // The file must still be the one opened: a file removed while in use is a
        // store gone (never recreated: that would forget spent budgets); one
        // replaced (restored from a backup) is opened again.
        let file = FileId::of(&self.path).map_err(|e| Fault::Unavailable(format!("the file is gone ({e})")))?;
        let opened = match slot.take() {
            Some(opened) if opened.file == file => opened,
            _ => Opened::open(&self.path, left).map_err(Fault::Unavailable)?,
        };
        let now = now_micros();
        let sweep = self.operations.fetch_add(1, Ordering::Relaxed).is_multiple_of(SWEEP_EVERY);
        let mut connection = opened.connection;
        let answer = connection
            .busy_timeout(left)
            .map_err(Fault::from)
            .and_then(|()| run(&mut connection, op, now, sweep, deadline));
        // A failure may leave the connection in any state: open again next time.
        if answer.is_ok() {
            *slot = Some(Opened { connection, file: opened.file });
        }
        answer
    }
}

impl Opened {
    /// Open the file (which exists), check it is private and this crate's,
    /// and make its tables when it is new.
    fn open(path: &Path, timeout: Duration) -> Result<Opened, String> {
        check_private(path)?;
        let file = FileId::of(path).map_err(|e| e.to_string())?;
        // Processes that open a new file at once race to make it WAL and to make its tables;
        // a lock upgrade SQLite refuses at once (SQLITE_BUSY, no busy handler: it would
        // deadlock) is tried again, until the timeout.
        let deadline = std::time::Instant::now() + timeout;
        let mut pause = Duration::from_millis(2);
        loop {
            match Self::try_open(path, timeout) {
                Ok(connection) => return Ok(Opened { connection, file }),
                Err(Refused::Busy) if std::time::Instant::now() + pause < deadline => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(Refused::Busy) => {
                    return Err("another process kept the file locked past the store's timeout".into());
                }
                Err(Refused::Other(reason)) => return Err(reason),
            }
        }
    }

    fn try_open(path: &Path, timeout: Duration) -> Result<Connection, Refused> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut connection = Connection::open_with_flags(path, flags)?;
        connection.busy_timeout(timeout)?;
        // WAL: readers and the writer do not block each other; NORMAL: a commit
        // survives the process being killed (a power cut may lose the last ones).
        let mode: String = connection.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Refused::Other(format!("SQLite would not use WAL mode (it answered `{}`)", snippet(&mode))));
        }
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        // No checkpoint when the last connection closes: a process that makes one call and
        // exits (a cron job, the command line) would otherwise pay four fsyncs (the WAL's
        // checkpoint, and creating it again next time). Checkpoints run as the WAL grows.
        connection.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let app: i32 = tx.query_row("PRAGMA application_id", [], |row| row.get(0))?;
        let version: i32 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        let tables: i64 = tx.query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))?;
        match (app, version) {
            (APPLICATION_ID, SCHEMA_VERSION) => {
                #[cfg(feature = "jobs")]
                tx.execute_batch(JOURNAL_SCHEMA)?;
            }
            (APPLICATION_ID, newer) if newer > SCHEMA_VERSION => {
                return Err(Refused::Other(format!(
                    "written by a newer zoom-billing (state layout {newer}; this one knows {SCHEMA_VERSION})"
                )));
            }
            (0, 0) if tables == 0 => {
                tx.execute_batch(SCHEMA)?;
                #[cfg(feature = "jobs")]
                tx.execute_batch(JOURNAL_SCHEMA)?;
                tx.pragma_update(None, "application_id", APPLICATION_ID)?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            }
            _ => {
                return Err(Refused::Other(
                    "a SQLite database of another program, not a zoom-billing state file".into(),
                ));
            }
        }
        tx.commit()?;
        Ok(connection)
    }
}

/// Why opening the file failed: busy (tried again), or anything else.
enum Refused {
    Busy,
    Other(String),
}

impl From<rusqlite::Error> for Refused {
    fn from(error: rusqlite::Error) -> Self {
        match error.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Refused::Busy,
            Some(ErrorCode::NotADatabase) => Refused::Other("not a SQLite database".into()),
            _ => Refused::Other(bounded(&error.to_string())),
        }
    }
}

/// Create the file readable by its owner only (and its directories, 0700),
/// unless it exists.
fn create_private(path: &Path) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(|e| format!("cannot create its directory: {e}"))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(format!("cannot create it: {e}")),
    }
}

/// Refuse a file that other users can read or write: it holds the token.
fn check_private(path: &Path) -> Result<(), String> {
    let metadata = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if metadata.is_dir() {
        return Err(format!("a directory; give a file's path, e.g. {}", path.join("state.sqlite3").display()));
    }
    if !metadata.is_file() {
        return Err("not a regular file".into());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(format!(
                "other users can access it (mode {mode:o}) and it holds the Zoom access token; \
                 run `chmod 600 {}`",
                path.display()
            ));
        }
    }
    Ok(())
}

/// Which file a path names: a removed or replaced file is another file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileId(u64, u64);

impl FileId {
    fn of(path: &Path) -> std::io::Result<FileId> {
        let metadata = std::fs::metadata(path)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Ok(FileId(metadata.dev(), metadata.ino()))
        }
        #[cfg(not(unix))]
        {
            let _ = metadata;
            Ok(FileId(0, 0))
        }
    }
}

fn now_micros() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_micros()).unwrap_or(i64::MAX)
}

/// Run one operation in one immediate transaction.
fn run(
    connection: &mut Connection,
    op: &Op,
    now: i64,
    sweep: bool,
    deadline: std::time::Instant,
) -> Result<Vec<String>, Fault> {
    // Reading the token or a journal takes no write lock; every other operation writes.
    let reads_only = match op.script {
        Script::TokenGet => true,
        #[cfg(feature = "jobs")]
        Script::Job(script) => matches!(script, JobScript::JournalGet | JobScript::JournalCounts),
        _ => false,
    };
    let behavior = if reads_only { TransactionBehavior::Deferred } else { TransactionBehavior::Immediate };
    let tx = Tx { tx: connection.transaction_with_behavior(behavior)?, now };
    if sweep && !reads_only {
        tx.sweep()?;
    }
    let (keys, args) = (op.keys.as_slice(), op.args.as_slice());
    let answer = match op.script {
        Script::Reserve => tx.reserve(keys, args)?,
        Script::Commit => tx.commit(keys, args)?,
        Script::GiveBack => tx.give_back(keys, args)?,
        Script::Hold => tx.hold(keys, args)?,
        Script::TokenGet => tx.token_get(keys)?,
        Script::TokenPut => tx.token_put(keys, args)?,
        Script::CompareDelete => tx.compare_delete(keys, args)?,
        Script::SetUntil => tx.set_until(keys, args)?,
        Script::SetIfAbsent => tx.set_if_absent(keys, args)?,
        #[cfg(feature = "jobs")]
        Script::Job(script) => tx.job(script, keys, args)?,
    };
    if std::time::Instant::now() >= deadline {
        // The caller has given up (or is about to): roll back rather than commit unseen.
        return Err(Fault::Unavailable("the operation outlasted the store's timeout (a busy host?)".into()));
    }
    tx.tx.commit()?;
    Ok(answer)
}

/// One transaction, with what the Lua scripts use of Redis.
struct Tx<'c> {
    tx: Transaction<'c>,
    /// The transaction's time, Unix µs (Redis's `TIME`).
    now: i64,
}

fn fmt(n: i64) -> String {
    n.to_string()
}

fn wrong(script: &str) -> Fault {
    Fault::Protocol(format!("{script}: the wrong keys or arguments"))
}

/// An argument this crate passed as a number.
fn int(text: &str) -> Result<i64, Fault> {
    text.parse().map_err(|_| Fault::Protocol(format!("`{}` is not a number", snippet(text))))
}

impl Tx<'_> {
    fn day(&self) -> i64 {
        self.now.div_euclid(MICROS_PER_DAY)
    }

    /// `GET`: the value of a key that has not expired.
    fn get(&self, key: &str) -> Result<Option<String>, Fault> {
        let mut statement = self.tx.prepare_cached("SELECT value FROM kv WHERE key = ?1 AND expires > ?2")?;
        let mut rows = statement.query(params![key, self.now])?;
        let Some(row) = rows.next()? else { return Ok(None) };
        match row.get_ref(0)? {
            ValueRef::Text(text) => match std::str::from_utf8(text) {
                Ok(text) => Ok(Some(text.to_owned())),
                Err(_) => Err(Fault::Protocol("the kv table holds a value that is not UTF-8".into())),
            },
            ValueRef::Integer(n) => Ok(Some(n.to_string())),
            _ => Err(Fault::Protocol("the kv table holds a value that is not text".into())),
        }
    }

    /// `tonumber(GET key or '0')`.
    fn number(&self, key: &str) -> Result<i64, Fault> {
        match self.get(key)? {
            None => Ok(0),
            Some(text) => text
                .parse()
                .map_err(|_| Fault::Protocol(format!("`{}` is not a number (in the kv table)", snippet(&text)))),
        }
    }

    /// `SET key value` until `expires` (Unix µs).
    fn set(&self, key: &str, value: &str, expires: i64) -> Result<(), Fault> {
        let mut statement = self.tx.prepare_cached(
            "INSERT INTO kv (key, value, expires) VALUES (?1, ?2, ?3) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires = excluded.expires",
        )?;
        statement.execute(params![key, value, expires])?;
        Ok(())
    }

    fn del(&self, key: &str) -> Result<(), Fault> {
        self.tx.prepare_cached("DELETE FROM kv WHERE key = ?1")?.execute(params![key])?;
        Ok(())
    }

    /// The units used on `day` (`HGET used day`).
    fn used(&self, key: &str, day: i64) -> Result<i64, Fault> {
        let mut statement = self.tx.prepare_cached("SELECT count FROM used WHERE key = ?1 AND day = ?2")?;
        Ok(statement.query_row(params![key, day], |row| row.get::<_, i64>(0)).optional()?.unwrap_or(0))
    }

    fn add_used(&self, key: &str, day: i64, delta: i64) -> Result<(), Fault> {
        let mut statement = self.tx.prepare_cached(
            "INSERT INTO used (key, day, count) VALUES (?1, ?2, ?3) \
             ON CONFLICT (key, day) DO UPDATE SET count = count + excluded.count",
        )?;
        statement.execute(params![key, day, delta])?;
        Ok(())
    }

    fn drop_pending(&self, key: &str, id: &str) -> Result<(), Fault> {
        self.tx.prepare_cached("DELETE FROM pending WHERE key = ?1 AND id = ?2")?.execute(params![key, id])?;
        Ok(())
    }

    /// Forget what has expired everywhere: rows no operation reads again.
    fn sweep(&self) -> Result<(), Fault> {
        self.tx.prepare_cached("DELETE FROM kv WHERE expires <= ?1")?.execute(params![self.now])?;
        self.tx.prepare_cached("DELETE FROM pending WHERE until <= ?1")?.execute(params![self.now])?;
        self.tx.prepare_cached("DELETE FROM used WHERE day < ?1")?.execute(params![self.day() - 1])?;
        #[cfg(feature = "jobs")]
        self.tx
            .prepare_cached("DELETE FROM journal WHERE NOT EXISTS (SELECT 1 FROM kv WHERE kv.key = journal.key)")?
            .execute([])?;
        Ok(())
    }

    /// `lua/reserve.lua`.
    fn reserve(&self, keys: &[String], args: &[String]) -> Result<Vec<String>, Fault> {
        let ([blocked, pending, used, pacing @ ..], [limit, max_wait, id, grace, intervals @ ..]) = (keys, args) else {
            return Err(wrong("reserve"));
        };
        if intervals.len() != pacing.len() {
            return Err(wrong("reserve"));
        }
        let (now, day) = (self.now, self.day());
        let (limit, max_wait, grace) = (int(limit)?, int(max_wait)?, int(grace)?);
        if limit >= -1 {
            let until = self.number(blocked)?;
            if until > now {
                return Ok(vec!["blocked".into(), fmt(until), fmt(now)]);
            }
        }
        if limit >= 0 {
            self.tx
                .prepare_cached("DELETE FROM pending WHERE key = ?1 AND until <= ?2")?
                .execute(params![pending, now])?;
            let mut count = self.tx.prepare_cached("SELECT count(*) FROM pending WHERE key = ?1")?;
            let waiting: i64 = count.query_row(params![pending], |row| row.get(0))?;
            if self.used(used, day)?.saturating_add(waiting) >= limit {
                return Ok(vec!["exhausted".into(), fmt(day), fmt(now)]);
            }
        }
        let mut start = now;
        let mut prev = Vec::with_capacity(pacing.len());
        for key in pacing {
            let tat = self.number(key)?;
            prev.push(tat);
            start = start.max(tat);
        }
        if max_wait >= 0 && start.saturating_sub(now) > max_wait {
            return Ok(vec!["wait".into(), fmt(start.saturating_sub(now)), fmt(now)]);
        }
        let mut out = vec!["ok".into(), fmt(start), fmt(now)];
        for ((key, interval), prev) in pacing.iter().zip(intervals).zip(prev) {
            let ours = start.saturating_add(int(interval)?);
            self.set(key, &fmt(ours), ours.saturating_add(1_000_000))?;
            out.push(fmt(prev));
            out.push(fmt(ours));
        }
        if limit >= 0 {
            let mut insert = self.tx.prepare_cached(
                "INSERT INTO pending (key, id, until) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (key, id) DO UPDATE SET until = excluded.until",
            )?;
            insert.execute(params![pending, id, start.saturating_add(grace)])?;
        }
        Ok(out)
    }

    /// `lua/commit.lua`.
    fn commit(&self, keys: &[String], args: &[String]) -> Result<Vec<String>, Fault> {
        let ([pending, used, paced @ ..], [id, limit, sent, intervals @ ..]) = (keys, args) else {
            return Err(wrong("commit"));
        };
        let sent = usize::try_from(int(sent)?).map_err(|_| wrong("commit"))?;
        if intervals.len() != paced.len() || sent > paced.len() {
            return Err(wrong("commit"));
        }
        let (now, day, limit) = (self.now, self.day(), int(limit)?);
        let intervals = intervals.iter().map(|i| int(i)).collect::<Result<Vec<_>, _>>()?;
        let (sent_keys, labels) = paced.split_at(sent);
        let (sent_intervals, label_intervals) = intervals.split_at(sent);
        let mut due = now;
        for (key, interval) in sent_keys.iter().zip(sent_intervals) {
            due = due.max(self.number(key)?.saturating_add(*interval));
        }
        if due > now {
            return Ok(vec!["wait".into(), fmt(due - now), fmt(now)]);
        }
        if limit >= 0 {
            self.drop_pending(pending, id)?;
            if self.used(used, day)? >= limit {
                return Ok(vec!["exhausted".into(), fmt(day), fmt(now)]);
            }
            self.add_used(used, day, 1)?;
            // Only today and yesterday matter: older days go.
            self.tx.prepare_cached("DELETE FROM used WHERE key = ?1 AND day < ?2")?.execute(params![used, day - 1])?;
        }
        let mut start = now;
        for key in labels {
            start = start.max(self.number(key)?);
        }
        for (key, interval) in labels.iter().zip(label_intervals) {
            let ours = start.saturating_add(*interval);
            self.set(key, &fmt(ours), ours.saturating_add(1_000_000))?;
        }
        for (key, interval) in sent_keys.iter().zip(sent_intervals) {
            self.set(key, &fmt(start), start.saturating_add(*interval).saturating_add(1_000_000))?;
        }
        Ok(vec!["ok".into(), fmt(day), fmt(now), fmt(start - now)])
    }

    /// `lua/give_back.lua`.
    fn give_back(&self, keys: &[String], args: &[String]) -> Result<Vec<String>, Fault> {
        let ([pending, used, pacing @ ..], [id, day, turns @ ..]) = (keys, args) else {
            return Err(wrong("give_back"));
        };
        if turns.len() != 2 * pacing.len() {
            return Err(wrong("give_back"));
        }
        self.drop_pending(pending, id)?;
        let day = int(day)?;
        if day >= 0 && self.used(used, day)? > 0 {
            self.add_used(used, day, -1)?;
        }
        for (key, turn) in pacing.iter().zip(turns.chunks_exact(2)) {
            let [prev, ours] = turn else { return Err(wrong("give_back")) };
            if self.get(key)?.as_deref() == Some(ours.as_str()) {
                let p = int(prev)?;
                if p > self.now { self.set(key, prev, p.saturating_add(1_000_000))? } else { self.del(key)? }
            }
        }
        Ok(vec!["1".into()])
    }

    /// `lua/hold.lua`.
    fn hold(&self, keys: &[String], args: &[String]) -> Result<Vec<String>, Fault> {
        let [hold] = args else { return Err(wrong("hold")) };
        let until = self.now.saturating_add(int(hold)?);
        for key in keys {
            if until > self.number(key)? {
                self.set(key, &fmt(until), until.saturating_add(1_000_000))?;
            }
        }
        Ok(vec!["1".into()])
    }

    /// `lua/token_get.lua`.
    fn token_get(&self, keys: &[String]) -> Result<Vec<String>, Fault> {
        let [key] = keys else { return Err(wrong("token_get")) };
        let mut statement = self.tx.prepare_cached("SELECT value, expires FROM kv WHERE key = ?1 AND expires > ?2")?;
        let found = statement
            .query_row(params![key, self.now], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))
            .optional()?;
        Ok(match found {
            None => Vec::new(),
            Some((token, expires)) => vec![token, fmt(expires.saturating_sub(self.now) / 1000)],
        })
    }

    /// `lua/token_put.lua`.
    fn token_put(&self, keys: &[String], args: &[String]) -> Result<Vec<String>, Fault> {
        let ([key, lock], [token, ttl, id]) = (keys, args) else { return Err(wrong("token_put")) };
        self.set(key, token, self.now.saturating_add(int(ttl)?.saturating_mul(1000)))?;
        if self.get(lock)?.as_deref() == Some(id.as_str()) {
            self.del(lock)?;
        }
        Ok(vec!["1".into()])
    }

    /// `lua/compare_delete.lua`.
    fn compare_delete(&self, keys: &[String], args: &[String]) -> Result<Vec<String>, Fault> {
        let ([key], [value]) = (keys, args) else { return Err(wrong("compare_delete")) };
        if self.get(key)?.as_deref() == Some(value.as_str()) {
            self.del(key)?;
            return Ok(vec!["1".into()]);
        }
        Ok(vec!["0".into()])
    }

    /// `SET key value PXAT at`.
    fn set_until(&self, keys: &[String], args: &[String]) -> Result<Vec<String>, Fault> {
        let ([key], [value, at_millis]) = (keys, args) else { return Err(wrong("set_until")) };
        self.set(key, value, int(at_millis)?.saturating_mul(1000))?;
        Ok(vec!["OK".into()])
    }

    /// `SET key value NX PX ttl`.
    fn set_if_absent(&self, keys: &[String], args: &[String]) -> Result<Vec<String>, Fault> {
        let ([key], [value, ttl_millis]) = (keys, args) else { return Err(wrong("set_if_absent")) };
        if self.get(key)?.is_some() {
            return Ok(Vec::new());
        }
        self.set(key, value, self.now.saturating_add(int(ttl_millis)?.saturating_mul(1000)))?;
        Ok(vec!["OK".into()])
    }
}

/// Jobs' leases and journals (feature `jobs`).
#[cfg(feature = "jobs")]
impl Tx<'_> {
    fn job(&self, script: JobScript, keys: &[String], args: &[String]) -> Result<Vec<String>, Fault> {
        match script {
            JobScript::LeaseTake => self.lease_take(keys, args),
            JobScript::LeaseRenew => self.lease_renew(keys, args),
            JobScript::JournalGet => self.journal_get(keys, args),
            JobScript::JournalPut => self.journal_put(keys, args),
            JobScript::JournalAdd => self.journal_add(keys, args),
            JobScript::JournalDrop => self.journal_drop(keys, args),
            JobScript::JournalCounts => self.journal_counts(keys),
        }
    }

    /// `{0, holder or ''}`: the lease is not this holder's.
    fn not_held(current: Option<String>) -> Vec<String> {
        vec!["0".into(), current.unwrap_or_default()]
    }

    /// `None` while `holder` has `lease`; else the scripts' `{0, holder or ''}` answer.
    fn not_holding(&self, lease: &str, holder: &str) -> Result<Option<Vec<String>>, Fault> {
        let current = self.get(lease)?;
        Ok((current.as_deref() != Some(holder)).then(|| Self::not_held(current)))
    }

    /// An expired journal's rows, not swept yet, are not a new journal's.
    fn forget_if_expired(&self, journal: &str) -> Result<(), Fault> {
        if self.get(journal)?.is_none() {
            self.tx.prepare_cached("DELETE FROM journal WHERE key = ?1")?.execute(params![journal])?;
        }
        Ok(())
    }

    /// `lua/lease_take.lua`.
    fn lease_take(&self, keys: &[String], args: &[String]) -> Result<Vec<String>, Fault> {
        let ([lease], [holder, ttl, stale]) = (keys, args) else { return Err(wrong("lease_take")) };
        let current = self.get(lease)?;
        if current.as_ref().is_some_and(|c| c != holder && (stale.is_empty() || c != stale)) {
            return Ok(Self::not_held(current));
        }
        self.set(lease, holder, self.now.saturating_add(int(ttl)?.saturating_mul(1000)))?;
        Ok(vec!["1".into()])
    }

    /// `lua/lease_renew.lua`.
    fn lease_renew(&self, keys: &[String], args: &[String]) -> Result<Vec<String>, Fault> {
        let ([lease], [holder, ttl]) = (keys, args) else { return Err(wrong("lease_renew")) };
        if let Some(not_held) = self.not_holding(lease, holder)? {
            return Ok(not_held);
        }
        self.set(lease, holder, self.now.saturating_add(int(ttl)?.saturating_mul(1000)))?;
        Ok(vec!["1".into()])
    }

    /// `lua/journal_get.lua`: an entry of a journal that has not expired.
    fn journal_get(&self, keys: &[String], args: &[String]) -> Result<Vec<String>, Fault> {
        let ([journal], [field]) = (keys, args) else { return Err(wrong("journal_get")) };
        if self.get(journal)?.is_none() {
            return Ok(Vec::new());
        }
        let mut statement = self.tx.prepare_cached("SELECT value FROM journal WHERE key = ?1 AND field = ?2")?;
        Ok(statement
            .query_row(params![journal, field], |row| row.get::<_, String>(0))
            .optional()?
            .into_iter()
            .collect())
    }

    /// `lua/journal_put.lua`. The journal's expiry is its `kv` row.
    fn journal_put(&self, keys: &[String], args: &[String]) -> Result<Vec<String>, Fault> {
        let ([journal, lease], [holder, field, entry, retention]) = (keys, args) else {
            return Err(wrong("journal_put"));
        };
        if let Some(not_held) = self.not_holding(lease, holder)? {
            return Ok(not_held);
        }
        self.forget_if_expired(journal)?;
        if entry.is_empty() {
            self.tx
                .prepare_cached("DELETE FROM journal WHERE key = ?1 AND field = ?2")?
                .execute(params![journal, field])?;
        } else {
            self.tx
                .prepare_cached(
                    "INSERT INTO journal (key, field, value) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (key, field) DO UPDATE SET value = excluded.value",
                )?
                .execute(params![journal, field, entry])?;
        }
        self.set(journal, "journal", self.now.saturating_add(int(retention)?.saturating_mul(1000)))?;
        Ok(vec!["1".into()])
    }

    /// `lua/journal_add.lua`.
    fn journal_add(&self, keys: &[String], args: &[String]) -> Result<Vec<String>, Fault> {
        let ([journal, lease], [holder, field, entry, retention]) = (keys, args) else {
            return Err(wrong("journal_add"));
        };
        if let Some(not_held) = self.not_holding(lease, holder)? {
            return Ok(not_held);
        }
        self.forget_if_expired(journal)?;
        let added = self
            .tx
            .prepare_cached(
                "INSERT INTO journal (key, field, value) VALUES (?1, ?2, ?3) ON CONFLICT (key, field) DO NOTHING",
            )?
            .execute(params![journal, field, entry])?;
        if added == 0 {
            return Ok(vec!["2".into()]);
        }
        self.set(journal, "journal", self.now.saturating_add(int(retention)?.saturating_mul(1000)))?;
        Ok(vec!["1".into()])
    }

    /// `lua/journal_drop.lua`.
    fn journal_drop(&self, keys: &[String], args: &[String]) -> Result<Vec<String>, Fault> {
        let ([journal, lease], [holder]) = (keys, args) else { return Err(wrong("journal_drop")) };
        if let Some(not_held) = self.not_holding(lease, holder)? {
            return Ok(not_held);
        }
        self.tx.prepare_cached("DELETE FROM journal WHERE key = ?1")?.execute(params![journal])?;
        self.del(journal)?;
        Ok(vec!["1".into()])
    }

    /// `lua/journal_counts.lua`.
    fn journal_counts(&self, keys: &[String]) -> Result<Vec<String>, Fault> {
        let [journal] = keys else { return Err(wrong("journal_counts")) };
        if self.get(journal)?.is_none() {
            return Ok(Vec::new());
        }
        let mut statement = self.tx.prepare_cached(
            "SELECT substr(field, 1, instr(field, ':') - 1), count(*) FROM journal \
             WHERE key = ?1 AND substr(value, 1, 1) = 'D' GROUP BY 1 ORDER BY 1",
        )?;
        let rows =
            statement.query_map(params![journal], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))?;
        let mut answer = Vec::new();
        for row in rows {
            let (operation, count) = row?;
            answer.push(operation);
            answer.push(fmt(count));
        }
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("zb-sqlite-{:016x}", rand::random::<u64>()));
        dir.join("state.sqlite3")
    }

    #[test]
    fn the_file_is_created_private_and_a_readable_one_is_refused() {
        let path = temp();
        let store = SqliteStore::open(&path).unwrap();
        drop(store);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(path.parent().unwrap()), 0o700);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let error = SqliteStore::open(&path).unwrap_err().to_string();
            assert!(error.contains("other users can access it (mode 644)"), "{error}");
            assert!(error.contains("chmod 600"), "{error}");
        }
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn a_file_of_another_program_is_refused() {
        let path = temp();
        create_private(&path).unwrap();
        std::fs::write(&path, b"not a database, not at all; just some bytes that are long enough to look like one")
            .unwrap();
        let error = SqliteStore::open(&path).unwrap_err().to_string();
        assert!(error.contains("not a SQLite database") || error.contains("not a database"), "{error}");
        std::fs::remove_file(&path).unwrap();
        create_private(&path).unwrap();
        let other = Connection::open(&path).unwrap();
        other.execute_batch("CREATE TABLE invoices (id TEXT)").unwrap();
        drop(other);
        let error = SqliteStore::open(&path).unwrap_err().to_string();
        assert!(error.contains("another program"), "{error}");
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    /// Whatever another program leaves in the file's rows, an operation
    /// answers or fails typed, and a granted turn stays within what the
    /// operation's limits allow.
    #[test]
    fn whatever_the_file_holds_operations_never_panic_and_stay_bounded() {
        use proptest::prelude::*;
        let path = temp();
        let store = SqliteStore::builder(&path).namespace("acct").build().unwrap().0;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let writer = Connection::open(&path).unwrap();
        let furthest = Duration::from_secs(3600);
        let values = prop_oneof![
            any::<i64>().prop_map(|n| n.to_string()),
            ".{0,24}",
            Just("99999999999999999999999".to_owned()),
            Just("-1e300".to_owned()),
        ];
        proptest!(ProptestConfig::with_cases(128), |(tat in values.clone(), used in any::<i64>(), blocked in values)| {
            writer
                .execute_batch("DELETE FROM kv; DELETE FROM used; DELETE FROM pending;")
                .unwrap();
            let far = i64::MAX;
            writer
                .execute("INSERT INTO kv VALUES (?1, ?2, ?3)", params![store.key("tat:op:x:"), tat, far])
                .unwrap();
            writer
                .execute("INSERT INTO kv VALUES (?1, ?2, ?3)", params![store.key("blocked:b"), blocked, far])
                .unwrap();
            let day = now_micros().div_euclid(MICROS_PER_DAY);
            writer.execute("INSERT INTO used VALUES (?1, ?2, ?3)", params![store.key("used:b"), day, used]).unwrap();
            let slots = [("tat:op:x:".to_owned(), Duration::from_secs(1800), true)];
            let reserved = runtime.block_on(store.reserve("b", Some(6), true, &slots, &[], None, (furthest, furthest)));
            if let Ok(super::super::store::Reserved::Granted(reservation)) = reserved {
                prop_assert!(reservation.wait <= furthest);
            }
        });
        drop(store);
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn the_default_path_follows_xdg() {
        // Read only: the environment is the test process's.
        if let Some(path) = SqliteStore::default_path() {
            assert!(path.is_absolute() && path.ends_with("zoom-billing/state.sqlite3"), "{path:?}");
        }
    }
}
