//! A command line as bash reads it, reduced to what the prompt runs: lists joined by `;`,
//! `&&` and `||`, pipelines, simple commands with their words and redirections, and
//! here-documents. The grammar is brush-parser's; what the prompt does not run (loops,
//! functions, subshells, command substitution, background jobs) is refused by name here,
//! before anything runs.

use brush_parser::ast;
use brush_parser::word::{Parameter, ParameterExpr, SpecialParameter, WordPiece};
use brush_parser::{parse_tokens, uncached_tokenize_str, ParseError, ParserOptions, Token};

/// The most words and operators a line may have: a lab's lines have tens, and the grammar's
/// memory grows quickly with deeply nested groups.
pub const MAX_TOKENS: usize = 2048;

/// The most `$(`, `${` and backquotes a line may hold: reading nested substitutions costs
/// memory that grows quickly with their depth.
pub const MAX_EXPANSIONS: usize = 64;

/// A whole command line: its lists, run one after the other.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub lists: Vec<AndOrList>,
}

/// Pipelines joined by `&&` and `||`.
#[derive(Debug, Clone, PartialEq)]
pub struct AndOrList {
    pub first: Pipeline,
    pub rest: Vec<(Connector, Pipeline)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connector {
    And,
    Or,
}

/// Commands joined by `|`; `negated` is a leading `!`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub negated: bool,
    pub commands: Vec<Command>,
}

/// One simple command: its words (the first names it) and its redirections, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
}

/// A word before expansion.
#[derive(Debug, Clone, PartialEq)]
pub struct Word(pub Vec<Piece>);

#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// Text as typed, quotes and escapes removed.
    Text(String),
    /// Unquoted text with `*`, `?` or `[`: a pattern of paths.
    Pattern(String),
    /// `$NAME` or `${NAME}`.
    Variable(String),
    /// `$?`.
    LastStatus,
    /// `~` at the start of a word: root's home.
    Home,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Redirect {
    /// `>` (or `>|`) and `>>`, of stdout (fd 1) or stderr (fd 2).
    Output { fd: i32, target: Word, append: bool },
    /// `&>` and `&>>`: both streams.
    Both { target: Word, append: bool },
    /// `< FILE`.
    Input(Word),
    /// `<<EOF` and `<<-EOF`; `expand` when the delimiter was not quoted.
    HereDocument { text: String, expand: bool },
    /// `<<< WORD`.
    HereString(Word),
    /// `2>&1` and `1>&2`.
    Duplicate { from: i32, to: i32 },
}

/// Why a line cannot run: a syntax error as bash reports it, or a construct the prompt
/// does not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineError {
    Syntax(String),
    Unsupported(String),
}

fn unsupported<T>(what: &str) -> Result<T, LineError> {
    Err(LineError::Unsupported(format!(
        "{what} are not run at this prompt: type one command at a time, or write the loop in Rhai around `sh(..)`"
    )))
}

/// Parses a command line.
pub fn parse(text: &str) -> Result<Line, LineError> {
    let expansions =
        text.matches("$(").count() + text.matches("${").count() + text.matches('`').count();
    if expansions > MAX_EXPANSIONS {
        return Err(LineError::Unsupported(format!(
            "a line with more than {MAX_EXPANSIONS} `$(`, `${{` or backquotes is more than the prompt reads"
        )));
    }
    let options = ParserOptions::default();
    let tokens = uncached_tokenize_str(text, &options.tokenizer_options())
        .map_err(|e| LineError::Syntax(format!("bash: syntax error: {e}")))?;
    if tokens.len() > MAX_TOKENS {
        return Err(LineError::Unsupported(format!(
            "a line of {} words and operators is more than the prompt reads (at most {MAX_TOKENS})",
            tokens.len()
        )));
    }
    // The grammar's work grows exponentially with nested `(`: refused before parsing, as the
    // prompt runs neither subshells nor arithmetic commands.
    if tokens
        .iter()
        .any(|t| matches!(t, Token::Operator(op, _) if op.starts_with('(')))
    {
        return unsupported("subshells and arithmetic commands (`( .. )`, `(( .. ))`)");
    }
    let program =
        parse_tokens(&tokens, &options).map_err(|e| LineError::Syntax(syntax_message(text, &e)))?;
    let mut lists = Vec::new();
    for complete in program.complete_commands {
        for ast::CompoundListItem(list, separator) in complete.0 {
            if matches!(separator, ast::SeparatorOperator::Async) {
                return unsupported("background jobs (`&`)");
            }
            lists.push(and_or(list, &options)?);
        }
    }
    Ok(Line { lists })
}

