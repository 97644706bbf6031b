//! `kvmlab check`: the mistakes a lab's text shows without running it. It walks the AST and
//! asks the [`Catalog`] about every call, method, property and keyword map: syntax errors,
//! unknown functions (by name and argument count), methods and properties no type has,
//! imports that do not resolve, and unknown keys in map literals passed to a call that takes a
//! keyword map. Each finding is a diagnostic with its line and a "did you mean".

use super::catalog::{Catalog, Kind, TakesSpec, SYNTAX, TAKES_SPEC};
use super::modules::{LabModules, STDLIB_PREFIX};
use super::spec::SpecTable;
use super::{diagnose, stdlib};
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Severity};
use rhai::{ASTNode, Engine, Expr, FnCallExpr, Position, Stmt, AST};
use std::collections::{BTreeMap, BTreeSet};

/// What a lab defines itself: functions (with their argument counts), variables, and the
/// keys of its maps (a map's key called as a method may hold a function).
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
        variables: BTreeMap::new(),
        map_variables: BTreeMap::new(),
    };
    checker.resolve_imports(engine, &ast, modules);
    collect_defined(&ast, &mut checker.defined);
    // Twice: the second pass sees the types the first found (`let p = h.ping(..)` after
    // `let h = host(..)`).
    checker.infer_variables(&ast);
    checker.infer_variables(&ast);
    ast.walk(&mut |path: &[ASTNode]| {
        if let Some(ASTNode::Stmt(Stmt::FnCall(call, pos))) = path.last() {
            checker.call(call, *pos);
        }
        if let Some(ASTNode::Expr(expr)) = path.last() {
            // A chain `a.b.c()` is checked from its top, where the object's type is known.
            let inside_chain = matches!(
                path.len().checked_sub(2).map(|i| &path[i]),
                Some(ASTNode::Expr(Expr::Dot(x, ..))) if std::ptr::eq(&x.rhs, *expr)
            );
            if !inside_chain {
                checker.expr(expr);
            }
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
    /// The registered type each variable holds, when every assignment to it gives the same.
    variables: BTreeMap<String, Option<String>>,
    /// Variables given a map literal once and nothing else: `let spec = #{..}; host(n, spec)`
    /// checks the literal's keys.
    map_variables: BTreeMap<String, Option<Expr>>,
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
                Ok((module_shown, text)) => match engine.compile(&text) {
                    Ok(module_ast) => {
                        let mut defined = Defined::default();
                        collect_defined(&module_ast, &mut defined);
                        self.defined.map_keys.extend(defined.map_keys);
                        Some(Imported {
                            functions: defined.functions,
                        })
                    }
                    // A module that does not parse is a finding in the module's own file.
                    Err(err) => {
                        let lookup = |file: &str| (file == module_shown).then(|| text.clone());
                        self.findings.push(diagnose::diagnose(
                            &err.into(),
                            engine,
                            &module_shown,
                            &lookup,
                        ));
                        None
                    }
                },
                Err(error) => {
                    let error = match error {
                        Error::ModuleNotFound { path, .. } if !path.starts_with(STDLIB_PREFIX) => {
                            let names: Vec<String> = stdlib::names().map(str::to_string).collect();
                            let near =
                                crate::suggest::closest(&path, names.iter().map(String::as_str));
                            let help = match near {
                                Some(near) => format!("did you mean the stdlib module \"{STDLIB_PREFIX}{near}\"? A lab file is looked for beside the lab"),
                                None => format!("no file `{path}.rhai` beside the lab; stdlib modules are imported as \"{STDLIB_PREFIX}NAME\""),
                            };
                            Error::ModuleNotFound { path, help }
                        }
                        Error::ModuleNotFound { path, help } => {
                            let name = path.trim_start_matches(STDLIB_PREFIX);
                            let help = match crate::suggest::closest(name, stdlib::names()) {
                                Some(near) => {
                                    format!("did you mean \"{STDLIB_PREFIX}{near}\"? {help}")
                                }
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
            Expr::FnCall(call, pos) => self.call(call, *pos),
            Expr::Dot(x, _, _) => {
                let object = self.type_of(&x.lhs);
                self.chain(object, &x.rhs);
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

    /// A call of a function (not a method): `host(..)`, `hosts::build()`.
    fn call(&mut self, call: &FnCallExpr, pos: Position) {
        if call.op_token.is_some() {
            return; // an operator such as `a + b`
        }
        let args: Vec<&Expr> = call.args.iter().collect();
        if call.namespace.is_empty() {
            self.function(&call.name, args.len(), pos);
        } else {
            self.namespaced(call.namespace.root(), &call.name, args.len(), pos);
        }
        self.spec_args(&call.name, &args, 0);
    }

    /// Checks the rest of a chain whose object has type `object` (when known).
    fn chain(&mut self, object: Option<String>, rest: &Expr) {
        match rest {
            Expr::Property(p, pos) => self.property(object.as_deref(), &p.2, *pos),
            Expr::MethodCall(call, pos) => {
                self.method(object.as_deref(), &call.name, call.args.len() + 1, *pos);
                let args: Vec<&Expr> = call.args.iter().collect();
                self.spec_args(&call.name, &args, 1);
            }
            Expr::Dot(x, ..) => {
                self.chain(object.clone(), &x.lhs);
                let next = self.step_type(object, &x.lhs);
                self.chain(next, &x.rhs);
            }
            _ => {}
        }
    }

    /// The registered type an expression gives, when the catalog says so.
    fn type_of(&self, expr: &Expr) -> Option<String> {
        match expr {
            Expr::Variable(x, ..) => self.variables.get(x.1.as_str()).cloned().flatten(),
            Expr::FnCall(call, _) if call.namespace.is_empty() && call.op_token.is_none() => {
                self.returns(None, &call.name, Kind::Function)
            }
            Expr::Dot(x, ..) => {
                let object = self.type_of(&x.lhs);
                self.step_type(object, &x.rhs)
            }
            _ => None,
        }
    }

    /// What a registered function returns; nothing is known of a lab's own functions, which
    /// may shadow a registered name.
    fn returns(&self, on: Option<&str>, name: &str, kind: Kind) -> Option<String> {
        if self.defined.functions.contains_key(name) {
            return None;
        }
        self.catalog.returns(on, name, kind).map(str::to_string)
    }

    /// The type after one more link of a chain.
    fn step_type(&self, object: Option<String>, link: &Expr) -> Option<String> {
        let returns = |name: &str, kind| self.returns(object.as_deref(), name, kind);
        match link {
            Expr::Property(p, _) => object.as_ref().and_then(|_| returns(&p.2, Kind::Property)),
            Expr::MethodCall(call, _) => returns(&call.name, Kind::Method),
            Expr::Dot(x, ..) => {
                let next = self.step_type(object.clone(), &x.lhs);
                self.step_type(next, &x.rhs)
            }
            _ => None,
        }
    }

    /// Types of variables from their `let`s and assignments; one that is given two different
    /// types (or an unknown one) stays unknown.
    fn infer_variables(&mut self, ast: &AST) {
        let mut assignments: Vec<(String, Option<String>)> = Vec::new();
        let mut literals: Vec<(String, Expr)> = Vec::new();
        ast.walk(&mut |path: &[ASTNode]| {
            match path.last() {
                Some(ASTNode::Stmt(Stmt::Var(x, ..))) => {
                    assignments.push((x.0.name.to_string(), self.type_of(&x.1)));
                    literals.push((x.0.name.to_string(), x.1.clone()));
                }
                Some(ASTNode::Stmt(Stmt::Assignment(x))) => {
                    if let Expr::Variable(v, ..) = &x.1.lhs {
                        assignments.push((v.1.to_string(), self.type_of(&x.1.rhs)));
                        literals.push((v.1.to_string(), x.1.rhs.clone()));
                    }
                }
                _ => {}
            }
            true
        });
        for f in ast.iter_functions() {
            for param in &f.params {
                assignments.push((param.to_string(), None));
            }
        }
        let mut map_variables: BTreeMap<String, Option<Expr>> = BTreeMap::new();
        for (name, value) in literals {
            let once = !map_variables.contains_key(&name) && matches!(value, Expr::Map(..));
            map_variables.insert(name, once.then_some(value));
        }
        for param in ast.iter_functions().flat_map(|f| f.params) {
            map_variables.insert(param.to_string(), None);
        }
        self.map_variables = map_variables;
        let mut variables: BTreeMap<String, Option<String>> = BTreeMap::new();
        for (name, ty) in assignments {
            let merged = match variables.get(&name) {
                Some(seen) if *seen != ty => None,
                _ => ty,
            };
            variables.insert(name, merged);
        }
        self.variables = variables;
    }

    fn function(&mut self, name: &str, arguments: usize, pos: Position) {
        let own = self.defined.functions.get(name);
        if own.is_some_and(|a| a.contains(&arguments)) {
            return;
        }
        let arities = self.catalog.arities(name);
        if arities.contains(&arguments) {
            return;
        }
        // A variable does not hide a function of its name, but it is not callable itself.
        if own.is_none() && arities.is_empty() && self.defined.variables.contains(name) {
            let shown = vec!["_"; arguments].join(", ");
            let help = format!(
                "`{name}` is a variable: call the function it holds as `{name}.call({shown})`"
            );
            self.report(
                Error::UnknownFunction {
                    signature: format!("{name}({shown})"),
                    help,
                },
                pos,
            );
            return;
        }
        let signatures: Vec<String> = self
            .catalog
            .find(name)
            .iter()
            .filter(|i| i.on.is_none())
            .flat_map(|i| i.signatures.iter().cloned())
            .collect();
        let owners: Vec<String> = self
            .catalog
            .find(name)
            .iter()
            .filter_map(|i| i.on.clone())
            .collect();
        let help = if !signatures.is_empty() {
            format!("`{name}` takes other arguments: {}", signatures.join(" | "))
        } else if own.is_none() && !owners.is_empty() {
            format!(
                "`{name}` is a method of {}: call it on the object, e.g. `x.{name}(..)` (`kvmlab doc {name}`)",
                owners.join(", ")
            )
        } else if own.is_some() || !arities.is_empty() {
            let mut counts: Vec<usize> = own.into_iter().flatten().copied().collect();
            counts.extend(arities);
            counts.sort();
            counts.dedup();
            let counts: Vec<String> = counts.iter().map(usize::to_string).collect();
            format!("`{name}` takes {} argument(s)", counts.join(" or "))
        } else {
            match self.near_call(name, arguments).as_deref() {
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

    /// The known call nearest to `name`: one taking `arguments` first, else (for a name long
    /// enough for a typo to be clear) any.
    fn near_call(&self, name: &str, arguments: usize) -> Option<String> {
        let mut names = self.catalog.names();
        names.extend(self.defined.functions.keys().cloned());
        let takes = |n: &String| {
            self.catalog.arities(n).contains(&arguments)
                || self
                    .defined
                    .functions
                    .get(n)
                    .is_some_and(|a| a.contains(&arguments))
        };
        let fitting: Vec<&str> = names
            .iter()
            .filter(|n| takes(n))
            .map(String::as_str)
            .collect();
        crate::suggest::closest(name, fitting)
            .or_else(|| {
                (name.chars().count() >= 4)
                    .then(|| crate::suggest::closest(name, names.iter().map(String::as_str)))
                    .flatten()
            })
            .map(str::to_string)
    }

    fn namespaced(&mut self, alias: &str, name: &str, arguments: usize, pos: Position) {
        let Some(Some(module)) = self.imports.get(alias) else {
            return; // not imported: the run reports it; unresolved: already reported
        };
        if module
            .functions
            .get(name)
            .is_some_and(|a| a.contains(&arguments))
        {
            return;
        }
        let help = match module.functions.get(name) {
            Some(arities) => {
                let counts: Vec<String> = arities.iter().map(usize::to_string).collect();
                format!(
                    "`{alias}::{name}` takes {} argument(s)",
                    counts.join(" or ")
                )
            }
            None => {
                match crate::suggest::closest(name, module.functions.keys().map(String::as_str)) {
                    Some(near) => format!("did you mean `{alias}::{near}`?"),
                    None => format!(
                        "`{alias}` has: {}",
                        module
                            .functions
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }
            }
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

    fn method(&mut self, object: Option<&str>, name: &str, arguments: usize, pos: Position) {
        let own = self.defined.functions.get(name);
        if own.is_some_and(|a| a.contains(&arguments)) {
            return;
        }
        if let Some(on) = object {
            let methods = self.catalog.members(on, Kind::Method);
            // Any function can be called as a method of its first argument: a global one
            // that takes any value (`x.check_eq(..)`) fits too.
            let fits = methods
                .iter()
                .copied()
                .chain(self.catalog.items.iter().filter(|i| i.on.is_none()))
                .any(|m| m.name == name && m.arities.contains(&arguments));
            let builtin = self
                .catalog
                .builtins
                .get(name)
                .is_some_and(|a| a.contains(&arguments));
            if !fits && !builtin {
                let names: Vec<&str> = methods.iter().map(|m| m.name.as_str()).collect();
                let help = match methods.iter().find(|m| m.name == name) {
                    Some(m) => format!(
                        "`{on}.{name}` takes other arguments: {}",
                        m.signatures.join(" | ")
                    ),
                    None => match crate::suggest::closest(name, names.iter().copied()) {
                        Some(near) => format!("did you mean `{near}`? (`kvmlab doc {on}.{near}`)"),
                        None => format!("{on} has: {}", names.join(", ")),
                    },
                };
                self.report(
                    Error::UnknownMethod {
                        method: format!("{on}.{name}"),
                        arguments: arguments - 1,
                        help,
                    },
                    pos,
                );
            }
            return;
        }
        if self.catalog.arities(name).contains(&arguments) || self.defined.map_keys.contains(name) {
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
            match self.near_call(name, arguments).as_deref() {
                Some(near) => format!("did you mean `{near}`? (`kvmlab doc {near}`)"),
                None => {
                    "`kvmlab doc` lists every type's methods (the book's page \"Reference\")".into()
                }
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

    /// A property is checked when the object's type is known: maps take any key, and
    /// command rows are maps.
    fn property(&mut self, object: Option<&str>, name: &str, pos: Position) {
        let Some(on) = object else {
            return;
        };
        let properties = self.catalog.members(on, Kind::Property);
        if properties.iter().any(|p| p.name == name) {
            return;
        }
        let names: Vec<&str> = properties.iter().map(|p| p.name.as_str()).collect();
        let help = match crate::suggest::closest(name, names.iter().copied()) {
            Some(near) => format!("did you mean `{near}`? (`kvmlab doc {on}.{near}`)"),
            None if names.is_empty() => format!("{on} has no properties"),
            None => format!("{on} has: {}", names.join(", ")),
        };
        self.report(
            Error::UnknownProperty {
                property: name.to_string(),
                type_name: on.to_string(),
                help,
            },
            pos,
        );
    }

    /// Map literals passed where a call takes a keyword map.
    /// `args` are a call's arguments from number `first` on (1 for a method: its object is 0).
    fn spec_args(&mut self, function: &str, args: &[&Expr], first: usize) {
        let takes: Vec<&TakesSpec> = TAKES_SPEC
            .iter()
            .filter(|t| t.function == function)
            .collect();
        for takes in takes {
            let Some(arg) = takes.arg.checked_sub(first).and_then(|i| args.get(i)) else {
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
        if let Expr::Variable(x, ..) = expr {
            if let Some(Some(literal)) = self.map_variables.get(x.1.as_str()).cloned() {
                self.map_literal(&literal, table);
            }
            return;
        }
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
        defined
            .variables
            .extend(f.params.iter().map(|p| p.to_string()));
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
