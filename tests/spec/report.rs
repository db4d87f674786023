//! Per-script results: collecting them, passing them from a child process
//! to its parent, and printing them.

use crate::driver::{Record, Sink, Verdict};
use std::io::Write;

/// Everything decided about one script.
#[derive(Debug, Default)]
pub struct FileResult {
    pub name: String,
    /// Directives in the script (known once it parsed).
    pub directives: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Failures where a module was rejected in the wrong category only
    /// (malformed instead of invalid or the reverse).
    pub category_only: usize,
    pub failures: Vec<(usize, String)>,
    pub skips: Vec<(usize, String)>,
    /// Line of a directive that began but has no verdict yet.
    pub running: Option<usize>,
}

impl FileResult {
    pub fn new(name: &str) -> FileResult {
        FileResult { name: name.to_string(), ..FileResult::default() }
    }

    pub fn decided(&self) -> usize {
        self.passed + self.failed + self.skipped
    }

    pub fn fail(&mut self, line: usize, detail: String) {
        self.failed += 1;
        self.failures.push((line, detail));
    }

    /// Accounts for a child process that died before finishing: the
    /// directive it was running failed, and so does everything it never
    /// reached (so the totals are the same whatever happens).
    pub fn abandon(&mut self, why: &str) {
        if let Some(line) = self.running.take() {
            self.fail(line, format!("{why} while running this directive"));
        }
        let rest = self.directives.saturating_sub(self.decided());
        if rest > 0 {
            self.failed += rest;
            self.failures.push((0, format!("{rest} later directive(s) not run: {why}")));
        }
        if self.directives == 0 && self.decided() == 0 {
            self.fail(0, format!("{why} before the script was parsed"));
        }
    }

    pub fn print(&self, out: &mut impl Write, max_details: usize) -> std::io::Result<()> {
        writeln!(out, "{}: {} passed, {} failed, {} skipped", self.name, self.passed, self.failed, self.skipped)?;
        for (line, detail) in self.failures.iter().take(max_details) {
            writeln!(out, "  FAIL {}:{line}: {detail}", self.name)?;
        }
        if self.failures.len() > max_details {
            writeln!(out, "  ... {} more failure(s) not shown (SPEC_DETAILS)", self.failures.len() - max_details)?;
        }
        for (line, reason) in &self.skips {
            writeln!(out, "  SKIP {}:{line}: {reason}", self.name)?;
        }
        Ok(())
    }
}

impl Sink for FileResult {
    fn start(&mut self, directives: usize) {
        self.directives = directives;
    }

    fn begin(&mut self, line: usize) {
        self.running = Some(line);
    }

    fn record(&mut self, record: Record) {
        self.running = None;
        match record.verdict {
            Verdict::Pass => self.passed += 1,
            Verdict::Fail { detail, category_only } => {
                if category_only {
                    self.category_only += 1;
                }
                self.fail(record.line, detail);
            }
            Verdict::Skip { reason } => {
                self.skipped += 1;
                self.skips.push((record.line, reason));
            }
        }
    }
}

/// Marks protocol lines on a child's stdout, so anything else the engine
/// might print there is ignored rather than misread.
const TAG: &str = "\u{1e}SPEC ";

/// A [`Sink`] for a child process: writes each event as one line to stdout
/// immediately (stdout is line-buffered), so the parent has everything
/// decided before a crash.
pub struct ProtocolSink;

impl ProtocolSink {
    fn emit(&self, line: String) {
        let mut out = std::io::stdout().lock();
        // If the parent has gone away there is nobody left to report to.
        let _ = writeln!(out, "{TAG}{line}");
        let _ = out.flush();
    }

    pub fn end(&self) {
        self.emit("E".into());
    }
}

impl Sink for ProtocolSink {
    fn start(&mut self, directives: usize) {
        self.emit(format!("N {directives}"));
    }

    fn begin(&mut self, line: usize) {
        self.emit(format!("B {line}"));
    }

    fn record(&mut self, record: Record) {
        let line = record.line;
        self.emit(match record.verdict {
            Verdict::Pass => format!("P {line}"),
            Verdict::Fail { detail, category_only } => {
                format!("F {line} {} {}", u8::from(category_only), escape(&detail))
            }
            Verdict::Skip { reason } => format!("S {line} {}", escape(&reason)),
        });
    }
}

/// Applies one protocol line from a child to `result`. Returns `true` for
/// the end marker. Lines without the tag are not ours and are ignored.
pub fn apply_protocol_line(result: &mut FileResult, line: &str) -> bool {
    let Some(rest) = line.strip_prefix(TAG) else {
        return false;
    };
    let mut parts = rest.splitn(2, ' ');
    let kind = parts.next().unwrap_or("");
    let args = parts.next().unwrap_or("");
    let num = |s: &str| s.parse::<usize>().unwrap_or(0);
    match kind {
        "E" => return true,
        "N" => result.start(num(args)),
        "B" => result.begin(num(args)),
        "P" => result.record(Record { line: num(args), verdict: Verdict::Pass }),
        "F" => {
            let mut f = args.splitn(3, ' ');
            let line = num(f.next().unwrap_or(""));
            let category_only = f.next() == Some("1");
            let detail = unescape(f.next().unwrap_or(""));
            result.record(Record { line, verdict: Verdict::Fail { detail, category_only } });
        }
        "S" => {
            let mut f = args.splitn(2, ' ');
            let line = num(f.next().unwrap_or(""));
            let reason = unescape(f.next().unwrap_or(""));
            result.record(Record { line, verdict: Verdict::Skip { reason } });
        }
        _ => {}
    }
    false
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n").replace('\r', "\\r")
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}
