//! What the component's `plan-grants` returns, as this host hands it on: the WIT record's
//! fields, with a `Debug` that shows a proxy URL without its `user:password@` (the bindings'
//! own `Debug` would print it whole).

use std::fmt;

use crate::bindings::exports::airflow_ssm::secrets::types::{Grants, Route};
use crate::proxy::without_credentials;

/// The endpoints, files and routes a configuration needs (see the WIT's `grants`).
#[derive(Clone, PartialEq, Eq)]
pub struct PlannedGrants {
    /// `scheme://host:port` of each endpoint to allow.
    pub endpoints: Vec<String>,
    /// The files to make readable.
    pub read_only_files: Vec<String>,
    /// One per endpoint, in the same order: its CA bundle and proxy.
    pub routes: Vec<PlannedRoute>,
}

/// How to reach one endpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct PlannedRoute {
    /// `scheme://host:port`.
    pub endpoint: String,
    /// The PEM bundle its TLS trusts instead of the default roots.
    pub ca_bundle: Option<String>,
    /// The proxy URL its client is configured with (it may hold credentials).
    pub proxy: Option<String>,
}

impl From<Grants> for PlannedGrants {
    fn from(grants: Grants) -> Self {
        PlannedGrants {
            endpoints: grants.endpoints,
            read_only_files: grants.read_only_files,
            routes: grants.routes.into_iter().map(PlannedRoute::from).collect(),
        }
    }
}

impl From<Route> for PlannedRoute {
    fn from(route: Route) -> Self {
        PlannedRoute {
            endpoint: route.endpoint,
            ca_bundle: route.ca_bundle,
            proxy: route.proxy,
        }
    }
}

impl fmt::Debug for PlannedGrants {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlannedGrants")
            .field("endpoints", &self.endpoints)
            .field("read_only_files", &self.read_only_files)
            .field("routes", &self.routes)
            .finish()
    }
}

impl fmt::Debug for PlannedRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlannedRoute")
            .field("endpoint", &self.endpoint)
            .field("ca_bundle", &self.ca_bundle)
            .field("proxy", &self.proxy.as_deref().map(without_credentials))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_proxy_credentials() {
        let planned = PlannedGrants::from(Grants {
            endpoints: vec!["https://sts.eu-west-1.amazonaws.com:443".into()],
            read_only_files: vec![],
            routes: vec![Route {
                endpoint: "https://sts.eu-west-1.amazonaws.com:443".into(),
                ca_bundle: Some("/etc/company-ca.pem".into()),
                proxy: Some("http://alice:hunter2@proxy.internal:3128".into()),
            }],
        });
        let shown = format!("{planned:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("alice"),
            "{shown}"
        );
        assert!(shown.contains("http://***@proxy.internal:3128"), "{shown}");
        assert!(shown.contains("/etc/company-ca.pem"), "{shown}");
    }
}
