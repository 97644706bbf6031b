//! `ping` as iputils 20071127 (RHEL 6) prints it, over the lab's reachability walk: one
//! echo a second, so `ping -c N` takes N - 1 seconds of lab time; and initscripts' `ifup`
//! and `ifdown`, one interface's ifcfg file applied or taken down.

use super::options;
use crate::error::{Error, Severity};
use crate::seeded::{seed_for, SplitMix64};
use crate::shell::exec::{Output, Shell};
use crate::world::net::ifcfg::SCRIPTS_DIR;

/// The echoes `ping` without `-c` sends before it is stopped, as a trainee would stop it.
const UNTIL_CTRL_C: u64 = 4;

/// The most echoes one `ping` sends here: each is a line of output.
const MAX_COUNT: u64 = 100_000;

const USAGE: &str = "Usage: ping [-LRUbdfnqrvVaA] [-c count] [-i interval] [-w deadline]\n            [-p pattern] [-s packetsize] [-t ttl] [-I interface or address]\n            [-M mtu discovery hint] [-S sndbuf]\n            [ -T timestamp option ] [ -Q tos ] [hop1 ...] destination\n";

pub fn ping(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let args = match options(shell, "ping", args, "qn", "c") {
        Ok(a) => a,
        Err(_) => return Output::failed(2, USAGE),
    };
    let [target] = args.operands.as_slice() else {
        return Output::failed(2, USAGE);
    };
    // A line cannot press Ctrl-C: without a count the echoes stop where a trainee would
    // stop them.
    let until_ctrl_c = args.value('c').is_none();
    let count = args
        .value('c')
        .map_or(UNTIL_CTRL_C.to_string(), str::to_string);
    let count = match count.parse::<u64>() {
        Ok(n) if (1..=MAX_COUNT).contains(&n) => n,
        _ => {
            return Output::failed(
                2,
                format!("ping: bad number of packets to transmit (1 to {MAX_COUNT} here)\n"),
            )
        }
    };
    let report = shell.backend.world().ping(shell.host, target);
    let Some(address) = report.address else {
        if let Some(e) = report.failure {
            shell.note(e);
        }
        return Output::failed(2, format!("ping: unknown host {target}\n"));
    };
    if let Some(e @ Error::NetworkUnreachable { .. }) = report.failure {
        shell.note(e);
        return Output::failed(2, "connect: Network is unreachable\n");
    }
    if until_ctrl_c {
        shell.note(Error::ShellStopped {
            command: format!("`ping {target}`"),
            after: format!("{UNTIL_CTRL_C} echoes"),
            help: format!("give the count to send: `ping -c {UNTIL_CTRL_C} {target}`"),
        });
    }
    let elapsed_ms = (count - 1) * 1000;
    let answered = answered_echoes(shell, &report, target, count);
    if let Err(e) = shell.backend.sleep((count - 1) as f64) {
        return shell.failure("ping", e);
    }
    let from = if target.parse::<std::net::Ipv4Addr>().is_ok() {
        address.to_string()
    } else {
        format!("{target} ({address})")
    };
    let mut text = format!("PING {target} ({address}) 56(84) bytes of data.\n");
    let quiet = args.has('q');
    let mut status = i32::from(!report.reachable);
    let summary = match (&report.failure, report.rtt_ms()) {
        (None, Some(rtt)) => {
            let ttl = 64 - report.path.len().saturating_sub(1).min(63);
            if !quiet {
                for seq in answered
                    .iter()
                    .filter(|(_, back)| *back)
                    .map(|(seq, _)| seq)
                {
                    text.push_str(&format!(
                        "64 bytes from {from}: icmp_seq={seq} ttl={ttl} time={}\n",
                        iputils_ms(rtt)
                    ));
                }
            }
            let received = answered.iter().filter(|(_, back)| *back).count() as u64;
            // iputils 20071127 rounds the loss down to a whole percent.
            let loss = (count - received) * 100 / count;
            let counts = format!(
                "{count} packets transmitted, {received} received, {loss}% packet loss, time {elapsed_ms}ms\n"
            );
            if received == 0 {
                status = 1;
                counts
            } else {
                format!("{counts}rtt min/avg/max/mdev = {rtt:.3}/{rtt:.3}/{rtt:.3}/0.000 ms\n")
            }
        }
        (Some(Error::HostUnreachable { .. }), _) => {
            let gateway = report
                .source_address
                .map_or_else(|| "0.0.0.0".to_string(), |a| a.to_string());
            if !quiet {
                for seq in 1..=count {
                    text.push_str(&format!(
                        "From {gateway} icmp_seq={seq} Destination Host Unreachable\n"
                    ));
                }
            }
            format!("{count} packets transmitted, 0 received, +{count} errors, 100% packet loss, time {elapsed_ms}ms\n")
        }
        _ => format!(
            "{count} packets transmitted, 0 received, 100% packet loss, time {elapsed_ms}ms\n"
        ),
    };
    text.push_str(&format!("\n--- {target} ping statistics ---\n{summary}"));
    if let Some(e) = report.failure {
        shell.note(e);
    }
    Output {
        status,
        stdout: text,
        stderr: String::new(),
    }
}

