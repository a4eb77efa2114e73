//! The signer against `aws_sigv4::http_request::sign` (the reference, with the same settings)
//! over requests shaped like ours and some that are not, and the day-key cache.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials as SdkCredentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;

use super::*;

/// What `aws-sigv4` signs for `request`, with its default settings and `content-length`
/// excluded: the reference this module must equal.
fn reference(
    request: &http::Request<Vec<u8>>,
    credentials: &Credentials,
    region: &str,
    service: &str,
    time: SystemTime,
) -> http::Request<Vec<u8>> {
    let identity = SdkCredentials::new(
        credentials.access_key_id(),
        credentials.secret_access_key(),
        credentials.session_token().map(str::to_string),
        None,
        "test",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings
        .excluded_headers
        .as_mut()
        .unwrap()
        .push(Cow::Borrowed("content-length"));
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let uri = request.uri().to_string();
    let headers = request
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str(), v.to_str().unwrap()));
    let signable = SignableRequest::new(
        request.method().as_str(),
        &uri,
        headers,
        SignableBody::Bytes(request.body()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut signed = request.clone();
    instructions.apply_to_request_http1x(&mut signed);
    signed
}

fn ssm_request(host: &str, body: &str) -> http::Request<Vec<u8>> {
    http::Request::post(format!("https://{host}/"))
        .header("host", host)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "AmazonSSM.GetParameter")
        .header("content-length", body.len().to_string())
        .body(body.as_bytes().to_vec())
        .unwrap()
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

const SIGNING_HEADERS: [&str; 3] = ["authorization", "x-amz-date", "x-amz-security-token"];

fn assert_signs_like_aws_sigv4(
    request: &http::Request<Vec<u8>>,
    credentials: &Credentials,
    region: &str,
    service: &str,
    time: SystemTime,
) {
    let expected = reference(request, credentials, region, service, time);
    let mut ours = request.clone();
    sign_request(&mut ours, credentials, region, service, time).unwrap();
    for name in SIGNING_HEADERS {
        assert_eq!(
            ours.headers().get(name),
            expected.headers().get(name),
            "{name} of {} {}",
            request.method(),
            request.uri()
        );
    }
    assert_eq!(ours.headers().len(), expected.headers().len());
}

#[test]
fn equals_aws_sigv4_on_ssm_and_sts_requests() {
    let long_term = Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
    );
    let temporary = Credentials::new(
        "ASIAEXAMPLE",
        "s3cr3t/+=",
        Some("FwoGZXIvYXdzEJr//token==".into()),
    );
    let sts = http::Request::post("https://sts.eu-west-1.amazonaws.com/")
        .header("host", "sts.eu-west-1.amazonaws.com")
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .body(
            b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr"
                .to_vec(),
        )
        .unwrap();
    let requests = [
        ssm_request(
            "ssm.us-east-1.amazonaws.com",
            r#"{"Name":"/airflow/variables/v","WithDecryption":true}"#,
        ),
        ssm_request(
            "127.0.0.1:5000",
            r#"{"Names":["/a","/b ü"],"WithDecryption":true}"#,
        ),
        ssm_request("ssm.eu-west-1.amazonaws.com", ""),
        sts,
    ];
    for request in &requests {
        for credentials in [&long_term, &temporary] {
            for (region, service) in [
                ("us-east-1", "ssm"),
                ("eu-west-1", "sts"),
                ("cn-north-1", "ssm"),
            ] {
                for time in [at(1_440_938_160), at(1_795_482_123), at(0)] {
                    assert_signs_like_aws_sigv4(request, credentials, region, service, time);
                }
            }
        }
    }
}

#[test]
fn equals_aws_sigv4_on_paths_queries_and_header_values() {
    let credentials = Credentials::new("AKID", "secret", Some("token".into()));
    let uris = [
        "https://h.example/",
        "https://h.example",
        "https://h.example/a%20b/c%2Fd/~x_y-z.w:@",
        "https://h.example/a/./b/../c//d/.",
        "https://h.example/../x/..",
        "https://h.example/p?b=2&a=1&a=0&c",
        "https://h.example/?q=a+b&r=%2F%20%25&s=%C3%BC&t=*'()!",
        "https://h.example/?=empty&x=",
    ];
    for uri in uris {
        let request = http::Request::get(uri)
            .header("host", "h.example")
            .header("x-custom", "  two   spaces  inside ")
            .header("x-repeated", "one")
            .header("x-repeated", "two")
            .header("user-agent", "left out")
            .header("x-amzn-trace-id", "left out")
            .header("content-length", "0")
            .body(Vec::new())
            .unwrap();
        assert_signs_like_aws_sigv4(
            &request,
            &credentials,
            "us-west-2",
            "execute-api",
            at(1_700_000_000),
        );
    }
}

#[test]
fn the_day_key_is_reused_within_a_day_and_replaced_when_anything_changes() {
    let a = Credentials::new("AKID", "secret-a", None);
    let b = Credentials::new("AKID", "secret-b", None);
    let request = ssm_request("ssm.us-east-1.amazonaws.com", "{}");
    let mut keys = SigningKeys::default();
    let mut sign_with = |credentials: &Credentials, region: &str, time: SystemTime| {
        let mut ours = request.clone();
        keys.sign(&mut ours, credentials, region, "ssm", time)
            .unwrap();
        let expected = reference(&request, credentials, region, "ssm", time);
        assert_eq!(
            ours.headers()["authorization"],
            expected.headers()["authorization"]
        );
    };
    let noon = at(1_795_521_600);
    sign_with(&a, "us-east-1", noon);
    sign_with(&a, "us-east-1", noon + Duration::from_secs(60)); // reused
    sign_with(&b, "us-east-1", noon); // another secret, same key id
    sign_with(&a, "us-east-1", noon);
    sign_with(&a, "eu-west-1", noon); // another region
    sign_with(&a, "eu-west-1", noon + Duration::from_secs(12 * 3600)); // the next day
}

#[test]
fn a_request_without_host_is_refused() {
    let mut request = http::Request::post("https://h.example/")
        .body(Vec::new())
        .unwrap();
    let credentials = Credentials::new("AKID", "secret", None);
    let error = sign_request(&mut request, &credentials, "us-east-1", "ssm", at(0)).unwrap_err();
    assert!(error.to_string().contains("host"), "{error}");
}

#[test]
fn secrets_stay_out_of_debug() {
    let credentials = Credentials::new("AKID", "SECRETVALUE", Some("TOKENVALUE".into()));
    let mut keys = SigningKeys::default();
    let mut request = ssm_request("h.example", "{}");
    keys.sign(&mut request, &credentials, "us-east-1", "ssm", at(0))
        .unwrap();
    let shown = format!("{keys:?} {request:?}");
    assert!(
        !shown.contains("SECRETVALUE") && !shown.contains("TOKENVALUE"),
        "{shown}"
    );
    assert!(
        shown.contains("19700101/us-east-1/ssm/aws4_request"),
        "{shown}"
    );
}

#[test]
fn signed_headers_are_the_ones_botocore_signs() {
    let mut request = ssm_request("ssm.us-east-1.amazonaws.com", "{}");
    let credentials = Credentials::new(
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        None,
    );
    sign_request(
        &mut request,
        &credentials,
        "us-east-1",
        "ssm",
        at(1_440_938_160),
    )
    .unwrap();
    assert_eq!(request.headers()["x-amz-date"], "20150830T123600Z");
    let auth = request.headers()["authorization"].to_str().unwrap();
    assert!(
        auth.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ssm/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="
        ),
        "{auth}"
    );
    assert!(request.headers().get("x-amz-security-token").is_none());
}
