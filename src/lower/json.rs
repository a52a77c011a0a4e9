//! The JSON tree templates are built in, and its pretty writer.
//!
//! `serde_json::Value` made lowering allocation-bound: every key was an owned
//! `String` hashed into an `IndexMap`, and `serde_json::json!` deep-copies each
//! interpolated value. Here objects are vectors in insertion order (template
//! objects are small, and resource IDs are unique by construction), literal keys
//! and strings are borrowed, and interpolated values are moved. The writer's
//! output is byte for byte `serde_json::to_string_pretty`'s.

use std::borrow::Cow;
use std::fmt::Write;
use std::sync::Arc;

pub type Str = Cow<'static, str>;

#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Str(Str),
    Arr(Vec<Json>),
    Obj(Obj),
    /// A value many resources carry (the tags), written in place, stored and
    /// measured once.
    Shared(Arc<Shared>),
}

/// A shared value, with the length of its pretty text at indent 0 and the
/// newlines in that text: each level of indent adds two spaces after each
/// newline, so its length at any indent is arithmetic.
#[derive(Clone, Debug, PartialEq)]
pub struct Shared {
    value: Json,
    len: usize,
    newlines: usize,
}

/// An object: keys in insertion order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Obj(Vec<(Str, Json)>);

impl Obj {
    pub fn from_vec(entries: Vec<(Str, Json)>) -> Obj {
        Obj(entries)
    }

    pub fn with_capacity(n: usize) -> Obj {
        Obj(Vec::with_capacity(n))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn reserve_exact(&mut self, additional: usize) {
        self.0.reserve_exact(additional);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_ref())
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets `key`, in place if it is there, else at the end.
    pub fn insert(&mut self, key: impl Into<Str>, value: Json) {
        let key = key.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => *v = value,
            None => self.0.push((key, value)),
        }
    }

    /// Appends a key the caller knows is new (no search: resource IDs).
    pub fn push(&mut self, key: impl Into<Str>, value: Json) -> &mut Json {
        self.0.push((key.into(), value));
        &mut self.0.last_mut().expect("just pushed").1
    }

    /// Removes the members from the `from`th on, and returns them.
    pub fn drain_from(&mut self, from: usize) -> std::vec::Drain<'_, (Str, Json)> {
        self.0.drain(from..)
    }

    /// The value of `key`, inserted by `make` if it is not there.
    pub fn entry(&mut self, key: impl Into<Str>, make: impl FnOnce() -> Json) -> &mut Json {
        let key = key.into();
        match self.0.iter().position(|(k, _)| *k == key) {
            Some(i) => &mut self.0[i].1,
            None => self.push(key, make()),
        }
    }
}

impl Json {
    pub fn shared(value: Json) -> Json {
        let (len, newlines) = (pretty_len(&value, 0), newlines(&value));
        Json::Shared(Arc::new(Shared {
            value,
            len,
            newlines,
        }))
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(o) => o.get(key),
            _ => None,
        }
    }

    pub fn as_obj_mut(&mut self) -> Option<&mut Obj> {
        match self {
            Json::Obj(o) => Some(o),
            _ => None,
        }
    }

    /// Merges `add` into this value: objects key by key (new keys at the
    /// end), anything else replaced. A shared object merged into is copied.
    pub fn merge(&mut self, add: Json) {
        let add = match add {
            Json::Shared(v) => Arc::unwrap_or_clone(v).value,
            v => v,
        };
        if let (Json::Shared(v), Json::Obj(_)) = (&*self, &add) {
            let owned = v.value.clone();
            *self = owned;
        }
        match (self, add) {
            (Json::Obj(into), Json::Obj(add)) => {
                for (key, value) in add.0 {
                    into.entry(key, || Json::Null).merge(value);
                }
            }
            (slot, add) => *slot = add,
        }
    }

    /// Compact text, what `compact_len` measures.
    #[cfg(test)]
    pub fn to_compact(&self) -> String {
        let mut out = String::new();
        write(self, None, &mut out);
        out
    }
}

/// `json["key"]` reads a member, `Null` if absent; `json["key"] = v` sets it.
impl std::ops::Index<&'static str> for Json {
    type Output = Json;
    fn index(&self, key: &'static str) -> &Json {
        self.get(key).unwrap_or(&Json::Null)
    }
}

