//! loader (to be written)
