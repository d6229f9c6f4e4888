//! What a generated fleet is made of: a catalog of device kinds ([`DeviceKind`], one per row
//! below) and the share of each ([`FleetMix`], what `simulate --mix macos14=20,macos26=50,…`
//! reads).
//!
//! | kind | what it is | OS and build at the start | channel |
//! |---|---|---|---|
//! | `macos13` | a Mac on Ventura | 13.7.8 `22H730` | device |
//! | `macos14` | a Mac on Sonoma | 14.8.7 `23J520` | device |
//! | `macos15` | a Mac on Sequoia | 15.7.7 `24G720` | device |
//! | `macos26` | a Mac on Tahoe | 26.0.1 `25A362` | device |
//! | `macos-supplemental` | a Mac on a supplemental release | 26.3.1 (a) `25D2128` + `25D771280a` | device |
//! | `ios16` | an iPhone 8 or X on iOS 16 | 16.7.16 `20H392` | device |
//! | `ios17` | an iPhone on iOS 17 | 17.7 `21H16` | device |
//! | `ios18` | an iPhone on iOS 18 | 18.7.8 `22H352` | device |
//! | `ios26` | an iPhone on iOS 26 | 26.0.1 `23A355` | device |
//! | `mac-user` | a user's channel on a Mac (macOS 26.0.1) | | `User` |
//! | `shared-ipad` | a Shared iPad user (iPadOS 26.0.1) | | `Shared iPad` |
//! | `user-enrollment` | an iPhone enrolled by User Enrollment (BYOD, iOS 26.0.1) | | `User Enrollment (Device)` |
//!
//! Versions and builds are real releases (Apple's gdmf feed); models are ones that run them.
//! What each kind reports and accepts follows from its OS version and channel alone, as on real
//! devices ([`crate::kinds`]): `softwareupdate.device-id` only from macOS 15 and
//! iOS 18, no software-update declaration before macOS 14 and iOS 17, none on a user channel or a
//! User Enrollment.
//!
//! A user channel's enrollment id is NanoMDM's: its device channel's id (`<prefix>00042`, a
//! device outside the simulation), a colon and the user (`UserID`, or the short name of a Shared
//! iPad user); that device channel is its `X-Enrollment-ParentID`.

use std::fmt;

use rand::Rng;
use ringmaster_domain::platform::Platform;

use crate::kinds::EnrollmentChannel;

/// One kind of simulated device (a row of the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeviceKind {
    Macos13,
    Macos14,
    Macos15,
    Macos26,
    MacosSupplemental,
    Ios16,
    Ios17,
    Ios18,
    Ios26,
    MacUser,
    SharedIpadUser,
    UserEnrollment,
}

/// What a kind starts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindSpec {
    /// The `--mix` name (`macos14`).
    pub name: &'static str,
    pub platform: Platform,
    /// `device.operating-system.version`, with a supplemental suffix if any (`26.3.1 (a)`).
    pub os_version: &'static str,
    /// `device.operating-system.build-version` (the base build of a supplemental release).
    pub build: &'static str,
    /// `device.operating-system.supplemental.build-version` of a supplemental release.
    pub supplemental_build: Option<&'static str>,
    /// `(device.model.identifier, softwareupdate.device-id)` choices, picked evenly.
    pub models: &'static [(&'static str, &'static str)],
    pub channel: EnrollmentChannel,
}

const MACS: &[(&str, &str)] = &[
    ("Mac14,2", "J413AP"),
    ("Mac15,12", "J613AP"),
    ("Mac16,12", "J713AP"),
    ("Mac14,9", "J414sAP"),
    ("Mac16,10", "J773gAP"),
];
/// Macs that shipped before macOS 14 (so they can run 13 and 14).
const OLDER_MACS: &[(&str, &str)] = &[("Mac14,2", "J413AP"), ("Mac14,9", "J414sAP")];
const IPHONES: &[(&str, &str)] = &[
    ("iPhone17,1", "iPhone17,1"),
    ("iPhone17,2", "iPhone17,2"),
    ("iPhone17,3", "iPhone17,3"),
    ("iPhone16,1", "iPhone16,1"),
];

const fn spec(
    name: &'static str,
    platform: Platform,
    os_version: &'static str,
    build: &'static str,
    models: &'static [(&'static str, &'static str)],
    channel: EnrollmentChannel,
) -> KindSpec {
    KindSpec {
        name,
        platform,
        os_version,
        build,
        supplemental_build: None,
        models,
        channel,
    }
}

