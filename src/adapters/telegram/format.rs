//! Outgoing text as Telegram HTML: every span escaped, bold and quotes as
//! tags, and long messages split into parts Telegram accepts.
//!
//! Telegram limits a message to 4096 characters after entity parsing, counted
//! in UTF-16 code units. Splitting happens on the visible text, before any
//! markup is written, so a cut can never fall inside a tag or an `&amp;`
//! entity; each part is rendered on its own, which closes the tags open at a
//! cut and reopens them in the next part.

use crate::chat::Span;

/// The visible length of one part, in UTF-16 code units. Below Telegram's
/// 4096 on purpose: a margin for any difference in how it counts.
pub const MAX_PART_UNITS: usize = 4000;

/// The style of a run of visible text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Bold,
    Quote,
}

/// Renders a message body as one or more Telegram HTML texts, each at most
/// `max_units` UTF-16 code units of visible text. Parts that would hold only
/// whitespace are left out, so an empty body gives no parts.
pub fn render_parts(body: &[Span], max_units: usize) -> Vec<String> {
    let styled: Vec<(char, Style)> = body
        .iter()
        .flat_map(|span| {
            let (text, style) = match span {
                Span::Text(text) => (text, Style::Plain),
                Span::Bold(text) => (text, Style::Bold),
                Span::Quote(text) => (text, Style::Quote),
            };
            text.chars().map(move |character| (character, style))
        })
        .collect();
    let characters: Vec<char> = styled.iter().map(|(character, _)| *character).collect();
    split_points(&characters, max_units.max(2))
        .into_iter()
        .map(|range| render_html(&styled[range]))
        .collect()
}

/// Escapes text for Telegram's HTML parse mode.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            other => escaped.push(other),
        }
    }
    escaped
}

fn render_html(styled: &[(char, Style)]) -> String {
    let mut html = String::new();
    let mut start = 0;
    while start < styled.len() {
        let style = styled[start].1;
        let end = styled[start..]
            .iter()
            .position(|(_, other)| *other != style)
            .map_or(styled.len(), |offset| start + offset);
        let text: String = styled[start..end].iter().map(|(character, _)| *character).collect();
        let escaped = escape_html(&text);
        match style {
            Style::Plain => html.push_str(&escaped),
            Style::Bold => {
                html.push_str("<b>");
                html.push_str(&escaped);
                html.push_str("</b>");
            }
            Style::Quote => {
                html.push_str("<blockquote>");
                html.push_str(&escaped);
                html.push_str("</blockquote>");
            }
        }
        start = end;
    }
    html
}

/// Character ranges of the parts: each at most `max_units` UTF-16 code units,
/// cut at a paragraph break, else a line break, else a space, else between
/// two characters that do not belong together. Whitespace at a cut is dropped.
fn split_points(characters: &[char], max_units: usize) -> Vec<std::ops::Range<usize>> {
    let mut parts = Vec::new();
    let mut start = 0;
    loop {
        while start < characters.len() && characters[start].is_whitespace() {
            start += 1;
        }
        if start >= characters.len() {
            break;
        }
        // The furthest end that fits.
        let mut units = 0;
        let mut fit = start;
        while fit < characters.len() && units + characters[fit].len_utf16() <= max_units {
            units += characters[fit].len_utf16();
            fit += 1;
        }
        let end = if fit == characters.len() {
            fit
        } else {
            best_cut(characters, start, fit)
        };
        let mut trimmed_end = end;
        while trimmed_end > start && characters[trimmed_end - 1].is_whitespace() {
            trimmed_end -= 1;
        }
        if trimmed_end > start {
            parts.push(start..trimmed_end);
        }
        start = end;
    }
    parts
}