impl std::ops::IndexMut<&'static str> for Json {
    fn index_mut(&mut self, key: &'static str) -> &mut Json {
        self.as_obj_mut()
            .expect("only objects have members")
            .entry(key, || Json::Null)
    }
}

/// Writes `v` pretty, as if nested `indent` levels deep in a document.
pub fn write_pretty(v: &Json, indent: usize, out: &mut impl Write) {
    write(v, Some(indent), out);
}

/// The length of `write_pretty(v, indent, ..)`'s text, computed without
/// writing it: `tapc check` measures every template against AWS's quotas,
/// and counting what the writer would write cost it a fifth of its time.
pub fn pretty_len(v: &Json, indent: usize) -> usize {
    match v {
        Json::Arr(a) => array_len(
            a.len(),
            a.iter().map(|item| value_len(item, indent + 1)).sum(),
            indent,
        ),
        Json::Obj(o) => object_len(o.len(), members_len(o, indent), indent),
        leaf => value_len(leaf, indent),
    }
}

/// `pretty_len` of a value it takes, which it frees as it measures: `tapc
/// check` measures each resource once and drops it, and one walk of the tree
/// for both cost a fifth less than two (BENCHMARKS.md, Start-up).
pub fn take_len(v: Json, indent: usize) -> usize {
    match v {
        Json::Arr(a) => array_len(
            a.len(),
            a.into_iter()
                .map(|item| take_value_len(item, indent + 1))
                .sum(),
            indent,
        ),
        Json::Obj(o) => object_len(
            o.len(),
            o.0.into_iter()
                .map(|(key, item)| {
                    member(
                        take_literal_len(key),
                        take_value_len(item, indent + 1),
                        indent,
                    )
                })
                .sum(),
            indent,
        ),
        leaf => take_value_len(leaf, indent),
    }
}

/// `take_len`, with a leaf measured and freed in place (each arm is
/// `value_len`'s: left to `drop`, a leaf cost a call more).
#[inline(always)]
fn take_value_len(v: Json, indent: usize) -> usize {
    match v {
        Json::Null => 4,
        Json::Bool(b) => 4 + usize::from(!b),
        Json::Int(i) => int_len(i),
        Json::Str(s) => take_literal_len(s),
        Json::Shared(v) => v.len + 2 * indent * v.newlines,
        Json::Arr(_) | Json::Obj(_) => take_len(v, indent),
    }
}

/// `literal_len` of a string it takes and frees.
#[inline(always)]
fn take_literal_len(s: Str) -> usize {
    match s {
        Cow::Owned(s) => string_len(&s),
        borrowed => literal_len(&borrowed),
    }
}

/// The length of an array of `count` items written at `indent`, whose items
/// take `items` bytes: per item a newline and the inner indent before it, a
/// comma after all but the last; the brackets, and the newline and indent
/// before the closing one.
fn array_len(count: usize, items: usize, indent: usize) -> usize {
    if count == 0 {
        2
    } else {
        items + count * (2 + 2 * (indent + 1)) + 2 + 2 * indent
    }
}

/// `pretty_len`, with a leaf measured in place: most values are leaves,
/// measured here without a call of their own.
#[inline(always)]
fn value_len(v: &Json, indent: usize) -> usize {
    match v {
        Json::Null => 4,
        Json::Bool(b) => 4 + usize::from(!*b),
        Json::Int(i) => int_len(*i),
        Json::Str(s) => literal_len(s),
        Json::Shared(v) => v.len + 2 * indent * v.newlines,
        Json::Arr(_) | Json::Obj(_) => pretty_len(v, indent),
    }
}

/// What the members of `o`, an object written at `indent`, take
/// (each its `entry_len`).
pub fn members_len(o: &Obj, indent: usize) -> usize {
    o.0.iter()
        .map(|(key, item)| member_len(literal_len(key), item, indent))
        .sum()
}

/// `string_len` of a key or a string value: a borrowed one is a literal of
/// tapc's (or of its compiled-in stdlib), with nothing to escape; only the
/// strings built at run time are scanned.
fn literal_len(s: &Str) -> usize {
    match s {
        Cow::Borrowed(s) => {
            debug_assert!(!needs_escape(s.as_bytes()), "{s:?} needs escaping");
            s.len() + 2
        }
        Cow::Owned(s) => string_len(s),
    }
}

