//! `cat!`: a string joined from text and integers, sized once.
//!
//! `format!` sizes its string from the literal pieces only, then grows it
//! while each argument goes through `Display`'s dynamic dispatch and
//! `Formatter::pad`: about 600 instructions a call. The lowering joins a few
//! hundred logical IDs, names and ARNs a run, most of them from two or three
//! pieces, so `format!` was a sixth of what `tapc check` spends on its own
//! work (BENCHMARKS.md, Start-up). `cat!` measures its pieces, allocates once
//! and copies them. It takes what these joins hold: text and integers.

/// A piece of a `cat!` string.
pub trait Piece {
    /// Its length in bytes.
    fn size(&self) -> usize;
    fn put(&self, out: &mut String);
}

macro_rules! text {
    ($($t:ty),*) => {$(
        impl Piece for $t {
            fn size(&self) -> usize {
                self.len()
            }
            fn put(&self, out: &mut String) {
                out.push_str(self);
            }
        }
    )*};
}
text!(str, String, std::borrow::Cow<'_, str>);

impl<T: Piece + ?Sized> Piece for &T {
    fn size(&self) -> usize {
        (**self).size()
    }
    fn put(&self, out: &mut String) {
        (**self).put(out);
    }
}

/// Decimal digits of `n` (also the JSON measurer's, for numbers).
pub(crate) fn digits(mut n: u64) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// Appends `n` in decimal.
pub(crate) fn put_decimal(mut n: u64, out: &mut String) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // Digit by digit: no check of the bytes as UTF-8.
    for &d in &buf[at..] {
        out.push(char::from(d));
    }
}

/// Appends `n` copies of `c` (padding and the report's rules).
pub(crate) fn repeat(out: &mut String, c: char, n: usize) {
    out.extend(std::iter::repeat_n(c, n));
}

macro_rules! unsigned {
    ($($t:ty),*) => {$(
        impl Piece for $t {
            fn size(&self) -> usize {
                digits(*self as u64)
            }
            fn put(&self, out: &mut String) {
                put_decimal(*self as u64, out);
            }
        }
    )*};
}
unsigned!(u8, u16, u32, u64, usize);

macro_rules! signed {
    ($($t:ty),*) => {$(
        impl Piece for $t {
            fn size(&self) -> usize {
                usize::from(*self < 0) + digits(self.unsigned_abs() as u64)
            }
            fn put(&self, out: &mut String) {
                if *self < 0 {
                    out.push('-');
                }
                put_decimal(self.unsigned_abs() as u64, out);
            }
        }
    )*};
}
signed!(i32, i64);

/// The pieces joined, in one allocation of their exact length.
pub fn join(pieces: &[&dyn Piece]) -> String {
    let mut out = String::with_capacity(pieces.iter().map(|p| p.size()).sum());
    for p in pieces {
        p.put(&mut out);
    }
    out
}

/// `cat!(prefix, "-", region, "-w", wave)`: what `format!` would write for
/// the pieces in a row (text as it is, integers in decimal), sized once.
macro_rules! cat {
    ($($piece:expr),+ $(,)?) => {
        $crate::text::join(&[$(&$piece as &dyn $crate::text::Piece),+])
    };
}
pub(crate) use cat;

#[cfg(test)]
mod tests {
    #[test]
    fn writes_what_format_writes() {
        for n in [0u64, 7, 9, 10, 99, 100, 65_535, u64::MAX] {
            assert_eq!(cat!("n", n, "."), format!("n{n}."));
        }
        for n in [0i64, -1, 10, -10, i64::MIN, i64::MAX] {
            assert_eq!(cat!(n), n.to_string());
        }
        assert_eq!(
            cat!(i32::MIN, std::borrow::Cow::Borrowed("!")),
            format!("{}!", i32::MIN)
        );
        let (owned, borrowed) = (String::from("a-"), "b");
        let s = cat!(owned, borrowed, 3u8, "/", 255u8, 1usize);
        assert_eq!(s, "a-b3/2551");
        assert_eq!(s.capacity(), s.len());
    }
}
