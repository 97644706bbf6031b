//! Files served by real guests, and downloads of them.
//!
//! - A guest that serves a file boots the site's Linux image at its address on the guests'
//!   bridge (restarted on it when it ran the workload kernel). Its file is the generated
//!   stream of `/cgi-bin/file?seed=S&size=N` ([`crate::real::generated`]): the model holds it
//!   as [`Contents::measured`], its digest computed here without the bytes.
//! - A download is a GET from the lab's network namespace on a thread of its own
//!   ([`crate::real::download`]). What it has received is read into the shared [`Transfer`]
//!   whenever the lab's time moves (a sleep, a migration, a wait), so a download runs on
//!   while a migration moves its guest, as the report's FTP download did.

use super::LibvirtBackend;
use crate::backend::{Backend, DownloadStatus};
use crate::error::{Error, Result};
use crate::real::download::{self, DownloadHandle};
use crate::real::generated::sha256_of;
use crate::time::LabTime;
use crate::transfer::{Transfer, TransferId};
use crate::world::content::Contents;
use crate::world::guest::{ClientId, GuestId, GuestState};
use std::net::SocketAddrV4;
use std::time::{Duration, Instant};
use virt::domain::Domain;

/// How long the Linux image gets to answer HTTP after it starts (it takes about 3 s under
/// software emulation here; a busy machine takes longer).
const LINUX_BOOT: Duration = Duration::from_secs(120);
/// Between two looks at a booting guest or a running download.
const POLL: Duration = Duration::from_millis(200);
/// The port the Linux image's httpd listens on.
const HTTP_PORT: u16 = 80;

/// A file a real guest serves: the generated stream of `seed`, `size` bytes long.
#[derive(Debug, Clone, Copy)]
pub(super) struct RealFile {
    seed: u64,
    size: u64,
}

impl RealFile {
    fn url_path(self) -> String {
        format!("/cgi-bin/file?seed={}&size={}", self.seed, self.size)
    }
}

/// A download in the shared vocabulary, with the thread that performs it until it ends.
pub(super) struct RealTransfer {
    transfer: Transfer,
    handle: Option<DownloadHandle>,
    /// How many of the download's samples are in the timeline already.
    samples_read: usize,
    last_sample: (f64, u64),
    error: Option<String>,
}

