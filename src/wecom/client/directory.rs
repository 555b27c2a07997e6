//! The reads of a directory sync, never cached (a sync must see what WeCom holds now, and the
//! console's short caches must not grow with a whole address book): the visible departments
//! (`department/list`), one department (`department/list?id=`), a department's members with their
//! details (`user/list`), the tags (`tag/list`) and one tag's carriers (`tag/get`).
//!
//! Why `user/list` and not `user/list_id`: a self-built app's own Secret may call `user/list` for
//! every department in its visible range, while `user/list_id` (the only member list with a
//! cursor) answers only the contacts-sync Secret (通讯录同步) — 48009 for an app's — and since
//! 2022-08-15 that Secret, from an IP added after that date, may no longer call `user/list` or
//! `department/list` at all. WeCom's page:
//! <https://developer.work.weixin.qq.com/document/path/90201>.

use serde::Deserialize;

use super::transport::Req;
use super::{endpoint, Department, Member, Tag, TagMembers, WecomClient};
use crate::wecom::errors::WecomError;

impl WecomClient {
    /// Every department in the app's visible range (`department/list`), read now.
    pub async fn read_departments(&self) -> Result<Vec<Department>, WecomError> {
        #[derive(Deserialize)]
        struct List {
            #[serde(default)]
            department: Vec<Department>,
        }
        let list: List = self
            .call(endpoint::DEPARTMENT_LIST, Req::Get(Vec::new()))
            .await?;
        Ok(list.department)
    }

    /// One department (`department/list?id=`, which answers it and its descendants), read now.
    /// `None` when WeCom has no such department in the visible range (60123, 60011).
    pub async fn read_department(&self, id: i64) -> Result<Option<Department>, WecomError> {
        #[derive(Deserialize)]
        struct List {
            #[serde(default)]
            department: Vec<Department>,
        }
        let answer: Result<List, WecomError> = self
            .call(
                endpoint::DEPARTMENT_LIST,
                Req::Get(vec![("id", id.to_string())]),
            )
            .await;
        match answer {
            Ok(list) => Ok(list.department.into_iter().find(|d| d.id == id)),
            Err(e) if matches!(e.code(), Some(60123 | 60011)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A department's direct members with their details (`user/list?department_id=`), read now.
    /// The deprecated `fetch_child` is not sent: a sync reads every department.
    pub async fn read_department_users(
        &self,
        department_id: i64,
    ) -> Result<Vec<Member>, WecomError> {
        #[derive(Deserialize)]
        struct List {
            #[serde(default)]
            userlist: Vec<Member>,
        }
        let list: List = self
            .call(
                endpoint::USER_LIST,
                Req::Get(vec![("department_id", department_id.to_string())]),
            )
            .await?;
        Ok(list.userlist)
    }

    /// Every tag (`tag/list`), read now.
    pub async fn read_tags(&self) -> Result<Vec<Tag>, WecomError> {
        #[derive(Deserialize)]
        struct List {
            #[serde(default)]
            taglist: Vec<Tag>,
        }
        let list: List = self.call(endpoint::TAG_LIST, Req::Get(Vec::new())).await?;
        Ok(list.taglist)
    }

    /// One tag's members and departments (`tag/get`), read now. `None` when there is no such tag
    /// (40068).
    pub async fn read_tag(&self, tagid: i64) -> Result<Option<TagMembers>, WecomError> {
        let answer: Result<TagMembers, WecomError> = self
            .call(
                endpoint::TAG_GET,
                Req::Get(vec![("tagid", tagid.to_string())]),
            )
            .await;
        match answer {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.code() == Some(40068) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// One member (`user/get`), read now. `None` when WeCom has no such member (60111, 46004) or
    /// the member is outside the app's visible range (50002, 60011): either way not ours to store.
    pub async fn read_user(&self, userid: &str) -> Result<Option<Member>, WecomError> {
        match self.get_user(userid).await {
            Ok(m) => Ok(Some(m)),
            Err(e) if matches!(e.code(), Some(60111 | 46004 | 50002 | 60011)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
