//! Keyword-style arguments: `host("sv1", #{cores: 4, memory: "16G"})`.
//!
//! A [`Spec`] reads a Rhai map key by key, so every mistake names the key, what was expected
//! and what was found, and an unknown key gets a "did you mean" from the keys that exist.

use crate::error::{Error, Result};
use crate::units;
use rhai::{Dynamic, Map};
use std::collections::BTreeSet;

/// One key of a keyword map: what it means and a value a lab can write for it.
pub struct Key {
    pub name: &'static str,
    pub doc: &'static str,
    /// A Rhai expression, the same one the binding's messages show (`"16G"`, `4`).
    pub example: &'static str,
    /// The table of the maps this key holds (`disks: [#{name, size}]`), if it holds maps.
    pub nested: Option<&'static SpecTable>,
}

impl Key {
    pub const fn new(name: &'static str, doc: &'static str, example: &'static str) -> Key {
        Key {
            name,
            doc,
            example,
            nested: None,
        }
    }

    /// A key whose value is a map, or a list of maps, read with `table`.
    pub const fn holding(self, table: &'static SpecTable) -> Key {
        Key {
            nested: Some(table),
            ..self
        }
    }
}

/// Every key one keyword map accepts: the one list the binding reads and the reference shows.
pub struct SpecTable {
    /// How messages name the map: "host spec".
    pub what: &'static str,
    pub keys: &'static [Key],
}

impl SpecTable {
    pub fn key(&self, name: &str) -> Option<&'static Key> {
        self.keys.iter().find(|k| k.name == name)
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        self.keys.iter().map(|k| k.name)
    }

    /// The error for a key this map does not take, with the nearest key that exists.
    pub fn unknown_key(&self, key: &str) -> Error {
        let help = match crate::suggest::closest(key, self.names()) {
            Some(near) => format!("did you mean `{near}`?"),
            None => format!(
                "{} takes: {}",
                self.what,
                self.names().collect::<Vec<_>>().join(", ")
            ),
        };
        Error::UnknownKey {
            key: key.to_string(),
            what: self.what.to_string(),
            help,
        }
    }
}

pub struct Spec {
    map: Map,
    table: &'static SpecTable,
}

impl Spec {
    /// Checks `map` against the keys of `table`.
    pub fn new(table: &'static SpecTable, map: Map) -> Result<Spec> {
        let spec = Spec { map, table };
        let unknown: BTreeSet<&str> = spec
            .map
            .keys()
            .map(|k| k.as_str())
            .filter(|k| table.key(k).is_none())
            .collect();
        if let Some(key) = unknown.into_iter().next() {
            return Err(table.unknown_key(key));
        }
        Ok(spec)
    }

    fn get(&self, key: &str) -> Option<&Dynamic> {
        debug_assert!(self.table.key(key).is_some(), "{key} is not a known key");
        self.map.get(key).filter(|v| !v.is_unit())
    }

    /// The example a binding passes is the table's, so the reference and the help agree;
    /// every read checks it (in debug builds, which the tests run).
    fn same_example(&self, key: &str, example: &str) {
        debug_assert_eq!(
            self.table.key(key).map(|k| k.example),
            Some(example),
            "the example of `{key}` in {} differs from its table",
            self.table.what
        );
    }

    fn missing(&self, key: &str, example: &str) -> Error {
        Error::MissingKey {
            key: key.to_string(),
            what: self.table.what.to_string(),
            help: format!("add it, e.g. `#{{{key}: {example}}}`"),
        }
    }

    fn wrong(&self, key: &str, expected: &str, found: &Dynamic, example: &str) -> Error {
        Error::WrongType {
            key: key.to_string(),
            what: self.table.what.to_string(),
            expected: expected.to_string(),
            found: describe(found),
            help: format!("write it like `{key}: {example}`"),
        }
    }

