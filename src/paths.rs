//! File paths from untrusted uploads: stored losslessly as bytes, shown escaped.
//!
//! A path may hold bytes that are not UTF-8, or Unicode bidirectional controls (a right-to-left
//! override can make `gpj.exe` look like `exe.jpg`). [`display_path`] escapes both so that a
//! report or a log line can always be written and never misleads.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

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
}
