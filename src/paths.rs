//! File paths from untrusted uploads: stored losslessly as bytes, shown escaped.
//!
//! A path may hold bytes that are not UTF-8, or Unicode bidirectional controls (a right-to-left
//! override can make `gpj.exe` look like `exe.jpg`). [`display_path`] escapes both so that a
//! report or a log line can always be written and never misleads.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The file `path` names, spelled one way, to tell whether two paths name the same file: its
/// canonical path (symbolic links and `.`/`..` resolved), or, when it does not exist yet, the
/// canonical path of its folder joined with its name; the path as given when neither resolves.
pub fn file_identity(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match (std::fs::canonicalize(folder), path.file_name()) {
        (Ok(f), Some(name)) => f.join(name),
        _ => path.to_path_buf(),
    }
}

/// The raw bytes of a path, for storage (lossless on Unix).
pub fn path_to_bytes(path: &Path) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        path.to_string_lossy().into_owned().into_bytes()
    }
}

/// The path stored by [`path_to_bytes`].
pub fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        PathBuf::from(OsString::from_vec(bytes.to_vec()))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(OsString::from(String::from_utf8_lossy(bytes).into_owned()))
    }
}

/// A printable form of `path`: valid UTF-8 is kept (NFC and NFD forms stay distinct), control
/// characters and bidirectional overrides become `\u{..}` escapes, invalid bytes become `\xNN`.
pub fn display_path(path: &Path) -> String {
    escape_bytes(&path_to_bytes(path))
}

/// Escapes arbitrary bytes as described for [`display_path`].
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if is_dangerous(c) {
                out.push_str(&format!("\\u{{{:04x}}}", c as u32));
            } else if c == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// The path a [`display_path`] string was made from: `\\` becomes `\`, `\u{..}` the
/// character and `\xNN` the byte (the escaping is one to one, so this is its exact inverse).
/// Text that no [`display_path`] produced (a lone backslash, a malformed escape) is kept as it
/// is. Used where a report's path must be opened again (the HTML report's thumbnails).
pub fn path_from_display(shown: &str) -> PathBuf {
    let mut out: Vec<u8> = Vec::with_capacity(shown.len());
    let mut rest = shown;
    while let Some(at) = rest.find('\\') {
        out.extend_from_slice(&rest.as_bytes()[..at]);
        let tail = &rest[at..];
        let (bytes, used) = unescape_one(tail).unwrap_or_else(|| (vec![b'\\'], 1));
        out.extend_from_slice(&bytes);
        rest = &tail[used..];
    }
    out.extend_from_slice(rest.as_bytes());
    path_from_bytes(&out)
}

/// The bytes of the escape at the start of `s` (which starts with a backslash) and its length.
fn unescape_one(s: &str) -> Option<(Vec<u8>, usize)> {
    if s.starts_with("\\\\") {
        return Some((vec![b'\\'], 2));
    }
    if let Some(hex) = s.strip_prefix("\\x") {
        let byte = u8::from_str_radix(hex.get(..2)?, 16).ok()?;
        return Some((vec![byte], 4));
    }
    let body = s.strip_prefix("\\u{")?;
    let end = body.find('}')?;
    let c = char::from_u32(u32::from_str_radix(&body[..end], 16).ok()?)?;
    Some((c.to_string().into_bytes(), 4 + end))
}

/// Control characters, bidirectional marks / embeddings / overrides / isolates, and the
/// Unicode line and paragraph separators (they would split a log line or a CSV row).
fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(
            c as u32,
            0x200e | 0x200f | 0x202a..=0x202e | 0x2066..=0x2069 | 0x061c | 0x2028 | 0x2029
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_override_and_invalid_bytes() {
        let p = path_from_bytes(b"a\xffb\xe2\x80\xaec.jpg");
        assert_eq!(display_path(&p), "a\\xffb\\u{202e}c.jpg");
        assert_eq!(path_from_bytes(&path_to_bytes(&p)), p);
        let p = path_from_bytes("a\u{2028}b\u{2067}c\nd".as_bytes());
        assert_eq!(display_path(&p), "a\\u{2028}b\\u{2067}c\\u{000a}d");
    }

    #[test]
    fn display_form_reads_back_as_the_same_path() {
        for raw in [
            &b"plain/photo.jpg"[..],
            b"new\nline.jpg",
            b"back\\slash\\u{41}.jpg",
            b"a\xffb\xe2\x80\xaec.jpg",
            "sp ace \u{e9}\u{65e5}.mp4".as_bytes(),
            b"\\x4z\\u{zz}\\",
        ] {
            let p = path_from_bytes(raw);
            assert_eq!(path_from_display(&display_path(&p)), p, "{raw:?}");
        }
        // Text no display_path made is kept as it is.
        assert_eq!(path_from_display("a\\qb"), PathBuf::from("a\\qb"));
        assert_eq!(path_from_display("a\\u{zz"), PathBuf::from("a\\u{zz"));
    }
}
