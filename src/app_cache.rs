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
    /// Every app of an entity ID (several apps may share one, told apart by ACS URL).
    by_entity: HashMap<String, Vec<Arc<App>>>,
}

/// The cache. Cheap to share (`Arc`).
#[derive(Default)]
pub struct AppCache {
    inner: Mutex<Inner>,
}

impl AppCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// The cache at `revision`, emptied first when it was filled at another.
    fn at(&self, revision: i64) -> std::sync::MutexGuard<'_, Inner> {
        let mut g = self.lock();
        if g.revision != Some(revision) {
            g.by_name.clear();
            g.by_entity.clear();
            g.revision = Some(revision);
        }
        g
    }

    /// Keeps apps read at `revision`; with their entity ID's full list when `entity` is set.
    fn keep(&self, revision: i64, apps: &[Arc<App>], entity: Option<&str>) {
        let mut g = self.lock();
        if g.revision != Some(revision) {
            // Another request saw a newer revision meanwhile: these apps may be older than that.
            return;
        }
        if g.by_name.len() + apps.len() > MAX_APPS {
            g.by_name.clear();
            g.by_entity.clear();
        }
        if let Some(e) = entity {
            g.by_entity.insert(e.to_string(), apps.to_vec());
        }
        for app in apps {
            g.by_name.insert(app.name.as_str().to_string(), app.clone());
        }
    }

    /// The app called `name` as stored at `revision` (read from `store` when not cached).
    pub async fn by_name(
        &self,
        store: &Store,
        revision: i64,
        name: &str,
    ) -> Result<Option<Arc<App>>, CacheError> {
        if let Some(app) = self.at(revision).by_name.get(name).cloned() {
            return Ok(Some(app));
        }
        let Some(row) = store.app(name).await? else {
            return Ok(None);
        };
        let app = parse(row)?;
        self.keep(revision, std::slice::from_ref(&app), None);
        Ok(Some(app))
    }

    /// Every app whose SP entity ID is `entity_id`, by name, as stored at `revision` (empty when
    /// there is none).
    pub async fn by_entity_id(
        &self,
        store: &Store,
        revision: i64,
        entity_id: &str,
    ) -> Result<Vec<Arc<App>>, CacheError> {
        if let Some(apps) = self.at(revision).by_entity.get(entity_id).cloned() {
            return Ok(apps);
        }
        let apps = store
            .apps_by_entity_id(entity_id)
            .await?
            .into_iter()
            .map(parse)
            .collect::<Result<Vec<_>, _>>()?;
        if !apps.is_empty() {
            self.keep(revision, &apps, Some(entity_id));
        }
        Ok(apps)
    }
}

fn parse(row: AppRow) -> Result<Arc<App>, CacheError> {
    Ok(Arc::new(App::from_row(row).map_err(CacheError::App)?))
}
