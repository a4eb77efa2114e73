//! Several ids in one go: `GetParameters` (at most 10 names a call, `InvalidParameters` meaning
//! not found), with every single-lookup rule kept per id: prefixes and lookup patterns decide
//! the names, a team's name is tried first and the plain one only when it is not found, errors
//! stay with the ids they concern, and the cache is used as for single lookups.
//!
//! `GetParameters` is authorised by its own IAM action and fails as a whole on one invalid
//! name; when a batch is refused (`AccessDenied*`, `ValidationException`), its names are looked
//! up one by one, so each id gets exactly what a single lookup would give it.

use super::call::Operation;
use super::{Backend, Kind, Platform, group_by_name};
use crate::error::Error;
use crate::ssm::{self, MAX_BATCH};

impl Backend {
    /// The raw values of several lookups of one kind, in order, each as
    /// [`Backend::get_value`] would give it.
    pub fn get_values(
        &mut self,
        platform: &mut Platform<'_>,
        kind: Kind,
        ids: &[String],
        team: Option<&str>,
    ) -> Vec<Result<Option<String>, Error>> {
        let candidates: Vec<Vec<String>> = ids
            .iter()
            .map(|id| self.parameter_names(kind, id, team))
            .collect();
        let mut results: Vec<Option<Result<Option<String>, Error>>> = vec![None; ids.len()];
        let mut stage = vec![0usize; ids.len()];
        loop {
            let wanted: Vec<(usize, String)> = (0..ids.len())
                .filter(|&i| results[i].is_none())
                .filter_map(|i| candidates[i].get(stage[i]).map(|n| (i, n.clone())))
                .collect();
            if wanted.is_empty() {
                break;
            }
            for (_, indices) in self.fetch_many(platform, &group_by_name(&wanted)) {
                for (i, outcome) in indices {
                    match outcome {
                        Ok(None) if stage[i] + 1 < candidates[i].len() => stage[i] += 1,
                        outcome => results[i] = Some(outcome),
                    }
                }
            }
        }
        results.into_iter().map(|r| r.unwrap_or(Ok(None))).collect()
    }

    /// The raw values of SSM parameters by their full names, in order: no prefix, lookup
    /// pattern or team applies. Distinct names are fetched once, through the cache, in
    /// `GetParameters` calls of at most 10 (a refused batch one name at a time). A host that
    /// keeps one cache for many instances (the sidecar) computes the names with
    /// [`Backend::parameter_names`] and fetches them here.
    pub fn get_named(
        &mut self,
        platform: &mut Platform<'_>,
        names: &[String],
    ) -> Vec<Result<Option<String>, Error>> {
        let wanted: Vec<(usize, String)> = names.iter().cloned().enumerate().collect();
        let mut results: Vec<Option<Result<Option<String>, Error>>> = vec![None; names.len()];
        for (_, indices) in self.fetch_many(platform, &group_by_name(&wanted)) {
            for (i, outcome) in indices {
                results[i] = Some(outcome);
            }
        }
        results
            .into_iter()
            .map(|r| r.expect("every name was fetched"))
            .collect()
    }

    /// Fetches each distinct name once; returns, per name, the outcome for each index.
    #[allow(clippy::type_complexity)]
    fn fetch_many(
        &mut self,
        platform: &mut Platform<'_>,
        groups: &[(String, Vec<usize>)],
    ) -> Vec<(String, Vec<(usize, Result<Option<String>, Error>)>)> {
        let now = platform.clock.now();
        let mut outcomes: Vec<Option<Result<Option<String>, Error>>> = groups
            .iter()
            .map(|(name, _)| self.cache.as_mut().and_then(|c| c.fresh(name, now)).map(Ok))
            .collect();
        let missing: Vec<usize> = (0..groups.len())
            .filter(|&g| outcomes[g].is_none())
            .collect();
        for chunk in missing.chunks(MAX_BATCH) {
            let names: Vec<String> = chunk.iter().map(|&g| groups[g].0.clone()).collect();
            let fetched = match names.len() {
                1 => vec![self.get_parameter(platform, &names[0])],
                _ => self.get_parameters(platform, &names),
            };
            for (&g, outcome) in chunk.iter().zip(fetched) {
                outcomes[g] = Some(outcome);
            }
        }
        groups
            .iter()
            .zip(outcomes)
            .map(|((name, indices), outcome)| {
                let outcome = outcome.expect("every group was fetched");
                (
                    name.clone(),
                    indices.iter().map(|&i| (i, outcome.clone())).collect(),
                )
            })
            .collect()
    }

    /// One `GetParameters` call for 2..=10 names, through the cache; a refused batch falls
    /// back to single lookups.
    fn get_parameters(
        &mut self,
        platform: &mut Platform<'_>,
        names: &[String],
    ) -> Vec<Result<Option<String>, Error>> {
        let targets = match self.targets(platform) {
            Ok(targets) => targets,
            Err(e) => return names.iter().map(|_| Err(e.clone())).collect(),
        };
        let request = || ssm::get_parameters_request(&targets.ssm, names);
        let parse = |response: &crate::message::Response, secrets: &[&str]| {
            ssm::parse_get_parameters(response, names, secrets)
        };
        let result = self.call(
            platform,
            &Operation {
                name: "GetParameters",
                request: &request,
                parse: &parse,
            },
        );
        let now = platform.clock.now();
        match result {
            Ok(values) => names
                .iter()
                .zip(values)
                .map(|(name, value)| self.remember(name, Ok(value), now))
                .collect(),
            Err(e) if e.refuses_batch() => names
                .iter()
                .map(|name| self.get_parameter(platform, name))
                .collect(),
            Err(e) => names
                .iter()
                .map(|name| self.remember(name, Err(e.clone()), now))
                .collect(),
        }
    }
}
