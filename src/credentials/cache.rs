//! The credentials in use: fetched at the first signed call, kept until 5 minutes before they
//! expire ([`Credentials::needs_refresh`]), fetched again early when AWS says the token expired.

use super::{Credentials, FetchContext, Source, fetch};
use crate::error::Error;

/// One backend's current credentials (`Debug` as [`Credentials`]'s: no secret).
#[derive(Debug, Default)]
pub struct CredentialsCache {
    current: Option<Credentials>,
}

impl CredentialsCache {
    /// The kept credentials, fetched from `source` again when there are none, when they are
    /// within 5 minutes of expiry at `ctx.now`, or when `stale` (AWS said the token expired).
    pub fn get(
        &mut self,
        source: &Source,
        ctx: &mut FetchContext<'_>,
        stale: bool,
    ) -> Result<Credentials, Error> {
        match &self.current {
            Some(c) if !stale && !c.needs_refresh(ctx.now) => return Ok(c.clone()),
            _ => {}
        }
        let fresh = fetch(source, ctx)?;
        self.current = Some(fresh.clone());
        Ok(fresh)
    }
}
