//! Lookups through a loopback HTTP proxy the test runs, as botocore routes them: HTTPS in a
//! `CONNECT` tunnel (`HTTPS_PROXY` / `https_proxy`), plain HTTP forwarded (`HTTP_PROXY`),
//! `NO_PROXY` going around it, the proxy's credentials reaching it and no output, and a
//! destination outside the allow-list refused before the proxy hears of it.

use crate::common;

use common::connect_proxy::ConnectProxy;
use common::ssm_mock::SsmMock;
use common::tls::{Pki, TlsFront, addr_of};
use common::{cli, text};
use host_example::proxy::ProxySettings;
use host_example::{EgressPolicy, Session, SessionOptions, Upstream};

const KEY_ID: &str = "AKIDPROXY";
const SECRET: &str = "proxy-test-secret-key";
/// `alice:hunter2`, as `Proxy-Authorization: Basic` carries it.
const ALICE: &str = "Basic YWxpY2U6aHVudGVyMg==";

/// An SSM mock behind a TLS front for `localhost`, and the kwargs that trust its CA.
fn tls_ssm(label: &str) -> (SsmMock, TlsFront, String) {
    let pki = Pki::new(label);
    let mock = SsmMock::start(label);
    let front = TlsFront::start(pki.leaf(&["localhost"]), addr_of(&mock.url()));
    let kwargs = serde_json::json!({
        "endpoint_url": front.url(),
        "region_name": "eu-west-1",
        "verify": pki.bundle.to_str().unwrap(),
    })
    .to_string();
    (mock, front, kwargs)
}

fn lookup(kwargs: &str, env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let mut all = vec![
        ("AWS_ACCESS_KEY_ID", KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
    ];
    all.extend_from_slice(env);
    let out = cli(
        &all,
        &["--backend-kwargs", kwargs, "get-variable", "through"],
    );
    let (stdout, stderr) = text(&out);
    (out.status.code(), stdout, stderr)
}

#[test]
fn https_goes_through_a_connect_tunnel_with_the_proxys_credentials() {
    let (mock, front, kwargs) = tls_ssm("tunnel");
    let proxy = ConnectProxy::requiring(ALICE);
    let with_credentials = proxy.url(Some("alice:hunter2"));
    for variable in ["HTTPS_PROXY", "https_proxy"] {
        let (code, stdout, stderr) = lookup(&kwargs, &[(variable, &with_credentials)]);
        assert_eq!(
            (code, stdout.as_str()),
            (Some(0), "tunnel:/airflow/variables/through\n"),
            "{variable}: {stderr}"
        );
        assert!(!stderr.contains("hunter2"), "{stderr}");
    }
    let seen = proxy.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    for request in &seen {
        assert_eq!(
            request.line,
            format!("CONNECT localhost:{} HTTP/1.1", front.addr.port())
        );
        assert_eq!(request.authorization.as_deref(), Some(ALICE));
    }
    assert_eq!(mock.requests(), 2);
}

#[test]
fn wrong_proxy_credentials_are_refused_by_the_proxy_and_shown_nowhere() {
    let (mock, _front, kwargs) = tls_ssm("refused");
    let proxy = ConnectProxy::requiring(ALICE);
    let (code, stdout, stderr) = lookup(
        &kwargs,
        &[("HTTPS_PROXY", &proxy.url(Some("alice:wrong-password")))],
    );
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stderr.contains("transport error"), "{stderr}");
    assert!(stderr.contains("proxy authorization required"), "{stderr}");
    assert!(stderr.contains(&proxy.addr.to_string()), "{stderr}");
    assert!(
        !stderr.contains("wrong-password") && !stderr.contains("alice"),
        "{stderr}"
    );
    assert!(!proxy.seen().is_empty());
    assert_eq!(mock.requests(), 0);
}

#[test]
fn no_proxy_goes_around_the_proxy() {
    let (mock, _front, kwargs) = tls_ssm("bypass");
    let proxy = ConnectProxy::start();
    for no_proxy in [
        ("NO_PROXY", "localhost"),
        ("no_proxy", ".example.com,localhost"),
    ] {
        let (code, stdout, stderr) =
            lookup(&kwargs, &[("HTTPS_PROXY", &proxy.url(None)), no_proxy]);
        assert_eq!(
            (code, stdout.as_str()),
            (Some(0), "bypass:/airflow/variables/through\n"),
            "{stderr}"
        );
    }
    assert!(proxy.seen().is_empty(), "{:?}", proxy.seen());
    assert_eq!(mock.requests(), 2);
}

