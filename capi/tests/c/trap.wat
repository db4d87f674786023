(module
  (import "" "callback" (func $callback (result i32)))
  (func (export "callback") (result i32) call $callback)
  (func (export "unreachable") (result i32) unreachable))
