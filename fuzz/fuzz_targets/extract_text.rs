//! Text dumps: any bytes named `.txt` (UTF-8, UTF-16, GBK detection, cell
//! splitting). The extract stage must return a Document or an error, never
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A leading "%PDF-" would take the PDF path; that is extract_pdf's job.
    let _ = govtab_extract::extract_bytes(std::path::Path::new("fuzz.txt"), data);
});
