//! The gradebook as CSV, written with the csv crate: one row per student, one column per
//! rubric item (its score), then the total, the maximum, the status and the reason a
//! submission was not graded. Columns follow the rubric's order; a student without a grade
//! for an item (not graded) has 0 there.

use super::class::{points, Class};
use super::table::status_word;

pub fn render(class: &Class, rubric: &[(String, f64)]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["student".to_string()];
    header.extend(rubric.iter().map(|(name, _)| name.clone()));
    header.extend(["total", "max_score", "status", "reason"].map(String::from));
    writer.write_record(&header).expect("write to memory");
    for grade in &class.submissions {
        let mut row = vec![grade.student.clone()];
        for (name, _) in rubric {
            let score = grade
                .checks
                .iter()
                .find(|c| &c.name == name)
                .map_or(0.0, |c| c.score);
            row.push(points(score));
        }
        row.push(points(grade.score));
        row.push(points(grade.max_score));
        row.push(status_word(grade.status).to_string());
        row.push(grade.reason.clone().unwrap_or_default());
        writer.write_record(&row).expect("write to memory");
    }
    let bytes = writer.into_inner().expect("flush to memory");
    String::from_utf8(bytes).expect("CSV of strings is UTF-8")
}
