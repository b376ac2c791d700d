//! The C boundary between the Tenantry server and its plugins. Types and function signatures
//! only: what crosses is bytes of JSON, in [`Buffer`]s that the side which allocated them frees.
//!
//! A plugin library exports two symbols:
//! - [`ABI_VERSION_SYMBOL`]: `extern "C" fn() -> u32`, which the host calls before anything else
//!   and compares with [`ABI_VERSION`];
//! - [`REGISTER_SYMBOL`]: [`RegisterFn`], which takes the host's [`HostTable`] and returns the
//!   plugin's [`PluginTable`].
//!
//! Every call after that is `invoke(context, request)`: a JSON request in, a JSON answer out
//! (see `tenantry-plugin-api` for the messages). During a call the plugin may call back into
//! the host with `host.call(context, request)`, passing back the context it was given, so that
//! its reads and writes run in the host's current transaction.

#![allow(unsafe_code)]

use std::ffi::c_void;

/// Bumped whenever anything in this crate, or the meaning of a message, changes incompatibly.
/// 2: the tables' function pointers are nullable (each side checks the other's before use), and
/// a message of a kind the receiver does not know answers the error code `unsupported`.
pub const ABI_VERSION: u32 = 2;

/// `extern "C" fn() -> u32`: the plugin's ABI version.
pub const ABI_VERSION_SYMBOL: &[u8] = b"tenantry_plugin_abi_version";
/// [`RegisterFn`].
pub const REGISTER_SYMBOL: &[u8] = b"tenantry_plugin_register";

pub type AbiVersionFn = unsafe extern "C" fn() -> u32;
pub type RegisterFn = unsafe extern "C" fn(host: *const HostTable) -> PluginTable;

/// Bytes handed across the boundary. Whoever allocated them frees them, through the `free`
/// function of its own table: the host's buffers with [`HostTable::free`], the plugin's with
/// [`PluginTable::free`].
#[repr(C)]
#[derive(Debug)]
pub struct Buffer {
    pub ptr: *mut u8,
    pub len: usize,
    pub capacity: usize,
}

impl Buffer {
    pub const EMPTY: Buffer = Buffer {
        ptr: std::ptr::null_mut(),
        len: 0,
        capacity: 0,
    };

    /// Hands a vector's memory over (to be taken back with [`Buffer::into_vec`] on the same side).
    pub fn from_vec(bytes: Vec<u8>) -> Buffer {
        let mut bytes = std::mem::ManuallyDrop::new(bytes);
        Buffer {
            ptr: bytes.as_mut_ptr(),
            len: bytes.len(),
            capacity: bytes.capacity(),
        }
    }

    /// Takes back a buffer made by [`Buffer::from_vec`] on this side of the boundary.
    ///
    /// # Safety
    /// `self` must come from `Buffer::from_vec` in the same library (same allocator), once.
    pub unsafe fn into_vec(self) -> Vec<u8> {
        if self.ptr.is_null() {
            return Vec::new();
        }
        // SAFETY: the caller guarantees the buffer is a vector of this allocator, taken once.
        unsafe { Vec::from_raw_parts(self.ptr, self.len, self.capacity) }
    }

    /// The bytes, borrowed (the owner frees them later).
    ///
    /// # Safety
    /// `self` must point at `len` readable bytes for the borrow's lifetime.
    pub unsafe fn as_slice(&self) -> &[u8] {
        if self.ptr.is_null() {
            return &[];
        }
        // SAFETY: the caller guarantees ptr/len describe live bytes.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

/// Status of an `invoke` or `call`: the answer buffer holds JSON either way.
pub const STATUS_OK: i32 = 0;
/// The answer holds `{"code": …, "message": …}`.
pub const STATUS_ERROR: i32 = 1;
/// The callee panicked; the answer holds a message, if it could make one.
pub const STATUS_PANIC: i32 = 2;

/// Log levels of [`HostTable::log`], as the `log` crate numbers them.
pub const LOG_ERROR: u32 = 1;
pub const LOG_WARN: u32 = 2;
pub const LOG_INFO: u32 = 3;
pub const LOG_DEBUG: u32 = 4;
pub const LOG_TRACE: u32 = 5;

/// `log` of [`HostTable`].
pub type LogFn = unsafe extern "C" fn(
    level: u32,
    plugin: *const u8,
    plugin_len: usize,
    message: *const u8,
    message_len: usize,
);

/// `call` of [`HostTable`] and `invoke` of [`PluginTable`]: a JSON request in, a status and a
/// JSON answer out.
pub type CallFn = unsafe extern "C" fn(
    context: *mut c_void,
    request: *const u8,
    request_len: usize,
    answer: *mut Buffer,
) -> i32;

/// `free` of either table.
pub type FreeFn = unsafe extern "C" fn(buffer: Buffer);

/// What the host offers a plugin. The function pointers are `Option`s (null-pointer optimised,
/// so the layout is a plain C pointer): whoever receives a table checks each before use, and a
/// null one is an error, never a jump to address zero.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct HostTable {
    pub abi_version: u32,
    /// Writes a line into the host's log under the plugin's name.
    pub log: Option<LogFn>,
    /// A host service (store, group queries) for the call in progress identified by `context`.
    /// Writes the answer into `answer` (freed with `free`) and returns a status.
    pub call: Option<CallFn>,
    /// Frees a buffer the host allocated.
    pub free: Option<FreeFn>,
}

/// What a plugin offers the host.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct PluginTable {
    pub abi_version: u32,
    /// Handles one message (manifest, hook, HTTP request). `context` is the host's, to be passed
    /// back in `HostTable::call`; the answer goes into `answer` (freed with `free`).
    pub invoke: Option<CallFn>,
    /// Frees a buffer the plugin allocated.
    pub free: Option<FreeFn>,
}
