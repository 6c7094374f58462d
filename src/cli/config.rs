//! Turning arguments (and an optional JSON config file) into library options.

use super::args::DecodeArgs;
use swordnet::error::{Error, ErrorKind, Result};
use swordnet::limits::Limits;
use swordnet::media::DecodeOptions;
use swordnet::sampler::SamplePlan;
use swordnet::verdict::Policy;

/// The optional config file: `{"limits": {...}, "policy": {...}}`, any field may be left out.
#[derive(serde::Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct ConfigFile {
    limits: Limits,
    policy: Policy,
}

/// Limits, policy and decode options from the arguments; flags override the config file.
pub fn options(args: &DecodeArgs, plan: SamplePlan) -> Result<(DecodeOptions, Policy)> {
    let file = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(e, path))?;
            let bad = |e: String| {
                Error::new(ErrorKind::Config, format!("bad config file: {e}")).with_path(path)
            };
            // A JSON array would otherwise be read as the fields in order.
            // A byte-order mark (editors on Windows write one) is not part of the JSON.
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
            let value: serde_json::Value =
                serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
            if !value.is_object() {
                return Err(bad(
                    r#"expected a JSON object, {"limits": {...}, "policy": {...}}"#.into(),
                ));
            }
            serde_json::from_value::<ConfigFile>(value).map_err(|e| bad(e.to_string()))?
        }
        None => ConfigFile::default(),
    };
    let mut limits = file.limits;
    if let Some(v) = args.max_pixels {
        limits.max_pixels = v;
    }
    if let Some(v) = args.max_bytes {
        limits.max_bytes = v;
    }
    if let Some(v) = args.max_duration {
        limits.max_duration_ms = v.saturating_mul(1000);
    }
    if let Some(v) = args.max_frames {
        limits.max_frames = v;
    }
    if let Some(v) = args.decode_timeout {
        limits.decode_timeout_s = v;
    }
    if limits.decode_timeout_s == 0 {
        return Err(Error::new(
            ErrorKind::Config,
            "the decode timeout must be at least 1 s (limits.decode_timeout_s, --decode-timeout)",
        ));
    }
    let decode = DecodeOptions {
        limits,
        decoder: args.decoder,
        plan,
        max_side: args
            .frame_size
            .unwrap_or(DecodeOptions::default().max_side)
            .clamp(64, 4096),
        video_stream: None,
    };
    if let Err(message) = file.policy.check() {
        let e = Error::new(ErrorKind::Config, format!("bad config file: {message}"));
        return Err(match &args.config {
            Some(path) => e.with_path(path),
            None => e,
        });
    }
    Ok((decode, file.policy))
}

/// Worker threads: `--jobs` or the number of cores.
pub fn jobs(args: &DecodeArgs) -> usize {
    args.jobs.map(|j| j as usize).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    })
}
