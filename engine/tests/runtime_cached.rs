//! Restoring a module from its parts the way the on-disk cache does: the
//! code is written page-aligned into a file, mapped copy-on-write, and made
//! executable in place, with no recompilation.

use engine::compile::CompiledCode;
use engine::instantiate::memory_image::ImageLayout;
use engine::{CachedModule, Engine, Linker, Module, ModuleInfo, Store, Val};
use std::io::Write;
use std::sync::Arc;

#[test]
fn module_from_a_file_mapping_runs() {
    let engine = Engine::default();
    let wasm = wat::parse_str(
        r#"(module
            (memory (export "mem") 2)
            (data (i32.const 70000) "hi")
            (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
            (func (export "f") (param i32) (result i32) (call $sq (i32.add (local.get 0) (i32.const 1))))
            (func (export "peek") (result i32) (i32.load8_u (i32.const 70001)))
            (func (export "poke") (i32.store8 (i32.const 70001) (i32.const 33)))
            (func (export "oob") (result i32) (i32.load (i32.const 131072))))"#,
    )
    .unwrap();
    let original = Module::new(&engine, &wasm).unwrap();
    let (info, compiled, code) = original.parts();
    assert!(compiled.code.is_empty(), "code bytes are given separately");
    let image = original.memory_image().expect("constant data in the initial size");
    let layout = image.layout();
    let image_bytes = image.read_contents().unwrap();

    // 64 KiB of header, the code, the trap table, the address map, then the
    // image on the next 64 KiB boundary.
    const ALIGN: usize = 65536;
    let traps = original.trap_table().bytes();
    let code_range = ALIGN..ALIGN + code.len();
    let traps_range = code_range.end..code_range.end + traps.len();
    let addresses = original.address_map().bytes();
    let addresses_range = traps_range.end..traps_range.end + addresses.len();
    let image_start = addresses_range.end.next_multiple_of(ALIGN);
    let mut bytes = vec![0xEEu8; ALIGN];
    bytes.extend_from_slice(code);
    bytes.extend_from_slice(traps);
    bytes.extend_from_slice(addresses);
    bytes.resize(image_start, 0);
    bytes.extend_from_slice(&image_bytes);
    let mut file = tempfile();
    file.write_all(&bytes).unwrap();
    file.flush().unwrap();
    let file = Arc::new(file);
    let map = || {
        // SAFETY: the test owns the file and nobody else modifies it.
        Arc::new(unsafe { memmap2::MmapOptions::new().map_copy(&*file).unwrap() })
    };
    let mut data_free = info.clone();
    data_free.data.clear();
    let cached = |info: &ModuleInfo, compiled: &CompiledCode, code_range: std::ops::Range<usize>| CachedModule {
        info: info.clone(),
        compiled: compiled.clone(),
        mapping: map(),
        code_range,
        traps_range: traps_range.clone(),
        addresses_range: addresses_range.clone(),
        image: Some((file.clone(), image_start as u64, layout)),
    };
    let restored = Module::from_cached(&engine, cached(&data_free, compiled, code_range.clone())).unwrap();

    for _ in 0..2 {
        // Each instance starts from the image, whatever the last one wrote.
        let mut store = Store::new(&engine);
        let inst = Linker::new().instantiate(&mut store, &restored).unwrap();
        let call = |store: &mut Store, name: &str| inst.get_func(store, name).unwrap().call(store, &[]);
        let f = inst.get_func(&store, "f").unwrap();
        assert_eq!(f.call(&mut store, &[Val::I32(6)]).unwrap(), vec![Val::I32(49)]);
        assert_eq!(call(&mut store, "peek").unwrap(), vec![Val::I32(b'i' as i32)]);
        call(&mut store, "poke").unwrap();
        assert_eq!(call(&mut store, "peek").unwrap(), vec![Val::I32(33)]);
        assert!(call(&mut store, "oob").is_err(), "traps are recognised in mapped code too");
    }
    // Writes through instances never reach the file.
    assert_eq!(std::fs::read(format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&*file))).unwrap(), bytes);

    // Inconsistent metadata is refused, not executed.
    let mut broken = compiled.clone();
    broken.functions.pop();
    assert!(Module::from_cached(&engine, cached(&data_free, &broken, code_range.clone())).is_err());
    assert!(Module::from_cached(&engine, cached(&data_free, compiled, 1..1 + code.len())).is_err());
    let mut past = cached(&data_free, compiled, code_range.clone());
    past.image = Some((file.clone(), image_start as u64, ImageLayout { mem_offset: 65536 * 2, ..layout }));
    assert!(Module::from_cached(&engine, past).is_err(), "image past the initial memory");
    let mut short = cached(&data_free, compiled, code_range.clone());
    short.traps_range = traps_range.start..traps_range.end - 1;
    assert!(Module::from_cached(&engine, short).is_err(), "partial trap table");
}

fn tempfile() -> std::fs::File {
    let path = std::env::temp_dir().join(format!("faasm-engine-cached-{}", std::process::id()));
    let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    file
}
