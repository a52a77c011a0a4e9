//! A build's output directory. tapc never deletes what it did not write: it
//! replaces a directory only when that directory holds exactly the files a
//! previous build listed in its marker file, unchanged (or nothing at all), and
//! refuses every other one before touching anything (LANGUAGE.md section 6).
//!
//! The marker, `.tapc-build`, lists each file with its size and a 64-bit
//! hash. Sizes alone would miss an edit that keeps the length (a digit changed
//! in a template); a hash catches any edit. The hash only has to tell our bytes
//! from edited ones, not resist an adversary, so a few lines do that without a
//! cryptographic dependency: `hash64`, eight bytes a step (format 2), or
//! FNV-1a, a byte a step (format 1, still read: 8% of a large build's CPU).

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use crate::io_reason;

/// The file in every output directory that lists what tapc wrote there.
pub const MARKER: &str = ".tapc-build";

const MARKER_HEAD: &str = "# tapc build output 2\n\
# tapc replaces this directory only while it holds exactly the files below, unchanged.\n\
# size hash64 name\n";

/// The first line of a marker of format 1, whose hashes are FNV-1a.
const MARKER_V1: &str = "# tapc build output 1";

/// The hash of a file's bytes, as a marker of one format lists it.
type Hash = fn(&[u8]) -> u64;

/// What a marker lists: file name -> (size, hash).
type Listing = BTreeMap<String, (u64, u64)>;

