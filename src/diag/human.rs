//! The human report, drawn by miette from an excerpt of the file per diagnostic.
//!
//! miette is given only the lines around a diagnostic's labels, never the file:
//! - it scanned the text from its start for every snippet (quadratic in the
//!   number of diagnostics);
//! - it counts a lone `\r` as a line end in one place and not in another, where
//!   tapc's lines end at `\n` only (`line_index`): lone `\r`s are shown as `?`;
//! - it pads with `{:width$}`, which panics past a width of 65,535: a label
//!   that far into a line (minified input, or 16,384 tabs) crashed the report.
//!   A line longer than `LONG_LINE` bytes is cut to windows around the label
//!   ends on it, the cuts shown as `…`.
//!
//! The gutter's line numbers and the header's `line:column` come from the
//! file's `LineIndex`, as JSON's and SARIF's do.

use std::fmt;
use std::ops::Range;

use super::{is_invisible, Diagnostic, FileId, Report, Severity, SourceFile, BOM};
use crate::text::{digits, put_decimal, repeat};

/// Lines longer than this (in bytes) are cut to windows around the labels.
const LONG_LINE: usize = 240;
/// Columns kept on each side of a label end on a cut line (a tab counts 4,
/// as miette draws it).
const WINDOW: usize = 50;
/// What stands for a cut piece of a line.
const CUT: &str = "…";