#[test]
fn plain_http_is_forwarded_in_absolute_form() {
    let mock = SsmMock::start("forward");
    let proxy = ConnectProxy::requiring(ALICE);
    let kwargs =
        serde_json::json!({"endpoint_url": mock.url(), "region_name": "eu-west-1"}).to_string();
    let (code, stdout, stderr) = lookup(
        &kwargs,
        &[("HTTP_PROXY", &proxy.url(Some("alice:hunter2")))],
    );
    assert_eq!(
        (code, stdout.as_str()),
        (Some(0), "forward:/airflow/variables/through\n"),
        "{stderr}"
    );
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].line, format!("POST {}/ HTTP/1.1", mock.url()));
    assert_eq!(seen[0].authorization.as_deref(), Some(ALICE));
    assert_eq!(mock.requests(), 1);
}

#[test]
fn a_destination_outside_the_grants_is_refused_before_the_proxy_sees_it() {
    let (mock, _front, kwargs) = tls_ssm("denied");
    let proxy = ConnectProxy::start();
    let options = SessionOptions {
        policy: Some(EgressPolicy::deny_all()),
        proxies: ProxySettings::from_vars(&[("HTTPS_PROXY".into(), proxy.url(None))]),
        ..SessionOptions::new(Upstream::Network)
            .env("AWS_ACCESS_KEY_ID", KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
    };
    let mut session = Session::open(common::runtime(), &kwargs, options).unwrap();
    let error = session
        .get_variable("through", None)
        .unwrap_err()
        .to_string();
    assert!(error.contains("not allowed"), "{error}");
    assert!(proxy.seen().is_empty(), "{:?}", proxy.seen());
    assert_eq!(mock.requests(), 0);
}

#[test]
fn an_unusable_proxy_fails_the_open_without_its_credentials() {
    let (code, stdout, stderr) = lookup(
        r#"{"region_name": "eu-west-1"}"#,
        &[("HTTPS_PROXY", "socks5://alice:hunter2@127.0.0.1:1080")],
    );
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stderr.contains("configuration error"), "{stderr}");
    assert!(stderr.contains("must be http"), "{stderr}");
    assert!(
        !stderr.contains("hunter2") && !stderr.contains("alice"),
        "{stderr}"
    );
}

#[test]
fn config_kwargs_proxies_reach_airflows_sts_client_only() {
    use common::moto::{Moto, setup};

    let moto = Moto::start();
    let keys = setup(
        &moto,
        &serde_json::json!([{"name": "/airflow/variables/through", "value": "via a role", "type": "String"}]),
    );
    let key = |name: &str| keys[name].as_str().unwrap().to_string();
    let proxy = ConnectProxy::requiring(ALICE);
    // STS under another name for the same moto, so that SSM and STS are two endpoints.
    let sts = moto.endpoint.replace("127.0.0.1", "localhost");
    let kwargs = serde_json::json!({
        "role_arn": key("role_arn"), "region_name": "us-east-1",
        "endpoint_url": moto.endpoint,
        "service_config": {"sts": {"endpoint_url": sts}},
        "config_kwargs": {"proxies": {"http": proxy.url(Some("alice:hunter2"))}},
    })
    .to_string();
    let (assumer_id, assumer_secret) = (key("assumer_key_id"), key("assumer_secret"));
    let out = cli(
        &[
            ("AWS_ACCESS_KEY_ID", assumer_id.as_str()),
            ("AWS_SECRET_ACCESS_KEY", assumer_secret.as_str()),
        ],
        &["--backend-kwargs", &kwargs, "get-variable", "through"],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(
        (out.status.code(), stdout.as_str()),
        (Some(0), "via a role\n"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1, "only the AssumeRole call: {seen:?}");
    assert_eq!(seen[0].line, format!("POST {sts}/ HTTP/1.1"));
    assert_eq!(seen[0].authorization.as_deref(), Some(ALICE));
}
