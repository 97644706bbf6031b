//! The shipped exercises (`labs/exercises/`), each graded with the runtime's grader on its
//! corpus of submissions (`tests/exercises/NAME/`): exact scores, statuses and feedback.

mod fix_migration;
mod graded;
mod iscsi_storage;
mod loading;
mod migration_downtime;
mod migration_integrity;
mod network;
mod shared_guest;
