//! `govtab merge SHARD_DIR... --out DIR`: join the outputs of
//! `govtab run --shard K/N` into the tables one run over the whole batch
//! writes, byte for byte.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Result};

use crate::batch::{self, IndexHeader};
use crate::cli::MergeArgs;
use crate::output::Outputs;

pub fn merge(args: &MergeArgs) -> Result<ExitCode> {
    let mut first: Option<(PathBuf, IndexHeader)> = None;
    let mut seen_shards: Vec<Option<PathBuf>> = Vec::new();
    // (position in the batch, shard dir, key, path)
    let mut entries: Vec<(usize, &Path, String, String)> = Vec::new();
    for dir in &args.shards {
        let (header, list) = batch::read_index(dir)?;
        let Some(shard) = header.shard else {
            bail!("{} is the output of a run without --shard; merge joins the shards of one `govtab run --shard K/N` batch", dir.display());
        };
        match &first {
            None => {
                seen_shards = vec![None; shard.n as usize];
                first = Some((dir.clone(), header.clone()));
            }
            Some((first_dir, h)) => {
                let same = h.total == header.total && h.list == header.list && h.shard.map(|s| s.n) == Some(shard.n);
                if !same {
                    bail!(
                        "{} and {} are shards of different batches (other inputs or another shard count); run every shard with the same inputs and N",
                        first_dir.display(),
                        dir.display()
                    );
                }
            }
        }
        let slot = seen_shards.get_mut(shard.k as usize);
        match slot {
            Some(Some(other)) => bail!("shard {shard} given twice: {} and {}", other.display(), dir.display()),
            Some(s) => *s = Some(dir.clone()),
            None => bail!("{}: shard {shard} is out of range", dir.display()),
        }
        entries.extend(list.into_iter().map(|e| (e.pos, dir.as_path(), e.key, e.path)));
    }
    let Some((_, header)) = first else { bail!("no shard directories given") };
    let missing: Vec<String> =
        seen_shards.iter().enumerate().filter(|(_, s)| s.is_none()).map(|(k, _)| format!("{k}/{}", seen_shards.len())).collect();
    if !missing.is_empty() {
        bail!("shard(s) {} missing: give the output directory of every shard", missing.join(", "));
    }
    entries.sort_by_key(|e| e.0);
    if let Some(w) = entries.windows(2).find(|w| w[0].0 == w[1].0) {
        bail!("input {} ({}) appears in two shards: {} and {}", w[0].0, w[0].3, w[0].1.display(), w[1].1.display());
    }
    if entries.len() != header.total {
        bail!("the shards hold {} inputs but the batch has {}", entries.len(), header.total);
    }

    let mut outputs = Outputs::create(&args.out)?;
    for (_, dir, key, path) in &entries {
        let part = batch::read_part(dir, key)?;
        if &part.path != path {
            bail!("{} belongs to {}, not {}", batch::part_path(dir, key).display(), part.path, path);
        }
        outputs.append(&part)?;
    }
    let totals = outputs.finish()?;
    eprintln!("govtab: merged {} shards", seen_shards.len());
    Ok(crate::cmd::run::summarize(entries.len(), &totals, &args.out))
}
