//! The `tracing` span around each untyped call into a guest. Typed calls open none: see
//! README's note on logging.

use tracing::span::EnteredSpan;

/// Enters a `call` span for `engine`, when `TRACE` is enabled.
///
/// `tracing::trace_span!` alone makes a disabled span that still has to be dropped, through a
/// function call; with `None`, a call that is not traced pays one load and one branch. That
/// matters on a path of 20 to 100 ns.
#[inline(always)]
pub fn call_span(engine: &'static str) -> Option<EnteredSpan> {
    if tracing::enabled!(tracing::Level::TRACE) {
        Some(tracing::trace_span!("call", engine).entered())
    } else {
        None
    }
}
