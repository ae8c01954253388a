//! Diagnostics about knowledge files: what an admin reads when an edit is wrong.
//!
//! Every diagnostic names a file (relative to the knowledge directory), a line
//! and, where there is one, the field, so `refdesk check` output can be acted on
//! without reading the loader's code.

use std::fmt;
use std::path::{Path, PathBuf};

/// How serious a diagnostic is: errors stop a load, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in one place of one knowledge file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: PathBuf,
    /// 1-based; 0 when the problem is about the file as a whole.
    pub line: usize,
    /// The TOML key (or iCalendar property) at fault, when there is one.
    pub field: Option<String>,
    pub message: String,
}

impl Diagnostic {
    pub fn error(file: &Path, line: usize, field: Option<&str>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            file: file.to_path_buf(),
            line,
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }

    pub fn warning(file: &Path, line: usize, field: Option<&str>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(file, line, field, message)
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(formatter, "{}", self.file.display())?;
        if self.line > 0 {
            write!(formatter, ":{}", self.line)?;
        }
        write!(formatter, ": {label}")?;
        if let Some(field) = &self.field {
            write!(formatter, ": `{field}`")?;
        }
        write!(formatter, ": {}", self.message)
    }
}

/// A knowledge directory that did not load. Holds every error found, not just the first.
#[derive(Debug, thiserror::Error)]
#[error("{} error(s) in the knowledge files:\n{}", .diagnostics.iter().filter(|d| d.is_error()).count(), render(.diagnostics))]
pub struct KnowledgeError {
    pub diagnostics: Vec<Diagnostic>,
}

fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(|diagnostic| format!("  {diagnostic}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Maps byte offsets of one file's text to 1-based line numbers.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(offset, _)| offset + 1))
            .collect();
        LineIndex { line_starts }
    }

    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(index) => index + 1,
            Err(index) => index,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_counts_from_one() {
        let index = LineIndex::new("a\nbc\n\nd");
        assert_eq!(index.line_of(0), 1);
        assert_eq!(index.line_of(2), 2);
        assert_eq!(index.line_of(3), 2);
        assert_eq!(index.line_of(5), 3);
        assert_eq!(index.line_of(6), 4);
    }

    #[test]
    fn display_names_file_line_and_field() {
        let diagnostic = Diagnostic::error(Path::new("faq/cards.toml"), 12, Some("anwser"), "unknown field");
        assert_eq!(
            diagnostic.to_string(),
            "faq/cards.toml:12: error: `anwser`: unknown field"
        );
    }
}
