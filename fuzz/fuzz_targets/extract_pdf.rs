//! PDFs: any bytes behind a `%PDF-` header, named `.pdf` (lopdf parsing,
//! pdf-extract, ToUnicode maps, rules, raster scans). The extract stage must
//! return a Document or an error, never panic.
//!
//! Seed the corpus with the sample PDFs for useful coverage:
//!     mkdir -p corpus/extract_pdf && cp ../samples/pdf/*.pdf corpus/extract_pdf/
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut bytes = Vec::with_capacity(data.len() + 9);
    if !data.starts_with(b"%PDF-") {
        bytes.extend_from_slice(b"%PDF-1.7\n");
    }
    bytes.extend_from_slice(data);
    let _ = govtab_extract::extract_bytes(std::path::Path::new("fuzz.pdf"), &bytes);
});
