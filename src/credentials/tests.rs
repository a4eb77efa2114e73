//! The credential chain with faked files and HTTP: plan order, profiles, roles, web identity,
//! containers, IMDS, and errors that name their source and hold no secret.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;
use crate::config::{AwsSettings, BackendConfig};
use crate::error::{Error, ErrorKind};
use crate::message::Response;
use crate::platform::{Filesystem, TransportError};
use crate::test_util::{ScriptedTransport, reply};

const NOW: u64 = 1_795_000_000;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    let mut map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    map.entry("HOME".into()).or_insert("/home/u".into());
    map
}

fn settings(kwargs: &str) -> AwsSettings {
    BackendConfig::from_json(kwargs).unwrap().aws
}

const CONFIG: &str = "\
[default]
region = ap-south-1

[profile prof1]
region = eu-central-1

[profile chained]
role_arn = arn:aws:iam::123456789012:role/chained
source_profile = prof1
external_id = ext-9
duration_seconds = 900

[profile twice]
role_arn = arn:aws:iam::123456789012:role/twice
source_profile = chained

[profile loop-a]
role_arn = arn:aws:iam::1:role/a
source_profile = loop-b

[profile loop-b]
role_arn = arn:aws:iam::1:role/b
source_profile = loop-a

[profile self]
role_arn = arn:aws:iam::1:role/self
source_profile = self
aws_access_key_id = AKIDSELF
aws_secret_access_key = self-secret

[profile web]
role_arn = arn:aws:iam::1:role/web
web_identity_token_file = /var/run/token

[profile from-env]
role_arn = arn:aws:iam::1:role/env
credential_source = Environment

[profile process]
credential_process = /usr/bin/get-creds

[profile sso]
sso_start_url = https://example.awsapps.com/start

[profile norole]
region = us-west-2
";

const CREDENTIALS: &str = "\
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = default-secret

[prof1]
aws_access_key_id = AKIDPROF1
aws_secret_access_key = prof1-secret
aws_session_token = prof1-token
";

fn files() -> HashMap<&'static str, &'static str> {
    HashMap::from([
        ("/home/u/.aws/config", CONFIG),
        ("/home/u/.aws/credentials", CREDENTIALS),
        ("/var/run/token", "eyJ.web.token\n"),
    ])
}

/// The plan of `kwargs`, or the error of opening them (some are refused at open).
fn planned(kwargs: &str, vars: &[(&str, &str)]) -> Result<Plan, Error> {
    let settings = BackendConfig::from_json(kwargs)?.aws;
    plan(&settings, &env(vars), &files(), now())
}

fn static_key(source: &Source) -> &str {
    match source {
        Source::Static { credentials, .. } => credentials.access_key_id(),
        other => panic!("expected static keys, got {other:?}"),
    }
}

#[test]
fn order_kwargs_then_env_then_web_identity_then_profile() {
    let kw = r#"{"aws_access_key_id": "AKIDKW", "aws_secret_access_key": "s"}"#;
    let all_env = [
        ("AWS_ACCESS_KEY_ID", "AKIDENV"),
        ("AWS_SECRET_ACCESS_KEY", "e"),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token"),
        ("AWS_ROLE_ARN", "arn:aws:iam::1:role/w"),
    ];
    assert_eq!(static_key(&planned(kw, &all_env).unwrap().source), "AKIDKW");
    assert_eq!(
        static_key(&planned("{}", &all_env).unwrap().source),
        "AKIDENV"
    );
    assert!(matches!(
        planned("{}", &all_env[2..]).unwrap().source,
        Source::WebIdentity { .. }
    ));
    assert_eq!(
        static_key(&planned("{}", &[]).unwrap().source),
        "AKIDDEFAULT"
    );
}

