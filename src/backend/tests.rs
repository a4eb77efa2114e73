//! The lookup loop with a scripted transport and a fake clock: retries and their delays, the
//! retry quota, `x-amz-retry-after`, clock-skew correction and request timeouts. No sleeps.

use std::collections::HashMap;
use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::error::ErrorKind;
use crate::message::{Request, RequestTimeouts};
use crate::platform::TransportError;
use crate::test_util::{FakeClock, Reply, ScriptedTransport, reply};

const START: u64 = 1_795_000_000;

fn value(v: &str) -> Reply {
    Ok(reply(
        200,
        format!(r#"{{"Parameter": {{"Value": "{v}"}}}}"#),
    ))
}

fn aws(status: u16, code: &str) -> Reply {
    Ok(reply(
        status,
        format!(r#"{{"__type": "{code}", "message": "m"}}"#),
    ))
}

fn with_header(reply: Reply, name: &str, value: &str) -> Reply {
    reply.map(|r| crate::test_util::with_header(r, name, value))
}

fn dropped() -> Reply {
    Err(TransportError {
        message: "the connection was closed early".into(),
        retryable: true,
    })
}

struct Run {
    result: Result<Option<String>, Error>,
    sleeps: Vec<Duration>,
    requests: Vec<Request>,
}

fn run_with(backend: &mut Backend, clock: &FakeClock, replies: Vec<Reply>) -> Run {
    let env: HashMap<String, String> = HashMap::from([
        ("AWS_ACCESS_KEY_ID".into(), "AKID".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "SECRETKEY-VALUE".into()),
        ("AWS_DEFAULT_REGION".into(), "eu-west-1".into()),
    ]);
    let fs: HashMap<&'static str, &'static str> = HashMap::new();
    let mut script = ScriptedTransport::new(replies).then_always(value("v"));
    let before = clock.sleeps().len();
    let result = {
        let mut platform = Platform {
            transport: &mut script,
            env: &env,
            clock,
            fs: &fs,
        };
        backend.get_value(&mut platform, Kind::Variable, "v", None)
    };
    Run {
        result,
        sleeps: clock.sleeps()[before..].to_vec(),
        requests: script.seen,
    }
}

fn run(kwargs: &str, replies: Vec<Reply>) -> Run {
    let clock = FakeClock::new(UNIX_EPOCH + Duration::from_secs(START));
    run_with(&mut Backend::new(kwargs).unwrap(), &clock, replies)
}

#[test]
fn throttling_then_success_is_retried_with_backoff() {
    let r = run(
        "{}",
        vec![
            aws(400, "ThrottlingException"),
            aws(429, "TooManyRequestsException"),
        ],
    );
    assert_eq!(r.result.unwrap().as_deref(), Some("v"));
    assert_eq!(r.requests.len(), 3);
    assert_eq!(r.sleeps.len(), 2);
    assert!(r.sleeps[0] < Duration::from_secs(1), "{:?}", r.sleeps);
    assert!(r.sleeps[1] < Duration::from_secs(2), "{:?}", r.sleeps);
}

#[test]
fn persistent_throttling_fails_after_the_configured_attempts() {
    let r = run("{}", vec![aws(400, "ThrottlingException"); 10]);
    let e = r.result.unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Throttled(_)), "{e}");
    assert!(e.to_string().contains("after 3 attempts"), "{e}");
    assert_eq!(r.requests.len(), 3);

    let r = run(
        r#"{"config_kwargs": {"retries": {"max_attempts": 4}}}"#,
        vec![aws(400, "ThrottlingException"); 10],
    );
    assert_eq!(
        r.requests.len(),
        5,
        "botocore's max_attempts counts retries"
    );
}

#[test]
fn server_faults_and_dropped_connections_are_transient() {
    for reply in [
        aws(500, "InternalServerError"),
        aws(502, "BadGateway"),
        aws(503, "ServiceUnavailable"),
        aws(504, "GatewayTimeout"),
        dropped(),
    ] {
        let r = run("{}", vec![reply]);
        assert_eq!(r.result.unwrap().as_deref(), Some("v"));
        assert_eq!(r.requests.len(), 2);
        assert!(
            r.sleeps[0] < Duration::from_millis(50),
            "transient base is 50 ms: {:?}",
            r.sleeps
        );
    }
}

