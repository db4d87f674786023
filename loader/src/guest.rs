//! The guest's side of the loader: `env.dlopen`, `env.dlsym`,
//! `env.dlerror` and `env.dlclose`, with C semantics — failures return
//! NULL (or -1) and leave a message for `dlerror()`, which returns it once
//! in a guest buffer. A bad pointer from the guest is such a failure, not
//! a host fault.

use crate::error::DlError;
use crate::main_module::MainModule;
use crate::{link, Loader, State, FIRST_LIBRARY_HANDLE, MAIN_HANDLE};
use engine::{Caller, FuncType, Linker, ValRaw, ValType};

fn ty(params: &[ValType], results: &[ValType]) -> FuncType {
    FuncType { params: params.to_vec(), results: results.to_vec() }
}

pub(crate) fn define(loader: &Loader, linker: &mut Linker) {
    use ValType::I32;
    let l = loader.clone();
    linker.func_raw("env", "dlopen", ty(&[I32, I32], &[I32]), move |caller, args| {
        let (path, flags) = (args[0].get_i32() as u32, args[1].get_i32());
        let handle = l.with_guest(caller, |st, store| {
            if path == 0 {
                return Ok(MAIN_HANDLE);
            }
            let path = main_of(st)?.read_c_string(store, path, "dlopen path")?;
            let r = link::open(st, store, &path, flags);
            if st.config.verbose {
                tracing::info!("dlopen({path:?}, {flags:#x}) -> {r:?}");
            }
            r.map(|i| i as u32 + FIRST_LIBRARY_HANDLE)
        });
        args[0] = ValRaw::i32(handle.unwrap_or(0) as i32);
        Ok(())
    });
    let l = loader.clone();
    linker.func_raw("env", "dlsym", ty(&[I32, I32], &[I32]), move |caller, args| {
        let (handle, name) = (args[0].get_i32() as u32, args[1].get_i32() as u32);
        let addr = l.with_guest(caller, |st, store| {
            let name = main_of(st)?.read_c_string(store, name, "dlsym name")?;
            let r = link::symbol(st, store, handle, &name);
            if st.config.verbose {
                tracing::info!("dlsym({handle}, {name:?}) -> {r:?}");
            }
            r
        });
        args[0] = ValRaw::i32(addr.unwrap_or(0) as i32);
        Ok(())
    });
    let l = loader.clone();
    linker.func_raw("env", "dlclose", ty(&[I32], &[I32]), move |caller, args| {
        let handle = args[0].get_i32() as u32;
        let r = l.with_guest(caller, |st, _| link::close(st, handle));
        args[0] = ValRaw::i32(if r.is_some() { 0 } else { -1 });
        Ok(())
    });
    let l = loader.clone();
    linker.func_raw("env", "dlerror", ty(&[], &[I32]), move |caller, args| {
        let ptr = l.with_guest(caller, |st, store| {
            if let Some(old) = st.error_buf.take() {
                main_of(st)?.free(store, old);
            }
            let Some(msg) = st.last_error.take() else { return Ok(0) };
            let buf = main_of(st)?.write_c_string(store, &msg)?.unwrap_or(0);
            st.error_buf = (buf != 0).then_some(buf);
            Ok(buf)
        });
        args[0] = ValRaw::i32(ptr.unwrap_or(0) as i32);
        Ok(())
    });
}

fn main_of(st: &State) -> Result<&MainModule, DlError> {
    st.main.as_ref().ok_or_else(|| DlError::Guest("no main module is attached to the loader".into()))
}

impl Loader {
    /// Runs `f` for a guest call: attaches the calling instance as the main
    /// module if none is, and turns an error into the `dlerror()` text.
    fn with_guest<T>(
        &self,
        caller: &mut Caller<'_>,
        f: impl FnOnce(&mut State, &mut engine::Store) -> Result<T, DlError>,
    ) -> Option<T> {
        let mut st = match self.lock() {
            Ok(st) => st,
            // Re-entered from a library constructor during a dlopen: the
            // state is in use, so the nested call fails (and says so on
            // stderr, as there is nowhere to keep its dlerror text).
            Err(e) => {
                tracing::error!("{e}");
                return None;
            }
        };
        let instance = caller.instance();
        let store = caller.store();
        if st.main.is_none() {
            if let Some(i) = instance {
                match MainModule::new(store, i) {
                    Ok(m) => st.main = Some(m),
                    Err(e) => {
                        st.last_error = Some(e.to_string());
                        return None;
                    }
                }
            }
        }
        match f(&mut st, store) {
            Ok(v) => Some(v),
            Err(e) => {
                st.last_error = Some(e.to_string());
                None
            }
        }
    }
}
