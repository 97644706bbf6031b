//! The hint shown while a call is being typed: the signature of the function or method whose
//! parentheses hold the cursor, and the first sentence of its doc.

use super::complete::{callee, char_boundary, receiver_type, scan, top_level_parts, Open};
use kvmlab_runtime::script::catalog::{Catalog, Kind};

/// The longest one-line doc a hint shows; the rest is `:help`'s.
const DOC_CHARS: usize = 90;

/// `host(name: String, spec: Map) -> Host  — A physical server: …` when the cursor (a byte
/// of `line`) is inside the parentheses of a call the catalog knows. `scope` (variable, Rhai
/// type) picks the method of the object's type (`sv1.ping(` with `sv1` a `Host`).
pub fn hint(
    line: &str,
    cursor: usize,
    catalog: &Catalog,
    scope: &[(String, String)],
) -> Option<String> {
    let before = &line[..char_boundary(line, cursor)];
    let scan = scan(before);
    if scan.comment {
        return None;
    }
    let (paren, _) = *scan.open.iter().rev().find(|(_, k)| *k == Open::Paren)?;
    let (name, start) = callee(before, paren)?;
    let head = &before[..start];
    // The arguments written so far, the object counting as the first for a method.
    let mut args = top_level_parts(&before[paren + 1..]).len();
    let (signatures, arities, doc) = if let Some(object) = head.strip_suffix('.') {
        args += 1;
        let on = receiver_type(object, catalog, scope);
        let item = catalog
            .items
            .iter()
            .filter(|i| i.kind == Kind::Method && i.name == name)
            .find(|i| on.is_none() || i.on == on)?;
        (item.signatures.clone(), item.arities.clone(), item.doc.as_str())
    } else if let Some(module) = head.strip_suffix("::") {
        let module = &module[super::complete::word_start(module)..];
        let f = catalog.stdlib_fn(module, name)?;
        let signature = format!("{module}::{name}({})", f.params.join(", "));
        (vec![signature], vec![f.params.len()], f.doc.as_str())
    } else {
        let item = catalog
            .items
            .iter()
            .find(|i| i.kind == Kind::Function && i.name == name)?;
        (item.signatures.clone(), item.arities.clone(), item.doc.as_str())
    };
    // The overload with the fewest parameters that still takes every argument written.
    let chosen = (0..signatures.len())
        .filter(|&i| arities[i] >= args)
        .min_by_key(|&i| arities[i])
        .unwrap_or(signatures.len() - 1);
    let doc = first_sentence(doc);
    Some(if doc.is_empty() {
        signatures[chosen].clone()
    } else {
        format!("{}  — {doc}", signatures[chosen])
    })
}

/// The doc's first sentence, cut to [`DOC_CHARS`] characters.
fn first_sentence(doc: &str) -> String {
    let sentence = doc
        .find(". ")
        .map_or(doc, |end| &doc[..=end])
        .trim();
    if sentence.chars().count() <= DOC_CHARS {
        return sentence.to_string();
    }
    let cut: String = sentence.chars().take(DOC_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}
