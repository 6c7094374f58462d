//! Progress bars on stderr (indicatif); hidden when stderr is not a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A bar for `total` files, labelled `what`.
pub fn bar(total: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        Some(total as u64),
        if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{what} [{{bar:30}}] {{pos}}/{{len}} files, {{elapsed}} elapsed, ETA {{eta}} {{msg}}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// Shows the media seconds done so far beside the bar.
pub fn set_media_seconds(bar: &ProgressBar, seconds: f64) {
    bar.set_message(format!("{seconds:.0} media s"));
}
