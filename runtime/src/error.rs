//! The one error vocabulary of kvmlab.
//!
//! Every failure a trainee can meet (a script mistake, a sandbox limit, a world rule such as
//! "KVM needs AMD-V enabled") is a variant of [`Error`]. Each variant carries a stable code
//! `kvmlab::area::what`, a message that says what is wrong and a `help:` that says how to fix
//! it. Codes are part of kvmlab's interface: graders and `expect_error` match on them, so a
//! code, once published, never changes meaning.
//!
//! Variants are grouped by area; an area's variants keep to that area's code prefix.

use miette::Diagnostic;
use thiserror::Error;

/// Whether a diagnostic stops the lab (error) or is only reported (warning).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, Error, Diagnostic, PartialEq)]
pub enum Error {
    // ── script: the Rhai text itself ───────────────────────────────────────────────────────
    #[error("syntax error: {message}")]
    #[diagnostic(code(kvmlab::script::syntax), help("{help}"))]
    Syntax { message: String, help: String },

    #[error("`eval` is not available in kvmlab labs")]
    #[diagnostic(
        code(kvmlab::script::eval_disabled),
        help("write the code directly instead of building it as a string; scripts are sandboxed")
    )]
    EvalDisabled,

    #[error("unknown function `{signature}`")]
    #[diagnostic(code(kvmlab::script::unknown_function), help("{help}"))]
    UnknownFunction { signature: String, help: String },

    #[error("unknown property `{property}` on {type_name}")]
    #[diagnostic(code(kvmlab::script::unknown_property), help("{help}"))]
    UnknownProperty {
        property: String,
        type_name: String,
        help: String,
    },

    #[error("unknown method `{method}` with {arguments} argument(s)")]
    #[diagnostic(code(kvmlab::script::unknown_method), help("{help}"))]
    UnknownMethod {
        method: String,
        arguments: usize,
        help: String,
    },

    #[error("unknown variable `{name}`")]
    #[diagnostic(code(kvmlab::script::unknown_variable), help("{help}"))]
    UnknownVariable { name: String, help: String },

    #[error("type mismatch: expected {expected}, found {found}")]
    #[diagnostic(
        code(kvmlab::script::type_mismatch),
        help("convert the value first, e.g. `x.to_string()`, `x.to_int()` or `x.to_float()`")
    )]
    TypeMismatch { expected: String, found: String },

    /// Rhai's "data race": a value locked by the call running on it is used again inside it.
    #[error("{message}")]
    #[diagnostic(code(kvmlab::script::value_in_use), help("{help}"))]
    ValueInUse { message: String, help: String },

    #[error("{message}")]
    #[diagnostic(code(kvmlab::script::index), help("{help}"))]
    Index { message: String, help: String },

    #[error("arithmetic error: {message}")]
    #[diagnostic(
        code(kvmlab::script::arithmetic),
        help("check the operands: division by zero and integer overflow stop the lab")
    )]
    Arithmetic { message: String },

    #[error("{message}")]
    #[diagnostic(
        code(kvmlab::script::thrown),
        help("the script threw this value itself")
    )]
    Thrown { message: String },

    #[error("{message}")]
    #[diagnostic(code(kvmlab::script::runtime), help("{help}"))]
    Runtime { message: String, help: String },

    #[error("the file is not UTF-8 text (invalid byte 0x{byte:02x})")]
    #[diagnostic(
        code(kvmlab::script::not_text),
        help(
            "labs are Rhai source text: save the file as UTF-8, or check you passed the right file"
        )
    )]
    NotText { byte: u8 },

    #[error("cannot read `{path}`: {reason}")]
    #[diagnostic(
        code(kvmlab::script::unreadable),
        help("check the path; labs are run as `kvmlab run labs/NAME.rhai`")
    )]
    Unreadable { path: String, reason: String },

    #[error("`{argument}` of {call} is {value}: it must be a finite number")]
    #[diagnostic(
        code(kvmlab::script::not_finite),
        help("an overflow (e.g. `1.0e308 * 10.0`) or `0.0 / 0.0` made it infinite or NaN: check the arithmetic that computed it")
    )]
    NotFinite {
        argument: String,
        call: String,
        value: String,
    },

    // ── import: module resolution ──────────────────────────────────────────────────────────
    #[error("module `{path}` not found")]
    #[diagnostic(code(kvmlab::import::not_found), help("{help}"))]
    ModuleNotFound { path: String, help: String },

    #[error("import of `{path}` is not allowed: {reason}")]
    #[diagnostic(
        code(kvmlab::import::forbidden),
        help("import a stdlib module (`import \"kvmlab/NAME\"`) or a `.rhai` file beside the lab, by a relative path without `..`")
    )]
    ImportForbidden { path: String, reason: String },

    // ── grade: exercises, rubrics and submissions ──────────────────────────────────────────
    #[error("{nas}'s {level} runs degraded: disk {bay} failed, {out} disk(s) out; it survives {left} more failure(s)")]
    #[diagnostic(
        code(kvmlab::nas::degraded),
        help("replace the disk: `nas.disk({bay}).replace()` rebuilds it from the others in {rebuild}, and the array is whole again")
    )]
    RaidDegraded {
        nas: String,
        level: String,
        bay: usize,
        out: usize,
        left: usize,
        rebuild: String,
    },

    #[error(
        "{nas}'s {level} lost one disk too many: the array and everything on it is gone: {lost}"
    )]
    #[diagnostic(
        code(kvmlab::nas::array_lost),
        help("a lost array comes back only from a backup: build the NAS again (nas(..)), restore the data, and replace failed disks before the next failure does this")
    )]
    RaidArrayLost {
        nas: String,
        level: String,
        lost: String,
    },

    #[error("{operation} refused: {nas}'s RAID array is lost, and its iSCSI targets with it")]
    #[diagnostic(
        code(kvmlab::nas::array_gone),
        help("the NAS has no volume to serve: build it again (nas(..)) and restore its data from a backup")
    )]
    NasArrayLost { nas: String, operation: String },

    #[error("the NAS has no disk {bay}: its bays are 1 to {disks}")]
    #[diagnostic(
        code(kvmlab::nas::no_bay),
        help("disks are numbered by bay as the NAS's UI numbers them, from 1 to {disks}")
    )]
    RaidNoBay { bay: usize, disks: usize },

    #[error("disk {bay} has failed already")]
    #[diagnostic(
        code(kvmlab::nas::disk_failed),
        help("replace it to rebuild the array: `nas.disk({bay}).replace()`")
    )]
    RaidDiskFailed { bay: usize },

    #[error("disk {bay} is {state}: only a failed disk is replaced")]
    #[diagnostic(
        code(kvmlab::nas::disk_not_failed),
        help("pulling a working disk out of a RAID is a failure of its own: `nas.disk({bay}).fail()` first, if that is what the lab needs")
    )]
    RaidDiskNotFailed { bay: usize, state: String },

    #[error("the RAID array is lost, and with it disk {bay}'s place in it")]
    #[diagnostic(
        code(kvmlab::nas::lost_array),
        help("a lost array does not come back by replacing disks: build the NAS again with new disks (nas(..)) and restore the data from a backup")
    )]
    RaidLost { bay: usize },

    #[error("exercise.toml takes its setup from `{lab}`, and setup.rhai is there too")]
    #[diagnostic(
        code(kvmlab::grade::two_setups),
        help("an exercise has one setup: remove setup.rhai to start from the lab's steps, or remove `lab` from [setup] to run setup.rhai")
    )]
    ExerciseTwoSetups { lab: String },

    #[error("exercise.toml: `{lab}` has {steps} steps; there is no step {step} to start before")]
    #[diagnostic(
        code(kvmlab::grade::setup_step),
        help("`before_step` is the number of the step the submission starts at, 1 to {steps}; leave it out to run the whole lab as the setup")
    )]
    ExerciseSetupStep {
        lab: String,
        step: usize,
        steps: usize,
    },

    #[error("the exercise `{exercise}` has no {file}")]
    #[diagnostic(code(kvmlab::grade::missing_file), help("{help}"))]
    ExerciseMissingFile {
        exercise: String,
        file: String,
        help: String,
    },

    #[error("exercise.toml: {message}")]
    #[diagnostic(
        code(kvmlab::grade::exercise_toml),
        help("exercise.toml needs `title`, `summary` and `points`, and may have [limits], [submission] and [setup]; see the instructors' chapter")
    )]
    ExerciseToml { message: String },

    #[error("the rubric is not valid: {message}")]
    #[diagnostic(code(kvmlab::grade::rubric), help("{help}"))]
    Rubric { message: String, help: String },

    #[error("the rubric's items add up to {sum} points, but exercise.toml says {declared}")]
    #[diagnostic(
        code(kvmlab::grade::points_mismatch),
        help("make `points` in exercise.toml the sum of the rubric's items, or change the items' points")
    )]
    PointsMismatch { sum: String, declared: String },

    #[error("the exercise's {script} failed: {message}")]
    #[diagnostic(code(kvmlab::grade::exercise_script), help("{help}"))]
    ExerciseScript {
        script: String,
        message: String,
        help: String,
    },

    #[error("no submission at `{path}`")]
    #[diagnostic(
        code(kvmlab::grade::no_submission),
        help("name a trainee's .rhai file, a trainee's folder, or a folder holding one of those per trainee")
    )]
    NoSubmission { path: String },

    #[error("`{path}` holds no submissions")]
    #[diagnostic(
        code(kvmlab::grade::empty_class),
        help("a class folder holds one `.rhai` file or one folder per trainee, named after the trainee")
    )]
    EmptyClass { path: String },

    #[error("two submissions are named `{student}`: `{first}` and `{second}`")]
    #[diagnostic(
        code(kvmlab::grade::duplicate_student),
        help("each trainee hands in one file or one folder; rename or remove one of them")
    )]
    DuplicateStudent {
        student: String,
        first: String,
        second: String,
    },

    #[error("the submission holds `{file}`, which this exercise does not accept")]
    #[diagnostic(code(kvmlab::grade::file_not_allowed), help("{help}"))]
    FileNotAllowed { file: String, help: String },

    #[error("the submission's `{file}` is {size}, more than the {limit} a submitted file may be")]
    #[diagnostic(
        code(kvmlab::grade::submission_too_large),
        help("a lab script is a few kilobytes: hand in the script, not data it could compute")
    )]
    SubmissionTooLarge {
        file: String,
        size: String,
        limit: String,
    },

    #[error("the submission folder has no `{main}`")]
    #[diagnostic(code(kvmlab::grade::missing_main), help("{help}"))]
    MissingMain { main: String, help: String },

    // ── sandbox: limits that protect graders and trainees from runaway scripts ─────────────
    #[error("operation budget exceeded ({limit} operations): an endless loop?")]
    #[diagnostic(
        code(kvmlab::sandbox::operations),
        help("check the loop's exit condition; labs finish in far fewer operations")
    )]
    OperationBudget { limit: u64 },

    #[error("call depth limit exceeded ({limit} nested calls): runaway recursion?")]
    #[diagnostic(
        code(kvmlab::sandbox::call_depth),
        help("give the recursive function a base case that is reached, or use a loop")
    )]
    CallDepth { limit: usize },

    #[error("expression nested too deeply")]
    #[diagnostic(
        code(kvmlab::sandbox::expression_depth),
        help("split the expression into several statements with named intermediate values")
    )]
    ExpressionDepth,

    #[error("{what} too large: the limit is {limit}")]
    #[diagnostic(
        code(kvmlab::sandbox::data_size),
        help("labs never need data this large: check the loop that builds it")
    )]
    DataTooLarge { what: String, limit: usize },

    #[error("too many {what}: the limit is {limit}")]
    #[diagnostic(
        code(kvmlab::sandbox::too_many),
        help("labs never need this many: check the loop that creates them")
    )]
    TooMany { what: String, limit: usize },

    #[error("wall-clock limit of {seconds} s exceeded")]
    #[diagnostic(
        code(kvmlab::sandbox::wall_time),
        help("the script ran too long in real time; simulated time is free, loops are not")
    )]
    WallTime { seconds: u64 },

    #[error("memory limit exceeded: the run grew by more than {limit}")]
    #[diagnostic(
        code(kvmlab::sandbox::memory),
        help("a lab's data is small: check the loop or the lines that build large strings, arrays or maps, and keep what is no longer needed out of scope")
    )]
    MemoryLimit { limit: String },

    #[error("cannot write `{path}`: a run writes at most {limit} files under --out")]
    #[diagnostic(
        code(kvmlab::sandbox::artifacts),
        help("put several results in one file, or save under a name again: saving to a name a second time replaces that file")
    )]
    TooManyArtifacts { path: String, limit: usize },

    #[error("artifact `{path}` would be {size}: the limit is {limit} per file")]
    #[diagnostic(
        code(kvmlab::sandbox::artifact_size),
        help("labs save notes and charts far smaller than this: check the loop that builds the text or the points")
    )]
    ArtifactTooLarge {
        path: String,
        size: String,
        limit: String,
    },

    #[error("writing `{path}` would bring the run's files under --out to {total}: the limit is {limit} per run")]
    #[diagnostic(
        code(kvmlab::sandbox::artifacts_total),
        help("save fewer or smaller files: charts of a few hundred points and short notes are enough for any lab")
    )]
    ArtifactsTotal {
        path: String,
        total: String,
        limit: String,
    },

    #[error("{more} more warnings were not recorded: a run records at most {limit}")]
    #[diagnostic(
        code(kvmlab::sandbox::warnings),
        help("fix the warnings shown first; the rest are most often the same mistake again, e.g. one bad config file written in a loop")
    )]
    TooManyWarnings { more: usize, limit: usize },

    #[error(
        "{lines} more printed lines were not recorded: a run records at most {limit} of output"
    )]
    #[diagnostic(
        code(kvmlab::sandbox::output),
        help("print summaries rather than every value a loop sees, e.g. one line per step")
    )]
    TooMuchOutput { lines: usize, limit: String },

    #[error(
        "{host}: {path} would hold {size} bytes; a file of the lab holds at most {limit} bytes"
    )]
    #[diagnostic(
        code(kvmlab::sandbox::file_size),
        help("config files are a few kilobytes and a lab never needs one this large: check the loop that writes or appends to it")
    )]
    FileTooLarge {
        host: String,
        path: String,
        size: u64,
        limit: u64,
    },

    #[error("{host}: its files would hold {size} bytes; a host of the lab holds at most {limit} bytes of files")]
    #[diagnostic(
        code(kvmlab::sandbox::host_files),
        help("a lab's hosts hold kilobytes of config files: check the loop that writes them, or remove_file what the lab no longer needs")
    )]
    HostFilesTooLarge { host: String, size: u64, limit: u64 },

    // ── console: the interactive console (`kvmlab repl`) ─────────────────────────────────
    #[error("interrupted: the input was stopped by Ctrl-C")]
    #[diagnostic(
        code(kvmlab::console::interrupted),
        help("the input was stopped; the lab is as it was when it stopped")
    )]
    Interrupted,

    #[error("`{name}` is not an exercise: {why}")]
    #[diagnostic(code(kvmlab::console::no_exercise), help("{help}"))]
    NoExercise {
        name: String,
        why: String,
        help: String,
    },

    #[error("`:check` grades an exercise, and this console was started without one")]
    #[diagnostic(
        code(kvmlab::console::no_exercise_started),
        help("start the console on an exercise: `kvmlab repl --exercise network` (an exercise of labs/exercises/) or `kvmlab repl --exercise PATH/TO/EXERCISE`")
    )]
    NoExerciseStarted,
    #[error("no lab `{name}` in {dir}")]
    #[diagnostic(code(kvmlab::console::no_such_lab), help("{suggestion}"))]
    NoSuchLab {
        name: String,
        dir: String,
        suggestion: String,
    },

    #[error("`{name}` names {count} labs in {dir}: {labs}")]
    #[diagnostic(
        code(kvmlab::console::ambiguous_lab),
        help("type more of the name, e.g. `:step {first}`")
    )]
    AmbiguousLab {
        name: String,
        dir: String,
        count: usize,
        labs: String,
        first: String,
    },

    #[error("{path} has no steps: no `step(\"title\")` call at its top level")]
    #[diagnostic(
        code(kvmlab::console::lab_without_steps),
        help("`:step` walks a lab that opens each step with `step(\"title\")` outside any function or block; `:load {path}` runs this file whole")
    )]
    LabWithoutSteps { path: String },

    #[error("the check uses `{variable}`, which is not defined: the lab's own commands define it")]
    #[diagnostic(
        code(kvmlab::console::step_variable_undefined),
        help("`:step run` runs the lab's own commands of this step, then its checks; or define `{variable}` yourself as the step's commands show, then press Enter")
    )]
    StepVariableUndefined { variable: String },

    #[error("step {step}/{steps}: check `{name}` failed: {why}")]
    #[diagnostic(
        code(kvmlab::console::step_check_failed),
        help("the walk stays on this step: fix the lab with your own inputs and press Enter to run its checks again; `:step run` runs the lab's own commands, `:step skip` goes on")
    )]
    StepCheckFailed {
        step: usize,
        steps: usize,
        name: String,
        why: String,
    },

    // ── lab: the lab primitives ────────────────────────────────────────────────────────────
    #[error("cannot sleep for {seconds} s")]
    #[diagnostic(
        code(kvmlab::lab::bad_duration),
        help("durations are zero or positive seconds, e.g. `sleep(1.5)`, and a lab lasts at most a century of lab time")
    )]
    BadDuration { seconds: f64 },

    #[error("the lab clock is at {now_s} s and this needs {needed_s} s more: past its cap of a century ({cap_s} s)")]
    #[diagnostic(
        code(kvmlab::lab::clock_cap),
        help("a lab lasts at most a century of lab time; the clock stays where it was, so later calls (even `sleep(0)`) still work: take out the sleeps or loops that used the century up")
    )]
    LabClockCap {
        now_s: f64,
        needed_s: f64,
        cap_s: f64,
    },

    #[error("`{key}` cannot be recorded: {reason}")]
    #[diagnostic(code(kvmlab::lab::bad_record), help("{help}"))]
    BadRecord {
        key: String,
        reason: String,
        help: String,
    },

    #[error("cannot write artifact `{path}`: {reason}")]
    #[diagnostic(
        code(kvmlab::lab::artifact),
        help("artifacts are written under the run's output directory (`--out`); check it is writable")
    )]
    Artifact { path: String, reason: String },

    // ── query: the read-only query API over the lab (`lab()`) ─────────────────────────────
    #[error("the lab has no host `{name}`")]
    #[diagnostic(code(kvmlab::query::no_such_host), help("{help}"))]
    NoSuchHost { name: String, help: String },

    #[error("the lab has no guest `{name}`")]
    #[diagnostic(code(kvmlab::query::no_such_guest), help("{help}"))]
    NoSuchGuest { name: String, help: String },

    #[error("the lab has no NAS `{name}`")]
    #[diagnostic(code(kvmlab::query::no_such_nas), help("{help}"))]
    NoSuchNas { name: String, help: String },

    // ── artifact: the names of files a lab writes under --out ──────────────────────────────
    #[error("`{path}` is not an artifact name: {reason}")]
    #[diagnostic(
        code(kvmlab::artifact::bad_name),
        help(
            "artifact names are relative paths inside --out, e.g. `save_text(\"notes/x.txt\", ..)`"
        )
    )]
    ArtifactName { path: String, reason: String },

    #[error("cannot write `{path}`: `{link}` in --out is a symbolic link, and artifacts never follow links")]
    #[diagnostic(
        code(kvmlab::artifact::symlink),
        help("save under a name that does not pass through `{link}`, or run with an --out folder that holds no links, e.g. `--out out-2`")
    )]
    ArtifactLink { path: String, link: String },

    #[error("cannot write `{path}`: `{existing}` in --out is {what}")]
    #[diagnostic(code(kvmlab::artifact::in_the_way), help("{help}"))]
    ArtifactInTheWay {
        path: String,
        existing: String,
        what: String,
        help: String,
    },

    // ── spec: keyword-style arguments such as `host("sv1", #{cores: 4})` ──────────────────
    #[error("unknown key `{key}` in {what}")]
    #[diagnostic(code(kvmlab::spec::unknown_key), help("{help}"))]
    UnknownKey {
        key: String,
        what: String,
        help: String,
    },

    #[error("missing key `{key}` in {what}")]
    #[diagnostic(code(kvmlab::spec::missing_key), help("{help}"))]
    MissingKey {
        key: String,
        what: String,
        help: String,
    },

    #[error("`{key}` in {what} must be {expected}, found {found}")]
    #[diagnostic(code(kvmlab::spec::wrong_type), help("{help}"))]
    WrongType {
        key: String,
        what: String,
        expected: String,
        found: String,
        help: String,
    },

    #[error("`{key}` in {what}: {reason}")]
    #[diagnostic(code(kvmlab::spec::bad_value), help("{help}"))]
    BadValue {
        key: String,
        what: String,
        reason: String,
        help: String,
    },

    // ── guest: guests, their files and the clients that use them ───────────────────────
    #[error("{host} has no card under `{interface}` to carry the guest's traffic")]
    #[diagnostic(
        code(kvmlab::guest::no_uplink),
        help("cable the bridge's port to a switch and restart the network, e.g. `h.nic(\"eth0\").connect(net1)`")
    )]
    NoUplink { host: String, interface: String },

    // ── migrate: live migration (the engine's own rules; host and storage checks live elsewhere) ──
    #[error("migration parameter `{parameter}` = {value}: {reason}")]
    #[diagnostic(
        code(kvmlab::migrate::bad_parameter),
        help("e.g. bandwidth \"64M/s\" (or unlimited), downtime limit 300 ms, timeout 60 s; rates and times are positive numbers")
    )]
    MigrateBadParameter {
        parameter: String,
        value: String,
        reason: String,
    },

    #[error("guest memory does not add up: size {size} B, used {used} B, working set {wss} B, never touched {untouched} B")]
    #[diagnostic(
        code(kvmlab::migrate::bad_memory),
        help("the working set is part of the used memory; the used memory and the memory never touched are parts of the guest's RAM: size > 0, size >= used + never touched, used >= wss")
    )]
    MigrateBadMemory {
        size: u64,
        used: u64,
        wss: u64,
        untouched: u64,
    },

    #[error("a guest of {size} B cannot be migrated: no x86-64 KVM host has more than {limit} B (64 TiB) of memory")]
    #[diagnostic(
        code(kvmlab::migrate::memory_too_large),
        help("give the guest at most 64 TiB, the most physical memory Linux maps on x86-64 with 4-level page tables")
    )]
    MigrateMemoryTooLarge { size: u64, limit: u64 },

    #[error("post-copy needs a live migration")]
    #[diagnostic(
        code(kvmlab::migrate::postcopy_needs_live),
        help("add `--live` (live: true), or drop the post-copy request; a paused guest has nothing to gain from post-copy")
    )]
    MigratePostcopyNeedsLive,

    #[error("{feature} is not available in {profile}")]
    #[diagnostic(
        code(kvmlab::migrate::unsupported),
        help("post-copy arrived in QEMU 2.5 and auto-converge in QEMU 1.6; use the modern profile to try them")
    )]
    MigrateUnsupported { feature: String, profile: String },

    #[error("cannot abort a migration in post-copy mode")]
    #[diagnostic(
        code(kvmlab::migrate::abort_in_postcopy),
        help("after the switch the guest runs on the destination and its memory is split between the hosts: let the migration finish")
    )]
    MigrateAbortInPostcopy,

    #[error("no migration is in progress")]
    #[diagnostic(
        code(kvmlab::migrate::not_active),
        help("the migration has already finished; check its outcome instead")
    )]
    MigrateNotActive,

    /// `help` is read from the migration's own options (see `MigrationConfig::convergence_help`).
    #[error("the migration did not converge in {seconds} s ({remaining} bytes still dirty)")]
    #[diagnostic(code(kvmlab::migrate::no_convergence), help("{help}"))]
    MigrateNoConvergence {
        seconds: f64,
        remaining: u64,
        help: String,
    },

    /// `migration` is "GUEST to HOST"; `whereabouts` says where the guest is now.
    #[error(
        "the migration of {migration} lost its connection at {at_s:.1} s: {cause}; {whereabouts}"
    )]
    #[diagnostic(code(kvmlab::migrate::connection_lost), help("{help}"))]
    MigrateConnectionLost {
        migration: String,
        at_s: f64,
        cause: String,
        whereabouts: String,
        help: String,
    },

    #[error("{guest} is lost: {cause}")]
    #[diagnostic(
        code(kvmlab::migrate::guest_lost),
        help("no host holds the whole guest any more: start it again from its disk (`g.start_on(h)` on a host that sees it, or `g.start()` once its host is back); a guest that must survive a host is migrated by pre-copy and kept on shared storage")
    )]
    MigrateGuestLost { guest: String, cause: String },

    #[error("{guest} is {state}, not running: only a running guest migrates live")]
    #[diagnostic(
        code(kvmlab::migrate::not_running),
        help("start it first with `g.start()`, or migrate it offline")
    )]
    MigrateNotRunning { guest: String, state: String },

    #[error("Attempt to migrate guest to the same host {uuid}")]
    #[diagnostic(
        code(kvmlab::migrate::same_host),
        help("{guest} already runs on {host}: name the other host as the destination")
    )]
    MigrateSameHost {
        guest: String,
        host: String,
        uuid: String,
    },

    #[error("{source_host} cannot reach the destination `{destination}`: {reason}")]
    #[diagnostic(
        code(kvmlab::migrate::unreachable),
        help("the migration connects to the name the source resolves: fix /etc/hosts or the network so that `{source_host}.ping(\"{destination}\")` answers")
    )]
    MigrateUnreachable {
        source_host: String,
        destination: String,
        reason: String,
    },

    #[error("the destination {host} cannot run the guest: {reason}")]
    #[diagnostic(code(kvmlab::migrate::destination_not_ready), help("{help}"))]
    MigrateDestinationNotReady {
        host: String,
        reason: String,
        help: String,
    },

    #[error("Cannot get interface MTU on '{bridge}': No such device (the destination {host} has no bridge {bridge})")]
    #[diagnostic(
        code(kvmlab::migrate::no_bridge),
        help("create the same bridge on {host} (ifcfg-{bridge} with TYPE=Bridge and the card's BRIDGE={bridge}) and restart its network")
    )]
    MigrateNoBridge { host: String, bridge: String },

    #[error("the destination {host} has {free} free for guests, but {guest} needs {needed}")]
    #[diagnostic(
        code(kvmlab::migrate::no_memory),
        help("shut a guest down on {host}, or give {guest} less memory")
    )]
    MigrateNoMemory {
        host: String,
        guest: String,
        free: String,
        needed: String,
    },

    #[error("the guest CPU from {source_host} ({source_cpu}) is incompatible with {host} ({cpu})")]
    #[diagnostic(
        code(kvmlab::migrate::cpu_incompatible),
        help("live migration needs the same CPU vendor on both hosts; for mixed models give the guest a common CPU model both hosts support")
    )]
    MigrateCpuIncompatible {
        source_host: String,
        source_cpu: String,
        host: String,
        cpu: String,
    },

    #[error("Unsafe migration: Migration without shared storage is unsafe ({path} is not visible from {host})")]
    #[diagnostic(
        code(kvmlab::migrate::unsafe_storage),
        help("put the disk on storage both hosts see (the NAS's iSCSI pool), or copy it with `copy_storage: true`; `unsafe: true` skips the check and risks the guest's data")
    )]
    MigrateUnsafeStorage { path: String, host: String },

    #[error("Unsafe migration: Migration may lead to data corruption if disks use cache other than none or directsync (cache='{cache}')")]
    #[diagnostic(
        code(kvmlab::migrate::unsafe_cache),
        help("define the guest with `cache: \"none\"`: the source's page cache would hold writes the destination cannot see")
    )]
    MigrateUnsafeCache { cache: String },

    #[error("{guest} is {state}: it cannot {action}")]
    #[diagnostic(code(kvmlab::guest::state), help("{help}"))]
    GuestState {
        guest: String,
        state: String,
        action: String,
        help: String,
    },

    #[error("{client} cannot reach {guest}: they are not on the same network")]
    #[diagnostic(
        code(kvmlab::guest::unreachable),
        help("give the guest an address on the client's network (`network: #{{bridge: \"br0\", address: \"192.168.1.20/24\"}}`) and cable the client to the switch of the host's bridge")
    )]
    ClientCannotReach { client: String, guest: String },

    #[error("{host} has no pool `{pool}` to copy the guest's disk into")]
    #[diagnostic(
        code(kvmlab::migrate::no_target_pool),
        help("`copy_storage` writes the disk into the pool of the same name on the destination: define it there first")
    )]
    MigrateNoTargetPool { host: String, pool: String },

    #[error("the transfer of {path} stalled: nothing carries its data")]
    #[diagnostic(
        code(kvmlab::guest::transfer_stalled),
        help("check that the guest is running and that the client and the guest's bridge are cabled to the same switch")
    )]
    TransferStalled { path: String },

    /// `progress`: bytes done of the size after the wait, at the rate, and the time the rest needs.
    #[error("the transfer of {path} is slow, not stalled: {progress}")]
    #[diagnostic(
        code(kvmlab::guest::transfer_too_slow),
        help("`wait()` waits at most {waited} of lab time: serve a smaller file, or give the path a faster link (a 1 Gbit/s switch and cards); to watch a long copy, `sleep(..)` and read `bytes`")
    )]
    TransferTooSlow {
        path: String,
        progress: String,
        waited: String,
    },

    #[error("{guest} on {host} gets I/O errors from its disk {path}: {cause}")]
    #[diagnostic(code(kvmlab::guest::disk_io_error), help("{help}"))]
    GuestDiskIoError {
        guest: String,
        host: String,
        path: String,
        cause: String,
        help: String,
    },

    #[error("{action} refused: {guest}'s disk {disk}: {state}")]
    #[diagnostic(code(kvmlab::guest::disk_path_down), help("{help}"))]
    GuestDiskPathDown {
        action: String,
        guest: String,
        /// The disk, the session it is on and since when it has had no path, in words.
        disk: String,
        state: String,
        help: String,
    },

    #[error("{guest} cannot write its disk {path}: {cause}")]
    #[diagnostic(code(kvmlab::guest::read_only_disk), help("{help}"))]
    GuestDiskReadOnly {
        guest: String,
        path: String,
        cause: String,
        help: String,
    },

    #[error("{host}: error: Failed to start domain {guest}: Cannot access storage file '{path}': No such file or directory")]
    #[diagnostic(code(kvmlab::guest::disk_missing), help("{help}"))]
    GuestDiskMissing {
        guest: String,
        host: String,
        path: String,
        help: String,
    },

    #[error("{guest} on {host} and {other} on {other_host} both write the image {path}: it is corrupted")]
    #[diagnostic(
        code(kvmlab::guest::image_in_use),
        help("libvirt without a lock manager (sanlock or virtlockd) lets two hosts start guests on one image, and nothing keeps their writes apart; run a guest on one host at a time and move it with `migrate`; in the lab, `destroy()` both, then define a new guest on a new volume and install it")
    )]
    GuestImageInUse {
        guest: String,
        host: String,
        other: String,
        other_host: String,
        path: String,
    },

    #[error("installing {guest} on {host} writes a new system over {path}, which holds the system {other} ({other_where}) was installed into")]
    #[diagnostic(
        code(kvmlab::guest::install_over_image),
        help("virt-install writes the image without asking, so {other}'s system and files are gone; a new guest gets a new volume (`pool.create_volume(#{{name: \"{guest}.img\", capacity: \"20G\", allocation: 0}})`); to run {other}'s system, start {other} itself, on one host at a time")
    )]
    InstallOverImage {
        guest: String,
        host: String,
        path: String,
        other: String,
        /// Its state and host, e.g. `shut off on sv1`.
        other_where: String,
    },

    // ── libvirt: live migration on real hosts ──────────────────────────────────────────────
    /// `reason` is libvirt's message and where the guest is now, read from the hosts after
    /// the failure, as `help` is.
    #[error("libvirt could not migrate {guest} from {source_host} to {destination}: {reason}")]
    #[diagnostic(code(kvmlab::libvirt::migration_failed), help("{help}"))]
    LibvirtMigrationFailed {
        guest: String,
        source_host: String,
        destination: String,
        reason: String,
        help: String,
    },

    // ── units: sizes and rates ─────────────────────────────────────────────────────────────
    #[error("`{text}` is not a size")]
    #[diagnostic(
        code(kvmlab::units::size),
        help("write bytes as an integer, or a number with a unit: \"512M\", \"20G\", \"1.5TiB\", \"100GB\" (K/M/G/T are binary)")
    )]
    BadSize { text: String },

    #[error("`{text}` is {bytes}, above the largest size, 8 EiB - 1 (9223372036854775807 bytes)")]
    #[diagnostic(
        code(kvmlab::units::size_too_large),
        help("a size must fit a script integer; no disk, memory or file comes near it: write the real size, e.g. \"16T\"")
    )]
    SizeTooLarge { text: String, bytes: String },

    #[error("`{text}` is not a rate")]
    #[diagnostic(code(kvmlab::units::rate), help("{help}"))]
    BadRate { text: String, help: String },

    #[error("`{text}` is ambiguous: did you mean {in_bytes} or {in_bits}?")]
    #[diagnostic(
        code(kvmlab::units::ambiguous_size),
        help("a lowercase `b` is bits, and sizes of storage and memory are in bytes: write \"{bytes}\" for {in_bytes} (B is bytes); {in_bits} would be \"{bits_in_bytes}\". Rates may be in bits: \"100Mbit/s\"")
    )]
    AmbiguousSize {
        text: String,
        /// The same size in bytes as it should be written, e.g. `20GB`.
        bytes: String,
        /// The text read as bytes, in words: `20 gigabytes`, `1 gibibyte`.
        in_bytes: String,
        /// The text read as bits, in words: `20 gigabits`.
        in_bits: String,
        /// What the text means read as bits, in bytes, e.g. `2.5GB`.
        bits_in_bytes: String,
    },

    // ── storage: RAID, the NAS, iSCSI, partitions, file systems, fstab ─────────────────────
    #[error("RAID {level} needs at least {minimum} disks, the volume has {disks}")]
    #[diagnostic(code(kvmlab::storage::raid_too_few_disks), help("{help}"))]
    RaidTooFewDisks {
        level: String,
        disks: usize,
        minimum: usize,
        help: String,
    },

    #[error("Error: {device} is {sectors} sectors, too small for a{article} {label} label (it needs {needed})", article = if label.starts_with(['a', 'e', 'i', 'o', 'u']) { "n" } else { "" })]
    #[diagnostic(
        code(kvmlab::storage::disk_too_small),
        help("the disk must hold the partition table's own sectors and at least one sector of data: check the LUN's size on the NAS")
    )]
    DiskTooSmall {
        device: String,
        label: String,
        sectors: u64,
        needed: u64,
    },

    #[error("RAID 10 needs an even number of disks, the volume has {disks}")]
    #[diagnostic(
        code(kvmlab::storage::raid10_odd_disks),
        help("RAID 10 stripes over mirrored pairs: use {lower} or {upper} disks, or RAID 6 to use all {disks}")
    )]
    Raid10OddDisks {
        disks: usize,
        lower: usize,
        upper: usize,
    },

    #[error("`{text}` is not a RAID level")]
    #[diagnostic(
        code(kvmlab::storage::raid_level),
        help("the NAS offers RAID 0, 1, 5, 6 and 10; the report's NAS uses RAID 6 (two disks' worth of parity)")
    )]
    RaidLevel { text: String },

    #[error("the NAS has {bays} bays, the volume asks for {disks} disks")]
    #[diagnostic(
        code(kvmlab::storage::nas_bays),
        help("a volume can use at most one disk per bay: lower `disks` or pick a NAS model with more bays")
    )]
    NasBays { bays: usize, disks: usize },

    #[error("data percentage {percent} % is outside 0..=100")]
    #[diagnostic(
        code(kvmlab::storage::nas_data_percent),
        help("the data percentage is the share of the RAID kept for file shares; the rest is for iSCSI targets (the report used 50)")
    )]
    NasDataPercent { percent: i64 },

    #[error(
        "iSCSI target `{iqn}` needs {requested} bytes, only {free} bytes of iSCSI space are free"
    )]
    #[diagnostic(code(kvmlab::storage::target_too_large), help("{help}"))]
    TargetTooLarge {
        iqn: String,
        requested: u64,
        free: u64,
        help: String,
    },

    #[error("an iSCSI target named `{iqn}` already exists on this NAS")]
    #[diagnostic(
        code(kvmlab::storage::duplicate_target),
        help("target names are unique on a portal: add a LUN to the existing target, or give the new target another name")
    )]
    DuplicateTarget { iqn: String },

    #[error("`{iqn}` is not a valid iSCSI name: the {part} {reason}")]
    #[diagnostic(code(kvmlab::storage::bad_iqn), help("{help}"))]
    BadIqn {
        iqn: String,
        part: String,
        reason: String,
        help: String,
    },

    #[error("iSCSI name `{iqn}` belongs to {authority_owner}, but the target is served by a {nas_model}")]
    #[diagnostic(code(kvmlab::storage::iqn_vendor_mismatch), help("{help}"))]
    IqnVendorMismatch {
        iqn: String,
        authority_owner: String,
        nas_model: String,
        help: String,
    },

    #[error("the CHAP secret has {length} characters; it must have 12 to 16")]
    #[diagnostic(
        code(kvmlab::storage::chap_secret_length),
        help("pick a secret of 12 to 16 characters: the range every common initiator and target accepts (Microsoft's initiator enforces it, many NAS UIs too)")
    )]
    ChapSecretLength { length: usize },

    #[error("CHAP user name is empty")]
    #[diagnostic(
        code(kvmlab::storage::chap_user),
        help("give CHAP a user name, e.g. the initiator's IQN or a short account name")
    )]
    ChapUser,

    #[error("`{text}` is not an iSCSI portal")]
    #[diagnostic(
        code(kvmlab::storage::bad_portal),
        help("a portal is an IPv4 address with an optional port, e.g. \"10.10.1.10\" or \"10.10.1.10:3260\" (3260 is iSCSI's port)")
    )]
    BadPortal { text: String },

    #[error("iscsiadm: no record for target `{target}`: it was never discovered")]
    #[diagnostic(code(kvmlab::storage::not_discovered), help("{help}"))]
    NotDiscovered { target: String, help: String },

    #[error("login to `{target}` refused: initiator `{initiator}` is not in the target's ACL")]
    #[diagnostic(code(kvmlab::storage::acl_denied), help("{help}"))]
    AclDenied {
        target: String,
        initiator: String,
        help: String,
    },

    #[error(
        "login to `{target}` failed: iSCSI login failed due to authorization failure ({reason})"
    )]
    #[diagnostic(code(kvmlab::storage::chap_failed), help("{help}"))]
    ChapFailed {
        target: String,
        reason: String,
        help: String,
    },

    #[error("already logged in to `{target}` at {portal}")]
    #[diagnostic(
        code(kvmlab::storage::already_logged_in),
        help("the session exists and its disk is attached; `iscsiadm -m session` lists sessions. Log out first to log in again")
    )]
    AlreadyLoggedIn { target: String, portal: String },

    #[error("no session to `{target}` to log out of")]
    #[diagnostic(
        code(kvmlab::storage::not_logged_in),
        help("log in first; logging out of a target with no session is what `iscsiadm` reports as \"No matching sessions found\"")
    )]
    NotLoggedIn { target: String },

    #[error("`{label}` is not a disk label type kvmlab knows")]
    #[diagnostic(
        code(kvmlab::storage::label_type),
        help("use `gpt` (any size, up to 128 partitions) or `msdos` (MBR, disks up to 2 TiB)")
    )]
    LabelType { label: String },

    #[error("{device} has no partition table")]
    #[diagnostic(
        code(kvmlab::storage::no_label),
        help("make one first: `mklabel(\"gpt\")` (parted: `mklabel gpt`)")
    )]
    NoLabel { device: String },

    #[error("`{text}` is not a disk location: {reason}")]
    #[diagnostic(
        code(kvmlab::storage::bad_location),
        help("a location is a number with a unit: \"1MiB\", \"100GB\", \"50%\", \"2048s\"; negative values count from the end (\"-1s\" is the last sector); a bare number is in MB")
    )]
    BadLocation { text: String, reason: String },

    #[error("the location {text} is outside of the device {device} ({size})")]
    #[diagnostic(
        code(kvmlab::storage::outside_disk),
        help("the device is smaller than the location: check the unit (GB is 10^9 bytes, GiB 2^30), or use \"100%\" for the end of the disk")
    )]
    OutsideDisk {
        text: String,
        device: String,
        size: String,
    },

    #[error("the end {end} is before the start {start}")]
    #[diagnostic(
        code(kvmlab::storage::end_before_start),
        help("mkpart takes START then END: swap them")
    )]
    EndBeforeStart { start: String, end: String },

    #[error("you requested a partition from {requested}; the closest location parted can manage is {closest}")]
    #[diagnostic(code(kvmlab::storage::partition_overlap), help("{help}"))]
    PartitionPlacement {
        requested: String,
        closest: String,
        help: String,
    },

    #[error("no free space on {device} around {requested}: partitions cannot overlap")]
    #[diagnostic(
        code(kvmlab::storage::no_free_space),
        help("`print free` shows the free regions; remove a partition (`rm N`) or place the new one in free space")
    )]
    NoFreeSpace { device: String, requested: String },

    #[error("msdos partition tables address at most 2 TiB: {what} ({value} sectors) exceeds the maximum 4294967295")]
    #[diagnostic(code(kvmlab::storage::msdos_2tib_limit), help("{help}"))]
    Msdos2TibLimit {
        what: String,
        value: u64,
        help: String,
    },

    #[error("an msdos partition table holds at most 4 primary partitions")]
    #[diagnostic(
        code(kvmlab::storage::msdos_primary_limit),
        help("use a GPT label (`mklabel gpt`), which holds 128 partitions, or remove a partition")
    )]
    MsdosPrimaryLimit,

    #[error("a GPT partition table holds at most 128 partitions, and {device} has 128")]
    #[diagnostic(
        code(kvmlab::storage::gpt_full),
        help("every entry of the table is used: put further file systems on another disk or LUN")
    )]
    GptFull { device: String },

    #[error(
        "`{part_type}` partitions are not modelled: kvmlab's msdos labels hold primary partitions"
    )]
    #[diagnostic(
        code(kvmlab::storage::msdos_part_type),
        help("write `mkpart(\"primary\", fstype, start, end)`; for more than 4 partitions use a GPT label")
    )]
    MsdosPartType { part_type: String },

    #[error("partition {number} ({start}s) is not aligned for best performance: {start}s % {grain}s != 0s")]
    #[diagnostic(
        code(kvmlab::storage::partition_misaligned),
        help("start partitions on a 1 MiB boundary (\"1MiB\", \"0%\", or a multiple of 2048s): a misaligned partition splits the storage's blocks and slows every write")
    )]
    PartitionMisaligned { number: u32, start: u64, grain: u64 },

    #[error("no partition {number} on {device}")]
    #[diagnostic(
        code(kvmlab::storage::no_partition),
        help("`print` lists the partitions and their numbers")
    )]
    NoPartition { device: String, number: u32 },

    #[error("`mkpartfs` was removed from parted (2.4 and later)")]
    #[diagnostic(
        code(kvmlab::storage::mkpartfs_removed),
        help("make the partition with `mkpart`, then its file system with `mkfs.ext3` (on {disk}, partition 1 is {disk}1); the report's `mkpartfs ... ext3` worked only with parted before 2.4")
    )]
    MkpartfsRemoved { disk: String },

    #[error("`{fstype}` is not a file system type kvmlab can make")]
    #[diagnostic(code(kvmlab::storage::fs_type), help("{help}"))]
    FsType { fstype: String, help: String },

    #[error("{size} bytes is too small for {fstype}: it needs at least {minimum} bytes")]
    #[diagnostic(
        code(kvmlab::storage::fs_too_small),
        help("make a larger partition; ext2/3/4 need room for a superblock, a group descriptor, bitmaps, an inode table and the journal")
    )]
    FsTooSmall {
        fstype: String,
        size: u64,
        minimum: u64,
    },

    #[error("{size} bytes is too large for {fstype}: it addresses at most {maximum} bytes")]
    #[diagnostic(code(kvmlab::storage::fs_too_large), help("{help}"))]
    FsTooLarge {
        fstype: String,
        size: u64,
        maximum: u64,
        help: String,
    },

    #[error("/etc/fstab line {line}: {reason}")]
    #[diagnostic(code(kvmlab::storage::fstab_syntax), help("{help}"))]
    FstabSyntax {
        line: usize,
        reason: String,
        help: String,
    },

    #[error("/etc/fstab line {line}: {source_spec} on {target} is network storage but the entry lacks `_netdev`")]
    #[diagnostic(
        code(kvmlab::storage::netdev_missing),
        help("at boot, local file systems are mounted before the network and the iSCSI login, so this device does not exist yet and the mount fails; add `_netdev` to the options (e.g. `{source_spec} {target} {fstype} _netdev 0 0`) so it is mounted after the network is up")
    )]
    NetdevMissing {
        line: usize,
        source_spec: String,
        target: String,
        fstype: String,
    },

    #[error("{fstype} on {device} is mounted read-write on {hosts} at once, but {fstype} is not a cluster file system")]
    #[diagnostic(
        code(kvmlab::storage::shared_non_cluster_fs),
        help("each host caches the file system's metadata and writes it back without telling the others, so two writers corrupt it (the report got away with it because each guest image was open on one host at a time); safe ways: an iSCSI storage pool with one LUN per guest, a cluster file system (GFS2, OCFS2), or NFS")
    )]
    SharedNonClusterFs {
        fstype: String,
        device: String,
        hosts: String,
    },

    #[error("the NAS {nas} has no iSCSI target `{iqn}`")]
    #[diagnostic(code(kvmlab::storage::unknown_target), help("{help}"))]
    UnknownTarget {
        nas: String,
        iqn: String,
        help: String,
    },

    #[error("{host} lost its path to the NAS at {portal} at {when}: {waits}")]
    #[diagnostic(code(kvmlab::storage::path_lost), help("{help}"))]
    IscsiPathLost {
        host: String,
        portal: String,
        /// Lab time with its unit, and the socket error: `358.8 s (no route to host)`.
        when: String,
        /// The session whose I/O waits, and the guests' disks with it, in words.
        waits: String,
        help: String,
    },

    #[error("{host}: session{sid}: session recovery timed out after 120 secs: I/O to {devices} fails{effects}")]
    #[diagnostic(code(kvmlab::storage::io_failed), help("{help}"))]
    IscsiIoFailed {
        host: String,
        sid: u32,
        devices: String,
        /// What the errors did, in words (empty: nothing was writing).
        effects: String,
        help: String,
    },

    #[error("{host}'s iSCSI session {sid} to {target} has its path back after {after_s:.1} s and logged in again: {outcome}")]
    #[diagnostic(code(kvmlab::storage::path_back), help("{help}"))]
    IscsiPathBack {
        host: String,
        sid: u32,
        target: String,
        after_s: f64,
        outcome: String,
        help: String,
    },

    #[error("{host}: iscsiadm: cannot make connection to {address}: {errno} ({operation} failed)")]
    #[diagnostic(code(kvmlab::storage::portal_unreachable), help("{help}"))]
    PortalUnreachable {
        host: String,
        address: String,
        /// The socket error as iscsiadm prints it, e.g. `No route to host`.
        errno: String,
        /// `SendTargets discovery` or `login to IQN`.
        operation: String,
        help: String,
    },

    #[error("{host}: Error: Could not stat device {device} - No such file or directory.")]
    #[diagnostic(code(kvmlab::storage::no_such_block_device), help("{help}"))]
    NoSuchBlockDevice {
        host: String,
        device: String,
        help: String,
    },

    #[error("{host}: mount: special device {device} does not exist")]
    #[diagnostic(code(kvmlab::storage::special_device_missing), help("{help}"))]
    SpecialDeviceMissing {
        host: String,
        device: String,
        help: String,
    },

    #[error("{host}: mount: mount point {dir} does not exist")]
    #[diagnostic(
        code(kvmlab::storage::mount_point_missing),
        help("create the directory first: `mkdir {dir}`")
    )]
    MountPointMissing { host: String, dir: String },

    #[error("{host}: mount: wrong fs type, bad option, bad superblock on {device}, missing codepage or helper program, or other error ({reason})")]
    #[diagnostic(code(kvmlab::storage::wrong_fs_type), help("{help}"))]
    WrongFsType {
        host: String,
        device: String,
        reason: String,
        help: String,
    },

    #[error("{host}: mount: {device} already mounted or {dir} busy")]
    #[diagnostic(
        code(kvmlab::storage::already_mounted),
        help("{device} is already mounted on {dir}: `df {dir}` shows it; unmount it first to mount it again")
    )]
    AlreadyMounted {
        host: String,
        device: String,
        dir: String,
    },

    #[error("{host}: {path}: not mounted")]
    #[diagnostic(
        code(kvmlab::storage::not_mounted),
        help("`mounts()` lists what is mounted where; give the mount point or the device of one of them")
    )]
    NotMounted { host: String, path: String },

    #[error("{host}: mounting on {dir} hides {files}, which {are} in {dir} on {under}")]
    #[diagnostic(
        code(kvmlab::storage::mount_hides_files),
        help("mount covers a directory's files without a word: they stay on {under}, under the mount, taking its space, and a pool on {dir} now lists the new file system instead; they were made before the file system was mounted, so they are not on the storage you meant. Create a pool's volumes after its file system is mounted; to reach these files again, `umount {dir}`")
    )]
    MountHidesFiles {
        host: String,
        dir: String,
        files: String,
        are: String,
        under: String,
    },

    /// `help` names what holds the mount: a file system mounted inside it, or a running
    /// guest whose image is on it.
    #[error("{host}: umount: {dir}: device is busy.")]
    #[diagnostic(code(kvmlab::storage::target_busy), help("{help}"))]
    TargetBusy {
        host: String,
        dir: String,
        help: String,
    },

    #[error("mke2fs: {device} is entire device, not just one partition!")]
    #[diagnostic(
        code(kvmlab::storage::entire_device),
        help("{device} has a {label} partition table, which a file system on the whole disk would overwrite (mke2fs asks before it does): make the file system on a partition instead, e.g. `mkfs.ext3 {first}`")
    )]
    EntireDevice {
        device: String,
        label: String,
        first: String,
    },

    #[error("{host}: {device} is mounted; will not make a filesystem here!")]
    #[diagnostic(code(kvmlab::storage::device_mounted), help("{help}"))]
    DeviceMounted {
        host: String,
        device: String,
        dir: String,
        help: String,
    },

    #[error("{host}: Error: Partition(s) on {device} are being used ({mounted}).")]
    #[diagnostic(
        code(kvmlab::storage::partitions_in_use),
        help("{device} already holds the file system mounted on {mounted}: a new table or a removed partition would destroy it and its files, so leave this disk as it is; to partition a new disk, check which one is new with `disks()`; only to wipe this one on purpose, move what lives on {mounted} away and unmount it first")
    )]
    PartitionsInUse {
        host: String,
        device: String,
        mounted: String,
    },

    #[error("{host}: logging out of `{target}` would remove {device}, which is mounted on {dir}")]
    #[diagnostic(
        code(kvmlab::storage::session_in_use),
        help("the kernel would drop the disk from under the file system and every write to {dir} would fail: `umount {dir}` first, then log out")
    )]
    SessionInUse {
        host: String,
        target: String,
        device: String,
        dir: String,
    },

    #[error("{host}: mount.nfs: {reason} while mounting {source_spec}")]
    #[diagnostic(code(kvmlab::storage::nfs_mount_failed), help("{help}"))]
    NfsMountFailed {
        host: String,
        source_spec: String,
        reason: String,
        help: String,
    },

    #[error("the NAS {nas} already has a share named `{name}`")]
    #[diagnostic(
        code(kvmlab::storage::duplicate_share),
        help("share names are unique on a NAS: use the existing share or pick another name")
    )]
    DuplicateShare { nas: String, name: String },

    #[error("the NAS {nas} keeps no data space for file shares (data percentage {percent} %)")]
    #[diagnostic(
        code(kvmlab::storage::no_data_space),
        help("NFS shares live in the RAID's data space: create the NAS with a data percentage above 0 (the report used 50)")
    )]
    NoDataSpace { nas: String, percent: u8 },

    #[error("{host}: operation failed: pool '{name}' already exists")]
    #[diagnostic(
        code(kvmlab::storage::duplicate_pool),
        help("pool names are unique on a host: use the existing pool, or give the new one another name")
    )]
    DuplicatePool { host: String, name: String },

    #[error("{host}: Storage pool not found: no pool with matching name '{name}'")]
    #[diagnostic(code(kvmlab::storage::unknown_pool), help("{help}"))]
    UnknownPool {
        host: String,
        name: String,
        help: String,
    },

    #[error("{host}: cannot open path '{path}' for pool '{name}': No such file or directory")]
    #[diagnostic(
        code(kvmlab::storage::pool_target_missing),
        help("a directory pool uses an existing directory: create it first (`mkdir {path}`), and mount the file system on it before defining the pool")
    )]
    PoolTargetMissing {
        host: String,
        name: String,
        path: String,
    },

    #[error("{host}: storage pool '{name}' is not active")]
    #[diagnostic(
        code(kvmlab::storage::pool_inactive),
        help("start the pool first; after a reboot pools start with libvirtd only when they are marked autostart and libvirtd is chkconfig'd on")
    )]
    PoolInactive { host: String, name: String },

    #[error("storage volume '{name}' already exists in pool '{pool}'")]
    #[diagnostic(
        code(kvmlab::storage::duplicate_volume),
        help(
            "`volumes()` lists the pool's volumes: pick another name, or use the existing volume"
        )
    )]
    DuplicateVolume { pool: String, name: String },

    #[error("cannot fill file '{path}': No space left on device (needs {needed}, {available} available)")]
    #[diagnostic(
        code(kvmlab::storage::no_space),
        help("allocate less (allocation 0 makes a sparse image that grows as the guest writes), or free space in the pool")
    )]
    NoSpace {
        path: String,
        needed: String,
        available: String,
    },

    #[error("storage pool '{pool}' ({kind}) does not support volume creation")]
    #[diagnostic(
        code(kvmlab::storage::pool_cannot_create_volumes),
        help("an iSCSI pool's volumes are the target's LUNs: create a LUN on the NAS instead (one LUN per guest is the safe way to share storage between hosts)")
    )]
    PoolCannotCreateVolumes { pool: String, kind: String },

    #[error("`{format}` is not a volume format kvmlab models")]
    #[diagnostic(
        code(kvmlab::storage::volume_format),
        help("use \"raw\" (the report's choice, fastest, sparse when allocation is 0) or \"qcow2\" (grows on demand, snapshots)")
    )]
    VolumeFormat { format: String },

    #[error("{host} has {device} mounted on {dir} with {contents}; {cause}")]
    #[diagnostic(
        code(kvmlab::storage::mounted_fs_destroyed),
        help("mke2fs and parted check only their own host's mounts, so nothing stopped it: {host}'s kernel still caches the old file system over blocks that now hold other data, and the files on it are lost; next time make a shared LUN's partitions and file system once, from one host, before any other host mounts it (the others only mount it); to go on in the lab, on {host} `umount {dir}`, mount the device again, and recreate the pool's volumes and the guests on them")
    )]
    MountedFsDestroyed {
        host: String,
        device: String,
        dir: String,
        /// `2 guest images (web1 runs from one)`.
        contents: String,
        /// `` `mkfs.ext3 /dev/sdb1` on sv2 wrote a new file system over it ``.
        cause: String,
    },

    #[error("{host}: {dir} ({device}) no longer holds the file system mounted there: {cause}")]
    #[diagnostic(
        code(kvmlab::storage::mounted_fs_lost),
        help("the files that were on it are gone and cannot be read back; on {host}, `umount {dir}` and mount the device again to see what it holds now, then recreate the pool's volumes; next time make a shared LUN's file system once, from one host, before any other host mounts it")
    )]
    MountedFsLost {
        host: String,
        dir: String,
        device: String,
        cause: String,
    },

    #[error("{host}: mklabel {label} on {device} replaced a partition table holding {lost}")]
    #[diagnostic(
        code(kvmlab::storage::label_replaced_partitions),
        help("parted asks \"all data on this disk will be lost; continue?\" and a script answers yes: the partitions and the files on them are gone; label a disk once, when it is new (`parted_print()` shows whether it has a table already); in the lab, make the partitions and their file systems again")
    )]
    LabelReplacedPartitions {
        host: String,
        device: String,
        label: String,
        lost: String,
    },

    #[error("{host}: /etc/fstab no longer lists {dir} ({source_spec}), which it mounted at boot")]
    #[diagnostic(
        code(kvmlab::storage::fstab_dropped_mount),
        help("the next boot will not mount {dir}, and what lives there (guest images, a pool) will be missing; keep the line when you rewrite the file: read it (`read_file(\"/etc/fstab\")`), change only what you need and write it back, or add lines with `append_file`")
    )]
    FstabDroppedMount {
        host: String,
        dir: String,
        source_spec: String,
    },

    #[error("{host}: installing the OS again erased its disks: {lost}")]
    #[diagnostic(
        code(kvmlab::storage::reinstall_erased),
        help("anaconda asks before it clears the disks, but a kickstart's `clearpart --all` does not; install a host once, and before reinstalling one that holds guests, move them away (`migrate` them to the other host, their images on shared storage)")
    )]
    ReinstallErased { host: String, lost: String },

    #[error("{host}: mkfs.{fstype} on {device} replaced the {old} file system holding {contents}")]
    #[diagnostic(
        code(kvmlab::storage::mkfs_replaced_files),
        help("mke2fs does not ask before it writes over a file system that is not mounted, so its files are gone; make a file system once, on a new partition (`disks()` shows which partitions hold one already); in the lab, recreate the pool's volumes")
    )]
    MkfsReplacedFiles {
        host: String,
        fstype: String,
        device: String,
        old: String,
        contents: String,
    },

    #[error(
        "{host}: {operation} {device}: it is {host}'s own {what}, not a disk of the lab's storage"
    )]
    #[diagnostic(code(kvmlab::storage::system_disk), help("{help}"))]
    SystemDisk {
        host: String,
        /// What was asked, e.g. `mkfs.ext3` or `parted mklabel`.
        operation: String,
        device: String,
        /// `system disk` or `system partition`, and what it holds now, e.g.
        /// `system partition (ext4, mounted on /)`.
        what: String,
        help: String,
    },

    // ── net: addresses, network config files, name resolution and reachability ─────────────
    #[error("`{text}` is not an IPv4 address")]
    #[diagnostic(
        code(kvmlab::net::bad_address),
        help("write four numbers from 0 to 255 separated by dots, without leading zeros, e.g. 192.168.1.11")
    )]
    BadAddress { text: String },

    #[error("`{text}` is not a prefix length")]
    #[diagnostic(
        code(kvmlab::net::bad_prefix),
        help("a prefix length is a whole number from 0 to 32, e.g. 24 for netmask 255.255.255.0")
    )]
    BadPrefix { text: String },

    #[error("`{text}` is not an address with a prefix")]
    #[diagnostic(
        code(kvmlab::net::bad_cidr),
        help("write ADDRESS/PREFIX or ADDRESS/NETMASK, e.g. 192.168.1.0/24 or 192.168.1.0/255.255.255.0")
    )]
    BadCidr { text: String },

    #[error("netmask {mask} is not contiguous")]
    #[diagnostic(code(kvmlab::net::noncontiguous_netmask), help("{help}"))]
    NoncontiguousNetmask { mask: String, help: String },

    #[error("`{text}` has host bits set: a network is written with its network address")]
    #[diagnostic(code(kvmlab::net::host_bits_set), help("write {network}"))]
    HostBitsSet { text: String, network: String },

    #[error("/etc/hosts line {line}: `{text}` has its fields reversed, so glibc ignores the line")]
    #[diagnostic(
        code(kvmlab::net::hosts_reversed),
        help("the address comes first, then the names: `{corrected}`")
    )]
    HostsReversed {
        line: usize,
        text: String,
        corrected: String,
    },

    #[error("/etc/hosts line {line}: `{field}` is not an IP address, so glibc ignores the line")]
    #[diagnostic(
        code(kvmlab::net::hosts_bad_address),
        help("each line is `ADDRESS NAME [ALIAS...]`, e.g. `192.168.1.11 sv1`")
    )]
    HostsBadAddress { line: usize, field: String },

    #[error("/etc/hosts line {line}: address {address} has no name")]
    #[diagnostic(
        code(kvmlab::net::hosts_missing_name),
        help("write the name after the address: `{address} NAME`")
    )]
    HostsMissingName { line: usize, address: String },

    #[error("/etc/hosts line {line}: `{name}` → {address} never wins: line {first_line} maps `{name}` to {first_address} first")]
    #[diagnostic(
        code(kvmlab::net::hosts_shadowed),
        help("glibc answers with the first matching line: delete one of the two, or give the hosts different names")
    )]
    HostsShadowed {
        line: usize,
        name: String,
        address: String,
        first_line: usize,
        first_address: String,
    },

    #[error("{file} line {line}: {message}")]
    #[diagnostic(code(kvmlab::net::ifcfg_syntax), help("{help}"))]
    IfcfgSyntax {
        file: String,
        line: usize,
        message: String,
        help: String,
    },

    #[error("{file} line {line}: `{command}` runs a command instead of setting a variable")]
    #[diagnostic(code(kvmlab::net::ifcfg_command), help("{help}"))]
    IfcfgCommand {
        file: String,
        line: usize,
        command: String,
        help: String,
    },

    #[error("{file} line {line}: {construct} is not supported in network config files")]
    #[diagnostic(
        code(kvmlab::net::ifcfg_unsupported),
        help("write plain KEY=value lines; quote a value that has spaces: KEY=\"a b\"")
    )]
    IfcfgUnsupported {
        file: String,
        line: usize,
        construct: String,
    },

    #[error("{file} line {line}: unknown key `{key}`")]
    #[diagnostic(code(kvmlab::net::unknown_ifcfg_key), help("{help}"))]
    UnknownIfcfgKey {
        file: String,
        line: usize,
        key: String,
        help: String,
    },

    #[error("{file} line {line}: {setting} is not valid: {reason}")]
    #[diagnostic(code(kvmlab::net::bad_ifcfg_value), help("{help}"))]
    BadIfcfgValue {
        file: String,
        line: usize,
        /// `KEY=value` as written.
        setting: String,
        reason: String,
        help: String,
    },

    #[error("{file} line {line}: the line ends in a carriage return (Windows line endings), which becomes part of the value")]
    #[diagnostic(
        code(kvmlab::net::windows_line_endings),
        help("save the file with Unix line endings, e.g. `sed -i 's/\\r$//' {file}`")
    )]
    WindowsLineEndings { file: String, line: usize },

    #[error("{file} line {line}: GATEWAY={gateway} is not on {device}'s network {network}, so initscripts add no default route through {device}")]
    #[diagnostic(code(kvmlab::net::gateway_off_link), help("{help}"))]
    GatewayOffLink {
        file: String,
        line: usize,
        device: String,
        gateway: std::net::Ipv4Addr,
        network: String,
        help: String,
    },

    #[error("{file} line {line}: GATEWAY={gateway} on {device} replaces the default route via {previous}")]
    #[diagnostic(
        code(kvmlab::net::default_route_replaced),
        help("initscripts keep the default route of the interface brought up last; keep GATEWAY in one ifcfg file, or set DEFROUTE=no in the other")
    )]
    DefaultRouteReplaced {
        file: String,
        line: usize,
        device: String,
        gateway: String,
        /// The replaced gateway, its device and file.
        previous: String,
    },

    #[error("{host}: /sbin/{command}: configuration for {config} not found")]
    #[diagnostic(code(kvmlab::net::no_ifcfg), help("{help}"))]
    NoIfcfg {
        host: String,
        command: String,
        config: String,
        help: String,
    },

    #[error("{file}: device {device} does not seem to be present")]
    #[diagnostic(code(kvmlab::net::no_such_device), help("{help}"))]
    NoSuchDevice {
        file: String,
        device: String,
        help: String,
    },

    #[error("{file} line {line}: HWADDR={configured} but {device} has MAC address {actual}, so initscripts ignore the file")]
    #[diagnostic(
        code(kvmlab::net::hwaddr_mismatch),
        help("write HWADDR={actual}, or delete the HWADDR line")
    )]
    HwaddrMismatch {
        file: String,
        line: usize,
        device: String,
        configured: String,
        actual: String,
    },

    #[error("{file} line {line}: {device} asks for DHCP but no DHCP server answers in the lab, so {device} gets no address")]
    #[diagnostic(code(kvmlab::net::no_dhcp_server), help("{help}"))]
    NoDhcpServer {
        file: String,
        line: usize,
        device: String,
        help: String,
    },

    #[error("{file} line {line}: {device} is a port of bridge {bridge}, so its IPADDR is ignored")]
    #[diagnostic(code(kvmlab::net::address_on_bridge_port), help("{help}"))]
    AddressOnBridgePort {
        file: String,
        line: usize,
        device: String,
        bridge: String,
        help: String,
    },

    #[error("{file} line {line}: IPADDR={address} has neither NETMASK nor PREFIX, so initscripts use the classful /{prefix}")]
    #[diagnostic(code(kvmlab::net::classful_netmask), help("{help}"))]
    ClassfulNetmask {
        file: String,
        line: usize,
        address: String,
        prefix: u8,
        help: String,
    },

    #[error("{file} line {line}: IPADDR={address} is the {role}")]
    #[diagnostic(
        code(kvmlab::net::reserved_host_address),
        help("pick a host address from {range}")
    )]
    ReservedHostAddress {
        file: String,
        line: usize,
        address: String,
        /// e.g. "broadcast address of 10.10.1.0/24"
        role: String,
        /// e.g. "10.10.1.1 to 10.10.1.254"
        range: String,
    },

    #[error("{file} line {line}: NETWORKING=no, so the network service brings up no interface")]
    #[diagnostic(
        code(kvmlab::net::networking_disabled),
        help("set NETWORKING=yes in {file}")
    )]
    NetworkingDisabled { file: String, line: usize },

    #[error("{file} is missing, so the network service does not start")]
    #[diagnostic(
        code(kvmlab::net::no_network_config),
        help("create {file} with the lines NETWORKING=yes and HOSTNAME=...")
    )]
    NoNetworkConfig { file: String },

    #[error("{address} on {host} {device} is already used by {other}, so initscripts refuse to configure it")]
    #[diagnostic(
        code(kvmlab::net::duplicate_address),
        help(
            "give each machine on a network its own address (ifup checks with `arping -D` first)"
        )
    )]
    DuplicateAddress {
        host: String,
        device: String,
        address: String,
        other: String,
    },

    #[error("{host} {device} has address {address} but is cabled to switch {switch}, whose network is {network}")]
    #[diagnostic(code(kvmlab::net::address_outside_segment), help("{help}"))]
    AddressOutsideSegment {
        host: String,
        device: String,
        address: crate::world::net::ip::Ipv4Cidr,
        switch: String,
        network: crate::world::net::ip::Ipv4Cidr,
        help: String,
    },

    #[error("router {router}: {first} and {second} are both on {network}: a router has one port per network")]
    #[diagnostic(code(kvmlab::net::router_ports_overlap), help("{help}"))]
    RouterPortsOverlap {
        router: String,
        first: String,
        second: String,
        network: String,
        help: String,
    },

    #[error("router {router}: {port} has address {address}, which does not fit {switch} ({network}), where it is cabled")]
    #[diagnostic(code(kvmlab::net::router_port_off_network), help("{help}"))]
    RouterPortOffNetwork {
        router: String,
        port: String,
        address: crate::world::net::ip::Ipv4Cidr,
        switch: String,
        network: crate::world::net::ip::Ipv4Cidr,
        help: String,
    },

    #[error("{host} cannot resolve `{name}`: {reason}")]
    #[diagnostic(code(kvmlab::net::unresolved), help("{help}"))]
    Unresolved {
        host: String,
        name: String,
        reason: String,
        help: String,
    },

    #[error("{host} has no route to {address}: Network is unreachable")]
    #[diagnostic(code(kvmlab::net::network_unreachable), help("{help}"))]
    NetworkUnreachable {
        host: String,
        address: String,
        help: String,
    },

    #[error("{host} cannot reach {address}: {reason}")]
    #[diagnostic(code(kvmlab::net::host_unreachable), help("{help}"))]
    HostUnreachable {
        host: String,
        address: String,
        reason: String,
        help: String,
    },

    #[error("{host} gets no reply from {address}: {reason}")]
    #[diagnostic(code(kvmlab::net::no_reply), help("{help}"))]
    NoReply {
        host: String,
        address: String,
        reason: String,
        help: String,
    },

    #[error("{host} has no network card `{nic}`")]
    #[diagnostic(code(kvmlab::net::unknown_nic), help("{help}"))]
    UnknownNic {
        host: String,
        nic: String,
        help: String,
    },

    #[error("there is already a {kind} named `{name}`")]
    #[diagnostic(code(kvmlab::net::duplicate_name), help("{help}"))]
    DuplicateName {
        kind: String,
        name: String,
        help: String,
    },

    #[error("{file} line {line}: BRIDGE={bridge} makes {port} the port of {bridge}, whose address {address} is on another network")]
    #[diagnostic(code(kvmlab::net::bridge_on_wrong_card), help("{help}"))]
    BridgeOnWrongCard {
        file: String,
        line: usize,
        /// The card and its switch, e.g. `eth1 (cabled to NET2)`.
        port: String,
        bridge: String,
        address: crate::world::net::ip::Ipv4Cidr,
        help: String,
    },

    // ── up: `kvmlab up`, `status` and `down`, the real two-host lab on this machine ──────────
    #[error("`kvmlab {command}` needs root: {reason}")]
    #[diagnostic(
        code(kvmlab::up::not_root),
        help("run it as root, e.g. `sudo kvmlab {command}`")
    )]
    UpNotRoot { command: String, reason: String },

    #[error("`{binary}` is not installed: `kvmlab up` needs it ({purpose})")]
    #[diagnostic(
        code(kvmlab::up::missing_binary),
        help("install Debian's package: `apt-get install --no-install-recommends {package}`")
    )]
    UpMissingBinary {
        binary: String,
        purpose: String,
        package: String,
    },

    #[error(
        "the {what} `{name}` does not exist: libvirt's QEMU driver refuses to start without it"
    )]
    #[diagnostic(code(kvmlab::up::missing_account), help("{help}"))]
    UpMissingAccount {
        what: String,
        name: String,
        help: String,
    },

    #[error("a lab is already up: {evidence}")]
    #[diagnostic(
        code(kvmlab::up::already_up),
        help("see it with `kvmlab status --dir {dir}`, or take it down first with `kvmlab down --dir {dir}`")
    )]
    UpAlreadyUp { evidence: String, dir: String },

    #[error("{dir} holds files of its own: `kvmlab up` keeps a lab's state only in a new or empty folder")]
    #[diagnostic(
        code(kvmlab::up::dir_in_use),
        help("give a new folder with `--dir`, e.g. `kvmlab up --dir /var/lib/kvmlab`")
    )]
    UpDirInUse { dir: String },

    #[error(
        "/dev/kvm {reason}: the lab's guests will run under software emulation (TCG), much slower"
    )]
    #[diagnostic(
        code(kvmlab::up::no_kvm),
        severity(Warning),
        help("for hardware virtualization, enable AMD-V or VT-x (nested virtualization in a VM) and load kvm_amd or kvm_intel")
    )]
    UpNoKvm { reason: String },

    #[error("`{command}` failed ({status}): {output}")]
    #[diagnostic(code(kvmlab::up::command_failed), help("{help}"))]
    UpCommandFailed {
        command: String,
        status: String,
        output: String,
        help: String,
    },

    #[error("{daemon} did not answer: {why}")]
    #[diagnostic(
        code(kvmlab::up::daemon_silent),
        help("read its log `{log}`; `kvmlab up` stopped what it had started, `kvmlab down --dir {dir}` removes the rest")
    )]
    UpDaemonSilent {
        daemon: String,
        why: String,
        log: String,
        dir: String,
    },

    #[error("cannot {action} `{path}`: {reason}")]
    #[diagnostic(code(kvmlab::up::io), help("{help}"))]
    UpIo {
        action: String,
        path: String,
        reason: String,
        help: String,
    },

    #[error("`{path}` is not a lab file kvmlab wrote: {reason}")]
    #[diagnostic(
        code(kvmlab::up::lab_file),
        help("`kvmlab down --dir {dir}` takes the lab down without it (it finds what runs in the `kvmlab` network namespace)")
    )]
    UpLabFile {
        path: String,
        reason: String,
        dir: String,
    },

    #[error("no Linux guest image: {reason}")]
    #[diagnostic(
        code(kvmlab::up::no_linux_image),
        severity(Warning),
        help("the workload kernel is built, so guests that hold memory and migrate work; a guest that serves files needs the Linux image: once Debian's archive answers (`apt-get update` succeeds), `kvmlab down` then `kvmlab up` builds it (packages already downloaded stay in {cache})")
    )]
    UpNoLinuxImage { reason: String, cache: String },

    #[error("the {image} does not run under KVM here ({reason}): its guests use software emulation (libvirt domain type `qemu`)")]
    #[diagnostic(
        code(kvmlab::up::software_guest),
        severity(Warning),
        help("nothing to fix: lab.toml records `qemu` for this image and its guests behave the same, only slower; on a machine whose KVM boots it, `kvmlab up` picks `kvm` by itself")
    )]
    UpSoftwareGuest { image: String, reason: String },

    #[error("the {image} did not start on sv1, neither under KVM nor under software emulation: {reason}")]
    #[diagnostic(
        code(kvmlab::up::guest_silent),
        help("read its serial output `{serial}` and sv1's log `{log}`; `kvmlab up` stopped what it had started, `kvmlab down --dir {dir}` removes the rest")
    )]
    UpGuestSilent {
        image: String,
        reason: String,
        serial: String,
        log: String,
        dir: String,
    },

    // ── libvirt: the libvirt backend, real hosts reached through libvirt URIs ──────────────
    #[error("this kvmlab was built without the libvirt backend")]
    #[diagnostic(
        code(kvmlab::libvirt::not_built),
        help("build it with `cargo build --features libvirt` (needs Debian's libvirt-dev), or run on the simulator: leave out `--backend libvirt`")
    )]
    LibvirtNotBuilt,

    #[error("no real lab to run on: {reason}")]
    #[diagnostic(
        code(kvmlab::libvirt::no_site),
        help("bring one up with `kvmlab up` (then `--lab DIR` if it is not in /var/lib/kvmlab), or name the hosts: `--host sv1=qemu+ssh://sv1/system --host sv2=qemu+ssh://sv2/system`")
    )]
    LibvirtNoSite { reason: String },

    #[error("`--host {flag}` {reason}")]
    #[diagnostic(
        code(kvmlab::libvirt::bad_host_flag),
        help(
            "write `--host NAME=URI`, one per host, e.g. `--host sv1=qemu+ssh://root@sv1/system`"
        )
    )]
    LibvirtBadHostFlag { flag: String, reason: String },

    #[error("`{uri}` is not a libvirt URI")]
    #[diagnostic(
        code(kvmlab::libvirt::bad_uri),
        help("write DRIVER[+TRANSPORT]://[HOST]/PATH, e.g. \"qemu+ssh://root@sv1/system\" or \"qemu:///system\"")
    )]
    LibvirtBadUri { uri: String },

    #[error("`--nas {uri}` is not an iSCSI LUN: {reason}")]
    #[diagnostic(
        code(kvmlab::libvirt::bad_nas_uri),
        help("write `--nas iscsi://PORTAL[:PORT]/IQN/LUN`, e.g. `--nas iscsi://192.168.0.240/iqn.2006-01.com.thecus:iscsi1/1` (`iscsi-ls -s iscsi://PORTAL` lists a portal's targets and LUNs)")
    )]
    LibvirtBadNasUri { uri: String, reason: String },

    #[error("the real lab has no host `{host}`; its hosts: {known}")]
    #[diagnostic(code(kvmlab::libvirt::unknown_host), help("{help}"))]
    LibvirtUnknownHost {
        host: String,
        known: String,
        help: String,
    },

    #[error("cannot reach {host} at `{uri}`: {message}")]
    #[diagnostic(code(kvmlab::libvirt::unreachable), help("{help}"))]
    LibvirtUnreachable {
        host: String,
        uri: String,
        message: String,
        help: String,
    },

    #[error("libvirt on {host} refused to {action}: {message}")]
    #[diagnostic(code(kvmlab::libvirt::refused), help("{help}"))]
    LibvirtRefused {
        host: String,
        action: String,
        message: String,
        help: String,
    },

    #[error("checkpoint `{name}` was not taken in this lab")]
    #[diagnostic(
        code(kvmlab::checkpoint::foreign),
        help("a checkpoint goes back within the run (or console session) that took it, on the same seed; take it again here with checkpoint(\"{name}\")")
    )]
    CheckpointForeign { name: String },

    #[error("cannot restore checkpoint `{name}`: the script may hold handles to what came after it ({made}), which would point at nothing")]
    #[diagnostic(
        code(kvmlab::checkpoint::made_since),
        help("restore a checkpoint taken after those were made; at the console, :restore has no such limit, as it puts the variables back with the lab")
    )]
    CheckpointMadeSince { name: String, made: String },

    #[error("{path} is not a kvmlab checkpoint file: {reason}")]
    #[diagnostic(
        code(kvmlab::checkpoint::bad_file),
        help("a checkpoint file is what `kvmlab checkpoint LAB --step N` writes: make it again that way, and hand it out as it is")
    )]
    CheckpointFileBad { path: String, reason: String },

    #[error("{path} did not come out as it was made: its setup, {lab} up to step {step}, gives another lab than the one it recorded (it was made by kvmlab {made_by})")]
    #[diagnostic(
        code(kvmlab::checkpoint::diverged),
        help("the file was edited, or this kvmlab models the lab differently: make it again with this kvmlab, `kvmlab checkpoint {lab} --step {step}`")
    )]
    CheckpointDiverged {
        path: String,
        lab: String,
        step: usize,
        made_by: String,
    },

    #[error("{path} was made with seed {made}, and this lab runs with seed {wanted}: its lab would come out differently")]
    #[diagnostic(
        code(kvmlab::checkpoint::other_seed),
        help("run with the checkpoint's seed (`seed = {made}` in exercise.toml, `--seed {made}` for the console), or make the checkpoint again with `--seed {wanted}`")
    )]
    CheckpointOtherSeed {
        path: String,
        made: u64,
        wanted: u64,
    },

    #[error("`{lab}` has {steps} steps; there is no step {step} to make a checkpoint before")]
    #[diagnostic(
        code(kvmlab::checkpoint::no_such_step),
        help("`--step` is the number of the step the checkpoint is from before, 1 to {steps}, as `:step` numbers the lab's steps")
    )]
    CheckpointNoSuchStep {
        lab: String,
        step: usize,
        steps: usize,
    },

    #[error("the steps before step {from} failed {failed} check(s) (first: {first}): step {from} starts from a state that is not the lab's own")]
    #[diagnostic(
        code(kvmlab::run::from_not_reference),
        help("run the lab without `--from` to see those steps and mend them; the steps from {from} on may fail for what they left")
    )]
    FromStepNotReference {
        from: usize,
        failed: usize,
        first: String,
    },

    #[error("no checkpoint `{name}` (taken: {taken})")]
    #[diagnostic(
        code(kvmlab::checkpoint::unknown),
        help("`:checkpoint NAME` takes one, `:checkpoint` lists them; a :reset drops them with the lab")
    )]
    NoCheckpoint { name: String, taken: String },

    #[error("the lab has {steps} steps; there is no step {from} to start from")]
    #[diagnostic(
        code(kvmlab::run::no_such_step),
        help("`--from N` takes a step's number as `kvmlab run` prints it, 1 to {steps}")
    )]
    NoSuchStep { from: usize, steps: usize },

    #[error("`{operation}` is not available on real hosts yet")]
    #[diagnostic(code(kvmlab::libvirt::unsupported), help("{help}"))]
    LibvirtUnsupported { operation: String, help: String },

    #[error("the download of {path} from {guest} failed: {reason}")]
    #[diagnostic(code(kvmlab::libvirt::download_failed), help("{help}"))]
    LibvirtDownloadFailed {
        guest: String,
        path: String,
        reason: String,
        help: String,
    },

    #[error("the site has no guest images: {guest} gets no kernel and waits in the BIOS, a real guest to start, stop and migrate that runs no workload")]
    #[diagnostic(
        code(kvmlab::libvirt::no_images),
        severity(Warning),
        help("`kvmlab up` builds the images when it can; a lab it brought up lists them in lab.toml's [images]")
    )]
    LibvirtNoImages { guest: String },

    #[error("{guest_on_host} is {real} after `{action}`, not {expected}")]
    #[diagnostic(
        code(kvmlab::libvirt::state_differs),
        severity(Warning),
        help("{help}")
    )]
    LibvirtStateDiffers {
        /// e.g. `a-guest1 on sv1`.
        guest_on_host: String,
        action: String,
        real: String,
        expected: String,
        help: String,
    },

    // ── calibrate: `kvmlab calibrate`, real migrations beside the simulator's ─────────────
    #[error("no lab is up at {dir}: `{lab_file}` does not exist")]
    #[diagnostic(
        code(kvmlab::calibrate::no_lab),
        help("run `kvmlab up` first (`kvmlab up --dir {dir}`), or name the folder of a lab that is up with `--lab`")
    )]
    CalibrateNoLab { dir: String, lab_file: String },

    #[error("the lab at {dir} has no {what}: `kvmlab calibrate` migrates sv1 → sv2 and needs both hosts and the workload kernel")]
    #[diagnostic(
        code(kvmlab::calibrate::incomplete_lab),
        help("take the lab down and bring it up again with this kvmlab, which builds the workload kernel: `kvmlab down --dir {dir}`, then `kvmlab up --dir {dir}`")
    )]
    CalibrateIncompleteLab { dir: String, what: String },

    #[error("line {line} of `{file}` is not a recorded migration: {reason}")]
    #[diagnostic(
        code(kvmlab::calibrate::bad_record),
        help("each line is one JSON object: `ram_mib`, `used_mib`, `wss_mib`, `dirty_pages_per_s`, `max_bandwidth_Bps`, `downtime_limit_ms`, `capabilities` (`[]` or `[\"auto-converge\"]`) and QEMU's `result` with `status`, `total-time` and `downtime` in ms, `transferred` and `dirty-sync-count`")
    )]
    CalibrateBadRecord {
        file: String,
        line: usize,
        reason: String,
    },

    #[error("cannot compare against `{file}`: {reason}")]
    #[diagnostic(
        code(kvmlab::calibrate::no_records),
        help("give a JSON-lines file of recorded migrations, one a line, e.g. the QEMU 7.2 runs kvmlab was checked on: `kvmlab calibrate --against tests/calibration/qemu-7.2-migrations.jsonl` in its source")
    )]
    CalibrateNoRecords { file: String, reason: String },

    #[error("the workload guest `{guest}` on {host} did not say it was ready within {seconds} s; its serial console said: {said}")]
    #[diagnostic(
        code(kvmlab::calibrate::guest_silent),
        help("`kvmlab status --dir {dir}` shows how the workload kernel boots on this lab (KVM or software); the guest was destroyed, so running the calibration again starts afresh")
    )]
    CalibrateGuestSilent {
        guest: String,
        host: String,
        seconds: u64,
        said: String,
        dir: String,
    },

    #[error("libvirt on {host} refused to {action} `{guest}`: {message}")]
    #[diagnostic(code(kvmlab::calibrate::libvirt), help("{help}"))]
    CalibrateLibvirt {
        host: String,
        action: String,
        guest: String,
        message: String,
        help: String,
    },

    // ── host: hardware, operating system, KVM and the host's files ─────────────────────────
    #[error("{host} is powered off: it answers nothing")]
    #[diagnostic(
        code(kvmlab::host::powered_off),
        help("its power went (`{host}.crash()` or a fault): switch it on with `{host}.power_on()`, and start its guests again")
    )]
    HostPoweredOff { host: String },

    #[error("{host} is already on")]
    #[diagnostic(
        code(kvmlab::host::already_on),
        help("only a host whose power went can be switched on; to restart a running host use `{host}.reboot()`")
    )]
    HostAlreadyOn { host: String },

    #[error("{machine}'s {nic} has no cable to pull or plug back")]
    #[diagnostic(
        code(kvmlab::fault::no_cable),
        help("a fault acts on a cabled card: cable it first (`{machine}.nic(\"{nic}\").connect(switch)`), or name a card that carries the lab's traffic")
    )]
    NoCableToPull { machine: String, nic: String },

    #[error("a fault at {at_s} s is in the past: the lab is at {now_s} s")]
    #[diagnostic(
        code(kvmlab::fault::in_the_past),
        help("give `at` as a lab time still to come, e.g. `#{{at: clock() + 5.0}}`, or leave it out for now")
    )]
    FaultInThePast { at_s: f64, now_s: f64 },

    #[error("{guest}'s disk {path} is in {owner}'s pool `{pool}`, which {host} cannot see")]
    #[diagnostic(
        code(kvmlab::guest::disk_not_visible),
        help("a guest can only start where its disk is: keep guests that must survive their host on the shared iSCSI pool, which every host mounts; this one can start again only on {owner}")
    )]
    DiskNotVisible {
        guest: String,
        host: String,
        path: String,
        owner: String,
        pool: String,
    },

    #[error("{host} has no operating system yet")]
    #[diagnostic(
        code(kvmlab::host::no_os),
        help("install one first with `install_os`, e.g. Scientific Linux 6.1 x86_64")
    )]
    NoOs { host: String },

    #[error("`{distro}` is not a distribution kvmlab can install")]
    #[diagnostic(
        code(kvmlab::host::unsupported_distro),
        help("kvmlab models the RHEL 6 family: \"Scientific Linux 6.1\", \"CentOS 6.x\" or \"Red Hat Enterprise Linux 6.x\"")
    )]
    UnsupportedDistro { distro: String },

    #[error("`{arch}` is not an architecture of {distro}")]
    #[diagnostic(
        code(kvmlab::host::unsupported_arch),
        help("install x86_64 (the report's choice) or i686")
    )]
    UnsupportedArch { arch: String, distro: String },

    #[error("the Virtualization group needs an x86_64 install, not {arch}")]
    #[diagnostic(
        code(kvmlab::host::virt_needs_x86_64),
        help("RHEL 6 ships KVM for x86_64 only: install the x86_64 edition")
    )]
    VirtNeedsX86_64 { arch: String },

    #[error("unknown package group `{group}`")]
    #[diagnostic(code(kvmlab::host::unknown_package_group), help("{help}"))]
    UnknownPackageGroup { group: String, help: String },

    #[error("partition `{mount}`: {reason}")]
    #[diagnostic(code(kvmlab::host::bad_partition), help("{help}"))]
    BadPartition {
        mount: String,
        reason: String,
        help: String,
    },

    #[error("the partitions do not fit on {host}'s disk {disk}: they need {needed}, the disk holds {available}")]
    #[diagnostic(code(kvmlab::host::partitions_do_not_fit), help("{help}"))]
    PartitionsDoNotFit {
        host: String,
        disk: String,
        needed: String,
        available: String,
        help: String,
    },

    #[error("{host}'s CPU ({cpu}) has neither AMD-V nor Intel VT-x, so KVM cannot run")]
    #[diagnostic(
        code(kvmlab::host::no_virt_extension),
        help("KVM needs hardware virtualization: use a CPU whose /proc/cpuinfo flags include svm (AMD-V) or vmx (VT-x)")
    )]
    NoVirtExtension { host: String, cpu: String },

    #[error("{host}: {extension} is disabled in the BIOS, so the kvm module refuses to load (\"kvm: disabled by bios\")")]
    #[diagnostic(
        code(kvmlab::host::virt_disabled_in_bios),
        help("enter the BIOS setup, enable {extension} ({setting}), save and boot again")
    )]
    VirtDisabledInBios {
        host: String,
        extension: String,
        setting: String,
    },

    #[error("{host} does not have the Virtualization package group, so qemu-kvm is missing")]
    #[diagnostic(
        code(kvmlab::host::virtualization_not_installed),
        help("install it: `yum groupinstall Virtualization`, or list \"Virtualization\" in install_os's package groups")
    )]
    VirtualizationNotInstalled { host: String },

    #[error("{host}: {path}: No such file or directory")]
    #[diagnostic(code(kvmlab::host::no_such_file), help("{help}"))]
    NoSuchFile {
        host: String,
        path: String,
        help: String,
    },

    #[error("{host}: cannot write {path}: directory {dir} does not exist")]
    #[diagnostic(
        code(kvmlab::host::no_such_directory),
        help("create the directory first (mkdir {dir}), or check the path for typos")
    )]
    NoSuchDirectory {
        host: String,
        path: String,
        dir: String,
    },

    #[error("{host}: {path} is a directory")]
    #[diagnostic(
        code(kvmlab::host::is_a_directory),
        help("give the path of a file inside it, e.g. {path}/NAME")
    )]
    IsADirectory { host: String, path: String },

    #[error("{host}: cannot remove `{path}': {reason}")]
    #[diagnostic(code(kvmlab::host::cannot_remove), help("{help}"))]
    CannotRemove {
        host: String,
        path: String,
        reason: String,
        help: String,
    },

    #[error("{host}: {path} already exists")]
    #[diagnostic(
        code(kvmlab::host::file_exists),
        help("pick another name, or use the existing one")
    )]
    FileExists { host: String, path: String },

    #[error("No package {package} available.")]
    #[diagnostic(code(kvmlab::host::unknown_package), help("{help}"))]
    UnknownPackage { package: String, help: String },

    #[error("{host}: bash: {command}: command not found")]
    #[diagnostic(code(kvmlab::host::command_not_found), help("{help}"))]
    CommandNotFound {
        host: String,
        command: String,
        help: String,
    },

    #[error("{host}: {service}: unrecognized service")]
    #[diagnostic(code(kvmlab::host::unknown_service), help("{help}"))]
    UnknownService {
        host: String,
        service: String,
        help: String,
    },

    #[error("{host}: {what}: the {service} service is not running")]
    #[diagnostic(code(kvmlab::host::service_not_running), help("{help}"))]
    ServiceNotRunning {
        host: String,
        service: String,
        what: String,
        help: String,
    },

    #[error("`{path}` is not a usable path: {reason}")]
    #[diagnostic(
        code(kvmlab::host::bad_path),
        help("write an absolute path without `.`, `..` or repeated slashes, e.g. /etc/hosts")
    )]
    BadPath { path: String, reason: String },

    #[error("{message}")]
    #[diagnostic(code(kvmlab::shell::syntax_error), help("{help}"))]
    ShellSyntax { message: String, help: String },

    #[error("kvmlab: {what}")]
    #[diagnostic(code(kvmlab::shell::unsupported), help("{help}"))]
    ShellUnsupported { what: String, help: String },

    #[error("kvmlab: {command} runs until Ctrl-C on a real host; it was stopped after {after}, as if Ctrl-C was pressed")]
    #[diagnostic(code(kvmlab::shell::stopped), help("{help}"))]
    ShellStopped {
        command: String,
        after: String,
        help: String,
    },

    #[error("{tool} at this prompt has no option {option}")]
    #[diagnostic(
        code(kvmlab::shell::unknown_option),
        help("{tool} here takes {supported}")
    )]
    ShellOption {
        tool: String,
        option: String,
        supported: String,
    },

    #[error("a command line of {length} bytes is longer than a host takes ({max})")]
    #[diagnostic(
        code(kvmlab::shell::line_too_long),
        help("split it into several `sh(..)` calls, or write a long file with write_file(..)")
    )]
    ShellLineTooLong { length: usize, max: usize },
}

