//! Ordering of application version strings, for "is this version newer than the current one?".
//!
//! Jamf title versions are opaque strings matched exactly (`5.14.10 (19202)`,
//! `Adobe Lightroom CC [20170919-1412-ccb76bd]`, `10.1.1-t1513360285`), so they are never
//! normalized or parsed for identity. Only to decide whether a new version is newer, we compare them
//! "naturally": runs of digits as numbers, everything else as text, left to right.
//! Semver crates refuse most of these strings, which is why this small comparison is our own.

use std::cmp::Ordering;

/// Compares two version strings naturally: `9.10 > 9.9`, `10.2.0 > 10.1.1`, `1.2 < 1.2.1`.
pub fn compare(left: &str, right: &str) -> Ordering {
    let mut left_chunks = chunks(left);
    let mut right_chunks = chunks(right);
    loop {
        match (left_chunks.next(), right_chunks.next()) {
            (None, None) => return Ordering::Equal,
            // More numbers make a later release ("1.2.1" > "1.2"); trailing text makes an
            // earlier one ("2.0 beta" < "2.0"), as a number outranks text below.
            (None, Some(Chunk::Number(_))) => return Ordering::Less,
            (None, Some(Chunk::Text(_))) => return Ordering::Greater,
            (Some(Chunk::Number(_)), None) => return Ordering::Greater,
            (Some(Chunk::Text(_)), None) => return Ordering::Less,
            (Some(a), Some(b)) => {
                let ordering = compare_chunk(a, b);
                if ordering != Ordering::Equal {
                    return ordering;
                }
            }
        }
    }
}

/// True when `candidate` sorts strictly after `current`.
pub fn is_newer(candidate: &str, current: &str) -> bool {
    compare(candidate, current) == Ordering::Greater
}

#[derive(Debug, Clone, Copy)]
enum Chunk<'a> {
    Number(&'a str),
    Text(&'a str),
}

fn chunks(version: &str) -> impl Iterator<Item = Chunk<'_>> {
    let mut rest = version;
    std::iter::from_fn(move || {
        // Separators carry no order of their own.
        rest = rest.trim_start_matches(['.', '-', '_', ' ', '(', ')', '[', ']', ',', '+']);
        let first = rest.chars().next()?;
        let is_digit = first.is_ascii_digit();
        let end = rest
            .find(|c: char| {
                c.is_ascii_digit() != is_digit
                    || matches!(c, '.' | '-' | '_' | ' ' | '(' | ')' | '[' | ']' | ',' | '+')
            })
            .unwrap_or(rest.len());
        let (chunk, remainder) = rest.split_at(end);
        rest = remainder;
        Some(if is_digit {
            Chunk::Number(chunk)
        } else {
            Chunk::Text(chunk)
        })
    })
}

fn compare_chunk(left: Chunk<'_>, right: Chunk<'_>) -> Ordering {
    match (left, right) {
        (Chunk::Number(a), Chunk::Number(b)) => {
            let a = a.trim_start_matches('0');
            let b = b.trim_start_matches('0');
            a.len().cmp(&b.len()).then_with(|| a.cmp(b))
        }
        // A number outranks text in the same place: "2.0" > "2.beta".
        (Chunk::Number(_), Chunk::Text(_)) => Ordering::Greater,
        (Chunk::Text(_), Chunk::Number(_)) => Ordering::Less,
        (Chunk::Text(a), Chunk::Text(b)) => a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn real_version_strings_order_as_people_read_them() {
        for (older, newer) in [
            ("9.9", "9.10"),
            ("10.1.1", "10.2.0"),
            ("1.2", "1.2.1"),
            ("64.0.3282.140", "64.0.3282.167"),
            ("5.14.10 (19202)", "5.14.11 (19300)"),
            ("9.97.1488392992", "9.97.1498392992"),
            ("2.0 beta", "2.0"),
            (
                "Adobe Fireworks CS6 version 12.0.1.274",
                "Adobe Fireworks CS6 version 12.0.2",
            ),
        ] {
            assert!(
                is_newer(newer, older),
                "{newer} should be newer than {older}"
            );
            assert!(
                !is_newer(older, newer),
                "{older} should not be newer than {newer}"
            );
        }
        assert!(!is_newer("10.2.0", "10.2.0"));
        assert_eq!(compare("1.02", "1.2"), Ordering::Equal);
    }

    proptest! {
        #[test]
        fn numeric_versions_order_like_tuples(a in proptest::collection::vec(0u32..5000, 1..5), b in proptest::collection::vec(0u32..5000, 1..5)) {
            let text = |parts: &[u32]| parts.iter().map(u32::to_string).collect::<Vec<_>>().join(".");
            prop_assert_eq!(compare(&text(&a), &text(&b)), a.cmp(&b));
        }

        #[test]
        fn comparison_is_antisymmetric(a in "[0-9a-z. ()-]{0,12}", b in "[0-9a-z. ()-]{0,12}") {
            prop_assert_eq!(compare(&a, &b), compare(&b, &a).reverse());
        }

        #[test]
        fn comparison_is_transitive(
            a in "[0-9a-c. -]{0,8}", b in "[0-9a-c. -]{0,8}", c in "[0-9a-c. -]{0,8}",
        ) {
            for (x, y, z) in [(&a, &b, &c), (&a, &c, &b), (&b, &a, &c), (&b, &c, &a), (&c, &a, &b), (&c, &b, &a)] {
                if compare(x, y) != Ordering::Greater && compare(y, z) != Ordering::Greater {
                    prop_assert_ne!(compare(x, z), Ordering::Greater, "{:?} <= {:?} <= {:?}", x, y, z);
                }
            }
        }
    }
}
