//! Field paths of repairs and flags (`project`, `attributes.项目类别`,
//! `funds[0].executed`, `indicators[3]`, `*`): parsing, "does this flag name
//! that row", and looking a path's value up in a record.

use serde_json::Value;

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// Parse a field path. `*` (the whole form) is the empty path. The key after
/// `attributes.` is taken whole, whatever characters it holds. `None` when
/// the path is malformed.
pub fn parse(path: &str) -> Option<Vec<Seg<'_>>> {
    let path = path.trim();
    if path == "*" {
        return Some(Vec::new());
    }
    if let Some(key) = path.strip_prefix("attributes.") {
        return Some(vec![Seg::Key("attributes"), Seg::Key(key)]);
    }
    let mut segs = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if name.is_empty() {
            return None;
        }
        segs.push(Seg::Key(name));
        while let Some(after) = rest.strip_prefix('[') {
            let close = after.find(']')?;
            segs.push(Seg::Index(after[..close].trim().parse().ok()?));
            rest = &after[close + 1..];
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(segs)
}

/// Does a flag at `path` cover row `index` of the list `list` (`funds`,
/// `indicators`)? True for the row, any cell of it, and `*`.
pub fn covers_row(path: &str, list: &str, index: usize) -> bool {
    match parse(path) {
        Some(segs) => segs.is_empty() || (segs.len() >= 2 && segs[0] == Seg::Key(list) && segs[1] == Seg::Index(index)),
        None => false,
    }
}

/// The value at `path` in `record` (a record as JSON), as a CSV cell: text
/// as is, numbers as in the CSVs, null, `*` and a whole table
/// (`indicators`) empty, a row as compact JSON.
pub fn lookup(record: &Value, path: &str) -> String {
    let Some(segs) = parse(path) else { return String::new() };
    if segs.is_empty() || matches!(segs[..], [Seg::Key(k)] if record.get(k).is_some_and(Value::is_array)) {
        return String::new();
    }
    let mut at = record;
    for seg in segs {
        let next = match seg {
            Seg::Key(k) => at.get(k),
            Seg::Index(i) => at.get(i),
        };
        match next {
            Some(v) => at = v,
            None => return String::new(),
        }
    }
    render(at)
}

fn render(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().map(|x| crate::output::num(Some(x))).unwrap_or_else(|| n.to_string()),
        Value::Bool(b) => b.to_string(),
        Value::Array(_) | Value::Object(_) => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_path_shapes() {
        assert_eq!(parse("*"), Some(vec![]));
        assert_eq!(parse("project"), Some(vec![Seg::Key("project")]));
        assert_eq!(parse("funds[0].executed"), Some(vec![Seg::Key("funds"), Seg::Index(0), Seg::Key("executed")]));
        assert_eq!(parse("indicators[12]"), Some(vec![Seg::Key("indicators"), Seg::Index(12)]));
        assert_eq!(parse("attributes.保证项目实施的制度、措施"), Some(vec![Seg::Key("attributes"), Seg::Key("保证项目实施的制度、措施")]));
        assert_eq!(parse("funds[x]"), None);
        assert_eq!(parse("funds[1"), None);
        assert_eq!(parse(".a"), None);
    }

    #[test]
    fn row_coverage() {
        assert!(covers_row("*", "funds", 3));
        assert!(covers_row("funds[3]", "funds", 3));
        assert!(covers_row("funds[3].weight", "funds", 3));
        assert!(!covers_row("funds[2].weight", "funds", 3));
        assert!(!covers_row("indicators[3]", "funds", 3));
        assert!(!covers_row("project", "funds", 0));
    }

    #[test]
    fn looks_values_up() {
        let r = json!({
            "project": "业务保障",
            "attributes": {"项目类别": "一般"},
            "funds": [{"item": "年度资金总额", "executed": 188.0, "weight": null}],
            "indicators": [{"level3": "检测报告数量", "target": "≥200"}]
        });
        assert_eq!(lookup(&r, "project"), "业务保障");
        assert_eq!(lookup(&r, "attributes.项目类别"), "一般");
        assert_eq!(lookup(&r, "funds[0].executed"), "188");
        assert_eq!(lookup(&r, "funds[0].weight"), "");
        assert_eq!(lookup(&r, "funds[5].weight"), "");
        assert_eq!(lookup(&r, "indicators[0].target"), "≥200");
        assert_eq!(lookup(&r, "indicators[0]"), r#"{"level3":"检测报告数量","target":"≥200"}"#);
        assert_eq!(lookup(&r, "*"), "");
        assert_eq!(lookup(&r, "indicators"), "");
    }
}
