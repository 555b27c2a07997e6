//! The address book: members (`user/get`, by mobile or email), departments, tags and their
//! members, each list cached for a short time and bounded in size.

use std::collections::HashMap;

use serde::Deserialize;
use tracing::debug;

use super::transport::Req;
use super::{
    endpoint, lock, Department, DepartmentMember, EmailType, Member, Tag, TagMembers, WecomClient,
};
use crate::wecom::errors::WecomError;
use crate::wecom::types::UserIdAnswer;

/// At most this many tags' member lists are cached (role rules name a handful).
const MAX_CACHED_TAGS: usize = 256;
/// At most this many departments' member lists are cached (the console's member picker).
const MAX_CACHED_DEPARTMENTS: usize = 1024;

impl WecomClient {
    /// Reads a member (`user/get`). 60111/46004 when there is no such userid.
    pub async fn get_user(&self, userid: &str) -> Result<Member, WecomError> {
        self.call(
            endpoint::USER_GET,
            Req::Get(vec![("userid", userid.to_owned())]),
        )
        .await
    }

    /// All departments visible to the app, cached for `Options::department_ttl`.
    pub async fn departments(&self) -> Result<Vec<Department>, WecomError> {
        let now = self.inner.clock.unix();
        let ttl = i64::try_from(self.inner.options.department_ttl.as_secs()).unwrap_or(i64::MAX);
        if let Some((at, list)) = lock(&self.inner.departments).as_ref() {
            if now >= *at && now - *at < ttl {
                return Ok(list.clone());
            }
        }
        #[derive(Deserialize)]
        struct List {
            #[serde(default)]
            department: Vec<Department>,
        }
        let list: List = self
            .call(endpoint::DEPARTMENT_LIST, Req::Get(Vec::new()))
            .await?;
        debug!(
            count = list.department.len(),
            "WeCom department list refreshed"
        );
        *lock(&self.inner.departments) = Some((now, list.department.clone()));
        Ok(list.department)
    }

    /// Names of the given department IDs, in order, skipping unknown IDs (uses the cached list).
    pub async fn department_names(&self, ids: &[i64]) -> Result<Vec<String>, WecomError> {
        let all = self.departments().await?;
        Ok(ids
            .iter()
            .filter_map(|id| all.iter().find(|d| d.id == *id).map(|d| d.name.clone()))
            .collect())
    }

    /// Forgets the cached department list.
    pub fn invalidate_departments(&self) {
        *lock(&self.inner.departments) = None;
    }

    /// All tags (`tag/list`), cached for `Options::tag_ttl`.
    pub async fn tags(&self) -> Result<Vec<Tag>, WecomError> {
        let now = self.inner.clock.unix();
        let ttl = self.tag_ttl();
        if let Some((at, list)) = lock(&self.inner.tags).as_ref() {
            if now >= *at && now - *at < ttl {
                return Ok(list.clone());
            }
        }
        #[derive(Deserialize)]
        struct List {
            #[serde(default)]
            taglist: Vec<Tag>,
        }
        let list: List = self.call(endpoint::TAG_LIST, Req::Get(Vec::new())).await?;
        debug!(count = list.taglist.len(), "WeCom tag list refreshed");
        *lock(&self.inner.tags) = Some((now, list.taglist.clone()));
        Ok(list.taglist)
    }

    /// A tag's members and departments (`tag/get`), cached per tag for `Options::tag_ttl`. 40068
    /// when there is no such tag.
    pub async fn tag_members(&self, tagid: i64) -> Result<TagMembers, WecomError> {
        let now = self.inner.clock.unix();
        let ttl = self.tag_ttl();
        if let Some((at, members)) = lock(&self.inner.tag_members).get(&tagid) {
            if now >= *at && now - *at < ttl {
                return Ok(members.clone());
            }
        }
        let members: TagMembers = self
            .call(
                endpoint::TAG_GET,
                Req::Get(vec![("tagid", tagid.to_string())]),
            )
            .await?;
        debug!(
            tagid,
            users = members.userlist.len(),
            departments = members.partylist.len(),
            "WeCom tag members refreshed"
        );
        let fresh = Fresh { now, ttl };
        fresh.insert(
            &mut lock(&self.inner.tag_members),
            MAX_CACHED_TAGS,
            tagid,
            members.clone(),
        );
        Ok(members)
    }

