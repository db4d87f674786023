//! Restoring a module from its parts the way the on-disk cache does: the
//! code is written page-aligned into a file, mapped copy-on-write, and made
//! executable in place, with no recompilation.

use engine::{Engine, Linker, Module, Store, Val};
use std::io::Write;

#[test]
fn module_from_a_file_mapping_runs() {
    let engine = Engine::default();
    let wasm = wat::parse_str(
        r#"(module
            (memory (export "mem") 1)
            (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
            (func (export "f") (param i32) (result i32) (call $sq (i32.add (local.get 0) (i32.const 1))))
            (func (export "oob") (result i32) (i32.load (i32.const 65536))))"#,
    )
    .unwrap();
    let original = Module::new(&engine, &wasm).unwrap();
    let (info, compiled, code) = original.parts();
    assert!(compiled.code.is_empty(), "code bytes are given separately");

    // A header page, then the code at a page boundary.
    let page = 4096usize.max(region_page());
    let mut file = tempfile();
    file.write_all(&vec![0xEEu8; page]).unwrap();
    file.write_all(code).unwrap();
    file.flush().unwrap();
    // SAFETY: the test owns the file and nobody else modifies it.
    let map = unsafe { memmap2::MmapOptions::new().map_copy(&file).unwrap() };
    let restored =
        Module::from_cached(&engine, info.clone(), compiled.clone(), map, page..page + code.len()).unwrap();

    let mut store = Store::new(&engine);
    let inst = Linker::new().instantiate(&mut store, &restored).unwrap();
    let f = inst.get_func(&store, "f").unwrap();
    assert_eq!(f.call(&mut store, &[Val::I32(6)]).unwrap(), vec![Val::I32(49)]);
    let oob = inst.get_func(&store, "oob").unwrap();
    assert!(oob.call(&mut store, &[]).is_err(), "traps are recognised in mapped code too");

    // Inconsistent metadata is refused, not executed.
    let mut broken = compiled.clone();
    broken.functions.pop();
    // SAFETY: as above.
    let map = unsafe { memmap2::MmapOptions::new().map_copy(&file).unwrap() };
    assert!(Module::from_cached(&engine, info.clone(), broken, map, page..page + code.len()).is_err());
    let map = unsafe { memmap2::MmapOptions::new().map_copy(&file).unwrap() };
    assert!(Module::from_cached(&engine, info.clone(), compiled.clone(), map, 1..1 + code.len()).is_err());
}

fn region_page() -> usize {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

fn tempfile() -> std::fs::File {
    let path = std::env::temp_dir().join(format!("faasm-engine-cached-{}", std::process::id()));
    let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    file
}
