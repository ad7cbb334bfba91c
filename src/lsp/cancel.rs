//! `$/cancelRequest` that works under load. tower-lsp-server runs at most a few requests at a
//! time and reads the next message only when its queue has room, so a cancellation sent after a
//! backlog of slow requests would wait behind them. The framing guard, which reads the client
//! eagerly, hands each cancellation to [`Cancellations`] the moment it arrives: a request already
//! taken up is aborted (it answers "request cancelled"), one not yet taken up is answered
//! "request cancelled" without running when its turn comes.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};

use futures::future::{AbortHandle, Abortable};
use tower_lsp_server::jsonrpc::{Error, Id, Response};

/// How many ids of cancellations that came before their request are remembered (a client may
/// also cancel requests that already finished; the oldest ids are forgotten first).
const EARLY_CAPACITY: usize = 4096;

#[derive(Default)]
struct Registry {
    /// Requests taken up and not finished, with the handle that aborts them.
    running: HashMap<Id, AbortHandle>,
    /// Cancelled ids whose request has not been taken up (yet).
    early: HashSet<Id>,
    early_order: VecDeque<Id>,
}

/// The shared registry of running and cancelled requests.
#[derive(Clone, Default)]
pub struct Cancellations(Arc<Mutex<Registry>>);

/// What to do with a request that is being taken up.
pub enum Admission<F> {
    /// It was cancelled before its turn: send this answer instead of running it.
    Cancelled(Response),
    /// Run this future; a cancellation aborts it.
    Run(F),
}

impl Cancellations {
    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The client cancelled request `id`.
    pub fn cancel(&self, id: Id) {
        let mut registry = self.registry();
        if let Some(handle) = registry.running.remove(&id) {
            handle.abort();
        } else if registry.early.insert(id.clone()) {
            registry.early_order.push_back(id);
            if registry.early_order.len() > EARLY_CAPACITY {
                if let Some(oldest) = registry.early_order.pop_front() {
                    registry.early.remove(&oldest);
                }
            }
        }
    }

    /// Takes up request `id`: unless it was cancelled already, `start` makes its handler (called
    /// at most once, only then), and the returned future runs it until done or cancelled.
    pub fn admit<F, E>(
        &self,
        id: Id,
        start: impl FnOnce() -> F,
    ) -> Admission<impl Future<Output = Result<Option<Response>, E>> + Send + 'static>
    where
        F: Future<Output = Result<Option<Response>, E>> + Send + 'static,
    {
        let mut registry = self.registry();
        if registry.early.remove(&id) {
            registry.early_order.retain(|other| *other != id);
            return Admission::Cancelled(Response::from_error(id, Error::request_cancelled()));
        }
        let (handle, registration) = AbortHandle::new_pair();
        registry.running.insert(id.clone(), handle);
        drop(registry);
        let future = start();
        let this = self.clone();
        Admission::Run(async move {
            let outcome = Abortable::new(future, registration).await;
            this.registry().running.remove(&id);
            outcome.unwrap_or_else(|_| Ok(Some(Response::from_error(id, Error::request_cancelled()))))
        })
    }

    /// How many requests are running (for tests).
    pub fn running(&self) -> usize {
        self.registry().running.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(id: i64) -> Result<Option<Response>, ()> {
        Ok(Some(Response::from_ok(Id::Number(id), serde_json::json!("done"))))
    }

    #[tokio::test]
    async fn a_cancellation_before_the_request_answers_it_without_running() {
        let cancellations = Cancellations::default();
        cancellations.cancel(Id::Number(1));
        let mut started = false;
        match cancellations.admit(Id::Number(1), || {
            started = true;
            async { answer(1) }
        }) {
            Admission::Cancelled(response) => assert_eq!(response.error().unwrap().code.code(), -32800),
            Admission::Run(_) => panic!("a cancelled request ran"),
        }
        assert!(!started, "the handler of a cancelled request was made");
        // The id is forgotten: a later request with it runs.
        let Admission::Run(future) = cancellations.admit(Id::Number(1), || async { answer(1) }) else { panic!() };
        assert!(future.await.unwrap().unwrap().is_ok());
    }

    #[tokio::test]
    async fn a_cancellation_aborts_a_running_request() {
        let cancellations = Cancellations::default();
        let slow = async {
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
            answer(2)
        };
        let Admission::Run(future) = cancellations.admit(Id::Number(2), || slow) else { panic!() };
        assert_eq!(cancellations.running(), 1);
        cancellations.cancel(Id::Number(2));
        let response = future.await.unwrap().unwrap();
        assert_eq!(response.error().unwrap().code.code(), -32800);
        assert_eq!(cancellations.running(), 0);
    }

    #[test]
    fn early_cancellations_are_bounded() {
        let cancellations = Cancellations::default();
        for id in 0..(EARLY_CAPACITY as i64 + 10) {
            cancellations.cancel(Id::Number(id));
        }
        assert_eq!(cancellations.registry().early.len(), EARLY_CAPACITY);
        assert!(!cancellations.registry().early.contains(&Id::Number(0)));
    }
}
