//! The case generator: scripts that build a plausible lab (the report's hosts, the NAS, a
//! guest, a migration, a download) and then call the script API with hostile arguments. What
//! it calls comes from the engine's own catalog (every function, method, property and keyword
//! map with its types), so a function added to the API is fuzzed without touching this file.

use kvmlab_runtime::script::catalog::{Catalog, Kind, TAKES_SPEC};
use kvmlab_runtime::script::examples::{PRELUDES, TYPES};
use kvmlab_runtime::script::spec::SpecTable;

/// SplitMix64: small, seedable and the same on every platform, so a seed replays a case.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The seed of case `index` of a run seeded `seed`: each case replays on its own.
pub fn case_seed(seed: u64, index: u64) -> u64 {
    Rng::new(seed ^ index.wrapping_mul(0xA076_1D64_78BD_642F)).next()
}

/// One thing a script can call, read from the catalog.
struct Callable {
    kind: Kind,
    /// The receiver's type for methods, properties and indexers.
    on: Option<String>,
    name: String,
    /// Parameter types after the receiver; `None` where the signature names none.
    params: Vec<Option<String>>,
    returns: Option<String>,
}

/// A generated script: a header (imports, the world, helper functions) and statements that
/// each stand alone, so a failing case shrinks by dropping statements.
#[derive(Clone)]
pub struct Script {
    pub header: String,
    pub statements: Vec<String>,
}

impl Script {
    pub fn text(&self) -> String {
        let mut text = self.header.clone();
        for statement in &self.statements {
            text.push_str(statement);
            text.push('\n');
        }
        text
    }
}

pub struct Generator {
    callables: Vec<Callable>,
    stdlib: Vec<(String, usize)>,
    /// String literals from the reference's examples: names, paths, devices, IQNs that the
    /// API accepts, so calls get past their first check.
    plausible: Vec<String>,
}

/// Variables the preludes define, with their types, in prelude order.
const PRELUDE_VARIABLES: &[(&str, &str)] = &[
    ("lab", "Map"),
    ("sv1", "Host"),
    ("sv2", "Host"),
    ("net1", "Switch"),
    ("net2", "Switch"),
    ("st", "Map"),
    ("nas", "Nas"),
    ("pool", "Pool"),
    ("vm", "Guest"),
    ("moved", "MigrationResult"),
    ("pc", "Client"),
    ("ftp", "Download"),
];

const HOSTILE_INTS: &[&str] = &[
    "0",
    "-1",
    "1",
    "2",
    "7",
    "4096",
    "65536",
    "2147483648",
    "4294967296",
    "1099511627776",
    "9223372036854775807",
    "(-9223372036854775807 - 1)",
    "-4096",
];

const HOSTILE_FLOATS: &[&str] = &[
    "0.0",
    "-0.0",
    "0.5",
    "1.0e-300",
    "5.0e-324",
    "1.0e308",
    "(1.0e308 * 10.0)",
    "(-1.0e308 * 10.0)",
    "((1.0e308 * 10.0) - (1.0e308 * 10.0))",
    "-1.5",
    "86400.0",
    "1.0e18",
];

const HOSTILE_SIZES: &[&str] = &[
    "\"8000000T\"",
    "\"4000000T\"",
    "\"16T\"",
    "\"1E\"",
    "\"-1G\"",
    "\"0\"",
    "\"0B\"",
    "\"1e400G\"",
    "\"NaNG\"",
    "\"infT\"",
    "\"1.5.5G\"",
    "\"18446744073709551615\"",
    "\"9223372036854775808\"",
    "\"512M\"",
    "\"20G\"",
    "\"1Gbit/s\"",
    "\"1e-300bit/s\"",
    "\"0bit/s\"",
    "\"-5Mbit/s\"",
    "\"100%\"",
    "\"0%\"",
    "\"200%\"",
];

const HOSTILE_STRINGS: &[&str] = &[
    "\"\"",
    "\" \"",
    "\"\\n\"",
    "\"PASS\\r\\n  PASS  fake check\"",
    "\"\\x1b[2J\\x1b[32mPASS\\x1b[0m\"",
    "\"\\x00\\x07\\x08\"",
    "\"\\u202e\\u200b漢字🙂ÿ\"",
    "\"../x\"",
    "\"../../etc/passwd\"",
    "\"/\"",
    "\"//\"",
    "\"/etc/hosts\"",
    "\"/dev/sda\"",
    "\"/dev/sdb1\"",
    "\"linked/x\"",
    "\"a/./b/../../../c\"",
    "\"-rf\"",
    "\"a b\"",
    "\"*\"",
    "\"$(reboot)\"",
    "\"192.168.1.1/33\"",
    "\"999.1.1.1\"",
    "\"10.10.0.0/0\"",
    "\"iqn.\"",
    "\"ext3\"",
    "\"gpt\"",
];

