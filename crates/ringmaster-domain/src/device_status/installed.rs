//! The OS a device runs, read from its `device.operating-system.*` items with its supplemental
//! release: version `26.3.1` plus `supplemental.extra-version` `(a)` (or `a`) is `26.3.1 (a)`,
//! whose build is `supplemental.build-version` (`25D771280a`).

use crate::apple_version::AppleOsVersion;
use crate::device_status::views::OperatingSystemStatus;

/// What a device runs: its version with any supplemental suffix, and the supplemental build
/// while a supplemental release is installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledOs {
    pub version: AppleOsVersion,
    /// `supplemental.build-version` while a supplemental release is installed; `None` otherwise
    /// (the build is then `device.operating-system.build-version`).
    pub supplemental_build: Option<String>,
}

impl OperatingSystemStatus {
    /// The installed OS; `None` when the version item is absent or not a version. A suffix that
    /// does not make a version (`(aa)`) is ignored, leaving the base version.
    pub fn installed(&self) -> Option<InstalledOs> {
        let base = AppleOsVersion::parse(self.version.as_deref()?).ok()?;
        let supplemental_build = self
            .supplemental_build
            .as_deref()
            .map(str::trim)
            .filter(|build| !build.is_empty())
            .map(str::to_owned);
        if base.is_supplemental() {
            return Some(InstalledOs {
                version: base,
                supplemental_build,
            });
        }
        let letter = self
            .supplemental_extra
            .as_deref()
            .map(|extra| extra.trim().trim_start_matches('(').trim_end_matches(')'))
            .filter(|letter| !letter.is_empty());
        Some(
            match letter
                .and_then(|letter| AppleOsVersion::parse(&format!("{base} ({letter})")).ok())
            {
                Some(version) => InstalledOs {
                    version,
                    supplemental_build,
                },
                None => InstalledOs {
                    version: base,
                    supplemental_build: None,
                },
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn os(version: &str, extra: &str, build: &str) -> OperatingSystemStatus {
        OperatingSystemStatus {
            version: Some(version.to_owned()),
            supplemental_extra: Some(extra.to_owned()),
            supplemental_build: Some(build.to_owned()),
            ..OperatingSystemStatus::default()
        }
    }

    #[test]
    fn the_suffix_joins_the_version_and_the_build_follows() {
        let installed = os("26.3.1", "(a)", "25D771280a").installed().unwrap();
        assert_eq!(installed.version.as_str(), "26.3.1 (a)");
        assert_eq!(installed.supplemental_build.as_deref(), Some("25D771280a"));
        assert_eq!(
            os("26.3.1", "a", "x").installed().unwrap().version.as_str(),
            "26.3.1 (a)"
        );
        let plain = os("26.3.1", "", "25D2128").installed().unwrap();
        assert_eq!(plain.version.as_str(), "26.3.1");
        assert_eq!(plain.supplemental_build, None);
        let odd = os("26.3.1", "(aa)", "x").installed().unwrap();
        assert_eq!(odd.version.as_str(), "26.3.1");
        assert!(os("twenty", "(a)", "x").installed().is_none());
        assert!(OperatingSystemStatus::default().installed().is_none());
    }

    proptest! {
        /// The installed version is the base plus the letter: supplemental, after the base and
        /// before the next patch, and back to the base without its suffix.
        #[test]
        fn a_supplemental_version_sits_between_its_base_and_the_next_patch(
            major in 0u32..=999,
            minor in 0u32..=999,
            patch in 0u32..999,
            letter in proptest::char::range('a', 'z'),
            parenthesized in any::<bool>(),
        ) {
            let base = format!("{major}.{minor}.{patch}");
            let extra = if parenthesized { format!("({letter})") } else { letter.to_string() };
            let installed = os(&base, &extra, "B1a").installed().unwrap();
            let base_version = AppleOsVersion::parse(&base).unwrap();
            let next = AppleOsVersion::parse(&format!("{major}.{minor}.{}", patch + 1)).unwrap();
            prop_assert!(installed.version.is_supplemental());
            prop_assert_eq!(installed.version.supplemental(), Some(letter));
            prop_assert!(installed.version > base_version);
            prop_assert!(installed.version < next);
            prop_assert_eq!(installed.version.without_supplemental(), base_version);
            prop_assert_eq!(installed.supplemental_build.as_deref(), Some("B1a"));
        }
    }
}
