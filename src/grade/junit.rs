//! JUnit XML for CI systems, written with quick-junit: a test suite per student, a test case
//! per rubric item (a failure with the feedback, partial credit as a failure that says so,
//! skipped for a skipped item); a submission that was not graded has one error case instead.
//! No times or timestamps: the same class gives the same bytes.

use super::class::{points, Class};
use super::table::status_word;
use kvmlab_runtime::grade::{CheckStatus, GradeStatus};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

pub fn render(class: &Class) -> String {
    let mut report = Report::new(format!("kvmlab grade {}", class.exercise));
    for grade in &class.submissions {
        let mut suite = TestSuite::new(grade.student.as_str());
        suite.add_property(Property::new("submission", grade.submission.as_str()));
        suite.add_property(Property::new("score", points(grade.score)));
        suite.add_property(Property::new("max_score", points(grade.max_score)));
        suite.add_property(Property::new("status", status_word(grade.status)));
        if grade.status != GradeStatus::Graded {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status
                .set_type(status_word(grade.status))
                .set_message(grade.reason.clone().unwrap_or_default());
            let mut case = TestCase::new("submission is graded", status);
            case.set_classname(grade.student.as_str());
            suite.add_test_case(case);
        }
        // A submission that was not graded ran no rubric item: its one case says why.
        let graded = grade.status == GradeStatus::Graded;
        for check in grade.checks.iter().filter(|_| graded) {
            let feedback = check.feedback.clone().unwrap_or_default();
            let status = match check.status {
                CheckStatus::Passed => TestCaseStatus::success(),
                CheckStatus::Skipped => {
                    let mut status = TestCaseStatus::skipped();
                    status.set_message(feedback);
                    status
                }
                CheckStatus::Failed | CheckStatus::Partial => {
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    status
                        .set_type(if check.status == CheckStatus::Partial {
                            "partial"
                        } else {
                            "failed"
                        })
                        .set_message(format!(
                            "{}/{} point(s): {feedback}",
                            points(check.score),
                            points(check.points)
                        ));
                    status
                }
            };
            let mut case = TestCase::new(check.name.as_str(), status);
            case.set_classname(grade.student.as_str());
            suite.add_test_case(case);
        }
        if !grade.output.is_empty() {
            suite.set_system_out(grade.output.join("\n"));
        }
        if !grade.diagnostics.is_empty() {
            suite.set_system_err(grade.diagnostics.join("\n"));
        }
        report.add_test_suite(suite);
    }
    report.to_string().expect("a JUnit report serializes")
}
