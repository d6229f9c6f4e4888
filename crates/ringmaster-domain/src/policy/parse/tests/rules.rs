//! The policy parser's rules across fields: install actions against downloads (JumpCloud's
//! message), beta programs, settings kept with a warning, platform spelling.

use serde_json::{Value, json};

use super::*;

fn actions(download: &str, install_os: &str, install_security: &str) -> Value {
    json!({
        "download": download,
        "installOSUpdates": install_os,
        "installSecurityResponse": install_security,
    })
}

#[test]
fn the_three_forbidden_os_install_combinations_are_refused_with_jumpclouds_message() {
    for (download, install, message) in FORBIDDEN {
        // The security install is set to a value compatible with the download setting.
        let document = with(
            full_macos(),
            "/automaticActions",
            actions(download, install, "alwaysOff"),
        );
        assert_eq!(
            errors_of(&document),
            vec![(
                "/automaticActions/installOSUpdates".to_owned(),
                message.to_owned()
            )]
        );
    }
}

#[test]
fn the_same_rule_applies_to_the_security_install() {
    for platform_document in [full_macos(), full_ios()] {
        for (download, install, message) in FORBIDDEN {
            let document = with(
                platform_document.clone(),
                "/automaticActions",
                actions(download, "alwaysOff", install),
            );
            assert_eq!(
                errors_of(&document),
                vec![(
                    "/automaticActions/installSecurityResponse".to_owned(),
                    message.to_owned()
                )]
            );
        }
    }
}

#[test]
fn absent_actions_count_as_user_controlled_in_the_combination_rule() {
    let document = with(
        full_macos(),
        "/automaticActions",
        json!({"installOSUpdates": "alwaysOn", "installSecurityResponse": "alwaysOff"}),
    );
    assert_eq!(
        pointers_of(&document),
        vec!["/automaticActions/installOSUpdates"]
    );
    let document = with(
        full_macos(),
        "/automaticActions",
        json!({"download": "alwaysOff"}),
    );
    assert_eq!(
        pointers_of(&document),
        vec![
            "/automaticActions/installOSUpdates",
            "/automaticActions/installSecurityResponse"
        ]
    );
}

#[test]
fn the_six_other_combinations_are_accepted() {
    let modes = ["userControlled", "alwaysOn", "alwaysOff"];
    let mut accepted = 0;
    for download in modes {
        for install in modes {
            let forbidden = FORBIDDEN
                .iter()
                .any(|(d, i, _)| *d == download && *i == install);
            let document = with(
                full_macos(),
                "/automaticActions",
                actions(download, install, install),
            );
            assert_eq!(
                parse_policy(&document).is_err(),
                forbidden,
                "{download} {install}"
            );
            accepted += usize::from(!forbidden);
        }
    }
    assert_eq!(accepted, 6);
}

#[test]
fn offered_beta_programs_need_an_enrollment_that_allows_them() {
    let programs = json!([{"description": "Beta", "token": "abc"}]);
    for enrollment in ["userAllowed", "alwaysOn"] {
        let document = with(
            with(full_ios(), "/beta/programEnrollment", json!(enrollment)),
            "/beta/offeredPrograms",
            programs.clone(),
        );
        parse_policy(&document).unwrap();
    }
    let document = with(full_ios(), "/beta/offeredPrograms", programs);
    let message = only_error_at(&document, "/beta/offeredPrograms");
    assert!(message.contains("alwaysOff"), "{message}");
    // alwaysOff with no programs is fine (full_ios has it).
    parse_policy(&full_ios()).unwrap();
}

#[test]
fn beta_programs_need_a_description_and_a_unique_token() {
    let document = with(
        full_macos(),
        "/beta/offeredPrograms",
        json!([
            {"description": "A", "token": "same"},
            {"description": " ", "token": "other"},
            {"token": "x"},
            {"description": "D", "token": "same"}
        ]),
    );
    assert_eq!(
        pointers_of(&document),
        vec![
            "/beta/offeredPrograms/1/description",
            "/beta/offeredPrograms/2/description",
            "/beta/offeredPrograms/3/token",
        ]
    );
}

#[test]
fn recommended_cadence_on_macos_is_kept_with_a_warning() {
    let document = with(full_macos(), "/recommendedCadence", json!("newest"));
    let parsed = parse_policy(&document).unwrap();
    assert_eq!(
        parsed.policy.recommended_cadence,
        Some(RecommendedCadence::Newest)
    );
    assert_eq!(parsed.warnings.len(), 1);
    assert_eq!(parsed.warnings[0].pointer, "/recommendedCadence");
    assert!(parsed.warnings[0].message.contains("not sent to macOS"));
    assert_eq!(render_policy(&parsed.policy), document);
    // iOS supports it: no warning.
    assert!(parse_policy(&full_ios()).unwrap().warnings.is_empty());
}

#[test]
fn admins_only_on_ios_is_kept_with_a_warning() {
    let document = with(full_ios(), "/updatePermissions", json!("adminsOnly"));
    let parsed = parse_policy(&document).unwrap();
    assert_eq!(
        parsed.policy.update_permissions,
        UpdatePermissions::AdminsOnly
    );
    assert_eq!(parsed.warnings.len(), 1);
    assert_eq!(parsed.warnings[0].pointer, "/updatePermissions");
}

#[test]
fn platform_spelling_is_case_insensitive_and_rendered_canonically() {
    let policy = parse_policy(&with(full_macos(), "/platform", json!("MACOS")))
        .unwrap()
        .policy;
    assert_eq!(render_policy(&policy), full_macos());
}
