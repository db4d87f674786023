// Placeholder build script: the runtime helper adds the C trap-unwinding shim here.
fn main() {}