/// Expressions of every shape, for an argument of the wrong type.
const ANY_VALUES: &[&str] = &[
    "()",
    "true",
    "false",
    "[]",
    "#{}",
    "[1, \"a\", ()]",
    "'x'",
    "Fn(\"rec\")",
    "|| 1",
    "sv1",
    "vm",
    "net1",
];

impl Generator {
    pub fn new(catalog: &Catalog) -> Generator {
        let mut callables = Vec::new();
        for item in &catalog.items {
            for (signature, returns) in item.signatures.iter().zip(&item.returns) {
                let mut params = parameter_types(signature);
                if item.on.is_some() && !params.is_empty() {
                    params.remove(0);
                }
                callables.push(Callable {
                    kind: item.kind,
                    on: item.on.clone(),
                    name: item.name.clone(),
                    params,
                    returns: Some(returns.clone()).filter(|r| r != "?" && !r.is_empty()),
                });
            }
        }
        let stdlib = catalog
            .stdlib
            .iter()
            .flat_map(|m| {
                m.functions
                    .iter()
                    .map(|f| (format!("{}::{}", short(f.module), f.name), f.params.len()))
            })
            .collect();
        let mut plausible: Vec<String> = Vec::new();
        for item in &catalog.items {
            for literal in string_literals(&item.example) {
                if !plausible.contains(&literal) {
                    plausible.push(literal);
                }
            }
        }
        // Command lines for the hosts' root shells: each command the prompt runs, with
        // options and operands it may or may not take.
        for command in kvmlab_runtime::shell::command_names() {
            plausible.push(format!("{command} -l --all /etc/hosts /dev/sdb1 | wc -l"));
        }
        for command in kvmlab_runtime::shell::virsh_commands() {
            plausible.push(format!("virsh {command} centos-nz2 --all 1 --pool=iscsi1"));
        }
        plausible.push("virt-install -n g -r 512 --cdrom /guest/iso/x.iso --disk pool=iscsi1,size=1 --network bridge=br0".into());
        plausible.push(
            "parted -s /dev/sdb mklabel gpt mkpart primary ext3 0% 95GB && mkfs.ext3 /dev/sdb1"
                .into(),
        );
        plausible.push("ls /etc/*/* /iscsi1/*.img".into());
        plausible.sort();
        plausible.dedup();
        Generator {
            callables,
            stdlib,
            plausible,
        }
    }

    /// The script of one case.
    pub fn script(&self, seed: u64) -> Script {
        let mut case = Case {
            generator: self,
            rng: Rng::new(seed),
            variables: Vec::new(),
            next_variable: 0,
        };
        case.script()
    }
}

struct Case<'a> {
    generator: &'a Generator,
    rng: Rng,
    /// Variables in scope and their types.
    variables: Vec<(String, String)>,
    next_variable: usize,
}

