//! Stage 2, **realign**: [`Document`] → [`FormSet`].
//! (Work in progress: structure only.)

use govtab_model::{Document, FormSet, Stage, Vocabulary};

pub fn realign(doc: &Document, _vocab: &Vocabulary) -> FormSet {
    FormSet { doc: doc.doc.clone(), path: doc.path.clone(), source: doc.source, stage: "realign".into(), forms: vec![], problems: doc.problems.clone() }
}

pub struct Realign<'v>(pub &'v Vocabulary);

impl Stage for Realign<'_> {
    type Input = Document;
    type Output = FormSet;
    const NAME: &'static str = "realign";
    fn run(&self, input: Document) -> FormSet {
        realign(&input, self.0)
    }
}
