//! Whole lookups over TLS: moto (with its SigV4 check) behind a loopback TLS front whose
//! certificate comes from a CA made at test time. The CA is trusted the three ways botocore
//! reads one (`verify`, `AWS_CA_BUNDLE`, a profile's `ca_bundle`); a certificate for another
//! name, an expired one and one from an unknown CA are each refused with the reason; kept-alive
//! TLS connections are reused.

use crate::common;

use common::moto::{Moto, setup};
use common::tls::{Pki, TlsFront, addr_of};
use common::{cli, text};
use host_example::{Session, SessionOptions, Upstream};

/// moto with two variables, and the keys of a user allowed to read them.
fn moto_with_variables() -> (Moto, String, String) {
    let moto = Moto::start();
    let parameters = serde_json::json!([
        {"name": "/airflow/variables/plain", "value": "over TLS", "type": "String"},
        {"name": "/airflow/variables/secure", "value": "secret over TLS", "type": "SecureString"},
    ]);
    let keys = setup(&moto, &parameters);
    let key = |name: &str| keys[name].as_str().unwrap().to_string();
    (moto, key("access_key_id"), key("secret_access_key"))
}

/// One way to trust the CA: its name, the kwargs, the extra environment.
type Way<'a> = (&'a str, String, Vec<(&'a str, &'a str)>);

fn kwargs(front: &TlsFront, extra: serde_json::Value) -> String {
    let mut kwargs = serde_json::json!({"endpoint_url": front.url(), "region_name": "us-east-1"});
    for (k, v) in extra.as_object().unwrap() {
        kwargs[k] = v.clone();
    }
    kwargs.to_string()
}

