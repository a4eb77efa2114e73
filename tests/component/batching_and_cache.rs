//! Batched lookups and the cache, through the component and the host's HTTP hook.

use crate::common;

use common::Recorder;

#[test]
fn twenty_five_variables_take_three_requests() {
    let mut recorder = Recorder::new();
    for i in 0..25 {
        if i % 5 != 0 {
            recorder = recorder.value(&format!("/airflow/variables/v{i}"), &format!("value {i}"));
        }
    }
    let mut s = common::open("{}", &recorder);
    let keys: Vec<String> = (0..25).map(|i| format!("v{i}")).collect();
    let results = s.get_variables(&keys, None).unwrap();
    let sizes: Vec<usize> = recorder.batches().iter().map(Vec::len).collect();
    assert_eq!(sizes, [10, 10, 5]);
    assert_eq!(recorder.seen().len(), 3);
    for (i, r) in results.iter().enumerate() {
        let want = (i % 5 != 0).then(|| format!("value {i}"));
        assert_eq!(r.as_ref().unwrap(), &want, "v{i}");
    }
}

#[test]
fn batched_connections_keep_single_lookup_rules() {
    let recorder = Recorder::new()
        .value("/airflow/connections/t--a", "http://team-a")
        .value("/airflow/connections/b", "postgres://u:p@h/db")
        .value("/airflow/connections/empty", "");
    let kwargs = r#"{"connections_lookup_pattern": "^(a|b|empty|missing)$"}"#;
    let mut s = common::open(kwargs, &recorder);
    let ids: Vec<String> = ["a", "b", "empty", "missing", "skipped"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let results = s.get_connections(&ids, Some("t")).unwrap();
    assert_eq!(
        results[0]
            .as_ref()
            .unwrap()
            .as_ref()
            .unwrap()
            .host
            .as_deref(),
        Some("team-a")
    );
    assert_eq!(
        results[1]
            .as_ref()
            .unwrap()
            .as_ref()
            .unwrap()
            .schema
            .as_deref(),
        Some("db")
    );
    assert!(
        results[2].as_ref().unwrap().is_none(),
        "an empty value is not found"
    );
    assert!(results[3].as_ref().unwrap().is_none());
    assert!(
        results[4].as_ref().unwrap().is_none(),
        "filtered by the pattern"
    );
    let batches = recorder.batches();
    assert_eq!(
        batches[0],
        [
            "/airflow/connections/t--a",
            "/airflow/connections/t--b",
            "/airflow/connections/t--empty",
            "/airflow/connections/t--missing"
        ]
    );
    assert_eq!(
        batches[1],
        [
            "/airflow/connections/b",
            "/airflow/connections/empty",
            "/airflow/connections/missing"
        ]
    );
}

#[test]
fn cache_serves_repeats_until_cleared() {
    let recorder = Recorder::new().value("/airflow/variables/a", "1");
    let mut s = common::open(r#"{"cache_ttl_seconds": 900}"#, &recorder);
    for _ in 0..5 {
        assert_eq!(s.get_variable("a", None).unwrap().as_deref(), Some("1"));
        assert_eq!(s.get_variable("missing", None).unwrap(), None);
    }
    assert_eq!(recorder.seen().len(), 2, "one request per name");
    s.clear_cache().unwrap();
    s.get_variable("a", None).unwrap();
    assert_eq!(recorder.seen().len(), 3);

    let uncached = Recorder::new().value("/airflow/variables/a", "1");
    let mut s = common::open("{}", &uncached);
    s.get_variable("a", None).unwrap();
    s.get_variable("a", None).unwrap();
    assert_eq!(
        uncached.seen().len(),
        2,
        "no cache unless asked for, as in Airflow"
    );
}
