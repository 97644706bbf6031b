//! Checkpoints: the whole state of a lab at one moment, to go back to.
//!
//! A [`Checkpoint`] holds what the backend needs to put the lab back as it was (on the
//! simulator: the world, lab time, the traffic in flight and the faults to come; its
//! randomness is drawn from the seed, so nothing else is needed) and the counts of the
//! entities scripts hold handles to, so a restore can tell which handles would point at
//! nothing. The state is opaque here: each backend makes and reads its own.

use crate::time::LabTime;
use crate::world::World;
use std::any::Any;
use std::rc::Rc;

/// A lab's state at one moment, named.
#[derive(Clone)]
pub struct Checkpoint {
    pub name: String,
    /// Lab time when it was taken.
    pub at: LabTime,
    /// What the world held then, kind by kind.
    pub made: EntityCounts,
    /// The backend's own state; only the backend that made it reads it.
    pub state: Rc<dyn Any>,
}

impl std::fmt::Debug for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpoint")
            .field("name", &self.name)
            .field("at", &self.at)
            .finish_non_exhaustive()
    }
}

/// How many of each kind of entity a world holds: the handles a script can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityCounts {
    pub hosts: usize,
    pub switches: usize,
    pub routers: usize,
    pub nases: usize,
    pub guests: usize,
    pub clients: usize,
    /// Downloads started, which the backend keeps rather than the world.
    pub downloads: usize,
}

impl EntityCounts {
    pub fn of(world: &World, downloads: usize) -> EntityCounts {
        EntityCounts {
            hosts: world.hosts().count(),
            switches: world.switches().count(),
            routers: world.routers().count(),
            nases: world.nases().count(),
            guests: world.guests().count(),
            clients: world.clients().count(),
            downloads,
        }
    }

    /// The names of what `world` holds beyond these counts, as "guest web2", and the
    /// downloads started since: what a restore would leave handles to.
    pub fn made_since(&self, world: &World, downloads: usize) -> Vec<String> {
        let mut made = Vec::new();
        let mut beyond = |kind: &str, names: Vec<String>, kept: usize| {
            made.extend(names.into_iter().skip(kept).map(|n| format!("{kind} {n}")));
        };
        beyond(
            "host",
            world.hosts().map(|(_, h)| h.name().to_string()).collect(),
            self.hosts,
        );
        beyond(
            "switch",
            world.switches().map(|(_, s)| s.name.clone()).collect(),
            self.switches,
        );
        beyond(
            "router",
            world.routers().map(|(_, r)| r.name.clone()).collect(),
            self.routers,
        );
        beyond(
            "NAS",
            world.nases().map(|(_, n)| n.name().to_string()).collect(),
            self.nases,
        );
        beyond(
            "guest",
            world.guests().map(|(_, g)| g.name().to_string()).collect(),
            self.guests,
        );
        beyond(
            "client",
            world.clients().map(|(_, c)| c.name.clone()).collect(),
            self.clients,
        );
        match downloads.saturating_sub(self.downloads) {
            0 => {}
            1 => made.push("a download".into()),
            n => made.push(format!("{n} downloads")),
        }
        made
    }
}
