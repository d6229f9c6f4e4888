//! The tables `ringmaster migrate` copies, each row as its raw columns, and the SQL that reads
//! and writes them on either backend.
//!
//! One type per table (`table!`) names the table, its columns in order and whether its `id` is
//! an identity column on PostgreSQL (`GENERATED ALWAYS AS IDENTITY`, so explicit ids need
//! `OVERRIDING SYSTEM VALUE` and the sequence a reset afterwards). Rows derive `Ord` with their
//! key columns first, so sorting them in Rust gives one order on both backends whatever the
//! database's collation. Rows are also the records of a backup's table files (serde, one JSON
//! object per row keyed by column name; see `backup`). [`read_rows!`] and [`insert_rows!`] expand inside an
//! [`on_pool!`](crate::on_pool) body, once per backend; inserts go [`ROWS_PER_STATEMENT`] rows
//! (and at most [`MAX_PARAMETERS`] parameters) a statement.

use crate::os_updates::{ROWS_PER_STATEMENT, values_list};

/// The parameter budget of one statement: [`ROWS_PER_STATEMENT`] rows of the store's widest
/// multi-row inserts (7 columns). Wider rows (devices, titles, releases) go fewer a statement.
pub(super) const MAX_PARAMETERS: usize = 700;

/// One column value of a row being written.
#[derive(Debug, Clone, Copy)]
pub(super) enum Cell<'a> {
    Text(&'a str),
    NullableText(Option<&'a str>),
    BigInt(i64),
    NullableBigInt(Option<i64>),
    NullableInt(Option<i32>),
    Boolean(bool),
}

/// How a field of a row type is bound.
pub(super) trait ToCell {
    fn cell(&self) -> Cell<'_>;
}

impl ToCell for String {
    fn cell(&self) -> Cell<'_> {
        Cell::Text(self)
    }
}

impl ToCell for Option<String> {
    fn cell(&self) -> Cell<'_> {
        Cell::NullableText(self.as_deref())
    }
}

impl ToCell for i64 {
    fn cell(&self) -> Cell<'_> {
        Cell::BigInt(*self)
    }
}

impl ToCell for Option<i64> {
    fn cell(&self) -> Cell<'_> {
        Cell::NullableBigInt(*self)
    }
}

impl ToCell for Option<i32> {
    fn cell(&self) -> Cell<'_> {
        Cell::NullableInt(*self)
    }
}

impl ToCell for bool {
    fn cell(&self) -> Cell<'_> {
        Cell::Boolean(*self)
    }
}

/// A copied table: its name, columns and how a row is bound.
pub(super) trait Table {
    const NAME: &'static str;
    const COLUMNS: &'static [&'static str];
    /// Whether `id` is `GENERATED ALWAYS AS IDENTITY` on PostgreSQL.
    const IDENTITY: bool;

    /// The row's values in [`Table::COLUMNS`] order.
    fn cells(&self) -> Vec<Cell<'_>>;

    fn select() -> String {
        format!("SELECT {} FROM {}", Self::COLUMNS.join(", "), Self::NAME)
    }

    /// A multi-row insert of `rows` rows; explicit identity values on PostgreSQL need
    /// `OVERRIDING SYSTEM VALUE`.
    fn insert(rows: usize, postgres: bool) -> String {
        let overriding = if Self::IDENTITY && postgres {
            " OVERRIDING SYSTEM VALUE"
        } else {
            ""
        };
        format!(
            "INSERT INTO {} ({}){overriding} VALUES {}",
            Self::NAME,
            Self::COLUMNS.join(", "),
            values_list(rows, Self::COLUMNS.len())
        )
    }

    /// Rows per insert statement: [`ROWS_PER_STATEMENT`], fewer for wide rows.
    fn rows_per_statement() -> usize {
        ROWS_PER_STATEMENT
            .min(MAX_PARAMETERS / Self::COLUMNS.len())
            .max(1)
    }
}

/// Declares a row type for a table: fields are the columns, in the order written.
macro_rules! table {
    (
        $(#[$meta:meta])*
        $name:ident = $table:literal, identity: $identity:literal {
            $($field:ident: $type:ty),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, PartialEq, Eq, PartialOrd, Ord, sqlx::FromRow,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $(pub(crate) $field: $type),+
        }

        impl Table for $name {
            const NAME: &'static str = $table;
            const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),+];
            const IDENTITY: bool = $identity;

            fn cells(&self) -> Vec<Cell<'_>> {
                vec![$(self.$field.cell()),+]
            }
        }
    };
}