/// The length of an object of `count` members written at `indent`, whose
/// members take `items` bytes (each its `entry_len`): the brackets, and the
/// newline and indent before the closing one.
pub fn object_len(count: usize, items: usize, indent: usize) -> usize {
    if count == 0 {
        2
    } else {
        items + 2 + 2 * indent
    }
}

/// The newlines in `write_pretty(v, ..)`'s text: one before each item of an
/// array or object, and one before its closing bracket.
fn newlines(v: &Json) -> usize {
    match v {
        Json::Arr(a) if !a.is_empty() => a.iter().map(newlines).sum::<usize>() + a.len() + 1,
        Json::Obj(o) if !o.is_empty() => {
            o.0.iter().map(|(_, v)| newlines(v)).sum::<usize>() + o.len() + 1
        }
        Json::Shared(v) => v.newlines,
        _ => 0,
    }
}

/// The length of `to_compact`'s text, computed without writing it (the
/// runbooks are cut to SSM's quota on their compact size).
pub fn compact_len(v: &Json) -> usize {
    measure_compact(v, false)
}

/// The longest value tapc leaves CloudFormation to resolve where an AWS
/// quota counts it (IAM policies, ECS task definitions): ARNs of roles (at
/// most 102 characters: `arn:aws-us-gov:iam::`, the account, `:role/` and a
/// generated name of 64), of KMS keys (87) and of buckets (83); DNS names of
/// load balancers (at most about 95: `internal-`, a name of 32, an ID, the
/// region and `.elb.amazonaws.com`) and of Aurora and ElastiCache endpoints
/// (at most about 120: an identifier of 63, an ID, the region and the
/// domain); the names of log groups tapc names.
pub const MAX_RESOLVED: usize = 128;

/// The length of `to_compact`'s text once CloudFormation has resolved the
/// intrinsic functions in it, at most: `Fn::Sub`'s pseudo parameters at their
/// longest (`${AWS::Partition}` as `aws-us-gov`, `${AWS::Region}` as a region
/// code of 14), `Fn::Join` as the string it joins, and any other function
/// (`Ref`, `Fn::GetAtt`, `Fn::ImportValue`) as a string of `MAX_RESOLVED`.
pub fn resolved_len(v: &Json) -> usize {
    measure_compact(v, true)
}

fn measure_compact(v: &Json, resolve: bool) -> usize {
    // Brackets, and a comma between items; a colon after each key.
    let between = |n: usize| 2 + n.saturating_sub(1);
    match v {
        Json::Obj(o) if resolve && o.len() == 1 && is_function(&o.0[0].0) => function_len(&o.0[0]),
        Json::Arr(a) => {
            a.iter()
                .map(|item| measure_compact(item, resolve))
                .sum::<usize>()
                + between(a.len())
        }
        Json::Obj(o) => {
            o.0.iter()
                .map(|(key, item)| literal_len(key) + 1 + measure_compact(item, resolve))
                .sum::<usize>()
                + between(o.len())
        }
        Json::Shared(v) => measure_compact(&v.value, resolve),
        // Scalars are written the same, pretty or not.
        scalar => pretty_len(scalar, 0),
    }
}

fn is_function(key: &str) -> bool {
    key == "Ref" || key.starts_with("Fn::")
}

/// The resolved length of intrinsic function `name: argument`, quotes included.
fn function_len((name, argument): &(Str, Json)) -> usize {
    match (name.as_ref(), argument) {
        ("Fn::Sub", Json::Str(text)) => sub_len(text),
        ("Fn::Join", Json::Arr(a)) => match a.as_slice() {
            // Each part without its quotes, and the separators between.
            [Json::Str(separator), Json::Arr(parts)] => {
                let joined: usize = parts
                    .iter()
                    .map(|p| resolved_len(p).saturating_sub(2))
                    .sum();
                joined + parts.len().saturating_sub(1) * (string_len(separator) - 2) + 2
            }
            _ => MAX_RESOLVED + 2,
        },
        _ => MAX_RESOLVED + 2,
    }
}

