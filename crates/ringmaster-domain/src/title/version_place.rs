//! Where a new version goes in a title's newest-first list when no position is given.
//!
//! AutoPkg's `NotifyPatchServer` and `patch_server_updater add` post versions without a position,
//! and not always the newest: a fix on an older branch (`2.4.9` after `3.0.1`), a back-filled
//! changelog. Such a version goes where version order ([`crate::version_order`]) puts it: below
//! every version newer than it and above every older one. The list is in the curator's order,
//! which need not be version order (Sophos lists `9.2.10` above `9.4.2`), so a place exists only
//! when the versions newer than the candidate are exactly the ones at the top of the list. When
//! they are not, or when an existing version compares equal to it (`1.02` and `1.2`), the order
//! cannot be decided and the caller must place it with `?after=` or `?before=`.

/// Why a version cannot be placed by version order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undecided {
    /// An existing version is neither newer nor older (`1.02` and `1.2`).
    Tie { existing: String },
    /// A version newer than the candidate is listed below one that is older, so either place
    /// next to them would break the order.
    OutOfOrder { newer: String, older_above: String },
}

impl std::fmt::Display for Undecided {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Undecided::Tie { existing } => {
                write!(f, "it compares equal to {existing:?}, already in the title")
            }
            Undecided::OutOfOrder { newer, older_above } => write!(
                f,
                "the title lists {older_above:?} above {newer:?}, one older and one newer than it"
            ),
        }
    }
}

/// The index at which `candidate` goes in `versions` (newest first): after every version newer
/// than it, before every older one. `versions` must not contain `candidate` itself.
pub fn index_by_version_order<'a>(
    versions: impl IntoIterator<Item = &'a str>,
    candidate: &str,
) -> Result<usize, Undecided> {
    use std::cmp::Ordering;
    let mut index = 0;
    // The first version that is not newer than the candidate, once passed.
    let mut first_older: Option<&str> = None;
    for version in versions {
        match crate::version_order::compare(version, candidate) {
            Ordering::Equal => {
                return Err(Undecided::Tie {
                    existing: version.to_owned(),
                });
            }
            Ordering::Greater => {
                if let Some(older_above) = first_older {
                    return Err(Undecided::OutOfOrder {
                        newer: version.to_owned(),
                        older_above: older_above.to_owned(),
                    });
                }
                index += 1;
            }
            Ordering::Less => {
                first_older.get_or_insert(version);
            }
        }
    }
    Ok(index)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::version_order;

    fn place(versions: &[&str], candidate: &str) -> Result<usize, Undecided> {
        index_by_version_order(versions.iter().copied(), candidate)
    }

    #[test]
    fn a_version_goes_below_the_newer_ones_and_above_the_older_ones() {
        let versions = ["10.2.0", "10.1.1", "9.0"];
        assert_eq!(place(&versions, "10.10.0"), Ok(0));
        assert_eq!(place(&versions, "10.1.5"), Ok(1));
        assert_eq!(place(&versions, "10.2.0 beta"), Ok(1));
        assert_eq!(place(&versions, "9.99.0"), Ok(2));
        assert_eq!(place(&versions, "8.7"), Ok(3));
        assert_eq!(place(&[], "1.0"), Ok(0));
    }

    #[test]
    fn ties_and_lists_out_of_version_order_are_undecided() {
        assert_eq!(
            place(&["2.0", "1.2", "1.0"], "1.02"),
            Err(Undecided::Tie {
                existing: "1.2".into()
            })
        );
        // Sophos's curator order: 9.2.10 is listed above 9.4.2.
        let sophos = ["9.6.0", "9.5.5", "9.2.10", "9.4.2", "9.0"];
        assert_eq!(
            place(&sophos, "9.3"),
            Err(Undecided::OutOfOrder {
                newer: "9.4.2".into(),
                older_above: "9.2.10".into(),
            })
        );
        // Outside the disordered part, a place is still decided.
        assert_eq!(place(&sophos, "9.7"), Ok(0));
        assert_eq!(place(&sophos, "9.5.6"), Ok(1));
        assert_eq!(place(&sophos, "8.1"), Ok(5));
        // A version newer than both of the disordered pair goes above them…
        assert_eq!(place(&sophos, "9.4.5"), Ok(2));
        // …and one older than both goes below them.
        assert_eq!(place(&sophos, "9.1"), Ok(4));
    }

    proptest! {
        #[test]
        fn in_a_list_in_version_order_every_new_version_has_its_place(
            parts in proptest::collection::btree_set(proptest::collection::vec(0u32..30, 1..4), 0..12),
            candidate in proptest::collection::vec(0u32..30, 1..4),
        ) {
            let text = |parts: &[u32]| parts.iter().map(u32::to_string).collect::<Vec<_>>().join(".");
            // Newest first, no two equal by version order.
            let mut versions: Vec<String> = parts.iter().rev().map(|parts| text(parts)).collect();
            versions.dedup_by(|a, b| version_order::compare(a, b).is_eq());
            let candidate = text(&candidate);
            prop_assume!(!versions.contains(&candidate));
            let borrowed: Vec<&str> = versions.iter().map(String::as_str).collect();
            match place(&borrowed, &candidate) {
                Ok(index) => {
                    let mut placed = borrowed.clone();
                    placed.insert(index, &candidate);
                    for pair in placed.windows(2) {
                        prop_assert!(version_order::is_newer(pair[0], pair[1]), "{:?}", placed);
                    }
                }
                Err(Undecided::Tie { existing }) => {
                    prop_assert!(version_order::compare(&existing, &candidate).is_eq());
                }
                Err(other) => prop_assert!(false, "a sorted list cannot be out of order: {other:?}"),
            }
        }
    }
}
