//! Tokens and fetch planning: what a sync fetches, drops and keeps.

use super::*;

#[test]
fn the_first_sync_fetches_everything_and_an_unchanged_token_fetches_nothing() {
    let server = FakeServer::ringmaster(Platform::MacOs, true);
    let mut device = mac();
    let first = sync(&mut device, &server, at("2026-01-10T00:00:00Z"));
    assert!(first.fetched_items);
    assert_eq!(first.plan.fetch.len(), 4, "{:?}", first.plan);
    assert!(first.plan.drop.is_empty());
    assert_eq!(
        device.declarations_token(),
        Some(server.tokens().declarations_token.as_str())
    );

    assert!(!device.needs_declaration_items(&server.tokens()));
    let second = sync(&mut device, &server, at("2026-01-11T00:00:00Z"));
    assert!(!second.fetched_items);
    assert!(second.plan.fetch.is_empty());
    assert!(
        device.plan_fetches(&server.items()).fetch.is_empty(),
        "nothing is new even if the items were read again"
    );
}

#[test]
fn changed_items_fetch_only_what_changed_and_drop_what_is_no_longer_listed() {
    let before = FakeServer::ringmaster(Platform::MacOs, true);
    let mut device = mac();
    sync(&mut device, &before, at("2026-01-10T00:00:00Z"));
    assert!(device.declaration(&enforcement_key()).is_some());

    // New settings, no enforcement: the activation changes with it, subscriptions do not.
    let after = FakeServer::from_set(&device_declaration_set(
        Platform::MacOs,
        &minimal_settings(),
        None,
    ));
    assert!(device.needs_declaration_items(&after.tokens()));
    let plan = device.plan_fetches(&after.items());
    assert_eq!(plan.fetch, vec![activation_key(), settings_key()]);
    assert_eq!(plan.drop, vec![enforcement_key()]);

    let result = sync(&mut device, &after, at("2026-01-11T00:00:00Z"));
    assert_eq!(result.plan, plan);
    assert!(device.declaration(&enforcement_key()).is_none());
    assert_eq!(declaration_status(&device, &enforcement_key()), Value::Null);
    let settings = device.declaration(&settings_key()).unwrap();
    assert_eq!(
        settings.server_token(),
        after.items().items[&settings_key()]
    );
    assert!(
        device.pending_install().is_none(),
        "the enforcement went away"
    );
    assert_eq!(device.declarations().count(), 3);
}

#[test]
fn a_kind_change_under_the_same_identifier_is_a_drop_and_a_fetch() {
    let first = FakeServer::default().with(activation_of(&[]));
    let mut device = mac();
    sync(&mut device, &first, at("2026-01-10T00:00:00Z"));
    let mut moved = activation_of(&[]);
    moved["Type"] = json!("com.apple.management.properties");
    moved["Payload"] = json!({});
    let second = FakeServer::default().with(moved);
    let plan = device.plan_fetches(&second.items());
    assert_eq!(
        plan.fetch,
        vec![DeclarationKey::new(
            DeclarationKind::Management,
            ACTIVATION_IDENTIFIER
        )]
    );
    assert_eq!(plan.drop, vec![activation_key()]);
}
