//! The shell-variable files of initscripts (`ifcfg-*`, `/etc/sysconfig/network`), read the
//! way they really are read: `.`-sourced by bash.
//!
//! The subset bash gives meaning to in such a file is handled exactly: `KEY=value` (several
//! per line, `;` between commands, `export`), single and double quotes, backslash escapes and
//! line continuations, `$NAME`/`${NAME}` expansion of earlier keys, and `#` starting a comment
//! only at the start of a word (`IPADDR=1.2.3.4 # note` is fine, `A=b#c` keeps `b#c`). What
//! bash treats as a syntax error (an unmatched quote, a stray `(`) stops the reading there, as
//! it stops `.`: that line and later ones are not applied. A line that is a command (`IPADDR = 1.2.3.4`
//! runs the command `IPADDR`) sets nothing. Constructs that would run code (`$(...)`,
//! backquotes, pipes, redirections) are refused for that command.

use super::Finding;
use crate::error::Error;

/// One `KEY=value` that took effect.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Assignment {
    pub key: String,
    pub value: String,
    /// 1-based line where the assignment starts.
    pub line: usize,
}

/// The assignments a file makes, in order, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ShellVars {
    pub assignments: Vec<Assignment>,
    pub findings: Vec<Finding>,
}

impl ShellVars {
    /// Parses `text` (the content of `file`); never fails.
    pub fn parse(file: &str, text: &str) -> ShellVars {
        let mut parser = Parser {
            file,
            chars: text.chars().collect(),
            pos: 0,
            line: 1,
            vars: ShellVars {
                assignments: Vec::new(),
                findings: Vec::new(),
            },
        };
        parser.run();
        parser.vars
    }

    /// The value `key` ends up with: the last assignment wins.
    pub fn get(&self, key: &str) -> Option<&Assignment> {
        self.assignments.iter().rev().find(|a| a.key == key)
    }

    /// The value of `key`, if set.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.get(key).map(|a| a.value.as_str())
    }
}

/// A word of a command, after quote removal and expansion.
struct Word {
    text: String,
    /// Some of it was quoted or escaped, so it stays a word even when empty.
    quoted: bool,
    /// `Some(key)` when the word is `KEY=...` with an unquoted valid name before `=`.
    assignment: Option<(String, String)>,
    line: usize,
}

/// Why reading stopped early or a command was dropped.
enum Problem {
    /// bash stops reading the file here.
    Syntax {
        line: usize,
        message: String,
        help: String,
    },
    /// This command is dropped; reading goes on at the next line.
    Unsupported { line: usize, construct: String },
}

struct Parser<'a> {
    file: &'a str,
    chars: Vec<char>,
    pos: usize,
    line: usize,
    vars: ShellVars,
}

