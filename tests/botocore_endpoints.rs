//! FIPS and dual-stack endpoints, data-driven: every row of `tests/data/botocore-endpoints.json`
//! (written by `tests/data/botocore-endpoints.py`, which asks botocore for the URL of each
//! service, region and variant, or records the error it raises) against our resolution. An
//! error row must be a configuration error here. No row is skipped; every disagreement is
//! reported with its row.

use serde_json::Value;
use ssm_secrets::ErrorKind;
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

#[test]
fn regional_variants_are_botocores() {
    let rows = rows();
    let mut failures = Vec::new();
    for row in &rows {
        let variant = Variant {
            fips: row["fips"].as_bool().unwrap(),
            dual_stack: row["dualstack"].as_bool().unwrap(),
        };
        let got = Endpoint::regional_variant(
            row["service"].as_str().unwrap(),
            row["region"].as_str().unwrap(),
            true,
            variant,
        );
        failures.extend(disagreement(row, got));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // 57 regions x 2 services x 4 variants.
    assert_eq!(rows.len(), 456);
}
