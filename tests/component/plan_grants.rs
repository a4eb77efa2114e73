//! `plan-grants` in the component gives every host the grants the Rust host computes natively
//! (`Grants::for_backend`): the same endpoints and the same readable directories, for each kind
//! of credential source, a profile's web identity token file included (which hosts that
//! guessed their preopens missed).

use crate::common;

use std::path::{Path, PathBuf};

use host_example::{Grants, Session, SessionOptions, Upstream};

struct Case {
    name: &'static str,
    kwargs: String,
    env: Vec<(String, String)>,
    /// Endpoints the plan must hold (besides the ones compared with the native plan).
    must_reach: &'static [&'static str],
    /// Endpoints it must not hold.
    must_not_reach: &'static [&'static str],
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ssm-plan-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn cases() -> Vec<Case> {
    let aws = scratch("aws");
    let tokens = scratch("tokens");
    let token = tokens.join("token");
    std::fs::write(&token, "header.payload.signature").unwrap();
    let config = aws.join("config");
    std::fs::write(
        &config,
        format!(
            "[profile web]\nrole_arn = arn:aws:iam::123456789012:role/web\n\
             web_identity_token_file = {}\nregion = eu-west-1\n\
             [profile keys]\nregion = ap-south-1\n",
            token.display()
        ),
    )
    .unwrap();
    let credentials = aws.join("credentials");
    std::fs::write(
        &credentials,
        "[keys]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n",
    )
    .unwrap();
    let files = [
        ("AWS_CONFIG_FILE", config.to_str().unwrap()),
        ("AWS_SHARED_CREDENTIALS_FILE", credentials.to_str().unwrap()),
    ];
    let keys = [
        ("AWS_ACCESS_KEY_ID", "AKID"),
        ("AWS_SECRET_ACCESS_KEY", "s"),
    ];
    vec![
        Case {
            name: "static keys, regional endpoint",
            kwargs: r#"{"region_name": "eu-west-1"}"#.into(),
            env: env(&keys),
            must_reach: &["https://ssm.eu-west-1.amazonaws.com:443"],
            must_not_reach: &["http://169.254.169.254:80"],
        },
        Case {
            name: "endpoint_url",
            kwargs: r#"{"endpoint_url": "http://127.0.0.1:5000", "region_name": "us-east-1"}"#
                .into(),
            env: env(&keys),
            must_reach: &["http://127.0.0.1:5000"],
            must_not_reach: &["https://ssm.us-east-1.amazonaws.com:443"],
        },
        Case {
            name: "role_arn over static keys",
            kwargs: r#"{"region_name": "eu-west-1", "role_arn": "arn:aws:iam::1:role/r"}"#.into(),
            env: env(&keys),
            must_reach: &["https://sts.eu-west-1.amazonaws.com:443"],
            must_not_reach: &["http://169.254.169.254:80"],
        },
        Case {
            name: "profile with a web identity token file",
            kwargs: r#"{"profile_name": "web"}"#.into(),
            env: env(&files),
            must_reach: &["https://ssm.eu-west-1.amazonaws.com:443"],
            must_not_reach: &["http://169.254.169.254:80"],
        },
        Case {
            name: "profile with static keys",
            kwargs: r#"{"profile_name": "keys"}"#.into(),
            env: env(&files),
            must_reach: &["https://ssm.ap-south-1.amazonaws.com:443"],
            must_not_reach: &["https://sts.ap-south-1.amazonaws.com:443"],
        },
        Case {
            name: "container credentials",
            kwargs: r#"{"region_name": "eu-west-1"}"#.into(),
            env: env(&[("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/c")]),
            must_reach: &["http://169.254.170.2:80"],
            must_not_reach: &["http://169.254.169.254:80"],
        },
        Case {
            name: "nothing configured: instance metadata",
            kwargs: r#"{"region_name": "eu-west-1"}"#.into(),
            env: env(&[("AWS_CONFIG_FILE", "/nonexistent/config")]),
            must_reach: &["http://169.254.169.254:80"],
            must_not_reach: &[],
        },
    ]
}

