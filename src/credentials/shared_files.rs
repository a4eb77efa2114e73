//! The shared `config` and `credentials` files (`AWS_CONFIG_FILE`,
//! `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/`), read once per plan; [`super::profile`]
//! parses them.

use super::profile::{self, FileKind, ProfileFile, Properties};
use crate::error::Error;
use crate::platform::{Environment, Filesystem};

/// The shared config and credentials files, loaded once.
pub(super) struct SharedFiles {
    config: ProfileFile,
    credentials: ProfileFile,
    /// The two files' paths, when known.
    pub(super) paths: [Option<String>; 2],
}

impl SharedFiles {
    /// Reads both files; a missing file is an empty one.
    pub(super) fn load(env: &dyn Environment, fs: &dyn Filesystem) -> Result<Self, Error> {
        let home = env.var("HOME").filter(|h| !h.is_empty());
        let path = |var: &str, default: &str| {
            env.var(var)
                .filter(|p| !p.is_empty())
                .or_else(|| home.as_ref().map(|h| format!("{h}/.aws/{default}")))
        };
        let paths = [
            path("AWS_CONFIG_FILE", "config"),
            path("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
        ];
        let read = |path: &Option<String>, kind| -> Result<ProfileFile, Error> {
            let Some(path) = path else {
                return Ok(ProfileFile::default());
            };
            match fs.read_to_string(path) {
                Ok(text) => ProfileFile::parse(&text, kind).map_err(|e| {
                    Error::configuration(format!("{path} line {}: {}", e.line, e.problem))
                }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ProfileFile::default()),
                Err(e) => Err(Error::credentials(format!(
                    "shared AWS file {path} cannot be read: {e}"
                ))),
            }
        };
        Ok(SharedFiles {
            config: read(&paths[0], FileKind::Config)?,
            credentials: read(&paths[1], FileKind::Credentials)?,
            paths,
        })
    }

    /// A profile as both files describe it.
    pub(super) fn profile(&self, name: &str) -> Option<Properties> {
        profile::merged_profile(&self.config, &self.credentials, name)
    }

    /// The files' paths, for messages.
    pub(super) fn describe(&self) -> String {
        let shown: Vec<&str> = self.paths.iter().flatten().map(String::as_str).collect();
        if shown.is_empty() {
            "(no shared files: neither HOME nor AWS_CONFIG_FILE is set)".to_string()
        } else {
            shown.join(" or ")
        }
    }
}