/// A `Fn::Sub` string's resolved length, quotes included: each `${NAME}` as
/// the longest value of its pseudo parameter, or `MAX_RESOLVED` for a
/// resource's.
fn sub_len(text: &str) -> usize {
    let mut len = string_len(text);
    let bytes = text.as_bytes();
    let mut at = 0;
    // Each `${`, and the first `}` after it.
    while let Some(dollar) = memchr::memchr(b'$', &bytes[at..]) {
        let start = at + dollar;
        if bytes.get(start + 1) != Some(&b'{') {
            at = start + 1;
            continue;
        }
        let Some(end) = memchr::memchr(b'}', &bytes[start..]) else {
            break;
        };
        let placeholder = &text[start..=start + end];
        let value = match placeholder {
            "${AWS::Partition}" => "aws-us-gov".len(),
            "${AWS::AccountId}" => 12,
            "${AWS::Region}" => "ap-southeast-3".len(),
            "${AWS::URLSuffix}" => "amazonaws.com.cn".len(),
            _ => MAX_RESOLVED,
        };
        len = len - string_len(placeholder) + 2 + value;
        at = start + end + 1;
    }
    len
}

/// What member `key: value` adds to the length of a non-empty object written
/// at `indent`: its key and value, and the newline, indent and comma around
/// it. A member replaced or added changes the object's length by exactly the
/// difference (`tapc check` measures a second phase this way).
pub fn entry_len(key: &str, value: &Json, indent: usize) -> usize {
    member_len(string_len(key), value, indent)
}

/// `entry_len` of a member it takes, which it frees as it measures
/// (`take_len`).
pub fn take_entry_len(key: &str, value: Json, indent: usize) -> usize {
    member(string_len(key), take_value_len(value, indent + 1), indent)
}

/// `entry_len` of a key that takes `key_len` bytes, quotes included.
fn member_len(key_len: usize, value: &Json, indent: usize) -> usize {
    member(key_len, value_len(value, indent + 1), indent)
}

/// What a member whose key and value take `key_len` and `value_len` bytes
/// adds to an object written at `indent`: the colon and space, and the
/// newline, indent and comma around it.
fn member(key_len: usize, value_len: usize, indent: usize) -> usize {
    key_len + 2 + value_len + 2 + 2 * (indent + 1)
}

/// The length of an integer's decimal text.
fn int_len(i: i64) -> usize {
    usize::from(i < 0) + crate::text::digits(i.unsigned_abs())
}

/// The length of a JSON string as `string` writes it, quotes included.
fn string_len(s: &str) -> usize {
    // What escaping adds to each byte: one for `\n`, `\"` and the like, five
    // for `\u001f`. A table, since most strings are short.
    const EXTRA: [u8; 256] = {
        let mut t = [0u8; 256];
        let mut b = 0;
        while b < 0x20 {
            t[b] = 5;
            b += 1;
        }
        t[b'"' as usize] = 1;
        t[b'\\' as usize] = 1;
        t[b'\n' as usize] = 1;
        t[b'\r' as usize] = 1;
        t[b'\t' as usize] = 1;
        t[0x08] = 1;
        t[0x0c] = 1;
        t
    };
    if s.len() >= 16 && !needs_escape(s.as_bytes()) {
        return s.len() + 2;
    }
    let extra: usize = s.bytes().map(|b| usize::from(EXTRA[usize::from(b)])).sum();
    s.len() + extra + 2
}

/// Writes `v`, pretty at `indent` levels, or compact if `None`.
fn write(v: &Json, indent: Option<usize>, out: &mut impl Write) {
    let inner = indent.map(|i| i + 1);
    match v {
        Json::Null => put(out, "null"),
        Json::Bool(b) => put(out, if *b { "true" } else { "false" }),
        Json::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Json::Str(s) => string(s, out),
        Json::Shared(v) => write(&v.value, indent, out),
        Json::Arr(a) if a.is_empty() => put(out, "[]"),
        Json::Obj(o) if o.is_empty() => put(out, "{}"),
        Json::Arr(a) => {
            put(out, "[");
            for (k, item) in a.iter().enumerate() {
                separate(k, inner, out);
                write(item, inner, out);
            }
            close(indent, "]", out);
        }
        Json::Obj(o) => {
            put(out, "{");
            for (k, (key, item)) in o.0.iter().enumerate() {
                separate(k, inner, out);
                string(key, out);
                put(out, if indent.is_some() { ": " } else { ":" });
                write(item, inner, out);
            }
            close(indent, "}", out);
        }
    }
}

/// Writing to a `String` cannot fail.
fn put(out: &mut impl Write, s: &str) {
    let _ = out.write_str(s);
}

