//! What ended instances leave behind is reused by later ones: linear
//! memories are reset and pooled in their engine
//! (`engine::instantiate::memory_pool`, sized by `PoolConfig`), a module
//! keeps its instances' contexts and funcref arrays
//! (`InstanceSlot`). Whatever an instance wrote, grew or linked, the next
//! instance of the module must see a fresh memory — the data segments'
//! bytes, zeros elsewhere, the initial size, out-of-bounds traps above it —
//! fresh globals, and its own imports.

use engine::{Config, Engine, Extern, FuncType, Instance, Linker, Module, PoolConfig, Store, Val, ValType};

const WAT: &str = r#"(module
    (memory (export "mem") 2 4)
    (data (i32.const 5) "abc")
    (data (i32.const 70000) "xyz")
    (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
    (func (export "size") (result i32) (memory.size))
    ;; Writes over data and zeros alike, grows by a page and writes there.
    (func (export "scribble")
        (i32.store8 (i32.const 5) (i32.const 0x55))
        (i32.store8 (i32.const 100) (i32.const 0x66))
        (i32.store8 (i32.const 70001) (i32.const 0x77))
        (drop (memory.grow (i32.const 1)))
        (i32.store8 (i32.const 140000) (i32.const 0x88))))"#;

fn call(store: &mut Store, inst: &Instance, name: &str, args: &[Val]) -> Result<Vec<Val>, engine::Error> {
    inst.get_func(store, name).unwrap().call(store, args)
}

fn peek(store: &mut Store, inst: &Instance, addr: i32) -> Option<i32> {
    match call(store, inst, "peek", &[Val::I32(addr)]) {
        Ok(v) => match v.as_slice() {
            [Val::I32(b)] => Some(*b),
            other => panic!("peek returned {other:?}"),
        },
        Err(_) => None,
    }
}

fn base(store: &Store, inst: &Instance) -> usize {
    match inst.get_export(store, "mem") {
        Some(Extern::Memory(m)) => m.data(store).as_ptr() as usize,
        _ => panic!("no memory export"),
    }
}

/// Instantiates, checks the memory is fresh, scribbles over it; returns
/// the memory's address.
fn fresh_then_scribble(engine: &Engine, module: &Module) -> usize {
    let mut store = Store::new(engine);
    let inst = Linker::new().instantiate(&mut store, module).unwrap();
    assert_eq!(call(&mut store, &inst, "size", &[]).unwrap(), vec![Val::I32(2)]);
    assert_eq!(peek(&mut store, &inst, 5), Some(b'a' as i32));
    assert_eq!(peek(&mut store, &inst, 100), Some(0));
    assert_eq!(peek(&mut store, &inst, 70001), Some(b'y' as i32));
    assert_eq!(peek(&mut store, &inst, 131071), Some(0));
    assert_eq!(peek(&mut store, &inst, 140000), None, "the third page is not accessible");
    call(&mut store, &inst, "scribble", &[]).unwrap();
    assert_eq!(peek(&mut store, &inst, 5), Some(0x55));
    assert_eq!(peek(&mut store, &inst, 140000), Some(0x88));
    base(&store, &inst)
}

#[test]
fn every_instance_starts_from_a_fresh_memory() {
    let engine = Engine::default();
    let with_image = Module::new(&engine, &wat::parse_str(WAT).unwrap()).unwrap();
    assert!(with_image.memory_image().is_some(), "the data qualifies for an image");
    let first = fresh_then_scribble(&engine, &with_image);
    // The memory went back to the pool and the next instance of the same
    // module (whose image no other module shares) gets it, reset.
    assert!(engine::instantiate::memory_pool::pooled(&engine) > 0);
    let second = fresh_then_scribble(&engine, &with_image);
    assert_eq!(first, second, "the reservation was reused");
    fresh_then_scribble(&engine, &with_image);

    // The same for a memory without an image (zeros only), and a memory
    // the host creates.
    let zeros = Module::new(
        &engine,
        &wat::parse_str(
            r#"(module
        (memory (export "mem") 1)
        (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
        (func (export "poke") (i32.store8 (i32.const 9) (i32.const 9))))"#,
        )
        .unwrap(),
    )
    .unwrap();
    for _ in 0..3 {
        let mut store = Store::new(&engine);
        let inst = Linker::new().instantiate(&mut store, &zeros).unwrap();
        assert_eq!(peek(&mut store, &inst, 9), Some(0));
        call(&mut store, &inst, "poke", &[]).unwrap();
        assert_eq!(peek(&mut store, &inst, 9), Some(9));
    }
    for _ in 0..3 {
        let mut store = Store::new(&engine);
        let m = engine::Memory::new(&mut store, engine::MemoryType { min: 1, max: None }).unwrap();
        assert!(m.data(&store).iter().all(|&b| b == 0));
        m.data_mut(&mut store)[1000] = 1;
        m.grow(&mut store, 1).unwrap();
        m.data_mut(&mut store)[70000] = 1;
    }
}

