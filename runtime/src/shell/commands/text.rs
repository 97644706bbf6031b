//! Text commands of coreutils 8.4 and grep 2.6 (RHEL 6): `echo`, `cat`, `grep`, `head`,
//! `tail`, `wc`, `true`, `false`. Files are read from the host's files; with no file they
//! read their stdin (a pipe or a here-document).

use super::{options, usage};
use crate::error::Error;
use crate::shell::exec::{absolute, Output, Shell};
use crate::shell::MAX_OUTPUT;

pub fn true_(_: &mut Shell, _: &[String], _: &str) -> Output {
    Output::default()
}

pub fn false_(_: &mut Shell, _: &[String], _: &str) -> Output {
    Output::failed(1, "")
}

/// bash's builtin `echo`: `-n` drops the newline, `-e` reads `\n` and `\t`.
pub fn echo(_: &mut Shell, args: &[String], _: &str) -> Output {
    let mut newline = true;
    let mut escapes = false;
    let mut words = args;
    while let Some(first) = words.first() {
        let letters = first.strip_prefix('-').unwrap_or("");
        if letters.is_empty() || !letters.chars().all(|c| matches!(c, 'n' | 'e' | 'E')) {
            break;
        }
        for c in letters.chars() {
            match c {
                'n' => newline = false,
                'e' => escapes = true,
                _ => escapes = false,
            }
        }
        words = &words[1..];
    }
    let mut text = words.join(" ");
    if escapes {
        text = text
            .replace("\\n", "\n")
            .replace("\\t", "\t")
            .replace("\\\\", "\\");
    }
    if newline {
        text.push('\n');
    }
    Output::ok(text)
}

/// A file's text, or the tool's message for a file it cannot read.
fn read(shell: &Shell, tool: &str, path: &str) -> Result<String, String> {
    let full = absolute(path);
    if let Some(text) = super::basics::proc_file(shell, &full) {
        return Ok(text);
    }
    let host = shell.backend.world().host(shell.host);
    match host.read_file(&full) {
        Ok(text) => Ok(text.to_string()),
        Err(Error::IsADirectory { .. }) => Err(format!("{tool}: {path}: Is a directory\n")),
        Err(_) => Err(format!("{tool}: {path}: No such file or directory\n")),
    }
}

/// Each input in turn: the files named, or stdin when none is (or for `-`).
fn inputs(
    shell: &Shell,
    tool: &str,
    files: &[String],
    stdin: &str,
) -> Vec<(String, Result<String, String>)> {
    if files.is_empty() {
        return vec![("-".into(), Ok(stdin.to_string()))];
    }
    files
        .iter()
        .map(|f| {
            let text = if f == "-" {
                Ok(stdin.to_string())
            } else {
                read(shell, tool, f)
            };
            (f.clone(), text)
        })
        .collect()
}

pub fn cat(shell: &mut Shell, args: &[String], stdin: &str) -> Output {
    let args = match options(shell, "cat", args, "n", "") {
        Ok(a) => a,
        Err(out) => return out,
    };
    let mut out = Output::default();
    let mut line_number = 0;
    for (_, text) in inputs(shell, "cat", &args.operands, stdin) {
        match text {
            Ok(text) if args.has('n') => {
                for line in text.split_inclusive('\n') {
                    line_number += 1;
                    out.stdout.push_str(&format!("{line_number:>6}\t{line}"));
                }
            }
            Ok(text) => out.stdout.push_str(&text),
            Err(message) => {
                out.stderr.push_str(&message);
                out.status = 1;
            }
        }
        if out.stdout.len() > MAX_OUTPUT {
            break;
        }
    }
    out
}

/// grep's basic regular expressions in the regex crate's syntax: `\( \) \{ \} \| \+ \?`
/// are the operators, the bare characters are text.
fn basic_to_extended(pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(op @ ('(' | ')' | '{' | '}' | '|' | '+' | '?')) => out.push(op),
                Some('<' | '>') => out.push_str("\\b"),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push_str("\\\\"),
            },
            '(' | ')' | '{' | '}' | '|' | '+' | '?' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// `grep [-v] [-i] [-c] [-n] [-q] [-w] [-E] [-F] PATTERN [FILE...]`: status 0 when a line
