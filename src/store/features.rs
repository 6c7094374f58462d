//! Reference keypoints ([`crate::hash::keypoints`]) of still works: one row per work, the
//! keypoints packed in a blob of [`KEYPOINT_BYTES`] bytes each (x, y, scale as little-endian
//! f32, then the 32-byte descriptor).

use super::Catalogue;
use crate::error::Result;
use crate::hash::keypoints::Keypoint;
use crate::hash::Hash256;
use rusqlite::{params, Transaction};

/// Bytes per stored keypoint.
pub const KEYPOINT_BYTES: usize = 12 + 32;

/// Writes `keypoints` of work `work_id` inside `tx`; nothing when there are none or the work
/// already has keypoints.
pub(super) fn insert(tx: &Transaction<'_>, work_id: i64, keypoints: &[Keypoint]) -> Result<()> {
    if keypoints.is_empty() {
        return Ok(());
    }
    tx.execute(
        "INSERT OR IGNORE INTO local_features (work_id, count, keypoints) VALUES (?1, ?2, ?3)",
        params![work_id, keypoints.len() as i64, pack(keypoints)],
    )?;
    Ok(())
}

fn pack(keypoints: &[Keypoint]) -> Vec<u8> {
    let mut out = Vec::with_capacity(keypoints.len() * KEYPOINT_BYTES);
    for k in keypoints {
        for v in [k.x, k.y, k.scale] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&k.descriptor.to_bytes());
    }
    out
}

/// The keypoints in `bytes`; a trailing partial record is ignored.
fn unpack(bytes: &[u8]) -> Vec<Keypoint> {
    bytes
        .chunks_exact(KEYPOINT_BYTES)
        .map(|c| {
            let f = |i: usize| f32::from_le_bytes([c[i], c[i + 1], c[i + 2], c[i + 3]]);
            Keypoint {
                x: f(0),
                y: f(4),
                scale: f(8),
                descriptor: Hash256::from_bytes(&c[12..]).unwrap_or_default(),
            }
        })
        .collect()
}

impl Catalogue {
    /// True when work `work_id` has keypoints stored.
    pub fn has_local_features(&self, work_id: i64) -> Result<bool> {
        let conn = self.conn();
        let n: i64 = conn.query_row(
            "SELECT COUNT(*) FROM local_features WHERE work_id = ?1",
            params![work_id],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }

    /// Stores keypoints for an existing work that has none (a photo indexed by a build older
    /// than keypoints); nothing when it already has some or `keypoints` is empty.
    pub fn add_local_features(&self, work_id: i64, keypoints: &[Keypoint]) -> Result<()> {
        let mut conn = self.conn();
        let tx = super::write_transaction(&mut conn)?;
        insert(&tx, work_id, keypoints)?;
        tx.commit()?;
        Ok(())
    }

    /// The keypoints of every work that has them, `(work id, keypoints)` by work id.
    pub fn all_local_features(&self) -> Result<Vec<(i64, Vec<Keypoint>)>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT work_id, keypoints FROM local_features ORDER BY work_id")?;
        let rows = stmt.query_map([], |r| {
            let bytes: Vec<u8> = r.get(1)?;
            let work_id: i64 = r.get(0)?;
            if !bytes.len().is_multiple_of(KEYPOINT_BYTES) {
                return Err(super::works::damaged(
                    1,
                    format!(
                        "the keypoints of work {work_id} are {} bytes, not a multiple of {KEYPOINT_BYTES}",
                        bytes.len()
                    ),
                ));
            }
            Ok((work_id, unpack(&bytes)))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips() {
        let points = vec![
            Keypoint {
                x: 12.5,
                y: 300.25,
                scale: 1.26,
                descriptor: Hash256([1, u64::MAX, 3, 1 << 63]),
            },
            Keypoint {
                x: 0.0,
                y: -0.5,
                scale: 4.0,
                descriptor: Hash256::default(),
            },
        ];
        let bytes = pack(&points);
        assert_eq!(bytes.len(), 2 * KEYPOINT_BYTES);
        assert_eq!(unpack(&bytes), points);
        assert_eq!(unpack(&bytes[..KEYPOINT_BYTES + 7]), points[..1]);
    }
}