#[test]
fn get_parameter_and_get_parameters_over_tls_with_each_way_to_trust_a_ca() {
    let (moto, key_id, secret) = moto_with_variables();
    let pki = Pki::new("trusted");
    let front = TlsFront::start(pki.leaf(&["localhost"]), addr_of(&moto.endpoint));
    let bundle = pki.bundle.to_str().unwrap();

    let home = std::env::temp_dir().join(format!("ssm-tls-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let config = home.join("config");
    // A named profile replaces the environment's keys in botocore's chain: they go in it.
    std::fs::write(
        &config,
        format!(
            "[profile tls]\nca_bundle = {bundle}\naws_access_key_id = {key_id}\n\
             aws_secret_access_key = {secret}\n"
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();

    let keys = [
        ("AWS_ACCESS_KEY_ID", key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", secret.as_str()),
    ];
    let ways: [Way; 3] = [
        (
            "verify",
            kwargs(&front, serde_json::json!({"verify": bundle})),
            vec![],
        ),
        (
            "AWS_CA_BUNDLE",
            kwargs(&front, serde_json::json!({})),
            vec![("AWS_CA_BUNDLE", bundle)],
        ),
        (
            "a profile's ca_bundle",
            kwargs(&front, serde_json::json!({"profile_name": "tls"})),
            vec![("AWS_CONFIG_FILE", config)],
        ),
    ];
    for (way, kwargs, extra_env) in ways {
        let env: Vec<(&str, &str)> = keys.iter().copied().chain(extra_env).collect();
        // GetParameter.
        let out = cli(
            &env,
            &["--backend-kwargs", &kwargs, "get-variable", "plain"],
        );
        let (stdout, stderr) = text(&out);
        assert_eq!(
            (out.status.code(), stdout.as_str()),
            (Some(0), "over TLS\n"),
            "{way}: {stderr}"
        );
        // GetParameters.
        let out = cli(
            &env,
            &[
                "--backend-kwargs",
                &kwargs,
                "--json",
                "get-variable",
                "plain",
                "secure",
                "missing",
            ],
        );
        let (stdout, stderr) = text(&out);
        assert_eq!(
            stdout, "\"over TLS\"\n\"secret over TLS\"\nnull\n",
            "{way}: {stderr}"
        );
        assert!(!stderr.contains(&secret), "{way}: {stderr}");
    }

    // Without the CA, the same lookup is refused: the default roots do not know it.
    let env = keys.to_vec();
    let out = cli(
        &env,
        &[
            "--backend-kwargs",
            &kwargs(&front, serde_json::json!({})),
            "get-variable",
            "plain",
        ],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stderr.contains("TLS"), "{stderr}");
    assert!(stderr.contains("UnknownIssuer"), "{stderr}");
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn a_wrong_name_an_expired_certificate_and_an_unknown_ca_are_refused_with_the_reason() {
    let pki = Pki::new("refusals");
    let stranger = Pki::new("stranger");
    let mock = common::ssm_mock::SsmMock::start("tls");
    let backend = addr_of(&mock.url());
    let cases = [
        (
            "another name",
            pki.leaf(&["other.example"]),
            "not valid for name \"localhost\"",
        ),
        ("expired", pki.expired_leaf(&["localhost"]), "expired"),
        (
            "an unknown CA",
            stranger.leaf(&["localhost"]),
            "UnknownIssuer",
        ),
    ];
    for (case, leaf, reason) in cases {
        let front = TlsFront::start(leaf, backend);
        let kwargs = kwargs(
            &front,
            serde_json::json!({"verify": pki.bundle.to_str().unwrap()}),
        );
        let out = cli(
            &[
                ("AWS_ACCESS_KEY_ID", "AKIDTLS"),
                ("AWS_SECRET_ACCESS_KEY", "tls-secret-key"),
            ],
            &["--backend-kwargs", &kwargs, "get-variable", "plain"],
        );
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{case}: {stdout}");
        assert!(stderr.contains("transport error"), "{case}: {stderr}");
        assert!(stderr.contains("TLS"), "{case}: {stderr}");
        assert!(stderr.contains(reason), "{case}: {stderr}");
        assert!(!stderr.contains("tls-secret-key"), "{case}: {stderr}");
        assert_eq!(front.handshakes(), 0, "{case}: no handshake completes");
    }
    assert_eq!(
        mock.requests(),
        0,
        "nothing reached the server behind the fronts"
    );
}

#[test]
fn an_unreadable_ca_bundle_fails_the_open_naming_the_file() {
    let out = cli(
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDTLS"),
            ("AWS_SECRET_ACCESS_KEY", "tls-secret-key"),
        ],
        &[
            "--backend-kwargs",
            r#"{"region_name": "us-east-1", "verify": "/nonexistent/company-ca.pem"}"#,
            "get-variable",
            "plain",
        ],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stderr.contains("configuration error"), "{stderr}");
    assert!(stderr.contains("/nonexistent/company-ca.pem"), "{stderr}");
}

#[test]
fn kept_alive_tls_connections_are_reused() {
    let pki = Pki::new("reuse");
    let mock = common::ssm_mock::SsmMock::start("reuse");
    let front = TlsFront::start(pki.leaf(&["localhost"]), addr_of(&mock.url()));
    let kwargs = kwargs(
        &front,
        serde_json::json!({"verify": pki.bundle.to_str().unwrap()}),
    );
    let options = SessionOptions::new(Upstream::Network)
        .env("AWS_ACCESS_KEY_ID", "AKIDTLS")
        .env("AWS_SECRET_ACCESS_KEY", "tls-secret-key");
    let mut session = Session::open(common::runtime(), &kwargs, options).unwrap();
    for i in 0..5 {
        let name = format!("v{i}");
        assert_eq!(
            session.get_variable(&name, None).unwrap().as_deref(),
            Some(format!("reuse:/airflow/variables/{name}").as_str())
        );
    }
    assert_eq!(front.handshakes(), 1, "five lookups, one TLS session");
    assert_eq!(mock.connections(), 1);
    assert_eq!(mock.requests(), 5);
}