/// matched, 1 when none did, 2 on an error.
/// `egrep`: grep with extended expressions, as RHEL 6's egrep script runs `grep -E`.
pub fn egrep(shell: &mut Shell, args: &[String], stdin: &str) -> Output {
    let mut with_e = vec!["-E".to_string()];
    with_e.extend(args.iter().cloned());
    grep(shell, &with_e, stdin)
}

pub fn grep(shell: &mut Shell, args: &[String], stdin: &str) -> Output {
    let args = match options(shell, "grep", args, "vicnqwEFhH", "e") {
        Ok(a) => a,
        Err(mut out) => {
            out.status = 2;
            out.stderr = out.stderr.replace(
                "Try `grep --help'",
                "Usage: grep [OPTION]... PATTERN [FILE]...\nTry `grep --help'",
            );
            return out;
        }
    };
    let mut operands = args.operands.clone();
    let mut patterns: Vec<String> = args.values('e').into_iter().map(str::to_string).collect();
    if patterns.is_empty() {
        if operands.is_empty() {
            return Output::failed(
                2,
                "Usage: grep [OPTION]... PATTERN [FILE]...\nTry `grep --help' for more information.\n",
            );
        }
        patterns.push(operands.remove(0));
    }
    // Each -e is a pattern of its own: a line matches when any does.
    let mut expression = patterns
        .iter()
        .map(|pattern| {
            if args.has('F') {
                regex::escape(pattern)
            } else if args.has('E') {
                pattern.clone()
            } else {
                basic_to_extended(pattern)
            }
        })
        .map(|e| format!("(?:{e})"))
        .collect::<Vec<_>>()
        .join("|");
    if args.has('w') {
        expression = format!(r"\b(?:{expression})\b");
    }
    let matcher = match regex::RegexBuilder::new(&expression)
        .case_insensitive(args.has('i'))
        .size_limit(1 << 20)
        .build()
    {
        Ok(m) => m,
        Err(_) => return Output::failed(2, "grep: Invalid regular expression\n"),
    };
    let many = operands.len() > 1;
    let named = (many || args.has('H')) && !args.has('h');
    let mut out = Output::failed(1, "");
    let mut matched = false;
    for (name, text) in inputs(shell, "grep", &operands, stdin) {
        let text = match text {
            Ok(t) => t,
            Err(message) => {
                out.stderr.push_str(&message);
                continue;
            }
        };
        let mut count = 0;
        for (i, line) in text.lines().enumerate() {
            if matcher.is_match(line) == args.has('v') {
                continue;
            }
            count += 1;
            matched = true;
            if args.has('q') || args.has('c') {
                continue;
            }
            let prefix = if named {
                format!("{name}:")
            } else {
                String::new()
            };
            let number = if args.has('n') {
                format!("{}:", i + 1)
            } else {
                String::new()
            };
            out.stdout.push_str(&format!("{prefix}{number}{line}\n"));
        }
        if args.has('c') && !args.has('q') {
            let prefix = if named {
                format!("{name}:")
            } else {
                String::new()
            };
            out.stdout.push_str(&format!("{prefix}{count}\n"));
        }
    }
    let unreadable = !out.stderr.is_empty();
    // -q answers 0 at the first match, whatever it could not read.
    out.status = if matched && args.has('q') {
        0
    } else if unreadable {
        2
    } else if matched {
        0
    } else {
        1
    };
    out
}

