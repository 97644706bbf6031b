//! The live progress bar of a long job on real hosts (a migration): what was sent of what
//! there is, what remains, the rate, QEMU's iteration and the auto-converge throttle, from
//! the job's statistics as the backend polls them. Drawn on stderr only when it is a
//! terminal, so piped output and reports stay clean.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kvmlab_runtime::real::job_stats::JobProgress;
use kvmlab_runtime::units::human_size;

/// The bar's line: the bar itself, then [`message`].
const TEMPLATE: &str = "{prefix} [{bar:24}] {msg}";

/// A bar for one kind of job (`prefix`, e.g. "migrate web1 sv1 → sv2"), made on its first
/// reading and closed when a reading says the job is done.
pub struct JobBar {
    prefix: String,
    target: fn() -> ProgressDrawTarget,
    bar: Option<ProgressBar>,
}

impl JobBar {
    /// A bar on stderr, or `None` when stderr is not a terminal.
    pub fn on_terminal(prefix: &str) -> Option<JobBar> {
        std::io::stderr()
            .is_terminal()
            .then(|| JobBar::with_target(prefix, ProgressDrawTarget::stderr))
    }

    fn with_target(prefix: &str, target: fn() -> ProgressDrawTarget) -> JobBar {
        JobBar {
            prefix: prefix.to_string(),
            target,
            bar: None,
        }
    }

    /// Shows one reading.
    pub fn show(&mut self, progress: &JobProgress) {
        if progress.done {
            if let Some(bar) = self.bar.take() {
                bar.finish_and_clear();
            }
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(None, (self.target)());
            if let Ok(style) = ProgressStyle::with_template(TEMPLATE) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(self.prefix.clone());
            bar
        });
        let total = progress.total.unwrap_or(progress.transferred);
        bar.set_length(total.max(progress.transferred));
        bar.set_position(progress.transferred);
        bar.set_message(message(progress));
    }

    /// The bar as a job display (`kvmlab_runtime::libvirt::show_jobs_with`).
    pub fn into_observer(mut self) -> Box<dyn FnMut(&JobProgress) + Send> {
        Box::new(move |progress| self.show(progress))
    }
}

/// The text beside the bar: `1.5 s  100M of 512M, 412M left, 64M/s, iteration 3, throttle
/// 30%`; a figure libvirt did not give is left out.
pub fn message(progress: &JobProgress) -> String {
    let mut parts = Vec::new();
    let sent = match progress.total {
        Some(total) => format!(
            "{} of {}",
            human_size(progress.transferred),
            human_size(total)
        ),
        None => format!("{} sent", human_size(progress.transferred)),
    };
    parts.push(sent);
    if let Some(remaining) = progress.remaining {
        parts.push(format!("{} left", human_size(remaining)));
    }
    if progress.rate_bps > 0 {
        parts.push(format!("{}/s", human_size(progress.rate_bps)));
    }
    if progress.iteration > 0 {
        parts.push(format!("iteration {}", progress.iteration));
    }
    if progress.throttle_pct > 0 {
        parts.push(format!("throttle {}%", progress.throttle_pct));
    }
    format!(
        "{:.1} s  {}",
        progress.elapsed_ms as f64 / 1000.0,
        parts.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    fn reading() -> JobProgress {
        JobProgress {
            elapsed_ms: 1500,
            transferred: 100 * MIB,
            total: Some(512 * MIB),
            remaining: Some(412 * MIB),
            rate_bps: 64 * MIB,
            iteration: 3,
            throttle_pct: 30,
            dirty_pages_per_s: 4096,
            done: false,
        }
    }

    #[test]
    fn the_message_shows_every_figure_libvirt_gave() {
        assert_eq!(
            message(&reading()),
            "1.5 s  100M of 512M, 412M left, 64M/s, iteration 3, throttle 30%"
        );
        let bare = JobProgress {
            elapsed_ms: 200,
            transferred: 4096,
            ..JobProgress::default()
        };
        assert_eq!(message(&bare), "0.2 s  4.0K sent");
    }

    #[test]
    fn the_bar_follows_the_readings_and_closes_when_done() {
        let mut bar = JobBar::with_target("migrate b-mig", ProgressDrawTarget::hidden);
        bar.show(&reading());
        let drawn = bar.bar.as_ref().expect("the first reading makes the bar");
        assert_eq!(
            (drawn.position(), drawn.length()),
            (100 * MIB, Some(512 * MIB))
        );
        assert_eq!(drawn.message(), message(&reading()));
        // QEMU's total grows as the guest dirties pages again.
        bar.show(&JobProgress {
            transferred: 600 * MIB,
            total: Some(520 * MIB),
            ..reading()
        });
        let drawn = bar.bar.as_ref().unwrap();
        assert_eq!(
            (drawn.position(), drawn.length()),
            (600 * MIB, Some(600 * MIB))
        );
        bar.show(&JobProgress {
            done: true,
            ..reading()
        });
        assert!(bar.bar.is_none());
    }

    #[test]
    fn the_observer_drives_its_bar_from_another_thread() {
        let mut observer =
            JobBar::with_target("migrate b-mig", ProgressDrawTarget::hidden).into_observer();
        std::thread::spawn(move || {
            observer(&reading());
            observer(&JobProgress {
                done: true,
                ..reading()
            });
        })
        .join()
        .expect("the observer runs on the job's thread");
    }

    #[test]
    fn no_bar_is_made_off_a_terminal() {
        // The test harness captures stderr: it is not a terminal.
        if !std::io::stderr().is_terminal() {
            assert!(JobBar::on_terminal("migrate").is_none());
        }
    }
}
