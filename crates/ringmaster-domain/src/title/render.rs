//! Model → the JSON Jamf Pro reads, built by hand so a change to the model cannot silently
//! change the wire.
//!
//! Jamf's rules kept here: no `null` anywhere in what Jamf Pro is served; `currentVersion` derived
//! (see [`TitleRecord::current_version`]); `lastModified` as `YYYY-MM-DDTHH:MM:SSZ`; release dates in
//! strict ISO-8601 with their milliseconds; versions exactly as given; patches in curator order;
//! keys in the order of Jamf's own feed, followed by any extra keys the definition carried.
//! Keys a definition leaves out: `killApps`, `extensionAttributes` are served as `[]` (Jamf's feed
//! and PatchServer always carried them); `dependencies` stays out (PatchServer never served it);
//! a criterion's `and` stays out.

use serde_json::{Map, Value, json};

use crate::jamf_time::{format_last_modified, format_release_date};
use crate::title::model::{
    Component, Criterion, ExtensionAttribute, ExtraFields, KillApp, Patch, SoftwareTitle,
};
use crate::title::record::TitleRecord;

/// What `GET /v1/patch/{id}` serves: enabled patches only.
pub fn feed_title(record: &TitleRecord) -> Value {
    let served: Vec<&Patch> = record.served_patches().collect();
    title_object(record, &served, NullNames::AsEmptyString)
}

/// One entry of `GET /v1/software`; agrees with [`feed_title`] of the same record.
pub fn feed_summary(record: &TitleRecord) -> Value {
    let definition = &record.definition;
    json!({
        "name": definition.name,
        "publisher": definition.publisher,
        "lastModified": format_last_modified(record.last_modified),
        "currentVersion": record.current_version().unwrap_or_default(),
        "id": definition.id.as_str(),
    })
}

/// The whole definition, disabled patches included, as admins read, back up and submit it.
/// `appName`/`bundleId` given as `null` stay `null` here so the definition round-trips.
/// With every patch disabled there is no `currentVersion`, and the key is left out:
/// `""` would name no patch, and the definition could not be submitted (or restored) again.
pub fn definition(record: &TitleRecord) -> Value {
    let all: Vec<&Patch> = record.definition.patches.iter().collect();
    let mut object = title_object(record, &all, NullNames::AsNull);
    if record.current_version().is_none()
        && let Value::Object(map) = &mut object
    {
        map.shift_remove("currentVersion");
    }
    object
}

/// A bare definition (no record yet), as `title lint` shows it normalized.
pub fn bare_definition(title: &SoftwareTitle) -> Value {
    let mut object = Map::new();
    insert_names(&mut object, title, NullNames::AsNull);
    object.insert("requirements".into(), criteria(&title.requirements));
    object.insert(
        "patches".into(),
        Value::Array(title.patches.iter().map(patch).collect()),
    );
    object.insert("extensionAttributes".into(), extension_attributes(title));
    object.insert("id".into(), Value::String(title.id.to_string()));
    append_extra(&mut object, &title.extra);
    Value::Object(object)
}