const DEVICE: EnrollmentChannel = EnrollmentChannel::Device;

impl DeviceKind {
    pub const ALL: [DeviceKind; 12] = [
        DeviceKind::Macos13,
        DeviceKind::Macos14,
        DeviceKind::Macos15,
        DeviceKind::Macos26,
        DeviceKind::MacosSupplemental,
        DeviceKind::Ios16,
        DeviceKind::Ios17,
        DeviceKind::Ios18,
        DeviceKind::Ios26,
        DeviceKind::MacUser,
        DeviceKind::SharedIpadUser,
        DeviceKind::UserEnrollment,
    ];

    pub fn spec(self) -> KindSpec {
        use Platform::{Ios, MacOs};
        match self {
            DeviceKind::Macos13 => spec("macos13", MacOs, "13.7.8", "22H730", OLDER_MACS, DEVICE),
            DeviceKind::Macos14 => spec("macos14", MacOs, "14.8.7", "23J520", OLDER_MACS, DEVICE),
            DeviceKind::Macos15 => spec("macos15", MacOs, "15.7.7", "24G720", MACS, DEVICE),
            DeviceKind::Macos26 => spec("macos26", MacOs, "26.0.1", "25A362", MACS, DEVICE),
            DeviceKind::MacosSupplemental => KindSpec {
                supplemental_build: Some("25D771280a"),
                ..spec(
                    "macos-supplemental",
                    MacOs,
                    "26.3.1 (a)",
                    "25D2128",
                    MACS,
                    DEVICE,
                )
            },
            DeviceKind::Ios16 => spec(
                "ios16",
                Ios,
                "16.7.16",
                "20H392",
                &[("iPhone10,3", "iPhone10,3"), ("iPhone10,6", "iPhone10,6")],
                DEVICE,
            ),
            DeviceKind::Ios17 => spec(
                "ios17",
                Ios,
                "17.7",
                "21H16",
                &[("iPhone14,5", "iPhone14,5"), ("iPhone15,4", "iPhone15,4")],
                DEVICE,
            ),
            DeviceKind::Ios18 => spec(
                "ios18",
                Ios,
                "18.7.8",
                "22H352",
                &[("iPhone14,5", "iPhone14,5"), ("iPhone16,1", "iPhone16,1")],
                DEVICE,
            ),
            DeviceKind::Ios26 => spec("ios26", Ios, "26.0.1", "23A355", IPHONES, DEVICE),
            DeviceKind::MacUser => spec(
                "mac-user",
                MacOs,
                "26.0.1",
                "25A362",
                MACS,
                EnrollmentChannel::User,
            ),
            DeviceKind::SharedIpadUser => spec(
                "shared-ipad",
                Ios,
                "26.0.1",
                "23A355",
                &[("iPad16,3", "iPad16,3")],
                EnrollmentChannel::SharedIpad,
            ),
            DeviceKind::UserEnrollment => spec(
                "user-enrollment",
                Ios,
                "26.0.1",
                "23A355",
                IPHONES,
                EnrollmentChannel::UserEnrollmentDevice,
            ),
        }
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The kind named `name` (its `--mix` name).
    pub fn from_name(name: &str) -> Option<DeviceKind> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// Every kind's name, comma-separated, in catalog order.
    pub fn known_names() -> String {
        Self::ALL.map(DeviceKind::name).join(", ")
    }
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The largest share of one kind.
pub const MAX_SHARE: u32 = 1_000_000;
/// The longest `--mix` text read, in bytes.
pub const MAX_MIX_CHARS: usize = 1024;

/// How many of each kind, as relative shares (`macos26=50,ios26=50` is half and half).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetMix {
    /// Kinds in catalog order, each once, every share from 1 to [`MAX_SHARE`].
    shares: Vec<(DeviceKind, u32)>,
}

/// A `--mix` that cannot be used, in words naming the bad part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MixError(pub String);

impl Default for FleetMix {
    /// A fleet as organisations run them: half Macs, mostly on the newest major, with some on
    /// each older one and on a supplemental release; 45 % iPhones likewise; a few Mac user
    /// channels, Shared iPad users and User Enrollment iPhones.
    /// `macos13=4,macos14=6,macos15=10,macos26=25,macos-supplemental=5,ios16=4,ios17=6,ios18=10,
    /// ios26=25,mac-user=2,shared-ipad=1,user-enrollment=2` (100 in all).
    fn default() -> Self {
        Self::from_shares([
            (DeviceKind::Macos13, 4),
            (DeviceKind::Macos14, 6),
            (DeviceKind::Macos15, 10),
            (DeviceKind::Macos26, 25),
            (DeviceKind::MacosSupplemental, 5),
            (DeviceKind::Ios16, 4),
            (DeviceKind::Ios17, 6),
            (DeviceKind::Ios18, 10),
            (DeviceKind::Ios26, 25),
            (DeviceKind::MacUser, 2),
            (DeviceKind::SharedIpadUser, 1),
            (DeviceKind::UserEnrollment, 2),
        ])
        .expect("the default shares are valid")
    }
}

impl FleetMix {
    /// A mix of these shares; errors on a zero or too large share, or a kind given twice.
    pub fn from_shares(
        shares: impl IntoIterator<Item = (DeviceKind, u32)>,
    ) -> Result<Self, MixError> {
        let mut sorted: Vec<(DeviceKind, u32)> = Vec::new();
        for (kind, share) in shares {
            if !(1..=MAX_SHARE).contains(&share) {
                return Err(MixError(format!(
                    "the share of {kind} must be a whole number from 1 to {MAX_SHARE}, not {share}"
                )));
            }
            if sorted.iter().any(|(seen, _)| *seen == kind) {
                return Err(MixError(format!("{kind} is given twice")));
            }
            sorted.push((kind, share));
        }
        if sorted.is_empty() {
            return Err(MixError("the mix names no device kind".to_owned()));
        }
        sorted.sort();
        Ok(Self { shares: sorted })
    }

