//! Outgoing text in Discord's markdown: every span escaped, bold as `**..**`,
//! quotes as "> " lines, and the result split into messages of at most
//! [`MESSAGE_LIMIT`] characters on paragraph, line or word boundaries.
//!
//! Pure functions, no IO: the sender calls [`render_parts`] and posts each part.

/// Discord's limit on a message's content. Lengths are counted in UTF-16 code
/// units, which is never less than Discord's count in characters, so a part
/// that fits here fits there.
pub const MESSAGE_LIMIT: usize = 2000;

/// The body rendered as Discord markdown and split into parts that each fit in
/// `limit` UTF-16 code units. An empty body gives no parts.
pub fn render_parts(body: &[crate::chat::Span], limit: usize) -> Vec<String> {
    split(&render(body), limit)
}

/// One indivisible piece of rendered text: a character, an escape (`\*`), a
/// bold marker or a quote prefix. Splitting happens only between tokens, so a
/// part never ends inside an escape or a character.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    text: String,
    kind: TokenKind,
    /// Bold is open before this token: a cut here must close and reopen it.
    bold: bool,
    /// This token is on a quoted line: a cut here must start the next part with "> ".
    quote: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    Char,
    Space,
    Newline,
    /// `**` or `> `: markup the renderer added, never from the text.
    Markup,
}

/// Characters that are markdown anywhere in a line: emphasis, strike, code,
/// spoilers, mentions and custom emoji (`<...>`), quotes, masked links, escapes.
const ALWAYS_ESCAPED: &[char] = &['\\', '*', '_', '~', '`', '|', '<', '>', '[', ']'];
/// Characters that are markdown only at the start of a line: headings,
/// subtext (`-#`) and list items.
const LINE_START_ESCAPED: &[char] = &['#', '-', '+'];
/// Characters that end a URL copied verbatim (they could open markup after it).
const URL_ENDS: &[char] = &['\\', '`', '|', '<', '>', '[', ']'];

struct Renderer {
    tokens: Vec<Token>,
    at_line_start: bool,
    bold: bool,
    quote: bool,
}

fn render(body: &[crate::chat::Span]) -> Vec<Token> {
    use crate::chat::Span;

    let mut renderer = Renderer {
        tokens: Vec::new(),
        at_line_start: true,
        bold: false,
        quote: false,
    };
    // After a quote the next span must start on a new line, or it would be quoted too.
    let mut after_quote = false;
    for span in body {
        let text = match span {
            Span::Text(text) | Span::Bold(text) | Span::Quote(text) => text,
        };
        if after_quote && !text.starts_with('\n') {
            renderer.push(Token::newline());
        }
        after_quote = false;
        match span {
            Span::Text(text) => renderer.push_escaped(text),
            Span::Bold(text) => {
                if text.trim().is_empty() {
                    renderer.push_escaped(text);
                    continue;
                }
                renderer.push_markup("**");
                renderer.bold = true;
                renderer.push_escaped(text);
                renderer.push_markup("**");
                renderer.bold = false;
            }
            Span::Quote(text) => {
                if !renderer.at_line_start {
                    renderer.push(Token::newline());
                }
                for (index, line) in text.split('\n').enumerate() {
                    if index > 0 {
                        renderer.push(Token::newline());
                    }
                    renderer.quote = true;
                    renderer.push_markup("> ");
                    renderer.at_line_start = true;
                    renderer.push_escaped(line.trim_end_matches('\r'));
                    renderer.quote = false;
                }
                after_quote = true;
            }
        }
    }
    renderer.tokens
}

impl Token {
    fn newline() -> Token {
        Token {
            text: "\n".to_string(),
            kind: TokenKind::Newline,
            bold: false,
            quote: false,
        }
    }
}

impl Renderer {
    fn push(&mut self, mut token: Token) {
        token.bold = self.bold;
        token.quote = self.quote && token.kind != TokenKind::Newline;
        self.at_line_start = token.kind == TokenKind::Newline;
        self.tokens.push(token);
    }

