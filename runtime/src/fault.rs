//! Faults a lab injects, in the vocabulary every backend shares: what breaks (a card's
//! cable, a host's power, a NAS's disk) and when, on lab time. A fault scheduled for later takes effect
//! while lab time passes, in the middle of whatever runs then (a migration, a download);
//! the same script and seed meet it at the same instant.

use crate::time::LabTime;
use crate::world::nas::NasId;
use crate::world::switch::Impairment;
use crate::world::NodeId;
use crate::world::{HostId, SwitchId};

/// Something that breaks, or is mended, in the lab.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// A card's cable pulled out of it.
    Unplug { node: NodeId, nic: String },
    /// The cable pushed back in.
    Plug { node: NodeId, nic: String },
    /// The host's power goes: it crashes with everything on it.
    PowerLoss { host: HostId },
    /// The host is switched on again and boots.
    PowerOn { host: HostId },
    /// A switch starts losing and delaying frames.
    Degrade {
        switch: SwitchId,
        impairment: Impairment,
    },
    /// The switch carries every frame again, at once.
    Restore { switch: SwitchId },
    /// The disk in a NAS's bay (from 1) fails.
    DiskFail { nas: NasId, bay: usize },
    /// A new disk goes into the bay of a failed one and is rebuilt from the others.
    DiskReplace { nas: NasId, bay: usize },
}

impl Fault {
    /// The fault's name in scripts and reports (`kind:` of `fault(#{..})`).
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Unplug { .. } => "unplug",
            Fault::Plug { .. } => "plug",
            Fault::PowerLoss { .. } => "power_loss",
            Fault::PowerOn { .. } => "power_on",
            Fault::Degrade { .. } => "degrade",
            Fault::Restore { .. } => "restore",
            Fault::DiskFail { .. } => "disk_fail",
            Fault::DiskReplace { .. } => "disk_replace",
        }
    }
}

/// A fault and the lab time it takes effect.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledFault {
    pub at: LabTime,
    pub fault: Fault,
}

/// The kinds `fault(#{kind: ..})` takes, for its spec and its "did you mean".
pub const FAULT_KINDS: &[&str] = &[
    "unplug",
    "plug",
    "power_loss",
    "power_on",
    "degrade",
    "restore",
    "disk_fail",
    "disk_replace",
];
