//! What fetching credentials needs from the platform, for every source that sends or reads.

use std::time::SystemTime;

use crate::platform::{Filesystem, Transport};

/// What fetching needs from the platform.
pub struct FetchContext<'a> {
    /// Sends STS, container and IMDS requests.
    pub transport: &'a mut dyn Transport,
    /// Reads token files.
    pub fs: &'a dyn Filesystem,
    /// Signing time.
    pub now: SystemTime,
    /// The region STS is called in.
    pub region: &'a str,
}
