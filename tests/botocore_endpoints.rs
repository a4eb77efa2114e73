//! FIPS and dual-stack endpoints, data-driven: every row of `tests/data/botocore-endpoints.json`
//! (written by `tests/data/botocore-endpoints.py`, which asks botocore for the URL of each
//! service, region and variant, or records the error it raises) against our resolution. An
//! error row must be a configuration error here. No row is skipped; every disagreement is
//! reported with its row.
//!
//! Each row is checked twice: against [`Endpoint::regional_variant`], and through the whole
//! resolution ([`Targets::resolve`]) the way Airflow's clients get their flags: SSM from
//! `AWS_USE_FIPS_ENDPOINT` / `AWS_USE_DUALSTACK_ENDPOINT` (`config_kwargs` does not reach
//! Airflow's SSM client), STS from `config_kwargs` (it reaches Airflow's STS client of a
//! `role_arn`, as botocore's `Config` in the generator).

use std::collections::HashMap;
use std::time::SystemTime;

use serde_json::Value;
use ssm_secrets::ErrorKind;
use ssm_secrets::backend::Targets;
use ssm_secrets::config::BackendConfig;
use ssm_secrets::endpoint::{Endpoint, Variant};

fn rows() -> Vec<Value> {
    let data: Value = serde_json::from_str(include_str!("data/botocore-endpoints.json")).unwrap();
    data["rows"].as_array().unwrap().clone()
}

/// What a row expects: `Ok(url)` without the trailing `/`, or `Err(botocore's error)`.
fn expected(row: &Value) -> Result<String, String> {
    match (row["url"].as_str(), row["error"].as_str()) {
        (Some(url), None) => Ok(url.to_string()),
        (None, Some(error)) => Err(error.to_string()),
        _ => panic!("a row has a url or an error: {row}"),
    }
}

/// Compares `got` with the row; `None` when they agree, else the disagreement.
fn disagreement(row: &Value, got: Result<Endpoint, ssm_secrets::Error>) -> Option<String> {
    match (expected(row), got) {
        (Ok(url), Ok(endpoint)) if endpoint.url().trim_end_matches('/') == url => None,
        (Err(_), Err(e)) if e.kind() == &ErrorKind::Configuration => None,
        (want, got) => Some(format!("{row}: botocore {want:?}, we {got:?}")),
    }
}

fn variant(row: &Value) -> Variant {
    Variant {
        fips: row["fips"].as_bool().unwrap(),
        dual_stack: row["dualstack"].as_bool().unwrap(),
    }
}

#[test]
fn regional_variants_are_botocores() {
    let rows = rows();
    let mut failures = Vec::new();
    for row in &rows {
        let got = Endpoint::regional_variant(
            row["service"].as_str().unwrap(),
            row["region"].as_str().unwrap(),
            true,
            variant(row),
        );
        failures.extend(disagreement(row, got));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // 57 regions x 2 services x 4 variants.
    assert_eq!(rows.len(), 456);
}

/// The endpoint our resolution gives the row's client.
fn resolved(row: &Value) -> Result<Endpoint, ssm_secrets::Error> {
    let region = row["region"].as_str().unwrap();
    let v = variant(row);
    let mut env = HashMap::from([
        ("AWS_ACCESS_KEY_ID".to_string(), "AKIDEXAMPLE".to_string()),
        ("AWS_SECRET_ACCESS_KEY".to_string(), "secret".to_string()),
    ]);
    let fs: HashMap<&'static str, &'static str> = HashMap::new();
    let kwargs = if row["service"] == "ssm" {
        env.insert("AWS_USE_FIPS_ENDPOINT".into(), v.fips.to_string());
        env.insert(
            "AWS_USE_DUALSTACK_ENDPOINT".into(),
            v.dual_stack.to_string(),
        );
        serde_json::json!({"region_name": region})
    } else {
        serde_json::json!({
            "region_name": region,
            "role_arn": "arn:aws:iam::123456789012:role/r",
            "config_kwargs": {"use_fips_endpoint": v.fips, "use_dualstack_endpoint": v.dual_stack},
        })
    };
    let config = BackendConfig::from_json(&kwargs.to_string())?;
    let targets = Targets::resolve(&config, &env, &fs, SystemTime::now())?;
    Ok(if row["service"] == "ssm" {
        targets.ssm
    } else {
        assert_eq!(targets.credential_endpoints.len(), 1, "{row}");
        targets.credential_endpoints[0].clone()
    })
}

#[test]
fn airflows_clients_resolve_botocores_endpoints() {
    let mut failures = Vec::new();
    for row in &rows() {
        failures.extend(disagreement(row, resolved(row)));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
