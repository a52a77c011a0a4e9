//! The lossless token stream of a text: every token the parser reads, and the
//! trivia it skips (comments and line ends), with their byte ranges; blanks
//! are the gaps between tokens. It never fails: an unclosed string ends at its
//! line, a character no token starts with is an `Other` token, so that it reads
//! a line being typed. The formatter lays out its tokens (`crate::fmt`), the
//! language server finds its way in them while a file does not parse
//! (`crate::lsp`); the parser proper is `syntax::parser`.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok {
    /// A name, number, duration, size, CIDR block or bool.
    Word,
    /// `:` `=` `,` `{` `}` `[` `]` `->`
    Punct,
    /// A string, quotes included; `closed` unless it runs to the end of its
    /// line, or a `${` in it does.
    Str { closed: bool },
    /// The name inside a string's `${...}` (it follows its string's token).
    Interp,
    /// `#` to the end of the line, trailing blanks excluded.
    Comment,
    /// `\n` or `\r\n`.
    Newline,
    /// A character no token starts with.
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

fn word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The tokens of `src`, in order; a leading byte-order mark is skipped.
pub fn tokens(src: &str) -> Vec<Token> {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(src.len() / 4);
    let mut i = if src.starts_with(crate::diag::BOM) {
        crate::diag::BOM.len_utf8()
    } else {
        0
    };
    let mut push = |tok, start, end| out.push(Token { tok, start, end });
    while i < b.len() {
        let start = i;
        match b[i] {
            b'\n' => {
                i += 1;
                push(Tok::Newline, start, i);
            }
            b'\r' if b.get(i + 1) == Some(&b'\n') => {
                i += 2;
                push(Tok::Newline, start, i);
            }
            // A lone `\r` is a blank where the parser accepts it (between items).
            b' ' | b'\t' | b'\r' => i += 1,
            b'#' => {
                while i < b.len() && b[i] != b'\n' && !b[i..].starts_with(b"\r\n") {
                    i += 1;
                }
                let text = src[start..i].trim_end();
                push(Tok::Comment, start, start + text.len());
            }
            b'"' => {
                i += 1;
                let mut interps = Vec::new();
                let mut closed = true;
                loop {
                    match b.get(i) {
                        None | Some(b'\n') => {
                            closed = false;
                            break;
                        }
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        // As in the grammar, an escape never takes the end of the line.
                        Some(b'\\') if b.get(i + 1).is_some_and(|&c| c != b'\n') => i += 2,
                        Some(b'$') if b.get(i + 1) == Some(&b'{') => {
                            let name = i + 2;
                            i = name;
                            while i < b.len() && word_byte(b[i]) {
                                i += 1;
                            }
                            interps.push((name, i));
                            while i < b.len() && !matches!(b[i], b'}' | b'"' | b'\n') {
                                i += 1;
                            }
                            if b.get(i) == Some(&b'}') {
                                i += 1;
                            } else {
                                closed = false;
                            }
                        }
                        Some(_) => i += 1,
                    }
                }
                push(Tok::Str { closed }, start, i.min(b.len()));
                for (s, e) in interps {
                    push(Tok::Interp, s, e);
                }
            }
            b'-' if b.get(i + 1) == Some(&b'>') => {
                i += 2;
                push(Tok::Punct, start, i);
            }
            b':' | b'=' | b',' | b'{' | b'}' | b'[' | b']' => {
                i += 1;
                push(Tok::Punct, start, i);
            }
            c if word_byte(c) => {
                // Identifiers (never ending in `-`), numbers with units, CIDR blocks.
                while i < b.len()
                    && (word_byte(b[i])
                        || matches!(b[i], b'.' | b'/')
                        || (b[i] == b'-' && b.get(i + 1).is_some_and(|&n| word_byte(n))))
                {
                    i += 1;
                }
                push(Tok::Word, start, i);
            }
            _ => {
                i += src[i..].chars().next().map_or(1, char::len_utf8);
                push(Tok::Other, start, i);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Tok, &str)> {
        tokens(src)
            .into_iter()
            .map(|t| (t.tok, &src[t.start..t.end]))
            .collect()
    }

    #[test]
    fn keeps_comments_and_line_ends_and_names_strings_parts() {
        assert_eq!(
            kinds("a = \"x${p}y\" # note  \r\nb->c é"),
            [
                (Tok::Word, "a"),
                (Tok::Punct, "="),
                (Tok::Str { closed: true }, "\"x${p}y\""),
                (Tok::Interp, "p"),
                (Tok::Comment, "# note"),
                (Tok::Newline, "\r\n"),
                (Tok::Word, "b"),
                (Tok::Punct, "->"),
                (Tok::Word, "c"),
                (Tok::Other, "é"),
            ]
        );
    }

    #[test]
    fn a_string_being_typed_ends_at_its_line() {
        assert_eq!(
            kinds("x = \"${suf\ny = \"ab\\"),
            [
                (Tok::Word, "x"),
                (Tok::Punct, "="),
                (Tok::Str { closed: false }, "\"${suf"),
                (Tok::Interp, "suf"),
                (Tok::Newline, "\n"),
                (Tok::Word, "y"),
                (Tok::Punct, "="),
                (Tok::Str { closed: false }, "\"ab\\"),
            ]
        );
    }
}
