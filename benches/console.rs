//! Speed goals of the console, measured (figures go into the book's "Performance" chapter):
//! - `catalog_build`: reading the script API's catalog out of a fresh engine, paid once at
//!   the console's start.
//! - `complete_members`: `sv1.<TAB>`, a host's methods and properties; goal under 5 ms.
//! - `complete_global`: `ho<TAB>` with the whole report's lab in scope; goal under 5 ms.
//! - `complete_spec_keys`: the keys of `host("sv1", #{cores: 4, <TAB>`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use kvmlab_runtime::run::catalog;

// The completer is the binary's; it is a pure function of the catalog, read here as it is.
#[path = "../src/repl/complete.rs"]
#[allow(dead_code)]
mod complete;

/// The variables the report's whole lab leaves in a session: hosts, NAS, networks, guests,
/// pools, volumes, migrations, downloads and plain values.
fn report_scope() -> Vec<(String, String)> {
    let mut scope = Vec::new();
    for (prefix, ty, count) in [
        ("sv", "Host", 2),
        ("nas", "Nas", 1),
        ("net", "Switch", 3),
        ("vm", "Guest", 6),
        ("pool", "Pool", 2),
        ("vol", "Volume", 6),
        ("migration", "MigrationResult", 40),
        ("download", "Download", 2),
        ("size", "i64", 20),
        ("hostname", "string", 10),
    ] {
        for n in 1..=count {
            scope.push((format!("{prefix}{n}"), ty.to_string()));
        }
    }
    scope
}

fn console(c: &mut Criterion) {
    c.bench_function("catalog_build", |b| b.iter(catalog));
    let catalog = catalog();
    let scope = report_scope();
    let cases = [
        ("complete_members", "sv1."),
        ("complete_global", "ho"),
        ("complete_spec_keys", r#"host("sv1", #{cores: 4, "#),
    ];
    for (name, line) in cases {
        c.bench_function(name, |b| {
            b.iter(|| complete::complete(black_box(line), line.len(), &catalog, &scope))
        });
    }
}

criterion_group!(benches, console);
criterion_main!(benches);
