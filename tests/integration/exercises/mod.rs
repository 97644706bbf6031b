//! The shipped exercises (`labs/exercises/`), each graded with the runtime's grader on its
//! corpus of submissions (`tests/exercises/NAME/`): exact scores, statuses and feedback.

mod graded;
mod iscsi_storage;
mod loading;
mod network;
mod shared_guest;