impl Case<'_> {
    fn script(&mut self) -> Script {
        // Most cases start from the whole world; some from less, to call things out of order.
        let level = match self.rng.below(10) {
            0 => 0,
            1 => 1,
            2 => 2,
            3 => 3,
            _ => PRELUDES.len() - 1,
        };
        let mut header = String::new();
        for prelude in &PRELUDES[..=level] {
            header.push_str(prelude.code);
            header.push('\n');
        }
        for (name, ty) in PRELUDE_VARIABLES {
            let defined = PRELUDES[..=level].iter().any(|p| p.defines.contains(name));
            if !defined {
                header.push_str(&format!("let {name} = ();\n"));
            }
            self.variables.push((name.to_string(), ty.to_string()));
        }
        header.push_str("fn rec(n) { rec(n + 1) }\n");
        header.push_str("fn spin(n) { let i = 0; while i < n { i += 1; } i }\n");
        let count = 4 + self.rng.below(36);
        let statements = (0..count).map(|_| self.statement()).collect();
        Script { header, statements }
    }

    fn statement(&mut self) -> String {
        let variable = format!("v{}", self.next_variable);
        self.next_variable += 1;
        let (call, returns) = self.call(0);
        let body = format!("{variable} = {call};");
        // Printing the error now and then shows its text the way the console does.
        let handler = if self.rng.chance(25) { "print(e);" } else { "" };
        let guarded = format!("try {{ {body} }} catch (e) {{ {handler} }}");
        let statement = match self.rng.below(20) {
            // Unguarded: the error reaches the report as a diagnostic.
            0 => body,
            1 => format!(
                "for i in 0..{} {{ {guarded} }}",
                self.rng.pick(&[3, 20, 100])
            ),
            _ => guarded,
        };
        if let Some(ty) = returns {
            self.variables.push((variable.clone(), ty));
        }
        format!("let {variable} = ();\n{statement}")
    }

    /// A call expression and the type it returns, when the catalog says.
    fn call(&mut self, depth: usize) -> (String, Option<String>) {
        let generator = self.generator;
        if self.rng.chance(8) && !generator.stdlib.is_empty() {
            let (name, arity) = self.rng.pick(&generator.stdlib).clone();
            let args: Vec<String> = (0..arity).map(|_| self.value(None, depth)).collect();
            return (format!("{name}({})", args.join(", ")), None);
        }
        if self.rng.chance(4) {
            return (
                format!(
                    "switch({}, {}, {})",
                    self.string(),
                    self.string(),
                    self.map(depth)
                ),
                Some("Switch".into()),
            );
        }
        let callable = self.rng.pick(&generator.callables);
        let args: Vec<String> = callable
            .params
            .iter()
            .enumerate()
            .map(|(i, ty)| {
                let position = i + usize::from(callable.on.is_some());
                match spec_of(&callable.name, position) {
                    Some((table, list)) if self.rng.chance(85) => {
                        if list {
                            let maps: Vec<String> = (0..1 + self.rng.below(3))
                                .map(|_| self.spec_map(table, depth))
                                .collect();
                            format!("[{}]", maps.join(", "))
                        } else {
                            self.spec_map(table, depth)
                        }
                    }
                    _ => self.value(ty.as_deref(), depth),
                }
            })
            .collect();
        let receiver = || callable.on.as_deref().unwrap_or("()");
        let text = match callable.kind {
            Kind::Function => format!("{}({})", callable.name, args.join(", ")),
            Kind::Method => {
                let object = self.object(receiver());
                format!("{object}.{}({})", callable.name, args.join(", "))
            }
            Kind::Property => format!("{}.{}", self.object(receiver()), callable.name),
            Kind::Indexer => format!(
                "{}[{}]",
                self.object(receiver()),
                args.first().cloned().unwrap_or_else(|| "0".into())
            ),
        };
        (text, callable.returns.clone())
    }

    /// A variable of type `ty`, now and then one of another type.
    fn object(&mut self, ty: &str) -> String {
        let matching: Vec<&String> = self
            .variables
            .iter()
            .filter(|(_, t)| t == ty)
            .map(|(name, _)| name)
            .collect();
        if !matching.is_empty() && self.rng.chance(90) {
            return self.rng.pick(&matching).to_string();
        }
        match TYPES.iter().find(|t| t.name == ty) {
            Some(sample) if self.rng.chance(70) => format!("({})", sample.sample),
            _ => self.rng.pick(&self.variables).0.clone(),
        }
    }

    /// A value for a parameter of type `ty` (`None`: untyped), hostile more often than not.
    fn value(&mut self, ty: Option<&str>, depth: usize) -> String {
        if self.rng.chance(12) {
            return self.any(depth);
        }
        match ty {
            Some("String" | "&str" | "ImmutableString") => self.string(),
            Some("i64" | "INT") => self.rng.pick(HOSTILE_INTS).to_string(),
            Some("f64" | "FLOAT") => self.rng.pick(HOSTILE_FLOATS).to_string(),
            Some("bool") => self.rng.pick(&["true", "false"]).to_string(),
            Some("Map") => self.map(depth),
            Some("Array" | "array") => self.array(depth),
            Some("FnPtr") => self.closure(depth),
            Some(custom) if TYPES.iter().any(|t| t.name == custom) => self.object(custom),
            _ => match self.rng.below(5) {
                0 => self.rng.pick(HOSTILE_SIZES).to_string(),
                1 => self.rng.pick(HOSTILE_INTS).to_string(),
                2 => self.rng.pick(HOSTILE_FLOATS).to_string(),
                3 => self.string(),
                _ => self.any(depth),
            },
        }
    }

    fn string(&mut self) -> String {
        match self.rng.below(10) {
            0..=3 if !self.generator.plausible.is_empty() => {
                format!("\"{}\"", self.rng.pick(&self.generator.plausible))
            }
            4 => self.rng.pick(HOSTILE_SIZES).to_string(),
            5 => {
                // A long string, built at run time so the script stays small.
                let length = *self.rng.pick(&[300, 70_000, 700_000, 2_000_000]);
                format!("{{ let s = \"\"; s.pad({length}, \"A\"); s }}")
            }
            _ => self.rng.pick(HOSTILE_STRINGS).to_string(),
        }
    }

    fn any(&mut self, depth: usize) -> String {
        match self.rng.below(6) {
            0 => self.map(depth),
            1 => self.array(depth),
            2 => self.closure(depth),
            _ => self.rng.pick(ANY_VALUES).to_string(),
        }
    }

    fn array(&mut self, depth: usize) -> String {
        if depth > 2 {
            return "[]".into();
        }
        if self.rng.chance(10) {
            return format!(
                "{{ let a = []; a.pad({}, 0); a }}",
                self.rng.pick(&[1000, 99_999])
            );
        }
        let items: Vec<String> = (0..self.rng.below(4))
            .map(|_| self.value(None, depth + 1))
            .collect();
        format!("[{}]", items.join(", "))
    }

    /// A map of made-up keys, or a deep one.
    fn map(&mut self, depth: usize) -> String {
        if self.rng.chance(10) {
            let levels = *self.rng.pick(&[10, 30]);
            return format!("{}1{}", "#{a: ".repeat(levels), "}".repeat(levels));
        }
        if depth > 2 {
            return "#{}".into();
        }
        let mut keys: Vec<&str> = (0..self.rng.below(4))
            .map(|_| *self.rng.pick(&["name", "size", "x", "memory", "net", "éé"]))
            .collect();
        keys.sort();
        keys.dedup();
        let entries: Vec<String> = keys
            .iter()
            .map(|key| format!("{key:?}: {}", self.value(None, depth + 1)))
            .collect();
        format!("#{{{}}}", entries.join(", "))
    }

    /// A keyword map of `table`: its keys with their documented values or hostile ones, now
    /// and then an unknown key.
    fn spec_map(&mut self, table: &'static SpecTable, depth: usize) -> String {
        let mut entries = Vec::new();
        for key in table.keys {
            if !self.rng.chance(70) {
                continue;
            }
            let value = match key.nested {
                Some(nested) if depth < 2 && self.rng.chance(70) => {
                    let inner = self.spec_map(nested, depth + 1);
                    if key.example.trim_start().starts_with('[') {
                        format!("[{inner}]")
                    } else {
                        inner
                    }
                }
                // A list of pairs of numbers (chart points): pairs of hostile numbers.
                _ if key.example.starts_with("[[") && self.rng.chance(50) => {
                    let pairs: Vec<String> = (0..1 + self.rng.below(4))
                        .map(|_| {
                            let x = self.rng.pick(HOSTILE_FLOATS);
                            let y = self.rng.pick(HOSTILE_FLOATS);
                            format!("[{x}, {y}]")
                        })
                        .collect();
                    format!("[{}]", pairs.join(", "))
                }
                _ if self.rng.chance(55) => key.example.to_string(),
                _ => self.value(None, depth + 1),
            };
            entries.push(format!("{}: {value}", key.name));
        }
        if self.rng.chance(10) {
            entries.push(format!("unknown_key: {}", self.value(None, depth + 1)));
        }
        format!("#{{{}}}", entries.join(", "))
    }

    fn closure(&mut self, depth: usize) -> String {
        match self.rng.below(6) {
            0 => "Fn(\"rec\")".into(),
            1 => "|| rec(0)".into(),
            // A closure that calls itself through a shared variable.
            2 => "{ let f = 0; f = |n| f.call(n + 1); f }".into(),
            3 => "|| spin(100000000)".into(),
            _ if depth < 2 => format!("|| {}", self.call(depth + 1).0),
            _ => "|| ()".into(),
        }
    }
}