    /// Reads `kind=share,kind=share,…` (spaces around parts allowed), such as
    /// `macos14=20,macos26=50,ios17=10,user-enrollment=5`.
    pub fn parse(text: &str) -> Result<Self, MixError> {
        if text.len() > MAX_MIX_CHARS {
            return Err(MixError(format!(
                "the mix is longer than {MAX_MIX_CHARS} characters"
            )));
        }
        if text.trim().is_empty() {
            return Err(MixError(
                "the mix is empty; give kind=share pairs such as macos26=50,ios26=50".to_owned(),
            ));
        }
        let mut shares = Vec::new();
        for part in text.split(',') {
            let part = part.trim();
            let Some((name, share)) = part.split_once('=') else {
                return Err(MixError(format!(
                    "{part:?} is not kind=share (such as macos26=50)"
                )));
            };
            let (name, share) = (name.trim(), share.trim());
            let kind = DeviceKind::from_name(name).ok_or_else(|| {
                MixError(format!(
                    "{name:?} in {part:?} is not a device kind; the kinds are {}",
                    DeviceKind::known_names()
                ))
            })?;
            let share = share
                .parse::<u32>()
                .ok()
                .filter(|share| (1..=MAX_SHARE).contains(share))
                .ok_or_else(|| {
                    MixError(format!(
                        "the share in {part:?} must be a whole number from 1 to {MAX_SHARE}"
                    ))
                })?;
            shares.push((kind, share));
        }
        Self::from_shares(shares)
    }

    /// The default mix with `mac_share` (0 to 1) of it on macOS: each platform's kinds keep
    /// their proportions among themselves. Errors outside 0 to 1.
    pub fn default_with_mac_share(mac_share: f64) -> Result<Self, MixError> {
        if !(0.0..=1.0).contains(&mac_share) {
            return Err(MixError(format!(
                "the Mac share {mac_share} is not between 0 and 1"
            )));
        }
        let default = Self::default();
        let total_of = |platform: Platform| -> u32 {
            default
                .shares
                .iter()
                .filter(|(kind, _)| kind.spec().platform == platform)
                .map(|(_, share)| share)
                .sum()
        };
        let (macs, phones) = (total_of(Platform::MacOs), total_of(Platform::Ios));
        let scaled = default.shares.iter().filter_map(|&(kind, share)| {
            let (part, total) = match kind.spec().platform {
                Platform::MacOs => (mac_share, macs),
                Platform::Ios => (1.0 - mac_share, phones),
            };
            // Shares out of 10 000, so a small share keeps its kinds.
            let share = (part * 10_000.0 * f64::from(share) / f64::from(total)).round();
            (share >= 1.0).then_some((kind, share as u32))
        });
        Self::from_shares(scaled.collect::<Vec<_>>())
    }

