//! Checkpoints and `--from`: a lab restored to a checkpoint goes on exactly as if it had
//! never left it, and a lab started at a step reports that step and the rest as the whole
//! run does. Every step of every lab in `labs/`.

use crate::harness::{repo_root, Test};
use serde_json::Value;

/// Each lab in `labs/`: its file name and text.
fn labs() -> Vec<(String, String)> {
    let mut labs: Vec<(String, String)> = std::fs::read_dir(repo_root().join("labs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "rhai"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    labs.sort();
    assert!(labs.len() >= 6, "the labs: {labs:?}");
    labs
}

/// The lab's JSON report, run as `lab.rhai` with `extra` arguments.
fn report(text: &str, extra: &[&str]) -> (String, Value) {
    let mut args = vec!["run", "lab.rhai", "--report", "json"];
    args.extend_from_slice(extra);
    let out = Test::new().script(text).args(&args).run();
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    (out.stdout, report)
}

/// The lines where the lab's top-level steps begin.
fn step_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.starts_with("step("))
        .map(|(i, _)| i)
        .collect()
}

/// Before each top-level step, on the step's own line so no other line moves: a checkpoint,
/// ten minutes of lab time with everything in flight going on, and the restore. The report
/// must come out byte for byte as the lab's own.
#[test]
fn restoring_a_checkpoint_before_any_step_changes_nothing_that_follows() {
    for (name, text) in labs() {
        let (uninterrupted, whole) = report(&text, &[]);
        assert_eq!(whole["failed"], 0, "{name}: {whole:#}");
        let steps = step_lines(&text);
        assert!(!steps.is_empty(), "{name} has no top-level step");
        for (k, at) in steps.iter().enumerate() {
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            lines[*at] = format!(
                "let cp{k} = checkpoint(\"before step {k}\"); sleep(600.0); restore(cp{k}); {}",
                lines[*at]
            );
            let detoured = lines.join("\n") + "\n";
            let (restored, _) = report(&detoured, &[]);
            assert!(
                restored == uninterrupted,
                "{name}: restored before its step at line {} the report differs\n--- restored\n{restored}\n--- uninterrupted\n{uninterrupted}",
                at + 1
            );
        }
    }
}

/// `--from N` for every step N: the steps from N on, their checks and output, the lab time
/// and values as the whole run reports them, and the whole run's diagnostics from there.
#[test]
fn from_each_step_reports_what_the_whole_run_reports_from_there() {
    for (name, text) in labs() {
        let (_, whole) = report(&text, &[]);
        let all_steps = whole["steps"].as_array().unwrap();
        for from in 1..=all_steps.len() {
            let (_, part) = report(&text, &["--from", &from.to_string()]);
            let case = format!("{name} --from {from}");
            assert_eq!(part["from_step"], from, "{case}");
            assert_eq!(
                part["steps"].as_array().unwrap()[..],
                all_steps[from - 1..],
                "{case}"
            );
            let passed: usize = all_steps[from - 1..]
                .iter()
                .flat_map(|s| s["checks"].as_array().unwrap())
                .filter(|c| c["passed"] == true)
                .count();
            assert_eq!(part["passed"], passed, "{case}");
            assert_eq!(part["failed"], 0, "{case}");
            for key in ["clock", "values", "artifacts", "seed", "lab"] {
                assert_eq!(part[key], whole[key], "{case}: {key}");
            }
            let kept = part["diagnostics"].as_array().unwrap();
            let every = whole["diagnostics"].as_array().unwrap();
            assert!(every.ends_with(kept), "{case}: {kept:#?}");
            if from == 1 {
                assert_eq!(kept, every, "{case}");
            }
        }
    }
}

#[test]
fn from_a_step_the_lab_lacks_says_how_many_it_has() {
    let lab = "step(\"one\");\ncheck(true, \"a\");\nstep(\"two\");\ncheck(true, \"b\");\n";
    let out = Test::new()
        .script(lab)
        .args(&["run", "lab.rhai", "--from", "3"])
        .status(2)
        .stderr("kvmlab::run::no_such_step")
        .stderr("the lab has 2 steps; there is no step 3 to start from")
        .stderr("help: `--from N` takes a step's number as `kvmlab run` prints it, 1 to 2")
        .run();
    // The whole run is shown, numbered from 1, so nothing it did is hidden.
    assert!(out.stdout.contains("1. one"), "{}", out.stdout);
    Test::new()
        .script(lab)
        .args(&["run", "lab.rhai", "--from", "0"])
        .status(64)
        .stderr("0 is not in 1..=1000")
        .run();
    let started = Test::new()
        .script(lab)
        .args(&["run", "lab.rhai", "--from", "2"])
        .status(0)
        .stdout("steps 1 to 1 ran to bring the lab to where step 2 starts; they are left out")
        .stdout("2. two")
        .run();
    assert!(!started.stdout.contains("1. one"), "{}", started.stdout);
}

