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
        (
            item.signatures.clone(),
            item.arities.clone(),
            item.doc.as_str(),
        )
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
        (
            item.signatures.clone(),
            item.arities.clone(),
            item.doc.as_str(),
        )
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
    let sentence = doc.find(". ").map_or(doc, |end| &doc[..=end]).trim();
    if sentence.chars().count() <= DOC_CHARS {
        return sentence.to_string();
    }
    let cut: String = sentence.chars().take(DOC_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::super::complete::tests::{catalog, scope};
    use super::*;

    fn hinted(line: &str) -> Option<String> {
        hint(line, line.len(), catalog(), &scope())
    }

    #[test]
    fn a_method_call_shows_the_object_types_signature() {
        assert_eq!(
            hinted("sv1.ping(").as_deref(),
            Some(
                "ping(host: Host, target: String) -> PingResult  — Pings a name or address; \
                 the result tells whether it answered, and why not."
            )
        );
        // The same name on a query's view is another method.
        assert_eq!(
            hinted(r#"lab().host("sv1").ping("#).as_deref(),
            Some(
                "ping(host: HostView, target: String) -> bool  — Whether a name or address \
                 answers a ping from this host."
            )
        );
    }

    #[test]
    fn a_function_call_shows_its_signature_while_arguments_are_typed() {
        let host = "host(name: String, spec: Map) -> Host  — A physical server: its hardware \
                    as in the report's Table 1.";
        assert_eq!(hinted("host(").as_deref(), Some(host));
        assert_eq!(hinted(r#"host("sv1", #{cores: 4, "#).as_deref(), Some(host));
        assert_eq!(hinted(r#"let h = host("sv1", #{}); h"#), None);
    }

    #[test]
    fn the_overload_that_takes_the_arguments_written_is_shown() {
        assert_eq!(
            hinted("vm.migrate(sv1, ").as_deref(),
            Some(
                "migrate(guest: Guest, destination: Host, options: Map) -> MigrationResult  — \
                 Live-migrates the guest to another host (virt-manager's Migrate, virsh \
                 migrate --live)."
            )
        );
    }

    #[test]
    fn a_long_doc_is_cut_to_one_line() {
        let shown = hinted("lab().host(").unwrap();
        assert!(
            shown.starts_with("host(lab: Lab, name: String) -> HostView  — The host of that name")
        );
        assert!(shown.ends_with('…'));
        assert_eq!(first_sentence(&"x".repeat(200)).chars().count(), DOC_CHARS);
    }

    #[test]
    fn stdlib_functions_show_their_parameters() {
        let shown = hinted("hosts::build(").unwrap();
        assert!(shown.starts_with("hosts::build("), "{shown}");
    }

    #[test]
    fn no_hint_outside_a_known_call() {
        assert_eq!(hinted(""), None);
        assert_eq!(hinted("(1 + "), None);
        assert_eq!(hinted("nosuch("), None);
        assert_eq!(hinted("// host("), None);
        // A cursor inside a character is moved back onto the line.
        assert!(hint("host(é", 6, catalog(), &scope())
            .is_some_and(|h| h.starts_with("host(name: String")));
    }
}
