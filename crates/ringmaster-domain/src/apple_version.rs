//! Apple OS versions (`26`, `26.0.1`, `26.3.1 (a)`) with the order Apple's software update uses.
//!
//! Why not semver: Apple versions have one to three numbers (`26`, `15.4`, `26.0.1`), never a
//! pre-release or build part, and supplemental releases carry a letter in parentheses
//! (`26.3.1 (a)`, written `26.3.1(a)` in some feeds) that sorts *after* its base version.
//! The semver crate rejects all of these (`15.4` and `26.0` lack a patch number, `17.0.1 (a)` is not
//! semver syntax), and semver's `-pre` suffix would sort a suffixed version *before* its base.
//!
//! Rules:
//! - a version is 1 to 3 dot-separated decimal numbers without leading zeros (`0` itself is fine),
//!   optionally followed by a supplemental suffix: one lowercase letter in parentheses, with or
//!   without one space before it (`26.3.1 (a)`, `26.3.1(a)`);
//! - missing numbers count as zero: `26` == `26.0` == `26.0.0`, and `26` < `26.0.1`;
//! - a supplemental release sorts after its base and before the next patch:
//!   `26.3.1` < `26.3.1 (a)` < `26.3.1 (b)` < `26.3.2`;
//! - equality follows the order (so `26.0` == `26.0.0` and `26.3.1(a)` == `26.3.1 (a)`), which keeps
//!   `Eq`, `Ord` and `Hash` consistent for maps and sets;
//! - the text as written is kept: `Display` and serde give it back unchanged;
//! - each number is at most [`AppleOsVersion::MAX_NUMBER`] (999): Apple has never issued more,
//!   and the bound keeps every identifier built from a version short (an enforcement
//!   declaration's identifier must fit Apple's 64 bytes). Longer text is refused before it is
//!   read, and error messages quote at most [`AppleOsVersion::MAX_TEXT_CHARS`] characters of it.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// One Apple OS version, such as `26.0.1` or `26.3.1 (a)`. Construct with [`AppleOsVersion::parse`].
#[derive(Debug, Clone)]
pub struct AppleOsVersion {
    /// Major, minor, patch; absent numbers are zero.
    numbers: [u32; 3],
    /// The supplemental letter (`a` for `(a)`), if any.
    supplemental: Option<char>,
    /// The text as it was parsed (trimmed), returned by `Display`.
    original: String,
}

impl AppleOsVersion {
    /// The largest number accepted in any position (`999.999.999`).
    pub const MAX_NUMBER: u32 = 999;
    /// The longest text accepted: `999.999.999 (a)` plus a little slack.
    pub const MAX_TEXT_CHARS: usize = 20;

