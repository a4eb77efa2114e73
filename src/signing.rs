//! SigV4 request signing with `aws-sigv4`, the time passed in so tests are deterministic.

use std::borrow::Cow;
use std::time::SystemTime;

use aws_credential_types::Credentials as SdkCredentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;

use crate::credentials::Credentials;
use crate::error::Error;

/// Adds `x-amz-date`, `authorization` and (with temporary credentials) `x-amz-security-token`
/// to `request`, signed for `service` in `region` at `time`.
///
/// The request must carry its `host` header. `content-length` is left out of the signature,
/// as botocore does, because hosts and proxies may re-frame the body.
pub fn sign_request(
    request: &mut http::Request<Vec<u8>>,
    credentials: &Credentials,
    region: &str,
    service: &str,
    time: SystemTime,
) -> Result<(), Error> {
    let identity = SdkCredentials::new(
        credentials.access_key_id(),
        credentials.secret_access_key(),
        credentials.session_token().map(str::to_string),
        None,
        "ssm-secrets",
    )
    .into();
    let mut settings = SigningSettings::default();
    if let Some(excluded) = settings.excluded_headers.as_mut() {
        excluded.push(Cow::Borrowed("content-length"));
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|_| {
            Error::credentials("the request could not be signed (bad signing parameters)")
        })?
        .into();

    let uri = request.uri().to_string();
    let headers = request
        .headers()
        .iter()
        .map(|(name, value)| Ok((name.as_str(), value.to_str()?)))
        .collect::<Result<Vec<_>, http::header::ToStrError>>()
        .map_err(|_| Error::invalid_value("a request header is not visible ASCII"))?;
    let signable = SignableRequest::new(
        request.method().as_str(),
        &uri,
        headers.into_iter(),
        SignableBody::Bytes(request.body()),
    )
    .map_err(|_| Error::invalid_value("the request could not be prepared for signing"))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|_| Error::credentials("the request could not be signed"))?
        .into_parts();
    instructions.apply_to_request_http1x(request);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn request() -> http::Request<Vec<u8>> {
        http::Request::post("https://ssm.us-east-1.amazonaws.com/")
            .header("host", "ssm.us-east-1.amazonaws.com")
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", "AmazonSSM.GetParameter")
            .header("content-length", "2")
            .body(b"{}".to_vec())
            .unwrap()
    }

    fn at_2015_08_30() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160)
    }

    #[test]
    fn signs_with_scope_date_and_signed_headers() {
        let mut req = request();
        let creds = Credentials::new(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            None,
        );
        sign_request(&mut req, &creds, "us-east-1", "ssm", at_2015_08_30()).unwrap();
        assert_eq!(req.headers()["x-amz-date"], "20150830T123600Z");
        let auth = req.headers()["authorization"].to_str().unwrap();
        assert!(
            auth.starts_with(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ssm/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="
            ),
            "{auth}"
        );
        assert!(req.headers().get("x-amz-security-token").is_none());
    }

    #[test]
    fn session_token_is_sent_and_signed() {
        let mut req = request();
        let creds = Credentials::new("AKID", "secret", Some("TOKEN".into()));
        sign_request(&mut req, &creds, "eu-west-1", "ssm", at_2015_08_30()).unwrap();
        assert_eq!(req.headers()["x-amz-security-token"], "TOKEN");
        let auth = req.headers()["authorization"].to_str().unwrap();
        assert!(auth.contains("x-amz-security-token"), "{auth}");
    }

    #[test]
    fn signature_is_deterministic_and_depends_on_the_secret() {
        let sig = |secret: &str| {
            let mut req = request();
            let creds = Credentials::new("AKID", secret, None);
            sign_request(&mut req, &creds, "us-east-1", "ssm", at_2015_08_30()).unwrap();
            req.headers()["authorization"].to_str().unwrap().to_string()
        };
        assert_eq!(sig("a"), sig("a"));
        assert_ne!(sig("a"), sig("b"));
    }
}