/// The seed of the file at `path`: the run's seed and the path, so two files of one guest
/// differ and the same lab serves the same bytes every run (FNV-1a over the path).
fn file_seed(run_seed: u64, path: &str) -> u64 {
    path.bytes().fold(0xcbf2_9ce4_8422_2325 ^ run_seed, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl LibvirtBackend {
    /// The address a file-serving guest has on the guests' bridge (`A.B.C.D/NN`).
    pub(super) fn linux_address(&self, guest: GuestId) -> Option<String> {
        self.file_servers
            .contains(&guest)
            .then(|| self.site.network.as_ref()?.guest_address(guest.0))
            .flatten()
    }

    /// Why this site cannot have a guest serve files, if it cannot.
    fn cannot_serve(&self, guest: GuestId) -> Option<Error> {
        let name = self.world.guest(guest).name();
        let has_linux = self
            .site
            .images
            .as_ref()
            .is_some_and(|i| i.linux_kernel.is_some() && i.linux_initramfs.is_some());
        let reason = if !has_linux {
            "the site has no Linux image, the guest that serves files"
        } else if self.site.network.is_none() || self.site.netns.is_none() {
            "the site has no guests' bridge to reach a guest's files on"
        } else if self
            .site
            .network
            .as_ref()
            .and_then(|n| n.guest_address(guest.0))
            .is_none()
        {
            "the guests' bridge has no address left for this guest"
        } else {
            return None;
        };
        Some(Error::LibvirtUnsupported {
            operation: format!("serve_file on {name}"),
            help: format!("{reason}: run on a `kvmlab up` lab whose `up` built the Linux image (lab.toml's [images] lists linux_kernel; `up` fetches it with apt-get, so apt must reach Debian's mirror), or run this step on the simulator"),
        })
    }

    pub(super) fn serve_real_file(
        &mut self,
        guest: GuestId,
        path: &str,
        size: u64,
    ) -> Result<String> {
        if let Some(refusal) = self.cannot_serve(guest) {
            return Err(refusal);
        }
        let file = RealFile {
            seed: file_seed(self.seed, path),
            size,
        };
        let contents = Contents::measured(size, Some(sha256_of(file.seed, size)));
        let digest = self.together(|b| {
            let digest = b.world.serve_file(guest, path, size, Some(contents))?;
            b.boot_linux(guest)?;
            Ok(digest)
        })?;
        self.served.insert((guest, path.to_string()), file);
        Ok(digest)
    }

    /// Makes the guest a Linux guest serving files: redefined to boot the Linux image, and
    /// restarted on it when it runs.
    fn boot_linux(&mut self, guest: GuestId) -> Result<()> {
        if !self.file_servers.insert(guest) {
            return Ok(());
        }
        let restarted = (|| {
            let running = self.domain(guest)?.is_active().unwrap_or(false);
            if running {
                self.on_domain(guest, "restart on the Linux image", Domain::destroy)?;
            }
            self.define_real(guest)?;
            if running {
                self.on_domain(guest, "restart on the Linux image", Domain::create)?;
                self.count("serve_file (the guest restarted on the Linux image)");
            }
            Ok(())
        })();
        if restarted.is_err() {
            self.file_servers.remove(&guest);
        }
        self.linux_ready.remove(&guest);
        restarted
    }

    /// The guest's HTTP address, once its httpd answers.
    fn await_httpd(&mut self, guest: GuestId, path: &str) -> Result<SocketAddrV4> {
        let name = self.world.guest(guest).name().to_string();
        let failed = |reason: String, help: &str| Error::LibvirtDownloadFailed {
            guest: name.clone(),
            path: path.into(),
            reason,
            help: help.into(),
        };
        let address = self.linux_address(guest).ok_or_else(|| {
            failed(
                "it serves no file on real hosts".into(),
                "serve the file first: `g.serve_file(path, size)`",
            )
        })?;
        let ip = address.split('/').next().unwrap_or_default();
        let addr = SocketAddrV4::new(
            ip.parse()
                .map_err(|_| failed(format!("{ip} is no address"), "check lab.toml's [network]"))?,
            HTTP_PORT,
        );
        if self.linux_ready.contains(&guest) {
            return Ok(addr);
        }
        let netns = self.site.netns.clone();
        let until = Instant::now() + LINUX_BOOT;
        let mut last = String::new();
        while Instant::now() < until {
            crate::meter::check_deadline()?;
            match download::start(netns.as_deref(), addr, "/index.html") {
                Ok(probe) => match probe.wait().error {
                    None => {
                        self.linux_ready.insert(guest);
                        return Ok(addr);
                    }
                    Some(error) => last = error,
                },
                Err(e) => {
                    return Err(failed(
                        format!("cannot reach the lab's network namespace: {e}"),
                        "`kvmlab status` shows whether the lab is up",
                    ))
                }
            }
            std::thread::sleep(POLL);
        }
        Err(failed(
            format!(
                "its web server did not answer at {addr} within {} s ({last})",
                LINUX_BOOT.as_secs()
            ),
            "the guest's serial console shows how far it booted: `virsh console` on its host",
        ))
    }

    pub(super) fn start_real_transfer(
        &mut self,
        client: ClientId,
        guest: GuestId,
        path: &str,
    ) -> Result<TransferId> {
        self.world.check_download(client, guest)?;
        crate::world::capacity::room(
            "downloads",
            self.transfers.len(),
            crate::world::capacity::DOWNLOADS,
        )?;
        let file = self
            .served
            .get(&(guest, path.to_string()))
            .copied()
            .ok_or_else(|| Error::NoSuchFile {
                host: self.world.guest(guest).name().to_string(),
                path: path.to_string(),
                help: format!("put the file on the guest first: `g.serve_file(\"{path}\", size)`"),
            })?;
        let addr = self.await_httpd(guest, path)?;
        let handle =
            download::start(self.site.netns.as_deref(), addr, &file.url_path()).map_err(|e| {
                Error::LibvirtDownloadFailed {
                    guest: self.world.guest(guest).name().into(),
                    path: path.into(),
                    reason: e.to_string(),
                    help: "`kvmlab status` shows whether the lab is up".into(),
                }
            })?;
        self.transfers.push(RealTransfer {
            transfer: Transfer {
                client,
                guest,
                path: path.into(),
                size: file.size,
                received: Contents::measured(0, None),
                started: self.now(),
                finished: None,
                timeline: Vec::new(),
            },
            handle: Some(handle),
            samples_read: 0,
            last_sample: (0.0, 0),
            error: None,
        });
        Ok(TransferId(self.transfers.len() - 1))
    }

    /// Reads every running download's progress into its transfer.
    pub(super) fn refresh_transfers(&mut self) {
        for real in &mut self.transfers {
            let Some(handle) = &real.handle else {
                continue;
            };
            let progress = handle.progress();
            let started = real.transfer.started.as_secs_f64();
            for &(at, bytes) in &progress.samples[real.samples_read..] {
                let (before, had) = real.last_sample;
                if at > before {
                    let rate = bytes.saturating_sub(had) as f64 / (at - before);
                    real.transfer.timeline.push((started + before, rate));
                }
                real.last_sample = (at, bytes);
            }
            real.samples_read = progress.samples.len();
            let whole = progress.done && progress.error.is_none();
            real.transfer.received =
                Contents::measured(progress.bytes, progress.sha256.filter(|_| whole));
            if progress.done {
                real.transfer.finished = Some(LabTime::from_secs_f64(started + real.last_sample.0));
                real.error = progress.error;
                real.handle = None;
            }
        }
    }

    pub(super) fn wait_real_transfer(&mut self, id: TransferId) -> Result<()> {
        loop {
            self.refresh_transfers();
            if self.transfers[id.0].transfer.is_done() {
                break;
            }
            crate::meter::check_deadline()?;
            std::thread::sleep(POLL);
        }
        let real = &self.transfers[id.0];
        match &real.error {
            None => Ok(()),
            Some(reason) => {
                let guest = self.world.guest(real.transfer.guest);
                let help = if guest.state == GuestState::Running {
                    "the guest still runs: start the download again, `pc.download(g, path)`"
                } else {
                    "the guest no longer runs: start it, then download again"
                };
                Err(Error::LibvirtDownloadFailed {
                    guest: guest.name().into(),
                    path: real.transfer.path.clone(),
                    reason: reason.clone(),
                    help: help.into(),
                })
            }
        }
    }

    pub(super) fn real_transfer(&self, id: TransferId) -> &Transfer {
        &self.transfers[id.0].transfer
    }

    pub(super) fn real_downloads(&self) -> Vec<DownloadStatus> {
        self.transfers
            .iter()
            .map(|real| DownloadStatus::of(&real.transfer, &self.world))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_files_seed_depends_on_its_path_and_the_runs_seed() {
        let seed = super::file_seed;
        assert_eq!(
            seed(0, "/var/ftp/pub/big.iso"),
            seed(0, "/var/ftp/pub/big.iso")
        );
        assert_ne!(
            seed(0, "/var/ftp/pub/big.iso"),
            seed(0, "/var/ftp/pub/small.iso")
        );
        assert_ne!(
            seed(0, "/var/ftp/pub/big.iso"),
            seed(1, "/var/ftp/pub/big.iso")
        );
    }
}
