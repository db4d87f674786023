//! Where the library crates' `tracing` events go: stderr, one line each,
//! `warning: ...` / `error: ...` as a command-line tool writes them (info
//! lines bare), fields after the message. `RUST_LOG` picks the levels
//! (default `info`; e.g. `RUST_LOG=debug`, or `RUST_LOG=warn` to silence
//! a server's per-request lines).

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// Installs the subscriber (once, at start). With `background`, lines are
/// written by a thread of their own: a server's request threads then pay
/// for a queue push, not a write to stderr (4-5% of a small request's
/// time). The returned guard flushes what is queued when dropped: keep it
/// until the command ends.
pub fn init(background: bool) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).event_format(Plain);
    // `try_init` fails only when a subscriber is set already, which then
    // keeps logging.
    if background {
        // Not lossy: a full queue slows the server down rather than lose lines.
        let (writer, guard) =
            tracing_appender::non_blocking::NonBlockingBuilder::default().lossy(false).finish(std::io::stderr());
        let _ = builder.with_writer(writer).try_init();
        Some(guard)
    } else {
        let _ = builder.with_writer(std::io::stderr).try_init();
        None
    }
}

/// The line format: a level word where it matters, the message, the fields.
struct Plain;

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> std::fmt::Result {
        let prefix = match *event.metadata().level() {
            Level::ERROR => "error: ",
            Level::WARN => "warning: ",
            Level::INFO => "",
            Level::DEBUG => "debug: ",
            Level::TRACE => "trace: ",
        };
        writer.write_str(prefix)?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}