/// The `-n N` (or `-N`) of head and tail, 10 when not given.
fn line_count(tool: &str, args: &[String]) -> Result<(usize, Vec<String>), Output> {
    let mut count = 10;
    let mut files = Vec::new();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        let value = if word == "-n" {
            match words.next() {
                Some(v) => v.clone(),
                None => return Err(usage(tool, "option requires an argument -- 'n'", 1)),
            }
        } else if let Some(v) = word.strip_prefix("-n") {
            v.to_string()
        } else if let Some(v) = word.strip_prefix('-').filter(|v| !v.is_empty()) {
            v.to_string()
        } else {
            files.push(word.clone());
            continue;
        };
        count = value.parse().map_err(|_| {
            Output::failed(1, format!("{tool}: {value}: invalid number of lines\n"))
        })?;
    }
    Ok((count, files))
}

fn head_or_tail(shell: &mut Shell, tool: &str, args: &[String], stdin: &str) -> Output {
    let (count, files) = match line_count(tool, args) {
        Ok(c) => c,
        Err(out) => return out,
    };
    let many = files.len() > 1;
    let mut out = Output::default();
    for (i, (name, text)) in inputs(shell, tool, &files, stdin).into_iter().enumerate() {
        let text = match text {
            Ok(t) => t,
            Err(message) => {
                let reason = message
                    .trim_end()
                    .rsplit(": ")
                    .next()
                    .unwrap_or("")
                    .to_string();
                out.stderr.push_str(&format!(
                    "{tool}: cannot open `{name}' for reading: {reason}\n"
                ));
                out.status = 1;
                continue;
            }
        };
        if many {
            let gap = if i > 0 { "\n" } else { "" };
            out.stdout.push_str(&format!("{gap}==> {name} <==\n"));
        }
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let kept = if tool == "head" {
            &lines[..count.min(lines.len())]
        } else {
            &lines[lines.len().saturating_sub(count)..]
        };
        out.stdout.push_str(&kept.concat());
    }
    out
}

pub fn head(shell: &mut Shell, args: &[String], stdin: &str) -> Output {
    head_or_tail(shell, "head", args, stdin)
}

pub fn tail(shell: &mut Shell, args: &[String], stdin: &str) -> Output {
    head_or_tail(shell, "tail", args, stdin)
}

/// `wc [-l] [-w] [-c] [FILE...]`, with coreutils' column widths: one count of one input is
/// bare, stdin's columns are 7 wide, files' as wide as their total of bytes.
pub fn wc(shell: &mut Shell, args: &[String], stdin: &str) -> Output {
    let args = match options(shell, "wc", args, "lwc", "") {
        Ok(a) => a,
        Err(out) => return out,
    };
    let all = !(args.has('l') || args.has('w') || args.has('c'));
    let shown = [
        all || args.has('l'),
        all || args.has('w'),
        all || args.has('c'),
    ];
    let mut out = Output::default();
    let mut rows: Vec<([usize; 3], Option<String>)> = Vec::new();
    for (name, text) in inputs(shell, "wc", &args.operands, stdin) {
        match text {
            Ok(t) => {
                let counts = [
                    t.matches('\n').count(),
                    t.split_whitespace().count(),
                    t.len(),
                ];
                let name = (!args.operands.is_empty()).then_some(name);
                rows.push((counts, name));
            }
            Err(message) => {
                out.stderr.push_str(&message);
                out.status = 1;
            }
        }
    }
    if rows.len() > 1 {
        let mut total = [0; 3];
        for (counts, _) in &rows {
            for (t, c) in total.iter_mut().zip(counts) {
                *t += c;
            }
        }
        rows.push((total, Some("total".into())));
    }
    let columns = shown.iter().filter(|s| **s).count();
    let width = if columns == 1 && rows.len() == 1 {
        1
    } else if args.operands.is_empty() {
        7
    } else {
        let bytes: usize = rows.last().map_or(0, |(c, _)| c[2]);
        bytes.to_string().len()
    };
    for (counts, name) in rows {
        let mut fields: Vec<String> = counts
            .iter()
            .zip(shown)
            .filter(|(_, s)| *s)
            .map(|(c, _)| format!("{c:>width$}"))
            .collect();
        if let Some(name) = name {
            fields.push(name);
        }
        out.stdout.push_str(&fields.join(" "));
        out.stdout.push('\n');
    }
    out
}