    /// Parses `major[.minor[.patch]]` with an optional supplemental suffix such as ` (a)`.
    ///
    /// Surrounding whitespace is ignored. The error says what is wrong in plain words.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err("an Apple OS version must not be empty".to_owned());
        }
        if trimmed.chars().count() > Self::MAX_TEXT_CHARS {
            return Err(invalid(
                trimmed,
                &format!(
                    "it is {} characters long, at most {} are allowed",
                    trimmed.chars().count(),
                    Self::MAX_TEXT_CHARS
                ),
            ));
        }
        let (numeric, supplemental) = split_supplemental(trimmed)?;
        let parts: Vec<&str> = numeric.split('.').collect();
        if parts.len() > 3 {
            return Err(invalid(
                trimmed,
                &format!("it has {} numbers, at most 3 are allowed", parts.len()),
            ));
        }
        let mut numbers = [0u32; 3];
        for (slot, part) in numbers.iter_mut().zip(&parts) {
            *slot = parse_number(trimmed, part)?;
        }
        Ok(Self {
            numbers,
            supplemental,
            original: trimmed.to_owned(),
        })
    }

    pub fn major(&self) -> u32 {
        self.numbers[0]
    }

    /// The minor number, zero when the version has none (`26`).
    pub fn minor(&self) -> u32 {
        self.numbers[1]
    }

    /// The patch number, zero when the version has none (`26.1`).
    pub fn patch(&self) -> u32 {
        self.numbers[2]
    }

    /// The supplemental letter: `Some('a')` for `26.3.1 (a)`.
    pub fn supplemental(&self) -> Option<char> {
        self.supplemental
    }

    pub fn is_supplemental(&self) -> bool {
        self.supplemental.is_some()
    }

    /// The text as it was parsed, such as `26.3.1(a)`.
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// The version a supplemental release applies to: `26.3.1` for `26.3.1 (a)`; itself otherwise.
    /// This is what DDM's `TargetOSVersion` takes for a supplemental release.
    pub fn without_supplemental(&self) -> Self {
        match self.supplemental {
            None => self.clone(),
            Some(_) => {
                let numeric = split_supplemental(&self.original)
                    .map(|(numeric, _)| numeric.to_owned())
                    .unwrap_or_else(|_| self.original.clone());
                Self {
                    numbers: self.numbers,
                    supplemental: None,
                    original: numeric,
                }
            }
        }
    }

    /// True when moving from `other` to `self` crosses a major version (`15.7.9` → `26.0`),
    /// which Apple defers with the *major* period rather than the minor one.
    pub fn is_major_upgrade_from(&self, other: &AppleOsVersion) -> bool {
        self.major() > other.major()
    }

    /// One spelling per version, for keys in storage: all three numbers and the suffix with one
    /// space (`26` → `26.0.0`, `26.3.1(a)` → `26.3.1 (a)`). Equal versions give equal text.
    pub fn canonical_text(&self) -> String {
        let [major, minor, patch] = self.numbers;
        match self.supplemental {
            Some(letter) => format!("{major}.{minor}.{patch} ({letter})"),
            None => format!("{major}.{minor}.{patch}"),
        }
    }

    fn key(&self) -> ([u32; 3], Option<char>) {
        (self.numbers, self.supplemental)
    }
}

/// Splits `26.3.1 (a)` into `("26.3.1", Some('a'))`; text without a suffix is returned whole.
fn split_supplemental(text: &str) -> Result<(&str, Option<char>), String> {
    let Some(open) = text.find('(') else {
        if text.contains(')') {
            return Err(invalid(text, "it has a `)` without a matching `(`"));
        }
        return Ok((text, None));
    };
    let suffix = &text[open..];
    let mut letters = suffix.chars();
    let letter = match (
        letters.next(),
        letters.next(),
        letters.next(),
        letters.next(),
    ) {
        (Some('('), Some(letter), Some(')'), None) if letter.is_ascii_lowercase() => letter,
        _ => {
            return Err(invalid(
                text,
                "the supplemental suffix must be one lowercase letter in parentheses at the end, \
                 such as \"(a)\"",
            ));
        }
    };
    let numeric = &text[..open];
    let numeric = numeric.strip_suffix(' ').unwrap_or(numeric);
    Ok((numeric, Some(letter)))
}

fn parse_number(text: &str, part: &str) -> Result<u32, String> {
    if part.is_empty() {
        return Err(invalid(
            text,
            "it has an empty number (two dots in a row, or a dot at an end)",
        ));
    }
    if !part.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(invalid(
            text,
            &format!("\"{part}\" is not a number (only digits 0-9 are allowed)"),
        ));
    }
    if part.len() > 1 && part.starts_with('0') {
        return Err(invalid(
            text,
            &format!("\"{part}\" has a leading zero, which Apple versions never have"),
        ));
    }
    match part.parse::<u32>() {
        Ok(number) if number <= AppleOsVersion::MAX_NUMBER => Ok(number),
        _ => Err(invalid(
            text,
            &format!(
                "{part} is too large (Apple versions have numbers up to {})",
                AppleOsVersion::MAX_NUMBER
            ),
        )),
    }
}

fn invalid(text: &str, why: &str) -> String {
    let text = quoted_prefix(text);
    format!(
        "\"{text}\" is not an Apple OS version: {why} (expected 1 to 3 numbers separated by dots, \
         such as 26.0.1, optionally followed by a supplemental suffix such as \" (a)\")"
    )
}