#[test]
fn reused_contexts_get_fresh_globals_and_their_own_imports() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        &wat::parse_str(
            r#"(module
                (import "host" "seven" (func $host (result i32)))
                (global $count (mut i32) (i32.const 0))
                (table 2 funcref)
                (elem (i32.const 0) $host $bump)
                (type $t (func (result i32)))
                (func $bump (result i32)
                    (global.set $count (i32.add (global.get $count) (i32.const 1)))
                    (global.get $count))
                ;; Through the table: the import and a defined function.
                (func (export "run") (result i32)
                    (i32.add (call_indirect (type $t) (i32.const 0))
                             (i32.mul (i32.const 1000) (call_indirect (type $t) (i32.const 1))))))"#,
        )
        .unwrap(),
    )
    .unwrap();
    let ty = FuncType { params: vec![], results: vec![ValType::I32] };
    for host_value in [7, 8, 9] {
        let mut linker = Linker::new();
        linker.func_new("host", "seven", ty.clone(), move |_, _, out| {
            out[0] = Val::I32(host_value);
            Ok(())
        });
        let mut store = Store::new(&engine);
        let inst = linker.instantiate(&mut store, &module).unwrap();
        // The global starts at 0 in every instance; each store's host
        // function is the one called.
        assert_eq!(call(&mut store, &inst, "run", &[]).unwrap(), vec![Val::I32(1000 + host_value)]);
        assert_eq!(call(&mut store, &inst, "run", &[]).unwrap(), vec![Val::I32(2000 + host_value)]);
    }
}

/// A memory reset in place keeps the pages its guest wrote, with the
/// image's bytes copied back; one whose guest wrote more than
/// `MAX_RESIDENT_PAGES` is discarded with madvise instead. Either way, and
/// one after the other on the same reservation, the next instance's memory
/// is fresh.
#[test]
fn memories_reset_in_place_or_discarded_are_fresh() {
    let engine = Engine::default();
    let module = Module::new(
        &engine,
        &wat::parse_str(
            r#"(module
        (memory (export "mem") 32)
        (data (i32.const 4095) "ab")
        (data (i32.const 1048576) "cd")
        (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
        ;; Writes one byte in each of the first N host pages.
        (func (export "touch") (param $n i32) (local $i i32)
            (block $done (loop $next
                (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                (i32.store8 (i32.add (i32.mul (local.get $i) (i32.const 4096)) (i32.const 7)) (i32.const 0xEE))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $next)))
            (i32.store8 (i32.const 4096) (i32.const 0x11))
            (i32.store8 (i32.const 1048577) (i32.const 0x22))))"#,
        )
        .unwrap(),
    )
    .unwrap();
    assert!(module.memory_image().is_some());
    // Rounds of 512 pages pass the limit; the others stay under it.
    let pages = [3, 512, 3, 3, 512, 40];
    const { assert!(engine::instantiate::memory::MAX_RESIDENT_PAGES > 40 && engine::instantiate::memory::MAX_RESIDENT_PAGES < 512) };
    for (round, &n) in pages.iter().enumerate() {
        let mut store = Store::new(&engine);
        let inst = Linker::new().instantiate(&mut store, &module).unwrap();
        let expect = [(4095, b'a'), (4096, b'b'), (1048576, b'c'), (1048577, b'd'), (7, 0), (8199, 0), (2093063, 0)];
        for (addr, byte) in expect {
            assert_eq!(peek(&mut store, &inst, addr), Some(byte as i32), "round {round}, byte {addr}");
        }
        call(&mut store, &inst, "touch", &[Val::I32(n)]).unwrap();
        assert_eq!(peek(&mut store, &inst, 4096), Some(0x11));
    }
}

/// The pool belongs to the engine: its stores share it, another engine
/// does not see it.
#[test]
fn stores_of_one_engine_share_its_pool_two_engines_do_not() {
    let (a, b) = (Engine::default(), Engine::default());
    let module_a = Module::new(&a, &wat::parse_str(WAT).unwrap()).unwrap();
    let module_b = Module::new(&b, &wat::parse_str(WAT).unwrap()).unwrap();
    assert_eq!((a.pooled_memories(), b.pooled_memories()), (0, 0));
    let first = fresh_then_scribble(&a, &module_a);
    assert_eq!((a.pooled_memories(), b.pooled_memories()), (1, 0));
    // Another engine, the same module bytes: a reservation of its own.
    let other = fresh_then_scribble(&b, &module_b);
    assert_ne!(other, first, "engine b took engine a's reservation");
    assert_eq!((a.pooled_memories(), b.pooled_memories()), (1, 1));
    // Another store of engine a takes a's.
    assert_eq!(fresh_then_scribble(&a, &module_a), first);
    assert_eq!((a.pooled_memories(), b.pooled_memories()), (1, 1));
}

/// `PoolConfig::max_warm` bounds the pool; `PoolConfig::OFF` keeps
/// nothing, and memories are as fresh without it.
#[test]
fn the_embedder_sizes_or_turns_off_the_pool() {
    let zeros = |engine: &Engine| Module::new(engine, &wat::parse_str("(module (memory (export \"mem\") 1))").unwrap()).unwrap();
    for (config, kept) in
        [(PoolConfig::OFF, 0), (PoolConfig { max_warm: 1, ..PoolConfig::default() }, 1), (PoolConfig::default(), 3)]
    {
        let engine = Engine::new(Config { memory_pool: config, ..Config::default() }).unwrap();
        let (m, with_image) = (zeros(&engine), Module::new(&engine, &wat::parse_str(WAT).unwrap()).unwrap());
        // Three memories alive at once, then dropped together.
        let mut stores: Vec<Store> = (0..3).map(|_| Store::new(&engine)).collect();
        for s in &mut stores {
            Linker::new().instantiate(s, &m).unwrap();
        }
        drop(stores);
        assert_eq!(engine.pooled_memories(), kept, "{config:?}");
        for _ in 0..3 {
            fresh_then_scribble(&engine, &with_image);
        }
        assert!(engine.pooled_memories() <= config.max_warm, "{config:?}");
    }
}
