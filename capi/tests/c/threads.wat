(module
  (import "" "hello" (func $message (param i32)))
  (import "" "id" (global $id i32))
  (func (export "run") (call $message (global.get $id))))