/// One patch object, as `POST /api/v1/title/{id}/version` takes it.
pub fn patch(patch: &Patch) -> Value {
    let mut object = Map::new();
    object.insert("version".into(), Value::String(patch.version.clone()));
    object.insert(
        "releaseDate".into(),
        Value::String(format_release_date(patch.release_date)),
    );
    object.insert("standalone".into(), Value::Bool(patch.standalone));
    object.insert(
        "minimumOperatingSystem".into(),
        Value::String(patch.minimum_operating_system.clone()),
    );
    object.insert("reboot".into(), Value::Bool(patch.reboot));
    object.insert(
        "killApps".into(),
        Value::Array(patch.kill_apps.iter().map(kill_app).collect()),
    );
    object.insert(
        "components".into(),
        Value::Array(patch.components.iter().map(component).collect()),
    );
    object.insert("capabilities".into(), criteria(&patch.capabilities));
    if let Some(dependencies) = &patch.dependencies {
        object.insert("dependencies".into(), Value::Array(dependencies.clone()));
    }
    append_extra(&mut object, &patch.extra);
    Value::Object(object)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NullNames {
    AsEmptyString,
    AsNull,
}

fn title_object(record: &TitleRecord, patches: &[&Patch], null_names: NullNames) -> Value {
    let title = &record.definition;
    let mut object = Map::new();
    insert_names(&mut object, title, null_names);
    object.insert(
        "lastModified".into(),
        Value::String(format_last_modified(record.last_modified)),
    );
    object.insert(
        "currentVersion".into(),
        Value::String(record.current_version().unwrap_or_default().to_owned()),
    );
    object.insert("requirements".into(), criteria(&title.requirements));
    object.insert(
        "patches".into(),
        Value::Array(patches.iter().map(|each| patch(each)).collect()),
    );
    object.insert("extensionAttributes".into(), extension_attributes(title));
    object.insert("id".into(), Value::String(title.id.to_string()));
    append_extra(&mut object, &title.extra);
    Value::Object(object)
}

fn insert_names(object: &mut Map<String, Value>, title: &SoftwareTitle, null_names: NullNames) {
    let optional = |text: &Option<String>| match (text, null_names) {
        (Some(text), _) => Value::String(text.clone()),
        (None, NullNames::AsEmptyString) => Value::String(String::new()),
        (None, NullNames::AsNull) => Value::Null,
    };
    object.insert("name".into(), Value::String(title.name.clone()));
    object.insert("publisher".into(), Value::String(title.publisher.clone()));
    object.insert("appName".into(), optional(&title.app_name));
    object.insert("bundleId".into(), optional(&title.bundle_id));
}

fn extension_attributes(title: &SoftwareTitle) -> Value {
    Value::Array(
        title
            .extension_attributes
            .iter()
            .map(extension_attribute)
            .collect(),
    )
}

fn extension_attribute(attribute: &ExtensionAttribute) -> Value {
    let mut object = Map::new();
    object.insert("key".into(), Value::String(attribute.key.clone()));
    object.insert("value".into(), Value::String(attribute.value.clone()));
    object.insert(
        "displayName".into(),
        Value::String(attribute.display_name.clone()),
    );
    append_extra(&mut object, &attribute.extra);
    Value::Object(object)
}

fn kill_app(kill_app: &KillApp) -> Value {
    let mut object = Map::new();
    object.insert("bundleId".into(), Value::String(kill_app.bundle_id.clone()));
    object.insert("appName".into(), Value::String(kill_app.app_name.clone()));
    append_extra(&mut object, &kill_app.extra);
    Value::Object(object)
}

fn component(component: &Component) -> Value {
    let mut object = Map::new();
    object.insert("name".into(), Value::String(component.name.clone()));
    object.insert("version".into(), Value::String(component.version.clone()));
    object.insert("criteria".into(), criteria(&component.criteria));
    append_extra(&mut object, &component.extra);
    Value::Object(object)
}

fn criteria(criteria: &[Criterion]) -> Value {
    Value::Array(criteria.iter().map(criterion).collect())
}

fn criterion(criterion: &Criterion) -> Value {
    let mut object = Map::new();
    object.insert("name".into(), Value::String(criterion.name.clone()));
    object.insert("operator".into(), Value::String(criterion.operator.clone()));
    object.insert("value".into(), Value::String(criterion.value.clone()));
    object.insert("type".into(), Value::String(criterion.kind.as_str().into()));
    if let Some(and) = criterion.and {
        object.insert("and".into(), Value::Bool(and));
    }
    append_extra(&mut object, &criterion.extra);
    Value::Object(object)
}

fn append_extra(object: &mut Map<String, Value>, extra: &ExtraFields) {
    for (key, value) in extra {
        object.entry(key.clone()).or_insert_with(|| value.clone());
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use ringmaster_testing::json::{keys, null_pointers};
    use serde_json::json;

    use super::*;
    use crate::title::edit;
    use crate::title::parse;
    use crate::title::test_support::{T0, at, fixture, fixture_title, record};

    fn served_versions(feed: &Value) -> Vec<&str> {
        feed["patches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|patch| patch["version"].as_str().unwrap())
            .collect()
    }

    fn assert_no_nulls(value: &Value) {
        let found = null_pointers(value);
        assert!(found.is_empty(), "null served at {found:?}");
    }

    #[test]
    fn disabled_patches_are_not_served_but_kept_in_the_definition() {
        let mut record = record(&["3.0", "2.0", "1.0"]);
        edit::set_patch_enabled(&mut record, "3.0", false, at(T0)).unwrap();
        edit::set_patch_enabled(&mut record, "1.0", false, at(T0)).unwrap();

        let feed = feed_title(&record);
        assert_eq!(served_versions(&feed), ["2.0"]);
        assert_eq!(feed["currentVersion"], "2.0");

        let definition = definition(&record);
        assert_eq!(served_versions(&definition), ["3.0", "2.0", "1.0"]);
        assert_eq!(definition["currentVersion"], "2.0");
        assert_eq!(
            parse::software_title(&definition).unwrap(),
            record.definition
        );
    }

    #[test]
    fn the_feed_serves_the_pin_as_current_version() {
        let mut record = record(&["3.0", "2.0", "1.0"]);
        edit::pin_current_version(&mut record, "2.0", at(T0)).unwrap();
        let feed = feed_title(&record);
        assert_eq!(feed["currentVersion"], "2.0");
        assert_eq!(served_versions(&feed), ["3.0", "2.0", "1.0"]);
        assert_eq!(feed_summary(&record)["currentVersion"], "2.0");
    }

    #[test]
    fn null_names_are_served_as_empty_strings_and_kept_null_in_the_definition() {
        let record = TitleRecord::new(fixture_title("JavaSEDevelopmentKit8"), at(T0));
        let feed = feed_title(&record);
        assert_no_nulls(&feed);
        assert_eq!(
            (&feed["appName"], &feed["bundleId"]),
            (&json!(""), &json!(""))
        );

        let definition = definition(&record);
        assert_eq!(
            (&definition["appName"], &definition["bundleId"]),
            (&Value::Null, &Value::Null)
        );
        assert_eq!(bare_definition(&record.definition)["appName"], Value::Null);
    }

    #[test]
    fn the_feed_has_jamfs_keys_in_jamfs_order() {
        let feed = feed_title(&TitleRecord::new(fixture_title("JamfAdmin"), at(T0)));
        assert_eq!(
            keys(&feed),
            [
                "name",
                "publisher",
                "appName",
                "bundleId",
                "lastModified",
                "currentVersion",
                "requirements",
                "patches",
                "extensionAttributes",
                "id",
            ]
        );
        assert_eq!(
            keys(&feed["patches"][0]),
            [
                "version",
                "releaseDate",
                "standalone",
                "minimumOperatingSystem",
                "reboot",
                "killApps",
                "components",
                "capabilities",
                "dependencies",
            ]
        );
        let summary = feed_summary(&TitleRecord::new(fixture_title("JamfAdmin"), at(T0)));
        assert_eq!(
            keys(&summary),
            ["name", "publisher", "lastModified", "currentVersion", "id"]
        );
    }

    #[test]
    fn a_bare_definition_and_a_patch_parse_back_to_themselves() {
        let title = fixture_title("JavaSEDevelopmentKit8");
        let bare = bare_definition(&title);
        assert!(bare.get("lastModified").is_none() && bare.get("currentVersion").is_none());
        assert_eq!(parse::software_title(&bare).unwrap(), title);

        let lone = parse::patch_from_slice(&fixture("versions/JamfAdmin-10.3.0.json")).unwrap();
        let written = patch(&lone).to_string();
        assert_eq!(parse::patch_from_slice(written.as_bytes()).unwrap(), lone);
    }

    #[test]
    fn a_title_with_every_patch_disabled_still_round_trips() {
        let mut record = record(&["2.0", "1.0"]);
        edit::set_patch_enabled(&mut record, "2.0", false, at(T0)).unwrap();
        edit::set_patch_enabled(&mut record, "1.0", false, at(T0)).unwrap();
        let definition = definition(&record);
        assert_no_nulls(&definition);
        assert!(
            definition.get("currentVersion").is_none(),
            "there is no current version"
        );
        assert_eq!(
            parse::software_title(&definition).map_err(|errors| errors.to_string()),
            Ok(record.definition.clone()),
            "a backup of this title must restore"
        );
    }

    #[derive(Debug, Clone)]
    enum Op {
        Disable(usize),
        Enable(usize),
        Pin(usize),
        Unpin,
        Remove(usize),
        TitleEnabled(bool),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..5usize).prop_map(Op::Disable),
            (0..5usize).prop_map(Op::Enable),
            (0..5usize).prop_map(Op::Pin),
            Just(Op::Unpin),
            (0..5usize).prop_map(Op::Remove),
            any::<bool>().prop_map(Op::TitleEnabled),
        ]
    }

    const VERSIONS: [&str; 5] = ["5.0", "4.1", "4.0", "3.2.1", "1.0 (100)"];

    proptest! {
        #[test]
        fn summary_and_feed_agree_whatever_admins_do(ops in proptest::collection::vec((op(), 0i64..3), 0..25)) {
            let mut record = record(&VERSIONS);
            let mut now = at(T0);
            for (op, seconds_later) in ops {
                now = now.checked_add(jiff::SignedDuration::from_secs(seconds_later)).unwrap();
                let before = record.clone();
                let result = match op {
                    Op::Disable(index) => edit::set_patch_enabled(&mut record, VERSIONS[index], false, now),
                    Op::Enable(index) => edit::set_patch_enabled(&mut record, VERSIONS[index], true, now),
                    Op::Pin(index) => edit::pin_current_version(&mut record, VERSIONS[index], now),
                    Op::Unpin => Ok(edit::unpin_current_version(&mut record, now)),
                    Op::Remove(index) => edit::remove_patch(&mut record, VERSIONS[index], now),
                    Op::TitleEnabled(enabled) => Ok(edit::set_title_enabled(&mut record, enabled, now)),
                };
                match result {
                    Ok(edit::Outcome::Changed) => {
                        prop_assert!(record.last_modified > before.last_modified);
                        prop_assert_ne!(&record, &before);
                    }
                    Ok(edit::Outcome::Unchanged) | Err(_) => prop_assert_eq!(&record, &before),
                }

                let feed = feed_title(&record);
                let summary = feed_summary(&record);
                for key in ["name", "publisher", "lastModified", "currentVersion", "id"] {
                    prop_assert_eq!(&summary[key], &feed[key], "{} differs", key);
                }
                prop_assert_eq!(summary.as_object().unwrap().len(), 5);
                let found = null_pointers(&feed);
                prop_assert!(found.is_empty(), "null served at {:?}", found);

                let served = served_versions(&feed);
                let current = feed["currentVersion"].as_str().unwrap();
                match &record.pinned_version {
                    Some(pinned) => prop_assert_eq!(current, pinned.as_str()),
                    None => prop_assert_eq!(current, served.first().copied().unwrap_or("")),
                }
                if record.is_served() {
                    prop_assert!(served.contains(&current), "{} is not served", current);
                }
                prop_assert!(served.iter().all(|version| record.is_patch_enabled(version)));
                let in_order: Vec<&str> = VERSIONS.iter().copied().filter(|version| served.contains(version)).collect();
                prop_assert_eq!(served, in_order, "curator order is kept");

                let definition = definition(&record);
                prop_assert_eq!(
                    parse::software_title(&definition).map_err(|errors| errors.to_string()),
                    Ok(record.definition.clone())
                );
            }
        }
    }
}