/// Renders human-readable reports; `color` only when writing to a terminal.
pub fn render_human(reports: &[Report<'_>], color: bool) -> String {
    render(reports, color, true)
}

/// `render_human`, drawing the reports `draw_one_line` can draw with it if
/// `ours` (tests compare it with miette's).
fn render(reports: &[Report<'_>], color: bool, ours: bool) -> String {
    // Built only for a report `draw_one_line` cannot draw: the reference
    // program's warnings need neither.
    let mut handlers = None;
    let mut out = String::new();
    for report in reports {
        for diag in report.diagnostics {
            let excerpt = Excerpt::new(report, diag);
            let plain_text = plain(&diag.message) && diag.help.as_deref().is_none_or(plain);
            if !(ours && plain_text && !color && draw_one_line(&mut out, diag, &excerpt)) {
                let view = MietteView {
                    diag,
                    excerpt: &excerpt,
                    prewrapped: plain_text,
                };
                let [wrapping, prewrapped] = handlers.get_or_insert_with(|| miette_handlers(color));
                let handler = if plain_text { prewrapped } else { wrapping };
                // Writing into a String cannot fail.
                let _ = handler.render_report(&mut out, &view);
            }
            out.push('\n');
        }
    }
    out
}

/// miette's report handlers: one wrapping the message and help, and one
/// for text `wrap` has wrapped already.
fn miette_handlers(color: bool) -> [miette::GraphicalReportHandler; 2] {
    use miette::{GraphicalReportHandler, GraphicalTheme};
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let wrapping = GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_links(false)
        // Code in help lines (`us-west-2`) must not be split at its hyphens,
        // and lines break at spaces only: Unicode's line-breaking rules cost
        // a third of rendering a report and would break after a hyphen too.
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation);
    // Most messages and help lines are wrapped here, as `wrapping` would:
    // textwrap took half of drawing a report.
    let prewrapped = wrapping.clone().with_wrap_lines(false);
    [wrapping, prewrapped]
}

/// Draws the report of the commonest diagnostic as miette draws it without
/// colour, and says whether it did: one label, on one line, with its text on
/// one line, the label's line and the lines around it printable ASCII (so
/// that a byte is a column), and a `plain` message and help. miette took a
/// tenth of `tapc check`'s instructions for the reference program's two
/// warnings (BENCHMARKS.md, Start-up); a test holds the two drawings to the
/// same text.
fn draw_one_line(out: &mut String, diag: &Diagnostic, excerpt: &Excerpt<'_>) -> bool {
    use miette::SourceCode;
    let ([label], [span]) = (diag.labels.as_slice(), excerpt.labels.as_slice()) else {
        return false;
    };
    if span.is_empty() || label.text.is_empty() || label.text.contains('\n') {
        return false;
    }
    let at = miette::SourceSpan::new(span.start.into(), span.len());
    // The lines miette reads: the label's, and one of context either side.
    let (Ok(context), Ok(primary)) = (excerpt.read_span(&at, 1, 1), excerpt.read_span(&at, 0, 0))
    else {
        return false;
    };
    let Some(text) = std::str::from_utf8(context.data())
        .ok()
        .filter(|t| !t.is_empty() && t.bytes().all(|b| matches!(b, b' '..=b'~' | b'\n')))
    else {
        return false;
    };
    // (number, offset, text) of each line, split as miette splits them.
    let mut lines = Vec::with_capacity(3);
    let (mut offset, mut number) = (context.span().offset(), context.line());
    for line in text.split_inclusive('\n') {
        number += 1;
        lines.push((number, offset, line.trim_end_matches('\n')));
        offset += line.len();
    }
    let Some(&(_, line_start, line_text)) = lines
        .iter()
        .find(|&&(_, start, text)| (start..start + text.len()).contains(&span.start))
    else {
        return false;
    };
    if span.end > line_start + line_text.len() {
        return false;
    }
    let width = digits(number as u64);
    let (from, to) = (span.start - line_start, span.end - line_start);
    let mid = (from + to) / 2;
    let icon = match diag.severity {
        Severity::Error => "×",
        Severity::Warning => "⚠",
    };
    let gutter = width + 2;
    out.push_str(diag.code);
    out.push_str("\n\n");
    indent(
        out,
        &wrap(&diag.message, MESSAGE_WIDTH),
        &format!("  {icon} "),
        "  │ ",
    );
    repeat(out, ' ', gutter);
    out.push_str("╭─[");
    out.push_str(primary.name().unwrap_or_default());
    out.push(':');
    put_decimal(primary.line() as u64 + 1, out);
    out.push(':');
    put_decimal(primary.column() as u64 + 1, out);
    out.push_str("]\n");
    for &(number, start, text) in &lines {
        repeat(out, ' ', 1 + width - digits(number as u64));
        put_decimal(number as u64, out);
        out.push_str(" │ ");
        out.push_str(text);
        out.push('\n');
        if start == line_start {
            repeat(out, ' ', width + 1);
            out.push_str(" · ");
            repeat(out, ' ', from);
            repeat(out, '─', mid - from);
            out.push('┬');
            repeat(out, '─', to - mid - 1);
            out.push('\n');
            repeat(out, ' ', width + 1);
            out.push_str(" · ");
            repeat(out, ' ', mid);
            out.push_str("╰── ");
            out.push_str(&label.text);
            out.push('\n');
        }
    }
    repeat(out, ' ', gutter);
    out.push_str("╰────\n");
    if let Some(help) = &diag.help {
        indent(out, &wrap(help, HELP_WIDTH), "  help: ", "        ");
    }
    true
}

/// Writes `text`'s lines, the first after `first`, the others after `rest`
/// (trimmed before a blank line), and a line end: miette's indenting of a
/// text it does not wrap.
fn indent(out: &mut String, text: &str, first: &str, rest: &str) {
    for (i, line) in text.split_terminator('\n').enumerate() {
        let prefix = if i == 0 { first } else { rest };
        if i > 0 {
            out.push('\n');
        }
        out.push_str(if line.trim().is_empty() {
            prefix.trim_end()
        } else {
            prefix
        });
        out.push_str(line);
    }
    if text.ends_with('\n') {
        out.push('\n');
    }
    out.push('\n');
}

/// The width miette draws reports in; a message's lines take 4 columns
/// less (the severity's mark and a space, indented by 2), a help's 8
/// (`  help: `), and miette keeps 2 more.
const WIDTH: usize = 100;
const MESSAGE_WIDTH: usize = WIDTH - 2 - 4;
const HELP_WIDTH: usize = WIDTH - 2 - 8;

/// Whether `wrap` breaks `text` into the lines miette's textwrap would: one
/// line, not empty, no leading space (textwrap would keep an indent on an
/// empty first line where miette trims it), and no other whitespace or
/// control character (an escape sequence takes no width in textwrap).
fn plain(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with(' ')
        && text
            .chars()
            .all(|c| c == ' ' || !(c.is_whitespace() || c.is_control()))
}

/// A `plain` text broken into lines of at most `width` columns, as textwrap's
/// first-fit `fill` breaks it with the options `render_human` gives miette
/// (textwrap 0.16): words end at ASCII spaces, which a line break drops; a
/// word wider than a line is cut into pieces as wide as a line; a line takes
/// words while they fit. miette then indents the lines.
fn wrap(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    // (A plain text has no ASCII control character: the rest take one.)
    let width_of = |c: char| {
        if c.is_ascii() {
            1
        } else {
            c.width().unwrap_or(0)
        }
    };
    // A line that fits, as most messages do, is left as it is.
    if text.len() <= width && text.is_ascii() && !text.ends_with(' ') {
        return text.to_string();
    }
    // (start, end without its spaces, width) of each word, or piece of one.
    let mut pieces: Vec<(usize, usize, usize)> = Vec::new();
    let mut words: Vec<(usize, usize)> = Vec::new();
    let (mut start, mut in_spaces) = (0, false);
    // (Bytes, not characters: a space is never part of another character.)
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if in_spaces && b != b' ' {
            words.push((start, i));
            start = i;
        }
        in_spaces = b == b' ';
    }
    words.push((start, text.len()));
    for (start, end) in words {
        let word = text[start..end].trim_end_matches(' ');
        if word.is_ascii() {
            // A column a byte: pieces of `width` bytes.
            let mut from = start;
            let step = width.max(1);
            while start + word.len() - from > step {
                pieces.push((from, from + step, step));
                from += step;
            }
            pieces.push((from, start + word.len(), start + word.len() - from));
            continue;
        }
        let (mut from, mut used) = (start, 0);
        for (i, c) in word.char_indices() {
            if used > 0 && used + width_of(c) > width {
                pieces.push((from, start + i, used));
                (from, used) = (start + i, 0);
            }
            used += width_of(c);
        }
        pieces.push((from, start + word.len(), used));
    }
    let mut out = String::with_capacity(text.len() + 8);
    let (mut line, mut used, mut end) = (0, 0, 0);
    for (k, &(from, to, piece_width)) in pieces.iter().enumerate() {
        if k > 0 && used + piece_width > width {
            out.push_str(&text[line..end]);
            out.push('\n');
            (line, used) = (from, 0);
        }
        // A piece's spaces count until the line breaks after it.
        let spaces = pieces
            .get(k + 1)
            .map_or(0, |next| next.0)
            .saturating_sub(to);
        used += piece_width + spaces;
        end = to;
    }
    out.push_str(&text[line..end]);
    out
}

