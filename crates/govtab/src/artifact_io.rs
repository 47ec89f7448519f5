//! Reading and writing stage artifacts (pretty JSON), with errors that name
//! the file and say which artifact it holds.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context, Result};
use govtab_model::{Document, FormSet, RecordSet};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The artifact types, as told apart by their keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Output of extract.
    Document,
    /// Output of realign or match.
    FormSet,
    /// Output of assemble.
    RecordSet,
    /// One line of records.jsonl.
    Record,
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Kind::Document => "a Document (written by `govtab stage extract`)",
            Kind::FormSet => "a FormSet (written by `govtab stage realign` or `match`)",
            Kind::RecordSet => "a RecordSet (written by `govtab stage assemble`)",
            Kind::Record => "a single record (a line of records.jsonl), not a stage artifact",
        }
    }

    /// Which artifact a JSON value is, by its keys.
    pub fn of(value: &Value) -> Option<Kind> {
        let obj = value.as_object()?;
        let has = |k: &str| obj.contains_key(k);
        if has("forms") && has("stage") {
            Some(Kind::FormSet)
        } else if has("records") {
            Some(Kind::RecordSet)
        } else if has("pages") && has("source") {
            Some(Kind::Document)
        } else if has("form") && has("kind") && has("indicators") {
            Some(Kind::Record)
        } else {
            None
        }
    }
}

/// Any stage artifact.
#[derive(Debug)]
pub enum Artifact {
    Document(Document),
    FormSet(FormSet),
    RecordSet(RecordSet),
}

fn typed<T: DeserializeOwned>(path: &Path, text: &str, kind: Kind) -> Result<T> {
    // Parsed from the text (not the Value) so that errors carry line and column.
    serde_json::from_str(text).with_context(|| format!("{} looks like {} but does not parse as one", path.display(), kind.describe()))
}

/// Read the artifact of kind `wanted` at `path`, for the stage `reader`.
fn read_as<T: DeserializeOwned>(path: &Path, wanted: Kind, reader: &str) -> Result<T> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => bail!("{} is not valid JSON ({e}); `govtab stage {reader}` reads {}", path.display(), wanted.describe()),
    };
    match Kind::of(&value) {
        Some(kind) if kind == wanted => typed(path, &text, kind),
        Some(kind) => {
            bail!("{} holds {}, but `govtab stage {reader}` reads {}", path.display(), kind.describe(), wanted.describe())
        }
        None => bail!("{} is JSON but not a govtab stage artifact; `govtab stage {reader}` reads {}", path.display(), wanted.describe()),
    }
}

/// Read a Document artifact (the input of realign).
pub fn read_document(path: &Path, reader: &str) -> Result<Document> {
    read_as(path, Kind::Document, reader)
}

/// Read a FormSet artifact (the input of match and assemble).
pub fn read_formset(path: &Path, reader: &str) -> Result<FormSet> {
    read_as(path, Kind::FormSet, reader)
}

/// If `path` holds a stage artifact, that artifact; `None` for anything else
/// (an input document). JSON that is no artifact, and a `.json` file that
/// does not parse, are errors: a damaged artifact is not silently taken for
/// a document.
pub fn sniff(path: &Path) -> Result<Option<Artifact>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let named_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') && !named_json {
        return Ok(None);
    }
    let value = std::str::from_utf8(&bytes).map_err(|e| e.to_string()).and_then(|text| {
        serde_json::from_str::<Value>(text).map(|v| (text, v)).map_err(|e| e.to_string())
    });
    let (text, value) = match value {
        Ok(ok) => ok,
        Err(e) if named_json => bail!("{} is not valid JSON ({e})", path.display()),
        Err(_) => return Ok(None), // a text document that happens to start with '{'
    };
    let artifact = match Kind::of(&value) {
        Some(kind @ Kind::Document) => Artifact::Document(typed(path, text, kind)?),
        Some(kind @ Kind::FormSet) => Artifact::FormSet(typed(path, text, kind)?),
        Some(kind @ Kind::RecordSet) => Artifact::RecordSet(typed(path, text, kind)?),
        Some(kind @ Kind::Record) => bail!("{} holds {}", path.display(), kind.describe()),
        None => bail!("{} is JSON but not a govtab stage artifact (Document, FormSet or RecordSet)", path.display()),
    };
    Ok(Some(artifact))
}

/// An artifact as written everywhere: pretty JSON and a final newline.
pub fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    let mut s = serde_json::to_string_pretty(value)?;
    s.push('\n');
    Ok(s)
}

/// Write `text` to `path`, or to standard output when `path` is `-`.
pub fn write_text(path: &Path, text: &str) -> Result<()> {
    if path.as_os_str() == "-" {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes()).and_then(|_| out.flush()).context("cannot write to standard output")
    } else {
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_by_keys() {
        assert_eq!(Kind::of(&json!({"doc": "a", "path": "a", "source": "text_dump", "pages": []})), Some(Kind::Document));
        assert_eq!(Kind::of(&json!({"doc": "a", "stage": "realign", "forms": []})), Some(Kind::FormSet));
        assert_eq!(Kind::of(&json!({"doc": "a", "records": []})), Some(Kind::RecordSet));
        assert_eq!(Kind::of(&json!({"doc": "a", "form": 1, "kind": "target", "indicators": []})), Some(Kind::Record));
        assert_eq!(Kind::of(&json!([1, 2])), None);
        assert_eq!(Kind::of(&json!({"x": 1})), None);
    }

    #[test]
    fn wrong_artifact_names_file_and_kinds() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("recs.json");
        std::fs::write(&p, r#"{"doc": "a.txt", "path": "a.txt", "records": [], "problems": []}"#).unwrap();
        let err = format!("{:#}", read_formset(&p, "assemble").unwrap_err());
        assert!(err.contains("recs.json") && err.contains("RecordSet") && err.contains("FormSet"), "{err}");
        std::fs::write(&p, "{ not json").unwrap();
        let err = format!("{:#}", read_document(&p, "realign").unwrap_err());
        assert!(err.contains("recs.json is not valid JSON"), "{err}");
    }

    #[test]
    fn sniff_tells_artifacts_from_documents() {
        let tmp = tempfile::tempdir().unwrap();
        let doc = tmp.path().join("a.txt");
        std::fs::write(&doc, "{项目名称}\t业务保障\n").unwrap();
        assert!(sniff(&doc).unwrap().is_none(), "text starting with '{{' is a document");
        let broken = tmp.path().join("2-realign.json");
        std::fs::write(&broken, r#"{"doc": "a.txt", "forms": ["#).unwrap();
        let err = format!("{:#}", sniff(&broken).unwrap_err());
        assert!(err.contains("2-realign.json is not valid JSON"), "{err}");
        let set = tmp.path().join("set.json");
        std::fs::write(&set, r#"{"doc": "a.txt", "path": "a.txt", "records": []}"#).unwrap();
        assert!(matches!(sniff(&set).unwrap(), Some(Artifact::RecordSet(_))));
        let other = tmp.path().join("other.json");
        std::fs::write(&other, r#"{"hello": 1}"#).unwrap();
        assert!(sniff(&other).is_err());
    }
}
