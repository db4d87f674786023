//! The declarative table of host functions.
//!
//! Every host function the engine can link an import against is one
//! [`HostFunc`] row: module, name, wasm signature and implementation. The
//! engine's `Linker` does the matching (a missing or mistyped import is a
//! link error naming `module.name`, the expected and the found type), so the
//! table only has to describe. WASI preview1 is one set of rows
//! ([`crate::wasi::functions`]); the Faasm host interface will be another set
//! over the same state type `S`, which is why rows are generic over the state
//! they act on instead of being tied to the WASI context.
//!
//! The calling convention is the engine's raw one: parameters arrive in
//! `args[..n_params]` as [`ValRaw`]s and results are written to
//! `args[..n_results]`. The caller's linear memory is passed as a byte slice
//! (empty when the caller has none), so implementations never see the
//! engine's types beyond `ValRaw` and `Trap`.

use engine::{FuncType, Trap, ValRaw, ValType};

/// The implementation of one host function: state, caller memory, raw
/// argument/result slots.
pub type HostFn<S> = fn(&mut S, &mut [u8], &mut [ValRaw]) -> Result<(), Trap>;

/// One row of the host-function table.
pub struct HostFunc<S> {
    pub module: &'static str,
    pub name: &'static str,
    pub params: &'static [ValType],
    pub results: &'static [ValType],
    pub call: HostFn<S>,
}

impl<S> Clone for HostFunc<S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S> Copy for HostFunc<S> {}

impl<S> std::fmt::Debug for HostFunc<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}: {:?} -> {:?}", self.module, self.name, self.params, self.results)
    }
}

impl<S> HostFunc<S> {
    /// The wasm function type of this row.
    pub fn ty(&self) -> FuncType {
        FuncType { params: self.params.to_vec(), results: self.results.to_vec() }
    }

    /// Calls the implementation after checking that `args` has room for
    /// every parameter and result (a short slice is a host error, not a
    /// panic).
    pub fn invoke(&self, state: &mut S, memory: &mut [u8], args: &mut [ValRaw]) -> Result<(), Trap> {
        let need = self.params.len().max(self.results.len());
        if args.len() < need {
            return Err(Trap::host(format!(
                "{}.{} called with {} value slots, needs {}",
                self.module,
                self.name,
                args.len(),
                need
            )));
        }
        (self.call)(state, memory, args)
    }
}

/// Finds a row by module and name.
pub fn lookup<'t, S>(table: &'t [HostFunc<S>], module: &str, name: &str) -> Option<&'t HostFunc<S>> {
    table.iter().find(|f| f.module == module && f.name == name)
}

/// Writes the errno of a WASI call (`Success` for `Ok`) into the result
/// slot; used by the `host_functions!` macro.
#[doc(hidden)]
pub fn store_errno(args: &mut [ValRaw], r: Result<(), crate::wasi::Errno>) -> Result<(), Trap> {
    let errno = r.err().unwrap_or(crate::wasi::Errno::Success);
    match args.first_mut() {
        Some(slot) => {
            *slot = ValRaw::i32(i32::from(errno.code()));
            Ok(())
        }
        None => Err(Trap::host("no result slot")),
    }
}

/// Writes an `i32` result into the result slot; used by the
/// `host_functions!` macro for `-> i32_or_trap` rows.
#[doc(hidden)]
pub fn store_i32(args: &mut [ValRaw], v: i32) -> Result<(), Trap> {
    match args.first_mut() {
        Some(slot) => {
            *slot = ValRaw::i32(v);
            Ok(())
        }
        None => Err(Trap::host("no result slot")),
    }
}

/// The trap of a failed `-> i32_or_trap` / `-> unit_or_trap` row: the
/// error's message prefixed with the import's `module.name`, so the guest's
/// backtrace says which host call refused what.
#[doc(hidden)]
pub fn named_trap(module: &str, name: &str, e: &dyn std::fmt::Display) -> Trap {
    Trap::host(format!("{module}.{name}: {e}"))
}

/// Maps a Rust parameter type of a table row to its wasm type and raw
/// decoding; used by the `host_functions!` macro.
pub trait WasmParam: Sized {
    const TYPE: ValType;
    fn from_raw(v: ValRaw) -> Self;
}

impl WasmParam for u32 {
    const TYPE: ValType = ValType::I32;
    fn from_raw(v: ValRaw) -> Self {
        v.get_u32()
    }
}

impl WasmParam for u64 {
    const TYPE: ValType = ValType::I64;
    fn from_raw(v: ValRaw) -> Self {
        v.get_u64()
    }
}

