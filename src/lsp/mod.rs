//! `baton lsp`: the language server, a thin adapter over the engine.
//!
//! Built on `tower-lsp-server` (the maintained fork of tower-lsp). tower-lsp runs handlers
//! concurrently, so document changes are not applied in the handlers: the [`Ordered`]
//! middleware applies `didOpen`/`didChange`/`didClose` to the state synchronously, in the order
//! the messages arrive, before any handler future runs. It also catches panics in every handler:
//! the request gets an error response, the panic is logged and shown once, the server goes on.

pub mod backend;
pub mod buffer;
pub mod cancel;
pub mod commands;
pub mod convert;
pub mod framing;
pub mod ide;
pub mod log;
pub mod memory;
pub mod settle;
pub mod state;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::FutureExt;
use tower::Service;
use tower_lsp_server::jsonrpc::{Error, Request, Response};
use tower_lsp_server::ls_types::{DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams};
use tower_lsp_server::{ClientSocket, ExitedError, LspService, Server};

pub use backend::{Backend, Shared};
use log::{log, Level};

/// The service stack: the ordering and panic-catching middleware over the LSP service.
pub struct Ordered {
    inner: LspService<Backend>,
    shared: Arc<Shared>,
    cancellations: cancel::Cancellations,
    /// Set when the client sends `shutdown`: the exit code after `exit` depends on it.
    shutdown: Arc<std::sync::atomic::AtomicBool>,
}

/// Builds the service and the socket for server-to-client messages. Test hooks (a command that
/// panics) are enabled by `BATON_TEST_HOOKS=1`.
pub fn service() -> (Ordered, ClientSocket) {
    service_with(std::env::var("BATON_TEST_HOOKS").is_ok_and(|v| v == "1"))
}

/// [`service`] with test hooks switched on or off explicitly.
pub fn service_with(test_hooks: bool) -> (Ordered, ClientSocket) {
    let mut shared = Shared::new();
    shared.test_hooks = test_hooks;
    let shared = Arc::new(shared);
    let for_backend = shared.clone();
    let (inner, socket) = LspService::build(move |client| Backend::new(client, for_backend))
        .custom_method("baton/itemStatus", Backend::item_status)
        .custom_method("window/workDoneProgress/cancel", Backend::progress_cancel)
        .finish();
    let shutdown = Arc::default();
    (Ordered { inner, shared, cancellations: cancel::Cancellations::default(), shutdown }, socket)
}

/// Serves on stdin/stdout until `exit` (or the end of stdin). Returns whether the client sent
/// `shutdown` first: the protocol wants exit code 0 then, 1 otherwise.
///
/// The protocol runs on one thread (a current-thread runtime): handlers only read state and
/// schedule, the analysis runs on tokio's blocking pool. One thread saves the cross-thread
/// wake-ups of a work-stealing pool on every message, which on a small VM were the largest part
/// of the edit-latency tail (`cargo bench --bench lsp`, docs/performance.md).
pub fn run_stdio() -> std::io::Result<bool> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .thread_stack_size(crate::ANALYSIS_STACK_SIZE)
        .enable_all()
        .build()?;
    let test_hooks = std::env::var("BATON_TEST_HOOKS").is_ok_and(|v| v == "1");
    let shut_down = runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout(), test_hooks));
    // After `exit` the reader may still be blocked on stdin (a client that keeps the pipe open);
    // do not wait for it, or the process would never end.
    runtime.shutdown_background();
    Ok(shut_down)
}

/// Serves the protocol over any byte streams (stdio, or in-memory pipes in tests), with every
/// incoming frame checked by [`framing::sanitize`] first. Returns whether the client sent
/// `shutdown` before the session ended.
pub async fn serve(
    input: impl tokio::io::AsyncRead + Unpin + Send + 'static,
    output: impl tokio::io::AsyncWrite + Unpin + Send + 'static,
    test_hooks: bool,
) -> bool {
    let (service, socket) = service_with(test_hooks);
    let shutdown = service.shutdown.clone();
    let cancellations = service.cancellations.clone();
    // The guard reads the client eagerly, whatever the server is busy with (so it sees every
    // `$/cancelRequest` as it arrives), queueing checked frames in memory for the server.
    let (frames, mut queued) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
    tokio::spawn(async move { framing::sanitize(input, QueueWriter(frames), &cancellations).await });
    let (mut checked_writer, checked_reader) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        while let Some(bytes) = queued.recv().await {
            if checked_writer.write_all(&bytes).await.is_err() {
                return;
            }
        }
    });
    Server::new(checked_reader, output, socket).serve(service).await;
    shutdown.load(std::sync::atomic::Ordering::SeqCst)
}

