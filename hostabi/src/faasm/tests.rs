//! The rows called directly on a byte-array memory, with a small state
//! store and chainer of the tests' own.

use super::*;
use engine::ValRaw;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct MapStore {
    values: Mutex<HashMap<String, Vec<u8>>>,
    appended: Mutex<HashMap<String, Vec<Vec<u8>>>>,
    locks: Mutex<Vec<(String, LockKind)>>,
}

impl StateStore for MapStore {
    fn max_value_size(&self) -> u64 {
        64
    }
    fn size(&self, key: &str) -> Result<u64, StateError> {
        Ok(self.values.lock().unwrap().get(key).map_or(0, |v| v.len() as u64))
    }
    fn get(&self, key: &str) -> Result<Vec<u8>, StateError> {
        Ok(self.values.lock().unwrap().get(key).cloned().unwrap_or_default())
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), StateError> {
        self.values.lock().unwrap().insert(key.into(), value.to_vec());
        Ok(())
    }
    fn get_range(&self, key: &str, offset: u64, len: u64) -> Result<Vec<u8>, StateError> {
        let v = self.get(key)?;
        Ok((offset..offset + len).map(|i| v.get(i as usize).copied().unwrap_or(0)).collect())
    }
    fn set_range(&self, key: &str, total: u64, offset: u64, data: &[u8]) -> Result<(), StateError> {
        let mut m = self.values.lock().unwrap();
        let v = m.entry(key.into()).or_default();
        if v.len() < total as usize {
            v.resize(total as usize, 0);
        }
        v[offset as usize..offset as usize + data.len()].copy_from_slice(data);
        Ok(())
    }
    fn append(&self, key: &str, data: &[u8]) -> Result<(), StateError> {
        self.appended.lock().unwrap().entry(key.into()).or_default().push(data.to_vec());
        Ok(())
    }
    fn read_appended(&self, key: &str, n: u64) -> Result<Vec<Vec<u8>>, StateError> {
        let m = self.appended.lock().unwrap();
        let all = m.get(key).cloned().unwrap_or_default();
        if n != u64::MAX && (all.len() as u64) < n {
            return Err(StateError::NotEnoughAppended { key: key.into(), wanted: n, have: all.len() as u64 });
        }
        Ok(all.into_iter().take(n.min(usize::MAX as u64) as usize).collect())
    }
    fn clear_appended(&self, key: &str) -> Result<(), StateError> {
        self.appended.lock().unwrap().remove(key);
        Ok(())
    }
    fn push(&self, _key: &str) -> Result<(), StateError> {
        Ok(())
    }
    fn pull(&self, _key: &str, _len: u64) -> Result<(), StateError> {
        Ok(())
    }
    fn lock(&self, key: &str, kind: LockKind) -> Result<(), StateError> {
        self.locks.lock().unwrap().push((key.into(), kind));
        Ok(())
    }
    fn unlock(&self, key: &str, kind: LockKind) -> Result<(), StateError> {
        let mut l = self.locks.lock().unwrap();
        let i = l.iter().position(|(k, x)| k == key && *x == kind).unwrap();
        l.remove(i);
        Ok(())
    }
}

/// Records chained calls; each "runs" at once with output = input reversed
/// and return code = input length.
#[derive(Default)]
struct EchoChainer {
    calls: Mutex<Vec<(ChainTarget, Vec<u8>)>>,
}

impl Chainer for EchoChainer {
    fn chain(&self, target: ChainTarget, input: Vec<u8>) -> Result<u32, ChainError> {
        if target == ChainTarget::Name("missing".into()) {
            return Err(ChainError::UnknownFunction(target));
        }
        let mut c = self.calls.lock().unwrap();
        c.push((target, input));
        Ok(c.len() as u32)
    }
    fn await_call(&self, id: u32) -> Result<CallResult, ChainError> {
        let c = self.calls.lock().unwrap();
        let (_, input) = c.get((id as usize).wrapping_sub(1)).ok_or(ChainError::UnknownCall(id))?;
        Ok(CallResult { return_code: input.len() as i32, output: input.iter().rev().copied().collect(), error: None })
    }
}

