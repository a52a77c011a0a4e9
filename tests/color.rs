//! Colour in human diagnostics: only on a terminal (`--color auto`), never with
//! NO_COLOR set; checked under a pseudo-terminal made with openpty.
#![cfg(unix)]

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Stdio};

const BAD: &str = "platform p {\n  rto = 5m\n}\n";
const ESC: &str = "\u{1b}[";

/// Stderr of `tapc check ARGS bad.tap`, on a pseudo-terminal when `tty`.
fn stderr_of(args: &[&str], no_color: Option<&str>, tty: bool) -> String {
    let dir = tempfile::TempDir::new().unwrap();
    let file = dir.path().join("bad.tap");
    std::fs::write(&file, BAD).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tapc"));
    cmd.arg("check").args(args).arg(&file).stdout(Stdio::null());
    match no_color {
        Some(v) => cmd.env("NO_COLOR", v),
        None => cmd.env_remove("NO_COLOR"),
    };
    if !tty {
        let out = cmd.stderr(Stdio::piped()).output().unwrap();
        return String::from_utf8(out.stderr).unwrap();
    }
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two new file descriptors; the null pointers ask
    // for no name, terminal settings or window size.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty");
    // SAFETY: both descriptors were just opened and are owned only here.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut child = cmd.stderr(Stdio::from(slave)).spawn().unwrap();
    // Our copy of the slave end went to the child's command; once the child
    // exits, reading the master ends (EIO on Linux).
    drop(cmd);
    let mut out = Vec::new();
    let mut reader = std::fs::File::from(master);
    let mut buf = [0u8; 4096];
    loop {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    child.wait().unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn colour_only_on_a_terminal() {
    let tty = stderr_of(&[], None, true);
    assert!(tty.contains("E202"), "{tty}");
    assert!(tty.contains(ESC), "a terminal gets colour: {tty:?}");
    let piped = stderr_of(&[], None, false);
    assert!(piped.contains("E202"));
    assert!(!piped.contains(ESC), "a pipe gets none: {piped:?}");
}

#[test]
fn color_flag_overrides_the_terminal_test() {
    assert!(stderr_of(&["--color", "always"], None, false).contains(ESC));
    let never = stderr_of(&["--color", "never"], None, true);
    assert!(never.contains("E202") && !never.contains(ESC), "{never:?}");
}

#[test]
fn no_color_turns_colour_off_everywhere() {
    let tty = stderr_of(&[], Some("1"), true);
    assert!(tty.contains("E202") && !tty.contains(ESC), "{tty:?}");
    let always = stderr_of(&["--color", "always"], Some("1"), false);
    assert!(!always.contains(ESC), "{always:?}");
    // An empty NO_COLOR is as if unset.
    assert!(stderr_of(&[], Some(""), true).contains(ESC));
}
