//! Which frames of a video are hashed.
//!
//! References are sampled densely (default every 200 ms) so that wherever an excerpt starts,
//! each query frame lands within 100 ms of a reference frame; queries are sampled at a lower
//! rate (default every 250 ms) or at keyframes only. Times are presentation times (PTS) in ms.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A sampling plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SamplePlan {
    /// One frame whenever at least this many milliseconds have passed since the last one taken.
    IntervalMs(u32),
    /// Keyframes (intra frames) only: fastest decode, coarse in time.
    Keyframes,
}

impl SamplePlan {
    /// Default for references: every 200 ms (5 frames/s).
    pub const REFERENCE_DEFAULT: SamplePlan = SamplePlan::IntervalMs(200);
    /// Default for queries: every 250 ms (4 frames/s).
    pub const QUERY_DEFAULT: SamplePlan = SamplePlan::IntervalMs(250);

    /// A stateful per-frame selector for this plan.
    pub fn sampler(self) -> Sampler {
        Sampler {
            plan: self,
            last_taken_ms: None,
        }
    }
}

impl fmt::Display for SamplePlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SamplePlan::Keyframes => f.write_str("keyframes"),
            SamplePlan::IntervalMs(ms) => write!(f, "fps:{}", 1000.0 / *ms as f64),
        }
    }
}

impl FromStr for SamplePlan {
    type Err = String;

    /// Parses `keyframes`, `fps:N` (N frames per second, 0.1..=60) or `ms:N` (every N ms).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "keyframes" {
            return Ok(SamplePlan::Keyframes);
        }
        if let Some(n) = s.strip_prefix("fps:") {
            let fps: f64 = n.parse().map_err(|_| format!("bad frame rate in {s:?}"))?;
            if !(0.1..=60.0).contains(&fps) {
                return Err(format!("frame rate {fps} out of range 0.1..=60"));
            }
            return Ok(SamplePlan::IntervalMs((1000.0 / fps).round() as u32));
        }
        if let Some(n) = s.strip_prefix("ms:") {
            let ms: u32 = n.parse().map_err(|_| format!("bad interval in {s:?}"))?;
            if !(16..=10_000).contains(&ms) {
                return Err(format!("interval {ms} ms out of range 16..=10000"));
            }
            return Ok(SamplePlan::IntervalMs(ms));
        }
        Err(format!(
            "unknown sampling {s:?}: use keyframes, fps:N or ms:N"
        ))
    }
}

/// Decides frame by frame, in presentation order, whether to take it.
#[derive(Debug, Clone)]
pub struct Sampler {
    plan: SamplePlan,
    last_taken_ms: Option<i64>,
}

impl Sampler {
    /// Whether to take the frame shown at `t_ms`. With [`SamplePlan::Keyframes`] the decoder
    /// only delivers keyframes, so every frame is taken.
    pub fn want(&mut self, t_ms: i64) -> bool {
        match self.plan {
            SamplePlan::Keyframes => true,
            SamplePlan::IntervalMs(interval) => {
                // A few ms of slack so that 24 fps content sampled at 250 ms does not drift a frame.
                let due = match self.last_taken_ms {
                    None => true,
                    Some(last) => t_ms - last >= interval as i64 - 8,
                };
                if due {
                    self.last_taken_ms = Some(t_ms);
                }
                due
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_sampling_of_24fps() {
        let mut s = SamplePlan::IntervalMs(250).sampler();
        let taken: Vec<i64> = (0..48)
            .map(|i| (i as f64 * 1000.0 / 24.0).round() as i64)
            .filter(|&t| s.want(t))
            .collect();
        assert_eq!(taken, vec![0, 250, 500, 750, 1000, 1250, 1500, 1750]);
        assert_eq!(
            "fps:4".parse::<SamplePlan>(),
            Ok(SamplePlan::IntervalMs(250))
        );
        assert!("fps:0".parse::<SamplePlan>().is_err());
    }
}
