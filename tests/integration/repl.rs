//! `kvmlab repl` through a pipe: transcripts typed line by line into the real binary, their
//! values, diagnostics against the typed text, the commands and the exit status.

use crate::harness::{kvmlab, repo_root, unwrapped};
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

pub struct Transcript {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Types `input` into `kvmlab repl ARGS` run in `dir`.
pub fn repl_in(dir: &Path, args: &[&str], input: &str) -> Transcript {
    let mut child = kvmlab()
        .arg("repl")
        .args(args)
        .current_dir(dir)
        .env("KVMLAB_HISTORY", dir.join("history.txt"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kvmlab starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Transcript {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn repl(input: &str) -> Transcript {
    let dir = tempfile::tempdir().unwrap();
    repl_in(dir.path(), &[], input)
}

/// Two report hosts and a guest `g` on sv1's local pool, installed and running.
pub fn migration_lab_setup() -> &'static str {
    "import \"kvmlab/hosts\" as hosts;
let lab = hosts::build();
let sv1 = lab.sv1; let sv2 = lab.sv2;
sv1.store_file(\"/guest/iso/CentOS-5.6-i386-bin-DVD.iso\", size(\"3.9G\"));
let local = sv1.define_pool(#{name: \"guest\", type: \"dir\", target: \"/guest\"});
let vol = local.create_volume(#{name: \"g.img\", capacity: \"20G\", allocation: 0});
let g = sv1.define_guest(#{name: \"g\", memory: \"512M\", iso: \"/guest/iso/CentOS-5.6-i386-bin-DVD.iso\",
    disk: vol, network: #{bridge: \"br0\", address: \"192.168.1.20/24\"}, cache: \"none\"});
g.install();
"
}

const HOST: &str =
    "import \"kvmlab/report\" as report;\nlet sv1 = host(\"sv1\", report::server_spec());\n";

#[test]
fn values_print_as_rhai_shows_them() {
    let t = repl("let x = 40;\nx + 2\n\"sv1\"\n1.5 * 2\n[1, \"a\"]\n");
    // Floats are rounded for people (`kvmlab_runtime::script::show`).
    assert_eq!(t.stdout, "=> 42\n=> \"sv1\"\n=> 3\n=> [1, \"a\"]\n");
    assert_eq!((t.status, t.stderr.as_str()), (0, ""));
}

#[test]
fn a_function_typed_over_several_lines_is_kept() {
    let t = repl("fn twice(n) {\n  let doubled = n * 2;\n  doubled\n}\ntwice(21)\nlet a = [1,\n  2];\na.len()\n");
    assert_eq!(t.stdout, "=> 42\n=> 2\n");
    assert_eq!(t.status, 0, "{}", t.stderr);
}

#[test]
fn an_error_points_under_the_typed_line_and_the_session_goes_on() {
    let t = repl(&format!(
        "{HOST}sv1.cores\nlet y = 1;\nsv1.no_such();\nsv1.cores\n"
    ));
    assert_eq!(t.status, 1, "a failed input fails the transcript");
    assert_eq!(t.stdout, "=> 4\n=> 4\n");
    assert!(
        t.stderr.contains("kvmlab::script::unknown_function"),
        "{}",
        t.stderr
    );
    assert!(t.stderr.contains("[<input 5>:1:5]"), "{}", t.stderr);
    let caret = t
        .stderr
        .lines()
        .skip_while(|l| !l.contains("1 | sv1.no_such();"));
    assert!(
        caret.clone().nth(1).is_some_and(|l| l.contains("^")),
        "{}",
        t.stderr
    );
}

#[test]
fn a_warning_shows_its_help_at_the_typed_line() {
    let t = repl(
        "import \"kvmlab/hosts\" as hosts;\nlet sv1 = hosts::build().sv1;\n\
         sv1.set_vars(\"/etc/sysconfig/network-scripts/ifcfg-eth1\", #{GATEWAY: \"192.168.1.1\"});\n\
         sv1.service(\"network\").restart();\n",
    );
    assert_eq!(t.status, 0, "a warning is not a failure: {}", t.stderr);
    assert!(
        t.stderr.contains("kvmlab::net::gateway_off_link"),
        "{}",
        t.stderr
    );
    assert!(t.stderr.contains("[<input 4>:1:"), "{}", t.stderr);
}

#[test]
fn a_failed_check_fails_the_transcript() {
    let t = repl("check(1 == 2, \"one is two\");\n");
    assert_eq!(t.status, 1);
    assert!(t.stdout.starts_with("FAIL one is two: "), "{}", t.stdout);
}

#[test]
fn an_input_still_open_at_the_end_is_reported() {
    let t = repl("fn f() {\n  1\n");
    assert_eq!(t.status, 1);
    assert!(t.stderr.contains("kvmlab::script::syntax"), "{}", t.stderr);
}

#[test]
fn save_writes_the_inputs_that_succeeded_as_a_lab_that_runs() {
    let dir = tempfile::tempdir().unwrap();
    let input = format!(
        "{HOST}sv1.cores\nsv1.nope();\nstep(\"cores\");\ncheck_eq(sv1.cores, 4, \"four cores\");\n\
         sleep(30) // half a minute\n:save lab.rhai\n:save lab.rhai\n:save! lab.rhai\n"
    );
    let t = repl_in(dir.path(), &[], &input);
    assert_eq!(t.status, 1, "the failed input and the refused save");
    assert!(
        t.stderr
            .contains("`lab.rhai` exists; `:save! lab.rhai` replaces it"),
        "{}",
        t.stderr
    );
    assert_eq!(
        t.stdout.matches("saved 7 line(s) to lab.rhai").count(),
        2,
        "{}",
        t.stdout
    );
    let saved = std::fs::read_to_string(dir.path().join("lab.rhai")).unwrap();
    assert!(!saved.contains("nope"), "{saved}");
    let run = kvmlab()
        .args(["run", "lab.rhai"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{saved}\n{stdout}");
    assert!(
        stdout.contains("PASS: all 1 checks passed; lab time 30.000 s"),
        "{stdout}"
    );
}

#[test]
fn reset_forgets_the_world_and_the_variables() {
    let t = repl(&format!("{HOST}sleep(60);\n:reset\n:time\nsv1\n"));
    assert_eq!(t.status, 1);
    assert!(t.stdout.contains("a fresh lab"), "{}", t.stdout);
    assert!(
        t.stdout.contains("lab time: 0 s (0 s)\nnothing running"),
        "{}",
        t.stdout
    );
    assert!(
        t.stderr.contains("kvmlab::script::unknown_variable"),
        "{}",
        t.stderr
    );
}

#[test]
fn load_runs_a_file_into_the_session() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("helpers.rhai"),
        format!("{HOST}fn cores(h) {{ h.cores }}\nprint(\"loaded\");\n"),
    )
    .unwrap();
    let t = repl_in(
        dir.path(),
        &[],
        ":load helpers.rhai\ncores(sv1)\n:load missing.rhai\n",
    );
    assert_eq!(t.stdout, "loaded\n=> 4\n");
    assert_eq!(t.status, 1, "the missing file");
    assert!(
        t.stderr.contains("kvmlab::script::unreadable"),
        "{}",
        t.stderr
    );
}

#[test]
fn time_shows_the_lab_time() {
    let t = repl(":time\nsleep(125);\n:time\n");
    assert_eq!(
        t.stdout,
        "lab time: 0 s (0 s)\nnothing running\nlab time: 125 s (2.1 min)\nnothing running\n"
    );
    assert_eq!(t.status, 0);
}

#[test]
fn world_shows_the_lab_and_values_show_as_tables() {
    let t = repl("import \"kvmlab/hosts\" as hosts;\nlet lab = hosts::build();\nlab.sv1\n:world\n");
    assert_eq!(t.status, 0, "{}", t.stderr);
    assert!(
        t.stdout.starts_with("=>\n+---"),
        "a host is a table: {}",
        t.stdout
    );
    assert!(
        t.stdout.contains("| br0 192.168.1.11/24 up NET1 |"),
        "{}",
        t.stdout
    );
    for section in ["\nhosts\n", "\nnetworks\n", "| NET2    | 10.10.0.0/16"] {
        assert!(t.stdout.contains(section), "{section}: {}", t.stdout);
    }
}

#[test]
fn help_lists_the_commands_and_describes_a_name_as_kvmlab_doc_does() {
    let t = repl(":help\n:help sleep\n:help slep\n:frobnicate\n");
    for command in [
        ":help",
        ":time",
        ":reset",
        ":load FILE",
        ":save FILE",
        ":quit",
    ] {
        assert!(t.stdout.contains(command), "{command}: {}", t.stdout);
    }
    let doc = kvmlab().args(["doc", "sleep"]).output().unwrap();
    assert!(t.stdout.contains(&*String::from_utf8_lossy(&doc.stdout)));
    assert!(t.stderr.contains("did you mean `sleep`?"), "{}", t.stderr);
    assert!(
        t.stderr.contains("`:frobnicate` is not a command"),
        "{}",
        t.stderr
    );
    assert_eq!(t.status, 1);
}

#[test]
fn quit_ends_the_session() {
    let t = repl("1\n:quit\n2\n");
    assert_eq!((t.status, t.stdout.as_str()), (0, "=> 1\n"));
}

#[test]
fn a_file_given_runs_first_and_leaves_its_world() {
    let lab = repo_root().join("labs/01-hosts-and-network.rhai");
    let t = repl_in(
        repo_root(),
        &[lab.to_str().unwrap()],
        "sv1.ping(\"sv2\").reachable\nover_net1.address\n",
    );
    assert_eq!(t.status, 0, "{}", t.stderr);
    assert!(
        t.stdout.ends_with("=> true\n=> \"192.168.1.12\"\n"),
        "{}",
        t.stdout
    );
}

#[test]
fn the_report_lab_loads_whole_and_saves_its_files_where_run_saves_them() {
    let dir = tempfile::tempdir().unwrap();
    let lab = repo_root().join("labs/live-migration.rhai");
    let t = repl_in(
        dir.path(),
        &[lab.to_str().unwrap(), "--out", "console-out"],
        "lab().migrations.len()\n",
    );
    assert_eq!(t.status, 0, "{}", t.stderr);
    assert!(t.stdout.ends_with("=> 24\n"), "{}", t.stdout);
    let ran = kvmlab()
        .args(["run", "--out"])
        .arg(dir.path().join("run-out"))
        .arg(&lab)
        .output()
        .unwrap();
    assert!(ran.status.success());
    for file in ["report-vs-kvmlab.txt", "centos-nz2.xml", "ftp-rate.svg"] {
        let console = std::fs::read(dir.path().join("console-out").join(file)).unwrap();
        let run = std::fs::read(dir.path().join("run-out").join(file)).unwrap();
        assert!(
            console == run,
            "{file} differs between the console and kvmlab run"
        );
    }
}

/// The checks `kvmlab run` passes on a lab, to compare with the console's.
pub(crate) fn passed_by_run(lab: &Path) -> u64 {
    let out = kvmlab()
        .args(["run", "--report", "json", "--out"])
        .arg(tempfile::tempdir().unwrap().path())
        .arg(lab)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report["passed"].as_u64().unwrap()
}

#[test]
fn the_reports_sections_2_2_to_2_4_typed_line_by_line() {
    // §2.1–2.2 (hosts, bridges, /etc/hosts) then §2.3–2.4 (the NAS, iSCSI), one session each
    // as a trainee types the labs: statement by statement, multi-line ones as they come.
    for lab in [
        "labs/01-hosts-and-network.rhai",
        "labs/02-nas-and-iscsi.rhai",
    ] {
        let path = repo_root().join(lab);
        let text = std::fs::read_to_string(&path).unwrap();
        let t = repl_in(repo_root(), &[], &text);
        assert_eq!(t.status, 0, "{lab}: {}", t.stderr);
        assert!(!t.stdout.contains("FAIL"), "{lab}: {}", t.stdout);
        let passed = t.stdout.lines().filter(|l| l.starts_with("PASS ")).count() as u64;
        assert_eq!(passed, passed_by_run(&path), "{lab}: {}", t.stdout);
        assert!(passed >= 30, "{lab}: {passed} checks");
    }
    let t = repl_in(
        repo_root(),
        &[],
        "import \"kvmlab/hosts\" as hosts;\nlet lab = hosts::build();\nlab.sv1.ping(\"sv2\").reachable\n",
    );
    assert_eq!(t.stdout, "=> true\n", "{}", t.stderr);
}

#[test]
fn the_books_recorded_session_is_what_the_console_prints() {
    let chapter = std::fs::read_to_string(repo_root().join("book/src/console.md")).unwrap();
    let session = chapter.split("## A session").nth(1).unwrap();
    let blocks: Vec<&str> = session
        .split("```text\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    let (typed, answer) = (blocks[0], blocks[1]);
    let dir = tempfile::tempdir().unwrap();
    let both = std::fs::File::create(dir.path().join("both.txt")).unwrap();
    let mut child = kvmlab()
        .arg("repl")
        .current_dir(dir.path())
        .env("KVMLAB_HISTORY", dir.path().join("history.txt"))
        .stdin(Stdio::piped())
        .stdout(both.try_clone().unwrap())
        .stderr(both)
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(typed.as_bytes())
        .unwrap();
    assert_eq!(
        child.wait().unwrap().code(),
        Some(1),
        "the session has a mistake"
    );
    let printed = std::fs::read_to_string(dir.path().join("both.txt")).unwrap();
    assert_eq!(printed, answer);
    let run = kvmlab()
        .args(["run", "hosts.rhai"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "the saved session runs");
}

/// The console on a pseudo-terminal of the test's own: what a trainee's keys do.
mod terminal {
    use crate::harness::kvmlab;
    use std::io::{Read, Write};
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::process::{Child, Stdio};
    use std::time::{Duration, Instant};

    struct Terminal {
        master: std::fs::File,
        child: Child,
        seen: String,
    }

    impl Terminal {
        fn start(history: &std::path::Path) -> Terminal {
            Terminal::start_with(history, &[])
        }

        fn start_with(history: &std::path::Path, args: &[&std::path::Path]) -> Terminal {
            let (mut master, mut slave) = (0, 0);
            // SAFETY: openpty writes two descriptors into the integers it is given.
            let opened = unsafe {
                libc::openpty(
                    &mut master,
                    &mut slave,
                    std::ptr::null_mut(),
                    std::ptr::null(),
                    std::ptr::null(),
                )
            };
            assert_eq!(opened, 0, "a pseudo-terminal");
            // SAFETY: both descriptors are fresh and owned here.
            let (master, slave) =
                unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
            let mut command = kvmlab();
            command
                .arg("repl")
                .args(args)
                .env("KVMLAB_HISTORY", history)
                .env("TERM", "xterm")
                .stdin(Stdio::from(slave.try_clone().unwrap()))
                .stdout(Stdio::from(slave.try_clone().unwrap()))
                .stderr(Stdio::from(slave));
            // SAFETY: setsid and TIOCSCTTY in the child before exec, so the pty is its
            // controlling terminal and Ctrl-C reaches it as SIGINT.
            unsafe {
                use std::os::unix::process::CommandExt;
                command.pre_exec(|| {
                    libc::setsid();
                    libc::ioctl(0, libc::TIOCSCTTY as _, 0);
                    Ok(())
                });
            }
            let child = command.spawn().expect("kvmlab starts");
            let master = std::fs::File::from(master);
            // SAFETY: the descriptor is the master's, open.
            unsafe {
                let flags = libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(&master), libc::F_GETFL);
                libc::fcntl(
                    std::os::fd::AsRawFd::as_raw_fd(&master),
                    libc::F_SETFL,
                    flags | libc::O_NONBLOCK,
                );
            }
            Terminal {
                master,
                child,
                seen: String::new(),
            }
        }

        fn keys(&mut self, keys: &str) {
            self.master.write_all(keys.as_bytes()).unwrap();
        }

        /// Reads until `text` has been shown (after what earlier waits saw), at most 10 s.
        fn wait_for(&mut self, text: &str) {
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut buffer = [0u8; 4096];
            while !self.seen.contains(text) {
                assert!(
                    Instant::now() < deadline,
                    "never showed {text:?}:\n{}",
                    self.seen
                );
                match self.master.read(&mut buffer) {
                    Ok(n) if n > 0 => self.seen.push_str(&String::from_utf8_lossy(&buffer[..n])),
                    _ => std::thread::sleep(Duration::from_millis(10)),
                }
            }
            let at = self.seen.find(text).unwrap() + text.len();
            self.seen.drain(..at);
        }

        fn quit(mut self) -> i32 {
            self.keys(":quit\r");
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if let Some(status) = self.child.try_wait().unwrap() {
                    return status.code().unwrap_or(-1);
                }
                assert!(Instant::now() < deadline, "the console did not quit");
                // Keep the pty drained so the console never blocks writing.
                let mut buffer = [0u8; 4096];
                let _ = self.master.read(&mut buffer);
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }

    #[test]
    fn multi_line_input_ctrl_c_and_history_on_a_terminal() {
        let dir = tempfile::tempdir().unwrap();
        let history = dir.path().join("history.txt");
        let mut t = Terminal::start(&history);
        t.wait_for("kvmlab> ");
        t.keys("fn twice(n) {\r  n * 2\r}\r");
        t.wait_for("kvmlab> ");
        t.keys("twice(21)\r");
        t.wait_for("=> 42");
        // Ctrl-C while typing drops the line; while running, stops the input.
        t.keys("let lost = 1\x03");
        t.wait_for("kvmlab> ");
        // The editor drops what was typed ahead of its Ctrl-C: let it settle first.
        std::thread::sleep(Duration::from_millis(300));
        t.keys("let i = 0; while true { i += 1; }\r");
        std::thread::sleep(Duration::from_millis(300));
        t.keys("\x03");
        t.wait_for("kvmlab::console::interrupted");
        t.wait_for("kvmlab> ");
        std::thread::sleep(Duration::from_millis(300));
        t.keys("i > 0\r");
        t.wait_for("=> true");
        assert_eq!(t.quit(), 0);
        let kept = std::fs::read_to_string(&history).unwrap();
        assert!(kept.contains("twice(21)"), "{kept}");
        assert!(!kept.contains("lost"), "{kept}");
        assert!(kept.trim_end().ends_with("i > 0\n:quit"), "{kept}");
        // The next session starts with it: Up twice brings back the line before `:quit`.
        let mut again = Terminal::start(&history);
        again.wait_for("kvmlab> ");
        again.keys("\x1b[A");
        again.wait_for(":quit");
        again.keys("\x1b[A");
        again.wait_for("i > 0");
        again.keys("\x03");
        again.wait_for("kvmlab> ");
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(again.quit(), 0);
    }

    #[test]
    fn a_walk_of_lab_01_shows_the_step_in_the_prompt_and_enter_runs_each_step() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = Terminal::start(&dir.path().join("history.txt"));
        t.wait_for("kvmlab> ");
        let lab = crate::harness::repo_root().join("labs/01-hosts-and-network.rhai");
        t.keys(&format!(":step {}\r", lab.display()));
        t.wait_for("step 1/10: The hardware (Table 1)");
        t.wait_for("step 1/10> ");
        t.keys("\r");
        t.wait_for("step 1/10 done: 2 check(s) passed");
        t.wait_for("step 2/10> ");
        t.keys("\r");
        t.wait_for("step 2/10 done: 4 check(s) passed");
        t.wait_for("step 3/10> ");
        t.keys(":step stop\r");
        t.wait_for("left the walk");
        t.wait_for("kvmlab> ");
        t.keys("sv1.kvm_usable\r");
        t.wait_for("=> true");
        assert_eq!(t.quit(), 0);
    }

    #[test]
    fn tab_completes_a_hosts_methods_and_ctrl_c_stops_a_migration_that_never_converges() {
        let dir = tempfile::tempdir().unwrap();
        let lab = dir.path().join("guest.rhai");
        let setup = format!(
            "{}g.workload(#{{used: \"410M\", wss: \"256M\", dirty_rate: \"20M/s\"}});\n",
            super::migration_lab_setup()
        );
        std::fs::write(&lab, setup).unwrap();
        let mut t = Terminal::start_with(&dir.path().join("history.txt"), &[&lab]);
        t.wait_for("kvmlab> ");
        t.keys("sv1.pin\t");
        // The completion opens the call; the hint names its parameters.
        t.wait_for("sv1.ping(");
        t.wait_for("ping(host: Host, target: String) -> PingResult");
        t.keys("\"sv2\").reachable\r");
        t.wait_for("=> true");
        t.wait_for("kvmlab> ");
        // Each attempt gives up after an hour of lab time; the loop tries again forever.
        t.keys("while true { try { g.migrate(sv2, #{unsafe: true}); } catch (e) {} }\r");
        std::thread::sleep(Duration::from_millis(500));
        t.keys("\x03");
        t.wait_for("kvmlab::console::interrupted");
        t.wait_for("kvmlab> ");
        std::thread::sleep(Duration::from_millis(300));
        t.keys("g.host.name\r");
        t.wait_for("=> \"sv1\"");
        assert_eq!(t.quit(), 0);
    }
}

#[test]
fn help_runs_the_example_in_a_lab_of_its_own() {
    let t = repl(&format!(
        "{HOST}sleep(5);\n:time\n:help migrate\n:help Host.routes\n:time\nis_def_var(\"vm\")\nsv1.cores\n"
    ));
    let migrate = "```rhai
let r = vm.migrate(sv2, #{profile: \"qemu-kvm-0.12\"});
check_eq(r.status, \"completed\", \"it completed\");
```

The example, run in a lab of its own:
  PASS it completed
";
    assert!(t.stdout.contains(migrate), "{}", t.stdout);
    let routes = "```rhai
print(sv1.routes().text);
```

The example, run in a lab of its own:
  default via 192.168.1.1 dev br0
  10.10.1.0/24 dev eth1 proto kernel scope link src 10.10.1.11
  192.168.1.0/24 dev br0 proto kernel scope link src 192.168.1.11
";
    assert!(t.stdout.contains(routes), "{}", t.stdout);
    // The trainee's lab is as it was: its time, its variables, its one bare host.
    let clock = "lab time: 5 s (5 s)\nnothing running\n";
    assert!(t.stdout.starts_with(clock), "{}", t.stdout);
    assert!(
        t.stdout.ends_with(&format!("{clock}=> false\n=> 4\n")),
        "{}",
        t.stdout
    );
    assert_eq!((t.status, t.stderr.as_str()), (0, ""));
}

/// `:checkpoint` keeps the lab with the variables, `:restore` puts both back (a guest
/// migrated after it is on sv1 again, a variable made after it is gone), and `:save` after a
/// restore writes the inputs up to the checkpoint.
#[test]
fn checkpoint_and_restore_put_back_the_lab_and_the_variables() {
    let dir = tempfile::tempdir().unwrap();
    let input = format!(
        "{}:checkpoint installed\n:checkpoint\n\
         sv2.define_pool(#{{name: \"guest\", type: \"dir\", target: \"/guest\"}});\n\
         g.migrate(sv2, #{{copy_storage: true}});\nlet later = 1;\ng.host.name\n\
         :restore installed\n\
         g.host.name\nlater\n:restore nothing\n:save lab.rhai\n:reset\n:restore installed\n",
        migration_lab_setup()
    );
    let t = repl_in(dir.path(), &[], &input);
    assert_eq!(t.status, 1, "the unknown variable, the unknown checkpoints");
    let kept = "checkpoint `installed`: the lab at 5.5 min, 6 variable(s)\n";
    assert!(t.stdout.contains(kept), "{}", t.stdout);
    assert!(
        t.stdout
            .contains("  installed            the lab at 5.5 min\n"),
        "{}",
        t.stdout
    );
    let back = "back to checkpoint `installed`: the lab at 5.5 min, 6 variable(s) as they were\n";
    let after_restore = t
        .stdout
        .split(back)
        .nth(1)
        .unwrap_or_else(|| panic!("{}", t.stdout));
    assert!(t.stdout.contains("=> \"sv2\"\n"), "{}", t.stdout);
    assert!(after_restore.starts_with("=> \"sv1\"\n"), "{after_restore}");
    assert!(
        t.stderr.contains("kvmlab::script::unknown_variable"),
        "{}",
        t.stderr
    );
    assert!(
        t.stderr.contains("kvmlab repl: no checkpoint `nothing` (taken: installed) [kvmlab::checkpoint::unknown]\n  help: `:checkpoint NAME` takes one, `:checkpoint` lists them; a :reset drops them with the lab\n"),
        "{}",
        t.stderr
    );
    assert!(
        t.stdout.contains("a fresh lab: lab time 0 s, no variables, and the 1 checkpoint(s) of the old lab are gone"),
        "{}",
        t.stdout
    );
    assert!(
        t.stderr
            .contains("no checkpoint `installed` (taken: none yet)"),
        "{}",
        t.stderr
    );
    let saved = std::fs::read_to_string(dir.path().join("lab.rhai")).unwrap();
    assert!(
        !saved.contains("migrate") && !saved.contains("later"),
        "{saved}"
    );
    assert!(saved.contains("g.install();"), "{saved}");
}

#[test]
fn a_checkpoint_file_loads_the_labs_state_and_its_variables_or_says_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let made = kvmlab()
        .current_dir(dir.path())
        .args(["checkpoint"])
        .arg(repo_root().join("labs/live-migration.rhai"))
        .args(["--step", "4", "--out", "."])
        .output()
        .unwrap();
    assert_eq!(made.status.code(), Some(0), "{made:?}");
    let file = "live-migration-before-step-4.checkpoint.toml";
    let t = repl_in(
        dir.path(),
        &[],
        &format!(":load {file}\nlab().guests.len()\ng.host.name\nclock()\n"),
    );
    assert_eq!(t.status, 0, "{}", t.stderr);
    assert!(
        t.stdout.ends_with("=> 1\n=> \"sv1\"\n=> 348.8\n"),
        "{}",
        t.stdout
    );
    let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
    std::fs::write(
        dir.path().join(file),
        text.replace("memory: \"512M\"", "memory: \"768M\""),
    )
    .unwrap();
    let t = repl_in(dir.path(), &[], &format!(":load {file}\n"));
    assert_eq!(t.status, 1);
    assert!(
        unwrapped(&t.stderr).contains("kvmlab::checkpoint::diverged x live-migration-before-step-4.checkpoint.toml did not come out as it was made: its setup, live-migration.rhai up to step 4, gives another lab than the one it recorded"),
        "{}",
        t.stderr
    );
}
