use super::corpus::*;

#[test]
fn probe() {
    let ex = exercise("migration-downtime");
    for f in ["solution.rhai", "starter.rhai"] {
        let g = grade_shipped(&ex, f);
        println!("{}", serde_json::to_string_pretty(&g).unwrap());
    }
}
