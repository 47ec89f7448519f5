//! `govtab stage NAME --in FILE --out FILE`: run one stage on one artifact.

use std::process::ExitCode;

use anyhow::{anyhow, bail, Result};

use crate::artifact_io::{read_document, read_formset, write_text};
use crate::cli::{StageArgs, EXIT_OK};
use crate::pipeline::{self, StageName, Start};

pub fn stage(args: &StageArgs) -> Result<ExitCode> {
    let vocab = args.vocab.load()?;
    let input = &args.input;
    let name = args.stage.as_str();
    let start = match args.stage {
        StageName::Extract => Start::Input(input.clone()),
        StageName::Realign => Start::Document(read_document(input, name)?),
        StageName::Match => Start::Realigned(read_formset(input, name)?),
        StageName::Assemble => {
            let set = read_formset(input, name)?;
            if set.stage == "realign" {
                eprintln!("govtab: note: {} is realign output; assemble normally reads match output", input.display());
            }
            Start::Matched(set)
        }
    };
    let (trace, result) = pipeline::process(start, &vocab, false, Some(args.stage));
    if let Err(failure) = result {
        bail!("{}: {failure}", input.display());
    }
    let json = trace
        .artifact_json(args.stage)
        .ok_or_else(|| anyhow!("{}: the {name} stage produced no artifact", input.display()))??;
    write_text(&args.out, &json)?;
    for p in &trace.problems {
        let page = p.page.map(|n| format!("page {n}: ")).unwrap_or_default();
        eprintln!("govtab: warning: {}: {page}{}: {}", input.display(), p.stage, p.message);
    }
    Ok(ExitCode::from(EXIT_OK))
}
