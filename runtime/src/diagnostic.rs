//! Diagnostics as trainees see them: an [`Error`] pinned to a file, line and column.
//!
//! A [`Diagnostic`] is plain data (it lands in the JSON report); [`Diagnostic::render`] turns
//! it into miette's report with the script's text, a labelled span and the `help:` line.

use crate::error::{Error, Severity};
use crate::text::{clipped_message, escaped, visible_source};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode, SourceOffset,
};
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub help: Option<String>,
    pub file: String,
    /// 1-based line; 0 when the error belongs to the whole file.
    pub line: usize,
    /// 1-based column in characters (not bytes); 0 when unknown.
    pub column: usize,
    /// Where a stdlib helper failed on behalf of the trainee's line, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inside: Option<Location>,
    /// For a warning: whether the lab meant it (`expect_warning`, or a stdlib module that
    /// documents raising it). Consoles show expected warnings only on request; `--strict`
    /// fails a run on the others. Absent for errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<bool>,
    /// For a warning: how many more of its code at its line were raised and only counted
    /// (see [`crate::recorder::SAME_WARNINGS`]).
    #[serde(skip_serializing_if = "is_zero")]
    pub more_like_this: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl Diagnostic {
    pub fn new(error: &Error, severity: Severity, file: &str, line: usize, column: usize) -> Self {
        Diagnostic {
            code: error.code_str(),
            severity,
            message: clipped_message(&error.to_string()).into_owned(),
            help: error
                .help_str()
                .map(|help| clipped_message(&help).into_owned()),
            file: file.to_string(),
            line,
            column,
            inside: None,
            expected: (severity == Severity::Warning).then_some(false),
            more_like_this: 0,
        }
    }

    /// A warning the lab did not ask for.
    pub fn is_unexpected_warning(&self) -> bool {
        self.expected == Some(false)
    }

    /// Renders through miette, with a span in `source` (the text of `self.file`).
    /// `color` selects the colored Unicode theme; otherwise plain ASCII for pipes and logs.
    pub fn render(&self, source: Option<&str>, color: bool) -> String {
        self.render_width(source, color, 80)
    }

    /// [`Diagnostic::render`] in `width` columns.
    pub fn render_width(&self, source: Option<&str>, color: bool, width: usize) -> String {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::none()
        };
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_width(width)
            // Paths and commands in help lines stay whole, as a trainee copies them.
            .with_break_words(false)
            .with_word_separator(textwrap::WordSeparator::AsciiSpace)
            .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
            .with_links(false)
            // miette counts columns in bytes; the header names our character column instead.
            .without_primary_span_start();
        // Script strings reach the terminal only escaped: no line a script forges.
        let safe = Diagnostic {
            message: escaped(&self.message).into_owned(),
            help: self.help.as_deref().map(|help| escaped(help).into_owned()),
            file: escaped(&self.file).into_owned(),
            ..self.clone()
        };
        let shown = Shown {
            diagnostic: &safe,
            source: source
                .map(|text| NamedSource::new(safe.position(), visible_source(text).into_owned())),
        };
        let mut out = String::new();
        if handler.render_report(&mut out, &shown).is_err() {
            out = format!(
                "{}: {} ({}:{})\n",
                safe.code, safe.message, safe.file, safe.line
            );
        }
        if source.is_none() || self.line == 0 {
            out.push_str(&format!("  at {}\n", safe.position()));
        }
        if self.more_like_this > 0 {
            out.push_str(&format!(
                "  … and {} more like this at {}\n",
                self.more_like_this,
                safe.position()
            ));
        }
        out
    }

    /// `file:line:column`, as editors understand it.
    pub fn position(&self) -> String {
        match (self.line, self.column) {
            (0, _) => self.file.clone(),
            (line, 0) => format!("{}:{line}", self.file),
            (line, column) => format!("{}:{line}:{column}", self.file),
        }
    }
}

/// The miette view of a diagnostic: borrowed data plus the named source it points into.
struct Shown<'a> {
    diagnostic: &'a Diagnostic,
    source: Option<NamedSource<String>>,
}

impl Shown<'_> {
    fn offset(&self) -> Option<usize> {
        let source = self.source.as_ref()?;
        let text = source.inner();
        let d = self.diagnostic;
        if d.line == 0 {
            return None;
        }
        let offset = SourceOffset::from_location(text, d.line, d.column.max(1)).offset();
        Some(offset.min(text.len()))
    }
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.diagnostic.fmt(f)
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Shown<'_> {}

impl miette::Diagnostic for Shown<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.diagnostic.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let d = self.diagnostic;
        let inside = d
            .inside
            .as_ref()
            .map(|at| format!("(raised inside {}:{}:{})", at.file, at.line, at.column));
        match (&d.help, inside) {
            (Some(help), Some(inside)) => Some(Box::new(format!("{help}\n{inside}"))),
            (Some(help), None) => Some(Box::new(help)),
            (None, Some(inside)) => Some(Box::new(inside)),
            (None, None) => None,
        }
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.offset()?;
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let offset = self.offset()?;
        let text = self.source.as_ref()?.inner();
        // Underline the token at the position (up to the next separator), at least one char.
        let rest = &text[offset..];
        let len = rest
            .char_indices()
            .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let len = if len == 0 {
            rest.chars().next().map_or(0, char::len_utf8)
        } else {
            len
        };
        let label = match self.diagnostic.severity {
            Severity::Error => "here",
            Severity::Warning => "warning raised here",
        };
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(label.to_string()),
            (offset, len),
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(line: usize, column: usize) -> Diagnostic {
        Diagnostic::new(
            &Error::UnknownVariable {
                name: "hóst".into(),
                help: "did you mean `host`?".into(),
            },
            Severity::Error,
            "lab.rhai",
            line,
            column,
        )
    }

    #[test]
    fn plain_rendering_names_code_file_line_and_help() {
        let src = "let a = 1;\nprint(hóst);\n";
        let out = sample(2, 7).render(Some(src), false);
        assert!(out.contains("kvmlab::script::unknown_variable"), "{out}");
        assert!(out.contains("[lab.rhai:2:7]"), "{out}");
        assert!(out.contains("help: did you mean `host`?"), "{out}");
        assert!(out.contains("print(hóst);"), "{out}");
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        // `é` and `漢` are multi-byte; the column still points at `x`.
        let src = "let é = \"漢字\"; x\n";
        let shown = Shown {
            diagnostic: &sample(1, 15),
            source: Some(NamedSource::new("lab.rhai", src.to_string())),
        };
        let offset = shown.offset().unwrap();
        assert_eq!(&src[offset..offset + 1], "x");
    }

    #[test]
    fn positions_past_the_end_clamp_to_the_text() {
        let src = "let a = (1 +";
        let out = sample(1, 99).render(Some(src), false);
        assert!(out.contains("lab.rhai:1:99"), "{out}");
        let out = sample(0, 0).render(None, false);
        assert!(out.contains("at lab.rhai"), "{out}");
    }
}
