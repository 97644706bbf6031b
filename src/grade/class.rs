//! A graded class: the exercise, every student's grade sorted by name, and the summary the
//! table, the JSON export and the histogram show (pass rate per check, score distribution,
//! the costliest submissions). Only deterministic figures: no wall-clock time anywhere.

use kvmlab_runtime::grade::{CheckStatus, GradeStatus, SubmissionGrade};
use serde::Serialize;

/// How many submissions the summary names as the slowest.
const SLOWEST: usize = 3;
/// Bars of the score distribution.
pub const BINS: usize = 10;

#[derive(Debug, Clone, Serialize)]
pub struct Class {
    /// The exercise's folder name.
    pub exercise: String,
    pub title: String,
    pub max_score: f64,
    pub submissions: Vec<SubmissionGrade>,
    pub summary: Summary,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub students: usize,
    /// Students whose submission was graded (not rejected, stopped or failed internally).
    pub graded: usize,
    pub mean: f64,
    pub median: f64,
    pub checks: Vec<CheckSummary>,
    pub distribution: Vec<Bin>,
    pub slowest: Vec<Slow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckSummary {
    pub name: String,
    pub points: f64,
    pub passed: usize,
    pub partial: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Passed in full, over every student (a submission that was not graded did not pass).
    pub pass_rate: f64,
}

/// Students whose score is in `from..to` (the last bin includes `to`, full marks).
#[derive(Debug, Clone, Serialize)]
pub struct Bin {
    pub from: f64,
    pub to: f64,
    pub students: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Slow {
    pub student: String,
    /// The submission's deterministic cost: script operations plus native work.
    pub operations: u64,
}

impl Class {
    /// The class from its grades, sorted by student name (then path, for two submissions
    /// with one name), so the export never depends on the order the grades came in.
    pub fn new(
        exercise: String,
        title: String,
        max_score: f64,
        rubric: &[(String, f64)],
        mut submissions: Vec<SubmissionGrade>,
    ) -> Class {
        submissions.sort_by(|a, b| {
            (a.student.as_str(), a.submission.as_str())
                .cmp(&(b.student.as_str(), b.submission.as_str()))
        });
        let summary = Summary::of(max_score, rubric, &submissions);
        Class {
            exercise,
            title,
            max_score,
            submissions,
            summary,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a class serializes")
    }
}

impl Summary {
    fn of(max_score: f64, rubric: &[(String, f64)], submissions: &[SubmissionGrade]) -> Summary {
        let students = submissions.len();
        let checks = rubric
            .iter()
            .map(|(name, points)| {
                let count = |status: CheckStatus| {
                    submissions
                        .iter()
                        .filter(|s| {
                            s.checks
                                .iter()
                                .any(|c| &c.name == name && c.status == status)
                        })
                        .count()
                };
                let passed = count(CheckStatus::Passed);
                CheckSummary {
                    name: name.clone(),
                    points: *points,
                    passed,
                    partial: count(CheckStatus::Partial),
                    failed: count(CheckStatus::Failed),
                    skipped: count(CheckStatus::Skipped),
                    pass_rate: rate(passed, students),
                }
            })
            .collect();
        let mut scores: Vec<f64> = submissions.iter().map(|s| s.score).collect();
        scores.sort_by(f64::total_cmp);
        let mut slowest: Vec<&SubmissionGrade> = submissions.iter().collect();
        // Costliest first; a tie goes to the name, as everywhere.
        slowest.sort_by(|a, b| {
            b.operations
                .cmp(&a.operations)
                .then(a.student.cmp(&b.student))
        });
        Summary {
            students,
            graded: submissions
                .iter()
                .filter(|s| s.status == GradeStatus::Graded)
                .count(),
            mean: round2(scores.iter().sum::<f64>() / students.max(1) as f64),
            median: round2(median(&scores)),
            checks,
            distribution: distribution(max_score, &scores),
            slowest: slowest
                .into_iter()
                .filter(|s| s.operations > 0)
                .take(SLOWEST)
                .map(|s| Slow {
                    student: s.student.clone(),
                    operations: s.operations,
                })
                .collect(),
        }
    }
}

fn rate(count: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        round2(count as f64 / of as f64)
    }
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

fn median(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// `BINS` equal bins from 0 to the maximum score; full marks fall in the last.
fn distribution(max_score: f64, scores: &[f64]) -> Vec<Bin> {
    let width = if max_score > 0.0 {
        max_score / BINS as f64
    } else {
        1.0
    };
    (0..BINS)
        .map(|i| {
            let from = round2(width * i as f64);
            let to = round2(width * (i + 1) as f64);
            let last = i + 1 == BINS;
            let students = scores
                .iter()
                .filter(|&&s| s >= from && (s < to || (last && s <= to)))
                .count();
            Bin { from, to, students }
        })
        .collect()
}

/// A score or a number of points as people write it: `7`, `7.5`, `7.25`.
pub fn points(value: f64) -> String {
    let rounded = round2(value);
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        let text = format!("{rounded:.2}");
        text.trim_end_matches('0').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_written_without_trailing_zeros() {
        assert_eq!(points(7.0), "7");
        assert_eq!(points(7.5), "7.5");
        assert_eq!(points(7.25), "7.25");
        assert_eq!(points(1.0 / 3.0), "0.33");
    }

    #[test]
    fn full_marks_fall_in_the_last_bin_and_zero_in_the_first() {
        let bins = distribution(10.0, &[0.0, 0.5, 9.99, 10.0, 10.0, 5.0]);
        let counts: Vec<usize> = bins.iter().map(|b| b.students).collect();
        assert_eq!(counts, [2, 0, 0, 0, 0, 1, 0, 0, 0, 3]);
        assert_eq!((bins[9].from, bins[9].to), (9.0, 10.0));
    }

    #[test]
    fn the_median_of_an_even_class_is_the_middle_pair_s_mean() {
        assert_eq!(median(&[1.0, 2.0, 4.0, 8.0]), 3.0);
        assert_eq!(median(&[1.0, 2.0, 4.0]), 2.0);
        assert_eq!(median(&[]), 0.0);
    }
}
