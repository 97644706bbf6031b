//! `kvmlab check`: the mistakes a lab's text shows without running it. It walks the AST and
//! asks the [`Catalog`] about every call, method, property and keyword map: syntax errors,
//! unknown functions (by name and argument count), methods and properties no type has,
//! imports that do not resolve, and unknown keys in map literals passed to a call that takes a
//! keyword map. Each finding is a diagnostic with its line and a "did you mean".

use super::catalog::{Catalog, TakesSpec, SYNTAX, TAKES_SPEC};
use super::modules::{LabModules, STDLIB_PREFIX};
use super::spec::SpecTable;
use super::{diagnose, stdlib};
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Severity};
use rhai::{ASTNode, Engine, Expr, Position, Stmt, AST};
use std::collections::{BTreeMap, BTreeSet};

/// What a lab defines itself: functions (with their argument counts), variables, and the
/// keys of its maps (a map's key read as a property is no mistake).
#[derive(Default)]
struct Defined {
    functions: BTreeMap<String, BTreeSet<usize>>,
    variables: BTreeSet<String>,
    map_keys: BTreeSet<String>,
}

/// The module an `import ... as alias` names, with its functions.
struct Imported {
    functions: BTreeMap<String, BTreeSet<usize>>,
}

/// Checks one lab's text; `modules` resolves its imports as a run would.
pub fn check_source(
    engine: &Engine,
    catalog: &Catalog,
    shown: &str,
    text: &str,
    modules: &LabModules,
) -> Vec<Diagnostic> {
    let ast = match engine.compile(text) {
        Ok(ast) => ast,
        Err(err) => {
            let lookup = |file: &str| (file == shown).then(|| text.to_string());
            return vec![diagnose::diagnose(&err.into(), engine, shown, &lookup)];
        }
    };
    let mut checker = Checker {
        catalog,
        shown,
        findings: Vec::new(),
        defined: Defined::default(),
        imports: BTreeMap::new(),
    };
    checker.resolve_imports(engine, &ast, modules);
    collect_defined(&ast, &mut checker.defined);
    ast.walk(&mut |path: &[ASTNode]| {
        if let Some(ASTNode::Expr(expr)) = path.last() {
            checker.expr(expr);
        }
        true
    });
    checker.findings.sort_by_key(|d| (d.line, d.column));
    checker.findings
}

struct Checker<'a> {
    catalog: &'a Catalog,
    shown: &'a str,
    findings: Vec<Diagnostic>,
    defined: Defined,
    imports: BTreeMap<String, Option<Imported>>,
}

