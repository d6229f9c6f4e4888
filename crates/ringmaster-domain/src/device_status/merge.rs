//! What ringmaster keeps per device, and how a report changes it.
//!
//! - A full report (`FullReport: true`) replaces everything: items and errors.
//! - Otherwise the merge is per status item (boundaries from [`crate::device_status::items`]): an
//!   item in the report replaces the stored item whole, so a key the device dropped from an
//!   object item disappears; items the report does not mention stay.
//! - Errors are kept per item: the report's `Errors` entries replace the stored errors of the
//!   items they name, and an item the report carries again clears its stored errors (it is no
//!   longer failing). The last value an item reported is kept while it is failing.
//!
//! Applying the same report twice is the same as applying it once, and an empty incremental
//! report changes nothing.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::device_status::items::{get_item, into_items, item_name, item_names, set_item};
use crate::device_status::report::{StatusItemError, StatusReport, parse_status_report_value};

/// A device's stored status: the items as a nested tree (the shape of a report's
/// `StatusItems`) and the errors of items it could not report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeviceStatus {
    /// The nested tree of status items.
    pub items: Map<String, Value>,
    /// The latest errors, at most one report's worth per item.
    pub errors: Vec<StatusItemError>,
}

impl DeviceStatus {
    /// Folds a report into the stored status (see the module doc).
    pub fn apply(&mut self, report: StatusReport) {
        if report.full_report {
            self.items = report.items;
            self.errors = report.errors;
            return;
        }
        let mut touched: BTreeSet<String> = BTreeSet::new();
        for (path, value) in into_items(report.items) {
            touched.insert(item_name(&path));
            set_item(&mut self.items, &path, value);
        }
        touched.extend(report.errors.iter().map(|error| error.status_item.clone()));
        self.errors
            .retain(|error| !touched.contains(&error.status_item));
        self.errors.extend(report.errors);
    }

    /// The value of one item by dotted name (`softwareupdate.install-state`), if stored.
    pub fn item(&self, name: &str) -> Option<&Value> {
        get_item(&self.items, name)
    }

    /// The dotted names of the stored items, in stored order.
    pub fn item_names(&self) -> Vec<String> {
        item_names(&self.items)
    }

    /// `{"StatusItems": …, "Errors": […]}`, the form kept in storage (a report's shape without
    /// `FullReport`).
    pub fn to_json(&self) -> Value {
        let errors: Vec<Value> = self.errors.iter().map(StatusItemError::to_json).collect();
        json!({ "StatusItems": self.items, "Errors": errors })
    }

    /// Reads what [`DeviceStatus::to_json`] wrote; the error lists every problem by pointer.
    pub fn from_json(value: &Value) -> Result<DeviceStatus, String> {
        let report = parse_status_report_value(value)
            .map_err(|errors| format!("not a stored device status: {errors}"))?;
        Ok(DeviceStatus {
            items: report.items,
            errors: report.errors,
        })
    }
}
