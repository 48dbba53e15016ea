//! Opening a file beneath a directory, so that no path a client sends (`..`, a symlink that
//! points out, an absolute link) reaches outside it. On Linux the kernel enforces that for
//! the whole walk (`openat2` with `RESOLVE_BENEATH`), and the file is served from the
//! descriptor it opened: nothing is checked by name and then re-opened by name, which a
//! symlink swapped in between would defeat. Blocking: run on the blocking pool.

use std::fs::{File, Metadata};
use std::io;
use std::path::Path;

/// Why a path is not served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Nothing there (404).
    Missing,
    /// Outside the directory, or not a regular file (403).
    Forbidden,
}

/// Opens the directory `relative` beneath the open directory `base` (a route's directory
/// beside its plugin).
pub fn open_dir(base: &File, relative: &Path) -> Result<File, Refused> {
    let dir = open_at(base, relative, true).map_err(refusal)?;
    match dir.metadata() {
        Ok(meta) if meta.is_dir() => Ok(dir),
        _ => Err(Refused::Missing),
    }
}

/// Opens the regular file `relative` beneath the open directory `dir`.
pub fn open_file(dir: &File, relative: &str) -> Result<(File, Metadata), Refused> {
    let relative = relative.trim_start_matches('/');
    // The directory itself, asked for by an empty path, is not a file: 403, as before.
    let relative = Path::new(if relative.is_empty() { "." } else { relative });
    let file = open_at(dir, relative, false).map_err(refusal)?;
    let meta = file.metadata().map_err(|_| Refused::Missing)?;
    if !meta.is_file() {
        return Err(Refused::Forbidden);
    }
    Ok((file, meta))
}

/// Whether two open files are the same file (device and inode).
pub fn same_file(one: &File, other: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (one.metadata(), other.metadata()) {
        (Ok(one), Ok(other)) => (one.dev(), one.ino()) == (other.dev(), other.ino()),
        _ => false,
    }
}

/// What an error opening a path means for the client.
fn refusal(error: io::Error) -> Refused {
    match error.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => Refused::Missing,
        _ => Refused::Forbidden,
    }
}

#[cfg(target_os = "linux")]
fn open_at(dir: &File, relative: &Path, directory: bool) -> io::Result<File> {
    use rustix::fs::{Mode, OFlags, ResolveFlags};
    let mut flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY;
    if directory {
        flags |= OFlags::DIRECTORY;
    }
    let resolve = ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS;
    let fd = rustix::fs::openat2(dir, relative, flags, Mode::empty(), resolve)?;
    Ok(File::from(fd))
}

#[cfg(not(target_os = "linux"))]
compile_error!("gale serves static files through openat2 with RESOLVE_BENEATH: Linux 5.6 or later");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_outside_the_directory_opens_however_the_path_is_spelled() {
        let root = tempfile::tempdir().unwrap();
        let base = root.path().join("site");
        std::fs::create_dir_all(base.join("sub")).unwrap();
        std::fs::write(base.join("a.txt"), "a").unwrap();
        std::fs::write(root.path().join("secret.txt"), "s").unwrap();
        std::os::unix::fs::symlink(root.path().join("secret.txt"), base.join("out")).unwrap();
        std::os::unix::fs::symlink("a.txt", base.join("in")).unwrap();
        let dir = File::open(&base).unwrap();
        assert!(open_file(&dir, "a.txt").is_ok());
        assert!(open_file(&dir, "/sub/../a.txt").is_ok());
        assert!(open_file(&dir, "in").is_ok(), "a link that stays inside");
        for outside in [
            "../secret.txt",
            "sub/../../secret.txt",
            "out",
            "/etc/passwd",
        ] {
            let refused = open_file(&dir, outside).unwrap_err();
            assert!(
                matches!(refused, Refused::Forbidden | Refused::Missing),
                "{outside}"
            );
        }
        assert_eq!(
            open_file(&dir, "../secret.txt").unwrap_err(),
            Refused::Forbidden
        );
        assert_eq!(open_file(&dir, "sub").unwrap_err(), Refused::Forbidden);
        assert_eq!(open_file(&dir, "").unwrap_err(), Refused::Forbidden);
        assert_eq!(open_file(&dir, "missing").unwrap_err(), Refused::Missing);
        let top = File::open(root.path()).unwrap();
        assert!(open_dir(&top, Path::new("site/sub")).is_ok());
        assert!(open_dir(&dir, Path::new("..")).is_err());
    }
}
