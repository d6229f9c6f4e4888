//! Fleet generation and statistics: seeds, latency percentiles, endpoint roots.

use super::*;

#[test]
fn a_fleet_is_the_same_for_the_same_seed() {
    let config = FleetConfig {
        early_install_share: 0.3,
        failing_devices: BTreeSet::from([3]),
        ..FleetConfig::new(200)
    };
    let profiles = |config: &FleetConfig| -> Vec<DeviceProfile> {
        Fleet::generate(config)
            .unwrap()
            .devices()
            .iter()
            .map(|device| device.profile().clone())
            .collect()
    };
    let first = profiles(&config);
    assert_eq!(first, profiles(&config));
    assert_ne!(
        first,
        profiles(&FleetConfig {
            seed: 2,
            ..config.clone()
        })
    );
    // A device channel's id, or a user channel's parent (its id is the parent's and the user's).
    let device_channel = |profile: &DeviceProfile| {
        profile
            .parent_id
            .clone()
            .unwrap_or_else(|| profile.enrollment_id.clone())
    };
    assert_eq!(device_channel(&first[0]), "sim-00000");
    assert_eq!(device_channel(&first[199]), "sim-00199");
    let macs = first
        .iter()
        .filter(|profile| profile.platform == Platform::MacOs)
        .count();
    assert!((60..140).contains(&macs), "{macs} Macs of 200");
    let fleet = Fleet::generate(&config).unwrap();
    assert!(fleet.devices()[3].options().fail_install);
    let early = fleet
        .devices()
        .iter()
        .filter(|device| device.options().early_install_fraction.is_some())
        .count();
    assert!((30..90).contains(&early), "{early} early of 200");

    let unusable = FleetConfig {
        early_install_share: 1.5,
        ..FleetConfig::new(3)
    };
    assert!(Fleet::generate(&unusable).is_err());
}

#[test]
fn latency_percentiles_use_the_nearest_rank() {
    let durations = (1..=100).map(std::time::Duration::from_millis).collect();
    let summary = LatencySummary::from_durations(durations);
    assert_eq!(summary.p50, std::time::Duration::from_millis(50));
    assert_eq!(summary.p99, std::time::Duration::from_millis(99));
    assert_eq!(summary.max, std::time::Duration::from_millis(100));
    assert_eq!(LatencySummary::from_durations(Vec::new()).samples, 0);
}

#[test]
fn the_endpoint_root_joins_base_and_prefix() {
    let root = |base: &str, prefix: &str| {
        ServerEndpoint::new(base)
            .with_prefix(prefix)
            .root_url()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        root("http://127.0.0.1:8080", "/ddm/"),
        "http://127.0.0.1:8080/ddm/"
    );
    assert_eq!(root("http://h:1/", "ddm"), "http://h:1/ddm/");
    assert_eq!(root("https://h/mdm/", "/v1/ddm"), "https://h/mdm/v1/ddm/");
    assert_eq!(root("http://h", ""), "http://h/");
    assert!(ServerEndpoint::new("ftp://h").root_url().is_err());
    assert!(ServerEndpoint::new("not a url").root_url().is_err());
    assert_eq!(
        format!("{:?}", BearerSecret::new("hunter2")),
        "BearerSecret(***)"
    );
}
