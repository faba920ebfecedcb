//! Static-file path normalisation: whatever the (still percent-encoded) path, an accepted one has only normal
//! components, no separator or NUL inside one, and no dotfile unless dotfiles are shown.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    micro_http_core::static_files::fuzz_resolve(data);
});
