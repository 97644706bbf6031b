//! The real side of `kvmlab calibrate` (feature `libvirt`): for each point, the workload
//! guest defined and started on the lab's source host, migrated to the destination with the
//! libvirt backend's own migration, its statistics read, and the guest destroyed.

use super::guest::{domain_xml, READY_LINE};
use super::records::Recorded;
use super::{Figures, Point, RealHost, RealLab};
use crate::error::{Error, Result};
use crate::libvirt::migrate::migrate_domain;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use virt::connect::Connect;

/// How long a guest may take to boot and fill its memory (software emulation is slow).
const READY_WITHIN_S: u64 = 60;
const POLL: Duration = Duration::from_millis(100);

/// Migrates each point once, in order, calling `progress` after each. Stops early, with the
/// points measured so far, when `interrupt` is set (Ctrl-C): a migration under way is
/// cancelled and not counted. The guest `guest` must not exist on either host beforehand,
/// and is gone from both afterwards.
pub fn measure(
    lab: &RealLab,
    points: &[Point],
    guest: &str,
    interrupt: &AtomicBool,
    progress: &mut dyn FnMut(usize, &Point, &Figures),
) -> Result<Vec<Recorded>> {
    // libvirt's default handler prints every error, the expected "no such domain" of the
    // lookups below included; the errors that matter come back as values.
    virt::error::clear_error_callback();
    let source = connect(lab, &lab.source, guest)?;
    let destination = connect(lab, &lab.destination, guest)?;
    for (host, connection) in [(&lab.source, &source), (&lab.destination, &destination)] {
        if connection.lookup_domain_by_name(guest).is_ok() {
            return Err(Error::CalibrateLibvirt {
                host: host.name.clone(),
                action: "define".into(),
                guest: guest.into(),
                message: "a guest of that name is already there".into(),
                help: format!(
                    "name another with `--guest NAME`; if it is left from an interrupted calibration, remove it: `virsh -c '{uri}' destroy {guest}` and `virsh -c '{uri}' undefine {guest}`",
                    uri = host.uri
                ),
            });
        }
    }
    let serial_dir = std::env::temp_dir().join(format!("kvmlab-calibrate-{}", std::process::id()));
    std::fs::create_dir_all(&serial_dir).map_err(|e| Error::CalibrateLibvirt {
        host: lab.source.name.clone(),
        action: "prepare the serial console of".into(),
        guest: guest.into(),
        message: format!("cannot create {}: {e}", serial_dir.display()),
        help: "give this program a writable temporary folder (TMPDIR)".into(),
    })?;
    let sides = Sides {
        lab,
        source: &source,
        destination: &destination,
        guest,
        interrupt,
    };
    let mut measured = Vec::new();
    let mut failure = None;
    for (index, point) in points.iter().enumerate() {
        if interrupt.load(Ordering::Relaxed) {
            break;
        }
        let serial = serial_dir.join(format!("point-{}.log", index + 1));
        match sides.run(point, &serial) {
            Ok(Some(figures)) if !interrupt.load(Ordering::Relaxed) => {
                progress(index, point, &figures);
                measured.push((None, point.clone(), figures));
            }
            Ok(_) => break,
            Err(error) => {
                failure = Some(error);
                break;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&serial_dir);
    match failure {
        Some(error) => Err(error),
        None => Ok(measured),
    }
}

fn connect(lab: &RealLab, host: &RealHost, guest: &str) -> Result<Connect> {
    Connect::open(Some(&host.uri)).map_err(|e| Error::CalibrateLibvirt {
        host: host.name.clone(),
        action: "connect for".into(),
        guest: guest.into(),
        message: e.to_string(),
        help: format!(
            "is the lab up? `kvmlab status --dir {}` shows its daemons",
            lab.dir.display()
        ),
    })
}

struct Sides<'a> {
    lab: &'a RealLab,
    source: &'a Connect,
    destination: &'a Connect,
    guest: &'a str,
    interrupt: &'a AtomicBool,
}

impl Sides<'_> {
    /// One point: define, start, wait for the ready line, migrate; the guest is removed from
    /// both hosts whatever happened. `None` when interrupted before the migration.
    fn run(&self, point: &Point, serial: &Path) -> Result<Option<Figures>> {
        let xml = domain_xml(self.guest, point, self.lab, serial);
        let domain = self
            .source
            .define_domain_xml(&xml)
            .map_err(|e| self.refused(&self.lab.source, "define", e))?;
        let result = domain
            .create()
            .map_err(|e| self.refused(&self.lab.source, "start", e))
            .and_then(|()| self.wait_ready(serial))
            .and_then(|ready| {
                if !ready {
                    return Ok(None);
                }
                migrate_domain(
                    self.source,
                    self.destination,
                    self.guest,
                    &point.request(),
                    Some(&self.lab.destination.migration_uri),
                    self.interrupt,
                    &mut |_| {},
                )
                .map(|outcome| Some(Figures::from(&outcome)))
            });
        let removed = self.remove();
        let figures = result?;
        removed?;
        Ok(figures)
    }

    /// Waits for the workload kernel's ready line; false when interrupted.
    fn wait_ready(&self, serial: &Path) -> Result<bool> {
        let start = Instant::now();
        loop {
            let said = std::fs::read_to_string(serial).unwrap_or_default();
            if said.contains(READY_LINE) {
                return Ok(true);
            }
            if self.interrupt.load(Ordering::Relaxed) {
                return Ok(false);
            }
            if start.elapsed() > Duration::from_secs(READY_WITHIN_S) {
                let last = said.lines().rev().find(|l| !l.trim().is_empty());
                return Err(Error::CalibrateGuestSilent {
                    guest: self.guest.into(),
                    host: self.lab.source.name.clone(),
                    seconds: READY_WITHIN_S,
                    said: last.map_or("nothing".into(), |line| {
                        format!("`{}`", super::records::shown(line))
                    }),
                    dir: self.lab.dir.display().to_string(),
                });
            }
            std::thread::sleep(POLL);
        }
    }

    /// Destroys and undefines the guest wherever it is.
    fn remove(&self) -> Result<()> {
        for (host, connection) in [
            (&self.lab.source, self.source),
            (&self.lab.destination, self.destination),
        ] {
            let Ok(domain) = connection.lookup_domain_by_name(self.guest) else {
                continue;
            };
            if domain.is_active().unwrap_or(false) {
                domain
                    .destroy()
                    .map_err(|e| self.refused(host, "destroy", e))?;
            }
            domain
                .undefine()
                .map_err(|e| self.refused(host, "undefine", e))?;
        }
        Ok(())
    }

    fn refused(&self, host: &RealHost, action: &str, error: virt::error::Error) -> Error {
        Error::CalibrateLibvirt {
            host: host.name.clone(),
            action: action.into(),
            guest: self.guest.into(),
            message: error.to_string(),
            help: format!(
                "see what is there with `virsh -c '{}' list --all`; libvirtd's log is in the lab folder {}",
                host.uri,
                self.lab.dir.display()
            ),
        }
    }
}
