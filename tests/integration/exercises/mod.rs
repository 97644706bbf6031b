//! The shipped exercises graded on their corpora of submissions.

mod corpus;
mod fix_migration;
mod migration_downtime;
mod migration_integrity;
