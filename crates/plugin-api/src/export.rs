//! The unsafe glue behind `export_plugin!`: the C entry points, the buffers, `catch_unwind`, the
//! calls back into the host, and the log forwarder. Plugin authors never touch this. The one
//! module of this crate that may hold unsafe code (`.ci/architecture` checks).
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use tenantry_plugin_abi::{
    ABI_VERSION, Buffer, HostTable, PluginTable, STATUS_ERROR, STATUS_OK, STATUS_PANIC,
};

use crate::Plugin;
use crate::host::Host;
use crate::messages::{PluginError, Request};

static PLUGIN: OnceLock<Box<dyn Plugin>> = OnceLock::new();
static HOST: OnceLock<HostTable> = OnceLock::new();
static NAME: OnceLock<String> = OnceLock::new();

/// Keeps the host's table and makes the plugin.
///
/// # Safety
/// `host` must point at a valid host table.
pub unsafe fn register(host: *const HostTable, make: fn() -> Box<dyn Plugin>) -> PluginTable {
    if !host.is_null() {
        // SAFETY: non-null, and the caller guarantees it is a valid table. Its version is read
        // first: a host of another ABI is never called (every call then answers an error).
        let table = unsafe { *host };
        if table.abi_version == ABI_VERSION {
            let _ = HOST.set(table);
        }
    }
    // Nothing may unwind out of here: a constructor or manifest that panics leaves the plugin
    // unset, and every call then answers an error (the host stops start-up on it).
    let _ = catch_unwind(|| {
        let plugin = make();
        let name = plugin.manifest().name;
        let _ = NAME.set(name);
        let _ = PLUGIN.set(plugin);
        let _ = log::set_logger(&FORWARDER).map(|()| log::set_max_level(log::LevelFilter::Info));
    });
    PluginTable {
        abi_version: ABI_VERSION,
        invoke: Some(invoke),
        free: Some(free),
    }
}

unsafe extern "C" fn free(buffer: Buffer) {
    // SAFETY: the host hands back only buffers this library made with Buffer::from_vec.
    drop(unsafe { buffer.into_vec() });
}

unsafe extern "C" fn invoke(
    context: *mut c_void,
    request: *const u8,
    request_len: usize,
    answer: *mut Buffer,
) -> i32 {
    let bytes = if request.is_null() {
        Vec::new()
    } else {
        // SAFETY: the host passes request_len readable bytes for the duration of the call.
        unsafe { std::slice::from_raw_parts(request, request_len) }.to_vec()
    };
    let outcome = catch_unwind(AssertUnwindSafe(|| handle(context, &bytes)));
    let (status, body) = match outcome {
        Ok(Ok(body)) => (STATUS_OK, body),
        Ok(Err(error)) => (STATUS_ERROR, to_json(&error)),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "the plugin panicked".to_owned());
            // Even dropping the payload runs plugin code (its Drop): kept inside the net.
            let _ = catch_unwind(AssertUnwindSafe(move || drop(panic)));
            (STATUS_PANIC, to_json(&PluginError::internal(message)))
        }
    };
    if !answer.is_null() {
        // SAFETY: the host passes a valid place for the answer.
        unsafe { *answer = Buffer::from_vec(body) };
    }
    status
}

fn to_json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec())
}

fn handle(context: *mut c_void, bytes: &[u8]) -> Result<Vec<u8>, PluginError> {
    let plugin = PLUGIN
        .get()
        .ok_or_else(|| PluginError::internal("the plugin failed to start"))?;
    let table = HOST.get().copied().ok_or_else(|| {
        PluginError::internal(format!(
            "no host table of ABI version {ABI_VERSION} (this plugin's)"
        ))
    })?;
    let host = Host { table, context };
    let request: Request = serde_json::from_slice(bytes)
        .map_err(|e| PluginError::internal(format!("unreadable request: {e}")))?;
    match request {
        Request::Manifest => Ok(to_json(&plugin.manifest())),
        Request::Hook(call) => plugin.hook(&host, &call).map(|()| b"{}".to_vec()),
        Request::Http(http) => plugin.http(&host, &http).map(|answer| to_json(&answer)),
        Request::Tick(call) => plugin.tick(&host, &call).map(|answer| to_json(&answer)),
        Request::Theme(call) => plugin.theme(&host, &call).map(|theme| to_json(&theme)),
        // A newer host's message: said so, and the host carries on without this plugin's part.
        Request::Unsupported => Err(PluginError::unsupported("this kind of request")),
    }
}

/// One call into the host's services: its status and answer bytes.
pub(crate) fn call_host(
    table: &HostTable,
    context: *mut c_void,
    request: &[u8],
) -> Result<(i32, Vec<u8>), PluginError> {
    let (Some(call), Some(free)) = (table.call, table.free) else {
        return Err(PluginError::internal(
            "the host's table lacks `call` or `free`",
        ));
    };
    let mut answer = Buffer::EMPTY;
    // SAFETY: the table and context come from the host for this very call; the request bytes
    // live across the call; the answer is the host's, given back to the host's `free`.
    Ok(unsafe {
        let status = call(context, request.as_ptr(), request.len(), &mut answer);
        let text = answer.as_slice().to_vec();
        free(answer);
        (status, text)
    })
}

/// Sends the plugin's `log` records to the host's log, under the plugin's name.
struct Forwarder;

static FORWARDER: Forwarder = Forwarder;

impl log::Log for Forwarder {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Info
    }

    fn log(&self, record: &log::Record<'_>) {
        let (Some(host), Some(name)) = (HOST.get(), NAME.get()) else {
            return;
        };
        // Formatting runs the plugin's own Display code: a panic there must not unwind into
        // whatever called `log!` across the boundary.
        let Ok(message) = catch_unwind(AssertUnwindSafe(|| record.args().to_string())) else {
            return;
        };
        let Some(log) = host.log else {
            return;
        };
        // SAFETY: the host's log function reads both byte ranges during the call only (and
        // catches its own panics).
        unsafe {
            log(
                record.level() as u32,
                name.as_ptr(),
                name.len(),
                message.as_ptr(),
                message.len(),
            )
        };
    }

    fn flush(&self) {}
}
