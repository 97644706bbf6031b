//! Background traffic on simulated time: downloads from guests to clients and live
//! migrations between hosts, sharing the cards they cross with max-min fairness.
//!
//! Each flow crosses directed links: a card's sending or receiving side (the slower of the
//! card and its switch port, at TCP's payload rate) and, for a guest, its virtual card. A
//! migration advances in QEMU's 100 ms windows with the share it wins; the other flows move
//! by their shares over the same window. While a qemu-kvm 0.12 migration runs, the guest's
//! device emulation is starved (its virtual card gets [`STARVED_IO_SHARE`] of its uplink),
//! and while the guest is paused, or not running at all, it sends nothing. A guest serving a
//! file larger than its page cache rewrites the cache as fast as it serves, which adds to its
//! dirty rate.
//!
//! A disk copied along with a migration (`copy_storage`) crosses the same cards first, as
//! one bulk flow of the volume's allocated bytes; the guest's disk writes during the copy
//! are not modelled.

use super::fairshare::{max_min_shares, FlowDemand};
use super::faults::KEEPALIVE_TIMEOUT;
use super::migration::Migration;
use crate::error::{Error, Result};
use crate::migration::MigrationOutcome;
use crate::time::LabTime;
use crate::transfer::{Transfer, TransferId};
use crate::world::content::Contents;
use crate::world::guest::{ClientId, GuestId, GuestState};
use crate::world::net::TCP_GOODPUT;
use crate::world::preflight::uplink_card;
use crate::world::{HostId, SwitchId, World};

/// The share of its uplink a guest's I/O keeps while qemu-kvm 0.12 migrates it. The report
/// saw the FTP rate fall "to a few percent"; the main loop ran the migration under the global
/// lock and serviced device emulation only between its iterations.
pub const STARVED_IO_SHARE: f64 = 0.03;

/// A download as the simulator moves it: what the client sees, and the bytes still to come.
#[derive(Debug, Clone)]
pub struct Download {
    pub transfer: Transfer,
    source: Contents,
    done: f64,
}

/// A migration on the wire.
#[derive(Clone)]
pub struct ActiveMigration {
    pub guest: GuestId,
    pub from: HostId,
    pub to: HostId,
    /// The source card and the destination card it crosses.
    pub from_nic: String,
    pub to_nic: String,
    pub engine: Migration,
    /// The guest's own dirty rate, before page-cache churn from serving files.
    pub base_dirty_rate: f64,
    pub started: LabTime,
    /// Since when the stream has carried nothing though the migration wanted to send.
    pub silent_since: Option<LabTime>,
}

/// A guest's disk copied to the destination before its memory (`--copy-storage-all`: QEMU
/// mirrors the disk over NBD until it is in sync, then migrates the memory).
#[derive(Clone)]
pub struct DiskCopy {
    pub guest: GuestId,
    pub from: HostId,
    pub to: HostId,
    pub from_nic: String,
    pub to_nic: String,
    pub remaining: f64,
    pub started: LabTime,
    /// Since when the copy has carried nothing.
    pub silent_since: Option<LabTime>,
}

#[derive(Default, Clone)]
pub struct Traffic {
    pub downloads: Vec<Download>,
    pub migration: Option<ActiveMigration>,
    pub disk_copy: Option<DiskCopy>,
}

#[derive(Debug, Clone, PartialEq)]
enum Link {
    /// A card's sending side.
    Out(HostId, String),
    /// A card's receiving side.
    In(HostId, String),
    ClientIn(ClientId),
    GuestCard(GuestId),
}

impl Traffic {
    pub fn start_transfer(
        &mut self,
        client: ClientId,
        guest: GuestId,
        path: &str,
        source: Contents,
        now: LabTime,
    ) -> TransferId {
        self.downloads.push(Download {
            transfer: Transfer {
                client,
                guest,
                path: path.to_string(),
                size: source.len(),
                received: Contents::default(),
                started: now,
                finished: None,
                timeline: Vec::new(),
            },
            source,
            done: 0.0,
        });
        TransferId(self.downloads.len() - 1)
    }

    pub fn transfer(&self, id: TransferId) -> &Transfer {
        &self.downloads[id.0].transfer
    }

    /// Every download started so far, in start order.
    pub fn transfers(&self) -> impl Iterator<Item = &Transfer> {
        self.downloads.iter().map(|d| &d.transfer)
    }

    pub fn is_idle(&self) -> bool {
        self.migration.is_none()
            && self.disk_copy.is_none()
            && self.downloads.iter().all(|d| d.transfer.is_done())
    }

