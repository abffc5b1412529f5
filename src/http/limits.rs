//! How much heavy work one replica takes at once: import jobs (dry runs included) and PDFs. Past
//! it a request is answered at once with 503 and `Retry-After` (as the password hashing is, see
//! `crate::passwords`), never queued: a queue would hold each waiting request's body (an import's
//! file is up to 20 MB) and the balancer would time it out anyway. Another replica, or the same one
//! a moment later, takes it.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::ApiError;

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
