//! The state stores behind `hostabi::faasm::StateStore`: [`EmbeddedStore`]
//! (one process, the default of `invoke`) and [`RedisStore`] (a Redis
//! server shared by every invocation and worker on every host).
//!
//! Both are write-through (see the trait): a write is visible to every call
//! once it returns, so `push`/`pull` move nothing. A missing key reads as
//! empty bytes (size 0).

mod embedded;
mod redis_store;

pub use embedded::EmbeddedStore;
pub use redis_store::RedisStore;

/// The default largest state value: 256 MiB (a wasm32 guest could not hold
/// much more next to its own heap anyway).
pub const DEFAULT_MAX_VALUE: u64 = 256 << 20;
