//! The generated CloudFormation is wired for disaster recovery: every example is
//! built in process and its templates are inspected as JSON against
//! `reference/aws-dr.md` (sections 0, 1, 3 and 4), then snapshotted whole.
//!
//! One module per part of `src/lower/`, in one test binary (each file directly
//! under `tests/` would link a binary of its own).

mod common;

mod aurora;
mod determinism;
mod dns;
mod dynamodb;
mod elasticache;
mod eventbridge;
mod fargate;
mod output;
mod runbook;
mod s3;
mod stacks;
mod tags;
mod watch;