impl Checker<'_> {
    fn report(&mut self, error: Error, pos: Position) {
        self.findings.push(Diagnostic::new(
            &error,
            Severity::Error,
            self.shown,
            pos.line().unwrap_or(0),
            pos.position().unwrap_or(0),
        ));
    }

    /// Loads every imported module once: a module that does not resolve is a finding at its
    /// `import`, and the functions of one that does are known under its alias.
    fn resolve_imports(&mut self, engine: &Engine, ast: &AST, modules: &LabModules) {
        let mut imports = Vec::new();
        ast.walk(&mut |path: &[ASTNode]| {
            if let Some(ASTNode::Stmt(Stmt::Import(x, pos))) = path.last() {
                if let Expr::StringConstant(module, _) = &x.0 {
                    imports.push((module.to_string(), x.1.name.to_string(), *pos));
                }
            }
            true
        });
        for (module, alias, pos) in imports {
            let loaded = match modules.load(&module) {
                Ok((_, text)) => match engine.compile(&text) {
                    Ok(module_ast) => {
                        let mut defined = Defined::default();
                        collect_defined(&module_ast, &mut defined);
                        self.defined.map_keys.extend(defined.map_keys);
                        Some(Imported {
                            functions: defined.functions,
                        })
                    }
                    // A broken module is checked on its own; its alias stays unknown here.
                    Err(_) => None,
                },
                Err(error) => {
                    let error = match error {
                        Error::ModuleNotFound { path, .. } if !path.starts_with(STDLIB_PREFIX) => {
                            let names: Vec<String> = stdlib::names().map(str::to_string).collect();
                            let near = crate::suggest::closest(&path, names.iter().map(String::as_str));
                            let help = match near {
                                Some(near) => format!("did you mean the stdlib module \"{STDLIB_PREFIX}{near}\"? A lab file is looked for beside the lab"),
                                None => format!("no file `{path}.rhai` beside the lab; stdlib modules are imported as \"{STDLIB_PREFIX}NAME\""),
                            };
                            Error::ModuleNotFound { path, help }
                        }
                        Error::ModuleNotFound { path, help } => {
                            let name = path.trim_start_matches(STDLIB_PREFIX);
                            let help = match crate::suggest::closest(name, stdlib::names()) {
                                Some(near) => format!("did you mean \"{STDLIB_PREFIX}{near}\"? {help}"),
                                None => help,
                            };
                            Error::ModuleNotFound { path, help }
                        }
                        other => other,
                    };
                    self.report(error, pos);
                    None
                }
            };
            self.imports.insert(alias, loaded);
        }
    }

    fn expr(&mut self, expr: &Expr) {
        match expr {
            Expr::FnCall(call, pos) if call.op_token.is_none() => {
                let args: Vec<&Expr> = call.args.iter().collect();
                if call.namespace.is_empty() {
                    self.function(&call.name, args.len(), *pos);
                } else {
                    self.namespaced(call.namespace.root(), &call.name, args.len(), *pos);
                }
                self.spec_args(&call.name, &args);
            }
            Expr::Dot(x, _, _) => {
                let object = &x.lhs;
                match &x.rhs {
                    Expr::MethodCall(call, pos) => {
                        self.method(&call.name, call.args.len() + 1, *pos);
                        let args: Vec<&Expr> =
                            std::iter::once(object).chain(call.args.iter()).collect();
                        self.spec_args(&call.name, &args);
                    }
                    Expr::Property(p, pos) => self.property(&p.2, *pos),
                    _ => {}
                }
            }
            Expr::Custom(custom, _) => {
                let Some(keyword) = custom.tokens.first() else {
                    return;
                };
                for syntax in SYNTAX.iter().filter(|s| s.keyword == keyword.as_str()) {
                    if let Some((input, table)) = syntax.spec {
                        if let Some(map) = custom.inputs.get(input) {
                            self.map_literal(map, table);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn function(&mut self, name: &str, arguments: usize, pos: Position) {
        if self.defined.variables.contains(name) {
            return; // a variable holding a function pointer
        }
        let own = self.defined.functions.get(name);
        if own.is_some_and(|a| a.contains(&arguments)) {
            return;
        }
        let arities = self.catalog.arities(name);
        if arities.contains(&arguments) {
            return;
        }
        let signatures: Vec<String> = self
            .catalog
            .find(name)
            .iter()
            .filter(|i| i.on.is_none())
            .flat_map(|i| i.signatures.iter().cloned())
            .collect();
        let help = if !signatures.is_empty() {
            format!("`{name}` takes other arguments: {}", signatures.join(" | "))
        } else if own.is_some() || !arities.is_empty() {
            let mut counts: Vec<usize> = own.into_iter().flatten().copied().collect();
            counts.extend(arities);
            counts.sort();
            counts.dedup();
            let counts: Vec<String> = counts.iter().map(usize::to_string).collect();
            format!("`{name}` takes {} argument(s)", counts.join(" or "))
        } else {
            let mut names = self.catalog.names();
            names.extend(self.defined.functions.keys().cloned());
            match crate::suggest::closest(name, names.iter().map(String::as_str)) {
                Some(near) => format!("did you mean `{near}`? (`kvmlab doc {near}`)"),
                None => "`kvmlab doc` lists every function (the book's page \"Reference\")".into(),
            }
        };
        let shown = vec!["_"; arguments].join(", ");
        self.report(
            Error::UnknownFunction {
                signature: format!("{name}({shown})"),
                help,
            },
            pos,
        );
    }

    fn namespaced(&mut self, alias: &str, name: &str, arguments: usize, pos: Position) {
        let Some(Some(module)) = self.imports.get(alias) else {
            return; // not imported: the run reports it; unresolved: already reported
        };
        if module.functions.get(name).is_some_and(|a| a.contains(&arguments)) {
            return;
        }
        let help = match module.functions.get(name) {
            Some(arities) => {
                let counts: Vec<String> = arities.iter().map(usize::to_string).collect();
                format!("`{alias}::{name}` takes {} argument(s)", counts.join(" or "))
            }
            None => match crate::suggest::closest(name, module.functions.keys().map(String::as_str)) {
                Some(near) => format!("did you mean `{alias}::{near}`?"),
                None => format!(
                    "`{alias}` has: {}",
                    module.functions.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            },
        };
        let shown = vec!["_"; arguments].join(", ");
        self.report(
            Error::UnknownFunction {
                signature: format!("{alias}::{name}({shown})"),
                help,
            },
            pos,
        );
    }

    fn method(&mut self, name: &str, arguments: usize, pos: Position) {
        let own = self.defined.functions.get(name);
        if own.is_some_and(|a| a.contains(&arguments))
            || self.catalog.arities(name).contains(&arguments)
            || self.defined.map_keys.contains(name)
        {
            return;
        }
        let owners: Vec<String> = self
            .catalog
            .find(name)
            .iter()
            .flat_map(|i| i.signatures.iter().cloned())
            .collect();
        let help = if !owners.is_empty() {
            format!("`{name}` takes other arguments: {}", owners.join(" | "))
        } else {
            let mut names = self.catalog.names();
            names.extend(self.defined.functions.keys().cloned());
            match crate::suggest::closest(name, names.iter().map(String::as_str)) {
                Some(near) => format!("did you mean `{near}`? (`kvmlab doc {near}`)"),
                None => "`kvmlab doc` lists every type's methods (the book's page \"Reference\")".into(),
            }
        };
        self.report(
            Error::UnknownMethod {
                method: name.to_string(),
                arguments: arguments - 1,
                help,
            },
            pos,
        );
    }

    /// A property no type has is a mistake only when it is near one that exists: maps take
    /// any key, and a lab's maps are often filled by index (`lab[name] = h`).
    fn property(&mut self, name: &str, pos: Position) {
        let properties = self.catalog.property_names();
        if properties.contains(&name) || self.defined.map_keys.contains(name) {
            return;
        }
        if let Some(near) = crate::suggest::closest(name, properties.iter().copied()) {
            let owners: Vec<String> = self
                .catalog
                .find(near)
                .iter()
                .filter_map(|i| i.on.clone())
                .collect();
            self.report(
                Error::UnknownProperty {
                    property: name.to_string(),
                    type_name: "any kvmlab type".into(),
                    help: format!("did you mean `{near}`? ({} has it)", owners.join(", ")),
                },
                pos,
            );
        }
    }

    /// Map literals passed where a call takes a keyword map.
    fn spec_args(&mut self, function: &str, args: &[&Expr]) {
        let takes: Vec<&TakesSpec> = TAKES_SPEC.iter().filter(|t| t.function == function).collect();
        for takes in takes {
            let Some(arg) = args.get(takes.arg) else {
                continue;
            };
            if takes.list {
                if let Expr::Array(items, _) = arg {
                    for item in items.iter() {
                        self.map_literal(item, takes.table);
                    }
                }
            } else {
                self.map_literal(arg, takes.table);
            }
        }
    }

    fn map_literal(&mut self, expr: &Expr, table: &'static SpecTable) {
        let Expr::Map(map, _) = expr else {
            return;
        };
        for (ident, value) in map.0.iter() {
            match table.key(&ident.name) {
                None => self.report(table.unknown_key(&ident.name), ident.pos),
                Some(key) => {
                    if let Some(nested) = key.nested {
                        match value {
                            Expr::Array(items, _) => {
                                for item in items.iter() {
                                    self.map_literal(item, nested);
                                }
                            }
                            other => self.map_literal(other, nested),
                        }
                    }
                }
            }
        }
    }
}

/// The functions, variables and map keys a script defines.
fn collect_defined(ast: &AST, defined: &mut Defined) {
    for f in ast.iter_functions() {
        defined
            .functions
            .entry(f.name.to_string())
            .or_default()
            .insert(f.params.len());
        defined.variables.extend(f.params.iter().map(|p| p.to_string()));
    }
    ast.walk(&mut |path: &[ASTNode]| {
        match path.last() {
            Some(ASTNode::Stmt(Stmt::Var(x, ..))) => {
                defined.variables.insert(x.0.name.to_string());
            }
            Some(ASTNode::Stmt(Stmt::For(x, ..))) => {
                defined.variables.insert(x.0.name.to_string());
                if let Some(counter) = &x.1 {
                    defined.variables.insert(counter.name.to_string());
                }
            }
            Some(ASTNode::Expr(Expr::Map(map, _))) => {
                defined
                    .map_keys
                    .extend(map.0.iter().map(|(k, _)| k.name.to_string()));
            }
            Some(ASTNode::Stmt(Stmt::Assignment(x))) => {
                if let Expr::Dot(dot, ..) = &x.1.lhs {
                    if let Expr::Property(p, _) = &dot.rhs {
                        defined.map_keys.insert(p.2.to_string());
                    }
                }
            }
            _ => {}
        }
        true
    });
}