table! {
    /// A software title: its definition JSON and admin state, as stored.
    RawTitle = "titles", identity: false {
        id: String,
        name: String,
        publisher: String,
        enabled: bool,
        pinned_version: Option<String>,
        disabled_versions: String,
        last_modified: String,
        definition: String,
        revision: i64,
        created_at: String,
    }
}

table! {
    /// An admin token: its hash, role, scope and dates. Backups made before migration 0008 lack
    /// `titles`, `expires_at` and `last_used_at`: they read as absent (every title, no expiry).
    RawToken = "api_tokens", identity: true {
        id: i64,
        name: String,
        token_hash: String,
        role: String,
        created_at: String,
        revoked_at: Option<String>,
        titles: Option<String>,
        expires_at: Option<String>,
        last_used_at: Option<String>,
    }
}

table! {
    /// A release of the catalog, keyed by platform, version key and build.
    RawRelease = "os_releases", identity: false {
        platform: String,
        version_key: String,
        build: String,
        version: String,
        released_on: String,
        first_seen_at: Option<String>,
        expires_on: Option<String>,
        supported_devices: String,
        security: Option<String>,
        prerequisite_build: Option<String>,
        source: String,
        revision: i64,
    }
}

table! {
    /// A policy group (a default ring when it has a ring order).
    RawPolicyGroup = "update_policy_groups", identity: true {
        id: i64,
        name: String,
        ring_order: Option<i32>,
        created_at: String,
    }
}

table! {
    /// An update policy: its API document as stored.
    RawPolicy = "update_policies", identity: true {
        id: i64,
        name: String,
        platform: String,
        document: String,
        group_id: Option<i64>,
        revision: i64,
        created_at: String,
        updated_at: String,
    }
}

table! {
    /// A device, by enrollment id.
    RawDevice = "devices", identity: false {
        id: String,
        platform: Option<String>,
        os_version: Option<String>,
        os_build: Option<String>,
        model: Option<String>,
        created_at: String,
        updated_at: String,
        last_check_in_at: Option<String>,
        software_update_device_id: Option<String>,
        enrollment_type: Option<String>,
        client_configurations: Option<String>,
    }
}

table! {
    /// What the feeds say about one model identifier (OS majors, board ids; JSON arrays).
    RawHardwareModel = "hardware_models", identity: false {
        model: String,
        os_majors: String,
        board_ids: String,
        revision: i64,
    }
}

table! {
    /// A device group (its members are [`RawMember`]s).
    RawDeviceGroup = "device_groups", identity: true {
        id: i64,
        name: String,
        revision: i64,
        created_at: String,
        updated_at: String,
    }
}

table! {
    /// One device in one device group.
    RawMember = "device_group_members", identity: false {
        group_id: i64,
        device_id: String,
    }
}

table! {
    /// A policy or policy group applied to a device or device group.
    RawBinding = "update_bindings", identity: false {
        policy_id: Option<i64>,
        policy_group_id: Option<i64>,
        device_id: Option<String>,
        device_group_id: Option<i64>,
    }
}

table! {
    /// The declaration set a device was last served (DDM).
    RawServedSet = "ddm_served", identity: false {
        device_id: String,
        declarations_token: String,
        declarations: String,
        served_at: String,
        notified_token: Option<String>,
    }
}

table! {
    /// A device's merged status reports (DDM).
    RawDeviceStatus = "device_status", identity: false {
        device_id: String,
        status: String,
        reports: i64,
        updated_at: String,
        last_full_report_at: Option<String>,
    }
}

table! {
    /// A legacy update mechanism recorded against a device.
    RawLegacyMechanism = "legacy_mechanisms", identity: false {
        device_id: String,
        kind: String,
        name: String,
        recorded_at: String,
    }
}

table! {
    /// A webhook (PatchServer's): where title events are POSTed.
    RawWebhook = "webhooks", identity: true {
        id: i64,
        url: String,
        enabled: bool,
        verify_ssl: bool,
        send_definition: bool,
        created_at: String,
    }
}

table! {
    /// An audit log entry (`crate::audit`).
    RawAuditEntry = "audit_log", identity: true {
        id: i64,
        occurred_at: i64,
        actor_kind: String,
        token_id: Option<i64>,
        actor: String,
        client_address: Option<String>,
        action: String,
        object_kind: Option<String>,
        object_id: Option<String>,
        outcome: String,
        status: Option<i64>,
        before_summary: Option<String>,
        after_summary: Option<String>,
    }
}

table! {
    /// A release blocked everywhere (migration 0010).
    RawBlockedRelease = "blocked_releases", identity: false {
        platform: String,
        version_key: String,
        version: String,
        reason: String,
        blocked_by: Option<String>,
        blocked_at: String,
    }
}

