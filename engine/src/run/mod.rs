//! Stage 6: calling into compiled code, traps and signal handling.
