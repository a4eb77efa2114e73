//! The shared `config` and `credentials` files (INI): parsing, and the merged view of one
//! profile.
//!
//! Rules (those of the AWS CLI and SDKs): `#` and `;` start a comment line; `[default]` and
//! `[profile NAME]` in `config`, `[NAME]` in `credentials` (a `profile ` prefix there, or a
//! non-default section without it in `config`, is ignored; other section kinds such as
//! `[sso-session x]` are skipped); `key = value`, keys case-insensitive, the last duplicate
//! winning; indented lines continue the previous value (or hold sub-properties under a key with
//! an empty value); a key in `credentials` wins over the same key in `config`.

use std::collections::BTreeMap;

/// One profile's properties (keys lower-cased).
pub type Properties = BTreeMap<String, String>;

/// A syntax error, with its line number; never the line's text (it may hold a key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSyntaxError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub problem: &'static str,
}

/// Which file a text came from: the two differ in how sections name profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `~/.aws/config`
    Config,
    /// `~/.aws/credentials`
    Credentials,
}

/// The profiles of one file, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileFile {
    profiles: BTreeMap<String, Properties>,
}

impl ProfileFile {
    /// Parses one file's text.
    pub fn parse(text: &str, kind: FileKind) -> Result<Self, ProfileSyntaxError> {
        let mut file = ProfileFile::default();
        // Properties of `[profile default]` beat those of `[default]` in config.
        let mut plain_default = Properties::new();
        let mut section: Option<(String, bool)> = None; // (profile, is the plain [default])
        let mut last_key: Option<String> = None;
        let mut seen_section = false;
        for (index, raw) in text.lines().enumerate() {
            let line_no = index + 1;
            let line = raw.trim_end_matches('\r');
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            let indented = line.starts_with([' ', '\t']);
            if !indented && trimmed.starts_with('[') {
                let Some(end) = trimmed.find(']') else {
                    return Err(ProfileSyntaxError {
                        line: line_no,
                        problem: "a section header has no closing `]`",
                    });
                };
                let rest = trimmed[end + 1..].trim();
                if !(rest.is_empty() || rest.starts_with('#') || rest.starts_with(';')) {
                    return Err(ProfileSyntaxError {
                        line: line_no,
                        problem: "text after a section header",
                    });
                }
                section = section_profile(trimmed[1..end].trim(), kind);
                seen_section = true;
                last_key = None;
                continue;
            }
            if indented {
                // A continuation of the previous value, or a sub-property.
                let Some(key) = &last_key else {
                    let problem = if seen_section {
                        "an indented line with no property before it"
                    } else {
                        "a property before any section"
                    };
                    return Err(ProfileSyntaxError {
                        line: line_no,
                        problem,
                    });
                };
                if let Some((profile, is_plain_default)) = &section {
                    let target = if *is_plain_default {
                        &mut plain_default
                    } else {
                        file.profiles.entry(profile.clone()).or_default()
                    };
                    let value = target.entry(key.clone()).or_default();
                    value.push('\n');
                    value.push_str(trimmed);
                }
                continue;
            }
            let Some((key, value)) = trimmed.split_once('=') else {
                return Err(ProfileSyntaxError {
                    line: line_no,
                    problem: "expected `key = value`",
                });
            };
            let key = key.trim().to_ascii_lowercase();
            if key.is_empty() {
                return Err(ProfileSyntaxError {
                    line: line_no,
                    problem: "a property has no name",
                });
            }
            if !seen_section {
                return Err(ProfileSyntaxError {
                    line: line_no,
                    problem: "a property before any section",
                });
            }
            // Properties of sections that are not profiles of this file are skipped.
            let Some((profile, is_plain_default)) = &section else {
                last_key = Some(key);
                continue;
            };
            let target = if *is_plain_default {
                &mut plain_default
            } else {
                file.profiles.entry(profile.clone()).or_default()
            };
            target.insert(key.clone(), value.trim().to_string());
            last_key = Some(key);
        }
        if !plain_default.is_empty() {
            let merged = file.profiles.entry("default".to_string()).or_default();
            for (key, value) in plain_default {
                merged.entry(key).or_insert(value);
            }
        }
        Ok(file)
    }

