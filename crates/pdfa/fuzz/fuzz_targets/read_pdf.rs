//! Whatever bytes arrive, the checker and the native route answer without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sceau_pdfa::sniff(data);
    let _ = sceau_pdfa::check_pdfa1b(data);
    if let Ok(out) = sceau_pdfa::convert_native(data) {
        // What the native route writes, its own checker must be able to read.
        let _ = sceau_pdfa::check_pdfa1b(&out);
    }
});
