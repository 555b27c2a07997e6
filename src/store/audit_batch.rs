//! Group commit of audit rows. [`Store::audit`] still returns only once its row is committed, but
//! rows that arrive while a write is under way go to the database together in one multi-row
//! `INSERT` (one round trip and one commit for many sign-ins), written by one task in arrival order.
//! A sign-in at 9 am does not wait for the fifteen before it to commit one by one, and PostgreSQL
//! flushes its WAL once per batch instead of once per row.

use super::{AuditRow, StoreError};
use sqlx::AnyPool;
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
            .map_err(|_| StoreError::Database(sqlx::Error::PoolClosed))?;
        done.await
            .map_err(|_| StoreError::Database(sqlx::Error::WorkerCrashed))?
    }
}

async fn writer(pool: AnyPool, mut rx: mpsc::Receiver<(AuditRow, Reply)>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let result = insert(&pool, batch.iter().map(|(row, _)| row)).await;
        match result {
            Ok(()) => {
                for (_, reply) in batch {
                    let _ = reply.send(Ok(()));
                }
            }
            Err(e) => {
                for (_, reply) in batch {
                    let _ = reply.send(Err(StoreError::Database(echo(&e))));
                }
            }
        }
    }
}

/// One `INSERT … VALUES (…), (…)` of `rows`.
async fn insert<'a>(
    pool: &AnyPool,
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
            .bind(a.event.clone())
            .bind(a.app.clone())
            .bind(a.userid.clone())
            .bind(a.result.clone())
            .bind(a.reason.clone())
            .bind(a.client_ip.clone())
            .bind(a.request_id.clone())
            .bind(a.actor.clone())
            .bind(a.detail.clone());
    }
    q.execute(pool).await?;
    Ok(())
}

/// The same failure for every row of a batch (`sqlx::Error` is not `Clone`): the kinds that tell
/// "the database is unreachable" apart are kept, the rest carry the message.
fn echo(e: &sqlx::Error) -> sqlx::Error {
    match e {
        sqlx::Error::PoolTimedOut => sqlx::Error::PoolTimedOut,
        sqlx::Error::PoolClosed => sqlx::Error::PoolClosed,
        sqlx::Error::WorkerCrashed => sqlx::Error::WorkerCrashed,
        sqlx::Error::Io(io) => sqlx::Error::Io(std::io::Error::new(io.kind(), io.to_string())),
        other => sqlx::Error::Protocol(other.to_string()),
    }
}