    fn push_markup(&mut self, text: &str) {
        self.push(Token {
            text: text.to_string(),
            kind: TokenKind::Markup,
            bold: false,
            quote: false,
        });
    }

    fn push_char(&mut self, text: String, kind: TokenKind) {
        self.push(Token {
            text,
            kind,
            bold: false,
            quote: false,
        });
    }

    fn push_escaped(&mut self, text: &str) {
        let chars: Vec<char> = text.chars().collect();
        let mut index = 0;
        while index < chars.len() {
            let character = chars[index];
            if character == '\n' {
                self.push(Token::newline());
                if self.quote {
                    self.push_markup("> ");
                    self.at_line_start = true;
                }
                index += 1;
                continue;
            }
            if character == '\r' {
                index += 1;
                continue;
            }
            if self.at_word_start(index, &chars) && starts_with_url(&chars[index..]) {
                index = self.push_url(index, &chars);
                continue;
            }
            if self.at_line_start && character.is_ascii_digit() {
                // "12. text" at the start of a line is a numbered list item: escape the dot.
                let digits = chars[index..].iter().take_while(|c| c.is_ascii_digit()).count();
                for digit in &chars[index..index + digits] {
                    self.push_char(digit.to_string(), TokenKind::Char);
                }
                index += digits;
                if chars.get(index) == Some(&'.') {
                    self.push_char("\\.".to_string(), TokenKind::Char);
                    index += 1;
                }
                continue;
            }
            let escape =
                ALWAYS_ESCAPED.contains(&character) || (self.at_line_start && LINE_START_ESCAPED.contains(&character));
            let kind = if character.is_whitespace() {
                TokenKind::Space
            } else {
                TokenKind::Char
            };
            let at_line_start = self.at_line_start && character.is_whitespace();
            if escape {
                self.push_char(format!("\\{character}"), kind);
            } else {
                self.push_char(character.to_string(), kind);
            }
            // Leading spaces keep a line "at its start" for the line-start rules.
            if at_line_start {
                self.at_line_start = true;
            }
            index += 1;
        }
    }

    fn at_word_start(&self, index: usize, chars: &[char]) -> bool {
        index == 0 || chars[index - 1].is_whitespace() || chars[index - 1] == '('
    }

    /// Copies a URL verbatim (Discord links it as written; escapes would
    /// become part of the link), stopping at whitespace or at characters that
    /// could start markup. Returns the index after it.
    fn push_url(&mut self, mut index: usize, chars: &[char]) -> usize {
        while let Some(&character) = chars.get(index) {
            if character.is_whitespace() || URL_ENDS.contains(&character) {
                break;
            }
            self.push_char(character.to_string(), TokenKind::Char);
            index += 1;
        }
        index
    }
}

fn starts_with_url(chars: &[char]) -> bool {
    let starts = |prefix: &str| {
        prefix.chars().count() <= chars.len() && prefix.chars().zip(chars).all(|(a, b)| a == b.to_ascii_lowercase())
    };
    starts("https://") || starts("http://")
}

