//! Tab completion for the console, as a pure function of the line, the cursor, the script
//! API's catalog and the session's variables: global functions and variables, stdlib modules
//! inside `import "`, the methods and properties of the value before a `.`, the keys of a
//! keyword map, and the console's `:` commands.

use kvmlab_runtime::script::catalog::{Catalog, Kind, SYNTAX, TAKES_SPEC};
use kvmlab_runtime::script::modules::STDLIB_PREFIX;
use kvmlab_runtime::script::spec::SpecTable;

/// One completion: the text that replaces the word being typed, and how the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub replacement: String,
    pub display: String,
}

/// The console's commands, completed after a `:` at the start of the line.
pub const COMMANDS: &[&str] = &[
    ":check",
    ":checkpoint",
    ":help",
    ":load",
    ":quit",
    ":reset",
    ":restore",
    ":save",
    ":save!",
    ":step",
    ":time",
    ":world",
];

/// Rhai's keywords a line can start a statement or expression with.
const KEYWORDS: &[&str] = &[
    "break", "catch", "const", "continue", "do", "else", "export", "false", "fn", "for", "if",
    "import", "in", "let", "loop", "private", "return", "throw", "true", "try", "until", "while",
];

/// The completions of the word that ends at byte `cursor` of `line`: where that word starts,
/// and its candidates, sorted and without duplicates. `scope` holds the session's variables
/// with the Rhai type name of their values (`("sv1", "Host")`).
pub fn complete(
    line: &str,
    cursor: usize,
    catalog: &Catalog,
    scope: &[(String, String)],
) -> (usize, Vec<Candidate>) {
    let before = &line[..char_boundary(line, cursor)];
    if let Some(found) = command(before, catalog) {
        return found;
    }
    let scan = scan(before);
    if scan.comment {
        return (before.len(), Vec::new());
    }
    if let Some(quote) = scan.string {
        return import_path(before, quote, catalog).unwrap_or((before.len(), Vec::new()));
    }
    let start = word_start(before);
    let word = &before[start..];
    let ahead = &before[..start];
    let mut found: Vec<Candidate> = if let Some(object) = ahead.strip_suffix('.') {
        receiver_type(object, catalog, scope)
            .map(|on| members(catalog, &on, word))
            .unwrap_or_default()
    } else if let Some(module) = ahead.strip_suffix("::") {
        stdlib_functions(catalog, &before[word_start(module)..module.len()], word)
    } else if let Some(map) = key_position(before, start, &scan) {
        map_table(before, &scan.open[..=map])
            .map(|table| spec_keys(table, &before[scan.open[map].0..start], word))
            .unwrap_or_default()
    } else if word.is_empty() {
        Vec::new()
    } else {
        globals(catalog, scope, word)
    };
    found.sort_by(|a, b| (&a.display, &a.replacement).cmp(&(&b.display, &b.replacement)));
    found.dedup_by(|a, b| a.display == b.display);
    (start, found)
}

/// A line that starts with `:`: the commands `:he` begins, the names `:help ho` begins (as
/// `kvmlab doc` knows them: `Host.ping`, `hosts::build`); other commands' arguments are
/// files, which the console does not complete.
fn command(before: &str, catalog: &Catalog) -> Option<(usize, Vec<Candidate>)> {
    let typed = before.trim_start();
    if !typed.starts_with(':') {
        return None;
    }
    let Some((name, _)) = typed.split_once(char::is_whitespace) else {
        let found = COMMANDS
            .iter()
            .filter(|c| c.starts_with(typed))
            .map(|c| named(c, c.to_string()))
            .collect();
        return Some((before.len() - typed.len(), found));
    };
    let start = before
        .rfind(char::is_whitespace)
        .map_or(before.len(), |at| at + 1);
    let word = &before[start..];
    let found = if name == ":help" && !word.is_empty() {
        catalog
            .doc_names()
            .into_iter()
            .filter(|n| n.starts_with(word))
            .map(|n| named(&n, n.clone()))
            .collect()
    } else {
        Vec::new()
    };
    Some((start, found))
}

/// Inside the string of `import "kvmlab/`: the stdlib modules, as `kvmlab/NAME`.
fn import_path(before: &str, quote: usize, catalog: &Catalog) -> Option<(usize, Vec<Candidate>)> {
    let head = before[..quote].trim_end().strip_suffix("import")?;
    if head.chars().next_back().is_some_and(is_word_char) {
        return None;
    }
    let typed = &before[quote + 1..];
    let found = catalog
        .stdlib
        .iter()
        .map(|m| format!("{STDLIB_PREFIX}{}", m.name))
        .filter(|path| path.starts_with(typed))
        .map(|path| named(&path, path.clone()))
        .collect();
    Some((quote + 1, found))
}

