//! Stage 5: stores, instances, linear memories, tables, globals, imports.
