//! Which files `govtab run` converts: the INPUT arguments, with directories
//! walked recursively in sorted order.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// One input to convert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    File(PathBuf),
    /// A named path or directory entry that could not be read at all.
    Unreadable { path: PathBuf, reason: String },
}

impl Input {
    pub fn path(&self) -> &Path {
        match self {
            Input::File(p) => p,
            Input::Unreadable { path, .. } => path,
        }
    }
}

/// The inputs found, in order, and what the walk left out.
#[derive(Debug, Default)]
pub struct Found {
    pub inputs: Vec<Input>,
    /// Data and documentation files (.json, .jsonl, .csv, .md) met while walking a directory.
    pub skipped_data: Vec<PathBuf>,
    /// Files reached twice (named twice, or named and inside a named directory).
    pub duplicates: usize,
}

/// Extensions of govtab's own outputs, gold data and READMEs: not documents, so a
/// directory walk leaves them out (a file named on the command line is kept).
const DATA_EXTENSIONS: [&str; 4] = ["json", "jsonl", "csv", "md"];

fn is_hidden(path: &Path) -> bool {
    path.file_name().map(|n| n.to_string_lossy().starts_with('.')).unwrap_or(false)
}

fn is_data(path: &Path) -> bool {
    path.extension().map(|e| DATA_EXTENSIONS.iter().any(|d| e.eq_ignore_ascii_case(d))).unwrap_or(false)
}

/// Collect the inputs named by `args`, in argument order; a directory
/// contributes its files recursively in sorted path order, leaving out hidden
/// entries, data files and `exclude` (the output directory).
pub fn collect(args: &[PathBuf], exclude: Option<&Path>) -> Found {
    let exclude = exclude.and_then(|p| p.canonicalize().ok());
    let mut found = Found::default();
    let mut seen = HashSet::new();
    for arg in args {
        match std::fs::metadata(arg) {
            Err(e) => found.inputs.push(Input::Unreadable { path: arg.clone(), reason: format!("cannot read: {e}") }),
            Ok(m) if m.is_dir() => {
                let mut visited = HashSet::new();
                walk(arg, exclude.as_deref(), &mut visited, &mut seen, &mut found);
            }
            Ok(_) => push_file(arg.clone(), &mut seen, &mut found),
        }
    }
    found
}

fn push_file(path: PathBuf, seen: &mut HashSet<PathBuf>, found: &mut Found) {
    let key = path.canonicalize().unwrap_or_else(|_| path.clone());
    if seen.insert(key) {
        found.inputs.push(Input::File(path));
    } else {
        found.duplicates += 1;
    }
}

fn walk(dir: &Path, exclude: Option<&Path>, visited: &mut HashSet<PathBuf>, seen: &mut HashSet<PathBuf>, found: &mut Found) {
    let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    if Some(canonical.as_path()) == exclude || !visited.insert(canonical) {
        return; // the output directory, or a symlink loop
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(rd) => rd.map(|e| e.map(|e| e.path())).collect::<Result<Vec<_>, _>>(),
        Err(e) => Err(e),
    };
    let mut entries = match entries {
        Ok(entries) => entries,
        Err(e) => {
            found.inputs.push(Input::Unreadable { path: dir.to_path_buf(), reason: format!("cannot read directory: {e}") });
            return;
        }
    };
    entries.sort();
    for path in entries {
        if is_hidden(&path) {
            continue;
        }
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => walk(&path, exclude, visited, seen, found),
            Ok(_) if is_data(&path) => found.skipped_data.push(path),
            Ok(_) => push_file(path, seen, found),
            // A dangling symlink or an entry that vanished: still an input.
            Err(e) => found.inputs.push(Input::Unreadable { path, reason: format!("cannot read: {e}") }),
        }
    }
}

/// The paths listed in a manifest file: one per line, blank lines and lines
/// starting with `#` skipped, surrounding whitespace trimmed (a trailing `\r`
/// too).
pub fn read_manifest(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    use anyhow::Context;
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read manifest {}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(PathBuf::from)
        .collect())
}

/// Names for each input's artifact directory: the document name, with `-2`,
/// `-3`, ... when two inputs share a base name.
pub fn artifact_dirs(inputs: &[Input]) -> Vec<String> {
    let mut used = HashSet::new();
    inputs
        .iter()
        .map(|input| {
            let base = govtab_extract::doc_name(input.path());
            let mut name = base.clone();
            let mut n = 1;
            while !used.insert(name.clone()) {
                n += 1;
                name = format!("{base}-{n}");
            }
            name
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_is_sorted_recursive_and_skips_hidden_data_and_output() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for f in ["b.txt", "a.txt", "sub/c.txt", "sub/.hidden.txt", ".git/x.txt", "gold/g.jsonl", "out/records.jsonl", "out/x.txt"] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "x").unwrap();
        }
        let found = collect(&[root.to_path_buf(), root.join("a.txt"), root.join("missing.txt")], Some(&root.join("out")));
        let names: Vec<String> =
            found.inputs.iter().map(|i| i.path().strip_prefix(root).unwrap().display().to_string()).collect();
        assert_eq!(names, ["a.txt", "b.txt", "sub/c.txt", "missing.txt"]);
        assert!(matches!(found.inputs[3], Input::Unreadable { .. }));
        assert_eq!(found.skipped_data.len(), 1);
        assert_eq!(found.duplicates, 1);
    }

    #[test]
    fn manifests_skip_blank_and_comment_lines() {
        let tmp = tempfile::tempdir().unwrap();
        let m = tmp.path().join("files.txt");
        std::fs::write(&m, "# archive\na.pdf\r\n\n  b/c.txt  \n").unwrap();
        assert_eq!(read_manifest(&m).unwrap(), [PathBuf::from("a.pdf"), PathBuf::from("b/c.txt")]);
        assert!(read_manifest(&tmp.path().join("missing")).is_err());
    }

    #[test]
    fn artifact_dirs_are_unique() {
        let inputs = [Input::File("x/a.txt".into()), Input::File("y/a.txt".into()), Input::File("b.txt".into())];
        assert_eq!(artifact_dirs(&inputs), ["a.txt", "a.txt-2", "b.txt"]);
    }
}
