//! Stage 4, **assemble**: [`FormSet`] → [`RecordSet`].
//! (Work in progress: structure only.)

use govtab_model::{FormSet, RecordSet, Stage, Vocabulary};

pub fn assemble(set: &FormSet, _vocab: &Vocabulary) -> RecordSet {
    RecordSet { doc: set.doc.clone(), path: set.path.clone(), records: vec![], problems: set.problems.clone() }
}

pub struct Assemble<'v>(pub &'v Vocabulary);

impl Stage for Assemble<'_> {
    type Input = FormSet;
    type Output = RecordSet;
    const NAME: &'static str = "assemble";
    fn run(&self, input: FormSet) -> RecordSet {
        assemble(&input, self.0)
    }
}
