//! Test support shared by the workspace tests and the fleet worker binary.

pub mod fleet;
pub mod redis_server;
