//! The guest a real calibration point migrates: the lab's workload kernel booted directly,
//! with no disk and no network (nothing but memory to migrate), told by its command line how
//! much memory to fill and how fast to rewrite its working set, its serial console in a file
//! where it says when it is ready.

use super::{Point, RealLab};
use crate::world::domain_xml::escape;
use std::fmt::Write;
use std::path::Path;

/// What the workload kernel prints on its serial console once its memory is filled.
pub const READY_LINE: &str = "kvmlab-workload ready";

/// The workload kernel's command line for a point: bytes to fill, working set, and the
/// bytes/s of distinct pages to dirty.
pub fn command_line(point: &Point) -> String {
    format!(
        "kvmlab.used={} kvmlab.wss={} kvmlab.rate={}",
        point.used,
        point.wss,
        point.dirty_rate().round() as u64
    )
}

/// The domain XML of the point's guest `name`, its serial console written to `serial`.
pub fn domain_xml(name: &str, point: &Point, lab: &RealLab, serial: &Path) -> String {
    let e = escape;
    let kib = point.memory / 1024;
    let mut x = String::new();
    let _ = writeln!(x, "<domain type='{}'>", e(&lab.domain_type));
    let _ = writeln!(x, "  <name>{}</name>", e(name));
    let _ = writeln!(x, "  <memory unit='KiB'>{kib}</memory>");
    let _ = writeln!(x, "  <currentMemory unit='KiB'>{kib}</currentMemory>");
    let _ = writeln!(x, "  <vcpu placement='static'>1</vcpu>");
    let _ = writeln!(x, "  <os>");
    let _ = writeln!(x, "    <type arch='x86_64' machine='pc'>hvm</type>");
    let _ = writeln!(
        x,
        "    <kernel>{}</kernel>",
        e(&lab.workload_kernel.to_string_lossy())
    );
    let _ = writeln!(x, "    <cmdline>{}</cmdline>", e(&command_line(point)));
    let _ = writeln!(x, "  </os>");
    let _ = writeln!(x, "  <on_poweroff>destroy</on_poweroff>");
    let _ = writeln!(x, "  <on_reboot>destroy</on_reboot>");
    let _ = writeln!(x, "  <on_crash>destroy</on_crash>");
    let _ = writeln!(x, "  <devices>");
    let _ = writeln!(x, "    <serial type='file'>");
    let _ = writeln!(x, "      <source path='{}'/>", e(&serial.to_string_lossy()));
    let _ = writeln!(x, "      <target port='0'/>");
    let _ = writeln!(x, "    </serial>");
    let _ = writeln!(x, "    <memballoon model='none'/>");
    let _ = writeln!(x, "  </devices>");
    let _ = writeln!(x, "</domain>");
    x
}
