//! The feeds' hardware facts: per model identifier, the OS majors it supports and its board ids
//! (SOFA `Models` and `Devices`), stored beside the release catalog.
//!
//! One row per model; both lists are JSON arrays. Importing folds a feed's facts into the stored
//! ones with [`HardwareCatalog::merged_with`] (a union, so importing the same feed twice changes
//! nothing) in one transaction that bumps the OS-update counter, and is rolled back when nothing
//! changed. The facts are configuration: [`Store::load_os_update_config`] reads them.

use std::collections::{BTreeMap, BTreeSet};

use ringmaster_domain::catalog::hardware::{HardwareCatalog, ModelFacts};

use crate::error::StoreError;
use crate::on_pool;
use crate::os_updates::{bump_os_update_counter, corrupt};
use crate::store::Store;

pub(crate) const SELECT_ALL_MODELS: &str =
    "SELECT model, os_majors, board_ids FROM hardware_models ORDER BY model";

impl Store {
    /// The stored hardware facts.
    pub async fn hardware_catalog(&self) -> Result<HardwareCatalog, StoreError> {
        let rows: Vec<HardwareRow> = on_pool!(self, pool => {
            sqlx::query_as(SELECT_ALL_MODELS).fetch_all(pool).await?
        });
        catalog_of(rows)
    }

    /// Folds `incoming` into the stored facts; answers how many models were added or changed
    /// (0, and nothing written, when the feed adds nothing).
    pub async fn import_hardware(&self, incoming: &HardwareCatalog) -> Result<usize, StoreError> {
        if incoming.is_empty() {
            return Ok(0);
        }
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let revision = bump_os_update_counter!(tx);
            let rows: Vec<HardwareRow> =
                sqlx::query_as(SELECT_ALL_MODELS).fetch_all(&mut *tx).await?;
            let stored = catalog_of(rows)?;
            let merged = stored.merged_with(incoming);
            let changed: Vec<(&String, &ModelFacts)> = merged
                .models()
                .iter()
                .filter(|(model, facts)| stored.model(model) != Some(*facts))
                .collect();
            if changed.is_empty() {
                tx.rollback().await?;
                return Ok(0);
            }
            for (model, facts) in &changed {
                sqlx::query(
                    "INSERT INTO hardware_models (model, os_majors, board_ids, revision) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (model) DO UPDATE SET \
                     os_majors = excluded.os_majors, board_ids = excluded.board_ids, \
                     revision = excluded.revision",
                )
                .bind(model.as_str())
                .bind(json_text(&facts.os_majors))
                .bind(json_text(&facts.board_ids))
                .bind(revision)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(changed.len())
        })
    }
}

/// One stored model.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct HardwareRow {
    model: String,
    os_majors: String,
    board_ids: String,
}

pub(crate) fn catalog_of(rows: Vec<HardwareRow>) -> Result<HardwareCatalog, StoreError> {
    let mut models = BTreeMap::new();
    for row in rows {
        let what = format!("hardware_models/{}", row.model);
        let os_majors: BTreeSet<u32> = serde_json::from_str(&row.os_majors)
            .map_err(|error| corrupt(&what, format!("os_majors: {error}")))?;
        let board_ids: BTreeSet<String> = serde_json::from_str(&row.board_ids)
            .map_err(|error| corrupt(&what, format!("board_ids: {error}")))?;
        models.insert(
            row.model,
            ModelFacts {
                os_majors,
                board_ids,
            },
        );
    }
    Ok(HardwareCatalog::new(models))
}

fn json_text<T: serde::Serialize>(value: &T) -> String {
    // A set of numbers or strings always serializes.
    serde_json::to_string(value).unwrap_or_else(|_| "[]".to_owned())
}
