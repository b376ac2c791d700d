//! The host's side of the C boundary: calling into plugin libraries. One of the few modules that may hold
//! unsafe code (`.ci/architecture` checks which).
#![allow(unsafe_code)]

use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};

use tenantry_plugin_abi::{
    ABI_VERSION, Buffer, HostTable, PluginTable, STATUS_ERROR, STATUS_OK, STATUS_PANIC,
};
use tenantry_plugin_api::{HostAnswer, HostRequest, PluginError, Request};

use crate::load::LoadedPlugin;

/// What the host does for a plugin during one call (the server implements it over storage,
/// bound to the call's transaction and the groups the call may touch).
pub trait HostServices {
    fn call(&mut self, plugin: &str, request: HostRequest) -> Result<HostAnswer, PluginError>;
}

/// Services for calls that may not use any (the manifest at load time).
pub(crate) struct NoServices;

impl HostServices for NoServices {
    fn call(&mut self, _: &str, _: HostRequest) -> Result<HostAnswer, PluginError> {
        Err(PluginError::internal("no host services during this call"))
    }
}

/// How a call into a plugin failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Failure {
    /// The plugin answered an error (a refusal, a validation error, …).
    #[error("{0}")]
    Error(PluginError),
    /// The plugin panicked; the host caught it at the boundary.
    #[error("the plugin panicked: {0}")]
    Panic(String),
    /// The answer was not what the protocol says.
    #[error("the plugin answered something unreadable: {0}")]
    Garbled(String),
    /// A host service failed during the call (the plugin may have carried on regardless).
    #[error("a host service failed during the call: {0}")]
    Host(String),
}

/// What the host's callbacks receive as `context`: the services of the call in progress.
struct CallContext<'a> {
    plugin: &'a str,
    services: &'a mut dyn HostServices,
}

pub(crate) static HOST_TABLE: HostTable = HostTable {
    abi_version: ABI_VERSION,
    log: Some(host_log),
    call: Some(host_call),
    free: Some(host_free),
};

impl LoadedPlugin {
    /// Sends one message and returns the answer's JSON bytes.
    pub fn invoke(
        &self,
        request: &Request,
        services: &mut dyn HostServices,
    ) -> Result<Vec<u8>, Failure> {
        invoke(&self.table, &self.manifest.name, request, services)
    }

    /// Sends a message already encoded as the JSON of a [`Request`] (a hook's payload is built
    /// once for every plugin that asked for it).
    pub fn invoke_encoded(
        &self,
        request: &[u8],
        services: &mut dyn HostServices,
    ) -> Result<Vec<u8>, Failure> {
        invoke_bytes(&self.table, &self.manifest.name, request, services)
    }
}

pub(crate) fn invoke(
    table: &PluginTable,
    plugin: &str,
    request: &Request,
    services: &mut dyn HostServices,
) -> Result<Vec<u8>, Failure> {
    let bytes = serde_json::to_vec(request).map_err(|e| Failure::Garbled(e.to_string()))?;
    invoke_bytes(table, plugin, &bytes, services)
}

fn invoke_bytes(
    table: &PluginTable,
    plugin: &str,
    bytes: &[u8],
    services: &mut dyn HostServices,
) -> Result<Vec<u8>, Failure> {
    // Checked when the plugin loaded; checked again rather than trusted.
    let (Some(call), Some(free)) = (table.invoke, table.free) else {
        return Err(Failure::Garbled(
            "the plugin's table lacks a function".to_owned(),
        ));
    };
    let mut context = CallContext { plugin, services };
    let mut answer = Buffer::EMPTY;
    // SAFETY: the table comes from a verified plugin of this ABI version; the request bytes and
    // the context live across the call; the answer is the plugin's and goes back to its `free`.
    let (status, text) = unsafe {
        let status = call(
            (&mut context as *mut CallContext<'_>).cast::<c_void>(),
            bytes.as_ptr(),
            bytes.len(),
            &mut answer,
        );
        let text = answer.as_slice().to_vec();
        free(answer);
        (status, text)
    };
    match status {
        STATUS_OK => Ok(text),
        STATUS_ERROR => Err(serde_json::from_slice(&text)
            .map(Failure::Error)
            .unwrap_or_else(|e| Failure::Garbled(e.to_string()))),
        STATUS_PANIC => Err(Failure::Panic(
            serde_json::from_slice::<PluginError>(&text)
                .map(|e| e.message)
                .unwrap_or_else(|_| "no message".to_owned()),
        )),
        other => Err(Failure::Garbled(format!("status {other}"))),
    }
}

unsafe extern "C" fn host_log(
    level: u32,
    plugin: *const u8,
    plugin_len: usize,
    message: *const u8,
    message_len: usize,
) {
    let text = |ptr: *const u8, len: usize| {
        if ptr.is_null() {
            return String::new();
        }
        // SAFETY: the plugin passes len readable bytes for the duration of the call.
        String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(ptr, len) }).into_owned()
    };
    let level = match level {
        1 => log::Level::Error,
        2 => log::Level::Warn,
        3 => log::Level::Info,
        4 => log::Level::Debug,
        _ => log::Level::Trace,
    };
    // The host's logger must not unwind into the plugin that called it.
    let _ = catch_unwind(AssertUnwindSafe(|| {
        log::log!(target: "tenantry::plugin", level, "[{}] {}", text(plugin, plugin_len), text(message, message_len));
    }));
}

unsafe extern "C" fn host_call(
    context: *mut c_void,
    request: *const u8,
    request_len: usize,
    answer: *mut Buffer,
) -> i32 {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        if context.is_null() || request.is_null() {
            return Err(PluginError::internal("no call in progress"));
        }
        // SAFETY: `context` is the CallContext this host passed to `invoke`, still on its stack
        // (the plugin calls back synchronously, during that invoke).
        let context = unsafe { &mut *context.cast::<CallContext<'_>>() };
        // SAFETY: the plugin passes request_len readable bytes for the duration of the call.
        let bytes = unsafe { std::slice::from_raw_parts(request, request_len) };
        let request: HostRequest = serde_json::from_slice(bytes)
            .map_err(|e| PluginError::internal(format!("unreadable host request: {e}")))?;
        context.services.call(context.plugin, request)
    }));
    let (status, body) = match outcome {
        Ok(Ok(value)) => (STATUS_OK, serde_json::to_vec(&value)),
        Ok(Err(error)) => (STATUS_ERROR, serde_json::to_vec(&error)),
        Err(_) => (
            STATUS_ERROR,
            serde_json::to_vec(&PluginError::internal("the host failed")),
        ),
    };
    if !answer.is_null() {
        // SAFETY: the plugin passes a valid place for the answer, freed with host_free.
        unsafe { *answer = Buffer::from_vec(body.unwrap_or_else(|_| b"{}".to_vec())) };
    }
    status
}

unsafe extern "C" fn host_free(buffer: Buffer) {
    // SAFETY: plugins hand back only buffers this host made in host_call.
    drop(unsafe { buffer.into_vec() });
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nothing;

    impl HostServices for Nothing {
        fn call(&mut self, _: &str, _: HostRequest) -> Result<HostAnswer, PluginError> {
            Err(PluginError::internal("no services"))
        }
    }

    #[test]
    fn a_table_without_its_functions_is_never_called() {
        let table = PluginTable {
            abi_version: ABI_VERSION,
            invoke: None,
            free: None,
        };
        let failure = invoke(&table, "hollow", &Request::Manifest, &mut Nothing).unwrap_err();
        assert!(matches!(failure, Failure::Garbled(_)), "{failure:?}");
    }
}