/// The methods (`ping(`) and properties (`cores`) of type `on` that begin with `word`.
fn members(catalog: &Catalog, on: &str, word: &str) -> Vec<Candidate> {
    catalog
        .items
        .iter()
        .filter(|i| i.on.as_deref() == Some(on) && i.name.starts_with(word))
        .filter_map(|i| match i.kind {
            Kind::Method => Some(named(&i.name, format!("{}(", i.name))),
            Kind::Property => Some(named(&i.name, i.name.clone())),
            Kind::Function | Kind::Indexer => None,
        })
        .collect()
}

/// `hosts::bu`: the functions of the stdlib module `module`.
fn stdlib_functions(catalog: &Catalog, module: &str, word: &str) -> Vec<Candidate> {
    catalog
        .stdlib
        .iter()
        .filter(|m| m.name == module)
        .flat_map(|m| &m.functions)
        .filter(|f| f.name.starts_with(word))
        .map(|f| named(&f.name, format!("{}(", f.name)))
        .collect()
}

/// Variables in scope, global functions (registered and Rhai's own) and keywords.
fn globals(catalog: &Catalog, scope: &[(String, String)], word: &str) -> Vec<Candidate> {
    let variables = scope.iter().map(|(name, _)| named(name, name.clone()));
    let functions = catalog
        .items
        .iter()
        .filter(|i| i.kind == Kind::Function)
        .map(|i| i.name.as_str())
        .chain(catalog.builtins.keys().map(String::as_str))
        .chain(SYNTAX.iter().map(|s| s.keyword))
        .filter(|name| is_identifier(name))
        .map(|name| named(name, format!("{name}(")));
    let keywords = KEYWORDS.iter().map(|k| named(k, k.to_string()));
    variables
        .chain(functions)
        .chain(keywords)
        .filter(|c| c.display.starts_with(word))
        .collect()
}

/// The keys of `table` that begin with `word` and are not yet in the map written so far.
fn spec_keys(table: &SpecTable, map_so_far: &str, word: &str) -> Vec<Candidate> {
    let inside = map_so_far.strip_prefix("#{").unwrap_or(map_so_far);
    let written: Vec<&str> = top_level_parts(inside)
        .into_iter()
        .filter_map(|part| part.split_once(':').map(|(key, _)| key.trim()))
        .collect();
    table
        .names()
        .filter(|key| key.starts_with(word) && !written.contains(key))
        .map(|key| named(key, format!("{key}: ")))
        .collect()
}

fn named(display: &str, replacement: String) -> Candidate {
    Candidate {
        replacement,
        display: display.to_string(),
    }
}

/// What a line typed so far leaves open.
pub(super) struct Scan {
    /// Open brackets, outermost first, with the byte where each opens (`#` for a `#{`).
    pub open: Vec<(usize, Open)>,
    /// The byte of the quote that opens a string still open at the end.
    pub string: Option<usize>,
    /// Whether the end is inside a comment.
    pub comment: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Open {
    Paren,
    Bracket,
    Block,
    Map,
}

/// Reads `text` as Rhai's lexer would, enough to know which brackets, strings and comments
/// are open at its end. A closing bracket with nothing open is ignored.
pub(super) fn scan(text: &str) -> Scan {
    let mut open = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' | '`' | '\'' => {
                let mut closed = false;
                while let Some((_, s)) = chars.next() {
                    if s == '\\' && c != '`' {
                        chars.next();
                    } else if s == c {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return Scan {
                        open,
                        string: Some(at),
                        comment: false,
                    };
                }
            }
            '/' => {
                let open_comment = match chars.peek().map(|(_, n)| *n) {
                    Some('/') => !chars.any(|(_, s)| s == '\n'),
                    Some('*') => {
                        chars.next();
                        let mut previous = ' ';
                        !chars.any(|(_, s)| {
                            let end = previous == '*' && s == '/';
                            previous = s;
                            end
                        })
                    }
                    _ => false,
                };
                if open_comment {
                    return Scan {
                        open,
                        string: None,
                        comment: true,
                    };
                }
            }
            '#' if chars.peek().is_some_and(|(_, n)| *n == '{') => {
                chars.next();
                open.push((at, Open::Map));
            }
            '(' => open.push((at, Open::Paren)),
            '[' => open.push((at, Open::Bracket)),
            '{' => open.push((at, Open::Block)),
            ')' | ']' | '}' => {
                open.pop();
            }
            _ => {}
        }
    }
    Scan {
        open,
        string: None,
        comment: false,
    }
}

