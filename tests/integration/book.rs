//! Every ```rhai block in the book runs and passes, so the manual never rots.

use crate::harness::repo_root;
use kvmlab_runtime::run::{run_source, RunOptions};

#[test]
fn every_book_example_runs() {
    let src = repo_root().join("book/src");
    let mut pages: Vec<_> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        // The reference's examples run after their preludes, in `reference.rs`.
        .filter(|p| !p.ends_with("reference.md"))
        .collect();
    pages.sort();
    let mut examples = 0;
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        for (number, (line, block)) in rhai_blocks(&text).into_iter().enumerate() {
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

/// The ```rhai blocks of a Markdown page, with the line each starts on.
fn rhai_blocks(text: &str) -> Vec<(usize, String)> {
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
            None if fence && line.trim() == "```rhai" => {
                current = Some((number + 1, String::new()))
            }
            None => {}
        }
    }
    blocks
}
