//! Whole-output snapshots: the records (with repairs and flags) that the four
//! stages make of two seed dumps. A change in any stage that alters a record
//! shows up here as a reviewable diff (`cargo insta review`).

use std::path::PathBuf;

use govtab_model::Vocabulary;

fn records_of(seed: &str) -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../samples/seeds").join(seed);
    let vocab = Vocabulary::builtin();
    let doc = govtab_extract::extract_path(&path).expect("seed reads");
    let set = govtab_realign::realign(&doc, &vocab);
    let set = govtab_match::match_forms(set, &vocab);
    let rs = govtab_assemble::assemble(&set, &vocab);
    serde_json::to_value(&rs.records).expect("records serialise")
}

#[test]
fn seed_000_records() {
    insta::assert_json_snapshot!(records_of("000_16e961fe39d33cb9.txt"));
}

#[test]
fn seed_002_records() {
    insta::assert_json_snapshot!(records_of("002_5c9dd2b99f62a0b4.txt"));
}
