//! Script text made safe to show. Scripts are untrusted: a step title, a check name, a
//! printed line or a value echoed in a diagnostic may hold newlines, carriage returns,
//! terminal escapes or bidi overrides that would let a script draw fake `PASS` lines on a
//! terminal, and a value may be 700 KB long. Everything a script makes the console show goes
//! through [`escaped`] (one line, controls spelled out) and long values through [`clipped`].
//! The JSON report keeps the raw strings; JSON escapes them itself.

use std::borrow::Cow;
use std::fmt::Write;

/// How many characters of a script value a message shows before cutting it.
pub const VALUE_CHARS: usize = 80;

/// How many characters of a whole diagnostic message or help line are shown.
pub const MESSAGE_CHARS: usize = 600;

/// Whether `c` moves the cursor, changes the terminal's state or reorders text: C0 controls
/// (tab and newline included), DEL, C1 controls, and the bidi embeddings, overrides and
/// isolates (U+202A..U+202E, U+2066..U+2069).
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` as one line with its control characters spelled out (`\n`, `\r`, `\t`, `\x1b`,
/// `\u{202e}`), so it cannot break a line, move the cursor or color the terminal.
pub fn escaped(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && is_unsafe(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A printed line as shown: tabs become spaces up to the next multiple of 8 (command output
/// such as `/etc/fstab` is tab-separated), every other control is spelled out.
pub fn escaped_line(line: &str) -> Cow<'_, str> {
    if !line.contains('\t') {
        return escaped(line);
    }
    let mut expanded = String::with_capacity(line.len() + 8);
    let mut column = 0;
    for c in line.chars() {
        if c == '\t' {
            let spaces = 8 - column % 8;
            expanded.extend(std::iter::repeat_n(' ', spaces));
            column += spaces;
        } else {
            expanded.push(c);
            column += 1;
        }
    }
    Cow::Owned(escaped(&expanded).into_owned())
}

/// `text` cut to `max` characters, marked with `…` and its full length when cut:
/// `aaaa… (700000 characters)`.
pub fn clipped(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((end, _)) => Cow::Owned(format!(
            "{}… ({} characters)",
            &text[..end],
            text.chars().count()
        )),
    }
}

/// A diagnostic message or help line with every script value in it longer than
/// [`VALUE_CHARS`] cut (a backtick-quoted value, or a word such as `IPADDR=...`), and the
/// whole cut to [`MESSAGE_CHARS`].
pub fn clipped_message(message: &str) -> Cow<'_, str> {
    let long = |part: &str| part.chars().nth(VALUE_CHARS).is_some();
    if !message.split(['`', ' ']).any(long) {
        return clipped(message, MESSAGE_CHARS);
    }
    let parts: Vec<&str> = message.split('`').collect();
    let closed = parts.len() % 2 == 1;
    let mut out = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push('`');
        }
        // Odd parts are inside backticks, unless the last quote is never closed.
        if i % 2 == 1 && (closed || i + 1 < parts.len()) {
            out.push_str(&clipped(part, VALUE_CHARS));
        } else {
            let words: Vec<Cow<str>> = part.split(' ').map(|w| clipped(w, VALUE_CHARS)).collect();
            out.push_str(&words.join(" "));
        }
    }
    Cow::Owned(clipped(&out, MESSAGE_CHARS).into_owned())
}

/// Source text for a diagnostic's snippet: each unsafe character but the line breaks (and
/// tabs) replaced by one visible character, so lines and character columns stay where they
/// were. C0 controls become their Control Pictures (`␛`), the others `�`.
pub fn visible_source(source: &str) -> Cow<'_, str> {
    let keeps =
        |c: char, next: Option<char>| c == '\n' || c == '\t' || (c == '\r' && next == Some('\n'));
    let mut chars = source.chars().peekable();
    let mut out: Option<String> = None;
    let mut index = 0;
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        if is_unsafe(c) && !keeps(c, next) {
            let text = out.get_or_insert_with(|| source[..index].to_string());
            text.push(match c as u32 {
                n @ 0..=0x1f => char::from_u32(0x2400 + n).unwrap_or('\u{FFFD}'),
                0x7f => '\u{2421}',
                _ => '\u{FFFD}',
            });
        } else if let Some(text) = out.as_mut() {
            text.push(c);
        }
        index += c.len_utf8();
    }
    match out {
        Some(text) => Cow::Owned(text),
        None => Cow::Borrowed(source),
    }
}

/// `text` cut to `max` characters, with `…` where it was cut.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let kept: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_spelled_out_on_one_line() {
        assert_eq!(escaped("ok"), "ok");
        assert_eq!(
            escaped("a\nPASS\r\x1b[32m\u{7f}\u{85}\u{202e}x\u{2066}"),
            "a\\nPASS\\r\\x1b[32m\\x7f\\u{85}\\u{202e}x\\u{2066}"
        );
        assert!(!escaped("\u{9b}2J").chars().any(is_unsafe));
    }

    #[test]
    fn tabs_in_printed_lines_become_spaces() {
        assert_eq!(
            escaped_line("/dev/sdb1\t/iscsi1"),
            "/dev/sdb1       /iscsi1"
        );
        assert_eq!(escaped_line("a\tb\x1b"), "a       b\\x1b");
    }

    #[test]
    fn long_values_are_cut_with_their_length() {
        assert_eq!(clipped("short", 80), "short");
        let long = "1".repeat(700_000);
        let cut = clipped(&long, 80);
        assert_eq!(cut, format!("{}… (700000 characters)", "1".repeat(80)));
        let message = format!("bad IPADDR value `{long}` in `ifcfg-eth0`");
        let shown = clipped_message(&message);
        assert!(shown.len() < 200, "{shown}");
        assert!(shown.ends_with("characters)` in `ifcfg-eth0`"), "{shown}");
        let word = format!("line 4: IPADDR={long} is not an address");
        assert_eq!(
            clipped_message(&word),
            format!(
                "line 4: {}… (700007 characters) is not an address",
                &word[8..88]
            )
        );
        let words = "word ".repeat(1_000);
        assert!(clipped_message(&words).chars().count() < MESSAGE_CHARS + 30);
    }

    #[test]
    fn snippets_keep_lines_and_columns() {
        let source = "let a = \"\x1b[2J\";\r\nprint(a);\r\u{202e}\n";
        let shown = visible_source(source);
        assert_eq!(shown.chars().count(), source.chars().count());
        assert_eq!(shown.lines().count(), source.lines().count());
        assert!(!shown.contains('\x1b') && !shown.contains('\u{202e}'));
        assert!(shown.contains("\r\n") && shown.contains('␛'));
    }

    #[test]
    fn long_values_are_cut() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
    }
}