/// Whether `text` is a whole line, or bash would ask for more (`> `): an open quote or
/// here-document, a trailing `&&`, `||` or `|`.
pub fn is_complete(text: &str) -> bool {
    if text.len() > super::MAX_LINE {
        return true;
    }
    let options = ParserOptions::default();
    match uncached_tokenize_str(text, &options.tokenizer_options()) {
        Err(_) => false,
        Ok(tokens) if tokens.len() > MAX_TOKENS => true,
        Ok(tokens) => !matches!(
            tokens.last(),
            Some(Token::Operator(op, _)) if matches!(op.as_str(), "&&" | "||" | "|")
        ),
    }
}

/// bash's words for a syntax error: the token it stopped at, or the end of the line.
fn syntax_message(text: &str, error: &ParseError) -> String {
    let position = match error {
        ParseError::ParsingNear(p) => Some(p),
        ParseError::Tokenizing { position, .. } => position.as_ref(),
        ParseError::ParsingAtEndOfInput => None,
    };
    let token = position.and_then(|p| {
        let line = text.lines().nth(p.line.checked_sub(1)?)?;
        let rest: String = line.chars().skip(p.column.checked_sub(1)?).collect();
        let token: String = rest.split_whitespace().next()?.to_string();
        Some(token)
    });
    match (error, token) {
        (ParseError::Tokenizing { inner, .. }, _) => format!("bash: syntax error: {inner}"),
        (_, Some(token)) => format!("bash: syntax error near unexpected token `{token}'"),
        (_, None) => "bash: syntax error: unexpected end of file".into(),
    }
}

fn and_or(list: ast::AndOrList, options: &ParserOptions) -> Result<AndOrList, LineError> {
    let first = pipeline(list.first, options)?;
    let rest = list
        .additional
        .into_iter()
        .map(|next| match next {
            ast::AndOr::And(p) => Ok((Connector::And, pipeline(p, options)?)),
            ast::AndOr::Or(p) => Ok((Connector::Or, pipeline(p, options)?)),
        })
        .collect::<Result<_, _>>()?;
    Ok(AndOrList { first, rest })
}

fn pipeline(p: ast::Pipeline, options: &ParserOptions) -> Result<Pipeline, LineError> {
    if p.timed.is_some() {
        return unsupported("timed pipelines (`time`)");
    }
    let commands = p
        .seq
        .into_iter()
        .map(|c| command(c, options))
        .collect::<Result<_, _>>()?;
    Ok(Pipeline {
        negated: p.bang,
        commands,
    })
}