/// At most [`AppleOsVersion::MAX_TEXT_CHARS`] characters of `text`, with `…` when cut.
fn quoted_prefix(text: &str) -> String {
    let mut chars = text.chars();
    let prefix: String = chars
        .by_ref()
        .take(AppleOsVersion::MAX_TEXT_CHARS)
        .collect();
    if chars.next().is_some() {
        format!("{prefix}…")
    } else {
        prefix
    }
}

impl PartialEq for AppleOsVersion {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for AppleOsVersion {}

impl Hash for AppleOsVersion {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl PartialOrd for AppleOsVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for AppleOsVersion {
    /// Numbers left to right (missing ones are zero), then no suffix < `(a)` < `(b)`.
    fn cmp(&self, other: &Self) -> Ordering {
        // `None < Some(_)` and letters compare alphabetically: exactly the supplemental order.
        self.key().cmp(&other.key())
    }
}

impl fmt::Display for AppleOsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl FromStr for AppleOsVersion {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl serde::Serialize for AppleOsVersion {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.original)
    }
}

impl<'de> serde::Deserialize<'de> for AppleOsVersion {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(text: &str) -> AppleOsVersion {
        AppleOsVersion::parse(text).unwrap_or_else(|why| panic!("{why}"))
    }

    #[test]
    fn accessors_read_each_part() {
        let version = v("26.3.1 (a)");
        assert_eq!(
            (version.major(), version.minor(), version.patch()),
            (26, 3, 1)
        );
        assert_eq!(version.supplemental(), Some('a'));
        assert!(version.is_supplemental());
        let short = v("26");
        assert_eq!((short.major(), short.minor(), short.patch()), (26, 0, 0));
        assert_eq!(short.supplemental(), None);
    }

    #[test]
    fn the_issue_order_holds() {
        assert!(v("26.0") < v("26.0.1"));
        assert!(v("26.0.1") < v("26.1"));
        assert!(v("26.1") < v("27.0"));
        assert!(v("26") < v("26.0.1"));
        assert!(v("15.7.9") < v("26.0"));
        assert!(v("18.7.9") < v("18.7.10"), "numbers, not text");
    }

    #[test]
    fn missing_numbers_are_zero() {
        assert_eq!(v("26.0"), v("26.0.0"));
        assert_eq!(v("26"), v("26.0"));
        assert_eq!(v("26").cmp(&v("26.0.0")), Ordering::Equal);
    }

    #[test]
    fn supplemental_sorts_after_its_base_and_before_the_next_patch() {
        assert!(v("26.3.1") < v("26.3.1 (a)"));
        assert!(v("26.3.1 (a)") < v("26.3.1 (b)"));
        assert!(v("26.3.1 (b)") < v("26.3.2"));
        assert!(v("26.3 (a)") < v("26.3.1"));
    }

    #[test]
    fn suffix_with_or_without_space_is_the_same_version_but_displays_as_written() {
        let spaced = v("26.3.1 (a)");
        let glued = v("26.3.1(a)");
        assert_eq!(spaced, glued);
        assert_eq!(spaced.to_string(), "26.3.1 (a)");
        assert_eq!(glued.to_string(), "26.3.1(a)");
    }

    #[test]
    fn display_gives_the_original_text() {
        for text in ["26", "26.0", "26.0.0", "15.7.9", "17.0.1 (a)", "0.1"] {
            assert_eq!(v(text).to_string(), text);
        }
        assert_eq!(
            v("  26.1 ").to_string(),
            "26.1",
            "whitespace around is dropped"
        );
    }

    #[test]
    fn without_supplemental_gives_the_base_version() {
        let base = v("26.3.1 (a)").without_supplemental();
        assert_eq!(base, v("26.3.1"));
        assert_eq!(base.to_string(), "26.3.1");
        assert_eq!(v("26.3.1(b)").without_supplemental().to_string(), "26.3.1");
        assert_eq!(v("26.6").without_supplemental().to_string(), "26.6");
    }

