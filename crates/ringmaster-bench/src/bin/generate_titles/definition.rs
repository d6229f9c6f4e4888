//! One title's definition, patch by patch: versions, release dates, requirements, components,
//! criteria and extension-attribute scripts in the shapes real definitions have.

use super::*;

/// A whole definition with `patch_count` patches, newest first.
pub(super) fn definition(rng: &mut StdRng, shape: &Shape, patch_count: usize) -> Value {
    let versions = versions(rng, shape.scheme, patch_count);
    let dates = release_dates(rng, patch_count);
    let patches: Vec<Value> = versions
        .iter()
        .zip(&dates)
        .map(|(version, &second)| {
            let minimum = minimum_os(second, shape.os_bump);
            patch(rng, shape, version, second, minimum)
        })
        .collect();
    let last_modified = dates.first().map_or(NEWEST_RELEASE_SECOND, |newest| {
        newest + rng.random_range(3_600..3 * DAY)
    });
    let mut object = Map::new();
    object.insert("name".into(), json!(shape.name));
    object.insert("publisher".into(), json!(shape.publisher));
    object.insert("appName".into(), json!(shape.app_name));
    object.insert("bundleId".into(), json!(shape.bundle_id));
    object.insert(
        "lastModified".into(),
        json!(format_time(last_modified, None)),
    );
    if let Some(current) = versions.first() {
        object.insert("currentVersion".into(), json!(current));
    }
    object.insert(
        "requirements".into(),
        Value::Array(requirements(rng, shape)),
    );
    object.insert("patches".into(), Value::Array(patches));
    let attributes: Vec<Value> = shape
        .ea_key
        .iter()
        .map(|key| {
            json!({
                "key": key,
                "value": extension_attribute_script(shape),
                "displayName": format!("{} Version", shape.name),
            })
        })
        .collect();
    object.insert("extensionAttributes".into(), Value::Array(attributes));
    object.insert("id".into(), json!(shape.id));
    Value::Object(object)
}

pub(super) fn requirements(rng: &mut StdRng, shape: &Shape) -> Vec<Value> {
    match (&shape.bundle_id, &shape.ea_key) {
        (Some(bundle_id), _) => {
            let mut criteria = vec![criterion(
                "Application Bundle ID",
                "is",
                bundle_id,
                "recon",
                true,
            )];
            if let Some(app_name) = &shape.app_name
                && rng.random_bool(0.3)
            {
                criteria.push(criterion(
                    "Application Title",
                    "is",
                    app_name,
                    "recon",
                    true,
                ));
            }
            criteria
        }
        (None, Some(key)) => vec![criterion(key, "is not", "", "extensionAttribute", true)],
        (None, None) => Vec::new(),
    }
}

pub(super) fn patch(
    rng: &mut StdRng,
    shape: &Shape,
    version: &str,
    release_second: i64,
    minimum_os: &str,
) -> Value {
    let millis = shape.millis.then(|| rng.random_range(0..1000));
    let mut kill_apps = Vec::new();
    if shape.kill_apps {
        if let (Some(bundle_id), Some(app_name)) = (&shape.bundle_id, &shape.app_name) {
            kill_apps.push(json!({"bundleId": bundle_id, "appName": app_name}));
        }
        if let Some((_, app_name, bundle_id)) = &shape.second_app {
            kill_apps.push(json!({"bundleId": bundle_id, "appName": app_name}));
        }
        if shape.kind == Kind::Browser
            && let (Some(bundle_id), Some(name)) = (&shape.bundle_id, &shape.app_name)
        {
            // Browsers run helper processes that must quit too.
            let helper = name.replace(".app", " Helper.app");
            kill_apps.push(json!({"bundleId": format!("{bundle_id}.helper"), "appName": helper}));
        }
    }
    let mut components = vec![json!({
        "name": shape.name,
        "version": version,
        "criteria": component_criteria(
            shape,
            shape.app_name.as_deref(),
            shape.bundle_id.as_deref(),
            version,
        ),
    })];
    if let Some((name, app_name, bundle_id)) = &shape.second_app {
        components.push(json!({
            "name": name,
            "version": version,
            "criteria": component_criteria(shape, Some(app_name), Some(bundle_id), version),
        }));
    }
    json!({
        "version": version,
        "releaseDate": format_time(release_second, millis),
        "standalone": !rng.random_bool(0.03),
        "minimumOperatingSystem": minimum_os,
        "reboot": rng.random_bool(shape.reboot_chance),
        "killApps": kill_apps,
        "components": components,
        "capabilities": [criterion(
            "Operating System Version",
            "greater than or equal",
            minimum_os,
            "recon",
            true,
        )],
        "dependencies": [],
    })
}

/// The criteria that find one installed version of one component.
pub(super) fn component_criteria(
    shape: &Shape,
    app_name: Option<&str>,
    bundle_id: Option<&str>,
    version: &str,
) -> Vec<Value> {
    let by_app = |and_after_version: bool| -> Vec<Value> {
        bundle_id
            .map(|bundle_id| {
                vec![
                    criterion("Application Bundle ID", "is", bundle_id, "recon", true),
                    criterion(
                        "Application Version",
                        "is",
                        version,
                        "recon",
                        and_after_version,
                    ),
                ]
            })
            .unwrap_or_default()
    };
    let by_attribute = || -> Vec<Value> {
        shape
            .ea_key
            .iter()
            .map(|key| criterion(key, "is", version, "extensionAttribute", true))
            .collect()
    };
    match shape.kind {
        Kind::App | Kind::Suite => by_app(true),
        Kind::Package => by_attribute(),
        // Version by the app's Info.plist, or (`and: false` is "or") by the extension attribute.
        Kind::AppWithFallback => {
            let mut criteria = by_app(false);
            criteria.extend(by_attribute());
            criteria
        }
        // The same, also matching the app's title (a renamed copy is not this browser).
        Kind::Browser => {
            let mut criteria: Vec<Value> = app_name
                .map(|app_name| criterion("Application Title", "is", app_name, "recon", true))
                .into_iter()
                .collect();
            criteria.extend(by_app(false));
            criteria.extend(by_attribute());
            criteria
        }
    }
}

