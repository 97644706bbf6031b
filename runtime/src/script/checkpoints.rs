//! Checkpoints in scripts: `let cp = checkpoint("after-storage")` keeps the lab's whole
//! state, `restore(cp)` goes back to it. The backend keeps the world, lab time and what was
//! in flight ([`crate::checkpoint`]); the session adds its history (the migrations `lab()`
//! lists). The report is a log of the run and keeps everything, restores included.
//!
//! A script's variables are not part of a checkpoint: a handle to a host, switch, NAS,
//! guest, client or download made after it would point at nothing, so such a restore is refused by
//! name (`kvmlab::checkpoint::made_since`). The console's `:restore` puts its variables back
//! with the lab, so it has no such limit.

use super::history::History;
use super::{call, reg, Outcome, SharedSession};
use crate::checkpoint::Checkpoint;
use crate::error::{Error, Result};
use crate::text::clipped;
use rhai::{Engine, NativeCallContext};

/// A checkpoint as a script holds it.
#[derive(Debug, Clone)]
pub struct CheckpointRef {
    pub lab: Checkpoint,
    pub history: History,
}

/// Characters of a checkpoint's name kept.
const NAME_CHARS: usize = 200;
/// Checkpoints one run takes: each holds a whole copy of the lab.
pub const MAX_CHECKPOINTS: usize = 256;

pub fn register(engine: &mut Engine, session: &SharedSession) {
    engine
        .register_type_with_name::<CheckpointRef>("Checkpoint")
        .register_get("name", |cp: &mut CheckpointRef| cp.lab.name.clone())
        .register_get("at", |cp: &mut CheckpointRef| cp.lab.at.as_secs_f64())
        .register_fn("to_string", |cp: &mut CheckpointRef| {
            format!(
                "checkpoint `{}` at {:.3} s",
                cp.lab.name,
                cp.lab.at.as_secs_f64()
            )
        });

    let s = session.clone();
    reg(
        "checkpoint",
        &["name: String", "Checkpoint"],
        "Keeps the lab's whole state now (its world, lab time, what is in flight, the faults to come) to go back to with `restore`.",
    )
    .register_into_engine(engine, move |ctx: NativeCallContext, name: &str| -> Outcome<CheckpointRef> {
        let name = clipped(name, NAME_CHARS).into_owned();
        let (history, taken) = {
            let session = s.borrow();
            (session.history.clone(), session.checkpoints_taken)
        };
        let lab = call(&s, &ctx, |b| {
            if taken >= MAX_CHECKPOINTS {
                return Err(Error::TooMany {
                    what: "checkpoints".into(),
                    limit: MAX_CHECKPOINTS,
                });
            }
            b.checkpoint(&name)
        })?;
        s.borrow_mut().checkpoints_taken += 1;
        Ok(CheckpointRef { lab, history })
    });

    let s = session.clone();
    reg(
        "restore",
        &["checkpoint: Checkpoint", "()"],
        "Puts the lab back as the checkpoint found it: what follows runs as it ran after the checkpoint, at the checkpoint's lab time.",
    )
    .register_into_engine(engine, move |ctx: NativeCallContext, cp: CheckpointRef| -> Outcome<()> {
        call(&s, &ctx, |b| {
            refuse_made_since(&cp.lab, b.world(), b.downloads().len())?;
            b.restore(&cp.lab)
        })?;
        s.borrow_mut().history = cp.history;
        Ok(())
    });
}

/// Refuses a restore that would leave the script handles to entities made since.
fn refuse_made_since(
    checkpoint: &Checkpoint,
    world: &crate::world::World,
    downloads: usize,
) -> Result<()> {
    let made = checkpoint.made.made_since(world, downloads);
    if made.is_empty() {
        return Ok(());
    }
    let shown = if made.len() > 3 {
        format!("{} and {} more", made[..3].join(", "), made.len() - 3)
    } else {
        made.join(", ")
    };
    Err(Error::CheckpointMadeSince {
        name: checkpoint.name.clone(),
        made: shown,
    })
}
