//! `kvmlab calibrate`: the simulator's migrations beside real QEMU's. With `--against FILE`
//! it compares recorded runs (JSON lines, no lab, no root); otherwise it migrates a sweep of
//! points on a `kvmlab up` lab (the `libvirt` build). It prints the comparison and writes
//! `--json` and `--svg` under `--out`. Exit codes: 0 compared, 1 refused or failed, 130
//! interrupted (the points measured so far are still shown).

use crate::up;
use kvmlab_runtime::artifacts::OutputDir;
use kvmlab_runtime::calibration::{self, records, render, Calibration};
use kvmlab_runtime::error::Error;
use std::path::{Path, PathBuf};

#[cfg_attr(not(feature = "libvirt"), allow(dead_code))]
pub struct Request {
    pub against: Option<PathBuf>,
    pub quick: bool,
    pub lab: Option<PathBuf>,
    pub json: Option<String>,
    pub svg: Option<String>,
    pub record: Option<String>,
    pub out: PathBuf,
    pub guest: String,
    pub unicode: bool,
}

const EXIT_INTERRUPTED: i32 = 130;

pub fn run(request: &Request) -> i32 {
    let outcome = match &request.against {
        Some(file) => against(file),
        None => real(request),
    };
    let (calibration, interrupted) = match outcome {
        Ok(done) => done,
        Err(error) => return report(error),
    };
    print!("{}", render::text(&calibration, request.unicode));
    if let Err(error) = write_files(request, &calibration) {
        return report(error);
    }
    match interrupted {
        Some(note) => {
            eprintln!("kvmlab calibrate: {note}");
            EXIT_INTERRUPTED
        }
        None => 0,
    }
}

/// Prints an error as miette renders diagnostics, code and help included.
fn report(error: Box<Error>) -> i32 {
    eprintln!("{:?}", miette::Report::new_boxed(error));
    1
}

type Compared = (Calibration, Option<String>);

fn against(file: &Path) -> Result<Compared, Box<Error>> {
    let shown = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|e| {
        Box::new(Error::CalibrateNoRecords {
            file: shown.clone(),
            reason: e.to_string(),
        })
    })?;
    let runs = records::parse(&text, &shown)?;
    let calibration = calibration::compare(format!("records {shown}"), runs)?;
    Ok((calibration, None))
}

