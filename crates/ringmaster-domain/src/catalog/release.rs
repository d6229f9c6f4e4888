//! One Apple OS release as a feed describes it, and the platform it belongs to.
//!
//! Dates: every feed gives calendar dates. gdmf writes `2026-08-17`; SOFA writes the same day as
//! `2026-08-17T00:00:00Z` although the release usually happens in the evening UTC of that day, so
//! the time part carries no information. Release and expiry days are therefore [`jiff::civil::Date`]
//! values, as Apple's deferral rules count whole days. The one real instant is when ringmaster read
//! a gdmf feed ([`Release::seen_at`]), a [`jiff::Timestamp`].

use jiff::Timestamp;
use jiff::civil::Date;

use crate::apple_version::AppleOsVersion;
use crate::catalog::FeedFormat;
use crate::catalog::device_list::DeviceList;
use crate::platform::Platform;

/// What a release fixes, as SOFA reports it (gdmf says nothing about security).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityInfo {
    /// Distinct CVEs the release addresses.
    pub cve_count: u32,
    /// Of those, how many Apple says may have been actively exploited. Compute urgency from this,
    /// not from SOFA's `UpdateSummary`, which contradicts it in real feeds.
    pub actively_exploited_count: u32,
    /// Apple's security note for the release, when the feed gives one.
    pub details_url: Option<String>,
}

/// One OS release of one platform.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    pub platform: Platform,
    /// The version; supplemental releases carry their suffix (`26.3.1 (a)`).
    pub version: AppleOsVersion,
    /// The build (`25G83`, `25D771280a`). Always present from gdmf; SOFA knows builds only for
    /// releases Apple still signs (`None` for history, and for the placeholder builds such as
    /// `26A000` that SOFA's v1 iOS feed carries).
    pub build: Option<String>,
    /// The day of release as the feed says: SOFA's `ReleaseDate`, gdmf's `PostingDate` (the earliest
    /// when a feed lists the release several times). gdmf rewrites posting dates, so the catalog
    /// also keeps when it first saw a release.
    pub released_on: Date,
    /// The last day Apple signs the release, when the feed says (gdmf; SOFA for signed releases).
    /// When gdmf lists one build with different expiry days for different device subsets, this is
    /// the earliest of them, so a release is never treated as installable after it may have expired.
    pub expires_on: Option<Date>,
    /// Device identifiers that can install the release: software-update ids for Macs (`J413AP`,
    /// `Mac-…`, `VMA2MACOSAP`), product types for iPhone and iPad (`iPhone17,1`). Empty when the
    /// feed does not say.
    pub supported_devices: DeviceList,
    /// CVE counts from SOFA; `None` from gdmf.
    pub security: Option<SecurityInfo>,
    /// For a supplemental release (`26.3.1 (a)`), the build it installs on top of (`25D2128`).
    pub prerequisite_build: Option<String>,
    /// When ringmaster read the gdmf feed that listed this release; `None` for SOFA releases,
    /// whose dates are stable. The catalog keeps the earliest as the first-seen time.
    pub seen_at: Option<Timestamp>,
    /// The feed this came from.
    pub source: FeedFormat,
}

impl Release {
    /// A release of which only the platform, the version and the day are known: no build, no
    /// expiry, no devices listed, no security facts, from gdmf. The builder methods below add
    /// the rest; tests and tools start here instead of writing every field.
    pub fn new(platform: Platform, version: AppleOsVersion, released_on: Date) -> Release {
        Release {
            platform,
            version,
            build: None,
            released_on,
            expires_on: None,
            supported_devices: DeviceList::default(),
            security: None,
            prerequisite_build: None,
            seen_at: None,
            source: FeedFormat::Gdmf,
        }
    }

    /// The same release with its build.
    pub fn with_build(mut self, build: &str) -> Release {
        self.build = Some(build.to_owned());
        self
    }

    /// The same release, signed until `last_day`.
    pub fn expiring_on(mut self, last_day: Date) -> Release {
        self.expires_on = Some(last_day);
        self
    }