const STOPPED: &str = "bash stops reading the file here, so the lines below it are not applied";

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn skip_blanks(&mut self) {
        loop {
            match (self.peek(), self.peek_at(1)) {
                (Some(' ' | '\t'), _) => {
                    self.bump();
                }
                (Some('\\'), Some('\n')) => {
                    self.bump();
                    self.bump();
                }
                _ => break,
            }
        }
    }

    fn skip_to_line_end(&mut self) {
        while let Some(c) = self.peek() {
            if c == '\n' {
                break;
            }
            self.bump();
        }
    }

    fn run(&mut self) {
        // bash parses a whole line (commands up to an unquoted newline) before running it:
        // a syntax error anywhere on the line undoes the line's earlier commands too.
        let mut line_start = (0, 0);
        loop {
            self.skip_blanks();
            let Some(c) = self.peek() else { break };
            match c {
                '\n' => {
                    self.bump();
                    line_start = (self.vars.assignments.len(), self.vars.findings.len());
                }
                '#' => self.skip_to_line_end(),
                ';' => {
                    let line = self.line;
                    self.abandon_line(line_start);
                    self.stop(Problem::Syntax {
                        line,
                        message: "syntax error near unexpected token `;`".into(),
                        help: format!("delete the stray `;`; {STOPPED}"),
                    });
                    return;
                }
                _ => match self.command() {
                    Ok(()) => {}
                    Err(problem @ Problem::Syntax { .. }) => {
                        self.abandon_line(line_start);
                        self.stop(problem);
                        return;
                    }
                    Err(problem @ Problem::Unsupported { .. }) => {
                        self.stop(problem);
                        self.skip_to_line_end();
                    }
                },
            }
        }
    }

    fn abandon_line(&mut self, (assignments, findings): (usize, usize)) {
        self.vars.assignments.truncate(assignments);
        self.vars.findings.truncate(findings);
    }

    fn stop(&mut self, problem: Problem) {
        let (line, error) = match problem {
            Problem::Syntax {
                line,
                message,
                help,
            } => (
                line,
                Error::IfcfgSyntax {
                    file: self.file.into(),
                    line,
                    message,
                    help,
                },
            ),
            Problem::Unsupported { line, construct } => (
                line,
                Error::IfcfgUnsupported {
                    file: self.file.into(),
                    line,
                    construct,
                },
            ),
        };
        self.vars
            .findings
            .push(Finding::error(self.file, Some(line), error));
    }

    /// Reads one simple command up to a newline, `;` or comment, and applies it.
    fn command(&mut self) -> Result<(), Problem> {
        let start_line = self.line;
        let start_assignments = self.vars.assignments.len();
        let mut words: Vec<Word> = Vec::new();
        loop {
            self.skip_blanks();
            match self.peek() {
                None | Some('\n') => break,
                Some(';') => {
                    self.bump();
                    break;
                }
                Some('#') => {
                    self.skip_to_line_end();
                    break;
                }
                Some(c @ ('(' | ')')) => {
                    return Err(Problem::Syntax {
                        line: self.line,
                        message: format!("syntax error near unexpected token `{c}`"),
                        help: format!(
                            "put a comment after `#` and quote values with special characters; {STOPPED}"
                        ),
                    })
                }
                Some(c @ ('|' | '&' | '<' | '>')) => {
                    return Err(Problem::Unsupported {
                        line: self.line,
                        construct: format!("`{c}` (pipes, background jobs and redirections)"),
                    })
                }
                Some(_) => {
                    let mut word = self.word()?;
                    // Only a leading run of KEY=value words (or export's arguments) assigns;
                    // bash performs them left to right, so later words already see them.
                    let leading = words
                        .iter()
                        .all(|w| w.assignment.is_some() || (w.text == "export" && !w.quoted));
                    match (&word.assignment, leading) {
                        (Some((key, value)), true) => self.vars.assignments.push(Assignment {
                            key: key.clone(),
                            value: value.clone(),
                            line: word.line,
                        }),
                        (Some(_), false) => word.assignment = None,
                        (None, _) => {}
                    }
                    words.push(word);
                }
            }
        }
        self.apply(start_line, start_assignments, words);
        Ok(())
    }

    /// Keeps the command's assignments if it was assignments only (or `export`), and takes
    /// them back if it turned out to run a command (they were only its environment).
    fn apply(&mut self, line: usize, start_assignments: usize, mut words: Vec<Word>) {
        // An unquoted expansion that comes out empty is no word at all (`IPADDR= $UNSET`
        // just sets IPADDR to the empty string).
        words.retain(|w| w.quoted || w.text.split_whitespace().next().is_some());
        let mut rest = words.as_slice();
        let exported =
            matches!(rest.first(), Some(w) if w.assignment.is_none() && w.text == "export");
        if exported {
            rest = &rest[1..];
        }
        let command_at = rest.iter().position(|w| w.assignment.is_none());
        if let (Some(at), false) = (command_at, exported) {
            self.vars.assignments.truncate(start_assignments);
            self.command_finding(line, rest, at);
            return;
        }
        for word in rest {
            if let Some((_, value)) = &word.assignment {
                if value.ends_with('\r') {
                    self.vars.findings.push(Finding::warning(
                        self.file,
                        Some(word.line),
                        Error::WindowsLineEndings {
                            file: self.file.into(),
                            line: word.line,
                        },
                    ));
                }
            }
        }
    }

    /// `words[at]` is run as a command: explain the likely slip.
    fn command_finding(&mut self, line: usize, words: &[Word], at: usize) {
        let command: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        let help = match (&words[at..], at) {
            // `KEY = value` or `KEY =value`
            ([key, eq, ..], 0) if eq.text.starts_with('=') && is_name(&key.text) => {
                let value = match eq.text.len() {
                    1 => words.get(2).map(|w| w.text.as_str()).unwrap_or(""),
                    _ => &eq.text[1..],
                };
                format!(
                    "no spaces around `=` in a shell variable file: write `{}={}`",
                    key.text,
                    quote_if_needed(value)
                )
            }
            // `KEY= value`
            ([value, ..], _) if at > 0 && words[at - 1].assignment.as_ref().is_some_and(|(_, v)| v.is_empty()) => {
                let key = &words[at - 1].assignment.as_ref().map(|(k, _)| k.as_str()).unwrap_or("");
                format!(
                    "no space after `=`: write `{key}={}`",
                    quote_if_needed(&value.text)
                )
            }
            // `KEY=a b`
            (_, n) if n > 0 => {
                let (key, first) = words[n - 1].assignment.clone().unwrap_or_default();
                let joined: Vec<&str> = std::iter::once(first.as_str())
                    .chain(words[n..].iter().map(|w| w.text.as_str()))
                    .collect();
                format!(
                    "quote a value with spaces: `{key}=\"{}\"`, or start a comment with `#`",
                    joined.join(" ")
                )
            }
            _ => "a network config file holds only KEY=value lines; bash runs anything else as a command".to_string(),
        };
        self.vars.findings.push(Finding::error(
            self.file,
            Some(line),
            Error::IfcfgCommand {
                file: self.file.into(),
                line,
                command: command.join(" "),
                help,
            },
        ));
    }

    /// Reads one word: quotes, escapes and expansions, up to an unquoted blank or operator.
    fn word(&mut self) -> Result<Word, Problem> {
        let line = self.line;
        let name_len = self.chars[self.pos..]
            .iter()
            .enumerate()
            .take_while(|(i, c)| {
                c.is_ascii_alphabetic() || **c == '_' || (*i > 0 && c.is_ascii_digit())
            })
            .count();
        let is_assignment = name_len > 0 && self.peek_at(name_len) == Some('=');
        let mut prefix = String::new();
        if is_assignment {
            for _ in 0..=name_len {
                prefix.extend(self.bump());
            }
            if self.peek() == Some('(') {
                return Err(Problem::Unsupported {
                    line,
                    construct: "an array value `KEY=(...)`".into(),
                });
            }
        }
        let mut text = String::new();
        let mut quoted = false;
        while let Some(c) = self.peek() {
            if matches!(c, '\'' | '"' | '\\') {
                quoted = true;
            }
            match c {
                ' ' | '\t' | '\n' | ';' | '(' | ')' | '|' | '&' | '<' | '>' => break,
                '\'' => {
                    let start = self.line;
                    self.bump();
                    loop {
                        match self.bump() {
                            Some('\'') => break,
                            Some(c) => text.push(c),
                            None => return Err(unterminated('\'', start)),
                        }
                    }
                }
                '"' => {
                    let start = self.line;
                    self.bump();
                    loop {
                        match self.peek() {
                            None => return Err(unterminated('"', start)),
                            Some('"') => {
                                self.bump();
                                break;
                            }
                            Some('\\') => {
                                self.bump();
                                match self.peek() {
                                    Some('\n') => {
                                        self.bump();
                                    }
                                    Some(c @ ('$' | '`' | '"' | '\\')) => {
                                        self.bump();
                                        text.push(c);
                                    }
                                    _ => text.push('\\'),
                                }
                            }
                            Some('$') => self.expand(&mut text, true)?,
                            Some('`') => return Err(command_substitution(self.line)),
                            Some(c) => {
                                self.bump();
                                text.push(c);
                            }
                        }
                    }
                }
                '\\' => {
                    self.bump();
                    match self.bump() {
                        Some('\n') => {}
                        Some(c) => text.push(c),
                        None => text.push('\\'),
                    }
                }
                '$' => match self.peek_at(1) {
                    // $"..." is a translatable string: the plain string in the C locale.
                    Some('"') => {
                        self.bump();
                    }
                    Some('\'') => {
                        quoted = true;
                        self.ansi_c_string(&mut text)?;
                    }
                    _ => self.expand(&mut text, false)?,
                },
                '`' => return Err(command_substitution(self.line)),
                _ => {
                    self.bump();
                    text.push(c);
                }
            }
        }
        if is_assignment {
            let key = prefix[..prefix.len() - 1].to_string();
            Ok(Word {
                text: format!("{prefix}{text}"),
                quoted: true,
                assignment: Some((key, text)),
                line,
            })
        } else {
            Ok(Word {
                text,
                quoted,
                assignment: None,
                line,
            })
        }
    }

    /// Expands `$NAME` or `${NAME}` at the cursor from the keys assigned so far (unset is
    /// empty, as in the `env -i` world a config file is read in). Inside double quotes a `$`
    /// before a quote is a plain `$`.
    fn expand(&mut self, out: &mut String, in_double_quotes: bool) -> Result<(), Problem> {
        let line = self.line;
        self.bump();
        match self.peek() {
            Some('{') => {
                self.bump();
                let mut name = String::new();
                loop {
                    match self.bump() {
                        Some('}') => break,
                        Some(c) => name.push(c),
                        None => return Err(unterminated('{', line)),
                    }
                }
                if !is_name(&name) {
                    return Err(Problem::Unsupported {
                        line,
                        construct: format!("the expansion `${{{name}}}`"),
                    });
                }
                out.push_str(self.vars.value(&name).unwrap_or(""));
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let mut name = String::new();
                while let Some(c) = self
                    .peek()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                {
                    self.bump();
                    name.push(c);
                }
                out.push_str(self.vars.value(&name).unwrap_or(""));
            }
            Some('(') => return Err(command_substitution(line)),
            Some('"' | '\'') if in_double_quotes => out.push('$'),
            Some(c) if c.is_ascii_digit() || "?$#@*!-".contains(c) => {
                return Err(Problem::Unsupported {
                    line,
                    construct: format!("`${c}`"),
                })
            }
            _ => out.push('$'),
        }
        Ok(())
    }
}

