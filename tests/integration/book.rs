//! Every ```rhai block in the book runs and passes, and every ```rhai,checks block (a
//! rubric, for the instructors' chapter) declares its items in the grader's checks engine,
//! so the manual never rots.

use crate::harness::repo_root;
use kvmlab_runtime::run::{run_source, RunOptions};
use kvmlab_runtime::script::diagnose;
use kvmlab_runtime::script::engine::{self, Limits};
use kvmlab_runtime::script::modules::{LabModules, Sources};
use kvmlab_runtime::script::rubric::Rubric;
use std::path::PathBuf;

/// The book's Markdown pages, by name.
fn pages() -> Vec<PathBuf> {
    let src = repo_root().join("book/src");
    let mut pages: Vec<_> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    pages
}

#[test]
fn every_book_example_runs() {
    let mut examples = 0;
    // The reference's examples run after their preludes, in `reference.rs`.
    for page in pages().into_iter().filter(|p| !p.ends_with("reference.md")) {
        let text = std::fs::read_to_string(&page).unwrap();
        for (number, (line, block)) in blocks(&text, "rhai").into_iter().enumerate() {
            let name = format!(
                "{}#{}",
                page.file_name().unwrap().to_string_lossy(),
                number + 1
            );
            let out_dir = tempfile::tempdir().unwrap();
            let options = RunOptions {
                out_dir: out_dir.path().to_path_buf(),
                ..RunOptions::default()
            };
            let lab = run_source(&name, &block, &options);
            let report = &lab.report;
            assert!(
                report.exit_code() == 0,
                "{name} (line {line}) fails: {:#?}",
                report.diagnostics
            );
            examples += 1;
        }
    }
    assert!(examples >= 3, "the book has only {examples} examples");
}

#[test]
fn every_rubric_in_the_book_declares_its_items() {
    let mut rubrics = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for (line, block) in blocks(&text, "rhai,checks") {
            let name = format!("{}:{line}", page.file_name().unwrap().to_string_lossy());
            let session = kvmlab_runtime::run::lab_session(0, &name, PathBuf::new());
            let modules = LabModules::new(None, PathBuf::new(), Sources::default());
            let rubric = Rubric::default();
            let engine = engine::build_checks(&session, &Limits::default(), modules, &rubric);
            if let Err(e) = engine.run(&block) {
                let error = diagnose::classify(&e, &engine).into_error();
                panic!("{name}: the rubric does not run in the checks engine: {error}");
            }
            let items = rubric.take();
            assert!(!items.is_empty(), "{name} declares no rubric item");
            rubrics += 1;
        }
    }
    assert!(rubrics >= 2, "the book shows only {rubrics} rubrics");
}

/// The blocks of a Markdown page fenced as ```INFO, with the line each starts on.
fn blocks(text: &str, info: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (number, line) in text.lines().enumerate() {
        let fence = line.trim_start().starts_with("```");
        match current.take() {
            Some(block) if fence => blocks.push(block),
            Some((start, mut body)) => {
                body.push_str(line);
                body.push('\n');
                current = Some((start, body));
            }
            None if fence && line.trim().strip_prefix("```") == Some(info) => {
                current = Some((number + 1, String::new()))
            }
            None => {}
        }
    }
    blocks
}

/// ARCHITECTURE.md's code map names every module of the CLI and of the runtime.
#[test]
fn the_architecture_names_every_module() {
    let map = std::fs::read_to_string(repo_root().join("ARCHITECTURE.md")).unwrap();
    let mut unnamed = Vec::new();
    for (dir, skip) in [("src", "main.rs"), ("runtime/src", "lib.rs")] {
        for entry in std::fs::read_dir(repo_root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let mut name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name == skip {
                continue;
            }
            if path.is_dir() {
                name.push('/');
            }
            if !map.contains(&format!("`{name}")) && !map.contains(&format!("{dir}/{name}")) {
                unnamed.push(format!("{dir}/{name}"));
            }
        }
    }
    unnamed.sort();
    assert!(
        unnamed.is_empty(),
        "ARCHITECTURE.md does not name {unnamed:?}"
    );
}