/// Before item `k` of an array or object.
fn separate(k: usize, indent: Option<usize>, out: &mut impl Write) {
    if k > 0 {
        put(out, ",");
    }
    if let Some(n) = indent {
        put(out, "\n");
        pad(n, out);
    }
}

fn close(indent: Option<usize>, bracket: &str, out: &mut impl Write) {
    if let Some(n) = indent {
        put(out, "\n");
        pad(n, out);
    }
    put(out, bracket);
}

fn pad(indent: usize, out: &mut impl Write) {
    const SPACES: &str = "                                                                ";
    let mut n = 2 * indent;
    while n > 0 {
        let k = n.min(SPACES.len());
        put(out, &SPACES[..k]);
        n -= k;
    }
}

/// Whether `s` has a byte JSON escapes: a control character, `"` or `\\`
/// (the writer's and the measurement's hottest loop).
fn needs_escape(s: &[u8]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if s.len() >= 16 {
        return needs_escape_sse2(s);
    }
    needs_escape_words(s)
}

/// `needs_escape` sixteen bytes at a time, for strings of at least sixteen
/// (the last block overlaps the one before). SSE2 is part of x86-64; it
/// compares bytes as signed, so a control character is a byte whose
/// unsigned minimum with 0x1f is itself.
#[cfg(target_arch = "x86_64")]
fn needs_escape_sse2(s: &[u8]) -> bool {
    debug_assert!(s.len() >= 16);
    (0..s.len() - 16).step_by(16).any(|at| escapes16(s, at)) || escapes16(s, s.len() - 16)
}

/// Whether `s[at..at + 16]` has a byte JSON escapes.
#[cfg(target_arch = "x86_64")]
fn escapes16(s: &[u8], at: usize) -> bool {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    assert!(at + 16 <= s.len());
    // SAFETY: the sixteen bytes are in `s` (asserted); the load is unaligned;
    // SSE2 is part of every x86-64 processor.
    unsafe {
        let x = _mm_loadu_si128(s.as_ptr().add(at).cast::<__m128i>());
        let control = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x);
        let quote = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8));
        _mm_movemask_epi8(_mm_or_si128(control, _mm_or_si128(quote, backslash))) != 0
    }
}

/// `needs_escape` eight bytes at a time: a word has a byte below `n` iff
/// `(x - n*ONES) & !x & HIGHS` is non-zero (for `n` <= 128), and a byte equal
/// to `c` iff `x ^ c*ONES` has a byte below 1.
fn needs_escape_words(s: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS != 0;
    let mut words = s.chunks_exact(8);
    for word in &mut words {
        let x = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        if below(x, 0x20)
            || below(x ^ (ONES * u64::from(b'"')), 1)
            || below(x ^ (ONES * u64::from(b'\\')), 1)
        {
            return true;
        }
    }
    words
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// A JSON string, escaped as serde_json does: quote, backslash and control
/// characters only.
fn string(s: &str, out: &mut impl Write) {
    put(out, "\"");
    if !needs_escape(s.as_bytes()) {
        put(out, s);
        put(out, "\"");
        return;
    }
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        put(out, &s[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            put(out, escape);
        }
        start = i + 1;
    }
    put(out, &s[start..]);
    put(out, "\"");
}

impl From<&'_ str> for Json {
    fn from(s: &str) -> Json {
        Json::Str(Cow::Owned(s.to_owned()))
    }
}

impl From<String> for Json {
    fn from(s: String) -> Json {
        Json::Str(Cow::Owned(s))
    }
}

impl From<&String> for Json {
    fn from(s: &String) -> Json {
        Json::Str(Cow::Owned(s.clone()))
    }
}

impl From<&Json> for Json {
    fn from(v: &Json) -> Json {
        v.clone()
    }
}

impl From<bool> for Json {
    fn from(b: bool) -> Json {
        Json::Bool(b)
    }
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Json {
            fn from(i: $t) -> Json {
                Json::Int(i64::try_from(i).expect("template integers are small"))
            }
        }
    )*};
}
from_int!(i32, i64, u16, u32, u64, usize);

impl<T: Into<Json>> From<Vec<T>> for Json {
    fn from(items: Vec<T>) -> Json {
        Json::Arr(items.into_iter().map(Into::into).collect())
    }
}