    /// Moves every flow forward from `now` by one step that ends no later than `limit`;
    /// returns the new time and, when the migration ended in this step, its outcome.
    pub fn step(
        &mut self,
        world: &World,
        now: LabTime,
        limit: LabTime,
    ) -> Result<(LabTime, Option<(ActiveMigration, MigrationOutcome)>)> {
        let active: Vec<usize> = (0..self.downloads.len())
            .filter(|&i| !self.downloads[i].transfer.is_done())
            .collect();
        let mut links: Vec<Link> = Vec::new();
        let mut index = |link: Link| -> usize {
            match links.iter().position(|l| *l == link) {
                Some(i) => i,
                None => {
                    links.push(link);
                    links.len() - 1
                }
            }
        };
        let mut demands = Vec::new();
        for &i in &active {
            let t = &self.downloads[i].transfer;
            let guest = world.guest(t.guest);
            if guest.state != GuestState::Running {
                // A stopped guest sends nothing, whatever its host's cabling is now.
                demands.push(FlowDemand {
                    path: vec![index(Link::GuestCard(t.guest))],
                    cap: 0.0,
                });
                continue;
            }
            let uplink = match uplink_card(world, guest.host, &guest.spec.bridge) {
                Ok(card) => card,
                // A pulled cable: the download waits for it, as TCP does.
                Err(_) if cable_pulled_under(world, guest.host, &guest.spec.bridge) => {
                    demands.push(FlowDemand {
                        path: vec![index(Link::GuestCard(t.guest))],
                        cap: 0.0,
                    });
                    continue;
                }
                Err(no_uplink) => return Err(no_uplink),
            };
            let switches = [
                card_switch(world, guest.host, &uplink),
                Some(world.client(t.client).switch),
            ];
            demands.push(FlowDemand {
                path: vec![
                    index(Link::GuestCard(t.guest)),
                    index(Link::Out(guest.host, uplink)),
                    index(Link::ClientIn(t.client)),
                ],
                cap: tcp_cap(world, &switches),
            });
        }
        if let Some(m) = &self.migration {
            let switches = [
                card_switch(world, m.from, &m.from_nic),
                card_switch(world, m.to, &m.to_nic),
            ];
            demands.push(FlowDemand {
                path: vec![
                    index(Link::Out(m.from, m.from_nic.clone())),
                    index(Link::In(m.to, m.to_nic.clone())),
                ],
                cap: m.engine.demand().min(tcp_cap(world, &switches)),
            });
        }
        if let Some(c) = &self.disk_copy {
            let switches = [
                card_switch(world, c.from, &c.from_nic),
                card_switch(world, c.to, &c.to_nic),
            ];
            demands.push(FlowDemand {
                path: vec![
                    index(Link::Out(c.from, c.from_nic.clone())),
                    index(Link::In(c.to, c.to_nic.clone())),
                ],
                cap: tcp_cap(world, &switches),
            });
        }
        let capacities: Vec<f64> = links.iter().map(|l| self.capacity(world, l)).collect();
        let shares = max_min_shares(&capacities, &demands);

        // The migration sets the pace; otherwise the next completion or the limit does.
        let mut ended = None;
        let copy_share = self
            .disk_copy
            .as_ref()
            .map(|_| *shares.last().expect("the disk copy has a share"));
        let duration_ns = if let Some(m) = self.migration.as_mut() {
            let share = shares[active.len()];
            let serving: f64 = active
                .iter()
                .zip(&shares)
                .filter(|(&i, _)| self.downloads[i].transfer.guest == m.guest)
                .map(|(_, rate)| rate)
                .sum();
            m.engine.set_dirty_rate(m.base_dirty_rate + serving)?;
            if m.engine.demand() > 0.0 {
                m.silent_since = if share > 0.0 {
                    None
                } else {
                    m.silent_since.or(Some(now))
                };
            }
            let window = m.engine.advance(share);
            if window.finished {
                let m = self.migration.take().expect("checked above");
                let outcome = m.engine.outcome().cloned().ok_or_else(|| Error::Runtime {
                    message: "internal error: a finished migration has no outcome".into(),
                    help: "this is a bug in kvmlab; please report it".into(),
                })?;
                ended = Some((m, outcome));
            }
            window.duration_ns.max(1)
        } else {
            let to_limit = limit.0.saturating_sub(now.0);
            active
                .iter()
                .zip(&shares)
                .filter(|(_, rate)| **rate > 0.0)
                .map(|(&i, rate)| {
                    let d = &self.downloads[i];
                    ((d.transfer.size as f64 - d.done) / rate * 1e9).ceil() as u64
                })
                .chain(self.disk_copy.as_ref().zip(copy_share).map(|(c, rate)| {
                    if rate > 0.0 {
                        (c.remaining / rate * 1e9).ceil() as u64
                    } else {
                        // A silent copy's next event is libvirt's keepalive running out.
                        let since = c.silent_since.unwrap_or(now);
                        (since.0 + KEEPALIVE_TIMEOUT.0).saturating_sub(now.0)
                    }
                }))
                .chain([to_limit])
                .min()
                .unwrap_or(to_limit)
                .max(1)
        };
        let seconds = duration_ns as f64 / 1e9;
        if let (Some(copy), Some(rate)) = (self.disk_copy.as_mut(), copy_share) {
            copy.silent_since = if rate > 0.0 {
                None
            } else {
                copy.silent_since.or(Some(now))
            };
            copy.remaining -= rate * seconds;
            if copy.remaining <= 0.5 {
                self.disk_copy = None;
            }
        }
        for (&i, &rate) in active.iter().zip(&shares) {
            let Download {
                transfer: t,
                source,
                done,
            } = &mut self.downloads[i];
            let at = now.as_secs_f64();
            if t.timeline
                .last()
                .is_none_or(|&(_, last)| (last - rate).abs() > 1e-6 * last.max(1.0))
            {
                t.timeline.push((at, rate));
            }
            let before = *done as u64;
            *done = (*done + rate * seconds).min(t.size as f64);
            let after = *done as u64;
            for extent in source.slice(before, after - before) {
                t.received.append(extent);
            }
            if after >= t.size {
                let took = ((t.size - before) as f64 / rate.max(1e-9) * 1e9).ceil() as u64;
                t.finished = Some(now.saturating_add(took.min(duration_ns)));
            }
        }
        Ok((now.saturating_add(duration_ns), ended))
    }