struct Harness {
    ctx: FaasmCtx,
    mem: Vec<u8>,
    store: Arc<MapStore>,
    chainer: Arc<EchoChainer>,
}

impl Harness {
    fn new(input: &[u8]) -> Harness {
        let store = Arc::new(MapStore::default());
        let chainer = Arc::new(EchoChainer::default());
        let ctx = FaasmCtx::new(input.to_vec(), chainer.clone(), store.clone());
        Harness { ctx, mem: vec![0; 1024], store, chainer }
    }
    fn put(&mut self, at: usize, bytes: &[u8]) -> u32 {
        self.mem[at..at + bytes.len()].copy_from_slice(bytes);
        at as u32
    }
    fn call(&mut self, name: &str, params: &[u32]) -> Result<Option<i32>, String> {
        let table = functions::<FaasmCtx>();
        let f = crate::table::lookup(&table, "env", name).unwrap_or_else(|| panic!("no row {name}"));
        assert_eq!(f.params.len(), params.len(), "{name} arity");
        let mut args: Vec<ValRaw> = params.iter().map(|&p| ValRaw::i32(p as i32)).collect();
        args.resize(args.len().max(1), ValRaw::default());
        match f.invoke(&mut self.ctx, &mut self.mem, &mut args) {
            Ok(()) => Ok(if f.results.is_empty() { None } else { Some(args[0].get_i32()) }),
            Err(t) => Err(t.to_string()),
        }
    }
}

#[test]
fn every_name_is_a_faasm_import_with_i32_parameters() {
    let names = names();
    assert!(names.contains(&"__faasm_await_call_output"));
    assert_eq!(names.len(), functions::<FaasmCtx>().len() + 1);
    for f in functions::<FaasmCtx>() {
        assert_eq!(f.module, "env");
        assert!(f.name.starts_with("__faasm_"));
        assert!(f.params.iter().all(|t| *t == engine::ValType::I32));
    }
}

#[test]
fn input_size_then_bytes_and_output() {
    let mut h = Harness::new(b"hello world");
    assert_eq!(h.call("__faasm_read_input", &[100, 0]).unwrap(), Some(11));
    assert_eq!(h.call("__faasm_read_input", &[100, 5]).unwrap(), Some(5));
    assert_eq!(&h.mem[100..106], b"hello\0");
    assert_eq!(h.call("__faasm_read_input", &[200, 64]).unwrap(), Some(11));
    assert_eq!(&h.mem[200..211], b"hello world");
    h.put(300, b"out!");
    h.call("__faasm_write_output", &[300, 4]).unwrap();
    assert_eq!(h.ctx.output.as_deref(), Some(&b"out!"[..]));
}

#[test]
fn bad_pointers_trap_with_the_function_name_and_touch_nothing() {
    let mut h = Harness::new(b"abc");
    let e = h.call("__faasm_read_input", &[1022, 3]).unwrap_err();
    assert!(e.contains("env.__faasm_read_input") && e.contains("outside the guest's 1024-byte memory"), "{e}");
    assert!(h.mem.iter().all(|&b| b == 0));
    let e = h.call("__faasm_write_output", &[0, u32::MAX]).unwrap_err();
    assert!(e.contains("negative"), "{e}");
    let e = h.call("__faasm_write_output", &[1000, 100]).unwrap_err();
    assert!(e.contains("outside"), "{e}");
    assert_eq!(h.ctx.output, None);
    // A key with no NUL before the end of memory.
    h.mem[1020..].fill(b'k');
    let e = h.call("__faasm_write_state", &[1020, 0, 1]).unwrap_err();
    assert!(e.contains("no NUL terminator"), "{e}");
    let e = h.call("__faasm_read_state", &[0, 0, 0]).unwrap_err();
    assert!(e.contains("NULL state key"), "{e}");
    let e = h.call("__faasm_read_state", &[5000, 0, 0]).unwrap_err();
    assert!(e.contains("outside"), "{e}");
    // A state buffer out of bounds is refused before the store is read.
    let k = h.put(8, b"k\0");
    let e = h.call("__faasm_read_state", &[k, 1000, 64]).unwrap_err();
    assert!(e.contains("state buffer"), "{e}");
}