fn command(c: ast::Command, options: &ParserOptions) -> Result<Command, LineError> {
    let simple = match c {
        ast::Command::Simple(simple) => simple,
        ast::Command::Compound(compound, _) => return unsupported(compound_name(&compound)),
        ast::Command::Function(_) => return unsupported("function definitions"),
        ast::Command::ExtendedTest(..) => return unsupported("`[[ ]]` tests"),
    };
    let mut words = Vec::new();
    let mut redirects = Vec::new();
    let prefix = simple
        .prefix
        .into_iter()
        .flat_map(|p| p.0)
        .map(|i| (true, i));
    let rest = simple
        .word_or_name
        .map(ast::CommandPrefixOrSuffixItem::Word)
        .into_iter()
        .chain(simple.suffix.into_iter().flat_map(|s| s.0))
        .map(|i| (false, i));
    for (before_name, item) in prefix.chain(rest) {
        match item {
            ast::CommandPrefixOrSuffixItem::Word(w) => words.push(word(&w.value, options)?),
            ast::CommandPrefixOrSuffixItem::IoRedirect(r) => redirects.push(redirect(r, options)?),
            // After the command's name, `NAME=value` is an argument (`echo BRIDGE=br0`).
            ast::CommandPrefixOrSuffixItem::AssignmentWord(_, w) if !before_name => {
                words.push(word(&w.value, options)?)
            }
            ast::CommandPrefixOrSuffixItem::AssignmentWord(..) => {
                return unsupported("variable assignments (`NAME=value`)")
            }
            ast::CommandPrefixOrSuffixItem::ProcessSubstitution(..) => {
                return unsupported("process substitutions (`<(..)`)")
            }
        }
    }
    Ok(Command { words, redirects })
}

fn compound_name(c: &ast::CompoundCommand) -> &'static str {
    match c {
        ast::CompoundCommand::ForClause(_) | ast::CompoundCommand::ArithmeticForClause(_) => {
            "`for` loops"
        }
        ast::CompoundCommand::WhileClause(_) => "`while` loops",
        ast::CompoundCommand::UntilClause(_) => "`until` loops",
        ast::CompoundCommand::IfClause(_) => "`if` statements",
        ast::CompoundCommand::CaseClause(_) => "`case` statements",
        ast::CompoundCommand::Subshell(_) => "subshells (`( .. )`)",
        ast::CompoundCommand::BraceGroup(_) => "command groups (`{ ..; }`)",
        ast::CompoundCommand::Arithmetic(_) => "arithmetic commands (`(( ))`)",
        ast::CompoundCommand::Coprocess(_) => "coprocesses",
    }
}

fn redirect(r: ast::IoRedirect, options: &ParserOptions) -> Result<Redirect, LineError> {
    use ast::{IoFileRedirectKind as Kind, IoFileRedirectTarget as Target};
    Ok(match r {
        ast::IoRedirect::File(fd, kind, target) => {
            let target = match target {
                Target::Filename(w) => w,
                Target::Fd(to) => {
                    return Ok(Redirect::Duplicate {
                        from: fd.unwrap_or(1),
                        to,
                    })
                }
                Target::Duplicate(w) => match w.value.parse::<i32>() {
                    Ok(to) => {
                        return Ok(Redirect::Duplicate {
                            from: fd.unwrap_or(1),
                            to,
                        })
                    }
                    Err(_) => return unsupported("redirections to a computed descriptor"),
                },
                Target::ProcessSubstitution(..) => {
                    return unsupported("process substitutions (`>(..)`)")
                }
            };
            let target = word(&target.value, options)?;
            match kind {
                Kind::Read => Redirect::Input(target),
                Kind::Write | Kind::Clobber => Redirect::Output {
                    fd: fd.unwrap_or(1),
                    target,
                    append: false,
                },
                Kind::Append => Redirect::Output {
                    fd: fd.unwrap_or(1),
                    target,
                    append: true,
                },
                Kind::ReadAndWrite | Kind::DuplicateInput | Kind::DuplicateOutput => {
                    return unsupported("`<>`, `<&` and `>&` to a file")
                }
            }
        }
        ast::IoRedirect::HereDocument(_, doc) => {
            let text = if doc.remove_tabs {
                doc.doc
                    .value
                    .lines()
                    .map(|l| format!("{}\n", l.trim_start_matches('\t')))
                    .collect()
            } else {
                doc.doc.value
            };
            Redirect::HereDocument {
                text,
                expand: doc.requires_expansion,
            }
        }
        ast::IoRedirect::HereString(_, w) => Redirect::HereString(word(&w.value, options)?),
        ast::IoRedirect::OutputAndError(w, append) => Redirect::Both {
            target: word(&w.value, options)?,
            append,
        },
    })
}

