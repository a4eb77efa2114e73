//! How the host compares endpoints: scheme, lower-case host and port, the scheme's default port
//! filled in. The egress policy's allowed endpoints, a request's destination and a route's
//! endpoint are all read into this key.

use ssm_secrets::endpoint::Endpoint;

/// An endpoint as the policy compares it: scheme, lower-case host, port (the scheme's default
/// filled in).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EndpointKey {
    scheme: String,
    host: String,
    port: u16,
}

impl EndpointKey {
    /// The key of a core endpoint.
    pub fn of(endpoint: &Endpoint) -> Option<Self> {
        split_authority(endpoint.scheme(), endpoint.authority())
    }

    /// The key of a request's destination.
    pub fn of_uri(uri: &http::Uri) -> Option<Self> {
        split_authority(uri.scheme_str()?, uri.authority()?.as_str())
    }
}

/// The key of `scheme://authority`, if it is HTTP(S) with a usable authority.
///
/// Judged with `http`'s URI semantics, not `url`'s: the destination arrives as an `http::Uri`
/// and the connector dials exactly its `host()` and `port_u16()`, so the policy reads the
/// authority as what will be reached, with no second parser to disagree (the allowed side is
/// the component's `Endpoint`, already in `url`'s canonical form, which this reads the same).
fn split_authority(scheme: &str, authority: &str) -> Option<EndpointKey> {
    let scheme = scheme.to_ascii_lowercase();
    let authority: http::uri::Authority = authority.parse().ok()?;
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    Some(EndpointKey {
        scheme,
        host: authority.host().to_ascii_lowercase(),
        port: authority.port_u16().unwrap_or(default_port),
    })
}
