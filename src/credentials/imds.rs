//! EC2 instance metadata (IMDSv2): a session token by `PUT`, then the instance role's name and
//! its credentials by `GET`, each with the token.

use std::time::Duration;

use http::Method;
use http::header::{CONTENT_LENGTH, HeaderName};

use super::{Credentials, parse_json_credentials};
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::message::{self, Request, RequestTimeouts, X_AWS_EC2_METADATA_TOKEN};
use crate::platform::{Environment, Transport};

const TOKEN_PATH: &str = "/latest/api/token";
const ROLE_PATH: &str = "/latest/meta-data/iam/security-credentials/";

/// The instance metadata service to ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImdsSource {
    endpoint: Endpoint,
}

impl ImdsSource {
    /// The IMDS the environment selects, or `None` when `AWS_EC2_METADATA_DISABLED=true`.
    pub fn from_env(env: &dyn Environment) -> Result<Option<Self>, Error> {
        if env
            .var("AWS_EC2_METADATA_DISABLED")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            return Ok(None);
        }
        let url = match env
            .var("AWS_EC2_METADATA_SERVICE_ENDPOINT")
            .filter(|v| !v.is_empty())
        {
            Some(url) => url,
            None if env
                .var("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")
                .is_some_and(|m| m.eq_ignore_ascii_case("ipv6")) =>
            {
                "http://[fd00:ec2::254]".to_string()
            }
            None => "http://169.254.169.254".to_string(),
        };
        let endpoint = Endpoint::parse(&url, "AWS_EC2_METADATA_SERVICE_ENDPOINT")
            .map_err(|e| Error::credentials(e.message().to_string()))?;
        Ok(Some(ImdsSource { endpoint }))
    }

    /// The endpoint it reaches.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        header: (HeaderName, &str),
    ) -> Result<Request, Error> {
        let length = (method == Method::GET).then_some((CONTENT_LENGTH, "0"));
        let headers: Vec<_> = std::iter::once(header).chain(length).collect();
        let mut request = message::request(method, &self.endpoint, path, &headers, Vec::new())
            .map_err(|e| Error::credentials(format!("instance metadata: {}", e.message())))?;
        request.extensions_mut().insert(RequestTimeouts {
            connect: Duration::from_secs(1),
            read: Duration::from_secs(1),
        });
        Ok(request)
    }

    fn exchange(
        &self,
        transport: &mut dyn Transport,
        request: Request,
        what: &str,
    ) -> Result<String, Error> {
        let response = transport.send(request).map_err(|e| {
            Error::credentials(format!(
                "instance metadata {} unreachable ({what}): {}",
                self.endpoint.authority(),
                e.message
            ))
        })?;
        if !response.status().is_success() {
            return Err(Error::credentials(format!(
                "instance metadata answered HTTP {} ({what})",
                response.status().as_u16()
            )));
        }
        String::from_utf8(response.into_body())
            .map_err(|_| Error::credentials(format!("instance metadata sent non-UTF-8 ({what})")))
    }

    /// Fetches the instance role's credentials.
    pub fn fetch(&self, transport: &mut dyn Transport) -> Result<Credentials, Error> {
        let token = self.exchange(
            transport,
            self.request(
                Method::PUT,
                TOKEN_PATH,
                (
                    HeaderName::from_static("x-aws-ec2-metadata-token-ttl-seconds"),
                    "21600",
                ),
            )?,
            "session token",
        )?;
        let token = token.trim();
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::credentials(
                "instance metadata sent an unusable session token",
            ));
        }
        let roles = self.exchange(
            transport,
            self.request(Method::GET, ROLE_PATH, (X_AWS_EC2_METADATA_TOKEN, token))?,
            "role name",
        )?;
        let role = roles
            .lines()
            .next()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .ok_or_else(|| Error::credentials("instance metadata: the instance has no IAM role"))?;
        if !role
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
        {
            return Err(Error::credentials(
                "instance metadata: the role name is not a valid IAM name",
            ));
        }
        let body = self.exchange(
            transport,
            self.request(
                Method::GET,
                &format!("{ROLE_PATH}{role}"),
                (X_AWS_EC2_METADATA_TOKEN, token),
            )?,
            "role credentials",
        )?;
        parse_json_credentials(body.as_bytes(), "instance metadata")
    }
}