#[test]
fn explicit_profile_skips_the_environment_and_must_exist() {
    let env_keys = [
        ("AWS_ACCESS_KEY_ID", "AKIDENV"),
        ("AWS_SECRET_ACCESS_KEY", "e"),
    ];
    let p = planned(r#"{"profile_name": "prof1"}"#, &env_keys).unwrap();
    assert_eq!(static_key(&p.source), "AKIDPROF1");
    assert_eq!(p.profile_region.as_deref(), Some("eu-central-1"));
    let e = planned(r#"{"profile_name": "nope"}"#, &[]).unwrap_err();
    assert!(
        e.to_string().contains(
            "profile `nope` not found in /home/u/.aws/config or /home/u/.aws/credentials"
        ),
        "{e}"
    );
    assert!(planned("{}", &[("AWS_PROFILE", "nope")]).is_err());
    let e = planned(r#"{"profile_name": "norole"}"#, &[]).unwrap_err();
    assert!(e.to_string().contains("holds no credentials"), "{e}");
}

#[test]
fn role_chains_and_cycles() {
    let p = planned(r#"{"profile_name": "twice"}"#, &[]).unwrap();
    let Source::AssumeRole { role_arn, base, .. } = &p.source else {
        panic!("{:?}", p.source)
    };
    assert_eq!(role_arn, "arn:aws:iam::123456789012:role/twice");
    let Source::AssumeRole {
        role_arn,
        kwargs,
        base,
        ..
    } = base.as_ref()
    else {
        panic!()
    };
    assert_eq!(role_arn, "arn:aws:iam::123456789012:role/chained");
    assert_eq!(kwargs["ExternalId"], "ext-9");
    assert_eq!(kwargs["DurationSeconds"], 900);
    assert_eq!(kwargs["RoleSessionName"], format!("botocore-session-{NOW}"));
    assert_eq!(static_key(base), "AKIDPROF1");

    let e = planned(r#"{"profile_name": "loop-a"}"#, &[]).unwrap_err();
    assert!(
        e.to_string().contains("cycle: loop-a -> loop-b -> loop-a"),
        "{e}"
    );
    let p = planned(r#"{"profile_name": "self"}"#, &[]).unwrap();
    let Source::AssumeRole { base, .. } = &p.source else {
        panic!()
    };
    assert_eq!(static_key(base), "AKIDSELF");
}

#[test]
fn profile_web_identity_and_credential_source() {
    let p = planned(r#"{"profile_name": "web"}"#, &[]).unwrap();
    assert!(
        matches!(&p.source, Source::WebIdentity { token_file, .. } if token_file == "/var/run/token")
    );
    assert!(p.files.contains(&"/var/run/token".to_string()));
    let p = planned(
        r#"{"profile_name": "from-env"}"#,
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "e"),
        ],
    )
    .unwrap();
    let Source::AssumeRole { base, .. } = &p.source else {
        panic!()
    };
    assert_eq!(static_key(base), "AKIDENV");
}

#[test]
fn unsupported_sources_say_so() {
    let e = planned(r#"{"profile_name": "process"}"#, &[]).unwrap_err();
    assert!(
        e.to_string()
            .contains("credential_process, which is not supported in the sandbox"),
        "{e}"
    );
    let e = planned(r#"{"profile_name": "sso"}"#, &[]).unwrap_err();
    assert!(e.to_string().contains("SSO"), "{e}");
    let role = r#""role_arn": "arn:aws:iam::1:role/r""#;
    let e = planned(
        &format!(r#"{{{role}, "assume_role_method": "assume_role_with_web_identity"}}"#),
        &[],
    )
    .unwrap_err();
    assert_eq!(e.message(), "Unsupported federation: None.");
    let e = planned(
        &format!(r#"{{{role}, "assume_role_method": "assume_role_with_saml"}}"#),
        &[],
    )
    .unwrap_err();
    assert!(e.to_string().contains("not supported"), "{e}");
    let e = planned(
        &format!(r#"{{{role}, "assume_role_method": "bogus"}}"#),
        &[],
    )
    .unwrap_err();
    assert!(e.to_string().contains("bogus"), "{e}");
    assert!(
        planned(r#"{"assume_role_method": "bogus"}"#, &[]).is_ok(),
        "ignored without role_arn"
    );
}

#[test]
fn container_then_imds_are_the_last_resorts() {
    let no_files = HashMap::new();
    let p = plan(
        &settings("{}"),
        &env(&[("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/creds")]),
        &no_files,
        now(),
    )
    .unwrap();
    assert!(matches!(p.source, Source::Container(_)));
    let p = plan(&settings("{}"), &env(&[]), &no_files, now()).unwrap();
    assert!(matches!(&p.source, Source::Imds(i) if i.endpoint().authority() == "169.254.169.254"));
    let e = plan(
        &settings("{}"),
        &env(&[("AWS_EC2_METADATA_DISABLED", "true")]),
        &no_files,
        now(),
    )
    .unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Credentials);
}

#[test]
fn unreadable_and_malformed_files_are_clear_errors() {
    struct Denied;
    impl Filesystem for Denied {
        fn read_to_string(&self, _: &str) -> std::io::Result<String> {
            Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied))
        }
    }
    let e = plan(&settings("{}"), &env(&[]), &Denied, now()).unwrap_err();
    assert!(
        e.to_string().contains("/home/u/.aws/config cannot be read"),
        "{e}"
    );
    let bad = HashMap::from([(
        "/home/u/.aws/config",
        "[default\naws_secret_access_key = LEAKME",
    )]);
    let e = plan(&settings("{}"), &env(&[]), &bad, now()).unwrap_err();
    assert!(e.to_string().contains("/home/u/.aws/config line 1"), "{e}");
    assert!(!e.to_string().contains("LEAKME"));
}

fn ok(status: u16, body: &str) -> Result<Response, TransportError> {
    Ok(reply(status, body))
}

fn sts_reply(key: &str) -> Result<Response, TransportError> {
    ok(
        200,
        &format!(
            "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>assumed-secret</SecretAccessKey><SessionToken>assumed-token</SessionToken><Expiration>2026-11-19T08:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>"
        ),
    )
}

fn run(
    source: &Source,
    script: &mut ScriptedTransport,
    region: &str,
) -> Result<Credentials, Error> {
    let fs = files();
    let mut ctx = FetchContext {
        transport: script,
        fs: &fs,
        now: now(),
        region,
    };
    fetch(source, &mut ctx)
}

#[test]
fn kwargs_assume_role_signs_sts_with_the_base_key() {
    let kw = r#"{"role_arn": "arn:aws:iam::123456789012:role/r", "aws_access_key_id": "AKIDEXTRA", "aws_secret_access_key": "x",
        "assume_role_kwargs": {"ExternalId": "ext-1", "DurationSeconds": 1800, "RoleSessionName": "custom", "RoleArn": "ignored"},
        "endpoint_url": "http://localhost:4566", "service_config": {"sts": {"endpoint_url": "https://sts.example.test"}}}"#;
    let p = planned(kw, &[]).unwrap();
    let mut script = ScriptedTransport::new(vec![sts_reply("ASIAASSUMED")]);
    let c = run(&p.source, &mut script, "eu-west-1").unwrap();
    assert_eq!(c.access_key_id(), "ASIAASSUMED");
    assert_eq!(
        c.expires(),
        crate::timestamp::parse_iso8601("2026-11-19T08:00:00Z")
    );
    let request = &script.seen[0];
    assert_eq!(
        request.uri(),
        "https://sts.example.test/",
        "service_config wins; endpoint_url is SSM's"
    );
    let auth = request.headers()["authorization"].to_str().unwrap();
    assert!(
        auth.contains("Credential=AKIDEXTRA/") && auth.contains("/eu-west-1/sts/aws4_request"),
        "{auth}"
    );
    let form: Vec<(String, String)> = form_urlencoded::parse(request.body())
        .into_owned()
        .collect();
    assert!(form.contains(&("RoleArn".into(), "arn:aws:iam::123456789012:role/r".into())));
    assert!(form.contains(&("RoleSessionName".into(), "custom".into())));
    assert!(form.contains(&("ExternalId".into(), "ext-1".into())));
    assert!(form.contains(&("DurationSeconds".into(), "1800".into())));
    assert_eq!(
        endpoints(&p.source, "eu-west-1")
            .unwrap()
            .iter()
            .map(|e| e.url())
            .collect::<Vec<_>>(),
        ["https://sts.example.test/"]
    );
}

#[test]
fn regional_sts_and_profile_region() {
    let p = planned(
        r#"{"role_arn": "arn:aws:iam::123456789012:role/r", "profile_name": "prof1"}"#,
        &[],
    )
    .unwrap();
    assert_eq!(p.profile_region.as_deref(), Some("eu-central-1"));
    let mut script = ScriptedTransport::new(vec![sts_reply("ASIA1")]);
    run(&p.source, &mut script, "eu-central-1").unwrap();
    assert_eq!(
        script.seen[0].uri(),
        "https://sts.eu-central-1.amazonaws.com/"
    );
    assert_eq!(
        script.seen[0].headers()["x-amz-security-token"],
        "prof1-token"
    );
    let shown = format!("{:?}", script.seen[0]);
    assert!(!shown.contains("prof1-token"), "{shown}");
}

#[test]
fn chained_roles_fetch_inside_out() {
    let p = planned(r#"{"profile_name": "twice"}"#, &[]).unwrap();
    let mut script = ScriptedTransport::new(vec![sts_reply("ASIAINNER"), sts_reply("ASIAOUTER")]);
    let c = run(&p.source, &mut script, "us-east-1").unwrap();
    assert_eq!(c.access_key_id(), "ASIAOUTER");
    let second = script.seen[1].headers()["authorization"].to_str().unwrap();
    assert!(second.contains("Credential=ASIAINNER/"), "{second}");
}

#[test]
fn web_identity_is_unsigned_and_reads_the_token() {
    let kw = r#"{"role_arn": "arn:aws:iam::1:role/r", "assume_role_method": "assume_role_with_web_identity",
        "assume_role_with_web_identity_federation": "file", "assume_role_with_web_identity_token_file": "/var/run/token"}"#;
    let p = planned(kw, &[]).unwrap();
    let mut script = ScriptedTransport::new(vec![sts_reply("ASIAWEB")]);
    assert_eq!(
        run(&p.source, &mut script, "us-east-1")
            .unwrap()
            .access_key_id(),
        "ASIAWEB"
    );
    let request = &script.seen[0];
    assert!(request.headers().get("authorization").is_none());
    let form: Vec<(String, String)> = form_urlencoded::parse(request.body())
        .into_owned()
        .collect();
    assert!(form.contains(&("Action".into(), "AssumeRoleWithWebIdentity".into())));
    assert!(form.contains(&("WebIdentityToken".into(), "eyJ.web.token".into())));
    assert!(form.contains(&("RoleSessionName".into(), format!("botocore-session-{NOW}"))));
}

#[test]
fn sts_endpoint_overrides_apply_to_every_role_but_not_ssm_endpoint_url() {
    let vars = [("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:5000")];
    let p = planned(
        r#"{"profile_name": "chained", "endpoint_url": "http://ssm.local"}"#,
        &vars,
    )
    .unwrap();
    assert_eq!(
        endpoints(&p.source, "us-east-1")
            .unwrap()
            .iter()
            .map(|e| e.url())
            .collect::<Vec<_>>(),
        ["http://127.0.0.1:5000/"]
    );
    let p = planned(
        r#"{"role_arn": "arn:aws:iam::1:role/r", "endpoint_url": "http://ssm.local"}"#,
        &[],
    )
    .unwrap();
    assert_eq!(
        endpoints(&p.source, "us-east-1")
            .unwrap()
            .iter()
            .map(|e| e.url())
            .collect::<Vec<_>>(),
        ["https://sts.us-east-1.amazonaws.com/"]
    );
}

#[test]
fn sts_calls_go_to_the_variant_their_client_reads() {
    // Airflow's STS client (the role_arn kwarg) reads config_kwargs; botocore's chain does not,
    // and both read the environment.
    let kw = r#"{"role_arn": "arn:aws:iam::1:role/r", "profile_name": "chained",
        "config_kwargs": {"use_fips_endpoint": true}}"#;
    let p = planned(kw, &[]).unwrap();
    let mut script = ScriptedTransport::new(vec![sts_reply("ASIAINNER"), sts_reply("ASIAOUTER")]);
    run(&p.source, &mut script, "us-east-2").unwrap();
    let urls: Vec<String> = script.seen.iter().map(|r| r.uri().to_string()).collect();
    assert_eq!(
        urls,
        [
            "https://sts.us-east-2.amazonaws.com/",
            "https://sts-fips.us-east-2.amazonaws.com/"
        ]
    );
    assert_eq!(
        callers(&p.source, "us-east-2")
            .unwrap()
            .iter()
            .map(|(_, caller)| *caller)
            .collect::<Vec<_>>(),
        [Caller::BotocoreSts, Caller::AirflowSts]
    );
    let p = planned(kw, &[("AWS_USE_DUALSTACK_ENDPOINT", "true")]).unwrap();
    assert_eq!(
        endpoints(&p.source, "us-east-2")
            .unwrap()
            .iter()
            .map(|e| e.url())
            .collect::<Vec<_>>(),
        [
            "https://sts.us-east-2.api.aws/",
            "https://sts-fips.us-east-2.api.aws/"
        ]
    );
    // A variant the partition lacks fails the fetch as a configuration error, before sending.
    let web = r#"{"role_arn": "arn:aws:iam::1:role/r", "assume_role_method": "assume_role_with_web_identity",
        "assume_role_with_web_identity_federation": "file", "assume_role_with_web_identity_token_file": "/var/run/token",
        "config_kwargs": {"use_dualstack_endpoint": true}}"#;
    let p = planned(web, &[]).unwrap();
    let mut script = ScriptedTransport::new(vec![]);
    let e = run(&p.source, &mut script, "eu-isoe-west-1").unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Configuration);
    assert!(script.seen.is_empty());
}

#[test]
fn container_credentials_with_token_file() {
    let mut fs = files();
    fs.insert("/var/run/auth", "Bearer abc\n");
    let vars = env(&[
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "http://169.254.170.23/v1/credentials",
        ),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/var/run/auth"),
    ]);
    let p = plan(&settings("{}"), &vars, &HashMap::new(), now()).unwrap();
    assert!(p.files.contains(&"/var/run/auth".to_string()));
    let mut script = ScriptedTransport::new(vec![ok(
        200,
        r#"{"AccessKeyId": "ASIACONT", "SecretAccessKey": "s", "Token": "t", "Expiration": "2026-11-19T08:00:00Z"}"#,
    )]);
    let mut ctx = FetchContext {
        transport: &mut script,
        fs: &fs,
        now: now(),
        region: "us-east-1",
    };
    assert_eq!(
        fetch(&p.source, &mut ctx).unwrap().access_key_id(),
        "ASIACONT"
    );
    assert_eq!(script.seen[0].headers()["authorization"], "Bearer abc");
    assert!(!format!("{:?}", script.seen[0]).contains("Bearer abc"));
    assert_eq!(script.seen[0].uri(), "http://169.254.170.23/v1/credentials");
}

#[test]
fn imds_v2_token_role_then_credentials() {
    let p = plan(&settings("{}"), &env(&[]), &HashMap::new(), now()).unwrap();
    let mut script = ScriptedTransport::new(vec![
        ok(200, "TOKEN123"),
        ok(200, "my-role\n"),
        ok(
            200,
            r#"{"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "ASIAIMDS", "SecretAccessKey": "s", "Token": "t", "Expiration": "2026-11-19T08:00:00Z"}"#,
        ),
    ]);
    assert_eq!(
        run(&p.source, &mut script, "us-east-1")
            .unwrap()
            .access_key_id(),
        "ASIAIMDS"
    );
    assert_eq!(script.seen[0].method(), "PUT");
    assert_eq!(
        script.seen[0].uri(),
        "http://169.254.169.254/latest/api/token"
    );
    assert_eq!(
        script.seen[0].headers()["x-aws-ec2-metadata-token-ttl-seconds"],
        "21600"
    );
    assert_eq!(
        script.seen[2].uri(),
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/my-role"
    );
    assert_eq!(
        script.seen[2].headers()["x-aws-ec2-metadata-token"],
        "TOKEN123"
    );
    assert!(!format!("{:?}", script.seen).contains("TOKEN123"));
}

#[test]
fn failures_name_the_source_and_hold_no_secret() {
    let p = plan(&settings("{}"), &env(&[]), &HashMap::new(), now()).unwrap();
    let mut script = ScriptedTransport::new(vec![Err(TransportError {
        message: "connection refused".into(),
        retryable: true,
    })]);
    let e = run(&p.source, &mut script, "us-east-1").unwrap_err();
    assert!(
        e.to_string()
            .contains("instance metadata 169.254.169.254 unreachable"),
        "{e}"
    );

    let p = planned(r#"{"profile_name": "chained"}"#, &[]).unwrap();
    let denied = "<ErrorResponse><Error><Code>AccessDenied</Code><Message>prof1-secret prof1-token not authorized</Message></Error></ErrorResponse>";
    let mut script = ScriptedTransport::new(vec![ok(403, denied)]);
    let e = run(&p.source, &mut script, "us-east-1").unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("assume role arn:aws:iam::123456789012:role/chained"),
        "{text}"
    );
    assert!(matches!(e.kind(), ErrorKind::AccessDenied(_)));
    assert!(
        !text.contains("prof1-secret") && !text.contains("prof1-token"),
        "{text}"
    );

    let kw = r#"{"role_arn": "arn:aws:iam::1:role/r", "assume_role_method": "assume_role_with_web_identity",
        "assume_role_with_web_identity_federation": "file", "assume_role_with_web_identity_token_file": "/missing"}"#;
    let p = planned(kw, &[]).unwrap();
    let e = run(&p.source, &mut ScriptedTransport::new(vec![]), "us-east-1").unwrap_err();
    assert!(
        e.to_string()
            .contains("web identity: cannot read the token file /missing"),
        "{e}"
    );
}

#[test]
fn refresh_five_minutes_before_expiry() {
    let c = Credentials::new("A", "s", None).expiring(now() + Duration::from_secs(600));
    assert!(!c.needs_refresh(now()));
    assert!(!c.needs_refresh(now() + Duration::from_secs(299)));
    assert!(c.needs_refresh(now() + Duration::from_secs(300)));
    assert!(!Credentials::new("A", "s", None).needs_refresh(now() + Duration::from_secs(1 << 30)));
}

#[test]
fn debug_never_shows_the_secret_or_token() {
    let c = Credentials::new("AKID", "SECRETVALUE", Some("TOKENVALUE".into()));
    let shown = format!("{c:?}");
    assert!(shown.contains("AKID"));
    assert!(!shown.contains("SECRETVALUE") && !shown.contains("TOKENVALUE"));
}
