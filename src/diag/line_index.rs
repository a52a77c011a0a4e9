//! Byte offsets to lines and columns: the one position model of every output
//! (the human report's gutter and header, JSON, SARIF, and an editor's UTF-16).
//!
//! A line ends at `\n` only, as in the grammar: `\r\n` is a line end because it
//! ends in `\n`, and a lone `\r` is a character of its line (the parser rejects
//! it outside comments; reports show it as `?`). Columns do not count a
//! byte-order mark at the start of the file, as editors do not show it.
//!
//! Line starts are found once; a position is a binary search for its line,
//! then a count of the characters between the line start and the offset. So
//! that a long line (minified input) does not make that count linear in the
//! line for every diagnostic on it, the numbers of characters and of UTF-16
//! units before every `BLOCK` bytes of the text are kept too: a column costs
//! at most `2 * BLOCK` bytes of counting.

/// Bytes between two kept counts.
const BLOCK: usize = 256;

/// Where a byte offset is, 1-based, in three units: Unicode scalar values (what
/// JSON and SARIF report), UTF-16 code units (what the language server protocol
/// uses by default) and bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub column_utf16: usize,
    pub column_byte: usize,
}

/// The line starts of one text, and character counts at every `BLOCK` bytes.
#[derive(Clone, Debug)]
pub struct LineIndex {
    len: usize,
    bom: bool,
    line_starts: Vec<usize>,
    /// Characters and UTF-16 units in `text[..k * BLOCK]`.
    blocks: Vec<(usize, usize)>,
}

/// Whether a byte starts a character (is not a UTF-8 continuation byte).
fn starts_char(b: u8) -> bool {
    b & 0xC0 != 0x80
}

/// Characters and UTF-16 units that start in `bytes`.
fn count(bytes: &[u8]) -> (usize, usize) {
    // Most programs are ASCII, which `is_ascii` checks a word at a time.
    if bytes.is_ascii() {
        return (bytes.len(), bytes.len());
    }
    let chars = bytes.iter().filter(|&&b| starts_char(b)).count();
    // A 4-byte character (lead byte 0xF0..) is two UTF-16 units.
    let astral = bytes.iter().filter(|&&b| b >= 0xF0).count();
    (chars, chars + astral)
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let line_starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1))
            .collect();
        let mut blocks = Vec::with_capacity(bytes.len() / BLOCK + 1);
        let (mut chars, mut units) = (0, 0);
        blocks.push((0, 0));
        for chunk in bytes.chunks(BLOCK) {
            let (c, u) = count(chunk);
            chars += c;
            units += u;
            blocks.push((chars, units));
        }
        LineIndex {
            len: text.len(),
            bom: text.starts_with(crate::diag::BOM),
            line_starts,
            blocks,
        }
    }

    /// The number of lines (a final line end starts an empty last line).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 0-based index of the line holding a byte offset (offsets past the end
    /// are on the last line).
    pub fn line(&self, offset: usize) -> usize {
        let offset = offset.min(self.len);
        self.line_starts.partition_point(|&s| s <= offset) - 1
    }

    /// Byte offset where a 0-based line starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line).copied().unwrap_or(self.len)
    }

    /// Byte offset of the end of a 0-based line: its `\n`, or the end of the text.
    pub fn line_end(&self, line: usize) -> usize {
        self.line_starts
            .get(line + 1)
            .map_or(self.len, |&next| next - 1)
    }

    /// Characters and UTF-16 units in `text[..offset]`.
    fn counts_before(&self, text: &str, offset: usize) -> (usize, usize) {
        let block = offset / BLOCK;
        let (chars, units) = self.blocks[block];
        let (c, u) = count(&text.as_bytes()[block * BLOCK..offset]);
        (chars + c, units + u)
    }

    /// The position of a byte offset in `text`, the text this index was made
    /// from. An offset inside a character is that character's position; one
    /// past the end is the end's.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        debug_assert_eq!(text.len(), self.len, "a LineIndex of another text");
        let mut offset = offset.min(self.len);
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line(offset);
        let mut start = self.line_starts[line];
        if line == 0 && self.bom {
            start = offset.min(crate::diag::BOM.len_utf8());
        }
        let (c0, u0) = self.counts_before(text, start);
        let (c1, u1) = self.counts_before(text, offset);
        Position {
            line: line + 1,
            column: c1 - c0 + 1,
            column_utf16: u1 - u0 + 1,
            column_byte: offset - start + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(text: &str, offset: usize) -> (usize, usize, usize, usize) {
        let p = LineIndex::new(text).position(text, offset);
        (p.line, p.column, p.column_utf16, p.column_byte)
    }

    #[test]
    fn lines_end_at_line_feeds_only() {
        let text = "a\r\nb\rc\nd";
        assert_eq!(pos(text, 0), (1, 1, 1, 1));
        assert_eq!(pos(text, 3), (2, 1, 1, 1));
        // The lone `\r` is a character of line 2.
        assert_eq!(pos(text, 5), (2, 3, 3, 3));
        assert_eq!(pos(text, 7), (3, 1, 1, 1));
        assert_eq!(pos(text, 99), (3, 2, 2, 2));
    }

    #[test]
    fn columns_in_three_units() {
        // é is 2 bytes, 1 UTF-16 unit; 😀 is 4 bytes, 2 UTF-16 units.
        let text = "é😀x";
        assert_eq!(pos(text, 6), (1, 3, 4, 7));
        // Inside the emoji: the emoji's own position.
        assert_eq!(pos(text, 4), (1, 2, 2, 3));
    }

    #[test]
    fn a_byte_order_mark_is_not_a_column() {
        let text = "\u{FEFF}ab\ncd";
        assert_eq!(pos(text, 3), (1, 1, 1, 1));
        assert_eq!(pos(text, 4), (1, 2, 2, 2));
        assert_eq!(pos(text, 0), (1, 1, 1, 1));
        assert_eq!(pos(text, 7), (2, 2, 2, 2));
    }

    #[test]
    fn long_lines_count_across_blocks() {
        let text = format!("x\n{}y", "é".repeat(3 * BLOCK));
        let at = text.len() - 1;
        assert_eq!(
            pos(&text, at),
            (2, 3 * BLOCK + 1, 3 * BLOCK + 1, 6 * BLOCK + 1)
        );
    }
}
