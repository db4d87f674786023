//! Stage 3: wasm function bodies -> Cranelift IR (`cranelift-frontend`).
