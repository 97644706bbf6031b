//! The script API's reference, read from the engine itself: every registered function, method
//! and property (Rhai's function metadata), the keyword maps they take (the binding's own
//! [`SpecTable`]s), the custom syntax and the stdlib modules. `kvmlab doc`, the book's
//! reference page, `kvmlab check` and error help all read this one catalog, so none of them
//! can drift from what a script can call.

use super::examples::{self, Entry};
use super::spec::SpecTable;
use super::{faults, guests, lab_api, network, pools, stdlib, storage};
use rhai::Engine;
use std::collections::BTreeMap;

/// A form of custom syntax, documented beside its registration.
pub struct Syntax {
    /// The keyword that opens it.
    pub keyword: &'static str,
    /// How a lab writes it: `switch(name, cidr, spec)`.
    pub form: &'static str,
    pub doc: &'static str,
    pub example: &'static str,
    /// The input that is a keyword map, and its table.
    pub spec: Option<(usize, &'static SpecTable)>,
}

/// The custom syntax the engine registers.
pub const SYNTAX: &[&Syntax] = &[&network::SWITCH_SYNTAX];

/// Which call takes which keyword map: the function's name, the argument (a method's object
/// counts as argument 0) and the table. `list` marks a list of maps (`router`'s ports).
pub struct TakesSpec {
    pub function: &'static str,
    pub arg: usize,
    pub table: &'static SpecTable,
    pub list: bool,
}

const fn takes(function: &'static str, arg: usize, table: &'static SpecTable) -> TakesSpec {
    TakesSpec {
        function,
        arg,
        table,
        list: false,
    }
}

pub const TAKES_SPEC: &[TakesSpec] = &[
    takes("host", 1, &network::HOST_SPEC),
    takes("install_os", 1, &network::OS_SPEC),
    takes("segment", 2, &network::SWITCH_SPEC),
    TakesSpec {
        list: true,
        ..takes("router", 1, &network::ROUTER_PORT_SPEC)
    },
    takes("nas", 1, &storage::NAS_SPEC),
    takes("define_pool", 1, &pools::POOL_SPEC),
    takes("create_volume", 1, &pools::VOLUME_SPEC),
    takes("define_guest", 1, &guests::GUEST_SPEC),
    takes("workload", 1, &guests::WORKLOAD_SPEC),
    takes("client", 1, &guests::CLIENT_SPEC),
    takes("migrate", 2, &guests::MIGRATE_SPEC),
    takes("save_plot", 1, &lab_api::CHART_SPEC),
    takes("fault", 0, &faults::FAULT_SPEC),
    takes("degrade", 1, &faults::DEGRADE_SPEC),
];

/// Every keyword map, nested ones included, in the order the reference shows them.
pub fn spec_tables() -> Vec<&'static SpecTable> {
    let mut tables: Vec<&'static SpecTable> = Vec::new();
    fn add(tables: &mut Vec<&'static SpecTable>, table: &'static SpecTable) {
        if tables.iter().any(|t| std::ptr::eq(*t, table)) {
            return;
        }
        tables.push(table);
        for key in table.keys {
            if let Some(nested) = key.nested {
                add(tables, nested);
            }
        }
    }
    for takes in TAKES_SPEC {
        add(&mut tables, takes.table);
    }
    for syntax in SYNTAX {
        if let Some((_, table)) = syntax.spec {
            add(&mut tables, table);
        }
    }
    tables
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Function,
    Method,
    Property,
    Indexer,
}

/// One callable name: a global function, or a method or property of one type.
#[derive(Debug, Clone)]
pub struct Item {
    pub kind: Kind,
    /// The type of a method's or property's object (`Host`); `None` for global functions.
    pub on: Option<String>,
    pub name: String,
    /// One readable signature per overload: `ping(host: Host, target: String) -> PingResult`.
    pub signatures: Vec<String>,
    /// Parameter counts of the overloads, the object included.
    pub arities: Vec<usize>,
    /// Each overload's return type, as scripts name it (`Host`, `i64`, `?`).
    pub returns: Vec<String>,
    pub doc: String,
    pub example: String,
}

