//! The admin domain, without HTTP: who is an admin, API tokens, the acting admin recorded in
//! the audit log, and the one error type of the admin layer. The console pages and the JSON API in
//! `http/admin/` are thin over this module and its siblings (one file per area).
//!
//! Admins are members named in `[admin] userids` or added in the store (`wecom-idp admin add`, or by
//! another admin). The first admin always needs shell access (the configuration file or the CLI):
//! there is no default password and no sign-up.

pub mod app_checks;
pub mod app_create;
pub mod app_history;
pub mod app_metadata;
pub mod app_refresh;
pub mod app_view;
pub mod apps;
pub mod audit;
pub mod auth;
pub mod csv;
pub mod directory;
pub mod keys;
pub mod metadata_fetch;
pub mod overview;
pub mod preview;
pub mod settings;
pub mod users;
pub mod verify_files;
pub mod wecom_bases;
pub mod wecom_check;
pub mod wecom_names;

pub use auth::{Actor, AdminError};
