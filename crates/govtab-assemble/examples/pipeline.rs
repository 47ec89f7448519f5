//! Developer aid: run the four stages over files and print records.jsonl.
//! `cargo run -p govtab-assemble --example pipeline -- FILE...`
fn main() {
    let vocab = govtab_model::Vocabulary::builtin();
    for a in std::env::args().skip(1) {
        let doc = match govtab_extract::extract_path(std::path::Path::new(&a)) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("{a}: {e}");
                continue;
            }
        };
        let set = govtab_realign::realign(&doc, &vocab);
        let set = govtab_match::match_forms(set, &vocab);
        let rs = govtab_assemble::assemble(&set, &vocab);
        for r in rs.records {
            println!("{}", serde_json::to_string(&r).unwrap_or_default());
        }
    }
}