impl Item {
    /// How the reference and `kvmlab doc NAME` name it: `host`, `Host.ping`.
    pub fn key(&self) -> String {
        match &self.on {
            Some(on) => format!("{on}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// A function of a stdlib module, with its `///` doc.
#[derive(Debug, Clone)]
pub struct StdlibFn {
    pub module: &'static str,
    pub name: String,
    pub params: Vec<String>,
    pub doc: String,
    pub example: String,
}

#[derive(Debug, Clone)]
pub struct StdlibModule {
    pub name: &'static str,
    pub doc: String,
    pub functions: Vec<StdlibFn>,
}

/// A script type: its doc and an expression that gives one (for examples).
pub struct TypeDoc {
    pub name: &'static str,
    pub doc: &'static str,
    pub sample: &'static str,
}

pub struct Catalog {
    pub items: Vec<Item>,
    pub types: Vec<&'static TypeDoc>,
    pub stdlib: Vec<StdlibModule>,
    /// Names and parameter counts of Rhai's own functions (`len`, `push`, `to_string`, …).
    pub builtins: BTreeMap<String, Vec<usize>>,
}

/// Types of answers that have no members a lint could check.
const SCALARS: &[&str] = &["bool", "i64", "f64", "()"];

/// Functions Rhai's parser handles itself; they are in no metadata.
const KEYWORD_FUNCTIONS: &[(&str, &[usize])] = &[
    ("print", &[0, 1]),
    ("debug", &[0, 1]),
    ("type_of", &[1]),
    ("Fn", &[1]),
    ("call", &[1, 2, 3, 4, 5, 6, 7, 8]),
    ("curry", &[1, 2, 3, 4, 5, 6, 7, 8]),
    ("is_def_var", &[1]),
    ("is_def_fn", &[1, 2]),
    ("is_shared", &[1]),
];

impl Catalog {
    /// Reads the catalog out of an engine built by [`super::engine::build`].
    pub fn from_engine(engine: &Engine) -> Catalog {
        let (mut own, custom_types) = metadata(engine, false);
        // Overloads by argument count, then signature: the engine's own order is a hash order.
        own.sort_by(|a, b| {
            (&a.name, a.params.len(), &a.signature).cmp(&(&b.name, b.params.len(), &b.signature))
        });
        let (all, _) = metadata(engine, true);
        let mut types: Vec<&'static TypeDoc> = examples::TYPES.iter().collect();
        types.sort_by_key(|t| t.name);
        let mut grouped: BTreeMap<(Option<String>, String), Item> = BTreeMap::new();
        for f in &own {
            let first = f.params.first().map(|(_, t)| t.as_str());
            let receiver = first
                .filter(|t| custom_types.iter().any(|c| c == t))
                .map(str::to_string);
            let property = f
                .name
                .strip_prefix("get$")
                .or_else(|| f.name.strip_prefix("set$"));
            let (kind, name) = if let Some(prop) = property {
                (Kind::Property, prop.to_string())
            } else if f.name == "index$get$" {
                (Kind::Indexer, "[]".to_string())
            } else if receiver.is_some() {
                (Kind::Method, f.name.clone())
            } else {
                (Kind::Function, f.name.clone())
            };
            let on = if kind == Kind::Function {
                None
            } else {
                receiver
            };
            let item = grouped
                .entry((on.clone(), name.clone()))
                .or_insert_with(|| Item {
                    kind,
                    on,
                    name,
                    signatures: Vec::new(),
                    arities: Vec::new(),
                    returns: Vec::new(),
                    doc: String::new(),
                    example: String::new(),
                });
            item.signatures.push(f.signature.clone());
            item.arities.push(f.params.len());
            item.returns.push(f.returns.clone());
            // Overloads that say something of their own add it.
            if !f.doc.is_empty() && !item.doc.contains(&f.doc) {
                if !item.doc.is_empty() {
                    item.doc.push(' ');
                }
                item.doc.push_str(&f.doc);
            }
        }
        let mut items: Vec<Item> = grouped.into_values().collect();
        for item in &mut items {
            fill_from_entries(item, &types);
        }
        items.sort_by(|a, b| (&a.on, a.kind, &a.name).cmp(&(&b.on, b.kind, &b.name)));
        let mut builtins: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let own_signatures: std::collections::BTreeSet<&str> =
            own.iter().map(|f| f.signature.as_str()).collect();
        for f in all
            .iter()
            .filter(|f| !own_signatures.contains(f.signature.as_str()))
        {
            builtins
                .entry(f.name.clone())
                .or_default()
                .push(f.params.len());
        }
        for (name, arities) in KEYWORD_FUNCTIONS {
            builtins
                .entry(name.to_string())
                .or_default()
                .extend(arities.iter().copied());
        }
        Catalog {
            items,
            types,
            stdlib: stdlib_modules(),
            builtins,
        }
    }

    /// The items named `name`: `ping` gives every type's `ping`, `Host.ping` just one.
    pub fn find(&self, name: &str) -> Vec<&Item> {
        self.items
            .iter()
            .filter(|i| i.key() == name || (!name.contains('.') && i.name == name))
            .collect()
    }

    /// Every name a lab can call or read, for "did you mean".
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.items.iter().map(|i| i.name.clone()).collect();
        names.extend(self.builtins.keys().cloned());
        // Operators (`+`, `!`) and internal names (`index$get$`) are not typed as calls.
        names.retain(|n| {
            n.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_')
                && n.chars().all(|c| c.is_alphanumeric() || c == '_')
        });
        names.sort();
        names.dedup();
        names
    }

    pub fn property_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .items
            .iter()
            .filter(|i| i.kind == Kind::Property)
            .map(|i| i.name.as_str())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Parameter counts of every function named `name` (registered or Rhai's own).
    pub fn arities(&self, name: &str) -> Vec<usize> {
        let mut arities: Vec<usize> = self
            .items
            .iter()
            .filter(|i| i.name == name && i.kind != Kind::Property)
            .flat_map(|i| i.arities.iter().copied())
            .chain(self.builtins.get(name).into_iter().flatten().copied())
            .collect();
        arities.sort();
        arities.dedup();
        arities
    }

    /// The type a call returns when every overload of it returns the same registered type:
    /// `on` is the object's type for a method, `None` for a function.
    ///
    /// On an object of unknown type (`on` is `None`), an overload that answers a scalar
    /// (`bool`, a number, `()`) does not hide the others' type: a scalar has no members, so a
    /// member read off the answer is checked against the registered type either way
    /// (`x.ping(..)` is a `PingResult` for a `Host` and a `bool` for a `HostView`).
    pub fn returns(&self, on: Option<&str>, name: &str, kind: Kind) -> Option<&str> {
        let mut returns = self
            .items
            .iter()
            .filter(|i| i.name == name && i.kind == kind)
            .filter(|i| on.is_none() || i.on.as_deref() == on)
            .flat_map(|i| i.returns.iter())
            .filter(|r| on.is_some() || !SCALARS.contains(&r.as_str()));
        let first = returns.next()?;
        let registered = self.types.iter().any(|t| t.name == first);
        (registered && returns.all(|r| r == first)).then_some(first.as_str())
    }

    /// The items of type `on`.
    pub fn members(&self, on: &str, kind: Kind) -> Vec<&Item> {
        self.items
            .iter()
            .filter(|i| i.on.as_deref() == Some(on) && i.kind == kind)
            .collect()
    }

    /// The stdlib function `module::name`, if there is one.
    pub fn stdlib_fn(&self, module: &str, name: &str) -> Option<&StdlibFn> {
        self.stdlib
            .iter()
            .find(|m| m.name == module)?
            .functions
            .iter()
            .find(|f| f.name == name)
    }
}

/// Doc and example of an item from the examples table; `to_string` and `to_debug` are
/// described once for every type, with the type's sample.
fn fill_from_entries(item: &mut Item, types: &[&'static TypeDoc]) {
    let key = item.key();
    let mut entries = examples::ENTRIES.iter().chain(examples::RUBRIC_ENTRIES);
    if let Some(Entry { doc, example, .. }) = entries.find(|e| e.item == key) {
        if item.doc.is_empty() {
            item.doc = doc.to_string();
        }
        item.example = example.to_string();
        return;
    }
    let sample = item
        .on
        .as_deref()
        .and_then(|on| types.iter().find(|t| t.name == on))
        .map(|t| t.sample);
    if let Some(sample) = sample {
        match item.name.as_str() {
            "to_string" => {
                item.doc = "The object as `print` and string interpolation show it.".into();
                item.example = format!("print({sample});");
            }
            "to_debug" => {
                item.doc = "A short form naming the object, as `debug` shows it.".into();
                item.example = format!("debug({sample});");
            }
            _ => {}
        }
    }
}

struct FnMeta {
    name: String,
    returns: String,
    params: Vec<(String, String)>,
    signature: String,
    doc: String,
}

/// The engine's functions, and the names of the types it registered.
fn metadata(engine: &Engine, include_packages: bool) -> (Vec<FnMeta>, Vec<String>) {
    let json = engine
        .gen_fn_metadata_to_json(include_packages)
        .unwrap_or_default();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
    let custom_types = value["customTypes"]
        .as_array()
        .map(|types| {
            types
                .iter()
                .filter_map(|t| t["displayName"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let functions = value["functions"].as_array().cloned().unwrap_or_default();
    let functions = functions
        .iter()
        .map(|f| {
            let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
            let params = f["params"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .map(|p| (text(&p["name"]), type_name(engine, &text(&p["type"]))))
                        .collect()
                })
                .unwrap_or_default();
            let doc = f["docComments"]
                .as_array()
                .map(|lines| {
                    lines
                        .iter()
                        .map(|l| {
                            let l = l.as_str().unwrap_or_default();
                            l.trim_start_matches("///").trim().to_string()
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            FnMeta {
                name: text(&f["name"]),
                returns: type_name(engine, &text(&f["returnType"])),
                signature: super::diagnose::readable_signature(&text(&f["signature"]))
                    .replace(": string", ": String")
                    .replace("-> string", "-> String"),
                params,
                doc,
            }
        })
        .collect();
    (functions, custom_types)
}

/// A parameter type as scripts name it: `&mut Host` is `Host`.
fn type_name(engine: &Engine, rust: &str) -> String {
    match engine.map_type_name(rust.trim_start_matches("&mut ").trim()) {
        "string" => "String".to_string(),
        other => other.to_string(),
    }
}

/// The stdlib modules with their `//!` doc and each function's `///` doc and example.
pub fn stdlib_modules() -> Vec<StdlibModule> {
    stdlib::names()
        .map(|name| {
            let source = stdlib::source(name).unwrap_or_default();
            parse_stdlib(name, source)
        })
        .collect()
}

fn parse_stdlib(name: &'static str, source: &str) -> StdlibModule {
    let mut doc = Vec::new();
    let mut functions = Vec::new();
    let mut pending: Vec<&str> = Vec::new();
    for line in source.lines() {
        let trimmed = line.trim_start();
        if let Some(text) = trimmed.strip_prefix("//!") {
            doc.push(text.strip_prefix(' ').unwrap_or(text).to_string());
        } else if let Some(text) = trimmed.strip_prefix("///") {
            pending.push(text.strip_prefix(' ').unwrap_or(text));
        } else if let Some(rest) = trimmed.strip_prefix("fn ") {
            let (fn_name, params) = rest.split_once('(').unwrap_or((rest, ""));
            let params = params
                .split(')')
                .next()
                .unwrap_or_default()
                .split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect();
            let (text, example) = split_example(&pending);
            functions.push(StdlibFn {
                module: name,
                name: fn_name.trim().to_string(),
                params,
                doc: text,
                example,
            });
            pending.clear();
        } else {
            pending.clear();
        }
    }
    StdlibModule {
        name,
        doc: doc.join("\n").trim().to_string(),
        functions,
    }
}

/// A doc comment's text and the indented code after its `Example:` line.
fn split_example(lines: &[&str]) -> (String, String) {
    match lines.iter().position(|l| l.trim() == "Example:") {
        Some(at) => (
            lines[..at].join(" ").trim().to_string(),
            lines[at + 1..]
                .iter()
                .map(|l| l.strip_prefix("    ").unwrap_or(l.trim()))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        None => (lines.join(" ").trim().to_string(), String::new()),
    }
}

/// A part of a reference entry: its Markdown, and the example a lab can run on its own.
pub struct Described {
    pub text: String,
    pub example: Option<String>,
}

/// An item's example, unless it has none or it runs only in an exercise's checks.
fn runnable(item: &Item) -> Option<String> {
    let rubric_only = examples::RUBRIC_ENTRIES
        .iter()
        .any(|e| e.item == item.key());
    (!item.example.is_empty() && !rubric_only).then(|| item.example.clone())
}

/// How to write the reference page again after the API changed.
pub const REGENERATE: &str = "cargo run -- doc > book/src/reference.md";

impl Catalog {
    /// The whole reference as Markdown: the book's page "Reference" and `kvmlab doc`.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        out.push_str("# Reference\n\n");
        out.push_str(
            "Every function, method, property, keyword map, syntax and stdlib module a lab \
             can use, read from kvmlab's engine. `kvmlab doc NAME` prints one entry \
             (`kvmlab doc ping`, `kvmlab doc Host.ping`, `kvmlab doc \"host spec\"`).\n\n",
        );
        out.push_str(&format!(
            "<!-- Written by `kvmlab doc`; a test fails when it differs. Regenerate: `{REGENERATE}` -->\n\n"
        ));
        out.push_str("## What the examples assume\n\n");
        out.push_str(
            "Each example runs after the setup below, up to the last part that defines a \
             name it uses (an example that uses `vm` runs after the first four parts; one \
             that uses none of these names, after the imports only).\n\n```text\n",
        );
        for prelude in examples::PRELUDES {
            out.push_str(&format!("// defines {}\n", prelude.defines.join(", ")));
            out.push_str(prelude.code);
            out.push_str("\n\n");
        }
        out.truncate(out.trim_end().len());
        out.push_str("\n```\n\n## Functions\n\n");
        for item in self.items.iter().filter(|i| i.on.is_none()) {
            out.push_str(&self.item_markdown(item));
        }
        for syntax in SYNTAX {
            out.push_str(&syntax_markdown(syntax));
        }
        out.push_str("## Types\n\n");
        for ty in &self.types {
            out.push_str(&format!("### {}\n\n{}\n\n", ty.name, ty.doc));
            for item in self
                .items
                .iter()
                .filter(|i| i.on.as_deref() == Some(ty.name))
            {
                out.push_str(&self.item_markdown(item));
            }
        }
        out.push_str("## Keyword maps\n\n");
        for table in spec_tables() {
            out.push_str(&table_markdown(table));
        }
        out.push_str("## Stdlib modules\n\n");
        for module in &self.stdlib {
            out.push_str(&stdlib_markdown(module));
        }
        out
    }

    /// One entry of the reference, for `kvmlab doc NAME`: items, a keyword map, a syntax, a
    /// stdlib module or function (`hosts::build`).
    pub fn describe(&self, name: &str) -> Option<String> {
        let out: String = self.entries(name).into_iter().map(|e| e.text).collect();
        (!out.is_empty()).then_some(out)
    }

    /// The parts of [`Catalog::describe`]'s answer, each with the example a lab can run on
    /// its own (`:help` runs it); a type's or a module's part lists its members, whose
    /// examples are in their own entries.
    pub fn entries(&self, name: &str) -> Vec<Described> {
        let mut out: Vec<Described> = self
            .find(name)
            .iter()
            .map(|i| Described {
                text: self.item_markdown(i),
                example: runnable(i),
            })
            .collect();
        let text_only = |text: String| Described {
            text,
            example: None,
        };
        if let Some(table) = spec_tables().into_iter().find(|t| t.what == name) {
            out.push(text_only(table_markdown(table)));
        }
        if let Some(syntax) = SYNTAX.iter().find(|s| s.keyword == name) {
            out.push(Described {
                text: syntax_markdown(syntax),
                example: Some(syntax.example.to_string()),
            });
        }
        if let Some(ty) = self.types.iter().find(|t| t.name == name) {
            let mut text = format!("### {}\n\n{}\n\n", ty.name, ty.doc);
            for item in self
                .items
                .iter()
                .filter(|i| i.on.as_deref() == Some(ty.name))
            {
                text.push_str(&self.item_markdown(item));
            }
            out.push(text_only(text));
        }
        let module_name = name
            .strip_prefix(super::modules::STDLIB_PREFIX)
            .unwrap_or(name);
        if let Some(module) = self.stdlib.iter().find(|m| m.name == module_name) {
            out.push(text_only(stdlib_markdown(module)));
        }
        if let Some(f) = name
            .split_once("::")
            .and_then(|(module, function)| self.stdlib_fn(module, function))
        {
            out.push(Described {
                text: stdlib_fn_markdown(f),
                example: Some(f.example.clone()).filter(|e| !e.is_empty()),
            });
        }
        out
    }

    /// Every name `kvmlab doc` knows, for its "did you mean".
    pub fn doc_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.items.iter().map(Item::key).collect();
        names.extend(self.items.iter().map(|i| i.name.clone()));
        names.extend(spec_tables().iter().map(|t| t.what.to_string()));
        names.extend(SYNTAX.iter().map(|s| s.keyword.to_string()));
        names.extend(self.types.iter().map(|t| t.name.to_string()));
        for module in &self.stdlib {
            names.push(module.name.to_string());
            names.extend(
                module
                    .functions
                    .iter()
                    .map(|f| format!("{}::{}", module.name, f.name)),
            );
        }
        names.sort();
        names.dedup();
        names
    }

    fn item_markdown(&self, item: &Item) -> String {
        let mut out = format!("#### `{}`\n\n", item.key());
        for signature in &item.signatures {
            let shown = match item.kind {
                Kind::Property => {
                    let returns = signature.rsplit("-> ").next().unwrap_or("?");
                    format!(
                        "{}.{} -> {}",
                        item.on.as_deref().unwrap_or("?"),
                        item.name,
                        returns
                    )
                }
                _ => signature.clone(),
            };
            out.push_str(&format!("`{shown}`  \n"));
        }
        out.push_str(&format!("\n{}\n\n", item.doc));
        for takes in TAKES_SPEC.iter().filter(|t| t.function == item.name) {
            let list = if takes.list { "a list of maps: " } else { "" };
            out.push_str(&format!(
                "Argument {} is {list}a [{}](#{}).\n\n",
                takes.arg + 1,
                takes.table.what,
                anchor(takes.table.what)
            ));
        }
        out.push_str(&format!("```rhai\n{}\n```\n\n", item.example));
        out
    }
}

fn syntax_markdown(syntax: &Syntax) -> String {
    let mut out = format!(
        "#### `{}` (syntax)\n\n`{}`\n\n{}\n\n",
        syntax.keyword, syntax.form, syntax.doc
    );
    if let Some((input, table)) = syntax.spec {
        out.push_str(&format!(
            "Input {} is a [{}](#{}).\n\n",
            input + 1,
            table.what,
            anchor(table.what)
        ));
    }
    out.push_str(&format!("```rhai\n{}\n```\n\n", syntax.example));
    out
}

fn table_markdown(table: &SpecTable) -> String {
    let mut out = format!("### {}\n\n", table.what);
    let takers: Vec<String> = TAKES_SPEC
        .iter()
        .filter(|t| std::ptr::eq(t.table, table))
        .map(|t| format!("`{}` (argument {})", t.function, t.arg + 1))
        .chain(
            SYNTAX
                .iter()
                .filter(|s| s.spec.is_some_and(|(_, t)| std::ptr::eq(t, table)))
                .map(|s| format!("`{}`", s.form)),
        )
        .collect();
    let holders: Vec<String> = spec_tables()
        .iter()
        .flat_map(|t| t.keys.iter().map(move |k| (t, k)))
        .filter(|(_, k)| k.nested.is_some_and(|n| std::ptr::eq(n, table)))
        .map(|(t, k)| format!("`{}` of the [{}](#{})", k.name, t.what, anchor(t.what)))
        .collect();
    if !takers.is_empty() {
        out.push_str(&format!("Taken by {}.\n\n", takers.join(", ")));
    }
    if !holders.is_empty() {
        out.push_str(&format!("The maps in {}.\n\n", holders.join(", ")));
    }
    out.push_str("| key | meaning | example |\n|---|---|---|\n");
    for key in table.keys {
        let nested = key
            .nested
            .map(|t| format!(" See [{}](#{}).", t.what, anchor(t.what)))
            .unwrap_or_default();
        out.push_str(&format!(
            "| `{}` | {}{} | `{}` |\n",
            key.name,
            key.doc.replace('|', "\\|"),
            nested,
            key.example.replace('|', "\\|")
        ));
    }
    out.push('\n');
    out
}

fn stdlib_markdown(module: &StdlibModule) -> String {
    let mut out = format!(
        "### `\"{}{}\"`\n\n{}\n\n",
        super::modules::STDLIB_PREFIX,
        module.name,
        module.doc
    );
    for f in &module.functions {
        out.push_str(&stdlib_fn_markdown(f));
    }
    out
}

fn stdlib_fn_markdown(f: &StdlibFn) -> String {
    format!(
        "#### `{}::{}({})`\n\n{}\n\n```rhai\n{}\n```\n\n",
        f.module,
        f.name,
        f.params.join(", "),
        f.doc,
        f.example
    )
}

/// The anchor mdBook gives a heading.
fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}