/// A step before N that fails its own checks leaves step N a state that is not the lab's:
/// the run says so, naming the first failed check.
#[test]
fn from_a_step_after_a_failed_one_warns_that_the_state_is_not_the_labs() {
    let lab = "step(\"one\");\ncheck(false, \"the first\");\nstep(\"two\");\ncheck(true, \"b\");\n";
    let out = Test::new()
        .script(lab)
        .args(&["run", "lab.rhai", "--from", "2", "--report", "json"])
        .status(0)
        .run();
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let warning = &report["diagnostics"][0];
    assert_eq!(warning["code"], "kvmlab::run::from_not_reference");
    assert_eq!(
        warning["message"],
        "the steps before step 2 failed 1 check(s) (first: step 1: the first): step 2 starts from a state that is not the lab's own"
    );
    assert_eq!(report["passed"], 1);
}

/// The report's hosts and g on sv1's local /guest, serving files to a client on NET1.
/// 10 lines.
const SERVING: &str = "import \"kvmlab/hosts\" as hosts;
let lab = hosts::build();
let sv1 = lab.sv1; let sv2 = lab.sv2;
sv1.store_file(\"/guest/iso/c.iso\", size(\"3.9G\"));
let local = sv1.define_pool(#{name: \"guest\", type: \"dir\", target: \"/guest\"});
let vol = local.create_volume(#{name: \"g.img\", capacity: \"20G\", allocation: 0});
let g = sv1.define_guest(#{name: \"g\", memory: \"512M\", iso: \"/guest/iso/c.iso\",
    disk: vol, network: #{bridge: \"br0\", address: \"192.168.1.20/24\"}, cache: \"none\"});
g.install();
let c = client(\"c\", #{net: lab.net1, address: \"192.168.1.50/24\"});
";

/// What was in flight at the checkpoint is in flight again after the restore, at the
/// bytes it had, and a fault still to come then comes again.
#[test]
fn a_restore_puts_back_the_download_in_flight_and_the_fault_to_come() {
    let lines = "g.serve_file(\"/f\", size(\"100M\"));
let d = c.download(g, \"/f\");
sleep(2.0);
fault(#{at: clock() + 2000.0, kind: \"unplug\", host: \"sv1\", nic: \"eth0\"});
let cp = checkpoint(\"mid-download\");
let bytes = d.bytes;
sv2.define_pool(#{name: \"guest\", type: \"dir\", target: \"/guest\"});
g.migrate(sv2, #{copy_storage: true});
sleep(2100.0);
record(\"after\", [d.done, sv1.ping(\"192.168.1.12\").reachable, lab().migrations.len(), g.host.name]);
restore(cp);
record(\"restored\", [d.done, d.bytes == bytes, clock() == cp.at, sv1.ping(\"192.168.1.12\").reachable, lab().migrations.len(), g.host.name]);
sleep(2050.0);
record(\"fault again\", sv1.ping(\"192.168.1.12\").reachable);
record(\"checkpoint\", [cp.name, `${cp}`]);
";
    let out = Test::new()
        .script(&format!("{SERVING}{lines}"))
        .json()
        .status(0)
        .run();
    let values = &out.report["values"];
    assert_eq!(values["after"], serde_json::json!([true, false, 1, "sv2"]));
    assert_eq!(
        values["restored"],
        serde_json::json!([false, true, true, true, 0, "sv1"])
    );
    assert_eq!(values["fault again"], false);
    assert_eq!(values["checkpoint"][0], "mid-download");
    let shown = values["checkpoint"][1].as_str().unwrap();
    assert!(
        shown.starts_with("checkpoint `mid-download` at 3"),
        "{shown}"
    );
}

/// A restore that would leave the script holding a guest or a download made after the
/// checkpoint is refused by name, and the lab stays as it was.
#[test]
fn a_restore_past_what_the_script_holds_is_refused_by_name() {
    let lines = "let cp = checkpoint(\"before\");
g.serve_file(\"/f\", size(\"1M\"));
let d = c.download(g, \"/f\");
try { restore(cp) } catch (e) { record(\"after\", [e.code, e.message, e.help, d.bytes >= 0]) }
";
    let out = Test::new()
        .script(&format!("{SERVING}{lines}"))
        .json()
        .status(0)
        .run();
    assert_eq!(
        out.report["values"]["after"],
        serde_json::json!([
            "kvmlab::checkpoint::made_since",
            "cannot restore checkpoint `before`: the script may hold handles to what came after it (a download), which would point at nothing",
            "restore a checkpoint taken after those were made; at the console, :restore has no such limit, as it puts the variables back with the lab",
            true
        ])
    );
}

/// Each checkpoint holds a copy of the whole lab, so a run takes at most 256.
#[test]
fn a_run_takes_at_most_256_checkpoints() {
    Test::new()
        .script("let kept = [];\nfor i in 0..300 {\n    kept.push(checkpoint(`cp ${i}`));\n}\n")
        .status(2)
        .diagnostic("kvmlab::sandbox::too_many", 3)
        .stderr("too many checkpoints")
        .run();
}
