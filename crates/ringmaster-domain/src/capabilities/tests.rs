//! The gating table, enrollment types and the reasons given.

use serde_json::json;

use super::*;

fn version(text: &str) -> AppleOsVersion {
    AppleOsVersion::parse(text).unwrap()
}

fn support(platform: Platform, text: &str) -> UpdateSupport {
    update_support(platform, &version(text), &DeviceCapabilities::default())
}

#[test]
fn each_platform_gets_what_its_version_supports() {
    let cases = [
        (Platform::MacOs, "13.6", false, false, false),
        (Platform::MacOs, "14.7.1", false, true, false),
        (Platform::MacOs, "15.0", true, true, false),
        (Platform::MacOs, "15.3.2", true, true, false),
        (Platform::MacOs, "15.4", true, true, true),
        (Platform::MacOs, "26.1", true, true, true),
        (Platform::Ios, "16.7.10", false, false, false),
        (Platform::Ios, "17.0", false, true, false),
        (Platform::Ios, "18.0", true, true, true),
        (Platform::Ios, "26.1", true, true, true),
    ];
    for (platform, text, settings, enforcement, beta) in cases {
        let got = support(platform, text);
        assert_eq!(
            (got.settings, got.enforcement, got.beta),
            (settings, enforcement, beta),
            "{platform} {text}"
        );
        assert_eq!(got.any(), settings || enforcement);
        assert_eq!(got.reason().is_some(), !got.any(), "{platform} {text}");
    }
}

#[test]
fn the_reason_says_which_version_enforcement_needs() {
    assert_eq!(
        support(Platform::MacOs, "13.6").reason(),
        Some("macOS 13.6 cannot take software-update declarations; enforcement needs macOS 14")
    );
    assert_eq!(
        support(Platform::Ios, "16.7.10").reason(),
        Some("iOS 16.7.10 cannot take software-update declarations; enforcement needs iOS 17")
    );
}

#[test]
fn user_enrollment_takes_no_update_declarations() {
    let capabilities = DeviceCapabilities {
        enrollment: Some(EnrollmentType::UserEnrollmentDevice),
        configurations: None,
    };
    let got = update_support(Platform::Ios, &version("26.1"), &capabilities);
    assert!(!got.any());
    assert!(got.reason().unwrap().contains("User Enrollment"));
    let device = DeviceCapabilities {
        enrollment: Some(EnrollmentType::Device),
        configurations: None,
    };
    assert!(update_support(Platform::Ios, &version("26.1"), &device).any());
}

#[test]
fn client_capabilities_can_take_away_what_the_version_allows() {
    let reported = json!({
        "supported-versions": ["1.0.0"],
        "supported-payloads": {"declarations": {
            "activations": ["com.apple.activation.simple"],
            "configurations": [
                "com.apple.configuration.management.status-subscriptions",
                "com.apple.configuration.softwareupdate.enforcement.specific",
                "com.apple.configuration.passcode.settings",
                7
            ],
            "assets": [], "management": []
        }, "status-items": ["softwareupdate.install-state"]}
    });
    let configurations = DeviceCapabilities::configurations_of(&reported).unwrap();
    assert_eq!(
        configurations.len(),
        2,
        "only types ringmaster serves are kept"
    );
    let capabilities = DeviceCapabilities {
        enrollment: None,
        configurations: Some(configurations),
    };
    let got = update_support(Platform::MacOs, &version("15.5"), &capabilities);
    assert!(!got.settings && got.enforcement && !got.beta);
    let nothing = DeviceCapabilities {
        enrollment: None,
        configurations: Some(BTreeSet::new()),
    };
    let got = update_support(Platform::MacOs, &version("15.5"), &nothing);
    assert!(!got.any());
    assert!(got.reason().unwrap().contains("client capabilities"));
    assert_eq!(DeviceCapabilities::configurations_of(&json!({})), None);
}

#[test]
fn enrollment_types_read_nanomdm_and_check_ins() {
    for kind in EnrollmentType::ALL {
        assert_eq!(
            EnrollmentType::from_nanomdm(kind.nanomdm_name()),
            Some(kind)
        );
        assert_eq!(EnrollmentType::parse(kind.as_str()), Some(kind));
    }
    assert_eq!(EnrollmentType::from_nanomdm("device"), None);
    let of = EnrollmentType::of_check_in;
    assert_eq!(
        of(Some("U"), None, None, None),
        Some(EnrollmentType::Device)
    );
    assert_eq!(
        of(Some("U"), Some("A-B"), None, None),
        Some(EnrollmentType::User)
    );
    assert_eq!(
        of(Some("U"), Some(SHARED_IPAD_USER_ID), None, None),
        Some(EnrollmentType::SharedIpad)
    );
    assert_eq!(
        of(None, None, Some("E"), None),
        Some(EnrollmentType::UserEnrollmentDevice)
    );
    assert_eq!(
        of(None, None, Some("E"), Some("EU")),
        Some(EnrollmentType::UserEnrollment)
    );
    assert_eq!(of(None, None, None, None), None);
    assert_eq!(
        of(Some("U"), Some(" "), None, None),
        Some(EnrollmentType::Device)
    );
    assert!(EnrollmentType::User.is_user_channel());
    assert!(EnrollmentType::SharedIpad.is_user_channel());
    assert!(EnrollmentType::UserEnrollment.is_user_channel());
    assert!(!EnrollmentType::UserEnrollmentDevice.is_user_channel());
    assert!(!EnrollmentType::Device.is_user_channel());
}

#[test]
fn floors_print_without_a_zero_minor() {
    assert_eq!(OsFloor::new(14, 0).to_string(), "14");
    assert_eq!(OsFloor::new(15, 4).to_string(), "15.4");
    assert!(OsFloor::new(15, 4).admits(&version("15.4")));
    assert!(!OsFloor::new(15, 4).admits(&version("15.3.9")));
    assert!(OsFloor::new(15, 4).admits(&version("16")));
}

#[test]
fn supported_versions_change_nothing() {
    let with_versions = |versions: Option<serde_json::Value>| {
        let mut reported = json!({
            "supported-payloads": {"declarations": {
                "activations": ["com.apple.activation.simple"],
                "configurations": [
                    "com.apple.configuration.management.status-subscriptions",
                    "com.apple.configuration.softwareupdate.enforcement.specific",
                    "com.apple.configuration.softwareupdate.settings"
                ],
                "assets": [], "management": []
            }}
        });
        if let Some(versions) = versions {
            reported["supported-versions"] = versions;
        }
        let capabilities = DeviceCapabilities {
            enrollment: Some(EnrollmentType::Device),
            configurations: DeviceCapabilities::configurations_of(&reported),
        };
        [
            ("macOS", "14.8"),
            ("macOS", "15.3"),
            ("macOS", "26.1"),
            ("iOS", "17.7"),
        ]
        .map(|(platform, text)| {
            let platform = Platform::parse(platform).unwrap();
            update_support(platform, &version(text), &capabilities)
        })
    };
    let reference = with_versions(Some(json!(["1.0.0"])));
    assert!(reference[2].settings && reference[2].enforcement && reference[2].beta);
    assert!(!reference[0].settings && reference[0].enforcement);
    for versions in [
        None,
        Some(json!([])),
        Some(json!(["1.0.0", "2.0.0"])),
        Some(json!(["9.9"])),
        Some(json!("1.0.0")),
    ] {
        assert_eq!(with_versions(versions.clone()), reference, "{versions:?}");
    }
}
