//! Property tests of the status merge: any sequence of reports merges as Apple describes
//! (incremental items replace whole, full reports replace everything, errors per item).

use proptest::prelude::*;

use super::*;

/// Item names without prefix conflicts: every known item, and unknown leaves beside them.
const UNKNOWN_ITEMS: [&str; 5] = [
    "vendor.alpha",
    "vendor.beta.gamma",
    "test.leaf",
    "device.operating-system.codename",
    "softwareupdate.future-item",
];

fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        "[a-z0-9.-]{0,8}".prop_map(Value::String),
    ]
}

/// Any value but an object (what an unknown item can be and still be one item).
fn arb_non_object() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => arb_leaf(),
        1 => prop::collection::vec(arb_leaf(), 0..3).prop_map(Value::Array),
    ]
}

fn arb_any() -> impl Strategy<Value = Value> {
    prop_oneof![
        2 => arb_non_object(),
        2 => prop::collection::btree_map("[a-z-]{1,8}", arb_non_object(), 0..4)
            .prop_map(|map| Value::Object(map.into_iter().collect())),
    ]
}

fn arb_item() -> impl Strategy<Value = (String, Value)> {
    prop_oneof![
        (prop::sample::select(KNOWN_STATUS_ITEMS.to_vec()), arb_any())
            .prop_map(|(name, value)| (name.to_owned(), value)),
        (
            prop::sample::select(UNKNOWN_ITEMS.to_vec()),
            arb_non_object()
        )
            .prop_map(|(name, value)| (name.to_owned(), value)),
    ]
}

fn arb_error() -> impl Strategy<Value = (String, String)> {
    let names: Vec<&str> = KNOWN_STATUS_ITEMS
        .iter()
        .chain(&UNKNOWN_ITEMS)
        .copied()
        .collect();
    (prop::sample::select(names), "Error\\.[A-C]").prop_map(|(name, code)| (name.to_owned(), code))
}

#[derive(Debug, Clone)]
struct Sent {
    items: Vec<(String, Value)>,
    errors: Vec<(String, String)>,
    full_report: bool,
}

impl Sent {
    fn report(&self) -> StatusReport {
        let items: Vec<(&str, Value)> = self
            .items
            .iter()
            .map(|(name, value)| (name.as_str(), value.clone()))
            .collect();
        let errors: Vec<(&str, &str)> = self
            .errors
            .iter()
            .map(|(name, code)| (name.as_str(), code.as_str()))
            .collect();
        let built = with_errors(report(&items, self.full_report), &errors);
        // Through the wire and back, as a device would send it.
        parse(&built.to_json())
    }
}

fn arb_sent(full_report: bool) -> impl Strategy<Value = Sent> {
    (
        prop::collection::vec(arb_item(), 0..6),
        prop::collection::vec(arb_error(), 0..3),
    )
        .prop_map(move |(items, errors)| Sent {
            items,
            errors,
            full_report,
        })
}

/// Errors as a comparable multiset.
fn sorted_errors(errors: &[StatusItemError]) -> Vec<String> {
    let mut texts: Vec<String> = errors.iter().map(|e| e.to_json().to_string()).collect();
    texts.sort();
    texts
}

proptest! {
    #[test]
    fn merging_equals_replaying_items_in_order(
        full in arb_sent(true),
        incrementals in prop::collection::vec(arb_sent(false), 0..5),
    ) {
        let mut status = DeviceStatus::default();
        let mut items: BTreeMap<String, Value> = BTreeMap::new();
        let mut errors: BTreeMap<String, Vec<StatusItemError>> = BTreeMap::new();
        for sent in std::iter::once(&full).chain(&incrementals) {
            let report = sent.report();
            if sent.full_report {
                items.clear();
                errors.clear();
            }
            for (name, _) in &sent.items {
                errors.remove(name);
            }
            for (name, _) in &sent.errors {
                errors.remove(name);
            }
            for error in &report.errors {
                errors.entry(error.status_item.clone()).or_default().push(error.clone());
            }
            items.extend(sent.items.iter().cloned());
            status.apply(report);
        }
        let model: Vec<(&str, Value)> =
            items.iter().map(|(name, value)| (name.as_str(), value.clone())).collect();
        let expected = report_json(&model, false);
        prop_assert_eq!(&Value::Object(status.items.clone()), &expected["StatusItems"]);
        for (name, value) in &items {
            prop_assert_eq!(status.item(name), Some(value));
        }
        let expected_errors: Vec<StatusItemError> = errors.into_values().flatten().collect();
        prop_assert_eq!(sorted_errors(&status.errors), sorted_errors(&expected_errors));
        prop_assert_eq!(DeviceStatus::from_json(&status.to_json()), Ok(status));
    }

    #[test]
    fn an_empty_incremental_report_changes_nothing(
        full in arb_sent(true),
        incrementals in prop::collection::vec(arb_sent(false), 0..3),
    ) {
        let mut status = status_from(
            std::iter::once(&full).chain(&incrementals).map(Sent::report),
        );
        let before = status.clone();
        status.apply(parse_status_report(br#"{"StatusItems": {}, "Errors": []}"#).unwrap());
        prop_assert_eq!(&status, &before);
        status.apply(parse_status_report(b"{}").unwrap());
        prop_assert_eq!(status, before);
    }

    #[test]
    fn applying_a_report_twice_equals_once(
        full in arb_sent(true),
        incrementals in prop::collection::vec(arb_sent(false), 0..3),
        again in prop_oneof![arb_sent(false), arb_sent(true)],
    ) {
        let mut status = status_from(
            std::iter::once(&full).chain(&incrementals).map(Sent::report),
        );
        status.apply(again.report());
        let once = status.clone();
        status.apply(again.report());
        prop_assert_eq!(status, once);
    }
}
