//! `tapc build -o DIR` never deletes what it did not write (LANGUAGE.md section
//! 6): which directories it replaces, which it refuses (exit 2, one line,
//! the directory byte-for-byte unchanged), interrupted builds and the
//! temporary directories they leave.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use assert_cmd::Command;
use tapc::output::MARKER;
use tempfile::TempDir;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(format!("{name}.tap"))
}

/// `tapc build SOURCE -o OUT`, run in `cwd`.
fn build_in(cwd: &Path, source: &Path, out: &Path) -> Command {
    let mut cmd = Command::cargo_bin("tapc").expect("the tapc binary");
    cmd.current_dir(cwd)
        .arg("build")
        .arg(source)
        .arg("-o")
        .arg(out);
    cmd
}

fn build(name: &str, out: &Path) -> Command {
    build_in(Path::new(env!("CARGO_MANIFEST_DIR")), &example(name), out)
}

#[derive(Debug, PartialEq)]
enum Node {
    Dir(SystemTime),
    File(Vec<u8>, SystemTime),
    Link(PathBuf),
}

/// Everything under `root` and `root` itself, without following symbolic
/// links: names, types, contents, link targets and modification times.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Node> {
    let mut out = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(path) = todo.pop() {
        let meta = fs::symlink_metadata(&path).expect("metadata");
        let rel = path.strip_prefix(root).expect("under root").to_path_buf();
        let mtime = meta.modified().expect("mtime");
        let node = if meta.file_type().is_symlink() {
            Node::Link(fs::read_link(&path).expect("link"))
        } else if meta.is_dir() {
            for entry in fs::read_dir(&path).expect("readable dir") {
                todo.push(entry.expect("entry").path());
            }
            Node::Dir(mtime)
        } else {
            Node::File(fs::read(&path).expect("readable"), mtime)
        };
        out.insert(rel, node);
    }
    out
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .expect("readable dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Runs a build that must be refused: exit 2, one `tapc: refusing to replace`
/// line containing every one of `expected`, and `watched` exactly as before.
fn assert_refused(mut cmd: Command, watched: &Path, expected: &[&str]) {
    let before = snapshot(watched);
    let run = cmd.output().expect("runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("tapc: refusing to replace `") && stderr.lines().count() == 1,
        "{stderr:?}"
    );
    for text in expected {
        assert!(stderr.contains(text), "{text:?} not in {stderr:?}");
    }
    assert!(run.stdout.is_empty());
    assert_eq!(snapshot(watched), before, "{} changed", watched.display());
}

/// A directory with a previous build of `examples/minimal.tap` in it.
fn previous_build(out: &Path) {
    build("minimal", out).assert().success();
    assert!(out.join(MARKER).is_file());
}

#[test]
fn a_directory_of_the_users_is_refused() {
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("out");
    fs::create_dir(&out).expect("mkdir");
    fs::write(out.join("notes.txt"), "mine\n").expect("write");
    assert_refused(
        build("minimal", &out),
        tmp.path(),
        &["`notes.txt`", "no `.tapc-build`"],
    );
}

#[test]
fn an_old_output_without_the_marker_is_refused() {
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("out");
    previous_build(&out);
    fs::remove_file(out.join(MARKER)).expect("rm marker");
    assert_refused(
        build("minimal", &out),
        tmp.path(),
        &["no `.tapc-build` file", "delete it yourself"],
    );
}

#[test]
fn a_previous_build_with_anything_added_or_changed_is_refused() {
    type Change = fn(&Path);
    let cases: [(Change, &[&str]); 5] = [
        (
            |out| fs::write(out.join("extra.txt"), "one more\n").expect("write"),
            &["`extra.txt` in it is not a file tapc wrote"],
        ),
        (
            |out| fs::create_dir(out.join("sub")).expect("mkdir"),
            &["`sub` in it is a directory"],
        ),
        (
            |out| {
                // Same length, one digit changed: only the hash can tell.
                let path = out.join("manifest.json");
                let text = fs::read_to_string(&path).expect("read");
                let at = text.find(|c: char| c.is_ascii_digit()).expect("a digit");
                let digit = if &text[at..=at] == "0" { "1" } else { "0" };
                let edited = format!("{}{digit}{}", &text[..at], &text[at + 1..]);
                fs::write(&path, edited).expect("write");
            },
            &["`manifest.json` in it changed since tapc wrote it"],
        ),
        (
            |out| fs::remove_file(out.join("manifest.json")).expect("rm"),
            &["`manifest.json`, listed in its `.tapc-build`, is missing"],
        ),
        (
            |out| fs::write(out.join(MARKER), "3 0 notes.txt\n").expect("write"),
            &["its `.tapc-build` file is not one tapc wrote"],
        ),
    ];
    for (change, expected) in cases {
        let tmp = TempDir::new().expect("temp dir");
        let out = tmp.path().join("out");
        previous_build(&out);
        change(&out);
        assert_refused(build("minimal", &out), tmp.path(), expected);
    }
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_in_a_previous_build_is_refused() {
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("out");
    previous_build(&out);
    let target = tmp.path().join("precious.txt");
    fs::write(&target, "keep\n").expect("write");
    // A link in place of a listed file.
    fs::remove_file(out.join("manifest.json")).expect("rm");
    std::os::unix::fs::symlink(&target, out.join("manifest.json")).expect("symlink");
    assert_refused(
        build("minimal", &out),
        tmp.path(),
        &["`manifest.json` in it is a symbolic link"],
    );
}

/// A project with its source and a `.git` directory.
fn project(root: &Path) -> PathBuf {
    let dir = root.join("same");
    fs::create_dir_all(dir.join(".git")).expect("mkdir");
    fs::write(dir.join(".git").join("HEAD"), "ref: refs/heads/main\n").expect("write");
    fs::copy(example("minimal"), dir.join("minimal.tap")).expect("copy");
    dir
}

#[test]
fn the_current_directory_is_refused_however_spelt() {
    let tmp = TempDir::new().expect("temp dir");
    let dir = project(tmp.path());
    let abs = fs::canonicalize(&dir).expect("canonical");
    // The last one exists only once `-o` has created `new`: checked again
    // before the swap.
    let spellings = [
        abs.clone(),
        "../same".into(),
        "./".into(),
        ".".into(),
        "new/../../same".into(),
    ];
    for out in &spellings {
        assert_refused(
            build_in(&dir, Path::new("minimal.tap"), out),
            tmp.path(),
            &["it is the current directory"],
        );
    }
    // And an ancestor of it.
    assert_refused(
        build_in(&dir, Path::new("minimal.tap"), Path::new("..")),
        tmp.path(),
        &["it contains the current directory"],
    );
    // Even when empty, so that no other rule protects it.
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).expect("mkdir");
    assert_refused(
        build_in(&empty, &example("minimal"), &empty),
        tmp.path(),
        &["it is the current directory"],
    );
}

#[test]
fn the_sources_directory_and_its_ancestors_are_refused() {
    let tmp = TempDir::new().expect("temp dir");
    let dir = project(tmp.path());
    let elsewhere = TempDir::new().expect("temp dir");
    let source = dir.join("minimal.tap");
    for out in [dir.clone(), tmp.path().to_path_buf()] {
        assert_refused(
            build_in(elsewhere.path(), &source, &out),
            tmp.path(),
            &["it contains the source file `", "minimal.tap`"],
        );
    }
}

#[test]
fn the_home_directory_and_its_ancestors_are_refused() {
    let tmp = TempDir::new().expect("temp dir");
    // Empty, so that no other rule protects it.
    let home = tmp.path().join("users").join("me");
    fs::create_dir_all(&home).expect("mkdir");
    for (out, expected) in [
        (&home, "it is the home directory"),
        (&tmp.path().join("users"), "it contains the home directory"),
    ] {
        let mut cmd = build("minimal", out);
        cmd.env("HOME", &home);
        assert_refused(cmd, tmp.path(), &[expected]);
    }
}

#[test]
fn the_root_directory_is_refused() {
    let run = build("minimal", Path::new("/")).output().expect("runs");
    assert_eq!(run.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&run.stderr),
        "tapc: refusing to replace `/`: it is the root directory\n"
    );
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_to_a_directory_is_refused_not_followed() {
    for previous in [false, true] {
        let tmp = TempDir::new().expect("temp dir");
        let real = tmp.path().join("real");
        if previous {
            previous_build(&real);
        } else {
            fs::create_dir(&real).expect("mkdir");
        }
        let link = tmp.path().join("out");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        let mut with_slash = link.clone().into_os_string();
        with_slash.push("/");
        for out in [link.clone(), with_slash.into(), link.join(".")] {
            assert_refused(
                build("minimal", &out),
                tmp.path(),
                &["it is a symbolic link"],
            );
        }
    }
}

#[test]
fn a_refused_build_creates_nothing() {
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("out");
    fs::create_dir(&out).expect("mkdir");
    fs::write(out.join("notes.txt"), "mine\n").expect("write");
    build("minimal", &out).assert().code(2);
    assert_eq!(names(tmp.path()), ["out"], "no temporary directory");
}

#[test]
fn a_new_or_empty_directory_is_written() {
    let tmp = TempDir::new().expect("temp dir");
    let fresh = tmp.path().join("fresh");
    build("minimal", &fresh).assert().success();
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).expect("mkdir");
    build("minimal", &empty).assert().success();
    assert_eq!(names(&fresh), names(&empty));
    assert!(names(&fresh).contains(&MARKER.to_string()));
    let nested = tmp.path().join("a").join("b").join("c");
    build("minimal", &nested).assert().success();
    assert_eq!(names(&nested), names(&fresh));
    assert_eq!(names(tmp.path()), ["a", "empty", "fresh"]);
}

#[test]
fn a_previous_build_is_replaced_again_and_again() {
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("out");
    previous_build(&out);
    let minimal = snapshot(&out);
    build("global", &out).assert().success();
    assert!(names(&out).iter().any(|n| n.starts_with("payments-")));
    build("minimal", &out).assert().success();
    let again = snapshot(&out);
    let contents = |s: &BTreeMap<PathBuf, Node>| -> Vec<(PathBuf, Vec<u8>)> {
        s.iter()
            .filter_map(|(p, n)| match n {
                Node::File(bytes, _) => Some((p.clone(), bytes.clone())),
                _ => None,
            })
            .collect()
    };
    assert_eq!(contents(&again), contents(&minimal), "the same bytes");
    assert_eq!(names(tmp.path()), ["out"], "no temporary directory");
}

/// A dead process's id: a child that has been waited for.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().expect("true");
    let pid = child.id();
    child.wait().expect("waited");
    pid
}

#[test]
fn stale_temporary_directories_that_are_provably_ours_are_removed() {
    let tmp = TempDir::new().expect("temp dir");
    let out = tmp.path().join("out");
    let dead = dead_pid();
    // A build killed while writing: its journal lists a file cut short.
    let new = tmp.path().join(format!(".out.tapc-new-{dead}"));
    previous_build(&new);
    let manifest = new.join("manifest.json");
    let text = fs::read(&manifest).expect("read");
    fs::write(&manifest, &text[..text.len() / 2]).expect("cut short");
    // One killed during the swap, the previous output aside.
    let old = tmp.path().join(format!(".out.tapc-old-{dead}"));
    previous_build(&old);
    // A live process's (this test's), and ones holding a user's file.
    let live = tmp
        .path()
        .join(format!(".out.tapc-new-{}", std::process::id()));
    previous_build(&live);
    let users = tmp.path().join(format!(".out.tapc-old-{}", dead_pid()));
    previous_build(&users);
    fs::write(users.join("notes.txt"), "mine\n").expect("write");
    let plain = tmp.path().join(format!(".out.tapc-new-{}", dead_pid()));
    fs::create_dir(&plain).expect("mkdir");
    fs::write(plain.join("notes.txt"), "mine\n").expect("write");
    // Another output's, of the same kind.
    let other = tmp.path().join(format!(".other.tapc-new-{}", dead_pid()));
    previous_build(&other);
    let kept = [&live, &users, &plain, &other].map(|d| snapshot(d));

    build("minimal", &out).assert().success();
    assert!(!new.exists(), "{}", new.display());
    assert!(!old.exists(), "{}", old.display());
    for (dir, before) in [&live, &users, &plain, &other].iter().zip(&kept) {
        assert_eq!(&snapshot(dir), before, "{}", dir.display());
    }
}

/// `tapc build SOURCE -o OUT` as a plain process.
fn tapc_build(source: &Path, out: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tapc"));
    cmd.arg("build").arg(source).arg("-o").arg(out);
    cmd
}

/// A failed write (a full disk, simulated with a file-size limit) removes the
/// parent directories `-o` created, and only those.
#[cfg(target_os = "linux")]
#[test]
fn a_failed_build_leaves_no_parent_it_created() {
    use std::os::unix::process::CommandExt;
    let tmp = TempDir::new().expect("temp dir");
    fs::create_dir(tmp.path().join("there")).expect("mkdir");
    let out = tmp.path().join("there").join("a").join("b").join("c");
    let mut cmd = tapc_build(&example("trading"), &out);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 4096,
                rlim_max: 4096,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let run = cmd.output().expect("runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("tapc: cannot write to `"), "{stderr}");
    assert_eq!(names(tmp.path()), ["there"]);
    assert!(
        names(&tmp.path().join("there")).is_empty(),
        "`a` was removed"
    );
}

/// SIGTERM or SIGINT while the templates are written: the temporary directory
/// goes, the previous output stays, and the status is 128 + the signal.
#[cfg(unix)]
#[test]
fn an_interrupted_build_cleans_up_and_exits_with_the_signals_status() {
    let tmp = TempDir::new().expect("temp dir");
    let source = tmp.path().join("big.tap");
    fs::write(&source, tapc::gen::platform(3000)).expect("write");
    let out = tmp.path().join("out");
    previous_build(&out);
    let before = snapshot(&out);
    for (signal, status) in [(libc::SIGTERM, 143), (libc::SIGINT, 130)] {
        let mut child = tapc_build(&source, &out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawns");
        let tmp_dir = tmp.path().join(format!(".out.tapc-new-{}", child.id()));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while !tmp_dir.exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "no temporary directory"
            );
            assert!(child.try_wait().expect("try_wait").is_none(), "ended early");
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let pid = libc::pid_t::try_from(child.id()).expect("pid");
        // SAFETY: sends a signal to our own child, which has not been waited for.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        let exit = child.wait().expect("waits");
        assert_eq!(exit.code(), Some(status), "{exit:?}");
        assert_eq!(
            names(tmp.path()),
            ["big.tap", "out"],
            "no temporary directory"
        );
        assert_eq!(snapshot(&out), before, "the previous output changed");
    }
}

/// An output an earlier tapc wrote, whose marker is of format 1 (FNV-1a
/// hashes), is still recognised and replaced; edited, still refused.
#[test]
fn an_output_with_a_format_1_marker_is_replaced() {
    fn fnv1a(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }
    // The marker an earlier tapc would have written for what `out` holds.
    fn format_1(out: &Path) {
        let mut marker = String::from(
            "# tapc build output 1\n# tapc replaces this directory only while it holds exactly the files below, unchanged.\n# size fnv1a-64 name\n",
        );
        for name in names(out).iter().filter(|n| *n != MARKER) {
            let bytes = fs::read(out.join(name)).unwrap();
            marker.push_str(&format!("{} {:016x} {name}\n", bytes.len(), fnv1a(&bytes)));
        }
        fs::write(out.join(MARKER), marker).unwrap();
    }
    let tmp = TempDir::new().unwrap();
    let out = tmp.path().join("out");
    previous_build(&out);
    format_1(&out);
    build("minimal", &out).assert().success();
    let now = fs::read_to_string(out.join(MARKER)).unwrap();
    assert!(now.starts_with("# tapc build output 2\n"), "{now}");
    format_1(&out);
    let manifest = fs::read_to_string(out.join("manifest.json")).unwrap();
    fs::write(out.join("manifest.json"), manifest.replacen('1', "2", 1)).unwrap();
    assert_refused(
        build("minimal", &out),
        &out,
        &["`manifest.json` in it changed"],
    );
}
