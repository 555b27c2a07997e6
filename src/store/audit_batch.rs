//! Group commit of audit rows. [`Store::audit`] still returns only once its row is committed, but
//! rows that arrive while a write is under way go to the database together in one multi-row
//! `INSERT` (one round trip and one commit for many sign-ins), written by one task in arrival order.
//! A sign-in at 9 am does not wait for the fifteen before it to commit one by one, and PostgreSQL
//! flushes its WAL once per batch instead of once per row. The task keeps one connection of its own
//! (taken from the pool, detached from it): a pooled connection costs a ping each time it goes back
//! to the pool. A connection-level failure drops it, and the next batch takes a fresh one.

use super::{AuditRow, StoreError};
use sqlx::{AnyConnection, AnyPool};
use tokio::sync::{mpsc, oneshot};

/// Most rows in one `INSERT` (10 parameters each; far below every database's parameter limit).
const MAX_BATCH: usize = 128;
/// Rows waiting at most; past it writers wait for room (back-pressure, never an unbounded queue).
const QUEUE: usize = 4096;

type Reply = oneshot::Sender<Result<(), StoreError>>;

/// The sending side; the writer task ends when every clone of it is gone.
#[derive(Debug, Clone)]
pub(super) struct AuditBatcher {
    tx: mpsc::Sender<(AuditRow, Reply)>,
}

impl AuditBatcher {
    /// Starts the writer task on the current runtime.
    pub(super) fn start(pool: AnyPool) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(writer(pool, rx));
        Self { tx }
    }

    /// Queues `row` and waits until it is committed (or failed).
    pub(super) async fn write(&self, row: AuditRow) -> Result<(), StoreError> {
        let (reply, done) = oneshot::channel();
        self.tx
            .send((row, reply))
            .await
            .map_err(|_| StoreError::from(sqlx::Error::PoolClosed))?;
        done.await
            .map_err(|_| StoreError::from(sqlx::Error::WorkerCrashed))?
    }
}

async fn writer(pool: AnyPool, mut rx: mpsc::Receiver<(AuditRow, Reply)>) {
    let mut conn: Option<AnyConnection> = None;
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let result = write_batch(&pool, &mut conn, &batch).await;
        match result {
            Ok(()) => {
                for (_, reply) in batch {
                    let _ = reply.send(Ok(()));
                }
            }
            Err(e) => {
                // Classified once, like every other store error: a connection-level failure is
                // "unavailable" (the member gets the 503 page), anything else an error.
                for (_, reply) in batch {
                    let _ = reply.send(Err(StoreError::from(echo(&e))));
                }
            }
        }
    }
}

/// Writes `batch` on the task's own connection (taken from the pool when it has none).
async fn write_batch(
    pool: &AnyPool,
    conn: &mut Option<AnyConnection>,
    batch: &[(AuditRow, Reply)],
) -> Result<(), sqlx::Error> {
    let mut c = match conn.take() {
        Some(c) => c,
        None => pool.acquire().await?.detach(),
    };
    let result = insert(&mut c, batch.iter().map(|(row, _)| row)).await;
    match &result {
        // A broken connection is dropped; a refused row (a constraint, a trigger) keeps it.
        Err(e) if StoreError::from(echo(e)).is_unavailable() => {}
        _ => *conn = Some(c),
    }
    result
}

/// One `INSERT … VALUES (…), (…)` of `rows`.
async fn insert<'a>(
    conn: &mut AnyConnection,
    rows: impl ExactSizeIterator<Item = &'a AuditRow> + Clone,
) -> Result<(), sqlx::Error> {
    let mut sql = String::from(
        "INSERT INTO audit (at, event, app, userid, result, reason, client_ip, request_id, actor, \
         detail) VALUES ",
    );
    for i in 0..rows.len() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..10 {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(i * 10 + c + 1).to_string());
        }
        sql.push(')');
    }
    let mut q = sqlx::query(&sql);
    for a in rows {
        q = q
            .bind(a.at)
            .bind(a.event)
            .bind(a.app.clone())
            .bind(a.userid.clone())
            .bind(a.result)
            .bind(a.reason.clone())
            .bind(super::audit_words::ip_text(a.client_ip))
            .bind(a.request_id.clone())
            .bind(a.actor.clone())
            .bind(a.detail.clone());
    }
    q.execute(conn).await?;
    Ok(())
}

/// The same failure for every row of a batch (`sqlx::Error` is not `Clone`): the kinds that tell
/// "the database is unreachable" apart are kept (database errors with their code), the rest carry
/// the message.
fn echo(e: &sqlx::Error) -> sqlx::Error {
    match e {
        sqlx::Error::PoolTimedOut => sqlx::Error::PoolTimedOut,
        sqlx::Error::PoolClosed => sqlx::Error::PoolClosed,
        sqlx::Error::WorkerCrashed => sqlx::Error::WorkerCrashed,
        sqlx::Error::Io(io) => sqlx::Error::Io(std::io::Error::new(io.kind(), io.to_string())),
        sqlx::Error::Database(d) => sqlx::Error::Database(Box::new(Echoed {
            message: d.message().to_string(),
            code: d.code().map(|c| c.into_owned()),
        })),
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

/// A database error's message and code, copied for each row of a failed batch.
#[derive(Debug)]
struct Echoed {
    message: String,
    code: Option<String>,
}

impl std::fmt::Display for Echoed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Echoed {}

impl sqlx::error::DatabaseError for Echoed {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
        self.code.as_deref().map(std::borrow::Cow::Borrowed)
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        sqlx::error::ErrorKind::Other
    }
}
