//! The profile of a WeCom member as login builds it from `user/get` (display texts cleaned, the
//! employee number as `binding.employee_no_from` says, department names from the cached list). The
//! callback and the admin's member preview both build it here, so the preview shows what login sees.

use super::directory::{BindingPolicy, EmployeeNoFrom};
use super::{clean_text, Profile};
use crate::logsafe::Escaped;
use crate::wecom::client::WecomClient;
use crate::wecom::types::Member;

/// The profile of an active `member`; department names are left out when WeCom cannot list them.
pub async fn profile_of(client: &WecomClient, policy: &BindingPolicy, member: &Member) -> Profile {
    let mut profile = Profile {
        userid: clean_text(&member.userid),
        name: clean_text(&member.name),
        email: member
            .email
            .clone()
            .or(member.biz_mail.clone())
            .filter(|s| !s.is_empty()),
        mobile: member.mobile.clone().filter(|s| !s.is_empty()),
        alias: member.alias.clone().filter(|s| !s.is_empty()),
        position: member.position.clone().filter(|s| !s.is_empty()),
        department_ids: member.department.clone(),
        department_names: Vec::new(),
        employee_no: match &policy.employee_no_from {
            EmployeeNoFrom::Extattr(name) => member.ext(name).map(clean_text),
            EmployeeNoFrom::Alias => member.alias.clone().map(|a| clean_text(&a)),
        }
        .filter(|s| !s.is_empty()),
        username: None,
        groups: Vec::new(),
    };
    match client.departments().await {
        Ok(deps) => {
            profile.department_names = profile
                .department_ids
                .iter()
                .filter_map(|id| {
                    deps.iter()
                        .find(|d| d.id == *id)
                        .map(|d| clean_text(&d.name))
                })
                .collect();
        }
        Err(e) => {
            tracing::warn!(error = %Escaped(&e), "department/list failed; releasing no department names")
        }
    }
    profile
}
