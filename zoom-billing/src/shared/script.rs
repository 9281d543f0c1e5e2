//! The runtime's Lua scripts, run with `EVALSHA` and, when the store does
//! not know one (`NOSCRIPT`: a restarted or flushed Redis), with `EVAL`,
//! which also loads it.
//!
//! Not redis-rs's `Script::invoke`: it answers `NOSCRIPT` with `SCRIPT LOAD`
//! and then `debug_assert`s that the store returned the script's hash, so a
//! store answering a wrong hash panicked debug builds. Here nothing the
//! store answers is asserted: an answer is a value or a typed error.

use ::redis::{Cmd, ToRedisArgs};

/// A script and its SHA-1, as `EVALSHA` names it.
pub(super) struct Lua {
    code: &'static str,
    hash: String,
}

impl Lua {
    pub(super) fn new(code: &'static str) -> Self {
        // redis-rs computes the hash; nothing else of its `Script` is used.
        Lua { code, hash: ::redis::Script::new(code).get_hash().to_owned() }
    }

    /// A call of this script, to fill with keys and arguments.
    pub(super) fn call(&self) -> Call<'_> {
        Call { script: self, keys: Vec::new(), args: Vec::new() }
    }
}

/// One call of a [`Lua`] script: its keys and arguments.
pub(super) struct Call<'a> {
    script: &'a Lua,
    keys: Vec<Vec<u8>>,
    args: Vec<Vec<u8>>,
}

impl Call<'_> {
    /// Add a key (`KEYS[i]`).
    pub(super) fn key(&mut self, key: impl ToRedisArgs) -> &mut Self {
        key.write_redis_args(&mut self.keys);
        self
    }

    /// Add an argument (`ARGV[i]`).
    pub(super) fn arg(&mut self, arg: impl ToRedisArgs) -> &mut Self {
        arg.write_redis_args(&mut self.args);
        self
    }

    /// `EVALSHA <hash> <number of keys> keys… args…`.
    pub(super) fn by_hash(&self) -> Cmd {
        self.command("EVALSHA", self.script.hash.as_bytes())
    }

    /// `EVAL <code> <number of keys> keys… args…`: runs and loads the script.
    pub(super) fn by_code(&self) -> Cmd {
        self.command("EVAL", self.script.code.as_bytes())
    }

    fn command(&self, name: &str, script: &[u8]) -> Cmd {
        let mut command = ::redis::cmd(name);
        command.arg(script).arg(self.keys.len()).arg(&*self.keys).arg(&*self.args);
        command
    }
}