impl Error {
    /// The stable code, e.g. `kvmlab::sandbox::operations`.
    pub fn code_str(&self) -> String {
        self.code().map(|c| c.to_string()).unwrap_or_default()
    }

    /// Whether this is a limit of the sandbox (code `kvmlab::sandbox::…`) or the console's
    /// interrupt, which a script cannot catch.
    pub fn is_sandbox_limit(&self) -> bool {
        matches!(self, Error::Interrupted) || self.code_str().starts_with("kvmlab::sandbox::")
    }

    /// The help line, if the variant has one.
    pub fn help_str(&self) -> Option<String> {
        self.help().map(|h| h.to_string()).filter(|h| !h.is_empty())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every diagnostic code, read from the `code(..)` attributes of this file, so the list
/// cannot drift from the enum (`expect_error` and `expect_warning` check a lab's code
/// against it).
pub fn all_codes() -> Vec<&'static str> {
    const SOURCE: &str = include_str!("error.rs");
    let mut codes: Vec<&str> = SOURCE
        .match_indices("code(kvmlab::")
        .filter_map(|(at, _)| {
            let rest = &SOURCE[at + "code(".len()..];
            let code = &rest[..rest.find(')')?];
            code.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                .then_some(code)
        })
        .collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_area_scheme() {
        let samples = [
            Error::EvalDisabled,
            Error::OperationBudget { limit: 1 },
            Error::BadSize { text: "x".into() },
            Error::BadDuration { seconds: -1.0 },
        ];
        for e in samples {
            let code = e.code_str();
            let parts: Vec<_> = code.split("::").collect();
            assert_eq!(parts.len(), 3, "{code}");
            assert_eq!(parts[0], "kvmlab");
            assert!(e.help_str().is_some(), "{code} has no help");
        }
    }

    #[test]
    fn every_code_is_listed() {
        let codes = all_codes();
        assert!(codes.contains(&"kvmlab::net::hosts_reversed"));
        assert!(codes.contains(&Error::BadSize { text: "x".into() }.code_str().as_str()));
        assert!(
            codes.iter().all(|c| c.split("::").count() == 3),
            "{codes:?}"
        );
    }

    #[test]
    fn help_interpolates_fields() {
        let e = Error::UnknownKey {
            key: "coers".into(),
            what: "host spec".into(),
            help: "did you mean `cores`?".into(),
        };
        assert_eq!(e.to_string(), "unknown key `coers` in host spec");
        assert_eq!(e.help_str().unwrap(), "did you mean `cores`?");
        assert_eq!(e.code_str(), "kvmlab::spec::unknown_key");
    }
}