    /// The properties of `name`, if the file has that profile.
    pub fn profile(&self, name: &str) -> Option<&Properties> {
        self.profiles.get(name)
    }
}

/// The profile a section header names, and whether it is the plain `[default]` of `config`;
/// `None` for sections that are not profiles of this file.
fn section_profile(header: &str, kind: FileKind) -> Option<(String, bool)> {
    let mut words = header.split_whitespace();
    let first = words.next()?;
    match (kind, first, words.next(), words.next()) {
        (FileKind::Config, "default", None, _) => Some(("default".into(), true)),
        (FileKind::Config, "profile", Some(name), None) => Some((name.to_string(), false)),
        (FileKind::Credentials, name, None, _) if first != "profile" => {
            Some((name.to_string(), false))
        }
        _ => None,
    }
}

/// `name` as seen through both files, `credentials` winning; `None` if neither has it.
pub fn merged_profile(
    config: &ProfileFile,
    credentials: &ProfileFile,
    name: &str,
) -> Option<Properties> {
    let (c, k) = (config.profile(name), credentials.profile(name));
    if c.is_none() && k.is_none() {
        return None;
    }
    let mut merged = c.cloned().unwrap_or_default();
    merged.extend(k.cloned().unwrap_or_default());
    Some(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> ProfileFile {
        ProfileFile::parse(text, FileKind::Config).unwrap()
    }

    fn credentials(text: &str) -> ProfileFile {
        ProfileFile::parse(text, FileKind::Credentials).unwrap()
    }

    fn get<'a>(file: &'a ProfileFile, profile: &str, key: &str) -> Option<&'a str> {
        file.profile(profile)?.get(key).map(String::as_str)
    }

    #[test]
    fn the_last_of_repeated_keys_wins_and_keys_iterate_in_order() {
        // A fixed pseudo-random sequence with repeats.
        let mut seed = 7u32;
        let mut text = String::from("[default]\n");
        let mut want = std::collections::HashMap::new();
        for i in 0..500u32 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let key = format!("k{}", (seed >> 16) % 60);
            text.push_str(&format!("{key} = {i}\n"));
            want.insert(key, i.to_string());
        }
        let file = config(&text);
        let properties = file.profile("default").unwrap();
        assert_eq!(properties.len(), want.len());
        let mut keys: Vec<&String> = want.keys().collect();
        keys.sort();
        assert!(properties.keys().eq(keys), "keys in order");
        for n in 0..70 {
            let key = format!("k{n}");
            assert_eq!(properties.get(&key), want.get(&key));
            assert_eq!(properties.contains_key(&key), want.contains_key(&key));
        }
    }

    #[test]
    fn profile_default_keeps_its_keys_and_continuations_append() {
        let file = config(
            "[profile default]\nregion = b\n[default]\nregion = a\nextra = 9\n\
             [profile x]\ns3 =\n  max = 1\n  min = 2\n",
        );
        assert_eq!(get(&file, "default", "region"), Some("b"));
        assert_eq!(get(&file, "default", "extra"), Some("9"));
        assert_eq!(get(&file, "x", "s3"), Some("\nmax = 1\nmin = 2"));
    }

    #[test]
    fn table_of_cases() {
        struct Case {
            text: &'static str,
            kind: FileKind,
            profile: &'static str,
            key: &'static str,
            want: Option<&'static str>,
        }
        let cases = [
            Case {
                text: "[default]\nregion = eu-west-1\n",
                kind: FileKind::Config,
                profile: "default",
                key: "region",
                want: Some("eu-west-1"),
            },
            Case {
                text: "[profile dev]\nregion=us-east-1",
                kind: FileKind::Config,
                profile: "dev",
                key: "region",
                want: Some("us-east-1"),
            },
            Case {
                text: "[dev]\nregion=us-east-1",
                kind: FileKind::Config,
                profile: "dev",
                key: "region",
                want: None,
            },
            Case {
                text: "[profile dev]\naws_access_key_id=A",
                kind: FileKind::Credentials,
                profile: "dev",
                key: "aws_access_key_id",
                want: None,
            },
            Case {
                text: "[dev]\naws_access_key_id = A",
                kind: FileKind::Credentials,
                profile: "dev",
                key: "aws_access_key_id",
                want: Some("A"),
            },
            Case {
                text: "# c\n; c\n[default]\n  # indented comment\nregion = r # not a comment\n",
                kind: FileKind::Config,
                profile: "default",
                key: "region",
                want: Some("r # not a comment"),
            },
            Case {
                text: "[default]\nREGION = r",
                kind: FileKind::Config,
                profile: "default",
                key: "region",
                want: Some("r"),
            },
            Case {
                text: "[default]\nregion = a\nregion = b",
                kind: FileKind::Config,
                profile: "default",
                key: "region",
                want: Some("b"),
            },
            Case {
                text: "[default]\nx = a=b",
                kind: FileKind::Config,
                profile: "default",
                key: "x",
                want: Some("a=b"),
            },
            Case {
                text: "[default]\nx = line1\n  line2",
                kind: FileKind::Config,
                profile: "default",
                key: "x",
                want: Some("line1\nline2"),
            },
            Case {
                text: "[default]\ns3 =\n  max_concurrent_requests = 10\nregion = r",
                kind: FileKind::Config,
                profile: "default",
                key: "region",
                want: Some("r"),
            },
            Case {
                text: "[profile default]\nregion = a\n[default]\nregion = b",
                kind: FileKind::Config,
                profile: "default",
                key: "region",
                want: Some("a"),
            },
            Case {
                text: "[default]\nregion = b\n[profile default]\nregion = a",
                kind: FileKind::Config,
                profile: "default",
                key: "region",
                want: Some("a"),
            },
            Case {
                text: "[ profile   spaced ]\nregion = s",
                kind: FileKind::Config,
                profile: "spaced",
                key: "region",
                want: Some("s"),
            },
            Case {
                text: "[sso-session s]\nsso_region = x\n[default]\nregion = r",
                kind: FileKind::Config,
                profile: "default",
                key: "region",
                want: Some("r"),
            },
            Case {
                text: "[default] ; comment\r\nregion = crlf\r\n",
                kind: FileKind::Config,
                profile: "default",
                key: "region",
                want: Some("crlf"),
            },
            Case {
                text: "",
                kind: FileKind::Config,
                profile: "default",
                key: "region",
                want: None,
            },
        ];
        for case in cases {
            let file = ProfileFile::parse(case.text, case.kind)
                .unwrap_or_else(|e| panic!("{:?}: {e:?}", case.text));
            assert_eq!(
                get(&file, case.profile, case.key),
                case.want,
                "{:?}",
                case.text
            );
        }
    }

    #[test]
    fn bad_syntax_names_the_line_and_not_the_text() {
        for (text, line) in [
            ("[default\nregion = r", 1),
            ("[default]\nthis is not a property", 2),
            ("region = r\n[default]", 1),
            ("[default]\n= value", 2),
            ("[default] trailing", 1),
            ("  indented = first\n[default]", 1),
        ] {
            let e = ProfileFile::parse(text, FileKind::Config).unwrap_err();
            assert_eq!(e.line, line, "{text:?}");
        }
    }

    #[test]
    fn credentials_win_over_config() {
        let c = config("[profile p]\nregion = r\naws_access_key_id = FROMCONFIG");
        let k = credentials("[p]\naws_access_key_id = FROMCREDS\naws_secret_access_key = s");
        let merged = merged_profile(&c, &k, "p").unwrap();
        assert_eq!(merged["aws_access_key_id"], "FROMCREDS");
        assert_eq!(merged["region"], "r");
        assert!(merged_profile(&c, &k, "missing").is_none());
    }
}
