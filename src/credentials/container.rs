//! ECS and EKS Pod Identity container credentials: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`
//! (against `169.254.170.2`) or `AWS_CONTAINER_CREDENTIALS_FULL_URI`, with the authorization
//! token from `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (re-read each time) or
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN`.

use std::net::IpAddr;
use std::time::Duration;

use super::{Credentials, parse_json_credentials};
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::message::{self, RequestTimeouts};
use crate::platform::{Environment, Filesystem, Transport};

/// The ECS task metadata address.
const ECS_HOST: &str = "169.254.170.2";

/// Where the container credentials are and how to authorise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSource {
    url: String,
    endpoint: Endpoint,
    token: Option<String>,
    token_file: Option<String>,
}

impl ContainerSource {
    /// The source the environment describes, if any.
    pub fn from_env(env: &dyn Environment) -> Result<Option<Self>, Error> {
        let var = |name| env.var(name).filter(|v: &String| !v.is_empty());
        let url = if let Some(relative) = var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            format!("http://{ECS_HOST}{relative}")
        } else if let Some(full) = var("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
            full
        } else {
            return Ok(None);
        };
        let endpoint = Endpoint::parse(&url, "the container credentials URI")
            .map_err(|e| Error::credentials(e.message().to_string()))?;
        if endpoint.scheme() == "http" && !is_allowed_http_host(endpoint.host()) {
            return Err(Error::credentials(
                "container credentials over http are allowed only from a loopback address, \
                 169.254.170.2 or the EKS Pod Identity agent",
            ));
        }
        Ok(Some(ContainerSource {
            url,
            endpoint,
            token: var("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
            token_file: var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
        }))
    }

    /// The endpoint it reaches.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The file it reads, if any.
    pub fn token_file(&self) -> Option<&str> {
        self.token_file.as_deref()
    }

    /// Fetches the credentials.
    pub fn fetch(
        &self,
        transport: &mut dyn Transport,
        fs: &dyn Filesystem,
    ) -> Result<Credentials, Error> {
        let token = match &self.token_file {
            Some(path) => Some(fs.read_to_string(path).map_err(|e| {
                Error::credentials(format!(
                    "container credentials: cannot read the token file {path}: {e}"
                ))
            })?),
            None => self.token.clone(),
        };
        let token = token.as_deref().map(str::trim);
        if token.is_some_and(|token| token.contains(['\r', '\n'])) {
            return Err(Error::credentials(
                "container credentials: the authorization token has a line break",
            ));
        }
        let authorization = token.map(|token| (http::header::AUTHORIZATION, token));
        let mut request = message::request(
            http::Method::GET,
            &self.endpoint,
            self.endpoint.path(),
            authorization.as_slice(),
            Vec::new(),
        )
        .map_err(|e| Error::credentials(format!("container credentials: {}", e.message())))?;
        request.extensions_mut().insert(RequestTimeouts {
            connect: Duration::from_secs(2),
            read: Duration::from_secs(2),
        });
        let response = transport.send(request).map_err(|e| {
            Error::credentials(format!(
                "container credentials endpoint {} unreachable: {}",
                self.endpoint.authority(),
                e.message
            ))
        })?;
        if !response.status().is_success() {
            return Err(Error::credentials(format!(
                "container credentials endpoint answered HTTP {}",
                response.status().as_u16()
            )));
        }
        parse_json_credentials(response.body(), "container credentials")
    }
}

/// Loopback, the ECS address and the EKS Pod Identity agent (IPv4 and IPv6).
fn is_allowed_http_host(host: &str) -> bool {
    if host == "localhost" {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(ip) if ip.is_loopback() => true,
        Ok(ip) => ["169.254.170.2", "169.254.170.23", "fd00:ec2::23"]
            .iter()
            .any(|allowed| allowed.parse::<IpAddr>().ok() == Some(ip)),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn relative_and_full_uris() {
        let s = ContainerSource::from_env(&env(&[(
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "/v2/credentials/abc",
        )]))
        .unwrap()
        .unwrap();
        assert_eq!(s.url, "http://169.254.170.2/v2/credentials/abc");
        for ok in [
            "http://127.0.0.1:8080/creds",
            "http://169.254.170.23/v1/credentials",
            "http://[fd00:ec2::23]/x",
            "https://creds.example.com/x",
            "http://localhost/x",
        ] {
            assert!(
                ContainerSource::from_env(&env(&[("AWS_CONTAINER_CREDENTIALS_FULL_URI", ok)]))
                    .unwrap()
                    .is_some(),
                "{ok}"
            );
        }
        for bad in ["http://evil.example.com/x", "http://10.0.0.1/x"] {
            assert!(
                ContainerSource::from_env(&env(&[("AWS_CONTAINER_CREDENTIALS_FULL_URI", bad)]))
                    .is_err(),
                "{bad}"
            );
        }
        assert!(ContainerSource::from_env(&env(&[])).unwrap().is_none());
    }
}