/// Literals in `json!`: strings are borrowed, not copied.
pub trait Literal {
    fn literal(self) -> Json;
}

impl Literal for &'static str {
    fn literal(self) -> Json {
        Json::Str(Cow::Borrowed(self))
    }
}

macro_rules! literal {
    ($($t:ty),*) => {$(
        impl Literal for $t {
            fn literal(self) -> Json {
                self.into()
            }
        }
    )*};
}
literal!(bool, i32, i64);

/// `serde_json::json!`'s syntax for this tree: `{ "key": value, ... }`, `[...]`,
/// `null`, or any expression with `Into<Json>`, which is moved, not copied.
/// Keys are string literals. Each value is taken token by token up to the next
/// top-level comma.
macro_rules! json {
    (@array [$($done:expr,)*]) => { vec![$($done,)*] };
    (@array [$($done:expr,)*] $($rest:tt)+) => { json!(@item [$($done,)*] () $($rest)+) };
    (@item [$($done:expr,)*] ($($cur:tt)+) , $($rest:tt)*) => {
        json!(@array [$($done,)* json!($($cur)+),] $($rest)*)
    };
    (@item [$($done:expr,)*] ($($cur:tt)*) $next:tt $($rest:tt)*) => {
        json!(@item [$($done,)*] ($($cur)* $next) $($rest)*)
    };
    (@item [$($done:expr,)*] ($($cur:tt)+)) => { json!(@array [$($done,)* json!($($cur)+),]) };

    (@object [$($done:expr,)*]) => { vec![$($done,)*] };
    (@object [$($done:expr,)*] $key:literal : $($rest:tt)+) => {
        json!(@member [$($done,)*] $key () $($rest)+)
    };
    (@member [$($done:expr,)*] $key:literal ($($cur:tt)+) , $($rest:tt)*) => {
        json!(@object [$($done,)* (::std::borrow::Cow::Borrowed($key), json!($($cur)+)),] $($rest)*)
    };
    (@member [$($done:expr,)*] $key:literal ($($cur:tt)*) $next:tt $($rest:tt)*) => {
        json!(@member [$($done,)*] $key ($($cur)* $next) $($rest)*)
    };
    (@member [$($done:expr,)*] $key:literal ($($cur:tt)+)) => {
        json!(@object [$($done,)* (::std::borrow::Cow::Borrowed($key), json!($($cur)+)),])
    };

    (null) => { $crate::lower::json::Json::Null };
    ([]) => { $crate::lower::json::Json::Arr(Vec::new()) };
    ([ $($tt:tt)+ ]) => { $crate::lower::json::Json::Arr(json!(@array [] $($tt)+)) };
    ({}) => { $crate::lower::json::Json::Obj($crate::lower::json::Obj::default()) };
    ({ $($tt:tt)+ }) => {
        $crate::lower::json::Json::Obj($crate::lower::json::Obj::from_vec(json!(@object [] $($tt)+)))
    };
    ($lit:literal) => { $crate::lower::json::Literal::literal($lit) };
    ($other:expr) => { $crate::lower::json::Json::from($other) };
}
pub(crate) use json;

#[cfg(test)]
mod tests {
    use super::*;

    fn pretty(doc: &Json) -> String {
        let mut out = String::new();
        write_pretty(doc, 0, &mut out);
        out + "\n"
    }

    #[test]
    fn writes_what_serde_json_writes() {
        let name = String::from("tab\there \"quoted\" \\ \u{1} é");
        let doc = json!({
            "a": [1, -2, true, false, null, [], {}],
            "b": { "c": name.clone(), "d": [{ "e": "f" }] },
            "g": vec!["x", "y"],
            "h": 40_000_000_000i64,
        });
        let reference = serde_json::json!({
            "a": [1, -2, true, false, null, [], {}],
            "b": { "c": name, "d": [{ "e": "f" }] },
            "g": ["x", "y"],
            "h": 40_000_000_000i64,
        });
        let text = pretty(&doc);
        assert_eq!(
            text,
            serde_json::to_string_pretty(&reference).expect("serializes") + "\n"
        );
        let compact = serde_json::to_string(&reference).expect("serializes");
        assert_eq!(doc.to_compact(), compact);
        assert_eq!(pretty_len(&doc, 0) + 1, text.len());
    }

