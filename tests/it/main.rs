//! The one integration-test binary: the real server on `127.0.0.1:0`, the WeCom simulator on its own
//! port, a fixed clock; every test on SQLite, and on PostgreSQL when `WECOM_IDP_TEST_POSTGRES_URL` is set.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod harness;

mod admin;
mod admin_apps;
mod admin_apps_forms;
mod admin_apps_sources;
mod admin_audit;
mod admin_create_names;
mod admin_keys;
mod admin_oidc;
mod admin_overview;
mod admin_rules_wecom;
mod admin_users;
mod admin_wecom;
mod app_metadata;
mod app_versions;
mod attacks;
mod audit_retention;
mod binding;
mod browser;
mod browser_binding;
mod browser_pickers;
mod browser_text;
mod browser_walk;
mod browser_wecom;
mod cli;
mod cli_names;
mod connections;
mod db_outage;
mod demo;
mod deploy;
mod directory;
mod effective_corp;
mod encryption;
mod idp_initiated;
mod interop;
mod limits;
mod log_injection;
mod member_pages;
mod member_preview;
mod monitoring;
mod multi_account;
mod oidc;
mod oidc_backchannel;
mod oidc_consent;
mod oidc_implicit;
mod oidc_interop;
mod oidc_keys;
mod oidc_logout;
mod oidc_modes;
mod oidc_presets;
mod onboarding;
mod operations;
mod presets;
mod roles;
mod scim;
mod scim_more;
mod security;
mod settings_cli;
mod slo;
mod slo_soap;
mod sp_initiated;
mod webdriver;
mod wecom_bases;
mod wecom_events;
mod wecom_events_interop;
mod wecom_login;
mod wecom_save;

/// `YYYY-MM-DDTHH:MM:SSZ`, as Responses write instants.
pub fn harness_time(t: time::OffsetDateTime) -> String {
    t.format(&time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .unwrap()
}