#[test]
fn state_values_sizes_offsets_and_limits() {
    let mut h = Harness::new(b"");
    let k = h.put(8, b"key\0");
    // Missing key: size 0, reads as zeros.
    h.mem[100..110].fill(7);
    assert_eq!(h.call("__faasm_read_state", &[k, 0, 0]).unwrap(), Some(0));
    assert_eq!(h.call("__faasm_read_state", &[k, 100, 10]).unwrap(), Some(0));
    assert!(h.mem[100..110].iter().all(|&b| b == 0));
    let v = h.put(200, b"0123456789");
    h.call("__faasm_write_state", &[k, v, 10]).unwrap();
    assert_eq!(h.call("__faasm_read_state", &[k, 0, 0]).unwrap(), Some(10));
    assert_eq!(h.call("__faasm_read_state", &[k, 300, 4]).unwrap(), Some(10));
    assert_eq!(&h.mem[300..304], b"0123");
    let seg = h.put(400, b"999");
    h.call("__faasm_write_state_offset", &[k, 10, 2, seg, 3]).unwrap();
    assert_eq!(h.store.get("key").unwrap(), b"0199956789");
    h.call("__faasm_read_state_offset", &[k, 10, 4, 500, 4]).unwrap();
    assert_eq!(&h.mem[500..504], b"9567");
    // Growing a value through an offset write zero-fills the gap.
    let k2 = h.put(20, b"grow\0");
    h.call("__faasm_write_state_offset", &[k2, 8, 6, seg, 2]).unwrap();
    assert_eq!(h.store.get("grow").unwrap(), b"\0\0\0\0\0\099");
    // Ranges past the total and values past the store's limit trap.
    let e = h.call("__faasm_read_state_offset", &[k, 10, 8, 500, 4]).unwrap_err();
    assert!(e.contains("does not fit its total size of 10"), "{e}");
    let e = h.call("__faasm_write_state", &[k, 200, 65]).unwrap_err();
    assert!(e.contains("over the limit of 64 bytes"), "{e}");
    let e = h.call("__faasm_write_state_offset", &[k, 100, 0, seg, 3]).unwrap_err();
    assert!(e.contains("over the limit"), "{e}");
    assert_eq!(h.store.get("key").unwrap(), b"0199956789", "failed writes change nothing");
    let empty = h.put(30, b"\0");
    let e = h.call("__faasm_write_state", &[empty, v, 1]).unwrap_err();
    assert!(e.contains("must not be empty"), "{e}");
}

#[test]
fn appended_state_reads_back_in_order() {
    let mut h = Harness::new(b"");
    let k = h.put(8, b"list\0");
    let a = h.put(100, b"aaa");
    let b = h.put(110, b"bb");
    h.call("__faasm_append_state", &[k, a, 3]).unwrap();
    h.call("__faasm_append_state", &[k, b, 2]).unwrap();
    assert_eq!(h.call("__faasm_appended_state_sizes", &[k, 200, 4]).unwrap(), Some(2));
    assert_eq!(&h.mem[200..208], &[3, 0, 0, 0, 2, 0, 0, 0]);
    h.call("__faasm_read_appended_state", &[k, 300, 5, 2]).unwrap();
    assert_eq!(&h.mem[300..305], b"aaabb");
    let e = h.call("__faasm_read_appended_state", &[k, 300, 4, 2]).unwrap_err();
    assert!(e.contains("hold 5 bytes, the buffer 4"), "{e}");
    let e = h.call("__faasm_read_appended_state", &[k, 300, 5, 3]).unwrap_err();
    assert!(e.contains("has 2 appended values, 3 were asked for"), "{e}");
    h.call("__faasm_clear_appended_state", &[k]).unwrap();
    assert_eq!(h.call("__faasm_appended_state_sizes", &[k, 200, 0]).unwrap(), Some(0));
}