/// `text` cut at its commas that are outside any bracket or string.
pub(super) fn top_level_parts(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut from = 0;
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' && q != '`' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '`' | '\'' => quote = Some(c),
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[from..at]);
                from = at + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[from..]);
    parts
}

/// Where the word that ends `text` starts.
pub(super) fn word_start(text: &str) -> usize {
    text.char_indices()
        .rev()
        .take_while(|(_, c)| is_word_char(*c))
        .last()
        .map_or(text.len(), |(at, _)| at)
}

/// The name of the function called at the `(` that opens at byte `paren`, and whether it is
/// called as a method (`sv1.ping(`); `None` if no name stands before it.
pub(super) fn callee(text: &str, paren: usize) -> Option<(&str, usize)> {
    let head = text[..paren].trim_end();
    let start = word_start(head);
    let name = &head[start..];
    is_identifier(name).then_some((name, start))
}

/// The longest chain of calls and properties (and the deepest nest of keyword maps) typed
/// out; a pasted line of thousands of links gets no completion rather than a deep recursion.
const MAX_LINKS: usize = 32;

/// The Rhai type of the expression that ends `object`: a variable in scope, or a chain of
/// calls and properties whose types the catalog knows (`lab().host("sv1")`).
pub(super) fn receiver_type(
    object: &str,
    catalog: &Catalog,
    scope: &[(String, String)],
) -> Option<String> {
    receiver_type_within(object, catalog, scope, MAX_LINKS)
}

fn receiver_type_within(
    object: &str,
    catalog: &Catalog,
    scope: &[(String, String)],
    links: usize,
) -> Option<String> {
    let links = links.checked_sub(1)?;
    let (head, name, kind) = match object.strip_suffix(')') {
        Some(inner) => {
            let paren = matching_open(inner)?;
            let (name, start) = callee(object, paren)?;
            (&object[..start], name, Kind::Method)
        }
        None => {
            let start = word_start(object);
            (&object[..start], &object[start..], Kind::Property)
        }
    };
    if !is_identifier(name) {
        return None;
    }
    match head.strip_suffix('.') {
        Some(inner) => {
            let on = receiver_type_within(inner, catalog, scope, links)?;
            catalog.returns(Some(&on), name, kind).map(str::to_string)
        }
        None if kind == Kind::Method => catalog
            .returns(None, name, Kind::Function)
            .map(str::to_string),
        None => scope
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, ty)| ty.clone()),
    }
}

/// The byte of the `(` that the `)` just after `text` closes.
fn matching_open(text: &str) -> Option<usize> {
    let scan = scan(text);
    if scan.string.is_some() || scan.comment {
        return None;
    }
    scan.open
        .last()
        .filter(|(_, kind)| *kind == Open::Paren)
        .map(|(at, _)| *at)
}

/// Whether the word starting at `start` is where a key of the innermost open `#{` goes: right
/// after its `{` or one of its commas. Gives the map's index in `scan.open`.
fn key_position(text: &str, start: usize, scan: &Scan) -> Option<usize> {
    let (_, kind) = scan.open.last()?;
    let ahead = text[..start].trim_end();
    (*kind == Open::Map && (ahead.ends_with('{') || ahead.ends_with(',')))
        .then(|| scan.open.len() - 1)
}

