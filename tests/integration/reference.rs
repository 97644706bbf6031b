//! The script reference (`kvmlab doc`, the book's page "Reference") comes from the engine:
//! every registered item has a doc and an example, every example runs, and the book's page is
//! the command's output.

use crate::harness::{kvmlab, repo_root};
use kvmlab_runtime::report::Entry;
use kvmlab_runtime::run::{self, run_source, RunOptions};
use kvmlab_runtime::script::catalog::{self, REGENERATE};
use kvmlab_runtime::script::examples::{self, with_prelude, ENTRIES};

#[test]
fn every_registered_item_has_a_doc_and_an_example() {
    let catalog = run::catalog();
    let missing: Vec<String> = catalog
        .items
        .iter()
        .filter(|i| i.doc.trim().is_empty() || i.example.trim().is_empty())
        .map(|i| i.key())
        .collect();
    assert!(missing.is_empty(), "items without a doc or an example (add them to script/examples.rs or the registration's comment): {missing:?}");
    assert!(
        catalog.items.len() > 150,
        "only {} items",
        catalog.items.len()
    );
    for module in &catalog.stdlib {
        assert!(
            !module.doc.is_empty(),
            "stdlib module {} has no //! doc",
            module.name
        );
        for f in &module.functions {
            assert!(
                !f.doc.is_empty() && !f.example.is_empty(),
                "{}::{} needs a /// doc and an `Example:`",
                module.name,
                f.name
            );
        }
    }
    for table in catalog::spec_tables() {
        for key in table.keys {
            assert!(
                !key.doc.is_empty(),
                "`{}` of {} has no doc",
                key.name,
                table.what
            );
        }
    }
}

#[test]
fn every_example_entry_names_a_registered_item_and_carries_one_doc() {
    let catalog = run::catalog();
    for entry in ENTRIES {
        let items: Vec<_> = catalog
            .items
            .iter()
            .filter(|i| i.key() == entry.item)
            .collect();
        assert_eq!(
            items.len(),
            1,
            "`{}` in examples.rs is no registered item",
            entry.item
        );
        let doc_in_registration = !items[0].doc.is_empty() && items[0].doc != entry.doc;
        assert!(
            entry.doc.is_empty() || !doc_in_registration,
            "`{}` has a doc both in its registration and in examples.rs",
            entry.item
        );
    }
    for takes in catalog::TAKES_SPEC {
        assert!(
            !catalog.find(takes.function).is_empty(),
            "`{}` takes a {} but is not registered",
            takes.function,
            takes.table.what
        );
    }
}

/// Runs `examples` (name, code) on both cores; returns the failures.
fn run_all(examples: Vec<(String, String)>) -> Vec<String> {
    let (left, right) = examples.split_at(examples.len() / 2);
    let run_part = |part: &[(String, String)]| -> Vec<String> {
        part.iter()
            .filter_map(|(name, code)| {
                let out_dir = tempfile::tempdir().unwrap();
                let options = RunOptions {
                    out_dir: out_dir.path().to_path_buf(),
                    ..RunOptions::default()
                };
                let lab = run_source(name, &with_prelude(code), &options);
                let report = &lab.report;
                (report.exit_code() != 0).then(|| {
                    let errors: Vec<String> = report
                        .diagnostics
                        .iter()
                        .map(|d| format!("{}: {}", d.code, d.message))
                        .chain(
                            report
                                .steps
                                .iter()
                                .flat_map(|s| s.entries.iter())
                                .filter_map(|e| match e {
                                    Entry::Check(c) if !c.passed => {
                                        Some(format!("check failed: {}: {}", c.name, c.message))
                                    }
                                    _ => None,
                                }),
                        )
                        .collect();
                    format!("{name}: {errors:?}")
                })
            })
            .collect()
    };
    std::thread::scope(|scope| {
        let other = scope.spawn(|| run_part(right));
        let mut failures = run_part(left);
        failures.extend(other.join().unwrap());
        failures
    })
}

#[test]
fn every_example_runs_and_passes() {
    let catalog = run::catalog();
    let mut all: Vec<(String, String)> = catalog
        .items
        .iter()
        .map(|i| (i.key(), i.example.clone()))
        .collect();
    for syntax in catalog::SYNTAX {
        all.push((syntax.keyword.to_string(), syntax.example.to_string()));
    }
    for module in &catalog.stdlib {
        for f in &module.functions {
            all.push((format!("{}::{}", module.name, f.name), f.example.clone()));
        }
    }
    let failures = run_all(all);
    assert!(
        failures.is_empty(),
        "examples that fail:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_key_example_is_an_expression() {
    let engine = rhai::Engine::new();
    for table in catalog::spec_tables() {
        for key in table.keys {
            assert!(
                engine.compile_expression(key.example).is_ok(),
                "the example of `{}` in {} is no Rhai expression: {}",
                key.name,
                table.what,
                key.example
            );
        }
    }
}

#[test]
fn examples_take_only_the_preludes_they_need() {
    assert_eq!(
        with_prelude("print(1);"),
        format!("{}\nprint(1);", examples::PRELUDES[0].code)
    );
    let hosts = with_prelude("print(sv1);");
    assert!(
        hosts.contains("hosts::build()") && !hosts.contains("storage::build"),
        "{hosts}"
    );
    let own = with_prelude("let lab = hosts::build();");
    assert!(!own.contains("let sv1"), "{own}");
    assert!(with_prelude("print(vm);").contains("storage::build(lab)"));
}

#[test]
fn the_book_reference_page_is_kvmlab_doc() {
    let out = kvmlab().arg("doc").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let generated = String::from_utf8(out.stdout).unwrap();
    let page =
        std::fs::read_to_string(repo_root().join("book/src/reference.md")).unwrap_or_default();
    assert!(
        page == generated,
        "book/src/reference.md is not `kvmlab doc`'s output; regenerate it: {REGENERATE}"
    );
    let summary = std::fs::read_to_string(repo_root().join("book/src/SUMMARY.md")).unwrap();
    assert!(
        summary.contains("(reference.md)"),
        "SUMMARY.md lacks the reference page"
    );
}

#[test]
fn doc_prints_one_item_and_suggests_for_a_typo() {
    let out = kvmlab().args(["doc", "define_pool"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("#### `Host.define_pool`"), "{text}");
    assert!(text.contains("[pool spec](#pool-spec)"), "{text}");
    let out = kvmlab().args(["doc", "pool spec"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("| `target` | The folder the pool's volumes are in. | `\"/iscsi1\"` |"),
        "{text}"
    );
    let out = kvmlab().args(["doc", "hosts::build"]).output().unwrap();
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("#### `hosts::build()`"));
    let out = kvmlab().args(["doc", "defne_pool"]).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("did you mean `define_pool`?"), "{err}");
}

#[test]
fn every_example_checks_clean() {
    // `kvmlab check` must not flag what runs: the examples are a corpus of correct code.
    let catalog = run::catalog();
    let dir = tempfile::tempdir().unwrap();
    let mut flagged = Vec::new();
    for item in &catalog.items {
        let path = dir
            .path()
            .join(format!("{}.rhai", item.key().replace(['.', '[', ']'], "_")));
        std::fs::write(&path, with_prelude(&item.example)).unwrap();
        let findings = run::check_file(&path, &catalog);
        if !findings.is_empty() {
            let messages: Vec<String> = findings
                .iter()
                .map(|d| format!("{}: {}", d.code, d.message))
                .collect();
            flagged.push(format!("{}: {messages:?}", item.key()));
        }
    }
    assert!(
        flagged.is_empty(),
        "examples kvmlab check flags:\n{}",
        flagged.join("\n")
    );
}