fn units(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Where a part may end, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Boundary {
    Paragraph,
    Line,
    Word,
}

fn split(tokens: &[Token], limit: usize) -> Vec<String> {
    // Room for the markup a cut may add: "**" to close, "> **" to reopen.
    assert!(limit >= 16, "a message limit of {limit} is too small to split into");
    let mut parts = Vec::new();
    let mut start = 0;
    let mut prefix = String::new();
    while start < tokens.len() {
        let mut length = units(&prefix);
        let mut end = start;
        // The longest run of tokens that fits, counting the "**" a cut inside bold adds.
        while end < tokens.len() {
            let next = length + units(&tokens[end].text);
            let closing = if end + 1 < tokens.len() && tokens[end + 1].bold {
                2
            } else {
                0
            };
            if next + closing > limit {
                break;
            }
            length = next;
            end += 1;
        }
        let cut = if end == tokens.len() {
            end
        } else {
            choose_cut(tokens, start, end)
        };
        let mut part = prefix.clone();
        let mut last = cut;
        // Whitespace at the cut belongs to neither part.
        while last > start && matches!(tokens[last - 1].kind, TokenKind::Space | TokenKind::Newline) {
            last -= 1;
        }
        for token in &tokens[start..last] {
            part.push_str(&token.text);
        }
        let mut next = cut;
        while next < tokens.len() && matches!(tokens[next].kind, TokenKind::Space | TokenKind::Newline) {
            next += 1;
        }
        prefix.clear();
        if next < tokens.len() {
            let mid_line = tokens[cut..next].iter().all(|token| token.kind != TokenKind::Newline)
                && tokens[next].kind != TokenKind::Markup;
            if tokens[next].quote && mid_line {
                prefix.push_str("> ");
            }
            if tokens[next].bold {
                part.push_str("**");
                prefix.push_str("**");
            }
        }
        if !part.trim().is_empty() && part.trim() != "**" {
            parts.push(part);
        }
        start = next;
    }
    parts
}

/// The best place to end a part that must end at or before `end`: the latest
/// paragraph break, else line break, else space, in the part's second half if
/// there is one there; otherwise the best anywhere; otherwise `end` itself.
fn choose_cut(tokens: &[Token], start: usize, end: usize) -> usize {
    let mut best: [Option<usize>; 3] = [None; 3];
    for index in start + 1..=end {
        let before = &tokens[index - 1];
        let boundary = match before.kind {
            TokenKind::Newline if index >= 2 && tokens[index - 2].kind == TokenKind::Newline => Boundary::Paragraph,
            TokenKind::Newline => Boundary::Line,
            TokenKind::Space => Boundary::Word,
            // The part may also end just before the whitespace that follows it.
            _ if index == end => match tokens.get(end).map(|token| token.kind) {
                Some(TokenKind::Newline) => Boundary::Line,
                Some(TokenKind::Space) => Boundary::Word,
                _ => continue,
            },
            _ => continue,
        };
        best[boundary as usize] = Some(index);
        if boundary == Boundary::Paragraph {
            best[Boundary::Line as usize] = Some(index);
        }
    }
    let half = start + (end - start) / 2;
    let mut chosen = best
        .iter()
        .flatten()
        .find(|&&index| index > half)
        .or_else(|| best.iter().flatten().next())
        .copied()
        .unwrap_or(end);
    // Never end a part right after an opening "**" ...
    if chosen > start + 1 && tokens[chosen - 1].kind == TokenKind::Markup && !tokens[chosen - 1].bold {
        chosen -= 1;
    }
    // ... nor just before a closing one: it fits in the room kept for closing.
    if tokens
        .get(chosen)
        .is_some_and(|token| token.kind == TokenKind::Markup && token.bold)
    {
        chosen += 1;
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::Span;

    fn text(text: &str) -> Span {
        Span::Text(text.to_string())
    }

    #[test]
    fn spans_are_escaped_and_styled() {
        let cases: &[(&[Span], &str)] = &[
            (&[text("plain words")], "plain words"),
            (
                &[text("*bold* _it_ ~~s~~ `code` ||spoil||")],
                "\\*bold\\* \\_it\\_ \\~\\~s\\~\\~ \\`code\\` \\|\\|spoil\\|\\|",
            ),
            (
                &[text("@everyone <@&123> <@42> [x](http://y)")],
                "@everyone \\<@&123\\> \\<@42\\> \\[x\\](http://y)",
            ),
            (
                &[text("# big\n- item\n1. first\n> not quoted")],
                "\\# big\n\\- item\n1\\. first\n\\> not quoted",
            ),
            (&[text("a - b # c 1. d")], "a - b # c 1. d"),
            (&[text("back\\slash")], "back\\\\slash"),
            (&[Span::Bold("Ticket #3".into()), text(" · x")], "**Ticket #3** · x"),
            (&[Span::Bold("a*b".into())], "**a\\*b**"),
            (
                &[
                    text("from Ann\n"),
                    Span::Quote("line one\n# two **x**".into()),
                    text("\nReply"),
                ],
                "from Ann\n> line one\n> \\# two \\*\\*x\\*\\*\nReply",
            ),
            (
                &[text("before"), Span::Quote("q".into()), text("after")],
                "before\n> q\nafter",
            ),
            (&[Span::Quote(">>> all\n".into())], "> \\>\\>\\> all\n> "),
            (
                &[text("see https://x.org/a_b_c?q=1*2 now")],
                "see https://x.org/a_b_c?q=1*2 now",
            ),
            (&[text("see https://x.org/a`b")], "see https://x.org/a\\`b"),
        ];
        for (body, expected) in cases {
            let parts = render_parts(body, MESSAGE_LIMIT);
            assert_eq!(parts, vec![expected.to_string()], "{body:?}");
        }
    }

    #[test]
    fn an_empty_body_has_no_parts() {
        assert!(render_parts(&[], MESSAGE_LIMIT).is_empty());
        assert!(render_parts(&[text("  \n ")], MESSAGE_LIMIT).is_empty());
    }

    #[test]
    fn long_text_splits_on_the_best_boundary() {
        // (input, limit, expected parts)
        let cases: &[(&str, usize, &[&str])] = &[
            ("short", 20, &["short"]),
            ("first paragraph\n\nsecond one", 20, &["first paragraph", "second one"]),
            ("line one is here\nline two", 20, &["line one is here", "line two"]),
            ("aaaa bbbb cccc dddd eeee", 20, &["aaaa bbbb cccc dddd", "eeee"]),
            ("abcdefghijklmnopqrstuvwxyz", 20, &["abcdefghijklmnopqrst", "uvwxyz"]),
            // A paragraph break in the second half beats a later line break.
            ("aaaaaaaaaaaa\n\nbb\ncc dd", 20, &["aaaaaaaaaaaa", "bb\ncc dd"]),
            // Escapes are never cut: 19 chars then "\*" would straddle the limit.
            ("aaaaaaaaaaaaaaaaaaa*bbb", 20, &["aaaaaaaaaaaaaaaaaaa", "\\*bbb"]),
            // Surrogate pairs count two units and are never cut.
            ("aaaaaaaaaaaaaaaaaaa😀b", 20, &["aaaaaaaaaaaaaaaaaaa", "😀b"]),
        ];
        for (input, limit, expected) in cases {
            let parts = render_parts(&[text(input)], *limit);
            assert_eq!(&parts, expected, "{input:?} at {limit}");
            for part in &parts {
                assert!(units(part) <= *limit, "{part:?} is longer than {limit}");
            }
        }
    }

    #[test]
    fn cuts_inside_quotes_and_bold_keep_the_markup() {
        let parts = render_parts(&[Span::Quote("one two three four five six".into())], 20);
        assert_eq!(parts, vec!["> one two three four", "> five six"]);
        let parts = render_parts(&[Span::Bold("one two three four five six".into())], 20);
        assert_eq!(parts, vec!["**one two three**", "**four five six**"]);
        for part in &parts {
            assert!(units(part) <= 20, "{part:?}");
        }
    }

    #[test]
    fn a_ticket_longer_than_a_message_splits_into_fitting_parts() {
        let question = "Is there a *quiet* room? ".repeat(200);
        let body = vec![
            Span::Bold("Ticket #7".into()),
            text(" · Main · Telegram · from @everyone\n"),
            Span::Quote(question.trim().to_string()),
            text("\nReply to this message, or send /reply 7 followed by your answer."),
        ];
        let parts = render_parts(&body, MESSAGE_LIMIT);
        assert!(parts.len() >= 3, "{} parts", parts.len());
        for part in &parts {
            assert!(units(part) <= MESSAGE_LIMIT);
            assert!(!part.ends_with('\\'), "a part ends inside an escape");
        }
        assert!(parts[0].starts_with("**Ticket #7**"));
        assert!(
            parts[1].starts_with("> "),
            "continued quote keeps its prefix: {}",
            &parts[1][..20]
        );
        assert!(parts.last().unwrap().ends_with("followed by your answer."));
        let joined: String = parts.concat();
        assert_eq!(joined.matches("\\*quiet\\*").count(), 200);
    }
}
