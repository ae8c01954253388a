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
use toml::value::Datetime;

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
                let span = error.span();
                let line = span.clone().map_or(0, |span| self.line_of(span));
                let message = tidy_message(error.message());
                let field = duplicate_key_field(self.text, &message, span);
                diagnostics.push(Diagnostic::error(self.path, line, field.as_deref(), message));
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
                let span = error.span().unwrap_or_else(|| whole_span.clone());
                let mut message = tidy_message(error.message());
                let field = match missing_field_name(&message) {
                    // The span of a missing-field error is the table that lacks it, so the
                    // key at that span is some other key; name the field by the table's path.
                    Some(name) => {
                        let mut path = table_path_for(&field_finder, &span);
                        path.push(name);
                        Some(path.join("."))
                    }
                    // An empty or whole-value span points at no key in particular, and the
                    // key found at its start would be the first one of the table.
                    None if span.is_empty() || span == whole_span => unknown_field_name(&message),
                    None => key_path_at(&field_finder, span.start).or_else(|| unknown_field_name(&message)),
                };
                if let Some(hint) = quoted_datetime_hint(&field_finder, &span, &message, field.as_deref()) {
                    message.push_str(&hint);
                }
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
        let name = key.get_ref();
        // A `[table]`'s span is its header alone, not its keys: look inside every table.
        if let Some(deeper) = key_path_at(child, offset) {
            return Some(format!("{name}.{deeper}"));
        }
        let key_span = key.span();
        let child_span = child.span();
        let inside = (key_span.start <= offset && offset < key_span.end)
            || (child_span.start <= offset && offset < child_span.end.max(child_span.start + 1));
        if inside {
            return Some(name.to_string());
        }
    }
    None
}

/// The dotted path of the (nested) table whose span is or contains `span`, empty for the
/// value itself. A missing-field error spans the table that lacks the field (`[hours]`).
fn table_path_for(value: &Spanned<DeValue<'_>>, span: &Range<usize>) -> Vec<String> {
    // The document's own span is empty, and an empty span at offset 0 would also be
    // "contained" in a table that starts the file: both mean the value itself.
    if span.is_empty() || *span == value.span() {
        return Vec::new();
    }
    inner_table_path(value, span).unwrap_or_default()
}

fn inner_table_path(value: &Spanned<DeValue<'_>>, span: &Range<usize>) -> Option<Vec<String>> {
    let DeValue::Table(table) = value.get_ref() else {
        return None;
    };
    for (key, child) in table.iter() {
        if !matches!(child.get_ref(), DeValue::Table(_)) {
            continue;
        }
        let name = key.get_ref().to_string();
        // Deepest first, and whatever the parent's span: a `[table]`'s span is its header alone.
        if let Some(deeper) = inner_table_path(child, span) {
            return Some(std::iter::once(name).chain(deeper).collect());
        }
        let child_span = child.span();
        if child_span.start <= span.start && span.end <= child_span.end {
            return Some(vec![name]);
        }
    }
    None
}

/// For a date or time written as a quoted string (`date = "2026-12-25"`), how to write it.
fn quoted_datetime_hint(
    value: &Spanned<DeValue<'_>>,
    span: &Range<usize>,
    message: &str,
    field: Option<&str>,
) -> Option<String> {
    if !message.contains("datetime") {
        return None;
    }
    let DeValue::String(text) = value_at(value, span)? else {
        return None;
    };
    let mut datetime = text.trim().parse::<Datetime>().ok()?;
    // TOML 1.0 requires seconds; writing them keeps the file readable by every TOML tool.
    if let Some(time) = &mut datetime.time {
        time.second.get_or_insert(0);
    }
    let key = field.and_then(|field| field.rsplit('.').next()).unwrap_or("key");
    Some(format!("; remove the quotes, e.g. `{key} = {datetime}`"))
}

/// The value (at any depth) whose span is exactly `span`.
fn value_at<'v, 'a>(value: &'v Spanned<DeValue<'a>>, span: &Range<usize>) -> Option<&'v DeValue<'a>> {
    if value.span() == *span {
        return Some(value.get_ref());
    }
    match value.get_ref() {
        DeValue::Table(table) => table.values().find_map(|child| value_at(child, span)),
        DeValue::Array(items) => items.iter().find_map(|item| value_at(item, span)),
        _ => None,
    }
}

/// The key a "duplicate key" parse error is about: from the message when it names it,
/// else the key text at the span, prefixed by its `[table]` header as other errors are.
fn duplicate_key_field(text: &str, message: &str, span: Option<Range<usize>>) -> Option<String> {
    if !message.starts_with("duplicate key") {
        return None;
    }
    if let Some(rest) = message.strip_prefix("duplicate key `") {
        return rest.split('`').next().map(str::to_owned);
    }
    let span = span?;
    let key = text.get(span.clone())?.trim().trim_matches(|c| c == '"' || c == '\'');
    if key.is_empty() {
        return None;
    }
    let before = text.get(..span.start)?;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    if before[line_start..].trim_start().starts_with('[') {
        // The duplicate is a table header itself (`[hours]` twice).
        return Some(key.to_string());
    }
    // Entries of arrays of tables (`[[faq]]`) name their keys alone, as deserialize errors do.
    let table = before[..line_start].lines().rev().find_map(table_header).flatten();
    Some(match table {
        Some(table) => format!("{table}.{key}"),
        None => key.to_string(),
    })
}

/// For a header line, the table it opens (`[hours]`), or `Some(None)` for an
/// array-of-tables entry (`[[faq]]`); `None` for any other line.
fn table_header(line: &str) -> Option<Option<&str>> {
    let line = line.split('#').next().unwrap_or_default().trim();
    if line.starts_with("[[") {
        return Some(None);
    }
    let name = line.strip_prefix('[')?.strip_suffix(']')?.trim();
    (!name.is_empty()).then_some(Some(name))
}