    /// `(kind, share)` in catalog order.
    pub fn shares(&self) -> &[(DeviceKind, u32)] {
        &self.shares
    }

    /// A kind drawn with probability proportional to its share.
    pub fn pick(&self, rng: &mut impl Rng) -> DeviceKind {
        let total: u64 = self.shares.iter().map(|(_, share)| u64::from(*share)).sum();
        let mut pick = rng.random_range(0..total.max(1));
        for &(kind, share) in &self.shares {
            let share = u64::from(share);
            if pick < share {
                return kind;
            }
            pick -= share;
        }
        // Unreachable: `pick` is below the total and there is at least one kind.
        self.shares[0].0
    }
}

impl fmt::Display for FleetMix {
    /// The `--mix` text of this mix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, (kind, share)) in self.shares.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            write!(f, "{kind}={share}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use ringmaster_domain::apple_version::AppleOsVersion;

    use super::*;

    #[test]
    fn a_mix_reads_kinds_and_shares_and_prints_back() {
        let mix = FleetMix::parse(" macos26=50, macos14=20 ,user-enrollment=5").unwrap();
        assert_eq!(
            mix.shares(),
            &[
                (DeviceKind::Macos14, 20),
                (DeviceKind::Macos26, 50),
                (DeviceKind::UserEnrollment, 5)
            ]
        );
        assert_eq!(mix.to_string(), "macos14=20,macos26=50,user-enrollment=5");
        let default = FleetMix::default();
        assert_eq!(FleetMix::parse(&default.to_string()).unwrap(), default);
        assert_eq!(default.shares().len(), DeviceKind::ALL.len());
    }

    #[test]
    fn a_bad_mix_names_the_bad_part() {
        let error = |text: &str| FleetMix::parse(text).unwrap_err().0;
        let unknown = error("macos26=50,macos12=5");
        assert!(unknown.contains("\"macos12\""), "{unknown}");
        assert!(unknown.contains(&DeviceKind::known_names()), "{unknown}");
        for bad in [
            "macos26=0",
            "macos26=-3",
            "macos26=1.5",
            "macos26=",
            "macos26=1000001",
        ] {
            let message = error(bad);
            assert!(message.contains(&format!("{bad:?}")), "{bad}: {message}");
            assert!(
                message.contains("whole number from 1 to"),
                "{bad}: {message}"
            );
        }
        assert!(error("macos26").contains("not kind=share"));
        assert!(error("macos26=1,,ios26=1").contains("\"\" is not kind=share"));
        assert!(error("ios26=1,ios26=2").contains("ios26 is given twice"));
        assert!(error("  ").contains("empty"));
        assert!(error(&"macos26=1,".repeat(200)).contains("longer than"));
    }

    #[test]
    fn the_mac_share_scales_the_default_mix() {
        let only_macs = FleetMix::default_with_mac_share(1.0).unwrap();
        assert!(
            only_macs
                .shares()
                .iter()
                .all(|(kind, _)| kind.spec().platform == Platform::MacOs)
        );
        let mac_total = |mix: &FleetMix| -> u32 {
            mix.shares()
                .iter()
                .filter(|(kind, _)| kind.spec().platform == Platform::MacOs)
                .map(|(_, share)| share)
                .sum()
        };
        let mix = FleetMix::default_with_mac_share(0.8).unwrap();
        let all: u32 = mix.shares().iter().map(|(_, share)| share).sum();
        assert!((7_990..=8_010).contains(&mac_total(&mix)), "{mix}");
        assert!((9_990..=10_010).contains(&all), "{mix}");
        assert!(FleetMix::default_with_mac_share(1.5).is_err());
    }

    #[test]
    fn every_kind_is_a_valid_start() {
        for kind in DeviceKind::ALL {
            let spec = kind.spec();
            let version = AppleOsVersion::parse(spec.os_version).unwrap();
            assert_eq!(
                version.supplemental().is_some(),
                spec.supplemental_build.is_some(),
                "{kind}"
            );
            assert!(!spec.models.is_empty(), "{kind}");
            assert_eq!(DeviceKind::from_name(spec.name), Some(kind));
        }
    }
}