/// The lines around one diagnostic's labels, as miette reads them: runs of
/// whole lines of a file (each with two lines of context on either side,
/// so that miette's one line of context stays inside its run), long lines cut.
/// Labels in several files (a name declared in two files) make runs of each
/// file, the primary label's file first; miette names each run's file.
/// Offsets in the excerpt are its own; `pieces` maps file offsets to them.
struct Excerpt<'f> {
    text: String,
    /// Per excerpt line: where it starts in `text`, its 0-based line in its
    /// file, and the run it belongs to.
    lines: Vec<(usize, usize, usize)>,
    /// Per run, its file.
    runs: Vec<&'f SourceFile>,
    /// File ranges copied into `text` (end inclusive, for a label that ends at
    /// a line end), their file, and where each starts in `text`.
    pieces: Vec<(FileId, usize, usize, usize)>,
    /// The labels, in excerpt offsets.
    labels: Vec<Range<usize>>,
}

impl<'f> Excerpt<'f> {
    fn new(report: &Report<'f>, diag: &Diagnostic) -> Excerpt<'f> {
        let mut files: Vec<FileId> = diag.labels.iter().map(|l| l.span.file).collect();
        let primary = files.first().copied();
        files.sort_unstable_by_key(|&f| (Some(f) != primary, f));
        files.dedup();
        let mut excerpt = Excerpt {
            text: String::new(),
            lines: Vec::new(),
            runs: Vec::new(),
            pieces: Vec::new(),
            labels: Vec::new(),
        };
        for id in files {
            let labels = diag.labels.iter().filter(|l| l.span.file == id);
            let file = report.file(labels.clone().next().expect("a file of a label").span);
            let index = file.index();
            let last_line = index.line_count() - 1;
            let mut runs: Vec<(usize, usize)> = labels
                .clone()
                .map(|l| {
                    let first = index.line(l.span.start).saturating_sub(2);
                    (first, (index.line(l.span.end) + 2).min(last_line))
                })
                .collect();
            runs.sort_unstable();
            let mut merged: Vec<(usize, usize)> = Vec::new();
            for (first, last) in runs {
                match merged.last_mut() {
                    Some(run) if first <= run.1 + 1 => run.1 = run.1.max(last),
                    _ => merged.push((first, last)),
                }
            }
            let mut points: Vec<usize> = labels
                .flat_map(|l| [l.span.start, l.span.end])
                .map(|p| p.min(file.text.len()))
                .collect();
            points.sort_unstable();
            // The last line of the file before has no line end.
            if !excerpt.text.is_empty() && !excerpt.text.ends_with('\n') {
                excerpt.text.push('\n');
            }
            for &(first, last) in &merged {
                let run = excerpt.runs.len();
                excerpt.runs.push(file);
                for line in first..=last {
                    excerpt.lines.push((excerpt.text.len(), line, run));
                    excerpt.push_line(id, file, line, &points);
                }
            }
        }
        excerpt.labels = diag
            .labels
            .iter()
            .map(|l| {
                let start = excerpt.to_excerpt(l.span.file, l.span.start);
                start..excerpt.to_excerpt(l.span.file, l.span.end).max(start)
            })
            .collect();
        excerpt
    }

    /// Copies one line of `file`, cut to windows around `points` (the label
    /// ends) if it is long, and its line end.
    fn push_line(&mut self, id: FileId, file: &SourceFile, line: usize, points: &[usize]) {
        let index = file.index();
        let text = file.text.as_str();
        let (start, end) = (index.line_start(line), index.line_end(line));
        let mut windows: Vec<(usize, usize)> = Vec::new();
        if end - start <= LONG_LINE {
            windows.push((start, end));
        } else {
            let on_line = points.iter().filter(|&&p| (start..=end).contains(&p));
            for &p in on_line {
                // (Label ends are on character boundaries; never slice inside one.)
                let p = (0..=p)
                    .rev()
                    .find(|&i| text.is_char_boundary(i))
                    .unwrap_or(0);
                let (lo, hi) = (back(text, start, p), forward(text, p, end, WINDOW));
                match windows.last_mut() {
                    Some(w) if lo <= w.1 + CUT.len() => w.1 = w.1.max(hi),
                    _ => windows.push((lo, hi)),
                }
            }
            if windows.is_empty() {
                // A line of context: its start.
                windows.push((start, forward(text, start, end, 2 * WINDOW)));
            }
        }
        let mut at = start;
        for (lo, hi) in windows {
            if lo > at {
                self.text.push_str(CUT);
            }
            self.pieces.push((id, lo, hi, self.text.len()));
            push_shown(&mut self.text, text, lo, hi);
            at = hi;
        }
        if at < end {
            self.text.push_str(CUT);
        }
        if end < text.len() {
            self.text.push('\n');
        }
    }

    /// The excerpt offset of an offset in file `id` that is a label end.
    fn to_excerpt(&self, id: FileId, offset: usize) -> usize {
        // A file's pieces are together, in the order of their offsets.
        let first = self.pieces.iter().position(|p| p.0 == id).unwrap_or(0);
        let len = self.pieces[first..]
            .iter()
            .take_while(|p| p.0 == id)
            .count();
        let pieces = &self.pieces[first..first + len];
        let i = pieces.partition_point(|&(_, lo, _, _)| lo <= offset);
        match i.checked_sub(1).map(|i| pieces[i]) {
            Some((_, lo, hi, at)) if offset <= hi => at + offset - lo,
            // Not reached: every label end is in a piece. The end of the
            // piece before is the nearest place.
            Some((_, lo, hi, at)) => at + hi - lo,
            None => 0,
        }
    }

    /// The file offset of an excerpt offset that is a label start.
    fn to_file(&self, offset: usize) -> usize {
        let i = self.pieces.partition_point(|&(_, _, _, at)| at <= offset);
        i.checked_sub(1).map_or(0, |i| {
            let (_, lo, hi, at) = self.pieces[i];
            (lo + offset - at).min(hi)
        })
    }

    /// Index in `lines` of the excerpt line holding an excerpt offset.
    fn line_at(&self, offset: usize) -> usize {
        self.lines
            .partition_point(|&(start, _, _)| start <= offset)
            .saturating_sub(1)
    }
}

/// Columns a character takes in a snippet, near enough to choose a window.
fn columns(c: char) -> usize {
    if c == '\t' {
        4
    } else {
        1
    }
}

/// Where a window of `WINDOW` columns that ends at `p` starts (not before `start`).
fn back(text: &str, start: usize, p: usize) -> usize {
    let mut width = 0;
    for (i, c) in text[start..p].char_indices().rev() {
        width += columns(c);
        if width > WINDOW {
            return start + i + c.len_utf8();
        }
    }
    start
}

/// Where a window of `cols` columns that starts at `p` ends (not after `end`).
fn forward(text: &str, p: usize, end: usize, cols: usize) -> usize {
    let mut width = 0;
    for (i, c) in text[p..end].char_indices() {
        width += columns(c);
        if width > cols {
            return p + i;
        }
    }
    end
}

/// Appends `text[lo..hi]` as a report shows it: an invisible character (other
/// than tab and line ends, and a byte-order mark at the start of the file) is
/// shown as `\u{FFFD}`, or `?` where it takes fewer than 3 bytes, so that the
/// terminal neither hides it nor obeys it (escape sequences, bidirectional
/// controls); a `\r` that does not end a line is shown as `?`. Replacements
/// keep the byte length, so offsets in the piece stay those of the file.
fn push_shown(out: &mut String, text: &str, lo: usize, hi: usize) {
    // Most source is printable ASCII, tabs and newlines, shown as it is.
    let piece = &text[lo..hi];
    if piece
        .bytes()
        .all(|b| matches!(b, b' '..=b'~' | b'\t' | b'\n'))
    {
        out.push_str(piece);
        return;
    }
    for (i, c) in piece.char_indices() {
        let at = lo + i;
        let hidden = match c {
            '\t' | '\n' => false,
            '\r' => text.as_bytes().get(at + 1) != Some(&b'\n'),
            BOM => at != 0,
            c => is_invisible(c),
        };
        if !hidden {
            out.push(c);
        } else if c.len_utf8() >= 3 {
            out.push('\u{FFFD}');
            out.extend(std::iter::repeat_n('?', c.len_utf8() - 3));
        } else {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        }
    }
}

impl miette::SourceCode for Excerpt<'_> {
    /// The excerpt lines around a span, with their numbers in the file. Two
    /// corrections to what miette expects:
    /// - `line_count` is the number of lines in the snippet plus one, so that
    ///   snippets at most one line apart are drawn as one. (miette 7.6 joins
    ///   two labels' snippets when `line() + line_count()` of the first reaches
    ///   the second, but counts `line_count` from the start of the file.)
    /// - `column` (only shown for the primary label, read without context) is
    ///   the file's column, as JSON gives it.
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        if self.lines.is_empty() {
            // A diagnostic without labels has no excerpt; miette asks for none.
            return Err(miette::MietteError::OutOfBounds);
        }
        let start = self.line_at(span.offset());
        let end = self.line_at(span.offset() + span.len());
        let run = self.lines[start].2;
        if self.lines[end].2 != run {
            // Two runs are not consecutive lines of the file.
            return Err(miette::MietteError::OutOfBounds);
        }
        let first = (start.saturating_sub(before)..=start)
            .find(|&i| self.lines[i].2 == run)
            .unwrap_or(start);
        let last = (end..=end + after)
            .take_while(|&i| self.lines.get(i).is_some_and(|l| l.2 == run))
            .last()
            .unwrap_or(end);
        let lo = self.lines[first].0;
        let hi = self.lines.get(last + 1).map_or(self.text.len(), |l| l.0);
        let data = &self.text.as_bytes()[lo..hi];
        let file = self.runs[run];
        let column = if before == 0 {
            file.position(self.to_file(span.offset())).column - 1
        } else {
            0
        };
        Ok(Box::new(miette::MietteSpanContents::new_named(
            file.name.clone(),
            data,
            miette::SourceSpan::new(lo.into(), hi - lo),
            self.lines[first].1,
            column,
            last - first + 2,
        )))
    }
}