    #[test]
    fn major_upgrades_cross_the_major_number() {
        assert!(v("26.0").is_major_upgrade_from(&v("15.7.9")));
        assert!(!v("26.6.2").is_major_upgrade_from(&v("26.5.1")));
        assert!(!v("15.7.9").is_major_upgrade_from(&v("26.0")));
    }

    #[test]
    fn bad_versions_are_refused_with_a_reason() {
        let cases = [
            ("", "must not be empty"),
            ("   ", "must not be empty"),
            ("26.", "empty number"),
            (".1", "empty number"),
            ("26..1", "empty number"),
            ("26.0.1.2", "at most 3"),
            ("15.4 beta", "\"4 beta\" is not a number"),
            ("v26", "\"v26\" is not a number"),
            ("-1", "is not a number"),
            ("26.01", "leading zero"),
            ("26.0 (A)", "one lowercase letter"),
            ("26.0 (ab)", "one lowercase letter"),
            ("26.0 (a) extra", "one lowercase letter"),
            ("26.0  (a)", "is not a number"),
            ("26.0 a)", "without a matching"),
            ("99999999999", "too large"),
        ];
        for (text, expected) in cases {
            let error = AppleOsVersion::parse(text).expect_err(text);
            assert!(
                error.contains(expected),
                "{text:?}: {error:?} should mention {expected:?}"
            );
        }
        let error = AppleOsVersion::parse("15.4 beta").unwrap_err();
        assert!(error.starts_with("\"15.4 beta\" is not an Apple OS version"));
    }

    #[test]
    fn numbers_are_bounded_by_what_apple_could_issue() {
        let largest = v("999.999.999 (z)");
        assert_eq!(
            (largest.major(), largest.minor(), largest.patch()),
            (999, 999, 999)
        );
        for text in [
            "1000",
            "26.1000",
            "26.0.1000",
            "1000000000.1000000000.10000",
        ] {
            let error = AppleOsVersion::parse(text).expect_err(text);
            assert!(
                error.contains("too large") || error.contains("characters long"),
                "{text}: {error}"
            );
        }
    }

    #[test]
    fn long_text_is_refused_and_quoted_only_in_part() {
        let long = "1".repeat(100_000);
        let error = AppleOsVersion::parse(&long).unwrap_err();
        assert!(error.contains("100000 characters long"), "{error}");
        assert!(error.len() < 400, "the message quotes a prefix: {error}");
    }

    #[test]
    fn serde_uses_the_string_form() {
        let version = v("26.3.1 (a)");
        assert_eq!(serde_json::to_string(&version).unwrap(), "\"26.3.1 (a)\"");
        let back: AppleOsVersion = serde_json::from_str("\"26.3.1 (a)\"").unwrap();
        assert_eq!(back.to_string(), "26.3.1 (a)");
        let error = serde_json::from_str::<AppleOsVersion>("\"26.x\"").unwrap_err();
        assert!(
            error.to_string().contains("\"x\" is not a number"),
            "{error}"
        );
        assert!(serde_json::from_str::<AppleOsVersion>("26").is_err());
    }

    /// A version as text plus the tuple it must order by.
    fn version_text() -> impl Strategy<Value = (String, [u32; 3], Option<char>)> {
        (
            prop::collection::vec(0u32..30, 1..=3),
            prop::option::of(prop::char::range('a', 'd')),
            any::<bool>(),
        )
            .prop_map(|(numbers, supplemental, spaced)| {
                let mut text = numbers
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(".");
                if let Some(letter) = supplemental {
                    text.push_str(if spaced { " (" } else { "(" });
                    text.push(letter);
                    text.push(')');
                }
                let mut padded = [0; 3];
                padded[..numbers.len()].copy_from_slice(&numbers);
                (text, padded, supplemental)
            })
    }