#[test]
fn locks_are_checked_and_released_when_the_call_ends() {
    let mut h = Harness::new(b"");
    let k = h.put(8, b"lk\0");
    let e = h.call("__faasm_unlock_state_write", &[k]).unwrap_err();
    assert!(e.contains("is not write-locked by this call"), "{e}");
    h.call("__faasm_lock_state_write", &[k]).unwrap();
    h.call("__faasm_lock_state_read", &[k]).unwrap();
    h.call("__faasm_unlock_state_write", &[k]).unwrap();
    assert_eq!(h.store.locks.lock().unwrap().len(), 1);
    let store = h.store.clone();
    drop(h);
    assert!(store.locks.lock().unwrap().is_empty(), "the read lock went with the call");
}

#[test]
fn chaining_goes_through_the_chainer() {
    let mut h = Harness::new(b"");
    let name = h.put(8, b"child\0");
    let data = h.put(100, b"abcd");
    let id = h.call("__faasm_chain_name", &[name, data, 4]).unwrap().unwrap();
    let id2 = h.call("__faasm_chain_py", &[name, data, 2]).unwrap().unwrap();
    let id3 = h.call("__faasm_chain_ptr", &[7, data, 1]).unwrap().unwrap();
    assert_eq!(h.call("__faasm_await_call", &[id as u32]).unwrap(), Some(4));
    assert_eq!(h.call("__faasm_await_call", &[id2 as u32]).unwrap(), Some(2));
    assert_eq!(h.call("__faasm_await_call", &[id3 as u32]).unwrap(), Some(1));
    let calls = h.chainer.calls.lock().unwrap().clone();
    assert_eq!(calls[0], (ChainTarget::Name("child".into()), b"abcd".to_vec()));
    assert_eq!(calls[1], (ChainTarget::Python("child".into()), b"ab".to_vec()));
    assert_eq!(calls[2], (ChainTarget::Ptr(7), b"a".to_vec()));
    let e = h.call("__faasm_await_call", &[99]).unwrap_err();
    assert!(e.contains("call 99 was not chained"), "{e}");
    let missing = h.put(200, b"missing\0");
    let e = h.call("__faasm_chain_name", &[missing, data, 0]).unwrap_err();
    assert!(e.contains("no function `missing` to chain to"), "{e}");
    let e = h.call("__faasm_chain_ptr", &[0, data, 0]).unwrap_err();
    assert!(e.contains("NULL function pointer"), "{e}");
}

#[test]
fn flags_index_and_python_names() {
    let mut h = Harness::new(b"");
    let on = h.put(8, b"ALWAYS_ON\0");
    let other = h.put(20, b"NOPE\0");
    assert_eq!(h.call("__faasm_conf_flag", &[on]).unwrap(), Some(1));
    assert_eq!(h.call("__faasm_conf_flag", &[other]).unwrap(), Some(0));
    h.ctx.idx = 3;
    assert_eq!(h.call("__faasm_get_idx", &[]).unwrap(), Some(3));
    h.ctx.python.entry = "func_one".into();
    h.call("__faasm_get_py_entry", &[100, 9]).unwrap();
    assert_eq!(&h.mem[100..109], b"func_one\0");
    let e = h.call("__faasm_get_py_entry", &[100, 8]).unwrap_err();
    assert!(e.contains("needs 9 bytes"), "{e}");
}