impl Parser<'_> {
    /// Reads `$'...'` at the cursor: bash's ANSI-C quoting with its backslash escapes.
    fn ansi_c_string(&mut self, out: &mut String) -> Result<(), Problem> {
        let start = self.line;
        self.bump();
        self.bump();
        loop {
            match self.bump() {
                None => return Err(unterminated('\'', start)),
                Some('\'') => return Ok(()),
                Some('\\') => {
                    let Some(c) = self.bump() else {
                        return Err(unterminated('\'', start));
                    };
                    match c {
                        'a' => out.push('\x07'),
                        'b' => out.push('\x08'),
                        'e' | 'E' => out.push('\x1b'),
                        'f' => out.push('\x0c'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'v' => out.push('\x0b'),
                        '\\' | '\'' | '"' | '?' => out.push(c),
                        'x' => {
                            let digits = self.take_digits(16, 2);
                            match u32::from_str_radix(&digits, 16)
                                .ok()
                                .and_then(char::from_u32)
                            {
                                Some(ch) => out.push(ch),
                                None => out.push_str("\\x"),
                            }
                        }
                        '0'..='7' => {
                            let digits = format!("{c}{}", self.take_digits(8, 2));
                            let value = u32::from_str_radix(&digits, 8).unwrap_or(0) & 0xff;
                            out.extend(char::from_u32(value));
                        }
                        other => {
                            out.push('\\');
                            out.push(other);
                        }
                    }
                }
                Some(c) => out.push(c),
            }
        }
    }

    fn take_digits(&mut self, radix: u32, max: usize) -> String {
        let mut digits = String::new();
        while digits.len() < max {
            match self.peek().filter(|c| c.is_digit(radix)) {
                Some(c) => {
                    self.bump();
                    digits.push(c);
                }
                None => break,
            }
        }
        digits
    }
}