/// Where to end a part that must stop at or before `fit` (exclusive index).
fn best_cut(characters: &[char], start: usize, fit: usize) -> usize {
    let window = fit - start;
    // A cut this far in keeps parts from becoming tiny for the sake of a nicer boundary.
    let half = start + window / 2;
    let quarter = start + window / 4;
    let paragraph = (half.max(start + 1)..=fit)
        .rev()
        .find(|&index| index + 1 < characters.len() && characters[index] == '\n' && characters[index + 1] == '\n');
    if let Some(index) = paragraph {
        return index;
    }
    let line = (quarter.max(start + 1)..=fit)
        .rev()
        .find(|&index| index < characters.len() && characters[index] == '\n');
    if let Some(index) = line {
        return index;
    }
    let space = (quarter.max(start + 1)..=fit)
        .rev()
        .find(|&index| index < characters.len() && characters[index].is_whitespace());
    if let Some(index) = space {
        return index;
    }
    // No boundary: cut between characters, but not inside an emoji sequence or
    // before a combining mark (the part would end or start with half a symbol).
    (start + 1..=fit)
        .rev()
        .find(|&index| !joins(characters, index))
        .unwrap_or(fit)
}

/// Whether the characters on both sides of `index` are one symbol on screen:
/// a zero-width joiner sequence, a variation selector, a skin tone, a
/// combining mark, a keycap or the two halves of a flag.
fn joins(characters: &[char], index: usize) -> bool {
    let (before, after) = (characters[index - 1], characters[index]);
    let extends = |character: char| {
        matches!(character,
            '\u{200D}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{1F3FB}'..='\u{1F3FF}'
            | '\u{0300}'..='\u{036F}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{E0020}'..='\u{E007F}')
    };
    let regional = |character: char| ('\u{1F1E6}'..='\u{1F1FF}').contains(&character);
    if before == '\u{200D}' || extends(after) {
        return true;
    }
    if regional(before) && regional(after) {
        // Flags are pairs: inside a run of regional indicators, a cut after an
        // odd count would split a flag.
        let run = characters[..index]
            .iter()
            .rev()
            .take_while(|character| regional(**character))
            .count();
        return run % 2 == 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(text: &str) -> Span {
        Span::Text(text.to_string())
    }

    /// Telegram's view of one part: the visible text, after checking that the
    /// markup is only balanced `<b>`/`<blockquote>` tags and the three entities.
    fn visible(html: &str) -> String {
        let mut visible = String::new();
        let mut open: Vec<&str> = Vec::new();
        let mut rest = html;
        while let Some(character) = rest.chars().next() {
            if character == '<' {
                let close = rest.find('>').expect("unterminated tag");
                let tag = &rest[1..close];
                match tag.strip_prefix('/') {
                    Some(name) => assert_eq!(open.pop(), Some(name), "unbalanced tag in {html:?}"),
                    None => {
                        assert!(tag == "b" || tag == "blockquote", "unexpected tag {tag}");
                        open.push(tag);
                    }
                }
                rest = &rest[close + 1..];
            } else if character == '&' {
                let (entity, length) = [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>')]
                    .iter()
                    .find(|(entity, _)| rest.starts_with(entity))
                    .map(|(entity, character)| (*character, entity.len()))
                    .expect("broken entity");
                visible.push(entity);
                rest = &rest[length..];
            } else {
                visible.push(character);
                rest = &rest[character.len_utf8()..];
            }
        }
        assert!(open.is_empty(), "tags left open in {html:?}");
        visible
    }

    fn units(text: &str) -> usize {
        text.encode_utf16().count()
    }

    /// Splits, checks every part, and returns the visible parts.
    fn split(body: &[Span], max: usize) -> Vec<String> {
        let parts = render_parts(body, max);
        parts
            .iter()
            .map(|part| {
                let shown = visible(part);
                assert!(units(&shown) <= max, "part of {} units > {max}", units(&shown));
                assert!(!shown.trim().is_empty(), "empty part");
                shown
            })
            .collect()
    }

    fn without_whitespace(text: &str) -> String {
        text.chars().filter(|character| !character.is_whitespace()).collect()
    }

    #[test]
    fn rendering_escapes_every_span() {
        let cases: &[(&[Span], &str)] = &[
            (&[text("plain")], "plain"),
            (&[text("<b>x</b> & y")], "&lt;b&gt;x&lt;/b&gt; &amp; y"),
            (&[text("a "), Span::Bold("B&B".into())], "a <b>B&amp;B</b>"),
            (
                &[Span::Quote("<i>hi</i>\nthere".into()), text("\nok")],
                "<blockquote>&lt;i&gt;hi&lt;/i&gt;\nthere</blockquote>\nok",
            ),
            (&[text("&amp;")], "&amp;amp;"),
        ];
        for (body, expected) in cases {
            assert_eq!(
                render_parts(body, MAX_PART_UNITS),
                vec![expected.to_string()],
                "{body:?}"
            );
        }
    }

    #[test]
    fn empty_and_blank_bodies_give_no_parts() {
        assert!(render_parts(&[], 10).is_empty());
        assert!(render_parts(&[text("  \n\n ")], 10).is_empty());
    }

    #[test]
    fn splits_follow_the_best_boundary() {
        // (body, max units, expected visible parts)
        let cases: &[(&str, usize, &[&str])] = &[
            ("short", 10, &["short"]),
            ("exactly10!", 10, &["exactly10!"]),
            ("aaaa bbbb\n\ncccc dddd", 12, &["aaaa bbbb", "cccc dddd"]),
            ("aaaa\nbbbb\ncccc", 10, &["aaaa\nbbbb", "cccc"]),
            ("aaa bbb ccc ddd", 8, &["aaa bbb", "ccc ddd"]),
            ("abcdefghij", 4, &["abcd", "efgh", "ij"]),
            // A paragraph break early in the window loses to a later line break.
            ("a\n\nbbbbbbbbbbbbb\nccc", 18, &["a\n\nbbbbbbbbbbbbb", "ccc"]),
            // Each emoji is two UTF-16 units; a pair is never cut.
            ("😀😀😀😀😀", 5, &["😀😀", "😀😀", "😀"]),
            // A family emoji (joined with U+200D) stays whole.
            ("ab👩\u{200D}👧", 5, &["ab", "👩\u{200D}👧"]),
            ("e\u{301}e\u{301}e\u{301}", 3, &["e\u{301}", "e\u{301}", "e\u{301}"]),
            ("🇫🇷🇩🇪", 6, &["🇫🇷", "🇩🇪"]),
        ];
        for (input, max, expected) in cases {
            let parts = split(&[text(input)], *max);
            assert_eq!(&parts, expected, "splitting {input:?} at {max}");
        }
    }

    #[test]
    fn long_line_without_breaks_is_cut_under_the_limit() {
        let long = "x".repeat(5000);
        let parts = split(&[text(&long)], MAX_PART_UNITS);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts.concat(), long);
    }

    #[test]
    fn emoji_text_is_counted_in_utf16_units() {
        let long = "📚".repeat(3000); // 6000 UTF-16 units, 3000 chars
        let parts = split(&[text(&long)], MAX_PART_UNITS);
        assert_eq!(parts.len(), 2);
        assert_eq!(units(&parts[0]), MAX_PART_UNITS);
        assert_eq!(parts.concat(), long);
    }

    #[test]
    fn entities_are_never_cut_and_count_as_one() {
        let long = "&<>".repeat(2000);
        let parts = split(&[text(&long)], MAX_PART_UNITS);
        assert_eq!(parts.len(), 2);
        assert_eq!(units(&parts[0]), MAX_PART_UNITS);
        assert_eq!(parts.concat(), long);
    }

    #[test]
    fn tags_open_at_a_cut_are_closed_and_reopened() {
        let body = [
            text("Intro\n"),
            Span::Bold("bold ".repeat(10)),
            Span::Quote("quoted words ".repeat(10)),
        ];
        let parts = render_parts(&body, 40);
        assert!(parts.len() > 3);
        for part in &parts {
            visible(part); // asserts balance
        }
        let bold_parts = parts.iter().filter(|part| part.contains("<b>")).count();
        assert!(bold_parts >= 2, "{parts:?}");
        let all: String = parts.iter().map(|part| visible(part)).collect();
        let original: String = body
            .iter()
            .map(|span| match span {
                Span::Text(text) | Span::Bold(text) | Span::Quote(text) => text.clone(),
            })
            .collect();
        assert_eq!(without_whitespace(&all), without_whitespace(&original));
    }

    #[test]
    fn paragraphs_of_a_long_answer_stay_whole() {
        let paragraph = format!("{}.", "word ".repeat(150).trim_end()); // 750 chars
        let body = vec![paragraph; 8].join("\n\n"); // ~6000 chars
        let parts = split(&[text(&body)], MAX_PART_UNITS);
        assert_eq!(parts.len(), 2);
        for part in &parts {
            assert!(part.ends_with('.'), "cut inside a paragraph");
            assert!(part.starts_with("word"));
        }
    }
}