    fn capacity(&self, world: &World, link: &Link) -> f64 {
        match link {
            Link::Out(host, card) | Link::In(host, card) => card_rate(world, *host, card),
            Link::ClientIn(client) => {
                let c = world.client(*client);
                c.nic_speed.min(world.switch(c.switch).speed) * TCP_GOODPUT
            }
            Link::GuestCard(guest) => match &self.migration {
                _ if world.guest(*guest).state != GuestState::Running => 0.0,
                Some(m) if m.guest == *guest && m.engine.guest_paused() => 0.0,
                Some(m) if m.guest == *guest && m.engine.starves_guest_io() => {
                    let g = world.guest(*guest);
                    uplink_card(world, g.host, &g.spec.bridge)
                        .map(|card| card_rate(world, g.host, &card) * STARVED_IO_SHARE)
                        .unwrap_or(0.0)
                }
                _ => f64::INFINITY,
            },
        }
    }
}

/// The switch a host's card is cabled to.
fn card_switch(world: &World, host: HostId, card: &str) -> Option<SwitchId> {
    world
        .host(host)
        .net()
        .nic(card)
        .and_then(|n| n.link.as_ref())
        .map(|l| l.switch)
}

/// The most one TCP flow carries across these switches: unbounded unless one of them is
/// degraded (see [`crate::world::switch::Impairment::tcp_rate`]).
fn tcp_cap(world: &World, switches: &[Option<SwitchId>]) -> f64 {
    switches
        .iter()
        .flatten()
        .filter_map(|&s| world.switch(s).impairment)
        .map(|i| i.tcp_rate())
        .fold(f64::INFINITY, f64::min)
}

/// Whether a card under `interface` (itself, or a bridge's port) has its cable pulled.
fn cable_pulled_under(world: &World, host: HostId, interface: &str) -> bool {
    let net = world.host(host).net();
    net.nics.iter().any(|nic| {
        nic.unplugged
            && (nic.name == interface
                || net
                    .interface(&nic.name)
                    .is_some_and(|i| i.master.as_deref() == Some(interface)))
    })
}

/// A cabled card's TCP payload rate (none with its cable pulled or its host off): the slower of card and switch port, less framing.
pub fn card_rate(world: &World, host: HostId, card: &str) -> f64 {
    if world.host(host).is_powered_off() {
        return 0.0;
    }
    world
        .host(host)
        .net()
        .nic(card)
        .and_then(|n| n.carrier())
        .map_or(0.0, |link| link.rate * TCP_GOODPUT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_ethernet_carries_11_77_mb_of_payload_a_second() {
        let rate = 12_500_000.0 * TCP_GOODPUT;
        assert!((rate - 11.768e6).abs() < 1e3, "{rate}");
        // The report's 4 GB ISO (4 GiB) at that rate: about 6 minutes.
        let seconds = 4294967296.0 / rate;
        assert!((seconds / 60.0 - 6.08).abs() < 0.01, "{seconds}");
    }
}