/// A word's pieces: quotes and escapes resolved, `$NAME`, `$?` and `~` kept to expand.
pub fn word(text: &str, options: &ParserOptions) -> Result<Word, LineError> {
    let pieces = brush_parser::word::parse(text, options)
        .map_err(|e| LineError::Syntax(format!("bash: {e}")))?;
    let mut out = Vec::new();
    for p in pieces {
        pieces_of(p.piece, false, &mut out)?;
    }
    Ok(Word(out))
}

/// The pieces of a here-document that expands `$NAME` (its quotes are text).
pub fn heredoc(text: &str) -> Result<Word, LineError> {
    let pieces = brush_parser::word::parse_heredoc(text, &ParserOptions::default())
        .map_err(|e| LineError::Syntax(format!("bash: {e}")))?;
    let mut out = Vec::new();
    for p in pieces {
        pieces_of(p.piece, true, &mut out)?;
    }
    Ok(Word(out))
}

fn pieces_of(piece: WordPiece, quoted: bool, out: &mut Vec<Piece>) -> Result<(), LineError> {
    match piece {
        WordPiece::Text(t) if !quoted && t.contains(['*', '?', '[']) => out.push(Piece::Pattern(t)),
        WordPiece::Text(t) | WordPiece::SingleQuotedText(t) => out.push(Piece::Text(t)),
        WordPiece::AnsiCQuotedText(t) => out.push(Piece::Text(ansi_c(&t))),
        WordPiece::DoubleQuotedSequence(inner) | WordPiece::GettextDoubleQuotedSequence(inner) => {
            for p in inner {
                pieces_of(p.piece, true, out)?;
            }
        }
        WordPiece::EscapeSequence(e) => {
            let escaped = e.strip_prefix('\\').unwrap_or(&e);
            // Inside double quotes a backslash stays before anything but $ ` " \ and newline.
            let keep = quoted && !matches!(escaped, "$" | "`" | "\"" | "\\" | "\n");
            let text = if escaped == "\n" {
                String::new()
            } else if keep {
                e.clone()
            } else {
                escaped.to_string()
            };
            out.push(Piece::Text(text));
        }
        WordPiece::TildeExpansion(brush_parser::word::TildeExpr::Home) => out.push(Piece::Home),
        WordPiece::TildeExpansion(_) => return unsupported("`~user` and `~+` expansions"),
        WordPiece::ParameterExpansion(ParameterExpr::Parameter {
            parameter,
            indirect: false,
        }) => match parameter {
            Parameter::Named(name) => out.push(Piece::Variable(name)),
            Parameter::Special(SpecialParameter::LastExitStatus) => out.push(Piece::LastStatus),
            _ => return unsupported("positional and special parameters other than `$?`"),
        },
        WordPiece::ParameterExpansion(_) => {
            return unsupported("parameter operations (`${NAME:-..}` and the like)")
        }
        WordPiece::CommandSubstitution(_) | WordPiece::BackquotedCommandSubstitution(_) => {
            return unsupported("command substitutions (`$(..)`)")
        }
        WordPiece::ArithmeticExpression(_) => {
            return unsupported("arithmetic expansions (`$((..))`)")
        }
    }
    Ok(())
}

