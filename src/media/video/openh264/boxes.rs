//! MP4 box structure: the top-level file scan that loads the index boxes (`moov`, `moof`),
//! the bounds-checked walk of the in-memory box tree, and `re_mp4` leaf-box parsing.

use std::io::{Cursor, Read, Seek, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};

use re_mp4::{MvhdBox, ReadBox};

use super::util::{corrupt, fourcc_str, ticks_to_ms};
use super::BuiltinError;

/// Largest `moov` (plus all `moof`) box bytes read into memory, in bytes (512 MiB).
const MAX_INDEX_BYTES: u64 = 512 << 20;

// ---------------------------------------------------------------------------------------------
// Container: top-level scan
// ---------------------------------------------------------------------------------------------

/// The index of an MP4 file: the `moov` box bytes and every `moof` box (with its file offset).
pub(super) struct Index {
    pub(super) file_len: u64,
    pub(super) moov: Vec<u8>,
    pub(super) moofs: Vec<(u64, Vec<u8>)>,
}

/// Scans the top-level boxes of a file (or an in-memory copy of one: any seekable reader)
/// and loads its index boxes.
pub(super) fn read_index<R: Read + Seek>(file: &mut R) -> Result<Index, BuiltinError> {
    let file_len = file.seek(SeekFrom::End(0))?;
    if file_len == 0 {
        return Err(corrupt("empty file (0 bytes)"));
    }
    let mut moov: Option<Vec<u8>> = None;
    let mut moofs: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut index_bytes: u64 = 0;
    let mut pos: u64 = 0;
    let mut first = true;
    let mut cut_box: Option<([u8; 4], u64)> = None;
    while pos < file_len {
        if file_len - pos < 8 {
            break; // trailing bytes too short for a box header: ignore
        }
        let mut hdr = [0u8; 16];
        file.seek(SeekFrom::Start(pos))?;
        file.read_exact(&mut hdr[..8])?;
        let size32 = u32::from_be_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
        let typ = [hdr[4], hdr[5], hdr[6], hdr[7]];
        if first
            && !typ
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-')
        {
            return Err(BuiltinError::Unsupported(
                "not an MP4/QuickTime file (no box structure at its start)".into(),
            ));
        }
        first = false;
        let (hdr_len, size) = match size32 {
            1 => {
                if file_len - pos < 16 {
                    cut_box = Some((typ, pos));
                    break;
                }
                file.read_exact(&mut hdr[8..16])?;
                let large = u64::from_be_bytes([
                    hdr[8], hdr[9], hdr[10], hdr[11], hdr[12], hdr[13], hdr[14], hdr[15],
                ]);
                (16u64, large)
            }
            0 => (8u64, file_len - pos),
            n => (8u64, u64::from(n)),
        };
        if size < hdr_len {
            if moov.is_some() {
                break; // junk after a complete index: ignore it
            }
            return Err(corrupt(format!(
                "malformed top-level box '{}' at byte {pos} (size {size})",
                fourcc_str(typ)
            )));
        }
        let end = match pos.checked_add(size) {
            Some(e) if e <= file_len => e,
            _ => {
                cut_box = Some((typ, pos));
                break;
            }
        };
        match &typ {
            b"moov" if moov.is_none() => {
                index_bytes = index_bytes.saturating_add(size);
                if index_bytes > MAX_INDEX_BYTES {
                    return Err(corrupt(format!(
                        "index box of {size} bytes is implausibly large"
                    )));
                }
                moov = Some(read_box_bytes(file, pos, size)?);
            }
            b"moof" => {
                index_bytes = index_bytes.saturating_add(size);
                if index_bytes > MAX_INDEX_BYTES {
                    return Err(corrupt("fragment index boxes are implausibly large"));
                }
                moofs.push((pos, read_box_bytes(file, pos, size)?));
            }
            _ => {}
        }
        pos = end;
    }
    match moov {
        Some(moov) => Ok(Index { file_len, moov, moofs }),
        None => Err(corrupt(match cut_box {
            Some((t, at)) if &t == b"moov" => format!(
                "the moov (index) box starting at byte {at} is cut short: file truncated ({file_len} bytes)"
            ),
            Some((t, at)) => format!(
                "no moov (index) box: file cut short inside box '{}' at byte {at} ({file_len} bytes)",
                fourcc_str(t)
            ),
            None => format!(
                "no moov (index) box in {file_len} bytes: file cut short or recording not finished"
            ),
        })),
    }
}

fn read_box_bytes<R: Read + Seek>(
    file: &mut R,
    pos: u64,
    size: u64,
) -> Result<Vec<u8>, BuiltinError> {
    let len = usize::try_from(size).map_err(|_| corrupt("box too large for memory"))?;
    let mut buf = vec![0u8; len];
    file.seek(SeekFrom::Start(pos))?;
    file.read_exact(&mut buf)?;
    Ok(buf)
}

