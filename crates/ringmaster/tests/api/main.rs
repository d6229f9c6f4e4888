//! The integration suite: one test binary that starts the real server on a random port over a
//! real database (an SQLite file, and PostgreSQL when `TEST_DATABASE_URL` is set) and talks to
//! it over HTTP. A test that runs on both backends is two tests (`NAME::sqlite`,
//! `NAME::postgres`, made by `on_each_backend!`), so one backend's failure never hides the other's.

#[macro_use]
mod support;

mod golden;

mod admin_titles;
mod answers_golden;
mod audit;
mod audit_cli;
mod backup_cli;
mod backup_full;
mod backup_hostile;
mod backup_patchserver;
mod backup_patchserver_schema;
mod backup_restore;
mod backup_uploads;
mod cli;
mod cli_help;
mod cli_live;
mod cluster;
mod compliance_cache;
mod conformance;
mod ddm_cache;
mod ddm_capabilities;
mod ddm_device_kinds;
mod ddm_notify;
mod ddm_notify_scope;
mod ddm_protocol;
mod ddm_reports;
mod ddm_rollout;
mod ddm_signed_answers;
mod ddm_specific_version;
mod ddm_status_fixtures;
mod ddm_target_builds;
mod ddm_user_channels;
mod dry_run;
mod dry_run_errors;
mod dry_run_rollout;
mod dry_run_simulator;
mod edge_config;
mod edge_connections;
mod edge_errors;
mod edge_security;
mod edge_tls;
mod hardware_identity;
mod hostile_catalog;
mod hostile_checkin;
mod id_lists;
mod id_rule;
mod jamf_feed;
mod log_output;
mod mdm_notifier;
mod meaning;
mod nul_characters;
mod os_catalog;
mod os_catalog_atomic;
mod os_catalog_poll;
mod os_cli;
mod os_devices;
mod os_policies;
mod os_views_golden;
#[cfg(unix)]
mod patch_server_tools;
#[cfg(unix)]
mod patch_server_tools_admin;
mod restore_last_modified;
mod roles;
mod rollout_blocks;
mod rollout_exemptions;
mod rollout_gates;
mod rollout_gates_cli;
mod rollout_pauses;
mod rollout_specific;
mod rollout_specific_pause;
mod status_crash;
mod token_import;
mod tokens;
mod ui_browser;
mod ui_forms;
mod ui_sessions;
mod webhook_delivery;
mod webhook_release_halted;
mod webhooks;