    /// A department's direct members (`user/simplelist?department_id=…`), cached per department
    /// for `Options::tag_ttl`.
    ///
    /// Why this call: it is the member list a self-built app may read with its own Secret, for the
    /// departments in its visible range (elsewhere 60011). `user/list_id` answers only the
    /// contacts-sync Secret (48009 for an app's), and `user/list` gives more than a picker needs. The
    /// deprecated `fetch_child` is not sent: sub-departments are read one by one.
    pub async fn department_members(
        &self,
        department_id: i64,
    ) -> Result<Vec<DepartmentMember>, WecomError> {
        let now = self.inner.clock.unix();
        let ttl = self.tag_ttl();
        if let Some((at, members)) = lock(&self.inner.department_members).get(&department_id) {
            if now >= *at && now - *at < ttl {
                return Ok(members.clone());
            }
        }
        #[derive(Deserialize)]
        struct List {
            #[serde(default)]
            userlist: Vec<DepartmentMember>,
        }
        let list: List = self
            .call(
                endpoint::USER_SIMPLELIST,
                Req::Get(vec![("department_id", department_id.to_string())]),
            )
            .await?;
        debug!(
            department_id,
            count = list.userlist.len(),
            "WeCom department members refreshed"
        );
        let fresh = Fresh { now, ttl };
        fresh.insert(
            &mut lock(&self.inner.department_members),
            MAX_CACHED_DEPARTMENTS,
            department_id,
            list.userlist.clone(),
        );
        Ok(list.userlist)
    }

    /// Forgets the cached tag list and tag members.
    pub fn invalidate_tags(&self) {
        *lock(&self.inner.tags) = None;
        lock(&self.inner.tag_members).clear();
    }

    fn tag_ttl(&self) -> i64 {
        i64::try_from(self.inner.options.tag_ttl.as_secs()).unwrap_or(i64::MAX)
    }

    /// mobile → userid (`user/getuserid`). For targeted checks only: WeCom blocks these lookups for a
    /// day when errors exceed 20% of the seat count.
    pub async fn userid_by_mobile(&self, mobile: &str) -> Result<String, WecomError> {
        let r: UserIdAnswer = self
            .call(
                endpoint::USER_GETUSERID,
                Req::Post(serde_json::json!({ "mobile": mobile })),
            )
            .await?;
        Ok(r.userid)
    }

    /// email → userid (`user/get_userid_by_email`). Same caution as [`Self::userid_by_mobile`].
    pub async fn userid_by_email(
        &self,
        email: &str,
        email_type: EmailType,
    ) -> Result<String, WecomError> {
        let r: UserIdAnswer = self
            .call(
                endpoint::USER_GET_USERID_BY_EMAIL,
                Req::Post(serde_json::json!({ "email": email, "email_type": email_type.code() })),
            )
            .await?;
        Ok(r.userid)
    }
}

/// Now and a cache's lifetime, in seconds.
struct Fresh {
    now: i64,
    ttl: i64,
}

impl Fresh {
    /// Caches `value` fetched now under `key`, keeping at most `max` entries: the expired ones go
    /// first, and all of them when that is not enough.
    fn insert<V>(&self, cache: &mut HashMap<i64, (i64, V)>, max: usize, key: i64, value: V) {
        let (now, ttl) = (self.now, self.ttl);
        if cache.len() >= max && !cache.contains_key(&key) {
            cache.retain(|_, (at, _)| now >= *at && now - *at < ttl);
            if cache.len() >= max {
                cache.clear();
            }
        }
        cache.insert(key, (now, value));
    }
}
