//! Spans, diagnostics and the quoting of source text: what the parser needs of
//! `diag`, with no dependency, so that the build script can include it
//! with the parser to parse the stdlib when tapc is compiled (build.rs).

/// One source file of a program: its index in the program's files. The file
/// tapc was given is `FileId::ROOT`; the files it imports follow, in the order
/// they are first imported (`crate::load`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

impl FileId {
    pub const ROOT: FileId = FileId(0);
    /// The embedded stdlib, which is no file of the program.
    pub const STDLIB: FileId = FileId(u32::MAX);

    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A byte range in one source file, which it names: spans of a program in
/// several files are ordered by file, then by position.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span { file, start, end }
    }
    /// From the start of `self` to the end of `last`, in `self`'s file.
    pub fn to(self, last: Span) -> Span {
        Span::new(self.file, self.start, last.end)
    }
    /// The empty span at `offset` in `self`'s file.
    pub fn at(self, offset: usize) -> Span {
        Span::new(self.file, offset, offset)
    }
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// The first label is the primary one: the exact place that is wrong.
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn label(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        // Room for this label only, not the four a first push makes: most
        // diagnostics have one, and a program can have 880,000 of them.
        self.labels.reserve_exact(1);
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    /// The fix, in one line. Text in backticks is `.tap` as the user would write
    /// it, and must be valid where it is suggested (tests/diagnostics.rs checks
    /// every help of the test corpus): a whole item (`replicate ledger ->
    /// us-west-2`), the line that opens one (`platform trading {`), an attribute
    /// or block as written in a body (`rpo = 15m`), a value (`"14.6"`, `2GiB`),
    /// or a single name or token (`ledger`, `->`). `...` stands for what the user
    /// fills in (`service api: fargate { ... }`, `lag = ...`), UPPERCASE names for
    /// their names. A block written on one line holds at most one attribute, as
    /// in the language: name the others as separate pieces.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn primary_span(&self) -> Span {
        self.labels.first().map(|l| l.span).unwrap_or_default()
    }
}

/// The byte-order mark some editors write at the start of a UTF-8 file. The
/// parser skips it; offsets stay offsets in the file as read (the mark counts
/// its 3 bytes), columns do not count it, as editors do not show it.
pub const BOM: char = '\u{FEFF}';

/// Whether `c` would be invisible, or would disturb the text around it, if a
/// message showed it as is: control characters, whitespace other than a space,
/// and the format characters (zero-width, joiners, bidirectional controls,
/// byte-order mark, tags) and fillers that render as nothing.
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(
            u32::from(c),
            0xAD | 0x34F
                | 0x61C
                | 0x115F
                | 0x1160
                | 0x17B4
                | 0x17B5
                | 0x180B..=0x180F
                | 0x200B..=0x200F
                | 0x202A..=0x202E
                | 0x2060..=0x206F
                | 0x3164
                | 0xFE00..=0xFE0F
                | 0xFEFF
                | 0xFFA0
                | 0xFFF0..=0xFFFB
                | 0x1D173..=0x1D17A
                | 0xE0000..=0xE0FFF
        )
}

/// `text` with every invisible character written as `<U+XXXX>`, for messages.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(is_invisible) {
        return text.into();
    }
    let mut out = String::new();
    for c in text.chars() {
        if is_invisible(c) {
            out.push_str(&format!("<U+{:04X}>", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// The most characters a quote of source text shows; longer text is cut and
/// ends in `…`, so that a 50 MB token is never copied into a message. About a
/// line of a terminal, and well over the longest AWS name tapc checks (63), so
/// that a name that is too long is still shown whole. Invisible characters
/// count as the `<U+XXXX>` that shows them.
pub const QUOTE_CHARS: usize = 120;

/// A piece of the user's source quoted in a message: "`text`". A piece made only
/// of invisible characters is named instead ("U+FEFF"); one that holds some is
/// quoted with them written as `<U+XXXX>`; one that would show more than
/// `QUOTE_CHARS` characters is cut. Every message or label that quotes source
/// text goes through here.
pub fn quote(text: &str) -> String {
    let named = !text.is_empty() && text.chars().all(is_invisible);
    let mut out = String::new();
    let (mut width, mut cut) = (0, "");
    for c in text.chars() {
        let piece = if named {
            let sep = if out.is_empty() { "" } else { " " };
            format!("{sep}U+{:04X}", u32::from(c))
        } else if is_invisible(c) {
            format!("<U+{:04X}>", u32::from(c))
        } else {
            c.to_string()
        };
        width += piece.chars().count();
        if width > QUOTE_CHARS {
            cut = "…";
            break;
        }
        out.push_str(&piece);
    }
    if named {
        out + cut
    } else {
        format!("`{out}{cut}`")
    }
}