    /// A value that breaks a rule other than its type.
    pub fn bad(&self, key: &str, reason: impl Into<String>, help: impl Into<String>) -> Error {
        Error::BadValue {
            key: key.to_string(),
            what: self.table.what.to_string(),
            reason: reason.into(),
            help: help.into(),
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn opt_string(&self, key: &str, example: &str) -> Result<Option<String>> {
        self.same_example(key, example);
        match self.get(key) {
            None => Ok(None),
            Some(v) if v.is_string() => Ok(Some(v.to_string())),
            Some(v) => Err(self.wrong(key, "a string", v, example)),
        }
    }

    pub fn string(&self, key: &str, example: &str) -> Result<String> {
        self.opt_string(key, example)?
            .ok_or_else(|| self.missing(key, example))
    }

    pub fn opt_int(&self, key: &str, example: &str) -> Result<Option<i64>> {
        self.same_example(key, example);
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_int()
                .map(Some)
                .map_err(|_| self.wrong(key, "an integer", v, example)),
        }
    }

    pub fn int(&self, key: &str, example: &str) -> Result<i64> {
        self.opt_int(key, example)?
            .ok_or_else(|| self.missing(key, example))
    }

    pub fn opt_float(&self, key: &str, example: &str) -> Result<Option<f64>> {
        self.same_example(key, example);
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.as_float().or_else(|_| v.as_int().map(|i| i as f64)) {
                Ok(x) => super::finite(x, key, self.table.what).map(Some),
                Err(_) => Err(self.wrong(key, "a number", v, example)),
            },
        }
    }

    pub fn float(&self, key: &str, example: &str) -> Result<f64> {
        self.opt_float(key, example)?
            .ok_or_else(|| self.missing(key, example))
    }

    pub fn opt_bool(&self, key: &str, example: &str) -> Result<Option<bool>> {
        self.same_example(key, example);
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_bool()
                .map(Some)
                .map_err(|_| self.wrong(key, "true or false", v, example)),
        }
    }

    /// A size: integer bytes or a string such as "16G".
    pub fn opt_size(&self, key: &str, example: &str) -> Result<Option<u64>> {
        self.same_example(key, example);
        match self.get(key) {
            None => Ok(None),
            Some(v) if v.is_string() => units::parse_size(&v.to_string()).map(Some),
            Some(v) => match v.as_int() {
                Ok(n) if n >= 0 => Ok(Some(n as u64)),
                Ok(n) => Err(self.bad(
                    key,
                    format!("{n} is negative"),
                    "sizes are zero or more bytes",
                )),
                Err(_) => Err(self.wrong(key, "a size", v, example)),
            },
        }
    }

    pub fn size(&self, key: &str, example: &str) -> Result<u64> {
        self.opt_size(key, example)?
            .ok_or_else(|| self.missing(key, example))
    }

    /// A rate: bytes per second as a number, or a string such as "100Mbit/s".
    pub fn opt_rate(&self, key: &str, example: &str) -> Result<Option<f64>> {
        self.same_example(key, example);
        match self.get(key) {
            None => Ok(None),
            Some(v) if v.is_string() => units::parse_rate(&v.to_string()).map(Some),
            Some(v) => match v.as_float().or_else(|_| v.as_int().map(|i| i as f64)) {
                Ok(r) if !r.is_finite() => super::finite(r, key, self.table.what).map(Some),
                Ok(r) if r > 0.0 => Ok(Some(r)),
                Ok(r) => Err(self.bad(
                    key,
                    format!("{r} is not a positive rate"),
                    "rates are positive",
                )),
                Err(_) => Err(self.wrong(key, "a rate", v, example)),
            },
        }
    }

    /// A list of strings (a single string counts as a list of one).
    pub fn opt_strings(&self, key: &str, example: &str) -> Result<Option<Vec<String>>> {
        self.same_example(key, example);
        match self.get(key) {
            None => Ok(None),
            Some(v) if v.is_string() => Ok(Some(vec![v.to_string()])),
            Some(v) => {
                let items = v
                    .read_lock::<rhai::Array>()
                    .ok_or_else(|| self.wrong(key, "a list of strings", v, example))?;
                items
                    .iter()
                    .map(|item| {
                        if item.is_string() {
                            Ok(item.to_string())
                        } else {
                            Err(self.wrong(key, "a list of strings", item, example))
                        }
                    })
                    .collect::<Result<Vec<_>>>()
                    .map(Some)
            }
        }
    }

    /// A list of maps, for keys such as `nics: [#{name: "eth0"}, #{name: "eth1"}]`.
    pub fn opt_maps(&self, key: &str, example: &str) -> Result<Option<Vec<Map>>> {
        self.same_example(key, example);
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        value
            .read_lock::<rhai::Array>()
            .and_then(|items| {
                items
                    .iter()
                    .map(|item| item.read_lock::<Map>().map(|m| m.clone()))
                    .collect::<Option<Vec<_>>>()
            })
            .map(Some)
            .ok_or_else(|| {
                self.bad(
                    key,
                    "it must be a list of maps",
                    format!("write it like `{key}: {example}`"),
                )
            })
    }

    pub fn maps(&self, key: &str, example: &str) -> Result<Vec<Map>> {
        self.opt_maps(key, example)?
            .ok_or_else(|| self.missing(key, example))
    }

    /// A nested map, for keys such as `network: #{bridge: "br0"}`.
    pub fn opt_map(&self, key: &str, example: &str) -> Result<Option<Map>> {
        self.same_example(key, example);
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .read_lock::<Map>()
                .map(|m| Some(m.clone()))
                .ok_or_else(|| self.wrong(key, "a map", v, example)),
        }
    }

    /// The raw value, for keys that take objects (a volume, a switch).
    pub fn opt_value(&self, key: &str) -> Option<Dynamic> {
        self.get(key).cloned()
    }
}