/// Eight bytes a step, each step a bijection of the state (so that files
/// that differ in one word always differ), then murmur3's finalizer.
fn hash64(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let step = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    let mut h = (&mut chunks).fold(0xcbf2_9ce4_8422_2325 ^ bytes.len() as u64, |h, c| {
        step(h, u64::from_le_bytes(c.try_into().expect("8 bytes")))
    });
    let mut last = [0u8; 8];
    last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    h = step(h, u64::from_le_bytes(last));
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The size a temporary directory's marker gives a file written in parts
/// until its last part is written: any shorter file is one cut short.
const UNFINISHED: u64 = u64::MAX;

fn marker_line(name: &str, (size, hash): (u64, u64)) -> String {
    format!("{size} {hash:016x} {name}\n")
}

/// The listing of a marker tapc wrote, and the hash its format lists, or
/// `None` for anything else (a cut last line included).
fn parse_marker(text: &str) -> Option<(Listing, Hash)> {
    let (body, hash_of): (&str, Hash) = match text.strip_prefix(MARKER_HEAD.lines().next()?) {
        Some(body) => (body, hash64),
        None => (text.strip_prefix(MARKER_V1)?, fnv1a),
    };
    let body = body.strip_prefix('\n')?;
    if !body.is_empty() && !body.ends_with('\n') {
        return None;
    }
    let mut listing = Listing::new();
    for line in body.lines().filter(|l| !l.starts_with('#')) {
        let mut parts = line.splitn(3, ' ');
        let size = parts.next()?.parse().ok()?;
        let hash = parts.next()?;
        let name = parts.next()?;
        if hash.len() != 16 || [".", "..", MARKER, ""].contains(&name) || name.contains('/') {
            return None;
        }
        let hash = u64::from_str_radix(hash, 16).ok()?;
        // A file written in parts is listed again when finished.
        match listing.insert(name.to_string(), (size, hash)) {
            Some((UNFINISHED, _)) | None => {}
            Some(_) => return None,
        }
    }
    Some((listing, hash_of))
}

/// How strictly `owned` compares a directory with its marker.
#[derive(Clone, Copy, PartialEq)]
enum Check {
    /// A finished output: exactly the listed files, each unchanged.
    Exact,
    /// A temporary directory an interrupted build left: its marker lists a
    /// file before the file is written, so a listed file may be missing or
    /// shorter than listed, but nothing unlisted may be there.
    Interrupted,
}

/// The marker's listing if `dir` holds nothing but files tapc wrote (empty
/// for an empty directory); otherwise why not, naming the offending entry.
fn owned(dir: &Path, check: Check) -> Result<Listing, String> {
    let read_error = |e: std::io::Error| format!("cannot read it: {}", io_reason(&e));
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        entries.push((entry.file_name(), entry.file_type().map_err(read_error)?));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    if entries.is_empty() {
        return Ok(Listing::new());
    }
    if !entries.iter().any(|(n, t)| n == MARKER && t.is_file()) {
        let first = entries[0].0.to_string_lossy();
        return Err(format!(
            "it holds `{first}` and no `{MARKER}` file listing what tapc wrote \
             (an older tapc's output? then delete it yourself)"
        ));
    }
    let (listing, hash_of) = fs::read_to_string(dir.join(MARKER))
        .ok()
        .and_then(|text| parse_marker(&text))
        .ok_or_else(|| format!("its `{MARKER}` file is not one tapc wrote"))?;
    for (name, kind) in &entries {
        let shown = name.to_string_lossy();
        if name == MARKER {
            continue;
        }
        if kind.is_symlink() {
            return Err(format!("`{shown}` in it is a symbolic link"));
        }
        if kind.is_dir() {
            return Err(format!("`{shown}` in it is a directory"));
        }
        if !kind.is_file() {
            return Err(format!("`{shown}` in it is not a regular file"));
        }
        let Some(&(size, hash)) = name.to_str().and_then(|n| listing.get(n)) else {
            return Err(format!(
                "`{shown}` in it is not a file tapc wrote (not listed in `{MARKER}`)"
            ));
        };
        let bytes = fs::read(dir.join(name)).map_err(read_error)?;
        let len = bytes.len() as u64;
        let unchanged = len == size && hash_of(&bytes) == hash;
        let cut_short = check == Check::Interrupted && len < size;
        if !unchanged && !cut_short {
            return Err(format!("`{shown}` in it changed since tapc wrote it"));
        }
    }
    if check == Check::Exact {
        let present = |n: &str| entries.iter().any(|(e, _)| e == n);
        if let Some(missing) = listing.keys().find(|n| !present(n)) {
            return Err(format!("`{missing}`, listed in its `{MARKER}`, is missing"));
        }
    }
    Ok(listing)
}

/// Removes a directory `owned` accepted: the files it lists, the marker, then
/// the directory itself, which fails if anything else has appeared in it.
fn remove_owned(dir: &Path, listing: &Listing) -> std::io::Result<()> {
    let gone = |r: std::io::Result<()>| match r {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    };
    for name in listing.keys() {
        gone(fs::remove_file(dir.join(name)))?;
    }
    gone(fs::remove_file(dir.join(MARKER)))?;
    fs::remove_dir(dir)
}

/// Why `dir` (canonical) must never be replaced, whatever it holds.
fn protected(dir: &Path, source: &Path) -> Result<(), String> {
    if dir.parent().is_none() {
        return Err("it is the root directory".into());
    }
    let canonical = |p: Option<PathBuf>| p.and_then(|p| fs::canonicalize(p).ok());
    let places = [
        (
            canonical(std::env::current_dir().ok()),
            "the current directory".to_string(),
        ),
        (
            canonical(Some(source.to_path_buf())),
            format!("the source file `{}`", source.display()),
        ),
        (
            canonical(std::env::var_os("HOME").map(PathBuf::from)),
            "the home directory".to_string(),
        ),
    ];
    for (place, what) in places {
        match place {
            Some(p) if p == dir => return Err(format!("it is {what}")),
            Some(p) if p.starts_with(dir) => return Err(format!("it contains {what}")),
            _ => {}
        }
    }
    Ok(())
}

/// Where the output goes if `dir` may be written: its canonical path and its
/// marker's listing if it exists, else the path it will be created at.
fn replaceable(
    dir: &Path,
    shown: &str,
    source: &Path,
) -> Result<(PathBuf, Option<Listing>), String> {
    // Without trailing `/` or `/.`, which would make a symbolic link look
    // like the directory it points to.
    let path: PathBuf = dir.components().collect();
    let named = matches!(path.components().next_back(), Some(Component::Normal(_)));
    let cannot = |e: std::io::Error| format!("cannot write to `{shown}`: {}", io_reason(&e));
    match fs::symlink_metadata(&path) {
        Ok(m) if named && m.file_type().is_symlink() => Err(refusal(
            shown,
            "it is a symbolic link (tapc does not follow it; name a directory instead)",
        )),
        Ok(_) if !path.is_dir() => Err(format!(
            "cannot write to `{shown}`: it exists and is not a directory"
        )),
        Ok(_) => {
            let canonical = fs::canonicalize(&path).map_err(cannot)?;
            protected(&canonical, source).map_err(|why| refusal(shown, &why))?;
            let listing = owned(&canonical, Check::Exact).map_err(|why| refusal(shown, &why))?;
            Ok((canonical, Some(listing)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let resolved = resolve(&path);
            if fs::symlink_metadata(&resolved).is_ok() {
                // `new/../..` leads back to a directory that exists.
                return replaceable(&resolved, shown, source);
            }
            Ok((resolved, None))
        }
        Err(e) => Err(cannot(e)),
    }
}

/// `path`, which does not exist, as its longest existing ancestor made
/// canonical plus the rest. A `..` in the rest removes the name before it:
/// that is a canonical directory or one tapc will create, never a link.
fn resolve(path: &Path) -> PathBuf {
    let parts: Vec<Component> = path.components().collect();
    let exists = |n: usize| fs::symlink_metadata(parts[..n].iter().collect::<PathBuf>()).is_ok();
    let mut known = 0;
    while known < parts.len() && exists(known + 1) {
        known += 1;
    }
    let base: PathBuf = parts[..known].iter().collect();
    let base = if base.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        base
    };
    let Ok(mut resolved) = fs::canonicalize(base) else {
        return path.to_path_buf();
    };
    for part in &parts[known..] {
        match part {
            Component::ParentDir => {
                resolved.pop();
            }
            Component::CurDir => {}
            other => resolved.push(other),
        }
    }
    resolved
}

fn refusal(shown: &str, why: &str) -> String {
    format!("refusing to replace `{shown}`: {why}")
}

/// A build's output directory, replaced atomically: files are written into a
/// temporary directory beside `dir`, which takes `dir`'s place on `commit`.
/// Dropped without `commit`, the temporary directory and any parent
/// directories this run created are removed and `dir` is left exactly as it
/// was. Files may be written from several threads; the first failure is kept
/// and reported by `commit`.
pub struct OutputDir {
    shared: Arc<Shared>,
}

struct Shared {
    /// Where the output goes: canonical if it exists.
    dir: PathBuf,
    /// `dir` as the user gave it, for messages.
    shown: String,
    /// The program, whose directory is never replaced.
    source: PathBuf,
    tmp: PathBuf,
    old: PathBuf,
    /// Parent directories this run created, outermost first.
    created: Mutex<Vec<PathBuf>>,
    /// File writes hold it shared; finishing (commit, drop, a signal) holds it
    /// alone, so no file appears in the temporary directory while it goes.
    writing: RwLock<bool>,
    files: Mutex<Files>,
}

#[derive(Default)]
struct Files {
    listing: Listing,
    /// Files written in parts, not finished yet: the bytes written so far.
    open: BTreeMap<String, u64>,
    /// The temporary directory's marker, open for appending.
    journal: Option<fs::File>,
    error: Option<String>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Plain values: a thread that panicked leaves nothing half-done in them.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl OutputDir {
    /// Checks that `dir` may be written (see the module comment; `source` is
    /// the program, whose directory is never replaced), then creates the
    /// temporary directory. On Unix, from then on SIGINT and SIGTERM remove
    /// the temporary directory and end the process with status 128 + signal.
    pub fn create(dir: &Path, source: &Path) -> Result<OutputDir, String> {
        let shown = dir.display().to_string();
        let (target, _) = replaceable(dir, &shown, source)?;
        let base = match target.file_name() {
            Some(base) => base.to_string_lossy().into_owned(),
            None => return Err(format!("cannot write to `{shown}`: not a directory name")),
        };
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let pid = std::process::id();
        let shared = Arc::new(Shared {
            tmp: parent.join(format!(".{base}.tapc-new-{pid}")),
            old: parent.join(format!(".{base}.tapc-old-{pid}")),
            dir: target,
            shown,
            source: source.to_path_buf(),
            created: Mutex::default(),
            writing: RwLock::new(true),
            files: Mutex::default(),
        });
        #[cfg(unix)]
        abandon_on_signals(&shared)?;
        let out = OutputDir { shared };
        let s = &out.shared;
        {
            // Held like a file write: a signal's cleanup waits until the
            // directories exist (or runs first, and then nothing is created).
            let writing = s.writing.read().unwrap_or_else(|e| e.into_inner());
            if !*writing {
                return Err(format!("cannot write to `{}`: interrupted", s.shown));
            }
            s.create_parents(&parent)?;
            remove_stale(&parent, &base);
            fs::create_dir(&s.tmp).map_err(|e| s.write_error(&e))?;
            let journal = fs::File::create(s.tmp.join(MARKER))
                .and_then(|mut f| f.write_all(MARKER_HEAD.as_bytes()).map(|_| f))
                .map_err(|e| s.write_error(&e))?;
            lock(&s.files).journal = Some(journal);
        }
        Ok(out)
    }

    /// Writes one file, durably, into the temporary directory (nothing more
    /// once a write has failed).
    pub fn write(&self, name: &str, text: &str) {
        self.write_part(name, text, true);
    }

    /// Writes a part of a file into the temporary directory: the parts of a
    /// file come in order, and its `last` part finishes it, durably (nothing
    /// more once a write has failed). A template goes out in two parts, so
    /// that its text does not wait in memory for its outputs.
    pub fn write_part(&self, name: &str, text: &str, last: bool) {
        let s = &self.shared;
        let writing = s.writing.read().unwrap_or_else(|e| e.into_inner());
        if !*writing {
            return;
        }
        let before = {
            let mut files = lock(&s.files);
            if files.error.is_some() {
                return;
            }
            let before = files.open.get(name).copied();
            // Listed before the file exists: an interrupted build's temporary
            // directory holds nothing its marker does not list. A file in
            // parts is listed as unfinished, then again when finished.
            let entry = match (before, last) {
                (None, true) => Some((text.len() as u64, hash64(text.as_bytes()))),
                (None, false) => Some((UNFINISHED, 0)),
                (Some(_), _) => None,
            };
            if let Some(entry) = entry {
                if let Err(e) = files.list(name, entry) {
                    files.error = Some(s.write_error(&e));
                    return;
                }
            }
            if last {
                files.open.remove(name);
            } else {
                files
                    .open
                    .insert(name.to_string(), before.unwrap_or(0) + text.len() as u64);
            }
            before
        };
        let write = || -> std::io::Result<()> {
            let path = s.tmp.join(name);
            let mut f = match before {
                None => fs::File::create(&path)?,
                Some(_) => fs::OpenOptions::new().append(true).open(&path)?,
            };
            f.write_all(text.as_bytes())?;
            if !last {
                return Ok(());
            }
            f.sync_all()?;
            if let Some(before) = before {
                // Read back to hash: its size is the hash's seed (a template
                // is at most 1 MB, CloudFormation's quota).
                let bytes = fs::read(&path)?;
                if bytes.len() as u64 != before + text.len() as u64 {
                    return Err(std::io::Error::other("a file changed while tapc wrote it"));
                }
                lock(&s.files).list(name, (bytes.len() as u64, hash64(&bytes)))?;
            }
            Ok(())
        };
        if let Err(e) = write() {
            lock(&s.files).error.get_or_insert(s.write_error(&e));
        }
    }

    /// Puts the written files in `dir`'s place, unless a write failed or
    /// `dir` stopped being a tapc output meanwhile.
    pub fn commit(self) -> Result<(), String> {
        let s = &self.shared;
        let mut writing = s.writing.write().unwrap_or_else(|e| e.into_inner());
        let mut files = lock(&s.files);
        if let Some(e) = files.error.take() {
            return Err(e);
        }
        if let Some(name) = files.open.keys().next() {
            return Err(format!(
                "cannot write to `{}`: `{name}` was not finished",
                s.shown
            ));
        }
        // The final marker, sorted: the same files give the same bytes.
        files.journal = None;
        let marker: String = std::iter::once(MARKER_HEAD.to_string())
            .chain(files.listing.iter().map(|(n, &e)| marker_line(n, e)))
            .collect();
        fs::File::create(s.tmp.join(MARKER))
            .and_then(|mut f| f.write_all(marker.as_bytes()).and_then(|_| f.sync_all()))
            .map_err(|e| s.write_error(&e))?;
        let cannot = |e: std::io::Error| format!("cannot replace `{}`: {}", s.shown, io_reason(&e));
        // Checked again: `dir` may have appeared or changed since `create`
        // (a path through a directory that did not exist then, say).
        let (_, old) = replaceable(&s.dir, &s.shown, &s.source)?;
        if old.is_some() {
            fs::rename(&s.dir, &s.old).map_err(cannot)?;
        }
        if let Err(e) = fs::rename(&s.tmp, &s.dir) {
            if old.is_some() {
                let _ = fs::rename(&s.old, &s.dir);
            }
            return Err(cannot(e));
        }
        *writing = false;
        if let Some(listing) = old {
            // Left in place (and removed by a later build once its pid is
            // gone) if it cannot be removed now.
            let _ = remove_owned(&s.old, &listing);
        }
        Ok(())
    }
}

impl Files {
    /// Lists a file in the temporary directory's marker, and in the listing.
    fn list(&mut self, name: &str, entry: (u64, u64)) -> std::io::Result<()> {
        if let Some(j) = self.journal.as_mut() {
            j.write_all(marker_line(name, entry).as_bytes())?;
        }
        self.listing.insert(name.to_string(), entry);
        Ok(())
    }
}

impl Shared {
    fn write_error(&self, e: &std::io::Error) -> String {
        format!("cannot write to `{}`: {}", self.shown, io_reason(e))
    }

    /// Creates the missing ancestors of `parent`, remembering each.
    fn create_parents(&self, parent: &Path) -> Result<(), String> {
        let missing: Vec<&Path> = parent
            .ancestors()
            .filter(|a| !a.as_os_str().is_empty())
            .take_while(|a| fs::symlink_metadata(a).is_err())
            .collect();
        for dir in missing.into_iter().rev() {
            match fs::create_dir(dir) {
                Ok(()) => lock(&self.created).push(dir.to_path_buf()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(format!(
                        "cannot create `{}`: {}",
                        dir.display(),
                        io_reason(&e)
                    ))
                }
            }
        }
        Ok(())
    }

    /// Removes the temporary directory and the parents this run created (each
    /// only if empty), unless the output was committed.
    fn abandon(&self) {
        let mut writing = self.writing.write().unwrap_or_else(|e| e.into_inner());
        if !*writing {
            return;
        }
        *writing = false;
        let listing = {
            let mut files = lock(&self.files);
            files.journal = None;
            std::mem::take(&mut files.listing)
        };
        let _ = remove_owned(&self.tmp, &listing);
        for dir in lock(&self.created).iter().rev() {
            if fs::remove_dir(dir).is_err() {
                break;
            }
        }
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        self.shared.abandon();
    }
}

/// A thread that, on SIGINT or SIGTERM, abandons the build and exits with the
/// conventional status. signal-hook rather than `ctrlc`: its iterator tells
/// which signal arrived (130 and 143 differ), and the cleanup runs on an
/// ordinary thread, where removing files is allowed.
#[cfg(unix)]
fn abandon_on_signals(shared: &Arc<Shared>) -> Result<(), String> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .map_err(|e| format!("cannot watch for signals: {}", io_reason(&e)))?;
    let shared = Arc::clone(shared);
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            shared.abandon();
            std::process::exit(128 + signal);
        }
    });
    Ok(())
}

