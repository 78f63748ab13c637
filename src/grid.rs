//! Parameter grids for `tlsim sweep --vary PATH=V1,V2,…`.
//!
//! A path follows the scenario file's own structure (`links[0].conditions.loss`,
//! `tls.clients[0].cipher_suites`); each value is written as in the file
//! (`0.01`, `"5ms"`, `["0xc02b"]`; a bare word such as `5ms` is taken as a
//! string). Each grid point is the scenario with its values set, written
//! out as RON and loaded again, so every check of a hand-written file
//! applies to it.

use serde_json::Value;
use tlsim_scenario::shrink::to_ron;
use tlsim_scenario::{Scenario, parse};

/// One `--vary` option: a path and the values it takes.
#[derive(Clone, Debug, PartialEq)]
pub struct Vary {
    path: String,
    steps: Vec<Step>,
    values: Vec<(String, Value)>,
}

/// One step of a path: a field, or an index into a list.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Field(String),
    Index(usize),
}

fn parse_path(path: &str) -> Result<Vec<Step>, String> {
    let bad =
        || format!("bad path {path:?}: expected fields and indexes, e.g. links[0].conditions.loss");
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (field, mut rest) = part.split_once('[').map_or((part, ""), |(f, r)| (f, r));
        let unclosed = rest.is_empty() && part.contains('[');
        if unclosed
            || field.is_empty()
            || !field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(bad());
        }
        steps.push(Step::Field(field.to_string()));
        while !rest.is_empty() {
            let (index, after) = rest.split_once(']').ok_or_else(bad)?;
            steps.push(Step::Index(index.parse().map_err(|_| bad())?));
            rest = match after.strip_prefix('[') {
                Some(next) => next,
                None if after.is_empty() => "",
                None => return Err(bad()),
            };
        }
    }
    Ok(steps)
}

/// `text` split at the commas outside brackets, parentheses and quotes.
fn split_values(text: &str) -> Vec<&str> {
    let (mut depth, mut quoted, mut start) = (0i32, false, 0);
    let mut parts = Vec::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if quoted => {
                chars.next();
            }
            '"' => quoted = !quoted,
            '[' | '(' | '{' if !quoted => depth += 1,
            ']' | ')' | '}' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

impl std::str::FromStr for Vary {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (path, values) = s
            .split_once('=')
            .ok_or_else(|| format!("expected PATH=V1,V2,…, found {s:?}"))?;
        let values = (split_values(values).into_iter())
            .map(|v| {
                let v = v.trim();
                if v.is_empty() {
                    return Err(format!("{path}: an empty value in {values:?}"));
                }
                // A bare word (`5ms`, `TLS_ECDHE_…`) is a string.
                let value = ron::from_str::<Value>(v).unwrap_or_else(|_| Value::String(v.into()));
                Ok((v.to_string(), value))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Vary {
            path: path.to_string(),
            steps: parse_path(path)?,
            values,
        })
    }
}

/// Sets the value at `steps` in `tree`. A missing last field is added (a
/// field the file left out); anything else missing is an error.
fn set(tree: &mut Value, steps: &[Step], value: Value, path: &str) -> Result<(), String> {
    let mut at = tree;
    for (i, step) in steps.iter().enumerate() {
        let last = i + 1 == steps.len();
        at = match (step, at) {
            (Step::Field(name), Value::Object(fields)) if last => {
                fields.insert(name.clone(), value);
                return Ok(());
            }
            (Step::Field(name), Value::Object(fields)) => fields
                .get_mut(name)
                .ok_or_else(|| format!("bad path {path:?}: the scenario has no {name:?} there"))?,
            (Step::Index(index), Value::Array(items)) => {
                let len = items.len();
                items
                    .get_mut(*index)
                    .ok_or_else(|| format!("bad path {path:?}: index {index} of a list of {len}"))?
            }
            (Step::Field(name), _) => {
                return Err(format!(
                    "bad path {path:?}: no field {name:?} there, it is not a structure"
                ));
            }
            (Step::Index(index), _) => {
                return Err(format!(
                    "bad path {path:?}: no index {index} there, it is not a list"
                ));
            }
        };
    }
    *at = value;
    Ok(())
}

/// One grid point: its label (`loss=0.01 latency="5ms"`) and its scenario.
pub struct Point {
    /// The values set, as given.
    pub label: String,
    /// Which of the first `--vary` option's values it has.
    pub first: usize,
    /// The values of the other options, as given (empty with one option).
    pub others: String,
    /// The scenario with them set.
    pub scenario: Scenario,
}

impl Vary {
    /// The values, as given.
    pub fn value_texts(&self) -> impl Iterator<Item = &str> {
        self.values.iter().map(|(text, _)| text.as_str())
    }

    /// The path, as given.
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// Every combination of the `--vary` values, the first option varying
/// slowest, each as a scenario checked as a file is.
pub fn points(scenario: &Scenario, file: &str, varies: &[Vary]) -> Result<Vec<Point>, String> {
    let tree = serde_json::to_value(scenario).map_err(|e| e.to_string())?;
    // Each combination: the values set, as `path=value`, and the first's index.
    let mut grid: Vec<(Vec<String>, usize, Value)> = vec![(Vec::new(), 0, tree)];
    for (n, vary) in varies.iter().enumerate() {
        let mut next = Vec::new();
        for (set_so_far, first, tree) in &grid {
            for (i, (text, value)) in vary.values.iter().enumerate() {
                let mut tree = tree.clone();
                set(&mut tree, &vary.steps, value.clone(), &vary.path)?;
                let mut labels = set_so_far.clone();
                labels.push(format!("{}={text}", vary.path));
                next.push((labels, if n == 0 { i } else { *first }, tree));
            }
        }
        grid = next;
    }
    (grid.into_iter())
        .map(|(labels, first, tree)| {
            let label = labels.join(" ");
            let scenario: Scenario =
                serde_json::from_value(tree).map_err(|e| format!("{file} with {label}: {e}"))?;
            let text = to_ron(&scenario)?;
            let scenario = parse(&text, file).map_err(|e| format!("{file} with {label}: {e}"))?;
            Ok(Point {
                others: labels[1..].join(" "),
                label,
                first,
                scenario,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_fields_and_indexes() {
        assert_eq!(
            parse_path("links[0].conditions.loss"),
            Ok(vec![
                Step::Field("links".into()),
                Step::Index(0),
                Step::Field("conditions".into()),
                Step::Field("loss".into()),
            ])
        );
        for bad in ["", "links[", "links[x]", "links[0]x", ".loss", "a..b"] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_split_at_top_level_commas() {
        let vary: Vary = r#"tls.clients[0].cipher_suites=["0xc02b"],["0xc009","0xc02b"]"#
            .parse()
            .unwrap();
        let texts: Vec<&str> = vary.values.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(texts, [r#"["0xc02b"]"#, r#"["0xc009","0xc02b"]"#]);
        let vary: Vary = "links[0].conditions.latency=5ms,\"50ms\"".parse().unwrap();
        assert_eq!(vary.values[0].1, Value::String("5ms".into()));
        assert_eq!(vary.values[1].1, Value::String("50ms".into()));
    }
}
