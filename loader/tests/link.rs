//! The loader against hand-written modules (wat), where the main module's
//! allocator and table limits are ours to set: memory and table
//! reservation, GOT entries reusing table slots, and the failures that must
//! leave nothing linked (out of memory, out of table space, an undefined
//! symbol). The C programs of tests/dynlink.rs cover the rest end to end.

use engine::{Config, Engine, Instance, Linker, Module, Store, Val};
use loader::{flags::RTLD_NOW, DlError, Loader};
use std::path::Path;

/// A main module with a bump allocator over [1024, 65536) (0 when full), a
/// 2-slot table that may grow to `table_max`, and `double` in slot 1.
fn main_wat(table_max: u32) -> String {
    format!(
        r#"(module
  (memory (export "memory") 1 1)
  (table (export "__indirect_function_table") 2 {table_max} funcref)
  (global (export "__stack_pointer") (mut i32) (i32.const 1024))
  (global $next (mut i32) (i32.const 1024))
  (func $double (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
  (elem (i32.const 1) $double)
  (func (export "next_free") (result i32) (global.get $next))
  (func (export "malloc") (param $n i32) (result i32) (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $next) (i32.const 15)) (i32.const -16)))
    (if (i32.gt_u (i32.add (local.get $p) (local.get $n)) (i32.const 65536)) (then (return (i32.const 0))))
    (global.set $next (i32.add (local.get $p) (local.get $n)))
    (local.get $p)))"#
    )
}

/// A side module needing `mem` bytes and `slots` table slots, whose data
/// is "hi" at its memory base and whose slot 0 holds `own`.
fn side_wat(mem: u32, slots: u32, extra_import: &str) -> String {
    assert!(mem < 128 * 128 && slots < 128);
    let (m0, m1) = ((mem & 0x7f) | 0x80, mem >> 7);
    format!(
        r#"(module
  (@custom "dylink.0" (before first) "\01\05\{m0:02x}\{m1:02x}\02\{slots:02x}\00")
  (import "env" "memory" (memory 0))
  (import "env" "__indirect_function_table" (table 0 funcref))
  (import "env" "__memory_base" (global $mb i32))
  (import "env" "__table_base" (global $tb i32))
  (import "GOT.func" "double" (global $got_double (mut i32)))
  (import "env" "double" (func $double (param i32) (result i32)))
  {extra_import}
  (func $own (export "own") (result i32) (call $double (i32.const 21)))
  (func (export "memory_base") (result i32) (global.get $mb))
  (func (export "got_double") (result i32) (global.get $got_double))
  (data (global.get $mb) "hi")
  (elem (global.get $tb) $own))"#
    )
}

struct Setup {
    _dir: tempfile::TempDir,
    store: Store,
    main: Instance,
    loader: Loader,
}

fn setup(table_max: u32, sides: &[(&str, String)]) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in sides {
        std::fs::write(dir.path().join(name), wat::parse_str(text).unwrap()).unwrap();
    }
    let engine = Engine::new(Config::default()).unwrap();
    let root = dir.path().to_path_buf();
    let loader = Loader::new(loader::Config {
        engine: engine.clone(),
        cache: None,
        open: Box::new(move |p: &str| std::fs::File::open(Path::new(&root).join(p)).map_err(|e| e.to_string())),
        verbose: false,
    });
    let mut store = Store::new(&engine);
    let module = Module::new(&engine, &wat::parse_str(main_wat(table_max)).unwrap()).unwrap();
    let main = Linker::new().instantiate(&mut store, &module).unwrap();
    loader.attach(&store, main).unwrap();
    Setup { _dir: dir, store, main, loader }
}

fn call(s: &mut Setup, inst: Option<Instance>, name: &str) -> i32 {
    let f = inst.unwrap_or(s.main).get_func(&s.store, name).unwrap();
    match f.call(&mut s.store, &[]).unwrap().as_slice() {
        [Val::I32(v)] => *v,
        other => panic!("{other:?}"),
    }
}

fn table_size(s: &Setup) -> u32 {
    s.main.get_table(&s.store, "__indirect_function_table").unwrap().size(&s.store)
}