// ---------------------------------------------------------------------------------------------
// Container: in-memory box tree
// ---------------------------------------------------------------------------------------------

/// One box inside an in-memory buffer: `start..end` is the whole box, `body` where its
/// payload starts (after the 8- or 16-byte header).
#[derive(Clone, Copy, Debug)]
pub(super) struct BoxRef {
    pub(super) typ: [u8; 4],
    pub(super) start: usize,
    pub(super) body: usize,
    pub(super) end: usize,
}

/// The top box of a buffer holding exactly one box (as read by [`read_box_bytes`]).
pub(super) fn root_box(buf: &[u8]) -> Result<BoxRef, BuiltinError> {
    let kids = child_boxes(buf, 0, buf.len())?;
    kids.into_iter()
        .next()
        .ok_or_else(|| corrupt("empty index box"))
}

/// Lists the boxes in `buf[from..to]`, checking that each one fits inside that range.
pub(super) fn child_boxes(buf: &[u8], from: usize, to: usize) -> Result<Vec<BoxRef>, BuiltinError> {
    let mut out = Vec::new();
    let mut pos = from;
    let to = to.min(buf.len());
    while pos < to {
        if to - pos < 8 {
            break; // padding at the end of a container (seen in the wild): ignore
        }
        let size32 = u32::from_be_bytes([buf[pos], buf[pos + 1], buf[pos + 2], buf[pos + 3]]);
        let typ = [buf[pos + 4], buf[pos + 5], buf[pos + 6], buf[pos + 7]];
        let (hdr, size) = match size32 {
            1 => {
                if to - pos < 16 {
                    return Err(corrupt("box header cut short"));
                }
                let mut b = [0u8; 8];
                b.copy_from_slice(&buf[pos + 8..pos + 16]);
                (16usize, u64::from_be_bytes(b))
            }
            0 => (8usize, (to - pos) as u64),
            n => (8usize, u64::from(n)),
        };
        if size < hdr as u64 || size > (to - pos) as u64 {
            if size32 == 0 && typ == [0; 4] {
                break; // zero padding
            }
            return Err(corrupt(format!(
                "box '{}' has an invalid size {size} (room for {} bytes)",
                fourcc_str(typ),
                to - pos
            )));
        }
        let end = pos + size as usize;
        out.push(BoxRef {
            typ,
            start: pos,
            body: pos + hdr,
            end,
        });
        pos = end;
    }
    Ok(out)
}

pub(super) fn find_child(
    buf: &[u8],
    parent: BoxRef,
    typ: &[u8; 4],
) -> Result<Option<BoxRef>, BuiltinError> {
    Ok(child_boxes(buf, parent.body, parent.end)?
        .into_iter()
        .find(|b| &b.typ == typ))
}

pub(super) fn need_child(
    buf: &[u8],
    parent: BoxRef,
    typ: &[u8; 4],
) -> Result<BoxRef, BuiltinError> {
    find_child(buf, parent, typ)?.ok_or_else(|| {
        corrupt(format!(
            "box '{}' has no '{}' box",
            fourcc_str(parent.typ),
            fourcc_str(*typ)
        ))
    })
}

/// Parses one box with `re_mp4`, from a cursor over exactly that box's bytes.
pub(super) fn parse_box<'s, T>(buf: &'s [u8], b: BoxRef) -> Result<T, BuiltinError>
where
    T: for<'c> ReadBox<&'c mut Cursor<&'s [u8]>>,
{
    let slice = &buf[b.start..b.end];
    let hdr = b.body - b.start;
    // re_mp4 expects the size as its own header reader reports it: for a 64-bit header
    // that is `largesize - 8`, with the box assumed to start 8 bytes before the payload.
    let size = (b.end - b.start - (hdr - 8)) as u64;
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut cur = Cursor::new(slice);
        cur.set_position(hdr as u64);
        T::read_box(&mut cur, size)
    }));
    match result {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(corrupt(format!("corrupt '{}' box: {e}", fourcc_str(b.typ)))),
        Err(_) => Err(corrupt(format!("corrupt '{}' box", fourcc_str(b.typ)))),
    }
}

pub(super) fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

pub(super) fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

pub(super) fn movie_duration_ms(index: &Index) -> u64 {
    let Ok(moov) = root_box(&index.moov) else {
        return 0;
    };
    let Ok(Some(mvhd)) = find_child(&index.moov, moov, b"mvhd") else {
        return 0;
    };
    match parse_box::<MvhdBox>(&index.moov, mvhd) {
        Ok(m) if m.timescale > 0 && m.duration != u64::MAX && m.duration != u64::from(u32::MAX) => {
            u64::try_from(ticks_to_ms(
                i64::try_from(m.duration).unwrap_or(i64::MAX),
                m.timescale,
            ))
            .unwrap_or(0)
        }
        _ => 0,
    }
}