/// The keyword map table of the `#{` last in `open`: the argument of a call that takes one
/// (`host("sv1", #{`), an element of a list that argument is (`router("r", [#{`), or the map
/// a key of an outer map holds (`disks: [#{`).
fn map_table(text: &str, open: &[(usize, Open)]) -> Option<&'static SpecTable> {
    if open.len() > 2 * MAX_LINKS {
        return None;
    }
    let (map_at, _) = *open.last()?;
    let mut item_at = map_at;
    let mut parent = open.len().checked_sub(2)?;
    if open[parent].1 == Open::Bracket {
        item_at = open[parent].0;
        parent = parent.checked_sub(1)?;
    }
    let (parent_at, parent_kind) = open[parent];
    match parent_kind {
        Open::Paren => {
            let (name, start) = callee(text, parent_at)?;
            let method = text[..start].ends_with('.');
            let arg = top_level_parts(&text[parent_at + 1..item_at]).len() - 1 + method as usize;
            TAKES_SPEC
                .iter()
                .find(|t| t.function == name && t.arg == arg)
                .map(|t| t.table)
                .or_else(|| {
                    SYNTAX
                        .iter()
                        .filter(|s| s.keyword == name)
                        .find_map(|s| s.spec.filter(|(input, _)| *input == arg))
                        .map(|(_, table)| table)
                })
        }
        Open::Map => {
            let key_part = text[..item_at].trim_end().strip_suffix(':')?;
            let key = &key_part[word_start(key_part)..];
            let outer = map_table(text, &open[..=parent])?;
            outer.key(key)?.nested
        }
        Open::Bracket | Open::Block => None,
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_identifier(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && name.chars().all(is_word_char)
}

/// `cursor` moved back onto a character boundary of `line` (and into it).
pub(super) fn char_boundary(line: &str, cursor: usize) -> usize {
    let mut at = cursor.min(line.len());
    while !line.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::sync::OnceLock;

    pub(in super::super) fn catalog() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(kvmlab_runtime::run::catalog)
    }

    pub(in super::super) fn scope() -> Vec<(String, String)> {
        [
            ("sv1", "Host"),
            ("nas", "Nas"),
            ("vm", "Guest"),
            ("hostname", "string"),
        ]
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect()
    }

    fn shown(line: &str) -> (usize, Vec<String>) {
        let (start, found) = complete(line, line.len(), catalog(), &scope());
        (start, found.into_iter().map(|c| c.replacement).collect())
    }

    #[test]
    fn a_global_prefix_gives_functions_and_variables() {
        assert_eq!(shown("ho"), (0, vec!["host(".into(), "hostname".into()]));
        assert_eq!(
            shown("let x = che"),
            (
                8,
                vec![
                    "check(".into(),
                    "check_eq(".into(),
                    "check_within(".into(),
                    "checkpoint(".into()
                ]
            )
        );
    }

    #[test]
    fn a_host_variable_lists_the_host_methods_and_properties() {
        let (start, found) = shown("sv1.");
        assert_eq!(start, 4);
        for expected in [
            "install_os(",
            "ping(",
            "resolve(",
            "iscsi_login(",
            "sh(",
            "cores",
            "name",
        ] {
            assert!(
                found.contains(&expected.to_string()),
                "{expected} in {found:?}"
            );
        }
        // A Guest's methods are not a Host's.
        assert!(!found.contains(&"migrate(".to_string()));
        assert_eq!(found.len(), 48);
        assert_eq!(shown("sv1.pi"), (4, vec!["ping(".into()]));
        assert_eq!(
            shown("sv1.re"),
            (
                4,
                vec!["read_file(".into(), "reboot(".into(), "resolve(".into()]
            )
        );
    }

    #[test]
    fn a_chain_of_calls_is_typed_by_what_each_returns() {
        assert_eq!(
            shown(r#"sv1.nic("eth0")."#),
            (
                16,
                vec![
                    "connect(".into(),
                    "disconnect(".into(),
                    "name".into(),
                    "plug(".into(),
                    "to_debug(".into(),
                    "to_string(".into(),
                    "unplug(".into()
                ]
            )
        );
        assert_eq!(
            shown(r#"lab().host("sv1").mou"#),
            (
                18,
                vec!["mount(".into(), "mounted(".into(), "mounts".into()]
            )
        );
    }

    #[test]
    fn import_lists_the_stdlib_modules() {
        assert_eq!(
            shown(r#"import "kvmlab/"#),
            (
                8,
                vec![
                    "kvmlab/checks".into(),
                    "kvmlab/hosts".into(),
                    "kvmlab/report".into(),
                    "kvmlab/storage".into()
                ]
            )
        );
        assert_eq!(
            shown(r#"import "kvmlab/h"#),
            (8, vec!["kvmlab/hosts".into()])
        );
        // Any other string is the trainee's own text.
        assert_eq!(shown(r#"print("kvmlab/"#), (14, vec![]));
        assert_eq!(
            shown(r#"hosts::"#),
            (7, vec!["build(".into(), "server(".into()])
        );
    }

    #[test]
    fn commands_complete_after_a_colon() {
        assert_eq!(shown(":he"), (0, vec![":help".into()]));
        assert_eq!(
            shown(":ch"),
            (0, vec![":check".into(), ":checkpoint".into()])
        );
        assert_eq!(shown(":re"), (0, vec![":reset".into(), ":restore".into()]));
        assert_eq!(
            shown(":s"),
            (0, vec![":save".into(), ":save!".into(), ":step".into()])
        );
        assert_eq!(shown(":st"), (0, vec![":step".into()]));
        assert_eq!(
            shown(":"),
            (0, COMMANDS.iter().map(|c| c.to_string()).collect())
        );
        assert_eq!(shown(":help Host.pi"), (6, vec!["Host.ping".into()]));
        assert_eq!(shown(":load li"), (6, vec![]));
    }

    #[test]
    fn a_keyword_map_lists_the_keys_not_yet_written() {
        assert_eq!(
            shown(r#"host("sv1", #{"#),
            (
                14,
                [
                    "bios_virt",
                    "cores",
                    "cpu",
                    "disks",
                    "ghz",
                    "memory",
                    "nics",
                    "virt"
                ]
                .iter()
                .map(|k| format!("{k}: "))
                .collect()
            )
        );
        assert_eq!(
            shown(r#"host("sv1", #{cores: 4, memory: "16G", "#),
            (
                39,
                ["bios_virt", "cpu", "disks", "ghz", "nics", "virt"]
                    .iter()
                    .map(|k| format!("{k}: "))
                    .collect()
            )
        );
        assert_eq!(
            shown(r#"router("r", [#{net: n1}, #{a"#),
            (27, vec!["address: ".into()])
        );
        assert_eq!(
            shown(r#"switch("n", "c", #{"#),
            (19, vec!["speed: ".into()])
        );
        // The maps a key holds: a host's disks, the second one too.
        assert_eq!(
            shown(r#"host("sv1", #{disks: [#{name: "sda", size: "1TB"}, #{n"#).1,
            vec!["name: "]
        );
        // After a key's colon comes a value: any expression.
        assert_eq!(
            shown(r#"host("sv1", #{cores: ho"#),
            (21, vec!["host(".into(), "hostname".into()])
        );
        // A map no call takes has no keys to offer.
        assert_eq!(shown("let m = #{"), (10, vec![]));
    }

    #[test]
    fn the_cursor_mid_line_completes_the_word_before_it() {
        let line = r#"let h = ho("sv1");"#;
        let (start, found) = complete(line, 10, catalog(), &scope());
        assert_eq!(start, 8);
        assert_eq!(found[0].replacement, "host(");
        // A cursor past the end, or inside a character, is moved back onto the line.
        assert_eq!(complete("ho", 99, catalog(), &scope()).0, 0);
        let line = "let é = sv1.pi";
        assert_eq!(complete(line, 5, catalog(), &scope()), (4, vec![]));
    }

    #[test]
    fn unicode_names_are_whole_words() {
        let scope = vec![("größe".to_string(), "Host".to_string())];
        let (start, found) = complete("print(grö", 10, catalog(), &scope);
        assert_eq!(start, 6);
        assert_eq!(found, vec![named("größe", "größe".into())]);
        assert_eq!(
            complete("größe.pin", "größe.pin".len(), catalog(), &scope),
            (8, vec![named("ping", "ping(".into())])
        );
    }

    #[test]
    fn nothing_is_offered_where_nothing_fits() {
        assert_eq!(shown(""), (0, vec![]));
        assert_eq!(shown("let x = "), (8, vec![]));
        // A variable the session does not have, or of a type with no registered members.
        assert_eq!(shown("nosuch."), (7, vec![]));
        assert_eq!(shown("hostname."), (9, vec![]));
        assert_eq!(shown("// ho"), (5, vec![]));
        assert_eq!(shown("/* ho"), (5, vec![]));
        assert_eq!(shown("/* x */ ho").1, vec!["host(", "hostname"]);
        assert_eq!(shown("// x\n*ho").1, vec!["host(", "hostname"]);
        // A pasted line of thousands of links or maps is no trouble.
        assert_eq!(shown(&"sv1.name.".repeat(5000)).1, Vec::<String>::new());
        let nested = format!(r#"host("sv1", #{{disks: {}#{{"#, "#{a: ".repeat(5000));
        assert_eq!(shown(&nested).1, Vec::<String>::new());
        // Unbalanced closing brackets do not upset the scan.
        assert_eq!(
            shown(")]} ho"),
            (4, vec!["host(".into(), "hostname".into()])
        );
    }
}