struct MietteView<'a> {
    diag: &'a Diagnostic,
    excerpt: &'a Excerpt<'a>,
    /// The message and the help are `wrap`ped here, not by miette.
    prewrapped: bool,
}

impl fmt::Debug for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.diag.fmt(f)
    }
}

impl fmt::Display for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.prewrapped {
            f.write_str(&wrap(&self.diag.message, MESSAGE_WIDTH))
        } else {
            f.write_str(&self.diag.message)
        }
    }
}

impl std::error::Error for MietteView<'_> {}

impl miette::Diagnostic for MietteView<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diag.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diag.help.as_ref().map(|h| -> Box<dyn fmt::Display> {
            if self.prewrapped {
                Box::new(wrap(h, HELP_WIDTH))
            } else {
                Box::new(h)
            }
        })
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(self.excerpt)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let labels = self.diag.labels.iter().zip(&self.excerpt.labels);
        Some(Box::new(labels.enumerate().map(|(i, (l, span))| {
            let span = (span.start, span.len());
            if i == 0 {
                miette::LabeledSpan::new_primary_with_span(Some(l.text.clone()), span)
            } else {
                miette::LabeledSpan::new_with_span(Some(l.text.clone()), span)
            }
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{LineIndex, Span};

    /// Numbers below `n` from an xorshift generator, the same every run.
    fn numbers(mut seed: u64) -> impl FnMut(usize) -> usize {
        move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        }
    }

    /// `draw_one_line` draws what miette draws, for generated files of
    /// printable ASCII (now and then a tab or a wide character, which leave
    /// the drawing to miette) and a label on one of their lines: gutters of
    /// one to four digits, labels at the first and last lines and columns,
    /// files with and without a final line end, messages and helps of one
    /// line and of several.
    #[test]
    fn draws_one_line_labels_as_miette_does() {
        let mut next = numbers(0x9e37_79b9_7f4a_7c15);
        let mut drawn = 0;
        for round in 0..2_000 {
            let lines = 1 + next([3, 30, 300, 1_500][round % 4]);
            let mut text = String::new();
            for i in 0..lines {
                for _ in 0..next(40) {
                    text.push(match next(800) {
                        0 => '\t',
                        1 => 'é',
                        k => char::from(b' ' + (k * 7 % 95) as u8),
                    });
                }
                if i + 1 < lines || next(2) == 0 {
                    text.push('\n');
                }
            }
            let index = LineIndex::new(&text);
            let line = next(lines);
            let (start, end) = (index.line_start(line), index.line_end(line));
            if start == end {
                continue;
            }
            let from = start + next(end - start);
            // Now and then to the line end, past it or into the next line.
            let to = (from + 1 + next(end - from + 3)).min(text.len());
            let words = |n: usize, next: &mut dyn FnMut(usize) -> usize| {
                (0..n)
                    .map(|_| "word".repeat(1 + next(5)))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let message = words(1 + next(30), &mut next);
            let label = words(1 + next(4), &mut next);
            let mut diag = if next(2) == 0 {
                Diagnostic::error("E101", message)
            } else {
                Diagnostic::warning("W201", message)
            }
            .label(Span::new(FileId::ROOT, from, to), label);
            if next(3) > 0 {
                diag = diag.help(words(1 + next(40), &mut next));
            }
            let file = SourceFile::new("dir/x.tap", text);
            let diags = [diag];
            let reports = [Report::single(&file, &diags)];
            let excerpt = Excerpt::new(&reports[0], &diags[0]);
            drawn += usize::from(draw_one_line(&mut String::new(), &diags[0], &excerpt));
            assert_eq!(
                render(&reports, false, true),
                render(&reports, false, false),
                "{:?} at {from}..{to}",
                file.text
            );
        }
        assert!(drawn > 1_000, "{drawn} drawn here");
    }

    /// `wrap` and miette's indenting give what miette's own wrapping (textwrap's
    /// `fill` with `render_human`'s options) gives, for generated texts: words
    /// of every length up to past a line, runs of spaces, wide and zero-width
    /// characters, and texts that are not `plain` left to miette.
    #[test]
    fn wrap_breaks_lines_as_textwrap_does() {
        // ASCII first: half the texts are made of it alone.
        let alphabet = ['a', 'b', '-', '`', '/', '$', '{', 'é', '…', '漢', '\u{301}'];
        let mut next = numbers(0x2545_f491_4f6c_dd1d);
        let mut checked = 0;
        for round in 0..3_000 {
            let letters = if round % 2 == 0 { 7 } else { alphabet.len() };
            let mut text = String::new();
            for _ in 0..1 + next(30) {
                let long = next(10) == 0;
                for _ in 0..1 + next(if long { 200 } else { 12 }) {
                    text.push(alphabet[next(letters)]);
                }
                text.extend(std::iter::repeat_n(
                    ' ',
                    1 + usize::from(next(8) == 0) * next(4),
                ));
            }
            if next(2) == 0 {
                text = text.trim_end().to_string();
            }
            if !plain(&text) {
                continue;
            }
            for (width, first, rest) in [
                (MESSAGE_WIDTH, "  ⚠ ", "  │ "),
                (HELP_WIDTH, "  help: ", "        "),
            ] {
                let options = textwrap::Options::new(WIDTH - 2)
                    .initial_indent(first)
                    .subsequent_indent(rest)
                    .word_separator(textwrap::WordSeparator::AsciiSpace)
                    .word_splitter(textwrap::WordSplitter::NoHyphenation);
                let mut ours = String::new();
                for (i, line) in wrap(&text, width).split('\n').enumerate() {
                    if i > 0 {
                        ours.push('\n');
                    }
                    ours.push_str(if i == 0 { first } else { rest });
                    ours.push_str(line);
                }
                assert_eq!(ours, textwrap::fill(&text, options), "{text:?}");
                checked += 1;
            }
        }
        assert!(checked > 3_000, "{checked} texts were plain");
    }
}
