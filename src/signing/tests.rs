//! The signer against `aws_sigv4::http_request::sign` (the reference, with the same settings)
//! over requests shaped like ours and some that are not, and the day-key cache.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials as SdkCredentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;

use super::*;

/// The headers `aws-sigv4` gives `request`, with its default settings and `content-length`
/// excluded: the reference this module must equal.
fn reference(
    request: &Request,
    credentials: &Credentials,
    region: &str,
    service: &str,
    time: SystemTime,
) -> http::HeaderMap {
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
    let url = request.uri().to_string();
    let headers = request
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str(), value.to_str().unwrap()));
    let signable = SignableRequest::new(
        request.method().as_str(),
        &url,
        headers,
        SignableBody::Bytes(request.body()),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let mut signed = request.clone();
    instructions.apply_to_request_http1x(&mut signed);
    signed.headers().clone()
}

/// A request to `url` (`scheme://authority/path?query`) with exactly `headers`, in order.
fn request(method: &'static str, url: &str, headers: &[(&str, &str)], body: &str) -> Request {
    let mut request = http::Request::builder()
        .method(method)
        .uri(url)
        .body(body.as_bytes().to_vec())
        .unwrap();
    for (name, value) in headers {
        let name = http::HeaderName::from_bytes(name.as_bytes()).unwrap();
        request
            .headers_mut()
            .append(name, http::HeaderValue::from_str(value).unwrap());
    }
    request
}

/// A header of `request` as text.
fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers().get(name).map(|v| v.to_str().unwrap())
}

fn ssm_request(host: &str, body: &str) -> Request {
    let length = body.len().to_string();
    let headers = [
        ("host", host),
        ("content-type", "application/x-amz-json-1.1"),
        ("x-amz-target", "AmazonSSM.GetParameter"),
        ("content-length", &length),
    ];
    request("POST", &format!("https://{host}/"), &headers, body)
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

const SIGNING_HEADERS: [&str; 3] = ["authorization", "x-amz-date", "x-amz-security-token"];

fn assert_signs_like_aws_sigv4(
    request: &Request,
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
            header(&ours, name),
            expected.get(name).map(|v| v.to_str().unwrap()),
            "{name} of {} {}",
            request.method(),
            request.uri()
        );
    }
    assert_eq!(ours.headers().len(), expected.len());
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
    let sts = request(
        "POST",
        "https://sts.eu-west-1.amazonaws.com/",
        &[
            ("host", "sts.eu-west-1.amazonaws.com"),
            (
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ),
        ],
        "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr",
    );
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
    let urls = [
        "https://h.example/",
        "https://h.example",
        "https://h.example/a%20b/c%2Fd/~x_y-z.w:@",
        "https://h.example/a/./b/../c//d/.",
        "https://h.example/../x/..",
        "https://h.example/p?b=2&a=1&a=0&c",
        "https://h.example/?q=a+b&r=%2F%20%25&s=%C3%BC&t=*'()!",
        "https://h.example/?=empty&x=",
    ];
    let headers = [
        ("host", "h.example"),
        ("x-custom", "  two   spaces  inside "),
        ("x-repeated", "one"),
        ("x-repeated", "two"),
        ("user-agent", "left out"),
        ("x-amzn-trace-id", "left out"),
        ("content-length", "0"),
    ];
    for url in urls {
        let request = request("GET", url, &headers, "");
        let time = at(1_700_000_000);
        assert_signs_like_aws_sigv4(&request, &credentials, "us-west-2", "execute-api", time);
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
            header(&ours, "authorization"),
            expected["authorization"].to_str().ok()
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
    let mut request = request("POST", "https://h.example/", &[], "");
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
    let signature = header(&request, "authorization").unwrap();
    let signature = signature.rsplit_once('=').unwrap().1;
    for secret in ["SECRETVALUE", "TOKENVALUE", signature] {
        assert!(!shown.contains(secret), "{shown}");
    }
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
    let time = at(1_440_938_160);
    sign_request(&mut request, &credentials, "us-east-1", "ssm", time).unwrap();
    assert_eq!(header(&request, "x-amz-date"), Some("20150830T123600Z"));
    let auth = header(&request, "authorization").unwrap();
    assert!(
        auth.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ssm/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="
        ),
        "{auth}"
    );
    assert!(header(&request, "x-amz-security-token").is_none());
}
