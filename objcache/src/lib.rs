//! objcache (to be written)
