//! Where a value stands in a scenario's text, found by its path
//! (`links[1].between`), so that a check made after parsing reports the
//! line and column of the value it is about.
//!
//! It reads just enough RON to walk the path: strings, comments and brackets.
//! It runs only when an error is reported, over text that has already parsed.

/// One step of a path: a named field, or an element of a list or tuple.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Field(&'static str),
    Index(usize),
}

/// A path from the top of the file to one value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Path(Vec<Step>);

impl Path {
    /// The path of field `name` under this one.
    pub(crate) fn field(&self, name: &'static str) -> Path {
        self.then(Step::Field(name))
    }

    /// The path of element `index` (from 0) under this one.
    pub(crate) fn index(&self, index: usize) -> Path {
        self.then(Step::Index(index))
    }

    fn then(&self, step: Step) -> Path {
        let mut steps = self.0.clone();
        steps.push(step);
        Path(steps)
    }
}

/// A path under the top of the file, given as dotted field names.
pub(crate) fn at(fields: &[&'static str]) -> Path {
    Path(fields.iter().map(|f| Step::Field(f)).collect())
}

/// The byte offset where the value at `path` starts, if the text has it.
pub(crate) fn locate(source: &str, path: &Path) -> Option<usize> {
    let mut cursor = Cursor {
        text: source.as_bytes(),
        pos: 0,
    };
    cursor.skip_blank();
    for step in &path.0 {
        cursor.enter(*step)?;
    }
    Some(cursor.pos)
}

struct Cursor<'a> {
    text: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn rest(&self) -> &[u8] {
        &self.text[self.pos.min(self.text.len())..]
    }

    /// Skips white space and comments (`// …` and nested `/* … */`).
    fn skip_blank(&mut self) {
        loop {
            let rest = self.rest();
            if rest.first().is_some_and(u8::is_ascii_whitespace) {
                self.pos += 1;
            } else if rest.starts_with(b"//") {
                self.pos += rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
            } else if rest.starts_with(b"/*") {
                self.skip_block_comment();
            } else {
                return;
            }
        }
    }

    fn skip_block_comment(&mut self) {
        let mut depth = 0_usize;
        while self.pos < self.text.len() {
            let rest = self.rest();
            if rest.starts_with(b"/*") {
                depth += 1;
                self.pos += 2;
            } else if rest.starts_with(b"*/") {
                self.pos += 2;
                depth -= 1;
                if depth == 0 {
                    return;
                }
            } else {
                self.pos += 1;
            }
        }
    }

    fn ident(&mut self) -> &str {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'#')
        {
            self.pos += 1;
        }
        std::str::from_utf8(&self.text[start..self.pos]).unwrap_or("")
    }

    /// Skips a string (`"…"`, `r#"…"#`) or a character literal.
    fn skip_quoted(&mut self) {
        let rest = self.rest();
        if rest.starts_with(b"r\"") || rest.starts_with(b"r#") {
            let hashes = rest[1..].iter().take_while(|b| **b == b'#').count();
            let mut close = vec![b'"'];
            close.extend(std::iter::repeat_n(b'#', hashes));
            self.pos += 2 + hashes;
            let end = (self.rest().windows(close.len())).position(|w| w == close.as_slice());
            self.pos += end.map_or(self.rest().len(), |e| e + close.len());
            return;
        }
        let Some(quote) = self.peek() else { return };
        self.pos += 1;
        while let Some(b) = self.peek() {
            self.pos += 1;
            if b == b'\\' {
                self.pos += 1;
            } else if b == quote {
                return;
            }
        }
    }

    /// Skips one value, whatever it is.
    fn skip_value(&mut self) {
        self.skip_blank();
        let mut depth = 0_usize;
        loop {
            let Some(b) = self.peek() else { return };
            match b {
                b'"' | b'\'' => self.skip_quoted(),
                b'r' if matches!(self.rest().get(1), Some(b'"' | b'#')) => self.skip_quoted(),
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    self.pos += 1;
                }
                b')' | b']' | b'}' | b',' | b':' if depth == 0 => return,
                b')' | b']' | b'}' => {
                    depth -= 1;
                    self.pos += 1;
                    if depth == 0 {
                        return;
                    }
                }
                b'/' if matches!(self.rest().get(1), Some(b'/' | b'*')) => self.skip_blank(),
                _ => self.pos += 1,
            }
        }
    }

    /// Moves from the start of a compound value to the start of its part `step`.
    fn enter(&mut self, step: Step) -> Option<()> {
        loop {
            // `Name(…)`: the name is not part of the path; `Some(x)` is `x`.
            let name_start = self.pos;
            let name = self.ident().to_owned();
            self.skip_blank();
            let open = self.peek()?;
            if !matches!(open, b'(' | b'[' | b'{') {
                self.pos = name_start;
                return None;
            }
            self.pos += 1;
            self.skip_blank();
            if name == "Some" && !self.starts_field() {
                continue;
            }
            return self.find(step);
        }
    }

    /// Whether the cursor is at `name:` (and not at `name(` or a string).
    fn starts_field(&mut self) -> bool {
        let start = self.pos;
        let named = !self.ident().is_empty() && {
            self.skip_blank();
            self.peek() == Some(b':')
        };
        self.pos = start;
        named
    }

    /// Finds `step` among the entries after an opening bracket.
    fn find(&mut self, step: Step) -> Option<()> {
        let mut index = 0;
        loop {
            self.skip_blank();
            if matches!(self.peek()?, b')' | b']' | b'}') {
                return None;
            }
            match step {
                Step::Field(wanted) => {
                    let name = self.ident().to_owned();
                    self.skip_blank();
                    if self.peek()? != b':' {
                        return None;
                    }
                    self.pos += 1;
                    self.skip_blank();
                    if name == wanted {
                        return Some(());
                    }
                }
                Step::Index(wanted) if index == wanted => return Some(()),
                Step::Index(_) => {}
            }
            self.skip_value();
            self.skip_blank();
            if self.peek() == Some(b',') {
                self.pos += 1;
            }
            index += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r##"// a comment with "quotes" and (brackets
Scenario(
    name: "t", /* nested /* comment */ ) */
    hosts: [
        Host(name: "a)\"", addr: "10.0.0.1"),
        Host(name: r#"b]"#, addr: "10.0.0.2", tcp: Some((mss: 100))),
    ],
    timeline: [At("0ms", Connect(conn: "c", from: "a", to: "b", port: 80))],
)"##;

    fn found(path: &Path) -> Option<&'static str> {
        locate(TEXT, path).map(|at| &TEXT[at..at + TEXT[at..].find([',', ')']).unwrap()])
    }

    #[test]
    fn finds_fields_elements_and_options_past_comments_and_strings() {
        let host = |i| at(&["hosts"]).index(i);
        assert_eq!(found(&at(&["name"])), Some("\"t\""));
        assert_eq!(found(&host(0).field("addr")), Some("\"10.0.0.1\""));
        assert_eq!(found(&host(1).field("addr")), Some("\"10.0.0.2\""));
        assert_eq!(found(&host(1).field("tcp").field("mss")), Some("100"));
        let connect = at(&["timeline"]).index(0).index(1);
        assert_eq!(found(&connect.field("port")), Some("80"));
        assert_eq!(found(&at(&["timeline"]).index(0).index(0)), Some("\"0ms\""));
    }

    #[test]
    fn a_path_the_text_lacks_is_not_found() {
        assert_eq!(locate(TEXT, &at(&["links"])), None);
        assert_eq!(locate(TEXT, &at(&["hosts"]).index(2)), None);
        assert_eq!(locate(TEXT, &at(&["name"]).field("x")), None);
        assert_eq!(locate("", &at(&["name"])), None);
        assert_eq!(
            locate("Scenario(name: \"unterminated", &at(&["hosts"])),
            None
        );
    }
}