/// An `AsyncWrite` into an unbounded queue of byte chunks (never blocks, never fails while the
/// receiving end lives).
struct QueueWriter(tokio::sync::mpsc::UnboundedSender<Vec<u8>>);

impl tokio::io::AsyncWrite for QueueWriter {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.0.send(buf.to_vec()) {
            Ok(()) => Poll::Ready(Ok(buf.len())),
            Err(_) => Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl Ordered {
    /// Applies a document notification to the state, in arrival order.
    fn apply_in_order(&self, method: &str, params: Option<&serde_json::Value>) {
        let Some(params) = params else { return };
        let mut state = self.shared.state();
        match method {
            "textDocument/didOpen" => {
                if let Ok(p) = serde_json::from_value::<DidOpenTextDocumentParams>(params.clone()) {
                    state.open(&p.text_document.uri, &p.text_document.text, p.text_document.version);
                }
            }
            "textDocument/didChange" => {
                if let Ok(p) = serde_json::from_value::<DidChangeTextDocumentParams>(params.clone()) {
                    let changed = state.change(&p.text_document.uri, &p.content_changes, p.text_document.version);
                    if let Some(why) = changed.as_ref().err().filter(|w| w.as_str() != state::LEFT_OUT) {
                        log(Level::Warn, format!("didChange for {} dropped: {why}", p.text_document.uri.as_str()));
                    }
                }
            }
            "textDocument/didClose" => {
                if let Ok(p) = serde_json::from_value::<DidCloseTextDocumentParams>(params.clone()) {
                    state.close(&p.text_document.uri);
                }
            }
            _ => {}
        }
    }
}

impl Service<Request> for Ordered {
    type Response = Option<Response>;
    type Error = ExitedError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let method = request.method().to_string();
        let id = request.id().cloned();
        if method == "shutdown" && id.is_some() {
            self.shutdown.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        if method == framing::INVALID_MESSAGE_METHOD {
            let (_, _, params) = request.into_parts();
            let reason =
                params.and_then(|p| p.get("reason").and_then(|r| r.as_str()).map(String::from)).unwrap_or_default();
            log(Level::Warn, format!("ignored an invalid message: {reason}"));
            let shared = self.shared.clone();
            return Box::pin(async move {
                if let Some(client) = shared.client.get() {
                    let text = format!("Baton ignored an invalid message: {reason}");
                    client.log_message(tower_lsp_server::ls_types::MessageType::WARNING, text).await;
                }
                // A request gets its answer: "invalid request", with the reason.
                Ok(id.map(|id| {
                    let error = Error { message: reason.into(), ..Error::invalid_request() };
                    Response::from_error(id, error)
                }))
            });
        }
        if matches!(method.as_str(), "textDocument/didOpen" | "textDocument/didChange" | "textDocument/didClose") {
            let (name, id, params) = request.into_parts();
            let applied =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.apply_in_order(&name, params.as_ref())));
            if let Err(panic) = applied {
                let message = state::panic_message(&panic);
                let shared = self.shared.clone();
                let context = name.to_string();
                tokio::spawn(async move { shared.report_panic(&context, &message).await });
            }
            let mut rebuilt = Request::build(name);
            if let Some(id) = id {
                rebuilt = rebuilt.id(id);
            }
            if let Some(params) = params {
                rebuilt = rebuilt.params(params);
            }
            let future = self.inner.call(rebuilt.finish());
            return Box::pin(future);
        }
        let shared = self.shared.clone();
        let request_id = id.clone();
        let inner = &mut self.inner;
        // The handler, with a panic in making or running it turned into an error answer.
        let start = move || {
            let future = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.call(request)));
            async move {
                let outcome = match future {
                    Ok(future) => std::panic::AssertUnwindSafe(future).catch_unwind().await,
                    Err(panic) => Err(panic),
                };
                match outcome {
                    Ok(result) => result,
                    Err(panic) => {
                        let message = state::panic_message(&panic);
                        shared.report_panic(&method, &message).await;
                        Ok(id.map(|id| Response::from_error(id, Error::internal_error())))
                    }
                }
            }
        };
        match request_id {
            None => Box::pin(start()),
            // A request cancelled while it waited is answered without making its handler.
            Some(request_id) => match self.cancellations.admit(request_id, start) {
                cancel::Admission::Cancelled(response) => Box::pin(std::future::ready(Ok(Some(response)))),
                cancel::Admission::Run(future) => Box::pin(future),
            },
        }
    }
}