#[test]
fn the_component_plans_what_the_native_host_grants() {
    let mut failures = Vec::new();
    for case in cases() {
        let options = SessionOptions {
            env: case.env.clone(),
            ..SessionOptions::new(Upstream::Network)
        };
        let planned = match Session::plan(common::runtime(), &case.kwargs, options) {
            Ok(planned) => planned,
            Err(e) => {
                failures.push(format!("{}: the component cannot plan: {e}", case.name));
                continue;
            }
        };
        let native = Grants::for_backend(&case.kwargs, &case.env);
        for endpoint in &planned.endpoints {
            if !native.policy.permits(&endpoint.parse().unwrap()) {
                failures.push(format!("{}: {endpoint} planned, not granted", case.name));
            }
        }
        for endpoint in case.must_reach {
            if !planned.endpoints.iter().any(|e| e == endpoint) {
                failures.push(format!(
                    "{}: {endpoint} missing from {:?}",
                    case.name, planned.endpoints
                ));
            }
            if !native.policy.permits(&endpoint.parse().unwrap()) {
                failures.push(format!("{}: {endpoint} not granted natively", case.name));
            }
        }
        for endpoint in case.must_not_reach {
            if planned.endpoints.iter().any(|e| e == endpoint)
                || native.policy.permits(&endpoint.parse().unwrap())
            {
                failures.push(format!("{}: {endpoint} must not be reachable", case.name));
            }
        }
        let routed: Vec<&String> = planned.routes.iter().map(|r| &r.endpoint).collect();
        if routed != planned.endpoints.iter().collect::<Vec<_>>() {
            failures.push(format!(
                "{}: routes {routed:?} are not one per endpoint of {:?}",
                case.name, planned.endpoints
            ));
        }
        let mut planned_dirs: Vec<PathBuf> = planned
            .read_only_files
            .iter()
            .filter_map(|f| Path::new(f).parent().map(Path::to_path_buf))
            .filter(|d| d.is_dir())
            .collect();
        planned_dirs.sort();
        planned_dirs.dedup();
        if planned_dirs != native.read_only_dirs {
            failures.push(format!(
                "{}: directories {planned_dirs:?} planned, {:?} granted",
                case.name, native.read_only_dirs
            ));
        }
    }
    let web = cases().into_iter().nth(3).unwrap();
    let options = SessionOptions {
        env: web.env.clone(),
        ..SessionOptions::new(Upstream::Network)
    };
    let planned = Session::plan(common::runtime(), &web.kwargs, options).unwrap();
    assert!(
        planned
            .read_only_files
            .iter()
            .any(|f| f.ends_with("/token")),
        "the profile's token file is planned: {:?}",
        planned.read_only_files
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_unusable_configuration_is_the_error_open_gives() {
    let options = SessionOptions::new(Upstream::Network);
    let planned = Session::plan(common::runtime(), r#"{"region_name": 5}"#, options.clone());
    let opened = Session::open(common::runtime(), r#"{"region_name": 5}"#, options);
    let (Err(planned), Err(opened)) = (planned, opened) else {
        panic!("both must fail");
    };
    assert_eq!(planned.to_string(), opened.to_string());
}

#[test]
fn routes_carry_each_clients_trust_and_proxy() {
    let options = SessionOptions {
        env: env(&[
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_USE_FIPS_ENDPOINT", "true"),
            ("AWS_CA_BUNDLE", "/etc/env-ca.pem"),
            ("AWS_CONFIG_FILE", "/nonexistent/config"),
        ]),
        ..SessionOptions::new(Upstream::Network)
    };
    let kwargs = r#"{"region_name": "us-east-1", "role_arn": "arn:aws:iam::1:role/r",
        "verify": "/etc/verify-ca.pem",
        "config_kwargs": {"use_dualstack_endpoint": true,
                          "proxies": {"https": "http://svc:hunter2@proxy.corp:3128"}}}"#;
    let planned = Session::plan(common::runtime(), kwargs, options).unwrap();
    let routes: Vec<(&str, Option<&str>, Option<&str>)> = planned
        .routes
        .iter()
        .map(|r| {
            (
                r.endpoint.as_str(),
                r.ca_bundle.as_deref(),
                r.proxy.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        routes,
        [
            (
                "https://ssm-fips.us-east-1.amazonaws.com:443",
                Some("/etc/verify-ca.pem"),
                None
            ),
            (
                "https://sts-fips.us-east-1.api.aws:443",
                Some("/etc/env-ca.pem"),
                Some("http://svc:hunter2@proxy.corp:3128")
            ),
        ]
    );
    assert_eq!(
        planned.endpoints,
        [
            "https://ssm-fips.us-east-1.amazonaws.com:443",
            "https://sts-fips.us-east-1.api.aws:443"
        ]
    );
}