fn write_files(request: &Request, calibration: &Calibration) -> Result<(), Box<Error>> {
    let mut out = OutputDir::new(request.out.clone());
    if let Some(name) = &request.json {
        let path = out.write(name, render::json(calibration).as_bytes())?;
        println!("wrote {}", path.display());
    }
    if let Some(name) = &request.svg {
        let svg = render::svg(calibration).map_err(|reason| {
            Box::new(Error::Artifact {
                path: name.clone(),
                reason,
            })
        })?;
        let path = out.write(name, svg.as_bytes())?;
        println!("wrote {}", path.display());
    }
    if let Some(name) = &request.record {
        let lines: String = calibration
            .rows
            .iter()
            .map(|row| records::to_line(row.source.as_deref(), &row.point, &row.real) + "\n")
            .collect();
        let path = out.write(name, lines.as_bytes())?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// The real lab `--lab DIR` names (default: `kvmlab up`'s own folder), from its lab.toml.
#[cfg_attr(not(feature = "libvirt"), allow(dead_code))]
fn real_lab(dir: Option<PathBuf>) -> Result<calibration::RealLab, Box<Error>> {
    let dir = up::state_dir(dir);
    let path = dir.join("lab.toml");
    let shown = dir.display().to_string();
    let Some(file) = up::lab_file::LabFile::read(&path, &dir)? else {
        return Err(Box::new(Error::CalibrateNoLab {
            dir: shown,
            lab_file: path.display().to_string(),
        }));
    };
    let incomplete = |what: &str| {
        Box::new(Error::CalibrateIncompleteLab {
            dir: shown.clone(),
            what: what.into(),
        })
    };
    let host = |name: &str| {
        let entry = file.hosts.iter().find(|h| h.name == name);
        entry
            .map(|h| calibration::RealHost {
                name: h.name.clone(),
                uri: h.socket_uri.clone(),
                // The host's address, no port: its libvirtd takes a free one from its
                // migration range (lab.toml's `migration_ports`), so other migrations on the
                // lab at the same time do not collide with this one.
                migration_uri: h.migration_uri.clone(),
            })
            .ok_or_else(|| incomplete(&format!("host {name}")))
    };
    let images = file
        .images
        .as_ref()
        .ok_or_else(|| incomplete("workload kernel (its lab.toml names no guest images)"))?;
    Ok(calibration::RealLab {
        dir: dir.clone(),
        source: host("sv1")?,
        destination: host("sv2")?,
        workload_kernel: images.workload_kernel.clone(),
        domain_type: images.workload_domain_type.clone(),
    })
}

#[cfg(not(feature = "libvirt"))]
fn real(_: &Request) -> Result<Compared, Box<Error>> {
    Err(Box::new(Error::LibvirtNotBuilt))
}

#[cfg(feature = "libvirt")]
fn real(request: &Request) -> Result<Compared, Box<Error>> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let lab = real_lab(request.lab.clone())?;
    let points = if request.quick {
        calibration::sweep::quick()
    } else {
        calibration::sweep::full()
    };
    let interrupt = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupt);
    // Ctrl-C cancels the migration under way (the guest stays on its source) and ends the
    // sweep; the points measured so far are still compared.
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::Relaxed));
    eprintln!(
        "kvmlab calibrate: {} point(s) on {} → {}, guest `{}` ({}), about {:.0} min",
        points.len(),
        lab.source.name,
        lab.destination.name,
        request.guest,
        lab.domain_type,
        calibration::sweep::expected_seconds(&points) / 60.0
    );
    let total = points.len();
    let mut shown = |index: usize, point: &calibration::Point, real: &calibration::Figures| {
        eprintln!(
            "  {}/{total} {}: {} in {:.3} s",
            index + 1,
            point.label(),
            real.status.name(),
            real.total_time_s
        );
    };
    let measured =
        calibration::real::measure(&lab, &points, &request.guest, &interrupt, &mut shown)?;
    let note = (measured.len() < total).then(|| {
        format!(
            "interrupted: {} of {total} point(s) measured",
            measured.len()
        )
    });
    let calibration = calibration::compare(format!("lab {}", lab.dir.display()), measured)?;
    Ok((calibration, note))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// lab.toml as `kvmlab up` writes it, with the images or without.
    fn lab_toml(dir: &Path, images: bool) -> String {
        let mut text = String::from("netns = \"kvmlab\"\nacceleration = \"kvm\"\n");
        for (name, address) in [("sv1", "10.20.0.2"), ("sv2", "10.20.0.3")] {
            text.push_str(&format!(
                "[[hosts]]\nname = \"{name}\"\nuri = \"qemu+tcp://{address}:16509/system\"\nsocket_uri = \"qemu+unix:///system?socket={d}/{name}/run/libvirt-sock\"\nnetns = \"kvmlab-{name}\"\naddress = \"{address}\"\nlink = \"kv-{name}\"\nmigration_uri = \"tcp://{address}\"\nhost_uuid = \"6b766d6c-6162-4001-8000-00000000000{}\"\nmigration_ports = [49152, 49167]\npid_file = \"{d}/{name}/libvirtd.pid\"\nlog = \"{d}/{name}/libvirtd.log\"\n",
                &name[2..],
                d = dir.display()
            ));
        }
        text.push_str("[nas]\nuri = \"iscsi://10.20.0.1:3260/iqn.2006-01.com.thecus:iscsi1/1\"\nportal = \"10.20.0.1:3260\"\niqn = \"iqn.2006-01.com.thecus:iscsi1\"\nlun_file = \"l\"\nlun_bytes = 1\npid_file = \"p\"\ncontrol_socket = \"c\"\nlog = \"g\"\n");
        if images {
            text.push_str("[images]\nworkload_kernel = \"/lab/images/workload.elf\"\nworkload_domain_type = \"qemu\"\nlinux_domain_type = \"qemu\"\n");
        }
        text
    }

    #[test]
    fn a_lab_is_read_from_its_lab_toml() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("lab.toml"), lab_toml(dir.path(), true)).unwrap();
        let lab = real_lab(Some(dir.path().to_path_buf())).unwrap();
        assert_eq!(lab.source.name, "sv1");
        assert_eq!(
            lab.destination.uri,
            format!(
                "qemu+unix:///system?socket={}/sv2/run/libvirt-sock",
                dir.path().display()
            )
        );
        assert_eq!(lab.destination.migration_uri, "tcp://10.20.0.3");
        assert_eq!(
            lab.workload_kernel,
            PathBuf::from("/lab/images/workload.elf")
        );
        assert_eq!(lab.domain_type, "qemu");
    }

    #[test]
    fn a_lab_without_the_workload_kernel_is_incomplete() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("lab.toml"), lab_toml(dir.path(), false)).unwrap();
        let error = real_lab(Some(dir.path().to_path_buf())).unwrap_err();
        assert_eq!(error.code_str(), "kvmlab::calibrate::incomplete_lab");
        assert!(error
            .to_string()
            .contains("has no workload kernel (its lab.toml names no guest images)"));
        let shown = dir.path().display();
        assert_eq!(
            error.help_str().unwrap(),
            format!("take the lab down and bring it up again with this kvmlab, which builds the workload kernel: `kvmlab down --dir {shown}`, then `kvmlab up --dir {shown}`")
        );
    }

    #[test]
    fn a_folder_without_lab_toml_is_no_lab() {
        let dir = tempfile::tempdir().unwrap();
        let error = real_lab(Some(dir.path().to_path_buf())).unwrap_err();
        assert_eq!(error.code_str(), "kvmlab::calibrate::no_lab");
        let shown = dir.path().display();
        assert_eq!(
            error.to_string(),
            format!("no lab is up at {shown}: `{shown}/lab.toml` does not exist")
        );
        assert_eq!(
            error.help_str().unwrap(),
            format!("run `kvmlab up` first (`kvmlab up --dir {shown}`), or name the folder of a lab that is up with `--lab`")
        );
    }
}