    #[test]
    fn pretty_len_and_compact_len_are_the_lengths_written() {
        let escapes: String = (0u8..0x80).map(char::from).collect();
        let shared = Json::shared(json!([{ "Key": "k", "Value": escapes.clone() }]));
        let doc = json!({
            "a": [1, -2, 0, 9, 10, -10, i64::MAX, i64::MIN, true, false, null, [], {}],
            "b": { "c": escapes, "d": [{ "e": "f" }], "é": "ü" },
            "t": shared,
            "n": [[[{ "deep": [] }]]],
        });
        for indent in 0..4 {
            for v in [
                &doc,
                &doc["a"],
                &doc["b"],
                &doc["t"],
                &doc["n"],
                &json!("x"),
            ] {
                let mut text = String::new();
                write_pretty(v, indent, &mut text);
                assert_eq!(pretty_len(v, indent), text.len(), "{text}");
                assert_eq!(take_len(v.clone(), indent), text.len(), "{text}");
                assert_eq!(
                    take_entry_len("k\"", v.clone(), indent),
                    entry_len("k\"", v, indent)
                );
                let compact = v.to_compact();
                assert_eq!(compact_len(v), compact.len(), "{compact}");
            }
        }
    }

    #[test]
    fn finds_every_byte_that_needs_escaping() {
        // Lengths around the word's and the vector's sizes, since the last
        // block of each is partial or overlaps.
        for len in [1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40] {
            for b in 0..=255u8 {
                let expected = b < 0x20 || b == b'"' || b == b'\\';
                for at in 0..len {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = b;
                    assert_eq!(
                        needs_escape(&bytes),
                        expected,
                        "byte {b:#x} at {at} of {len}"
                    );
                    assert_eq!(
                        needs_escape_words(&bytes),
                        expected,
                        "words: {b:#x} at {at}"
                    );
                }
            }
        }
        assert!(!needs_escape(
            "arn:${AWS::Partition}:s3:::bucket/*".as_bytes()
        ));
    }

    #[test]
    fn merges_as_serde_json_values_merge() {
        let shared = Json::shared(json!({ "k": 1 }));
        let mut doc = json!({ "a": { "b": 1, "c": [1] }, "s": shared.clone(), "t": shared });
        doc.merge(json!({ "a": { "c": [2], "d": null }, "s": { "l": 2 }, "e": "x" }));
        let text = pretty(&doc);
        assert_eq!(
            text,
            pretty(&json!({
                "a": { "b": 1, "c": [2], "d": null },
                "s": { "k": 1, "l": 2 },
                "t": { "k": 1 },
                "e": "x",
            }))
        );
    }

    #[test]
    fn insert_replaces_and_index_sets() {
        let mut doc = json!({ "a": 1 });
        doc["b"] = json!("x");
        doc["a"] = json!(2);
        assert_eq!(pretty(&doc), "{\n  \"a\": 2,\n  \"b\": \"x\"\n}\n");
        assert_eq!(doc["missing"], Json::Null);
    }

    /// What CloudFormation resolves is counted at its longest: the text of
    /// `resolved`, written by hand, against the template's.
    #[test]
    fn resolved_len_counts_resolved_values_at_their_longest() {
        let arn =
            "arn:${AWS::Partition}:secretsmanager:us-east-1:${AWS::AccountId}:secret:db-??????";
        let doc = json!({
            "Resource": { "Fn::Sub": arn },
            "Key": { "Fn::GetAtt": ["DbKey", "Arn"] },
            "Url": { "Fn::Join": ["", ["http://", { "Fn::ImportValue": "web-LoadBalancerDnsName" }]] },
            "Region": { "Fn::Sub": "${AWS::Region}.${AWS::URLSuffix}/${Bucket}" },
            "Plain": ["x", 1],
        });
        let longest = "x".repeat(MAX_RESOLVED);
        let resolved = json!({
            "Resource": "arn:aws-us-gov:secretsmanager:us-east-1:123456789012:secret:db-??????",
            "Key": longest.clone(),
            "Url": format!("http://{longest}"),
            "Region": format!("ap-southeast-3.amazonaws.com.cn/{longest}"),
            "Plain": ["x", 1],
        });
        assert_eq!(resolved_len(&doc), resolved.to_compact().len());
        assert_eq!(resolved_len(&resolved), compact_len(&resolved));
    }
}
