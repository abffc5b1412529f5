//! How much heavy work one replica takes at once: import jobs (dry runs included) and PDFs. Past
//! it a request is answered at once with 503 and `Retry-After` (as the password hashing is, see
//! `crate::passwords`), never queued: a queue would hold each waiting request's body (an import's
//! file is up to 20 MB) and the balancer would time it out anyway. Another replica, or the same one
//! a moment later, takes it.
//!
//! And how large a request's body may be: 64 KiB unless a group of routes says otherwise with
//! [`body_limit`], whose 413s then name that group's own limit (the 413 itself is
//! [`super::error::too_large`]'s).

use std::sync::Arc;

use axum::{extract::DefaultBodyLimit, http::StatusCode, response::Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use utoipa_axum::router::OpenApiRouter;

use super::error::{size_text, too_large, ApiError};

/// The routes of `router` take bodies of up to `limit` bytes (instead of the 64 KiB of the others,
/// `http::BODY_LIMIT`); a larger one is answered 413 naming `limit`, whoever noticed it (axum's
/// extractors, or a handler reading the body itself), and their OpenAPI operations say so.
pub fn body_limit<S: Clone + Send + Sync + 'static>(mut router: OpenApiRouter<S>, limit: usize) -> OpenApiRouter<S> {
    for item in router.get_openapi_mut().paths.paths.values_mut() {
        let ops = [&mut item.put, &mut item.post, &mut item.patch, &mut item.delete];
        for op in ops.into_iter().flatten().filter(|op| op.request_body.is_some()) {
            let description = format!("The body is larger than {}", size_text(limit));
            op.responses.responses.insert("413".into(), super::problem_response(&description));
        }
    }
    router
        .layer(axum::middleware::map_response(move |res: Response| async move {
            if res.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large(limit)
            } else {
                res
            }
        }))
        .layer(DefaultBodyLimit::max(limit))
}

/// Import jobs (reading the file, then the job itself) one replica runs at once.
pub const IMPORTS_PER_REPLICA: usize = 2;
/// PDFs (labels, cards, receipts, loan slips, the semester summary) one replica makes at once.
pub const PRINTS_PER_REPLICA: usize = 4;

/// Seconds an import refused as busy is told to wait.
const IMPORT_RETRY_AFTER: i64 = 10;
/// Seconds a print refused as busy is told to wait.
const PRINT_RETRY_AFTER: i64 = 2;

/// The replica's slots for heavy work (one per replica, shared by every request).
#[derive(Clone, Debug)]
pub struct Work {
    imports: Arc<Semaphore>,
    prints: Arc<Semaphore>,
}

impl Default for Work {
    fn default() -> Self {
        Self::new(IMPORTS_PER_REPLICA, PRINTS_PER_REPLICA)
    }
}

impl Work {
    /// `imports` import jobs and `prints` PDFs at once.
    pub fn new(imports: usize, prints: usize) -> Self {
        Self { imports: Arc::new(Semaphore::new(imports)), prints: Arc::new(Semaphore::new(prints)) }
    }

    /// A slot for an import job, held until the job ends; 503 `import_busy` when none is free.
    pub fn import_slot(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.imports.clone().try_acquire_owned().map_err(|_| ApiError::Busy {
            code: "import_busy",
            detail: "this server is running as many imports (dry runs included) as it takes at once",
            retry_after: IMPORT_RETRY_AFTER,
        })
    }

    /// A slot for making a PDF, held until it is made; 503 `print_busy` when none is free.
    pub fn print_slot(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.prints.clone().try_acquire_owned().map_err(|_| ApiError::Busy {
            code: "print_busy",
            detail: "this server is making as many PDFs as it takes at once",
            retry_after: PRINT_RETRY_AFTER,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_run_out_and_come_back() {
        let w = Work::new(1, 1);
        let held = w.import_slot().expect("a free slot");
        assert!(matches!(w.import_slot(), Err(ApiError::Busy { code: "import_busy", retry_after: 10, .. })));
        drop(held);
        assert!(w.import_slot().is_ok());
        let _p = w.print_slot().expect("a free slot");
        assert!(matches!(w.print_slot(), Err(ApiError::Busy { code: "print_busy", .. })));
    }
}