#[test]
fn other_failures_are_not_retried() {
    let refused = Err(TransportError {
        message: "the host refused the request".into(),
        retryable: false,
    });
    for reply in [
        aws(400, "ValidationException"),
        aws(400, "AccessDeniedException"),
        aws(400, "ExpiredTokenException"),
        refused,
    ] {
        let r = run("{}", vec![reply]);
        assert!(r.result.is_err());
        assert_eq!(r.requests.len(), 1);
        assert!(r.sleeps.is_empty());
    }
}

#[test]
fn retry_after_header_stretches_the_delay() {
    let r = run(
        "{}",
        vec![with_header(
            aws(400, "ThrottlingException"),
            "x-amz-retry-after",
            "3000",
        )],
    );
    assert_eq!(r.result.unwrap().as_deref(), Some("v"));
    assert!(
        r.sleeps[0] >= Duration::from_secs(3) && r.sleeps[0] <= Duration::from_secs(6),
        "{:?}",
        r.sleeps
    );
}

#[test]
fn the_retry_quota_stops_a_retry_storm() {
    let clock = FakeClock::new(UNIX_EPOCH + Duration::from_secs(START));
    let mut backend =
        Backend::new(r#"{"config_kwargs": {"retries": {"total_max_attempts": 1000}}}"#).unwrap();
    let r = run_with(
        &mut backend,
        &clock,
        vec![aws(500, "InternalServerError"); 100],
    );
    let e = r.result.unwrap_err();
    assert!(e.to_string().contains("retry quota exhausted"), "{e}");
    assert_eq!(r.requests.len(), 36, "500 tokens pay 35 retries of 14");
    // Successes refill it.
    let r = run_with(&mut backend, &clock, vec![]);
    assert!(r.result.is_ok());
    assert_eq!(backend.quota.tokens(), 500 - 35 * 14 + 1);
}

#[test]
fn a_skewed_clock_is_corrected_from_the_date_header_and_kept() {
    let clock = FakeClock::new(UNIX_EPOCH + Duration::from_secs(START));
    let server_now = "Wed, 18 Nov 2026 12:06:40 GMT"; // START + 1 hour
    assert_eq!(
        crate::timestamp::parse_http_date(server_now),
        Some(UNIX_EPOCH + Duration::from_secs(START + 3600))
    );
    let mut backend = Backend::new("{}").unwrap();
    let r = run_with(
        &mut backend,
        &clock,
        vec![with_header(
            aws(400, "InvalidSignatureException"),
            "date",
            server_now,
        )],
    );
    assert_eq!(r.result.unwrap().as_deref(), Some("v"));
    assert_eq!(r.requests.len(), 2);
    assert!(r.sleeps.is_empty(), "a skew retry is immediate");
    let date = |req: &Request| req.headers()["x-amz-date"].to_str().unwrap().to_string();
    assert_eq!(date(&r.requests[0]), "20261118T110640Z");
    assert_eq!(date(&r.requests[1]), "20261118T120640Z");
    let r = run_with(&mut backend, &clock, vec![]);
    assert_eq!(
        date(&r.requests[0]),
        "20261118T120640Z",
        "the offset is kept"
    );

    // Without a usable Date, or with a small difference, there is nothing to correct.
    let r = run("{}", vec![aws(400, "InvalidSignatureException")]);
    assert_eq!((r.result.is_err(), r.requests.len()), (true, 1));
    let close = "Wed, 18 Nov 2026 11:07:40 GMT";
    let r = run(
        "{}",
        vec![with_header(
            aws(400, "SignatureDoesNotMatch"),
            "date",
            close,
        )],
    );
    assert_eq!((r.result.is_err(), r.requests.len()), (true, 1));
}

#[test]
fn timeouts_from_config_kwargs_travel_with_the_request() {
    let r = run(
        r#"{"config_kwargs": {"connect_timeout": 3, "read_timeout": 7.5}}"#,
        vec![],
    );
    let t = r.requests[0].extensions().get::<RequestTimeouts>().unwrap();
    assert_eq!(
        (t.connect, t.read),
        (Duration::from_secs(3), Duration::from_millis(7500))
    );
    let r = run("{}", vec![]);
    let t = r.requests[0].extensions().get::<RequestTimeouts>().unwrap();
    assert_eq!(
        (t.connect, t.read),
        (Duration::from_secs(60), Duration::from_secs(60))
    );
}

#[test]
fn no_secret_in_errors_after_retries() {
    let leak = Err(TransportError {
        message: "reset; SECRETKEY-VALUE".into(),
        retryable: true,
    });
    let r = run("{}", vec![leak.clone(), leak.clone(), leak]);
    let e = r.result.unwrap_err();
    assert!(!e.to_string().contains("SECRETKEY-VALUE"), "{e}");
}

/// An SSM double that answers `GetParameter` and `GetParameters` from a map, counting calls;
/// `refuse_batches` answers every `GetParameters` with `AccessDeniedException`; names in
/// `failing` get a `ThrottlingException`.
#[derive(Default)]
struct Ssm {
    store: HashMap<String, String>,
    failing: Vec<String>,
    refuse_batches: bool,
    calls: Vec<(String, Vec<String>)>,
}

impl Ssm {
    fn with(pairs: &[(&str, &str)]) -> Self {
        Ssm {
            store: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }
}

impl Transport for Ssm {
    fn send(&mut self, request: Request) -> Reply {
        let target = request.headers()["x-amz-target"]
            .to_str()
            .unwrap()
            .to_string();
        let body: serde_json::Value = serde_json::from_slice(request.body()).unwrap();
        if target == "AmazonSSM.GetParameter" {
            let name = body["Name"].as_str().unwrap().to_string();
            self.calls.push((target, vec![name.clone()]));
            if self.failing.contains(&name) {
                return aws(400, "ThrottlingException");
            }
            return match self.store.get(&name) {
                Some(v) => value(v),
                None => aws(400, "ParameterNotFound"),
            };
        }
        let names: Vec<String> = body["Names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .collect();
        self.calls.push((target, names.clone()));
        if self.refuse_batches {
            return aws(400, "AccessDeniedException");
        }
        if names.iter().any(|n| self.failing.contains(n)) {
            return aws(400, "ThrottlingException");
        }
        let (found, missing): (Vec<&String>, Vec<&String>) =
            names.iter().partition(|n| self.store.contains_key(*n));
        let parameters: Vec<serde_json::Value> = found
            .iter()
            .map(|n| serde_json::json!({"Name": n, "Type": "String", "Value": self.store[*n]}))
            .collect();
        let body = serde_json::json!({"Parameters": parameters, "InvalidParameters": missing});
        Ok(reply(200, body.to_string()))
    }
}

fn env() -> HashMap<String, String> {
    HashMap::from([
        ("AWS_ACCESS_KEY_ID".into(), "AKID".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "SECRETKEY-VALUE".into()),
        ("AWS_DEFAULT_REGION".into(), "eu-west-1".into()),
    ])
}

fn batch(
    backend: &mut Backend,
    ssm: &mut Ssm,
    clock: &FakeClock,
    kind: Kind,
    ids: &[&str],
    team: Option<&str>,
) -> Vec<Result<Option<String>, Error>> {
    let env = env();
    let fs: HashMap<&'static str, &'static str> = HashMap::new();
    let mut platform = Platform {
        transport: ssm,
        env: &env,
        clock,
        fs: &fs,
    };
    let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    backend.get_values(&mut platform, kind, &ids, team)
}

fn single(
    backend: &mut Backend,
    ssm: &mut Ssm,
    clock: &FakeClock,
    id: &str,
) -> Result<Option<String>, Error> {
    let env = env();
    let fs: HashMap<&'static str, &'static str> = HashMap::new();
    let mut platform = Platform {
        transport: ssm,
        env: &env,
        clock,
        fs: &fs,
    };
    backend.get_value(&mut platform, Kind::Variable, id, None)
}

fn clock() -> FakeClock {
    FakeClock::new(UNIX_EPOCH + Duration::from_secs(START))
}

#[test]
fn a_hundred_ids_take_ten_requests() {
    let store: Vec<(String, String)> = (0..100)
        .filter(|i| i % 3 != 0)
        .map(|i| (format!("/airflow/variables/v{i}"), format!("value {i}")))
        .collect();
    let pairs: Vec<(&str, &str)> = store
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut ssm = Ssm::with(&pairs);
    let ids: Vec<String> = (0..100).map(|i| format!("v{i}")).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let results = batch(
        &mut Backend::new("{}").unwrap(),
        &mut ssm,
        &clock(),
        Kind::Variable,
        &id_refs,
        None,
    );
    assert_eq!(ssm.calls.len(), 10);
    assert!(
        ssm.calls
            .iter()
            .all(|(t, names)| t == "AmazonSSM.GetParameters" && names.len() == 10)
    );
    for (i, result) in results.iter().enumerate() {
        let want = (i % 3 != 0).then(|| format!("value {i}"));
        assert_eq!(result.as_ref().unwrap(), &want, "v{i}");
    }
}

#[test]
fn mixed_found_missing_filtered_and_disabled() {
    let mut ssm = Ssm::with(&[
        ("/airflow/connections/db", "postgres://h"),
        ("/airflow/connections/team_a--api", "http://team"),
    ]);
    let kwargs = r#"{"connections_lookup_pattern": "^(db|api|missing)", "variables_prefix": null}"#;
    let mut backend = Backend::new(kwargs).unwrap();
    let c = clock();
    let results = batch(
        &mut backend,
        &mut ssm,
        &c,
        Kind::Connection,
        &["db", "missing", "filtered_out", "api"],
        Some("team_a"),
    );
    let values: Vec<Option<String>> = results.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        values,
        [
            Some("postgres://h".into()),
            None,
            None,
            Some("http://team".into())
        ]
    );
    // First the team names of the three ids the pattern lets through, then the plain names of
    // the two not found there; the filtered id is never asked for.
    assert_eq!(
        ssm.calls[0].1,
        [
            "/airflow/connections/team_a--db",
            "/airflow/connections/team_a--missing",
            "/airflow/connections/team_a--api"
        ]
    );
    assert_eq!(
        ssm.calls[1].1,
        ["/airflow/connections/db", "/airflow/connections/missing"]
    );
    assert_eq!(ssm.calls.len(), 2);
    // A disabled kind sends nothing.
    let results = batch(
        &mut backend,
        &mut ssm,
        &c,
        Kind::Variable,
        &["a", "b"],
        None,
    );
    assert!(results.iter().all(|r| r.as_ref().unwrap().is_none()));
    assert_eq!(ssm.calls.len(), 2);
}

#[test]
fn batch_errors_stay_with_their_ids_and_refusals_fall_back_to_singles() {
    let mut ssm = Ssm::with(&[("/airflow/variables/a", "1"), ("/airflow/variables/b", "2")]);
    ssm.refuse_batches = true;
    let results = batch(
        &mut Backend::new("{}").unwrap(),
        &mut ssm,
        &clock(),
        Kind::Variable,
        &["a", "b", "c"],
        None,
    );
    let values: Vec<Option<String>> = results.into_iter().map(Result::unwrap).collect();
    assert_eq!(values, [Some("1".into()), Some("2".into()), None]);
    assert_eq!(
        ssm.calls
            .iter()
            .filter(|(t, _)| t == "AmazonSSM.GetParameter")
            .count(),
        3
    );

    let mut ssm = Ssm::with(&[("/airflow/variables/a", "1")]);
    ssm.failing = vec!["/airflow/variables/b".into()];
    let results = batch(
        &mut Backend::new("{}").unwrap(),
        &mut ssm,
        &clock(),
        Kind::Variable,
        &["a", "b"],
        None,
    );
    assert!(
        results
            .iter()
            .all(|r| matches!(r.as_ref().unwrap_err().kind(), ErrorKind::Throttled(_))),
        "a throttled batch fails its ids"
    );
}

#[test]
fn cached_values_expire_and_not_found_is_cached() {
    let mut ssm = Ssm::with(&[("/airflow/variables/a", "1")]);
    let mut backend = Backend::new(r#"{"cache_ttl_seconds": 60}"#).unwrap();
    let c = clock();
    assert_eq!(
        single(&mut backend, &mut ssm, &c, "a").unwrap().as_deref(),
        Some("1")
    );
    assert_eq!(
        single(&mut backend, &mut ssm, &c, "a").unwrap().as_deref(),
        Some("1")
    );
    assert_eq!(single(&mut backend, &mut ssm, &c, "missing").unwrap(), None);
    assert_eq!(single(&mut backend, &mut ssm, &c, "missing").unwrap(), None);
    assert_eq!(ssm.calls.len(), 2, "one request per name within the TTL");
    c.advance(Duration::from_secs(60));
    assert_eq!(
        single(&mut backend, &mut ssm, &c, "a").unwrap().as_deref(),
        Some("1")
    );
    assert_eq!(ssm.calls.len(), 3, "expired after the TTL");
    backend.clear_cache();
    single(&mut backend, &mut ssm, &c, "a").unwrap();
    assert_eq!(ssm.calls.len(), 4, "cleared");
    // Batches use the same cache.
    let results = batch(
        &mut backend,
        &mut ssm,
        &c,
        Kind::Variable,
        &["a", "missing", "b"],
        None,
    );
    assert_eq!(
        results.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
        [Some("1".into()), None, None]
    );
    // `a` is fresh (fetched after the clear); `missing` expired with the TTL; `b` is new.
    assert_eq!(
        ssm.calls.last().unwrap().1,
        ["/airflow/variables/missing", "/airflow/variables/b"]
    );
}

#[test]
fn eviction_and_stale_serving() {
    let mut ssm = Ssm::with(&[
        ("/airflow/variables/a", "1"),
        ("/airflow/variables/b", "2"),
        ("/airflow/variables/c", "3"),
    ]);
    let mut backend = Backend::new(
        r#"{"cache_ttl_seconds": 60, "cache_max_entries": 2, "cache_stale_seconds": 600}"#,
    )
    .unwrap();
    let c = clock();
    for id in ["a", "b", "c"] {
        single(&mut backend, &mut ssm, &c, id).unwrap();
    }
    single(&mut backend, &mut ssm, &c, "a").unwrap();
    assert_eq!(
        ssm.calls.len(),
        4,
        "a was evicted by c (least recently used)"
    );
    // SSM throttles after the TTL: the stale value is served.
    c.advance(Duration::from_secs(120));
    ssm.failing = vec!["/airflow/variables/a".into()];
    assert_eq!(
        single(&mut backend, &mut ssm, &c, "a").unwrap().as_deref(),
        Some("1")
    );
    // Beyond the stale allowance, the error comes through.
    c.advance(Duration::from_secs(1000));
    assert!(single(&mut backend, &mut ssm, &c, "a").is_err());
}

/// `get_connection` and `get_connections` with the default (core) semantics and after
/// `set_connection_semantics`.
#[test]
fn connections_parse_with_the_chosen_semantics() {
    let mut ssm = Ssm::with(&[
        ("/airflow/connections/typed", "x://u:@h?n=1"),
        ("/airflow/connections/list", "x://h?__extra__=%5B1%5D"),
    ]);
    let (env, fs) = (env(), HashMap::<&'static str, &'static str>::new());
    let clock = clock();
    let mut platform = Platform {
        transport: &mut ssm,
        env: &env,
        clock: &clock,
        fs: &fs,
    };
    let mut backend = Backend::new("{}").unwrap();
    assert_eq!(backend.connection_semantics(), ConnectionSemantics::Core);
    let core = backend
        .get_connection(&mut platform, "typed", None)
        .unwrap()
        .unwrap();
    assert_eq!(
        (core.password, core.extra.as_deref()),
        (None, Some(r#"{"n": 1}"#))
    );
    assert!(backend.get_connection(&mut platform, "list", None).is_err());

    backend.set_connection_semantics(ConnectionSemantics::TaskSdk);
    let ids = [
        "typed".to_string(),
        "list".to_string(),
        "missing".to_string(),
    ];
    let [typed, list, missing] =
        <[_; 3]>::try_from(backend.get_connections(&mut platform, &ids, None)).unwrap();
    let typed = typed.unwrap().unwrap();
    assert_eq!(
        (typed.password.as_deref(), typed.extra.as_deref()),
        (Some(""), Some(r#"{"n": "1"}"#))
    );
    assert_eq!(list.unwrap().unwrap().extra.as_deref(), Some("[1]"));
    assert_eq!(missing.unwrap(), None);

    backend.set_connection_semantics(ConnectionSemantics::Airflow2);
    let af2 = backend
        .get_connection(&mut platform, "typed", None)
        .unwrap()
        .unwrap();
    assert_eq!(
        (af2.password, af2.extra.as_deref()),
        (None, Some(r#"{"n": "1"}"#))
    );
}

#[test]
fn named_lookups_ignore_prefixes_and_patterns_and_fetch_each_name_once() {
    let mut ssm = Ssm::with(&[("/x/a", "1"), ("/elsewhere/b", "2")]);
    // The prefixes and patterns of the kwargs do not apply to names given in full.
    let kwargs = r#"{"variables_prefix": null, "connections_lookup_pattern": "^nothing$"}"#;
    let mut backend = Backend::new(kwargs).unwrap();
    let env = env();
    let fs: HashMap<&'static str, &'static str> = HashMap::new();
    let c = clock();
    let mut platform = Platform {
        transport: &mut ssm,
        env: &env,
        clock: &c,
        fs: &fs,
    };
    let names: Vec<String> = ["/x/a", "/missing", "/elsewhere/b", "/x/a"]
        .map(String::from)
        .to_vec();
    let results: Vec<Option<String>> = backend
        .get_named(&mut platform, &names)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        results,
        [Some("1".into()), None, Some("2".into()), Some("1".into())]
    );
    assert_eq!(
        ssm.calls.len(),
        1,
        "one GetParameters for three distinct names"
    );
    assert_eq!(ssm.calls[0].1, ["/x/a", "/missing", "/elsewhere/b"]);
}
