//! The streaming `multipart/form-data` reader (`extract/multipart/reader.rs`) on arbitrary bodies.
//!
//! Input layout: `[piece size] [field limit] [body ...]`, boundary `XYZ`. The body is read whole and in pieces
//! of `(piece size % 64) + 1` bytes; both readings must give the same parts (heads and data) and end with the
//! same error, no field may get past the limit, and nothing may panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| micro_http_core::extract::fuzz_multipart(data));
