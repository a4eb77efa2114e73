//! The lookup-component instances that send the sidecar's SSM requests: one thread each, each
//! with one session (store, instance, open backend), taking batches of full parameter names
//! from a shared queue. A slow or hanging batch holds its own instance only.
//!
//! Sessions are synchronous (their calls drive the process-wide current-thread runtime, see
//! [`crate::session`]), so they live on threads of their own, away from the sidecar's
//! multi-threaded HTTP runtime.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::runtime::Runtime;
use crate::session::{CallError, Session, SessionOptions};

/// Why a name could not be fetched.
#[derive(Debug, Clone)]
pub enum FetchError {
    /// The lookup's typed error (no secret in it).
    Lookup(crate::Error),
    /// The instance failed (a trap) or could not be made; it is replaced.
    Host(String),
}

/// A name's outcome: its value, `None` (SSM has no such parameter), or why not.
pub type Fetched = Result<Option<String>, FetchError>;

struct Job {
    names: Vec<String>,
    reply: oneshot::Sender<Vec<Fetched>>,
}

/// The instances and their queue.
pub struct Instances {
    jobs: Sender<Job>,
}

impl Instances {
    /// Opens one session now (a configuration the component refuses fails here, not at the
    /// first lookup) and starts `count` threads; the others open theirs at their first batch.
    pub fn start(
        runtime: Runtime,
        kwargs: String,
        options: SessionOptions,
        count: usize,
    ) -> Result<Self, CallError> {
        let first = Session::open(&runtime, &kwargs, options.clone())?;
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let mut first = Some(first);
        for index in 0..count.max(1) {
            let worker = Worker {
                runtime: runtime.clone(),
                kwargs: kwargs.clone(),
                options: options.clone(),
                session: first.take(),
            };
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("ssm-instance-{index}"))
                .spawn(move || worker.run(&queue))
                .map_err(|e| {
                    CallError::Host(wasmtime::format_err!("cannot start a thread: {e}"))
                })?;
        }
        Ok(Instances { jobs })
    }

    /// Fetches `names` (at most 10) in one batch on the next free instance.
    pub async fn fetch(&self, names: Vec<String>) -> Vec<Fetched> {
        let count = names.len();
        let (reply, answer) = oneshot::channel();
        let gone = || {
            vec![
                Err(FetchError::Host(
                    "the sidecar's instances have stopped".into()
                ));
                count
            ]
        };
        if self.jobs.send(Job { names, reply }).is_err() {
            return gone();
        }
        answer.await.unwrap_or_else(|_| gone())
    }
}

struct Worker {
    runtime: Runtime,
    kwargs: String,
    options: SessionOptions,
    session: Option<Session>,
}

impl Worker {
    fn run(mut self, queue: &Mutex<Receiver<Job>>) {
        loop {
            let job = {
                let queue = queue.lock().unwrap_or_else(|p| p.into_inner());
                match queue.recv() {
                    Ok(job) => job,
                    Err(_) => return, // the sidecar is gone
                }
            };
            let outcomes = self.fetch(&job.names);
            let _ = job.reply.send(outcomes);
        }
    }

    fn fetch(&mut self, names: &[String]) -> Vec<Fetched> {
        let all = |e: FetchError| vec![Err(e); names.len()];
        if self.session.is_none() {
            match Session::open(&self.runtime, &self.kwargs, self.options.clone()) {
                Ok(session) => self.session = Some(session),
                Err(e) => return all(host_or_lookup(e)),
            }
        }
        let session = self.session.as_mut().expect("opened above");
        match session.get_parameters(names) {
            Ok(results) => results
                .into_iter()
                .map(|r| r.map_err(FetchError::Lookup))
                .collect(),
            Err(e) => {
                // A trap leaves the instance unusable: the next batch gets a new one.
                eprintln!("warning: a sidecar instance failed and is replaced: {e}");
                self.session = None;
                all(host_or_lookup(e))
            }
        }
    }
}

fn host_or_lookup(e: CallError) -> FetchError {
    match e {
        CallError::Component(e) => FetchError::Lookup(e),
        CallError::Host(e) => FetchError::Host(format!("the lookup instance failed: {e}")),
    }
}
