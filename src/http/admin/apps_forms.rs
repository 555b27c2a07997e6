//! The console's app forms: multipart reading (file upload, pasted XML, URL), the metadata a form
//! gives, and field errors shown next to their field.

use super::apps_text::say;
use super::auth::ConsoleAdmin;
use crate::admin::app_metadata::MetadataInput;
use crate::admin::AdminError;
use crate::http::error::{t, Text, WebError};
use axum::extract::Multipart;
use axum::http::StatusCode;
use axum::response::Response;
use std::collections::HashMap;

/// Field errors of a form: `(field, message in both languages)`; shown next to the field, or
/// above the form when no field on the page has that name.
#[derive(Debug, Default, Clone)]
pub(super) struct Errors(pub(super) Vec<(String, Text)>);

impl Errors {
    /// One error, outside a preset form.
    pub(super) fn of(e: AdminError) -> Result<Self, WebError> {
        Self::all(vec![e], None)
    }

    /// Every error of a form at once; `preset` names the preset form they came from (for the
    /// parameters' words).
    pub(super) fn all(errors: Vec<AdminError>, preset: Option<&str>) -> Result<Self, WebError> {
        let mut out = Vec::new();
        for e in errors {
            let (field, en) = match e {
                AdminError::Invalid { field, message } | AdminError::State { field, message } => {
                    (field, message)
                }
                AdminError::Conflict(what) if what.contains("entity ID") => {
                    ("entity_id".to_string(), format!("{what} already exists"))
                }
                AdminError::Conflict(what) => {
                    ("name".to_string(), format!("{what} already exists"))
                }
                AdminError::NotFound(what) => (String::new(), format!("{what} does not exist")),
                AdminError::Store(e) => return Err(e.into()),
            };
            let said = say(&field, &en, preset);
            out.push((field, said));
        }
        Ok(Self(out))
    }
    pub(super) fn get(&self, field: &str) -> Option<&Text> {
        self.0.iter().find(|(f, _)| f == field).map(|(_, m)| m)
    }
    pub(super) fn other(&self, shown: &[&str]) -> Vec<Text> {
        self.0
            .iter()
            .filter(|(f, _)| !shown.contains(&f.as_str()) && !f.starts_with("params."))
            .map(|(_, m)| m.clone())
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
        // The chosen file's name, to say which file is kept after an error.
        if let Some(file) = f.file_name().filter(|n| !n.is_empty()) {
            let file = file.chars().take(100).collect::<String>();
            out.insert(format!("{name}_name"), file.into_bytes());
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

/// The form's fields as text, to show again. An uploaded file is kept as `metadata_kept` (the
/// browser cannot refill a file input), so an error elsewhere does not lose it.
pub(super) fn values(f: &Fields) -> HashMap<String, String> {
    let mut v: HashMap<String, String> = f
        .iter()
        .filter(|(k, _)| *k != "csrf" && *k != "metadata_file")
        .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
        .collect();
    if let Some(file) = f
        .get("metadata_file")
        .filter(|b| !b.iter().all(u8::is_ascii_whitespace))
    {
        v.insert(
            "metadata_kept".into(),
            String::from_utf8_lossy(file).into_owned(),
        );
    }
    if !v.contains_key("metadata_kept") {
        v.remove("metadata_file_name");
    }
    v
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
    } else if given("metadata_kept") {
        Some(MetadataInput::Xml {
            xml: f.get("metadata_kept").cloned().unwrap_or_default(),
            field: "metadata_file",
            fetched_from: None,
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

/// A console form's fields, once its CSRF token is checked.
pub(super) async fn csrf_fields(admin: &ConsoleAdmin, mp: Multipart) -> Result<Fields, WebError> {
    let f = fields(mp).await?;
    admin.check_csrf(field(&f, "csrf"))?;
    Ok(f)
}

/// The entity ID the admin typed, when one was.
pub(super) fn entity_id(f: &Fields) -> Option<&str> {
    Some(field(f, "entity_id")).filter(|e| !e.trim().is_empty())
}