/// A value as a trainee would recognize it: its type and, for short values, the value.
pub fn describe(value: &Dynamic) -> String {
    let text = value.to_string();
    let type_name = match value.type_name() {
        "i64" => "integer",
        "f64" => "number",
        "ImmutableString" | "string" => "string",
        other => other,
    };
    if text.chars().count() <= 24 && (value.is_int() || value.is_float() || value.is_bool()) {
        format!("{type_name} {text}")
    } else if value.is_string() && text.chars().count() <= 24 {
        format!("string \"{text}\"")
    } else {
        type_name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: SpecTable = SpecTable {
        what: "host spec",
        keys: &[
            Key::new("cores", "CPU cores", "4"),
            Key::new("memory", "RAM", "\"16G\""),
            Key::new("cpu", "CPU model", "\"AMD Phenom II\""),
            Key::new("nics", "network cards", "[#{name: \"eth0\"}]"),
        ],
    };

    fn spec(pairs: &[(&str, Dynamic)]) -> Result<Spec> {
        let map: Map = pairs
            .iter()
            .map(|(k, v)| ((*k).into(), v.clone()))
            .collect();
        Spec::new(&HOST, map)
    }

    #[test]
    fn unknown_keys_suggest_the_near_one() {
        let err = spec(&[("coers", Dynamic::from(4_i64))]).err().unwrap();
        assert_eq!(err.code_str(), "kvmlab::spec::unknown_key");
        assert_eq!(err.to_string(), "unknown key `coers` in host spec");
        assert_eq!(err.help_str().unwrap(), "did you mean `cores`?");
        let err = spec(&[("zzz", Dynamic::UNIT)]).err().unwrap();
        assert_eq!(
            err.help_str().unwrap(),
            "host spec takes: cores, memory, cpu, nics"
        );
    }

    #[test]
    #[should_panic(expected = "the example of `cores` in host spec differs from its table")]
    fn an_example_that_drifted_from_its_table_is_caught() {
        let s = spec(&[("cores", Dynamic::from(4_i64))]).unwrap();
        let _ = s.int("cores", "8");
    }

    #[test]
    fn values_are_read_with_their_types() {
        let s = spec(&[
            ("cores", Dynamic::from(4_i64)),
            ("memory", Dynamic::from("16G")),
            (
                "nics",
                Dynamic::from(vec![Dynamic::from("eth0"), Dynamic::from("eth1")]),
            ),
        ])
        .unwrap();
        assert_eq!(s.int("cores", "4").unwrap(), 4);
        assert_eq!(s.size("memory", "\"16G\"").unwrap(), 16 << 30);
        assert_eq!(
            s.opt_strings("nics", "[#{name: \"eth0\"}]")
                .unwrap()
                .unwrap(),
            ["eth0", "eth1"]
        );
        assert_eq!(s.opt_string("cpu", "\"AMD Phenom II\"").unwrap(), None);
    }

    #[test]
    fn wrong_and_missing_values_name_the_key() {
        let s = spec(&[("cores", Dynamic::from("four"))]).unwrap();
        let err = s.int("cores", "4").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`cores` in host spec must be an integer, found string \"four\""
        );
        assert_eq!(err.help_str().unwrap(), "write it like `cores: 4`");
        let err = s.string("cpu", "\"AMD Phenom II\"").unwrap_err();
        assert_eq!(err.code_str(), "kvmlab::spec::missing_key");
        assert_eq!(
            err.help_str().unwrap(),
            "add it, e.g. `#{cpu: \"AMD Phenom II\"}`"
        );
    }
}
