//! Stage 3, **match**: [`FormSet`] → [`FormSet`] with canonical names.
//! (Work in progress: structure only.)

use govtab_model::{FormSet, Stage, Vocabulary};

pub fn match_forms(mut set: FormSet, _vocab: &Vocabulary) -> FormSet {
    set.stage = "match".into();
    set
}

pub struct Match<'v>(pub &'v Vocabulary);

impl Stage for Match<'_> {
    type Input = FormSet;
    type Output = FormSet;
    const NAME: &'static str = "match";
    fn run(&self, input: FormSet) -> FormSet {
        match_forms(input, self.0)
    }
}