/// Removes the temporary directories that earlier builds into `parent/base`
/// left (killed outright, or the machine stopped): only those whose process
/// is gone and that hold nothing but what tapc listed in them.
fn remove_stale(parent: &Path, base: &str) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(&format!(".{base}.tapc-")))
            .and_then(|n| n.strip_prefix("new-").or_else(|| n.strip_prefix("old-")))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if !is_dir || process_alive(pid) {
            continue;
        }
        if let Ok(listing) = owned(&entry.path(), Check::Interrupted) {
            let _ = remove_owned(&entry.path(), &listing);
        }
    }
}

/// Whether `pid` names a running process other than this one (this one has
/// not made its temporary directory yet, so one with its pid is stale).
#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists.
    pid > 0
        && (unsafe { libc::kill(pid, 0) } == 0
            || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM))
}

#[cfg(not(unix))]
fn process_alive(pid: u32) -> bool {
    pid != std::process::id()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_round_trips_and_anything_else_is_refused() {
        let listing: Listing = [("a.json".to_string(), (3, hash64(b"{}\n")))].into();
        let text: String = std::iter::once(MARKER_HEAD.to_string())
            .chain(listing.iter().map(|(n, &e)| marker_line(n, e)))
            .collect();
        let parsed = parse_marker(&text).map(|(l, h)| (l, h(b"{}\n")));
        assert_eq!(parsed, Some((listing, hash64(b"{}\n"))));
        assert_eq!(
            parse_marker(MARKER_HEAD).map(|(l, _)| l),
            Some(Listing::new())
        );
        // A marker an earlier tapc wrote (format 1) lists FNV-1a hashes.
        let v1 = format!("{MARKER_V1}\n3 {:016x} a.json\n", fnv1a(b"{}\n"));
        let (old, hash_of) = parse_marker(&v1).expect("format 1 is read");
        assert_eq!(old["a.json"], (3, hash_of(b"{}\n")));
        for bad in [
            "",
            "a.json\n",
            &text[..text.len() - 1],
            &format!("{MARKER_HEAD}3 00 a.json\n"),
            &format!("{MARKER_HEAD}3 0000000000000000 ../a.json\n"),
            &format!("{MARKER_HEAD}3 0000000000000000 {MARKER}\n"),
            &format!("{text}3 0000000000000000 a.json\n"),
        ] {
            assert!(parse_marker(bad).is_none(), "{bad:?}");
        }
    }

    /// Files that differ in one byte, wherever it is, differ in hash; and the
    /// hash depends on the length (trailing zero bytes count).
    #[test]
    fn hash64_tells_every_one_byte_edit() {
        let text: Vec<u8> = (0..100u8).collect();
        let h = hash64(&text);
        for i in 0..text.len() {
            let mut edited = text.clone();
            edited[i] ^= 1;
            assert_ne!(hash64(&edited), h, "byte {i}");
        }
        assert_ne!(hash64(b"a"), hash64(b"a\0"));
        assert_ne!(hash64(b""), hash64(b"\0"));
    }

    /// A scratch directory of this test's own (removed first), with an
    /// output directory `out` being written in it.
    fn scratch(name: &str) -> (PathBuf, OutputDir) {
        let root = std::env::temp_dir().join(format!("tapc-output-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).expect("a scratch directory");
        let source = root.join("p.tap");
        fs::write(&source, "").expect("a program");
        let out = OutputDir::create(&root.join("out"), &source).expect("created");
        (root, out)
    }

    /// A file written in parts ends as the same bytes and the same marker
    /// entry as one written whole; until its last part, the temporary
    /// directory's marker lists it as unfinished, so that an interrupted
    /// build's directory is still recognised (and removed) as tapc's.
    #[test]
    fn a_file_in_parts_is_listed_as_one_written_whole() {
        let (root, out) = scratch("parts");
        out.write("whole.json", "{\"a\": 1}\n");
        out.write_part("parts.json", "{\"a\": ", false);
        let tmp = out.shared.tmp.clone();
        let journal = fs::read_to_string(tmp.join(MARKER)).expect("the journal");
        let (listing, _) = parse_marker(&journal).expect("the journal parses");
        assert_eq!(listing["parts.json"].0, UNFINISHED);
        owned(&tmp, Check::Interrupted).expect("an unfinished file is one cut short");
        out.write_part("parts.json", "1}\n", true);
        let journal = fs::read_to_string(tmp.join(MARKER)).expect("the journal");
        let (listing, _) = parse_marker(&journal).expect("listed again when finished");
        assert_eq!(listing["parts.json"], listing["whole.json"]);
        out.commit().expect("committed");
        let dir = root.join("out");
        assert_eq!(fs::read(dir.join("parts.json")).unwrap(), b"{\"a\": 1}\n");
        owned(&dir, Check::Exact).expect("the output is tapc's, exactly");
        // Only an unfinished entry may be listed again.
        let twice = format!("{MARKER_HEAD}3 {:016x} a.json\n3 {:016x} a.json\n", 0, 0);
        assert!(parse_marker(&twice).is_none());
        let _ = fs::remove_dir_all(&root);
    }

    /// An output whose file was never finished is not committed.
    #[test]
    fn an_unfinished_file_is_not_committed() {
        let (root, out) = scratch("unfinished");
        out.write_part("t.json", "{", false);
        let err = out.commit().expect_err("not finished");
        assert!(err.contains("`t.json` was not finished"), "{err}");
        assert!(!root.join("out").exists());
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn fnv1a_matches_its_published_values() {
        // From the FNV reference test vectors (http://www.isthe.com/chongo/tech/comp/fnv/).
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