/// `$'..'` text: the escapes bash's ANSI-C quoting knows that a lab needs.
fn ansi_c(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some('\'') => out.push('\''),
            Some('"') => out.push('"'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(w: &Word) -> String {
        w.0.iter()
            .map(|p| match p {
                Piece::Text(t) => t.clone(),
                Piece::Pattern(p) => format!("<{p}>"),
                Piece::Variable(n) => format!("${n}"),
                Piece::LastStatus => "$?".into(),
                Piece::Home => "~".into(),
            })
            .collect()
    }

    fn words(line: &str) -> Vec<String> {
        let parsed = parse(line).unwrap();
        parsed.lists[0].first.commands[0]
            .words
            .iter()
            .map(text)
            .collect()
    }

    #[test]
    fn only_unquoted_text_is_a_pattern() {
        assert_eq!(
            words(r#"ls ifcfg-* 'a*' "b?" c\[ /etc/*/x"#),
            ["ls", "<ifcfg-*>", "a*", "b?", "c[", "</etc/*/x>"]
        );
    }

    #[test]
    fn quotes_and_escapes_are_resolved_as_bash_resolves_them() {
        assert_eq!(
            words(r#"echo "10.10.0.1  sv1" 'a b' c\ d "x\y" $'t\tu'"#),
            ["echo", "10.10.0.1  sv1", "a b", "c d", "x\\y", "t\tu"]
        );
    }

    #[test]
    fn name_equals_value_after_the_command_is_an_argument() {
        assert_eq!(
            words("echo BRIDGE=br0 'A=b c'"),
            ["echo", "BRIDGE=br0", "A=b c"]
        );
    }

    #[test]
    fn lists_pipelines_and_redirections_keep_their_order() {
        let line = parse("service network restart && ping -c 1 sv2 | tail -1 > /tmp/out; echo $?")
            .unwrap();
        assert_eq!(line.lists.len(), 2);
        let first = &line.lists[0];
        assert_eq!(first.first.commands.len(), 1);
        assert_eq!(first.rest.len(), 1);
        assert_eq!(first.rest[0].0, Connector::And);
        let pipeline = &first.rest[0].1;
        assert_eq!(pipeline.commands.len(), 2);
        assert_eq!(
            pipeline.commands[1].redirects,
            [Redirect::Output {
                fd: 1,
                target: Word(vec![Piece::Text("/tmp/out".into())]),
                append: false
            }]
        );
        assert_eq!(
            line.lists[1].first.commands[0].words[1].0,
            [Piece::LastStatus]
        );
    }

    #[test]
    fn a_here_document_is_the_commands_input() {
        let line = parse("cat > /etc/hosts <<EOF\n10.10.0.1 sv1\nEOF\n").unwrap();
        let redirects = &line.lists[0].first.commands[0].redirects;
        assert_eq!(
            redirects[1],
            Redirect::HereDocument {
                text: "10.10.0.1 sv1\n".into(),
                expand: true
            }
        );
        let quoted = parse("cat <<'EOF'\n$HOME\nEOF\n").unwrap();
        assert!(matches!(
            &quoted.lists[0].first.commands[0].redirects[0],
            Redirect::HereDocument { expand: false, .. }
        ));
    }

    #[test]
    fn what_the_prompt_does_not_run_is_refused_by_name() {
        for (line, what) in [
            ("for h in sv1 sv2; do ping $h; done", "`for` loops"),
            ("echo $(hostname)", "command substitutions"),
            ("sleep 10 &", "background jobs"),
            ("X=1 echo", "variable assignments"),
            ("(cd /tmp)", "subshells"),
            ("echo a && ((((x))))", "subshells and arithmetic"),
        ] {
            match parse(line) {
                Err(LineError::Unsupported(m)) => assert!(m.starts_with(what), "{line}: {m}"),
                other => panic!("{line}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_line_is_whole_once_its_quotes_and_here_documents_close() {
        assert!(is_complete("ping -c 1 sv2"));
        assert!(!is_complete("echo 'open"));
        assert!(!is_complete("cat > /etc/hosts <<EOF\n10.10.0.1 sv1"));
        assert!(is_complete("cat > /etc/hosts <<EOF\n10.10.0.1 sv1\nEOF"));
        assert!(!is_complete("service network restart &&"));
        assert!(!is_complete("grep sv /etc/hosts |"));
    }

    #[test]
    fn a_syntax_error_names_the_token_as_bash_does() {
        assert_eq!(
            parse("echo a ;; echo b"),
            Err(LineError::Syntax(
                "bash: syntax error near unexpected token `;;'".into()
            ))
        );
        assert!(matches!(parse("echo 'open"), Err(LineError::Syntax(_))));
    }
}