/// Declares a table of host functions over a state type.
///
/// ```text
/// host_functions! {
///     pub fn table<S: MyView>() for "my_module" {
///         // (params) -> errno: the implementation returns Result<(), Errno>,
///         // the wasm function returns the errno as i32.
///         fn do_thing(a: u32, b: u64) -> errno = implementation_fn;
///         // -> never: the implementation returns a Trap (e.g. proc_exit).
///         fn stop(code: u32) -> never = stop_fn;
///         // -> errno_or_trap: Result<Result<(), Errno>, Trap>.
///         fn maybe_stop(sig: u32) -> errno_or_trap = maybe_stop_fn;
///         // -> i32_or_trap: Result<i32, E: Display>; an error traps the
///         // call with "module.name: message" (the Faasm host interface,
///         // whose functions have no errno to return).
///         fn count(key: u32) -> i32_or_trap = count_fn;
///         // -> unit_or_trap: Result<(), E: Display>, no wasm result.
///         fn put(key: u32) -> unit_or_trap = put_fn;
///     }
/// }
/// ```
/// Implementations take `(&mut WasiCtx-like state, &mut GuestMemory, params...)`;
/// the state is obtained through the view trait's accessor named in
/// `via`.
#[macro_export]
macro_rules! host_functions {
    (
        $(#[$meta:meta])*
        $vis:vis fn $table:ident<S: $view:path>() for $module:literal via $access:ident {
            $( fn $name:ident( $($arg:ident : $ty:ident),* ) -> $kind:ident = $imp:path; )*
        }
    ) => {
        $(#[$meta])*
        $vis fn $table<S: $view>() -> ::std::vec::Vec<$crate::HostFunc<S>> {
            ::std::vec![ $(
                $crate::HostFunc {
                    module: $module,
                    name: ::core::stringify!($name),
                    params: &[ $( <$ty as $crate::table::WasmParam>::TYPE ),* ],
                    results: $crate::host_functions!(@results $kind),
                    call: {
                        #[allow(unused_variables, unused_mut, unused_assignments)]
                        fn adapter<S: $view>(
                            state: &mut S,
                            memory: &mut [u8],
                            args: &mut [::engine::ValRaw],
                        ) -> ::core::result::Result<(), ::engine::Trap> {
                            let mut slot = 0usize;
                            $(
                                let $arg: $ty = <$ty as $crate::table::WasmParam>::from_raw(
                                    args.get(slot).copied().unwrap_or_default(),
                                );
                                slot += 1;
                            )*
                            let mut mem = $crate::GuestMemory::new(memory);
                            $crate::host_functions!(@call $kind, $imp, state.$access(), &mut mem, args, $($arg),*; $module, $name)
                        }
                        adapter::<S>
                    },
                },
            )* ]
        }
    };
    (@results errno) => { &[::engine::ValType::I32] };
    (@results never) => { &[] };
    (@results errno_or_trap) => { &[::engine::ValType::I32] };
    (@results i32_or_trap) => { &[::engine::ValType::I32] };
    (@results unit_or_trap) => { &[] };
    (@call errno, $imp:path, $ctx:expr, $mem:expr, $args:ident, $($arg:ident),*; $m:literal, $n:ident) => {{
        $crate::table::store_errno($args, $imp($ctx, $mem, $($arg),*))
    }};
    (@call errno_or_trap, $imp:path, $ctx:expr, $mem:expr, $args:ident, $($arg:ident),*; $m:literal, $n:ident) => {{
        $crate::table::store_errno($args, $imp($ctx, $mem, $($arg),*)?)
    }};
    (@call never, $imp:path, $ctx:expr, $mem:expr, $args:ident, $($arg:ident),*; $m:literal, $n:ident) => {{
        Err($imp($ctx, $mem, $($arg),*))
    }};
    (@call i32_or_trap, $imp:path, $ctx:expr, $mem:expr, $args:ident, $($arg:ident),*; $m:literal, $n:ident) => {{
        match $imp($ctx, $mem, $($arg),*) {
            Ok(v) => $crate::table::store_i32($args, v),
            Err(e) => Err($crate::table::named_trap($m, ::core::stringify!($n), &e)),
        }
    }};
    (@call unit_or_trap, $imp:path, $ctx:expr, $mem:expr, $args:ident, $($arg:ident),*; $m:literal, $n:ident) => {{
        $imp($ctx, $mem, $($arg),*).map_err(|e| $crate::table::named_trap($m, ::core::stringify!($n), &e))
    }};
}

/// Defines every row of `funcs` in `linker`, all acting on the one shared
/// `state`. Each call locks the state for its duration (the guest is
/// single-threaded, so the lock is never contended; it is what lets host
/// functions be `Send + Sync` as the engine requires).
pub fn link<S: Send + 'static>(linker: &mut engine::Linker, funcs: &[HostFunc<S>], state: &std::sync::Arc<std::sync::Mutex<S>>) {
    for f in funcs {
        let f = *f;
        let st = std::sync::Arc::clone(state);
        linker.func_raw(f.module, f.name, f.ty(), move |caller, args| {
            let mut guard =
                st.lock().map_err(|_| Trap::host(format!("{}.{}: host state poisoned by an earlier panic", f.module, f.name)))?;
            // A caller without memory sees an empty one: every pointer it
            // passes is then EFAULT.
            let memory: &mut [u8] = caller.memory().unwrap_or_default();
            f.invoke(&mut guard, memory, args)
        });
    }
}
