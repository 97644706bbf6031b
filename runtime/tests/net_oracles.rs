//! kvmlab's network answers checked against the real tools that decide the same questions:
//! glibc's resolver (`gethostbyname2` and `getent hosts`, with a generated file bind-mounted
//! over /etc/hosts in a private mount namespace), Python's `ipaddress`, and bash sourcing
//! ifcfg files. Inputs come from a seeded generator, so every run checks the same cases.
//!
//! When a tool cannot run here (no python3, no permission for `unshare`), the test says why
//! and passes, unless KVMLAB_REQUIRE_ORACLES=1, which makes it fail instead.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use kvmlab_runtime::world::net::hosts_file::{Family, HostsFile};
use kvmlab_runtime::world::net::ip::{self, Ipv4Cidr};
use kvmlab_runtime::world::net::shell::ShellVars;
use serde_json::{json, Value};

/// splitmix64: small, seeded, good enough to spread cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Skips (or, with KVMLAB_REQUIRE_ORACLES=1, fails) when an oracle is missing.
fn unavailable(reason: &str) {
    if std::env::var("KVMLAB_REQUIRE_ORACLES").as_deref() == Ok("1") {
        panic!("oracle required but unavailable: {reason}");
    }
    eprintln!("skipping oracle test: {reason}");
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kvmlab-oracle-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

fn python_available() -> Result<(), String> {
    match Command::new("python3")
        .args(["-c", "import ipaddress, json, ctypes"])
        .output()
    {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!(
            "python3 fails: {}",
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(e) => Err(format!("no python3: {e}")),
    }
}

/// Runs a Python program with JSON on stdin, returning its JSON output.
fn python_json(program: &str, input: &Value) -> Value {
    let mut child = Command::new("python3")
        .args(["-c", program])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("write cases");
    let out = child.wait_with_output().expect("python3 runs");
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python3 prints JSON")
}

// ── /etc/hosts against glibc ────────────────────────────────────────────────────────────

const NAMES: &[&str] = &[
    "sv1",
    "sv2",
    "sv10",
    "sv20",
    "iscsi1",
    "nas",
    "gw",
    "localhost",
    "db-01",
    "x.lab",
    "a",
    "B",
];
const GOOD_V4: &[&str] = &[
    "192.168.1.11",
    "192.168.1.12",
    "10.10.1.10",
    "10.10.1.11",
    "10.10.1.12",
    "127.0.0.1",
    "192.168.1.1",
    "0.0.0.0",
    "255.255.255.255",
    "172.16.0.5",
];
const GOOD_V6: &[&str] = &[
    "::1",
    "fe80::1",
    "2001:db8::5",
    "::ffff:10.0.0.7",
    "2001:db8:0:1::12",
    "::",
];
const BAD_ADDRESSES: &[&str] = &[
    "192.168.1.300",
    "01.2.3.4",
    "1.2.3",
    "1.2.3.4.5",
    "256.0.0.1",
    "2001:db8::g",
    "1.2.3.4/24",
    "0x7f.0.0.1",
    ":::1",
    "sv1",
];
const SEPARATORS: &[&str] = &[" ", "\t", "  ", " \t ", "\x0b", "\x0c", "\r"];

fn name(rng: &mut Rng) -> String {
    let base = rng.pick(NAMES).to_string();
    match rng.below(6) {
        0 => base.to_uppercase(),
        1 => format!("{}{}", &base[..1].to_uppercase(), &base[1..]),
        _ => base,
    }
}

fn address(rng: &mut Rng) -> String {
    match rng.below(10) {
        0..=5 => rng.pick(GOOD_V4).to_string(),
        6 => format!(
            "10.{}.{}.{}",
            rng.below(256),
            rng.below(256),
            rng.below(256)
        ),
        7 | 8 => rng.pick(GOOD_V6).to_string(),
        _ => rng.pick(BAD_ADDRESSES).to_string(),
    }
}

fn hosts_line(rng: &mut Rng) -> String {
    let sep = |rng: &mut Rng| rng.pick(SEPARATORS).to_string();
    let names: Vec<String> = (0..1 + rng.below(3)).map(|_| name(rng)).collect();
    let mut line = String::new();
    if rng.chance(10) {
        line.push_str(&sep(rng));
    }
    match rng.below(12) {
        0 => line.push_str("# a comment line"),
        1 => {}
        2 => {
            // reversed, as the report prints it
            line.push_str(&names[0]);
            line.push_str(&sep(rng));
            line.push_str(&address(rng));
        }
        3 => line.push_str(&address(rng)),
        _ => {
            line.push_str(&address(rng));
            for n in &names {
                line.push_str(&sep(rng));
                line.push_str(n);
            }
        }
    }
    match rng.below(8) {
        0 => line.push_str(" # trailing comment sv1"),
        1 => line.push_str("#glued"),
        2 => line.push_str(&sep(rng)),
        _ => {}
    }
    line
}

fn render_getent(found: &kvmlab_runtime::world::net::hosts_file::HostLookup) -> String {
    let mut out = String::new();
    for address in &found.addresses {
        let _ = write!(out, "{:<15} {}", address.to_string(), found.canonical);
        for alias in &found.aliases {
            let _ = write!(out, " {alias}");
        }
        out.push('\n');
    }
    out
}

/// Inside the namespace: for each case, write the hosts text into the bind-mounted file and
/// ask glibc (gethostbyname2 for AF_INET and AF_INET6 through ctypes, and `getent hosts`).
const GLIBC_PROGRAM: &str = r#"
import ctypes, json, os, subprocess, sys
target, cases_path = sys.argv[1], sys.argv[2]
assert os.stat("/etc/hosts").st_ino == os.stat(target).st_ino, "bind mount missing"
class HostEnt(ctypes.Structure):
    _fields_ = [("h_name", ctypes.c_char_p), ("h_aliases", ctypes.POINTER(ctypes.c_char_p)),
                ("h_addrtype", ctypes.c_int), ("h_length", ctypes.c_int),
                ("h_addr_list", ctypes.POINTER(ctypes.POINTER(ctypes.c_ubyte)))]
libc = ctypes.CDLL(None)
libc.gethostbyname2.restype = ctypes.POINTER(HostEnt)
libc.gethostbyname2.argtypes = [ctypes.c_char_p, ctypes.c_int]
import socket
def lookup(name, family):
    h = libc.gethostbyname2(name.encode(), family)
    if not h:
        return None
    h = h.contents
    aliases, i = [], 0
    while h.h_aliases[i]:
        aliases.append(h.h_aliases[i].decode()); i += 1
    addrs, i = [], 0
    while h.h_addr_list[i]:
        raw = bytes(h.h_addr_list[i][:h.h_length])
        addrs.append(socket.inet_ntop(h.h_addrtype, raw)); i += 1
    return [h.h_name.decode(), aliases, addrs]
results = []
for case in json.load(open(cases_path)):
    with open(target, "w") as f:
        f.write(case["text"])
    answers = []
    for name in case["names"]:
        getent = subprocess.run(["getent", "hosts", name], capture_output=True, text=True)
        answers.append({"v4": lookup(name, socket.AF_INET), "v6": lookup(name, socket.AF_INET6),
                        "getent": getent.stdout, "rc": getent.returncode})
    results.append(answers)
json.dump(results, sys.stdout)
"#;

fn run_glibc(dir: &Path, cases: &Value) -> Result<Value, String> {
    let target = dir.join("hosts");
    let nsswitch = dir.join("nsswitch.conf");
    let host_conf = dir.join("host.conf");
    let cases_path = dir.join("cases.json");
    let program = dir.join("glibc.py");
    std::fs::write(&target, "").map_err(|e| e.to_string())?;
    std::fs::write(&nsswitch, "hosts: files\n").map_err(|e| e.to_string())?;
    // RHEL 6's /etc/host.conf says `multi on`.
    std::fs::write(&host_conf, "multi on\n").map_err(|e| e.to_string())?;
    std::fs::write(&cases_path, cases.to_string()).map_err(|e| e.to_string())?;
    std::fs::write(&program, GLIBC_PROGRAM).map_err(|e| e.to_string())?;
    let script = r#"mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/nsswitch.conf && mount --bind "$3" /etc/host.conf && exec python3 "$4" "$1" "$5""#;
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c", script, "sh"])
        .args([&target, &nsswitch, &host_conf, &program, &cases_path])
        .output()
        .map_err(|e| format!("cannot run unshare: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "unshare/mount/python failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("bad output: {e}"))
}

#[test]
fn hosts_resolution_matches_glibc() {
    if let Err(reason) = python_available() {
        return unavailable(&reason);
    }
    let mut rng = Rng(0x6b766d6c6162);
    let mut cases = Vec::new();
    for _ in 0..160 {
        let lines: Vec<String> = (0..2 + rng.below(14))
            .map(|_| hosts_line(&mut rng))
            .collect();
        let mut text = lines.join("\n");
        if rng.chance(80) {
            text.push('\n');
        }
        let mut names: Vec<String> = (0..10).map(|_| name(&mut rng)).collect();
        names.push(format!("{}.", rng.pick(NAMES)));
        names.push("absent".into());
        names.push(rng.pick(GOOD_V4).to_string());
        cases.push(json!({"text": text, "names": names}));
    }
    let cases = Value::Array(cases);
    let dir = scratch("hosts");
    let answers = run_glibc(&dir, &cases);
    let _ = std::fs::remove_dir_all(&dir);
    let answers = match answers {
        Ok(a) => a,
        Err(reason) => return unavailable(&reason),
    };
    let mut checked = 0;
    for (case, answers) in cases
        .as_array()
        .unwrap()
        .iter()
        .zip(answers.as_array().unwrap())
    {
        let text = case["text"].as_str().unwrap();
        let hosts = HostsFile::parse(text);
        for (name, glibc) in case["names"]
            .as_array()
            .unwrap()
            .iter()
            .zip(answers.as_array().unwrap())
        {
            let name = name.as_str().unwrap();
            let numeric = name.parse::<Ipv4Addr>().is_ok();
            let context = format!("name {name:?} in\n{text}\n---");
            if numeric {
                // gethostbyname2 answers a dotted quad itself, without the file.
                let ours = hosts.resolve_v4(name).map(|(a, _)| a.to_string());
                assert_eq!(ours.as_deref(), glibc["v4"][2][0].as_str(), "{context}");
                continue;
            }
            for (family, key) in [(Family::V4, "v4"), (Family::V6, "v6")] {
                let ours = hosts.lookup(name, family).map(|found| {
                    json!([
                        found.canonical,
                        found.aliases,
                        found
                            .addresses
                            .iter()
                            .map(|a| a.to_string())
                            .collect::<Vec<_>>()
                    ])
                });
                assert_eq!(ours.unwrap_or(Value::Null), glibc[key], "{key} {context}");
            }
            // getent hosts tries AF_INET6 first, then AF_INET.
            let ours = hosts
                .lookup(name, Family::V6)
                .or_else(|| hosts.lookup(name, Family::V4));
            let (stdout, rc) = match &ours {
                Some(found) => (render_getent(found), 0),
                None => (String::new(), 2),
            };
            assert_eq!(
                (stdout.as_str(), rc),
                (
                    glibc["getent"].as_str().unwrap(),
                    glibc["rc"].as_i64().unwrap()
                ),
                "getent {context}"
            );
            checked += 1;
        }
    }
    assert!(checked > 1500, "only {checked} lookups compared");
}

// ── subnet arithmetic against Python's ipaddress ─────────────────────────────────────────

const IPADDRESS_PROGRAM: &str = r#"
import ipaddress, json, sys
cases = json.load(sys.stdin)
def parse(text):
    if text.count("/") != 1:
        return None
    suffix = text.split("/")[1]
    try:
        iface = ipaddress.IPv4Interface(text)
    except ValueError:
        return None
    # ipaddress also reads a hostmask after the slash; kvmlab, like ipcalc, takes netmasks only.
    if "." in suffix and str(iface.netmask) != suffix:
        return None
    return [str(iface.ip), iface.network.prefixlen]
out = {"parse": [parse(t) for t in cases["parse"]], "nets": [], "masks": []}
for c in cases["nets"]:
    iface = ipaddress.IPv4Interface(c["cidr"])
    net = iface.network
    hosts = list(net.hosts()) if net.prefixlen >= 30 else None
    first = str(hosts[0]) if hosts else str(net.network_address + 1)
    last = str(hosts[-1]) if hosts else str(net.broadcast_address - 1)
    out["nets"].append({
        "network": str(net.network_address), "broadcast": str(net.broadcast_address),
        "netmask": str(net.netmask), "size": net.num_addresses, "first": first, "last": last,
        "contains": [ipaddress.IPv4Address(p) in net for p in c["probes"]],
        "overlaps": ipaddress.IPv4Network(c["other"]).overlaps(net),
    })
for m in cases["masks"]:
    try:
        n = ipaddress.IPv4Network("0.0.0.0/" + m)
        out["masks"].append(n.prefixlen if str(n.netmask) == m else None)
    except ValueError:
        out["masks"].append(None)
json.dump(out, sys.stdout)
"#;

fn random_v4(rng: &mut Rng) -> Ipv4Addr {
    Ipv4Addr::from(rng.next() as u32)
}

#[test]
fn subnet_arithmetic_matches_python_ipaddress() {
    if let Err(reason) = python_available() {
        return unavailable(&reason);
    }
    let mut rng = Rng(0x01b4_5eed);
    let mut parse = Vec::new();
    let junk = [
        "",
        "/",
        "1.2.3.4",
        "1.2.3.4/",
        "1.2.3.4//8",
        "1.2.3.4/8/8",
        " 1.2.3.4/8",
        "1.2.3.4/8 ",
        "1.2.3.4/+8",
        "1.2.3.4/-1",
        "1.2.3.4/٢٤",
        "1.2.3.04/8",
        "1.2.3.4/0x8",
        "1.2.3.4/255.255.255.000",
        "1.2.3/8",
        "a.b.c.d/8",
        "1.2.3.4/08",
    ];
    parse.extend(junk.iter().map(|s| s.to_string()));
    for _ in 0..3000 {
        let a = random_v4(&mut rng);
        let text = match rng.below(6) {
            0 => format!("{a}/{}", ip::netmask(rng.below(33) as u8)),
            1 => format!("{a}/{}", random_v4(&mut rng)),
            2 => format!("{a}/{}", rng.below(40)),
            3 => format!("{}.{}/{}", rng.below(300), rng.below(300), rng.below(33)),
            _ => format!("{a}/{}", rng.below(33)),
        };
        parse.push(text);
    }
    let mut nets = Vec::new();
    for _ in 0..3000 {
        let prefix = rng.below(33) as u8;
        let cidr = Ipv4Cidr::new(random_v4(&mut rng), prefix).unwrap();
        // Probes near the edges of the network and anywhere.
        let span = 1u64 << (32 - u32::from(prefix));
        let base = u64::from(u32::from(cidr.network()));
        let probes: Vec<String> = [
            base.wrapping_sub(1),
            base,
            base + span - 1,
            base + span,
            base + rng.next() % span,
            rng.next(),
        ]
        .iter()
        .map(|p| Ipv4Addr::from((*p & 0xffff_ffff) as u32).to_string())
        .collect();
        let other = Ipv4Cidr::new(random_v4(&mut rng), rng.below(33) as u8)
            .unwrap()
            .network_cidr();
        nets.push(json!({"cidr": cidr.to_string(), "probes": probes, "other": other.to_string()}));
    }
    let mut masks: Vec<String> = (0..=32).map(|p| ip::netmask(p).to_string()).collect();
    for _ in 0..2000 {
        let valid = u32::from(ip::netmask(rng.below(33) as u8));
        let mask = match rng.below(3) {
            0 => valid ^ (1 << rng.below(32)),
            1 => rng.next() as u32,
            _ => valid,
        };
        masks.push(Ipv4Addr::from(mask).to_string());
    }
    let input = json!({"parse": parse, "nets": nets, "masks": masks});
    let out = python_json(IPADDRESS_PROGRAM, &input);

    for (text, python) in parse.iter().zip(out["parse"].as_array().unwrap()) {
        let ours = Ipv4Cidr::parse(text)
            .ok()
            .map(|c| json!([c.addr().to_string(), c.prefix()]));
        assert_eq!(ours.unwrap_or(Value::Null), *python, "parse {text:?}");
    }
    for (case, python) in nets.iter().zip(out["nets"].as_array().unwrap()) {
        let cidr = Ipv4Cidr::parse(case["cidr"].as_str().unwrap()).unwrap();
        let (first, last) = cidr.host_range();
        let contains: Vec<bool> = case["probes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| cidr.on_link(p.as_str().unwrap().parse().unwrap()))
            .collect();
        let other = Ipv4Cidr::parse(case["other"].as_str().unwrap()).unwrap();
        let ours = json!({
            "network": cidr.network().to_string(), "broadcast": cidr.broadcast().to_string(),
            "netmask": cidr.netmask().to_string(), "size": cidr.size(),
            "first": first.to_string(), "last": last.to_string(),
            "contains": contains, "overlaps": cidr.overlaps(&other),
        });
        assert_eq!(ours, *python, "{}", case);
    }
    for (mask, python) in masks.iter().zip(out["masks"].as_array().unwrap()) {
        let ours = ip::parse_netmask(mask).ok();
        assert_eq!(
            ours.map(|p| json!(p)).unwrap_or(Value::Null),
            *python,
            "netmask {mask}"
        );
    }
}

// ── ifcfg files against bash ─────────────────────────────────────────────────────────────

const KEYS: &[&str] = &[
    "DEVICE", "ONBOOT", "IPADDR", "NETMASK", "GATEWAY", "TYPE", "K0", "K1",
];

fn shell_value(rng: &mut Rng) -> String {
    let words = [
        "eth0",
        "br0",
        "192.168.1.11",
        "yes",
        "a b",
        "x#y",
        "",
        "Bridge",
        "$K0",
        "${DEVICE}",
        "a\\\"b",
        "tab\there",
        "dollar$",
    ];
    let w = rng.pick(&words).to_string();
    match rng.below(10) {
        7 => rng
            .pick(&[
                "$'a\\tb\\x41\\101'",
                "$'it\\'s'",
                "$\"locale\"",
                "$UNSET",
                "\\ x",
                "a\\;b",
                "$'\\q'",
            ])
            .to_string(),
        0 => format!("'{}'", w.replace('\'', "")),
        1 => format!("\"{}\"", w.replace('"', "\\\"")),
        2 => format!("{}\\\n{}", "con", "tinued"),
        3 => format!("pre\"{}\"post", w.replace('"', "")),
        4 => "\"multi\nline\"".to_string(),
        _ => w.replace(['"', '\t', ' ', '\\'], ""),
    }
}

fn shell_line(rng: &mut Rng) -> String {
    let key = rng.pick(KEYS);
    let mut line = match rng.below(20) {
        0 => format!("{key} = {}", shell_value(rng)),
        1 => format!("{key}= {}", shell_value(rng)),
        2 => format!("export {key}={}", shell_value(rng)),
        3 => format!(
            "{key}={}; {}={}",
            shell_value(rng),
            rng.pick(KEYS),
            shell_value(rng)
        ),
        4 => format!(
            "{key}={} {}={}",
            shell_value(rng),
            rng.pick(KEYS),
            shell_value(rng)
        ),
        5 => format!("{key}={} (on SV2)", shell_value(rng)),
        6 => format!("{key}=\"unterminated"),
        7 if rng.chance(50) => format!(
            "{key}={}; {}={} (x)",
            shell_value(rng),
            rng.pick(KEYS),
            shell_value(rng)
        ),
        7 => "# comment".to_string(),
        8 => String::new(),
        9 => format!("  {key}={}", shell_value(rng)),
        _ => format!("{key}={}", shell_value(rng)),
    };
    if rng.chance(15) {
        line.push_str("    # trailing comment");
    }
    line
}

#[test]
fn ifcfg_values_match_bash() {
    let dir = scratch("bash");
    let mut rng = Rng(0x0bad_5eed);
    let mut files = Vec::new();
    for i in 0..600 {
        let lines: Vec<String> = (0..1 + rng.below(8))
            .map(|_| shell_line(&mut rng))
            .collect();
        let text = lines.join("\n") + "\n";
        let path = dir.join(format!("ifcfg-{i}"));
        std::fs::write(&path, &text).expect("write case");
        files.push((path, text));
    }
    // PATH leads nowhere: a line bash runs as a command (`ONBOOT= yes`) runs nothing.
    let script = format!(
        r#"for f in "$@"; do ( . "$f" 2>/dev/null; for k in {}; do if [ "${{!k+set}}" = set ]; then printf '%s=%s\0' "$k" "${{!k}}"; fi; done ); printf '\1\0'; done"#,
        KEYS.join(" ")
    );
    let bash = match Command::new("sh").args(["-c", "command -v bash"]).output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        _ => return unavailable("no bash"),
    };
    let out = Command::new(&bash)
        .env_clear()
        .env("PATH", "/nonexistent")
        .args(["-c", &script, "bash"])
        .args(files.iter().map(|(p, _)| p))
        .output();
    let _ = std::fs::remove_dir_all(&dir);
    let out = match out {
        Ok(out) if out.status.success() => out.stdout,
        Ok(out) => {
            return unavailable(&format!(
                "bash failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
        Err(e) => return unavailable(&format!("no bash: {e}")),
    };
    let text = String::from_utf8(out).expect("bash prints UTF-8");
    let per_file: Vec<&str> = text.split("\u{1}\0").collect();
    assert_eq!(per_file.len(), files.len() + 1);
    for ((_, source), bash) in files.iter().zip(per_file) {
        let want: Vec<&str> = bash.split('\0').filter(|s| !s.is_empty()).collect();
        let vars = ShellVars::parse("f", source);
        let ours: Vec<String> = KEYS
            .iter()
            .filter_map(|k| vars.value(k).map(|v| format!("{k}={v}")))
            .collect();
        assert_eq!(ours, want, "file:\n{source}---");
    }
}
