//! Parsed apps, per instance, valid for one value of the store's apps revision.
//!
//! Every sign-in request needs its app (by name on the mount address, by SP entity ID on
//! `/saml/sso`); reading and parsing the row each time cost a round trip and the JSON decoding of
//! the SP metadata. The request's first read ([`crate::store::Store::request_snapshot`]) returns the
//! apps revision, which the database bumps on every app insert, update and delete (a trigger, so no
//! write path can forget it, including the CLI and other instances). While the revision is the one
//! the cache was filled at, a cached app is the stored app; when it differs, the cache is emptied
//! and apps are read again. Unknown names are not cached (a miss costs a read, as before).

use crate::apps::{App, AppError};
use crate::store::{AppRow, Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Most apps held; past it the cache is emptied (deployments have tens of apps, not thousands).
const MAX_APPS: usize = 1024;

/// Why an app could not be given.
#[derive(Debug)]
pub enum CacheError {
    /// Reading the store failed.
    Store(StoreError),
    /// The stored row does not parse.
    App(AppError),
}

impl From<StoreError> for CacheError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

#[derive(Default)]
struct Inner {
    revision: Option<i64>,
    by_name: HashMap<String, Arc<App>>,
    by_entity: HashMap<String, Arc<App>>,
}

/// The cache. Cheap to share (`Arc`).
#[derive(Default)]
pub struct AppCache {
    inner: Mutex<Inner>,
}

/// Which app.
enum Key<'a> {
    Name(&'a str),
    EntityId(&'a str),
}

impl AppCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    fn cached(&self, revision: i64, key: &Key<'_>) -> Option<Arc<App>> {
        let mut g = self.lock();
        if g.revision != Some(revision) {
            g.by_name.clear();
            g.by_entity.clear();
            g.revision = Some(revision);
            return None;
        }
        match key {
            Key::Name(n) => g.by_name.get(*n).cloned(),
            Key::EntityId(e) => g.by_entity.get(*e).cloned(),
        }
    }

    fn keep(&self, revision: i64, app: Arc<App>) {
        let mut g = self.lock();
        if g.revision != Some(revision) {
            // Another request saw a newer revision meanwhile: this app may be older than that.
            return;
        }
        if g.by_name.len() >= MAX_APPS {
            g.by_name.clear();
            g.by_entity.clear();
        }
        g.by_entity
            .insert(app.metadata.entity_id.clone(), app.clone());
        g.by_name.insert(app.name.as_str().to_string(), app);
    }

    async fn get(
        &self,
        store: &Store,
        revision: i64,
        key: Key<'_>,
    ) -> Result<Option<Arc<App>>, CacheError> {
        if let Some(app) = self.cached(revision, &key) {
            return Ok(Some(app));
        }
        let row: Option<AppRow> = match key {
            Key::Name(n) => store.app(n).await?,
            Key::EntityId(e) => store.app_by_entity_id(e).await?,
        };
        let Some(row) = row else {
            return Ok(None);
        };
        let app = Arc::new(App::from_row(row).map_err(CacheError::App)?);
        self.keep(revision, app.clone());
        Ok(Some(app))
    }

    /// The app called `name` as stored at `revision` (read from `store` when not cached).
    pub async fn by_name(
        &self,
        store: &Store,
        revision: i64,
        name: &str,
    ) -> Result<Option<Arc<App>>, CacheError> {
        self.get(store, revision, Key::Name(name)).await
    }

    /// The app whose SP entity ID is `entity_id`, as stored at `revision`.
    pub async fn by_entity_id(
        &self,
        store: &Store,
        revision: i64,
        entity_id: &str,
    ) -> Result<Option<Arc<App>>, CacheError> {
        self.get(store, revision, Key::EntityId(entity_id)).await
    }
}