table! {
    /// A device's exemption from enforcement (migration 0010).
    RawDeviceExemption = "device_exemptions", identity: true {
        id: i64,
        device_id: String,
        until_at: String,
        reason: String,
        created_by: Option<String>,
        created_at: String,
    }
}

table! {
    /// A ring's or a policy's latest pause (migration 0011).
    RawRolloutPause = "rollout_pauses", identity: false {
        policy_id: Option<i64>,
        policy_group_id: Option<i64>,
        reason: String,
        paused_by: Option<String>,
        paused_at: String,
        until_at: Option<String>,
        resumed_by: Option<String>,
        resumed_at: Option<String>,
    }
}

table! {
    /// A policy group's health gate (migration 0012).
    RawGate = "policy_group_gates", identity: false {
        group_id: i64,
        after_group_id: i64,
        min_installed_percent: i64,
        max_failed_percent: i64,
        min_days: i64,
    }
}

table! {
    /// What an evaluation round recorded for a gated group and a release (migration 0012).
    RawGateEvaluation = "gate_evaluations", identity: false {
        group_id: i64,
        platform: String,
        version_key: String,
        version: String,
        installed_percent: i64,
        failed_percent: i64,
        days: i64,
        evaluated_at: String,
        opened_at: Option<String>,
    }
}

table! {
    /// A release halted for the rings after a group (migration 0012).
    RawReleaseHalt = "release_halts", identity: false {
        platform: String,
        version_key: String,
        version: String,
        group_id: i64,
        failed_percent: i64,
        halted_at: String,
    }
}

/// Every row of table `$type`, sorted (keys first), read through `$executor`.
macro_rules! read_rows {
    ($executor:expr, $type:ty) => {{
        let mut rows: Vec<$type> = sqlx::query_as(sqlx::AssertSqlSafe(<$type as Table>::select()))
            .fetch_all($executor)
            .await?;
        rows.sort_unstable();
        rows
    }};
}
pub(super) use read_rows;

/// Inserts `$rows` (a slice of one row type) in transaction `$tx`, in multi-row statements.
macro_rules! insert_rows {
    ($tx:ident, $postgres:expr, $type:ty, $rows:expr) => {
        for chunk in $rows.chunks(<$type as Table>::rows_per_statement()) {
            let sql = <$type as Table>::insert(chunk.len(), $postgres);
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for row in chunk {
                for cell in row.cells() {
                    query = match cell {
                        Cell::Text(value) => query.bind(value),
                        Cell::NullableText(value) => query.bind(value),
                        Cell::BigInt(value) => query.bind(value),
                        Cell::NullableBigInt(value) => query.bind(value),
                        Cell::NullableInt(value) => query.bind(value),
                        Cell::Boolean(value) => query.bind(value),
                    };
                }
            }
            query.execute(&mut *$tx).await?;
        }
    };
}
pub(super) use insert_rows;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_row_of_a_backup_made_before_migration_0008_reads_as_unscoped_and_unexpiring() {
        let old = r#"{"id": 1, "name": "ci", "token_hash": "ab", "role": "admin",
            "created_at": "2026-01-01T00:00:00Z", "revoked_at": null}"#;
        let row: RawToken = serde_json::from_str(old).unwrap();
        assert_eq!(
            (
                row.role.as_str(),
                row.titles,
                row.expires_at,
                row.last_used_at
            ),
            ("admin", None, None, None)
        );
        let unknown = r#"{"id": 1, "name": "ci", "token_hash": "ab", "role": "admin",
            "created_at": "2026-01-01T00:00:00Z", "revoked_at": null, "secret": "x"}"#;
        assert!(serde_json::from_str::<RawToken>(unknown).is_err());
    }

    #[test]
    fn inserts_name_every_column_and_override_identity_on_postgres_only() {
        assert_eq!(
            RawMember::insert(2, true),
            "INSERT INTO device_group_members (group_id, device_id) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(
            RawPolicyGroup::insert(1, true),
            "INSERT INTO update_policy_groups (id, name, ring_order, created_at) \
             OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4)"
        );
        assert!(!RawPolicyGroup::insert(1, false).contains("OVERRIDING"));
    }

    #[test]
    fn statements_stay_within_the_parameter_budget() {
        assert_eq!(RawMember::rows_per_statement(), ROWS_PER_STATEMENT);
        assert_eq!(RawDevice::rows_per_statement(), 63);
        assert_eq!(RawRelease::rows_per_statement(), 58);
        assert!(RawTitle::rows_per_statement() * RawTitle::COLUMNS.len() <= MAX_PARAMETERS);
    }
}
