//! How a session's allowed requests reach the network: each granted endpoint through the
//! pooled client of its route (the CA bundle and the proxy botocore would use for the client
//! that calls it, see [`ssm_secrets::route`]), every other through Mozilla's roots and the
//! environment's proxies.
//!
//! The egress policy ([`crate::egress::EgressPolicy`]) has judged the destination before a
//! request gets here: a proxy is only ever the way to an allowed endpoint, never a destination
//! of its own, and a request the policy refuses never reaches it.

use std::sync::Arc;

use crate::endpoint_key::EndpointKey;
use crate::pool::{NetworkError, PooledClient};
use crate::proxy::ProxySettings;
use crate::trust::Trust;

/// How the host reaches one endpoint, as the core planned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteGrant {
    /// The endpoint: scheme, lower-case host, port.
    pub endpoint: EndpointKey,
    /// The PEM bundle its TLS trusts instead of the default roots.
    pub ca_bundle: Option<String>,
    /// The proxy its client is configured with, in place of the environment's.
    pub proxy: Option<ProxySettings>,
}

/// A session's clients, by endpoint.
#[derive(Clone)]
pub struct Network {
    routes: Arc<[(EndpointKey, PooledClient)]>,
    default: PooledClient,
}

impl Network {
    /// Mozilla's roots and no proxy, for every endpoint.
    pub fn direct() -> Self {
        Network {
            routes: Arc::new([]),
            default: PooledClient::direct(),
        }
    }

    /// The clients of `routes`; other endpoints go through `environment`'s proxies with the
    /// default roots. A CA bundle that cannot be read or a proxy that cannot be used is an
    /// error here, when the session opens.
    pub fn for_routes(
        routes: &[RouteGrant],
        environment: &ProxySettings,
    ) -> Result<Self, NetworkError> {
        let default = PooledClient::shared(&Trust::Default, environment)?;
        let mut clients = Vec::with_capacity(routes.len());
        for route in routes {
            let trust = match &route.ca_bundle {
                Some(path) => Trust::bundle(path).map_err(NetworkError::Trust)?,
                None => Trust::Default,
            };
            let proxies = route.proxy.as_ref().unwrap_or(environment);
            clients.push((
                route.endpoint.clone(),
                PooledClient::shared(&trust, proxies)?,
            ));
        }
        Ok(Network {
            routes: clients.into(),
            default,
        })
    }

    /// The client for a request to `uri`.
    pub fn client(&self, uri: &http::Uri) -> &PooledClient {
        EndpointKey::of_uri(uri)
            .and_then(|key| self.routes.iter().find(|(k, _)| *k == key))
            .map_or(&self.default, |(_, client)| client)
    }
}

impl Default for Network {
    fn default() -> Self {
        Self::direct()
    }
}
