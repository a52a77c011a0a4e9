//! `tapc explain CODE`: one Markdown file per diagnostic code, in `src/explain/`.
//! Each starts with `# CODE: summary`.

macro_rules! codes {
    ($($code:literal),* $(,)?) => {
        /// Every code tapc can emit, with its explanation.
        pub const CODES: &[(&str, &str)] = &[$(($code, include_str!(concat!("explain/", $code, ".md")))),*];
    };
}

codes![
    "E001", "E002", "E003", "E004", "E005", "E006", "E007", "E008", "E009", "E010", "E011", "E101",
    "E102", "E103", "E104", "E105", "E106", "E107", "E108", "E109", "E110", "E201", "E202", "E203",
    "E204", "E205", "E206", "E207", "E210", "E220", "E221", "E222", "E223", "E224", "E225", "E226",
    "E227", "E228", "E229", "E230", "E231", "E232", "E240", "E241", "E242", "E243", "E244", "E301",
    "E302", "E303", "E304", "E305", "E306", "E307", "E308", "E309", "E316", "E317", "E401", "E402",
    "E403", "E501", "E601", "E602", "E603", "E604", "E605", "E606", "E607", "E608", "E609", "W011",
    "W201", "W202", "W203", "W204", "W205", "W206", "W207", "W220", "W221", "W240", "W301", "W316",
    "W317", "W401", "W402", "W601", "W602",
];

/// The explanation of `code` (case-insensitive).
pub fn text(code: &str) -> Option<&'static str> {
    CODES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .map(|(_, t)| *t)
}

/// The one-line summary from the explanation's title.
pub fn summary(code: &str) -> Option<&'static str> {
    let first = text(code)?.lines().next()?;
    first.split_once(": ").map(|(_, s)| s.trim())
}