/// Each echo's sequence number and whether its reply came back, drawn from the run's seed:
/// a degraded switch on the way out or back loses each frame with its `loss`.
fn answered_echoes(
    shell: &Shell,
    report: &crate::world::reach::PingReport,
    target: &str,
    count: u64,
) -> Vec<(u64, bool)> {
    let world = shell.backend.world();
    let kept: f64 = report
        .path
        .iter()
        .chain(&report.reply_path)
        .filter_map(|hop| world.switch_id(&hop.switch))
        .filter_map(|id| world.switch(id).impairment)
        .map(|impairment| 1.0 - impairment.loss)
        .product();
    let now = shell.backend.now().0.to_string();
    let host = world.host(shell.host).name();
    let mut draws = SplitMix64::new(seed_for(shell.backend.seed(), &[host, target, &now]));
    (1..=count).map(|seq| (seq, draws.unit() < kept)).collect()
}

/// An echo's time as iputils prints it: three significant figures (`0.123 ms`, `12.3 ms`).
fn iputils_ms(ms: f64) -> String {
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else if ms >= 1.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.3} ms")
    }
}

/// The NAME of `ifup NAME`: initscripts also take `ifcfg-NAME` and the file's path.
fn config_name(word: &str) -> &str {
    let name = word
        .strip_prefix(SCRIPTS_DIR)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(word);
    name.strip_prefix("ifcfg-").unwrap_or(name)
}

/// `ifup NAME`: silent when the interface comes up, else initscripts' line for what stopped
/// it and status 1. What the file gets wrong reaches the run as from the network restart.
pub fn ifup(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let [word] = args else {
        return Output::failed(1, "Usage: ifup <device name>\n");
    };
    let config = config_name(word);
    let findings = match shell.backend.ifup(shell.host, config) {
        Ok(findings) => findings,
        Err(e @ Error::NoIfcfg { .. }) => {
            shell.note(e);
            return Output::failed(
                1,
                format!(
                    "/sbin/ifup: configuration for {word} not found.\nUsage: ifup <device name>\n"
                ),
            );
        }
        Err(e) => return shell.failure("ifup", e),
    };
    let mut out = Output::default();
    for finding in &findings {
        let line = match &finding.error {
            Error::NoSuchDevice { device, .. } => {
                format!("Device {device} does not seem to be present, delaying initialization.\n")
            }
            Error::HwaddrMismatch { device, .. } => {
                format!("Device {device} has different MAC address than expected, ignoring.\n")
            }
            Error::DuplicateAddress { address, .. } => {
                format!("Error, some other host already uses address {address}.\n")
            }
            Error::NoDhcpServer { device, .. } => {
                out.stdout.push_str(&format!(
                    "\nDetermining IP information for {device}... failed.\n"
                ));
                out.status = 1;
                continue;
            }
            e if finding.severity == Severity::Error => format!("{e}\n"),
            _ => continue,
        };
        out.stderr.push_str(&line);
        out.status = 1;
    }
    shell.warn_all(findings.into_iter().map(|f| f.error));
    out
}

/// `ifdown NAME`: silent; the interface goes down with its addresses and routes.
pub fn ifdown(shell: &mut Shell, args: &[String], _: &str) -> Output {
    let [word] = args else {
        return Output::failed(1, "usage: ifdown <device name>\n");
    };
    match shell.backend.ifdown(shell.host, config_name(word)) {
        Ok(()) => Output::default(),
        Err(e @ Error::NoIfcfg { .. }) => {
            shell.note(e);
            Output::failed(1, "usage: ifdown <device name>\n")
        }
        Err(e) => shell.failure("ifdown", e),
    }
}
