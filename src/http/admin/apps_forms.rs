//! The console's app forms: multipart reading (file upload, pasted XML, URL), the metadata a form
//! gives, and field errors shown next to their field.

use crate::admin::app_metadata::MetadataInput;
use crate::admin::AdminError;
use crate::error::{t, WebError};
use axum::extract::Multipart;
use axum::http::StatusCode;
use axum::response::Response;
use std::collections::HashMap;

/// Field errors of a form: `(field, message)`; shown next to the field, or above the form when no
/// field on the page has that name.
#[derive(Debug, Default, Clone)]
pub(super) struct Errors(pub(super) Vec<(String, String)>);

impl Errors {
    pub(super) fn of(e: AdminError) -> Result<Self, WebError> {
        match e {
            AdminError::Invalid { field, message } | AdminError::State { field, message } => {
                Ok(Self(vec![(field, message)]))
            }
            AdminError::Conflict(what) => Ok(Self(vec![(
                "name".into(),
                format!("{what} already exists"),
            )])),
            AdminError::NotFound(what) => Ok(Self(vec![(
                String::new(),
                format!("{what} does not exist"),
            )])),
            AdminError::Store(e) => Err(e.into()),
        }
    }
    pub(super) fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
    pub(super) fn other(&self, shown: &[&str]) -> Vec<String> {
        self.0
            .iter()
            .filter(|(f, _)| !shown.contains(&f.as_str()) && !f.starts_with("params."))
            .map(|(f, m)| {
                if f.is_empty() {
                    m.clone()
                } else {
                    format!("{f}: {m}")
                }
            })
            .collect()
    }
    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

pub(super) fn with_status(mut r: Response, bad: bool) -> Response {
    if bad {
        *r.status_mut() = StatusCode::BAD_REQUEST;
    }
    r
}

/// A multipart form's fields (a file's content under its field name), as bytes.
pub(super) type Fields = HashMap<String, Vec<u8>>;

/// Reads a multipart form; an empty file input counts as absent.
pub(super) async fn fields(mut mp: Multipart) -> Result<Fields, WebError> {
    let bad = || {
        WebError::new(
            StatusCode::BAD_REQUEST,
            "bad_form",
            t("The form could not be read", "无法读取表单"),
            t(
                "The form is too large or not a form. Go back and try again.",
                "表单太大或格式有误。请返回重新提交。",
            ),
        )
    };
    let mut out = HashMap::new();
    while let Some(f) = mp.next_field().await.map_err(|_| bad())? {
        let Some(name) = f.name().map(str::to_string) else {
            continue;
        };
        if out.len() >= 32 {
            return Err(bad());
        }
        let bytes = f.bytes().await.map_err(|_| bad())?;
        out.insert(name, bytes.to_vec());
    }
    Ok(out)
}

/// A text field ("" when absent or not UTF-8).
pub(super) fn field<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.get(k)
        .and_then(|v| std::str::from_utf8(v).ok())
        .unwrap_or("")
}

/// The form's fields as text, to show again (never the uploaded file).
pub(super) fn values(f: &Fields) -> HashMap<String, String> {
    f.iter()
        .filter(|(k, _)| *k != "csrf" && *k != "metadata_file")
        .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
        .collect()
}

/// The metadata a console form gives: a file, pasted XML, or a URL (exactly one).
pub(super) fn form_metadata(f: &Fields) -> Result<Option<MetadataInput>, AdminError> {
    let given = |k: &str| {
        f.get(k)
            .is_some_and(|v| !v.iter().all(u8::is_ascii_whitespace))
    };
    let n = ["metadata_file", "metadata_xml", "metadata_url"]
        .iter()
        .filter(|k| given(k))
        .count();
    if n > 1 {
        return Err(AdminError::invalid(
            "metadata_xml",
            "give one of: a file, the pasted XML, or a URL",
        ));
    }
    let xml = |k: &'static str| MetadataInput::Xml {
        xml: f.get(k).cloned().unwrap_or_default(),
        field: k,
        fetched_from: Some(field(f, "fetched_from").trim().to_string()).filter(|u| !u.is_empty()),
    };
    Ok(if given("metadata_file") {
        Some(xml("metadata_file"))
    } else if given("metadata_xml") {
        Some(xml("metadata_xml"))
    } else if given("metadata_url") {
        Some(MetadataInput::Url {
            url: field(f, "metadata_url").trim().to_string(),
            field: "metadata_url",
        })
    } else {
        None
    })
}

pub(super) fn refresh_secs(f: &Fields) -> Result<i64, AdminError> {
    let v = field(f, "refresh_secs").trim();
    if v.is_empty() {
        return Ok(0);
    }
    v.parse()
        .map_err(|_| AdminError::invalid("refresh_secs", "whole seconds, e.g. 86400 (0 = off)"))
}

/// The non-empty fields named `PREFIX…`, prefix removed, sorted by key.
pub(super) fn prefixed(f: &Fields, prefix: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = f
        .iter()
        .filter_map(|(k, v)| {
            let v = std::str::from_utf8(v).ok()?;
            k.strip_prefix(prefix)
                .filter(|_| !v.trim().is_empty())
                .map(|k| (k.to_string(), v.to_string()))
        })
        .collect();
    v.sort();
    v
}

pub(super) fn checked(f: &Fields, k: &str) -> bool {
    matches!(field(f, k), "on" | "true" | "1")
}