    proptest! {
        #[test]
        fn parse_then_display_round_trips((text, numbers, supplemental) in version_text()) {
            let version = AppleOsVersion::parse(&text).unwrap();
            prop_assert_eq!(version.to_string(), text.clone());
            prop_assert_eq!(
                [version.major(), version.minor(), version.patch()],
                numbers
            );
            prop_assert_eq!(version.supplemental(), supplemental);
            let again = AppleOsVersion::parse(&version.to_string()).unwrap();
            prop_assert_eq!(again.to_string(), text);
            prop_assert_eq!(again, version);
        }

        #[test]
        fn order_is_the_tuple_order(
            (a_text, a_numbers, a_letter) in version_text(),
            (b_text, b_numbers, b_letter) in version_text(),
        ) {
            let a = AppleOsVersion::parse(&a_text).unwrap();
            let b = AppleOsVersion::parse(&b_text).unwrap();
            let expected = (a_numbers, a_letter).cmp(&(b_numbers, b_letter));
            prop_assert_eq!(a.cmp(&b), expected);
            prop_assert_eq!(b.cmp(&a), expected.reverse(), "antisymmetric");
            prop_assert_eq!(a == b, expected == Ordering::Equal, "Eq agrees with Ord");
            prop_assert_eq!(a.partial_cmp(&b), Some(expected));
        }

        #[test]
        fn order_is_transitive(
            (a, _, _) in version_text(),
            (b, _, _) in version_text(),
            (c, _, _) in version_text(),
        ) {
            let mut sorted = [
                AppleOsVersion::parse(&a).unwrap(),
                AppleOsVersion::parse(&b).unwrap(),
                AppleOsVersion::parse(&c).unwrap(),
            ];
            sorted.sort();
            prop_assert!(sorted[0] <= sorted[1] && sorted[1] <= sorted[2]);
            prop_assert!(sorted[0] <= sorted[2]);
        }

        #[test]
        fn supplementals_sit_between_base_and_next_patch(
            numbers in prop::collection::vec(0u32..30, 3),
            first in prop::char::range('a', 'y'),
        ) {
            let base_text = format!("{}.{}.{}", numbers[0], numbers[1], numbers[2]);
            let base = AppleOsVersion::parse(&base_text).unwrap();
            let supplemental = AppleOsVersion::parse(&format!("{base_text} ({first})")).unwrap();
            let later_letter = char::from(first as u8 + 1);
            let later = AppleOsVersion::parse(&format!("{base_text}({later_letter})")).unwrap();
            let next_patch = AppleOsVersion::parse(
                &format!("{}.{}.{}", numbers[0], numbers[1], numbers[2] + 1),
            ).unwrap();
            prop_assert!(base < supplemental);
            prop_assert!(supplemental < later);
            prop_assert!(later < next_patch);
            prop_assert_eq!(supplemental.without_supplemental(), base);
        }

        #[test]
        fn equal_versions_hash_alike((text, _, _) in version_text()) {
            use std::collections::hash_map::DefaultHasher;
            let version = AppleOsVersion::parse(&text).unwrap();
            // The same version written with every number present.
            let full = format!(
                "{}.{}.{}{}",
                version.major(),
                version.minor(),
                version.patch(),
                version.supplemental().map(|letter| format!(" ({letter})")).unwrap_or_default()
            );
            let full = AppleOsVersion::parse(&full).unwrap();
            prop_assert_eq!(&version, &full);
            let hash = |value: &AppleOsVersion| {
                let mut hasher = DefaultHasher::new();
                value.hash(&mut hasher);
                hasher.finish()
            };
            prop_assert_eq!(hash(&version), hash(&full));
        }

        #[test]
        fn canonical_text_is_equal_exactly_for_equal_versions(
            (a, _, _) in version_text(),
            (b, _, _) in version_text(),
        ) {
            let a = AppleOsVersion::parse(&a).unwrap();
            let b = AppleOsVersion::parse(&b).unwrap();
            prop_assert_eq!(a.canonical_text() == b.canonical_text(), a == b);
            prop_assert_eq!(AppleOsVersion::parse(&a.canonical_text()).unwrap(), a);
        }

        #[test]
        fn parse_never_panics(text in ".{0,24}") {
            let _ = AppleOsVersion::parse(&text);
        }
    }
}