pub(super) fn criterion(name: &str, operator: &str, value: &str, kind: &str, and: bool) -> Value {
    json!({
        "name": name,
        "operator": operator,
        "value": value,
        "type": kind,
        "and": and,
    })
}

/// `count` distinct versions, newest first.
pub(super) fn versions(rng: &mut StdRng, scheme: VersionScheme, count: usize) -> Vec<String> {
    let (mut a, mut b, mut c, mut d): (u32, u32, u32, u32) = match scheme {
        VersionScheme::Semantic => (rng.random_range(1..8), rng.random_range(0..20), 0, 0),
        VersionScheme::TwoPart => (rng.random_range(1..30), rng.random_range(0..10), 0, 0),
        VersionScheme::BrowserLike => (
            rng.random_range(60..90),
            0,
            rng.random_range(3000..4000),
            rng.random_range(0..100),
        ),
        VersionScheme::Yearly => (rng.random_range(2015..2020), rng.random_range(1..4), 0, 0),
    };
    let mut ascending = Vec::with_capacity(count);
    for _ in 0..count {
        ascending.push(match scheme {
            VersionScheme::Semantic => format!("{a}.{b}.{c}"),
            VersionScheme::TwoPart => format!("{a}.{b}"),
            VersionScheme::BrowserLike => format!("{a}.{b}.{c}.{d}"),
            VersionScheme::Yearly => format!("{a}.{b}.{c}"),
        });
        let step: f64 = rng.random();
        match scheme {
            VersionScheme::Semantic => {
                if step < 0.65 {
                    c += 1;
                } else if step < 0.95 {
                    (b, c) = (b + 1, 0);
                } else {
                    (a, b, c) = (a + 1, 0, 0);
                }
            }
            VersionScheme::TwoPart => {
                if step < 0.85 {
                    b += 1;
                } else {
                    (a, b) = (a + 1, 0);
                }
            }
            VersionScheme::BrowserLike => {
                if step < 0.6 {
                    d += rng.random_range(1..60);
                } else if step < 0.9 {
                    (c, d) = (c + rng.random_range(20..200), rng.random_range(0..120));
                } else {
                    (a, c, d) = (
                        a + 1,
                        c + rng.random_range(50..300),
                        rng.random_range(0..50),
                    );
                }
            }
            VersionScheme::Yearly => {
                if step < 0.7 {
                    c += 1;
                } else if b < 4 {
                    (b, c) = (b + 1, 0);
                } else {
                    (a, b, c) = (a + 1, 1, 0);
                }
            }
        }
    }
    ascending.reverse();
    ascending
}

/// `count` release instants (Unix seconds), newest first, a few days to weeks apart.
pub(super) fn release_dates(rng: &mut StdRng, count: usize) -> Vec<i64> {
    let mut second = NEWEST_RELEASE_SECOND - rng.random_range(0..120 * DAY);
    let mut dates = Vec::with_capacity(count);
    for _ in 0..count {
        dates.push(second);
        second -= rng.random_range(3 * DAY..40 * DAY);
    }
    dates
}

/// The minimum macOS of a release: what was still supported in its year.
pub(super) fn minimum_os(release_second: i64, bump: usize) -> &'static str {
    const SYSTEMS: &[&str] = &[
        "10.9", "10.10", "10.11", "10.12", "10.13", "10.14", "10.15", "11.0", "12.0", "13.0",
        "14.0",
    ];
    let year = 1970 + release_second / (365 * DAY + DAY / 4);
    let index = usize::try_from((year - 2013).clamp(0, 8)).unwrap_or(0) + bump;
    SYSTEMS[index.min(SYSTEMS.len() - 1)]
}

pub(super) fn format_time(second: i64, millis: Option<u32>) -> String {
    let timestamp = Timestamp::from_second(second).unwrap_or(Timestamp::UNIX_EPOCH);
    match millis {
        Some(millis) => format!("{}.{millis:03}Z", timestamp.strftime("%Y-%m-%dT%H:%M:%S")),
        None => timestamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    }
}

/// The base64 of a script that reports the installed version to Jamf Pro.
pub(super) fn extension_attribute_script(shape: &Shape) -> String {
    let script = match &shape.app_name {
        Some(app_name) => format!(
            r#"#!/bin/bash
# Reports the installed version of {name} for patch management.
app_path="/Applications/{app_name}"
if [ -d "$app_path" ]; then
    version=$(/usr/bin/defaults read "$app_path/Contents/Info.plist" CFBundleShortVersionString 2>/dev/null)
    echo "<result>${{version}}</result>"
else
    echo "<result></result>"
fi
exit 0
"#,
            name = shape.name,
        ),
        None => format!(
            r#"#!/bin/bash
# Reports the installed version of {name} (installed by package, without an app bundle).
receipt="com.{publisher}.pkg.{id}"
version=$(/usr/sbin/pkgutil --pkg-info "$receipt" 2>/dev/null | /usr/bin/awk '/^version: / {{print $2}}')
if [ -n "$version" ]; then
    echo "<result>${{version}}</result>"
else
    echo "<result></result>"
fi
exit 0
"#,
            name = shape.name,
            publisher = slug(&shape.publisher, true),
            id = shape.id,
        ),
    };
    base64::engine::general_purpose::STANDARD.encode(script)
}