/// The keyword map a call's argument takes, and whether it is a list of them.
fn spec_of(function: &str, position: usize) -> Option<(&'static SpecTable, bool)> {
    TAKES_SPEC
        .iter()
        .find(|t| t.function == function && t.arg == position)
        .map(|t| (t.table, t.list))
}

/// The parameter types of a catalog signature, `ping(host: Host, target: String) -> ..`.
fn parameter_types(signature: &str) -> Vec<Option<String>> {
    let Some(open) = signature.find('(') else {
        return Vec::new();
    };
    let close = signature.rfind(')').unwrap_or(signature.len());
    let inside = signature.get(open + 1..close).unwrap_or_default();
    if inside.trim().is_empty() {
        return Vec::new();
    }
    inside
        .split(',')
        .map(|param| {
            param.split_once(':').map(|(_, ty)| {
                ty.trim()
                    .trim_start_matches("&mut ")
                    .trim_start_matches('&')
                    .to_string()
            })
        })
        .collect()
}

/// `kvmlab/hosts` is imported as `hosts`.
fn short(module: &str) -> &str {
    module.rsplit('/').next().unwrap_or(module)
}

/// The double-quoted literals of an example, unescaped.
fn string_literals(code: &str) -> Vec<String> {
    let mut literals = Vec::new();
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut literal = String::new();
        let mut escaped = false;
        for c in chars.by_ref() {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => break,
                _ => {
                    escaped = false;
                    literal.push(c);
                }
            }
        }
        // Kept only when it needs no escape to be written back into a script.
        let plain = literal.chars().all(|c| c.is_ascii_graphic() || c == ' ');
        if plain && !literal.contains(['"', '\\']) && literal.len() < 200 {
            literals.push(literal);
        }
    }
    literals
}
