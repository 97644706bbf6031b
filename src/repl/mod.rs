//! The interactive console, `kvmlab repl`: what its line editor calls to complete and hint.
// The console's loop, which calls these, is not in this tree yet.
#![allow(dead_code)]

pub mod complete;
pub mod hint;
