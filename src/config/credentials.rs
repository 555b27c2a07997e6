//! Settings read from files: `${CREDENTIALS_DIRECTORY}` in the `*_file` paths (`master_key_file`,
//! `database_url_file`, `wecom.secret_file`, `signing.*`) becomes the directory systemd passes
//! `LoadCredential=` files in; then `wecom.secret_file` and `database_url_file` are read (the master
//! key and signing key files are read where they are used).

use super::{err, Config, ConfigError};
use std::path::{Path, PathBuf};

impl Config {
    /// Replaces `${CREDENTIALS_DIRECTORY}` in the `*_file` settings by the directory systemd passes
    /// credentials in (`LoadCredential=`), so one configuration file serves under systemd and, with the
    /// variable set by hand, in a container or a test.
    pub(super) fn expand_credential_paths(&mut self, dir: Option<&str>) -> Result<(), ConfigError> {
        let fields = [
            ("master_key_file", &mut self.master_key_file),
            ("database_url_file", &mut self.database_url_file),
            ("wecom.secret_file", &mut self.wecom.secret_file),
            ("signing.key_file", &mut self.signing.key_file),
            ("signing.cert_file", &mut self.signing.cert_file),
        ];
        for (name, field) in fields {
            if let Some(p) = field.as_mut() {
                *p = expand_credentials(name, p, dir)?;
            }
        }
        Ok(())
    }

    pub(super) fn read_secret_files(&mut self) -> Result<(), ConfigError> {
        if let Some(p) = &self.wecom.secret_file {
            self.wecom.secret = read_secret(p, "wecom.secret_file")?;
        }
        if let Some(p) = &self.database_url_file {
            self.database_url = read_secret(p, "database_url_file")?;
        }
        Ok(())
    }
}

/// The variable systemd sets to the directory of a unit's `LoadCredential=` files.
pub(super) const CREDENTIALS_DIRECTORY: &str = "CREDENTIALS_DIRECTORY";

/// `path` with `${CREDENTIALS_DIRECTORY}` replaced by `dir`; an error naming `setting` when the path
/// uses it and the variable is not set.
fn expand_credentials(
    setting: &str,
    path: &Path,
    dir: Option<&str>,
) -> Result<PathBuf, ConfigError> {
    const VAR: &str = "${CREDENTIALS_DIRECTORY}";
    let text = path.to_string_lossy();
    if !text.contains(VAR) {
        return Ok(path.to_path_buf());
    }
    match dir.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => Ok(PathBuf::from(text.replace(VAR, d.trim_end_matches('/')))),
        None => Err(err(
            setting,
            format!(
                "`{text}` uses {VAR}, which is not set: start the service with systemd and \
                 LoadCredential= (packaging/systemd/wecom-idp.service), or set \
                 CREDENTIALS_DIRECTORY to the folder holding the secret files"
            ),
        )),
    }
}

fn read_secret(path: &Path, setting: &str) -> Result<String, ConfigError> {
    let s = std::fs::read_to_string(path)
        .map_err(|e| err(setting, format!("cannot read {}: {e}", path.display())))?;
    let s = s.trim_end_matches(['\n', '\r']).to_string();
    if s.is_empty() {
        return Err(err(setting, format!("{} is empty", path.display())));
    }
    Ok(s)
}