#[test]
fn reserves_memory_and_slots_and_reuses_the_slot_of_a_known_function() {
    let mut s = setup(10, &[("side.so", side_wat(200, 1, ""))]);
    let h = s.loader.dlopen(&mut s.store, "side.so", RTLD_NOW).unwrap();
    // The side module's slot: after the main module's two.
    let own = s.loader.dlsym(&mut s.store, h, "own").unwrap();
    assert_eq!(own, 2);
    assert_eq!(table_size(&s), 3);
    let f = s.loader.function_at(&s.store, own).unwrap();
    assert_eq!(f.call(&mut s.store, &[]).unwrap(), [Val::I32(42)]);
    // dlsym of a main-module function gives the slot it already has.
    let double_slot = s.loader.dlsym(&mut s.store, loader::DEFAULT_HANDLE, "double").unwrap();
    assert_eq!(double_slot, 1);
    assert_eq!(table_size(&s), 3, "no slot added for a function already in the table");
    // The data landed at the memory base, inside what malloc handed out.
    let mem = s.main.get_memory(&s.store, "memory").unwrap();
    let data = mem.data(&s.store);
    let base = (1024usize).next_multiple_of(16);
    assert_eq!(&data[base..base + 2], b"hi");
    assert!(call(&mut s, None, "next_free") as usize >= base + 200);
}

#[test]
fn got_entries_point_at_existing_slots() {
    let mut s = setup(10, &[("side.so", side_wat(16, 1, ""))]);
    let h = s.loader.dlopen(&mut s.store, "side.so", RTLD_NOW).unwrap();
    let lib = instance_of(&mut s, h);
    assert_eq!(call(&mut s, Some(lib), "got_double"), 1);
    assert_eq!(call(&mut s, Some(lib), "memory_base"), 1024);
}

/// The side module's instance behind handle `h`.
fn instance_of(s: &mut Setup, h: u32) -> Instance {
    s.loader.instance(h).expect("an open handle")
}

fn assert_nothing_linked(s: &mut Setup, table_before: u32, heap_before: i32) {
    assert_eq!(table_size(s), table_before, "the table grew");
    assert_eq!(call(s, None, "next_free"), heap_before, "memory was allocated");
}

#[test]
fn out_of_memory_leaves_nothing_linked() {
    let mut s = setup(10, &[("big.so", side_wat(16000, 1, ""))]);
    // Fill most of the heap first.
    let malloc = s.main.get_func(&s.store, "malloc").unwrap();
    malloc.call(&mut s.store, &[Val::I32(60000)]).unwrap();
    let (t, h) = (table_size(&s), call(&mut s, None, "next_free"));
    let e = s.loader.dlopen(&mut s.store, "big.so", RTLD_NOW).unwrap_err();
    assert_eq!(e.to_string(), "big.so: out of memory: cannot allocate 16000 bytes for its data");
    assert_nothing_linked(&mut s, t, h);
}

#[test]
fn out_of_table_space_leaves_nothing_linked() {
    let mut s = setup(3, &[("wide.so", side_wat(16, 5, ""))]);
    let t = table_size(&s);
    let e = s.loader.dlopen(&mut s.store, "wide.so", RTLD_NOW).unwrap_err();
    assert!(matches!(e, DlError::OutOfTable { .. }), "{e}");
    assert_eq!(e.to_string(), "wide.so: out of table space: cannot add 5 slots to the function table");
    assert_eq!(table_size(&s), t);
}

#[test]
fn undefined_symbol_leaves_nothing_linked() {
    let extra = r#"(import "env" "nowhere" (func (param i32)))"#;
    let mut s = setup(10, &[("undef.so", side_wat(16, 1, extra))]);
    let (t, h) = (table_size(&s), call(&mut s, None, "next_free"));
    let e = s.loader.dlopen(&mut s.store, "undef.so", RTLD_NOW).unwrap_err();
    assert_eq!(e.to_string(), "undef.so: undefined symbol: nowhere");
    assert_nothing_linked(&mut s, t, h);
}
