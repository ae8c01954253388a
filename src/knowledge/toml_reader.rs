//! Strict, spanned reading of one TOML knowledge file.
//!
//! A file is parsed once into spanned values; then each `[[entry]]` of an
//! array of tables is deserialized on its own, so one bad FAQ entry does not
//! hide the errors of the next one, and every error can name its line and key.

use std::ops::Range;
use std::path::Path;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::diagnostic::{Diagnostic, LineIndex};

/// The entries of one array of tables, by key (`faq`, `event`, `exception`).
pub(crate) type Arrays<'a> = (String, Vec<Spanned<DeValue<'a>>>);

/// One TOML file being read, with what is needed to point into it.
pub(crate) struct TomlFile<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    pub lines: LineIndex,
}

/// An array-of-tables entry (`[[faq]]`, `[[event]]`, ...) after deserializing.
pub(crate) struct Entry<T> {
    pub value: T,
    pub line: usize,
}

impl<'a> TomlFile<'a> {
    pub fn new(path: &'a Path, text: &'a str) -> Self {
        TomlFile {
            path,
            text,
            lines: LineIndex::new(text),
        }
    }

    pub fn line_of(&self, span: Range<usize>) -> usize {
        self.lines.line_of(span.start)
    }

    pub fn error(&self, span: Range<usize>, field: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(self.path, self.line_of(span), Some(field), message)
    }

    /// Parses the document and splits off the arrays of tables named in `array_keys`.
    /// The rest of the document is deserialized into `H`.
    pub fn read<H: DeserializeOwned>(
        &self,
        array_keys: &[&str],
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<(H, Vec<Arrays<'a>>)> {
        let document = match DeTable::parse(self.text) {
            Ok(document) => document,
            Err(error) => {
                let line = error.span().map_or(0, |span| self.line_of(span));
                diagnostics.push(Diagnostic::error(self.path, line, None, tidy_message(error.message())));
                return None;
            }
        };
        let document_span = document.span();
        let mut table = document.into_inner();
        let mut arrays = Vec::new();
        for key in array_keys {
            let Some((key_name, value)) = table.remove_entry(*key) else {
                continue;
            };
            let span = value.span();
            match value.into_inner() {
                DeValue::Array(items) => arrays.push((key.to_string(), items.to_vec())),
                _ => diagnostics.push(Diagnostic::error(
                    self.path,
                    self.line_of(key_name.span().start..span.end),
                    Some(key),
                    format!("expected `[[{key}]]` entries (an array of tables)"),
                )),
            }
        }
        let header = self.deserialize::<H>(Spanned::new(document_span, DeValue::Table(table)), diagnostics)?;
        Some((header, arrays))
    }

    /// Deserializes every entry of an array of tables, reporting each bad entry.
    pub fn entries<T: DeserializeOwned>(
        &self,
        items: Vec<Spanned<DeValue<'a>>>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Vec<Entry<T>> {
        items
            .into_iter()
            .filter_map(|item| {
                let line = self.line_of(item.span());
                self.deserialize::<T>(item, diagnostics)
                    .map(|value| Entry { value, line })
            })
            .collect()
    }

    fn deserialize<T: DeserializeOwned>(
        &self,
        value: Spanned<DeValue<'a>>,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<T> {
        let whole_span = value.span();
        let field_finder = value.clone();
        match T::deserialize(ValueDeserializer::from(value)) {
            Ok(parsed) => Some(parsed),
            Err(error) => {
                let span = error.span().unwrap_or(whole_span);
                let message = tidy_message(error.message());
                let field = unknown_field_name(&message)
                    .or_else(|| key_path_at(&field_finder, span.start))
                    .or_else(|| missing_field_name(&message));
                diagnostics.push(Diagnostic::error(
                    self.path,
                    self.line_of(span),
                    field.as_deref(),
                    message,
                ));
                None
            }
        }
    }
}

/// toml's messages sometimes end with a newline or repeat the input; keep the first line.
fn tidy_message(message: &str) -> String {
    message.trim().lines().next().unwrap_or("invalid TOML").to_string()
}

fn unknown_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_string())
}

fn missing_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// The dotted key whose key or value contains `offset`, deepest first (`hours.mon`).
fn key_path_at(value: &Spanned<DeValue<'_>>, offset: usize) -> Option<String> {
    let DeValue::Table(table) = value.get_ref() else {
        return None;
    };
    for (key, child) in table.iter() {
        let key_span = key.span();
        let child_span = child.span();
        let inside = (key_span.start <= offset && offset < key_span.end)
            || (child_span.start <= offset && offset < child_span.end.max(child_span.start + 1));
        if inside {
            let name = key.get_ref().to_string();
            return Some(match key_path_at(child, offset) {
                Some(deeper) => format!("{name}.{deeper}"),
                None => name,
            });
        }
    }
    None
}
