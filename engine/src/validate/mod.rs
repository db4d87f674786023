//! Stage 2: our own validator (module-level rules and function bodies).