fn unterminated(quote: char, line: usize) -> Problem {
    let closing = if quote == '{' { '}' } else { quote };
    Problem::Syntax {
        line,
        message: format!("unexpected end of file while looking for the matching `{closing}`"),
        help: format!("close the `{quote}` opened on line {line}; {STOPPED}"),
    }
}

fn command_substitution(line: usize) -> Problem {
    Problem::Unsupported {
        line,
        construct: "command substitution".into(),
    }
}

/// A shell variable name: a letter or `_`, then letters, digits or `_`.
pub fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn quote_if_needed(value: &str) -> String {
    let plain = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._:/-,+@%".contains(c));
    if plain && !value.is_empty() {
        value.to_string()
    } else {
        format!("\"{value}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(vars: &ShellVars) -> Vec<(String, String, usize)> {
        vars.assignments
            .iter()
            .map(|a| (a.key.clone(), a.value.clone(), a.line))
            .collect()
    }

    fn codes(vars: &ShellVars) -> Vec<(Option<usize>, String)> {
        vars.findings.iter().map(|f| (f.line, f.code())).collect()
    }

    #[test]
    fn trailing_comments_and_quotes_read_as_bash_reads_them() {
        let text = "DEVICE=\"eth0\"\nIPADDR=192.168.1.11        # 192.168.1.12 on SV2\nNAME='System eth0'\nD=x#y\nE=a\\\nb\nF=$DEVICE${NAME}x ; G=\"a\\\"b\\c\"\nexport H=9 I\n";
        let vars = ShellVars::parse("ifcfg-eth0", text);
        assert!(vars.findings.is_empty(), "{:?}", vars.findings);
        let got = pairs(&vars);
        let want = [
            ("DEVICE", "eth0", 1),
            ("IPADDR", "192.168.1.11", 2),
            ("NAME", "System eth0", 3),
            ("D", "x#y", 4),
            ("E", "ab", 5),
            ("F", "eth0System eth0x", 7),
            ("G", "a\"b\\c", 7),
            ("H", "9", 8),
        ];
        assert_eq!(got.len(), want.len());
        for ((k, v, l), (wk, wv, wl)) in got.iter().zip(want) {
            assert_eq!((k.as_str(), v.as_str(), *l), (wk, wv, wl));
        }
        assert_eq!(vars.value("IPADDR"), Some("192.168.1.11"));
    }

    #[test]
    fn a_syntax_error_stops_the_file_like_bash() {
        let text = "A=1\nIPADDR=192.168.1.11 (192.168.1.12 on SV2)\nC=3\n";
        let vars = ShellVars::parse("f", text);
        assert_eq!(pairs(&vars), [("A".into(), "1".into(), 1)]);
        assert_eq!(
            codes(&vars),
            [(Some(2), "kvmlab::net::ifcfg_syntax".into())]
        );
        let unterminated = ShellVars::parse("f", "A=1\nB=\"2\nC=3\n");
        assert_eq!(unterminated.assignments.len(), 1);
        assert_eq!(unterminated.findings[0].line, Some(2));
        assert!(unterminated.findings[0]
            .error
            .to_string()
            .contains("matching `\"`"));
    }

    #[test]
    fn bash_details_the_oracle_taught_us() {
        // A syntax error undoes its whole line, and assignments see the ones before them.
        let vars = ShellVars::parse("f", "A=1; B=2 (x)\n");
        assert!(vars.assignments.is_empty());
        let vars = ShellVars::parse("f", "K=a\nK=b K=$K.c\n");
        assert_eq!(vars.value("K"), Some("b.c"));
        // An empty unquoted expansion is no command; a quoted empty string is one.
        let vars = ShellVars::parse("f", "IPADDR= $UNSET\nNETMASK= \"\"\n");
        assert_eq!(vars.value("IPADDR"), Some(""));
        assert_eq!(vars.value("NETMASK"), None);
        // ANSI-C and locale strings; `$` before a closing quote is literal.
        let vars = ShellVars::parse("f", "A=$'a\\tb\\x41\\101\\'q'\nB=$\"loc\"\nC=\"x$\"\n");
        assert_eq!(vars.value("A"), Some("a\tbAA'q"));
        assert_eq!(vars.value("B"), Some("loc"));
        assert_eq!(vars.value("C"), Some("x$"));
    }

    #[test]
    fn spaces_around_equals_run_a_command() {
        let vars = ShellVars::parse(
            "ifcfg-eth1",
            "IPADDR = 10.10.1.11\nNETMASK= 255.255.255.0\nNAME=System eth1\nONBOOT=yes\n",
        );
        assert_eq!(pairs(&vars), [("ONBOOT".into(), "yes".into(), 4)]);
        let helps: Vec<String> = vars
            .findings
            .iter()
            .map(|f| f.error.help_str().unwrap())
            .collect();
        assert_eq!(
            helps,
            [
                "no spaces around `=` in a shell variable file: write `IPADDR=10.10.1.11`",
                "no space after `=`: write `NETMASK=255.255.255.0`",
                "quote a value with spaces: `NAME=\"System eth1\"`, or start a comment with `#`",
            ]
        );
        assert!(vars
            .findings
            .iter()
            .all(|f| f.code() == "kvmlab::net::ifcfg_command"));
    }

    #[test]
    fn code_is_refused_and_crlf_is_flagged() {
        let vars = ShellVars::parse(
            "f",
            "A=$(reboot)\nB=`id`\nC=1 > /tmp/x\nD=(1 2)\nE=$1\nF=ok\r\nG=$\n",
        );
        assert_eq!(
            codes(&vars),
            [
                (Some(1), "kvmlab::net::ifcfg_unsupported".into()),
                (Some(2), "kvmlab::net::ifcfg_unsupported".into()),
                (Some(3), "kvmlab::net::ifcfg_unsupported".into()),
                (Some(4), "kvmlab::net::ifcfg_unsupported".into()),
                (Some(5), "kvmlab::net::ifcfg_unsupported".into()),
                (Some(6), "kvmlab::net::windows_line_endings".into()),
            ]
        );
        assert_eq!(vars.value("F"), Some("ok\r"));
        assert_eq!(vars.value("G"), Some("$"));
    }

    #[test]
    fn no_panic_on_odd_input() {
        for text in [
            "",
            "=",
            "\\",
            "'",
            "\"\\",
            "${",
            "${A",
            "A=${}",
            ";",
            "A=1;;",
            "#\n\\\n",
            "A=\u{e9}\u{0}",
            "\r\n=\r",
            "A=\"$\"",
            "export",
            "é=1",
        ] {
            let vars = ShellVars::parse("f", text);
            let _ = vars.value("A");
        }
        assert_eq!(codes(&ShellVars::parse("f", "A=1;;")).len(), 1);
    }
}
