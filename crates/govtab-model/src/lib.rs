//! govtab's data model: every artifact that flows between stages.
//!
//! The pipeline is `extract → realign → match → assemble`; each stage is a pure
//! function from one of these artifacts to the next, and every artifact is a
//! serde type so that a stage can be rerun alone on a saved JSON file:
//!
//! | stage      | in                   | out                  |
//! |------------|----------------------|----------------------|
//! | extract    | input bytes          | [`Document`]         |
//! | realign    | [`Document`]         | [`FormSet`] (`stage = "realign"`) |
//! | match      | [`FormSet`]          | [`FormSet`] (`stage = "match"`)   |
//! | assemble   | [`FormSet`]          | [`RecordSet`]        |
//!
//! [`Repair`] and [`Flag`] travel with every artifact so nothing a stage changes
//! is hidden. Field paths in them use the record's own 0-based indices
//! (`indicators[3].target`, `funds[0].executed`, `attributes.项目类别`, `*`).
//!
//! The vocabulary and form layouts (`pipelines/*.toml`) are data, parsed by
//! [`vocab::Vocabulary`].

pub mod artifact;
pub mod hash;
pub mod record;
pub mod vocab;

pub use artifact::*;
pub use record::*;
pub use vocab::Vocabulary;

/// A pipeline stage: a pure function from one artifact to the next.
///
/// Implemented by each stage crate; the binary chains them and can run any
/// one alone on a saved artifact (`govtab stage NAME --in A --out B`).
pub trait Stage {
    type Input;
    type Output;
    /// Stage name as used in artifacts, repairs and file names.
    const NAME: &'static str;
    fn run(&self, input: Self::Input) -> Self::Output;
}