    /// The same release, installable on exactly `devices`.
    pub fn supported_on<'a>(mut self, devices: impl IntoIterator<Item = &'a str>) -> Release {
        self.supported_devices = devices.into_iter().map(str::to_owned).collect();
        self
    }

    /// The same release as a supplemental one installing on top of `build`.
    pub fn installing_on(mut self, build: &str) -> Release {
        self.prerequisite_build = Some(build.to_owned());
        self
    }

    /// A new major version's first release (`26.0`), as opposed to a minor update within a major.
    /// Whether installing a release is a major *upgrade* depends on the device's own version:
    /// see [`AppleOsVersion::is_major_upgrade_from`].
    pub fn is_major(&self) -> bool {
        self.version.minor() == 0 && self.version.patch() == 0 && !self.version.is_supplemental()
    }

    /// A supplemental release (Background Security Improvement, formerly Rapid Security
    /// Response), such as `26.3.1 (a)`.
    pub fn is_supplemental(&self) -> bool {
        self.version.is_supplemental()
    }

    /// Combines two descriptions of the same release. Order-independent: `a.merged_with(b)` equals
    /// `b.merged_with(a)`, so deduplication does not depend on the order of a feed.
    pub fn merged_with(self, other: Release) -> Release {
        let version = match self.version.cmp(&other.version) {
            std::cmp::Ordering::Greater => self.version,
            std::cmp::Ordering::Less => other.version,
            // Same version written two ways ("26.3.1(a)", "26.3.1 (a)"): keep the smaller text.
            std::cmp::Ordering::Equal => {
                if other.version.as_str() < self.version.as_str() {
                    other.version
                } else {
                    self.version
                }
            }
        };
        let mut supported_devices = self.supported_devices;
        supported_devices.extend(other.supported_devices);
        Release {
            platform: self.platform.min(other.platform),
            version,
            build: min_some(self.build, other.build),
            released_on: self.released_on.min(other.released_on),
            expires_on: min_some(self.expires_on, other.expires_on),
            supported_devices,
            security: match (self.security, other.security) {
                (Some(a), Some(b)) => Some(SecurityInfo {
                    cve_count: a.cve_count.max(b.cve_count),
                    actively_exploited_count: a
                        .actively_exploited_count
                        .max(b.actively_exploited_count),
                    details_url: min_some(a.details_url, b.details_url),
                }),
                (a, b) => a.or(b),
            },
            prerequisite_build: min_some(self.prerequisite_build, other.prerequisite_build),
            seen_at: min_some(self.seen_at, other.seen_at),
            source: self.source.min(other.source),
        }
    }
}

/// The smaller of two optional values, ignoring `None`.
fn min_some<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use jiff::civil::date;

    fn release(version: &str, build: Option<&str>) -> Release {
        let release = Release::new(
            Platform::MacOs,
            AppleOsVersion::parse(version).unwrap(),
            date(2026, 8, 17),
        );
        match build {
            Some(build) => release.with_build(build),
            None => release,
        }
    }

    #[test]
    fn majors_are_the_first_release_of_a_major_version() {
        assert!(release("26.0", None).is_major());
        assert!(release("26", None).is_major());
        assert!(!release("26.0.1", None).is_major());
        assert!(!release("26.1", None).is_major());
        assert!(release("26.3.1 (a)", None).is_supplemental());
        assert!(!release("26.3.1 (a)", None).is_major());
    }

    #[test]
    fn merging_is_order_independent() {
        let mut early = release("26.6.2", Some("25G83"));
        early.released_on = date(2026, 8, 6);
        early.expires_on = Some(date(2026, 11, 20));
        early.supported_devices = BTreeSet::from(["J413AP".to_owned()]).into();
        let mut late = release("26.6.2", Some("25G83"));
        late.expires_on = Some(date(2026, 11, 4));
        late.supported_devices = BTreeSet::from(["J180dAP".to_owned()]).into();
        late.security = Some(SecurityInfo {
            cve_count: 28,
            actively_exploited_count: 0,
            details_url: None,
        });
        let one = early.clone().merged_with(late.clone());
        let other = late.merged_with(early);
        assert_eq!(one, other);
        assert_eq!(one.released_on, date(2026, 8, 6));
        assert_eq!(one.expires_on, Some(date(2026, 11, 4)));
        assert_eq!(one.supported_devices.len(), 2);
        assert_eq!(one.security.unwrap().cve_count, 28);
    }

    #[test]
    fn platforms_read_and_write_their_api_names() {
        assert_eq!(Platform::parse("macOS"), Ok(Platform::MacOs));
        assert_eq!("ios".parse::<Platform>(), Ok(Platform::Ios));
        assert!(
            Platform::parse("tvOS")
                .unwrap_err()
                .contains("macOS or iOS")
        );
        assert_eq!(
            serde_json::to_string(&Platform::MacOs).unwrap(),
            "\"macOS\""
        );
        assert_eq!(
            serde_json::from_str::<Platform>("\"iOS\"").unwrap(),
            Platform::Ios
        );
    }
}
