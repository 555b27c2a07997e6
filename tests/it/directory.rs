//! The stored address book: a full sync against the simulator (departments, members, tags, what
//! WeCom withholds), a second sync that changes nothing, reconciliation repairing a member removed,
//! renamed and moved, a failing sync that leaves the stored directory whole, the empty-answer
//! guard, each `change_contact` change applied, the lease of the periodic sync, the background
//! loop, and `wecom-idp directory sync`.

use crate::both_dbs;
use crate::harness::*;
use wecom_idp::clock::Clock;
use wecom_idp::contacts::{self, ContactsError, Ctx, Outcome};
use wecom_idp::store::DirectorySnapshot;
use wecom_idp::wecom::contact_change::{ContactChange, MemberStatus};
use wecom_idp::wecom::simulator::{demo_tags, department, tag, Member};

async fn ctx_of(env: &Env) -> wecom_idp::wecom::client::WecomClient {
    env.state
        .settings
        .current(&env.state.store)
        .await
        .unwrap()
        .client
        .clone()
}

async fn sync(env: &Env) -> Result<Outcome, ContactsError> {
    let client = ctx_of(env).await;
    let ctx = Ctx {
        store: &env.state.store,
        client: &client,
    };
    contacts::full_sync(&ctx, env.clock.unix()).await
}

async fn apply(env: &Env, change: ContactChange) -> Outcome {
    let client = ctx_of(env).await;
    let ctx = Ctx {
        store: &env.state.store,
        client: &client,
    };
    contacts::apply_change(&ctx, &change, env.clock.unix())
        .await
        .unwrap()
}

async fn snapshot(env: &Env) -> DirectorySnapshot {
    env.state.store.directory_snapshot().await.unwrap()
}

fn counts(c: contacts::Counts) -> (usize, usize, usize) {
    (c.created, c.updated, c.removed)
}

fn transitions(o: &Outcome) -> Vec<(String, Option<MemberStatus>, Option<MemberStatus>)> {
    o.transitions
        .iter()
        .map(|t| (t.userid.clone(), t.before, t.after))
        .collect()
}

both_dbs!(full_sync_stores_the_visible_directory, full_sync_case);
async fn full_sync_case(env: Env) {
    env.sim.set_tags(demo_tags());
    let first = sync(&env).await.unwrap();
    assert_eq!(counts(first.departments), (4, 0, 0));
    assert_eq!(counts(first.members), (5, 0, 0));
    assert_eq!(counts(first.tags), (3, 0, 0));
    // Every member appears: from absent to their status.
    let t = transitions(&first);
    assert_eq!(t.len(), 5);
    assert!(t.contains(&("sunqi".into(), None, Some(MemberStatus::Left))));
    assert!(t.contains(&("zhaoliu".into(), None, Some(MemberStatus::Disabled))));

    let snap = snapshot(&env).await;
    let ids: Vec<i64> = snap.departments.iter().map(|d| d.id).collect();
    assert_eq!(ids, vec![1, 2, 3, 4]);
    let rd = &snap.departments[1];
    assert_eq!(
        (rd.name.as_str(), rd.name_en.as_deref(), rd.parent_id),
        ("研发部", Some("R&D"), 1)
    );
    let zs = snap
        .members
        .iter()
        .find(|m| m.userid == "zhangsan")
        .unwrap();
    assert_eq!(zs.name, "张三");
    assert_eq!(zs.departments, vec![2]);
    assert_eq!(zs.main_department, Some(2));
    assert_eq!(zs.status, MemberStatus::Active);
    assert_eq!(zs.alias.as_deref(), Some("San Zhang"));
    assert_eq!(zs.position.as_deref(), Some("后端工程师 Backend engineer"));
    assert_eq!(zs.extattr[0].value, "E001");
    // An app created since 2022-06-20: WeCom withholds mobile and mail, so none is stored.
    assert_eq!(
        (zs.mobile.as_ref(), zs.email.as_ref(), zs.biz_mail.as_ref()),
        (None, None, None)
    );
    let oncall = snap.tags.iter().find(|t| t.id == 3).unwrap();
    assert_eq!(oncall.users, vec!["wangwu".to_owned()]);
    assert_eq!(oncall.departments, vec![3]);

    let status = env.state.store.directory_sync_status().await.unwrap();
    assert_eq!((status.departments, status.members, status.tags), (4, 5, 3));
    assert_eq!(status.finished_at, Some(env.clock.unix()));
    assert_eq!(status.last_error, None);

    // A second sync changes nothing.
    let second = sync(&env).await.unwrap();
    assert!(second.is_empty(), "{:?}", second.changes);
    assert!(second.transitions.is_empty());
    assert_eq!(snapshot(&env).await, snap);

    // An app that predates 2022-06-20 is given mobile and mail, and they are stored.
    env.sim.set_pre_2022(true);
    let older = sync(&env).await.unwrap();
    assert_eq!(counts(older.members), (0, 5, 0));
    let snap = snapshot(&env).await;
    let zs = snap
        .members
        .iter()
        .find(|m| m.userid == "zhangsan")
        .unwrap();
    assert_eq!(zs.mobile.as_deref(), Some("13800138001"));
    assert_eq!(zs.biz_mail.as_deref(), Some("zhangsan@demo-tech.example"));
}

both_dbs!(reconciliation_repairs_missed_changes, repair_case);
async fn repair_case(env: Env) {
    env.sim.set_tags(demo_tags());
    sync(&env).await.unwrap();
    // Changes whose events never arrived: lisi removed, zhangsan renamed, wangwu moved to R&D and
    // disabled, a department added, finance removed, the auditors tag gone, on-call re-tagged.
    env.sim.remove_member("lisi");
    let mut zs = Member::new("zhangsan", "张三丰");
    zs.department = vec![2];
    env.sim.upsert_member(zs);
    let mut ww = Member::new("wangwu", "王五");
    ww.department = vec![2, 5];
    ww.status = 2;
    env.sim.upsert_member(ww);
    env.sim
        .upsert_department(department(5, "安全部", Some("Security"), 1));
    env.sim.remove_department(4);
    env.sim.set_tags(vec![
        tag(1, "云管理员 cloud-admins", &["zhangsan"], &[]),
        tag(3, "值班 on-call", &["zhangsan"], &[3, 5]),
    ]);
    let out = sync(&env).await.unwrap();
    assert_eq!(counts(out.departments), (1, 0, 1));
    assert_eq!(counts(out.members), (0, 2, 1));
    assert_eq!(counts(out.tags), (0, 1, 1));
    assert_eq!(
        transitions(&out),
        vec![
            ("lisi".into(), Some(MemberStatus::Active), None),
            (
                "wangwu".into(),
                Some(MemberStatus::Active),
                Some(MemberStatus::Disabled)
            ),
        ]
    );
    assert!(out.transitions.iter().all(|t| t.is_cut_off()));
    let snap = snapshot(&env).await;
    assert!(snap.members.iter().all(|m| m.userid != "lisi"));
    let zs = snap
        .members
        .iter()
        .find(|m| m.userid == "zhangsan")
        .unwrap();
    assert_eq!(zs.name, "张三丰");
    let ww = snap.members.iter().find(|m| m.userid == "wangwu").unwrap();
    assert_eq!(ww.departments, vec![2, 5]);
    assert_eq!(
        snap.departments.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![1, 2, 3, 5]
    );
    let oncall = snap.tags.iter().find(|t| t.id == 3).unwrap();
    assert_eq!(
        (oncall.users.clone(), oncall.departments.clone()),
        (vec!["zhangsan".to_owned()], vec![3, 5])
    );
    assert!(snap.tags.iter().all(|t| t.id != 2));
    // And once repaired, nothing more to do.
    assert!(sync(&env).await.unwrap().is_empty());
}

both_dbs!(a_failed_sync_changes_nothing, failure_case);
async fn failure_case(env: Env) {
    env.sim.set_tags(demo_tags());
    sync(&env).await.unwrap();
    let before = snapshot(&env).await;
    env.sim.remove_member("lisi");
    // Everything read but the last tag: the sync must not store the members it already read.
    env.sim.fail_next("tag/get", 45009, 1);
    env.clock.advance(time::Duration::seconds(60));
    let e = sync(&env).await.unwrap_err();
    assert!(e.to_string().contains("45009"), "{e}");
    assert_eq!(snapshot(&env).await, before, "half a directory was stored");
    let status = env.state.store.directory_sync_status().await.unwrap();
    assert!(status.last_error.unwrap().contains("45009"));
    assert_eq!(status.error_at, Some(env.clock.unix()));
    assert_eq!(status.finished_at, Some(env.clock.unix() - 60));
    // The next one repairs it and clears the error.
    let out = sync(&env).await.unwrap();
    assert_eq!(counts(out.members), (0, 0, 1));
    assert_eq!(
        env.state
            .store
            .directory_sync_status()
            .await
            .unwrap()
            .last_error,
        None
    );

    // WeCom answering an empty address book (the visible range emptied) wipes nothing.
    for id in [1, 2, 3, 4] {
        env.sim.hide_department(id);
    }
    let before = snapshot(&env).await;
    let e = sync(&env).await.unwrap_err();
    assert!(
        matches!(e, ContactsError::EmptyAnswer { stored_members: 4 }),
        "{e}"
    );
    assert!(e.to_string().contains("可见范围"));
    assert_eq!(snapshot(&env).await, before);
}

both_dbs!(each_change_is_applied, change_case);
async fn change_case(env: Env) {
    env.sim.set_tags(demo_tags());
    sync(&env).await.unwrap();

    // create_user
    env.sim.upsert_member(Member::new("qianba", "钱八"));
    let out = apply(
        &env,
        ContactChange::UserCreated {
            userid: "qianba".into(),
        },
    )
    .await;
    assert_eq!(counts(out.members), (1, 0, 0));
    assert_eq!(
        transitions(&out),
        vec![("qianba".into(), None, Some(MemberStatus::Active))]
    );

    // update_user: disabled
    let mut zs = Member::new("zhangsan", "张三");
    zs.department = vec![2];
    zs.status = 2;
    env.sim.upsert_member(zs);
    let out = apply(
        &env,
        ContactChange::UserUpdated {
            userid: "zhangsan".into(),
            new_userid: None,
            status: Some(MemberStatus::Disabled),
        },
    )
    .await;
    assert_eq!(
        transitions(&out),
        vec![(
            "zhangsan".into(),
            Some(MemberStatus::Active),
            Some(MemberStatus::Disabled)
        )]
    );
    let stored = env
        .state
        .store
        .directory_member("zhangsan")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, MemberStatus::Disabled);

    // update_user: userid renamed
    env.sim.remove_member("lisi");
    let mut l2 = Member::new("lisi2", "李四");
    l2.department = vec![3];
    env.sim.upsert_member(l2);
    let out = apply(
        &env,
        ContactChange::UserUpdated {
            userid: "lisi".into(),
            new_userid: Some("lisi2".into()),
            status: None,
        },
    )
    .await;
    assert_eq!(
        transitions(&out),
        vec![
            ("lisi".into(), Some(MemberStatus::Active), None),
            ("lisi2".into(), None, Some(MemberStatus::Active)),
        ]
    );
    assert!(env
        .state
        .store
        .directory_member("lisi")
        .await
        .unwrap()
        .is_none());

    // delete_user
    env.sim.remove_member("wangwu");
    let out = apply(
        &env,
        ContactChange::UserDeleted {
            userid: "wangwu".into(),
        },
    )
    .await;
    assert_eq!(counts(out.members), (0, 0, 1));
    assert!(out.transitions[0].is_cut_off());
    // A stale delete_user for a member WeCom still has deletes nothing (the event is a hint).
    let out = apply(
        &env,
        ContactChange::UserDeleted {
            userid: "qianba".into(),
        },
    )
    .await;
    assert!(out.is_empty());
    assert!(env
        .state
        .store
        .directory_member("qianba")
        .await
        .unwrap()
        .is_some());
    // The same event twice: the second changes nothing.
    let out = apply(
        &env,
        ContactChange::UserDeleted {
            userid: "wangwu".into(),
        },
    )
    .await;
    assert!(out.is_empty());

    // create_party, update_party, delete_party
    env.sim.upsert_department(department(6, "法务部", None, 1));
    let out = apply(&env, ContactChange::DepartmentCreated { id: 6 }).await;
    assert_eq!(counts(out.departments), (1, 0, 0));
    env.sim
        .upsert_department(department(6, "法务与合规", Some("Legal"), 2));
    let out = apply(&env, ContactChange::DepartmentUpdated { id: 6 }).await;
    assert_eq!(counts(out.departments), (0, 1, 0));
    let d = env
        .state
        .store
        .directory_department(6)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (d.name.as_str(), d.name_en.as_deref(), d.parent_id),
        ("法务与合规", Some("Legal"), 2)
    );
    env.sim.remove_department(6);
    let out = apply(&env, ContactChange::DepartmentDeleted { id: 6 }).await;
    assert_eq!(counts(out.departments), (0, 0, 1));
    assert!(env
        .state
        .store
        .directory_department(6)
        .await
        .unwrap()
        .is_none());

    // update_tag: members changed, then the tag deleted in WeCom
    env.sim.set_tags(vec![
        tag(1, "云管理员 cloud-admins", &["zhangsan", "qianba"], &[4]),
        tag(3, "值班 on-call", &["wangwu"], &[3]),
    ]);
    let out = apply(&env, ContactChange::TagUpdated { tagid: 1 }).await;
    assert_eq!(counts(out.tags), (0, 1, 0));
    let t = env.state.store.directory_tag(1).await.unwrap().unwrap();
    assert_eq!(t.users, vec!["qianba".to_owned(), "zhangsan".to_owned()]);
    assert_eq!(t.departments, vec![4]);
    assert_eq!(t.name, "云管理员 cloud-admins");
    let out = apply(&env, ContactChange::TagUpdated { tagid: 2 }).await;
    assert_eq!(counts(out.tags), (0, 0, 1));
    assert!(env.state.store.directory_tag(2).await.unwrap().is_none());

    // After all events, a full sync finds the stored directory already right.
    let out = sync(&env).await.unwrap();
    assert!(out.is_empty(), "{:?}", out.changes);
}

both_dbs!(one_instance_holds_the_periodic_sync, lease_case);
async fn lease_case(env: Env) {
    let store = &env.state.store;
    let now = env.clock.unix();
    // Never synced: due. A holds the lease; B is refused while it lasts.
    assert!(store
        .claim_directory_sync("a", now, now + 900, now - 3600)
        .await
        .unwrap());
    assert!(!store
        .claim_directory_sync("b", now, now + 900, now - 3600)
        .await
        .unwrap());
    // After A gives it back B may claim; and after an expired lease too.
    store.release_directory_sync("a").await.unwrap();
    assert!(store
        .claim_directory_sync("b", now, now + 10, now - 3600)
        .await
        .unwrap());
    assert!(store
        .claim_directory_sync("a", now + 10, now + 900, now - 3600)
        .await
        .unwrap());
    store.release_directory_sync("a").await.unwrap();

    // sync_if_due: the first runs, a second instance at once finds it not due.
    let client = ctx_of(&env).await;
    let ctx = Ctx {
        store,
        client: &client,
    };
    assert!(contacts::sync_if_due(&ctx, "a", now, 3600)
        .await
        .unwrap()
        .is_some());
    assert!(contacts::sync_if_due(&ctx, "b", now + 1, 3600)
        .await
        .unwrap()
        .is_none());
    assert!(contacts::sync_if_due(&ctx, "b", now + 3600, 3600)
        .await
        .unwrap()
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_loop_syncs_when_enabled() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("idp.sqlite").display());
    let env = Env::start_with(Db::Sqlite, url, dir, |c| {
        c.directory.sync_interval = "1h".into();
    })
    .await;
    for _ in 0..100 {
        let s = env.state.store.directory_sync_status().await.unwrap();
        if s.finished_at.is_some() {
            assert_eq!(s.members, 5);
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the periodic directory sync did not run at start");
}

both_dbs!(the_cli_syncs_and_prints_the_changes, cli_case);
async fn cli_case(env: Env) {
    env.sim.set_tags(demo_tags());
    let vars = shell(&env);
    let (ok, out) = run_shell(&vars, &["directory", "sync"]).await;
    assert!(ok, "{out}");
    assert!(
        out.contains("4 departments, 5 members, 3 tags stored"),
        "{out}"
    );
    assert!(
        out.contains("members: 5 created, 0 updated, 0 removed"),
        "{out}"
    );
    assert!(out.contains("created member zhangsan (张三)"), "{out}");
    assert!(out.contains("status sunqi: absent -> left"), "{out}");
    env.sim.remove_member("lisi");
    let (ok, out) = run_shell(&vars, &["directory", "sync"]).await;
    assert!(ok, "{out}");
    assert!(out.contains("removed member lisi (李四)"), "{out}");
    assert!(out.contains("status lisi: active -> absent"), "{out}");
    let (ok, out) = run_shell(&vars, &["directory", "sync"]).await;
    assert!(ok && out.contains("nothing changed"), "{out}");
    // WeCom failing: an error naming it, nothing changed.
    env.sim.fail_next("department/list", 60020, 1);
    let (ok, out) = run_shell(&vars, &["directory", "sync"]).await;
    assert!(!ok, "{out}");
    assert!(
        out.contains("nothing was changed") && out.contains("60020"),
        "{out}"
    );
}

both_dbs!(
    the_console_reads_the_stored_directory_when_fresh,
    console_case
);
async fn console_case(env: Env) {
    let token = env.api_token("directory").await;
    let api = env.api(&token);
    // Never synced: the pickers ask WeCom live.
    let (code, st) = api.get("/wecom/directory/status").await;
    assert_eq!(code, 200, "{st}");
    assert_eq!(st["pickers_read"], "live");
    assert!(st["last_synced_at"].is_null());
    let live = env.sim.calls("user/simplelist");
    let (code, list) = api.get("/wecom/directory/members?department=3").await;
    assert_eq!(code, 200, "{list}");
    assert_eq!(env.sim.calls("user/simplelist"), live + 1);

    // After a sync the status shows it; with the periodic sync off (the tests' default) the stored
    // copy is not known to be current, so the pickers still ask WeCom.
    env.sim.set_tags(demo_tags());
    sync(&env).await.unwrap();
    let (_, st) = api.get("/wecom/directory/status").await;
    assert_eq!(
        (
            st["departments"].as_i64(),
            st["members"].as_i64(),
            st["tags"].as_i64()
        ),
        (Some(4), Some(5), Some(3))
    );
    assert!(st["last_synced_at"]
        .as_str()
        .unwrap()
        .starts_with("2026-11-20T08:00:00"));
    assert!(st["sync_interval_secs"].is_null());
    assert_eq!(st["pickers_read"], "live");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_pickers_read_the_stored_directory() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("idp.sqlite").display());
    let env = Env::start_with(Db::Sqlite, url, dir, |c| {
        c.directory.sync_interval = "1h".into();
    })
    .await;
    // The periodic sync runs once at start: let it finish before counting WeCom calls.
    for _ in 0..100 {
        if env
            .state
            .store
            .directory_sync_status()
            .await
            .unwrap()
            .finished_at
            .is_some()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    env.sim.set_tags(demo_tags());
    sync(&env).await.unwrap();
    let token = env.api_token("directory").await;
    let api = env.api(&token);
    let (_, st) = api.get("/wecom/directory/status").await;
    assert_eq!(st["pickers_read"], "stored", "{st}");
    assert_eq!(st["sync_interval_secs"], 3600);
    // WeCom is not asked: the answers come from the stored copy.
    let before = (
        env.sim.calls("user/simplelist"),
        env.sim.calls("tag/list"),
        env.sim.calls("department/list"),
    );
    let (code, members) = api.get("/wecom/directory/members?department=3").await;
    assert_eq!(code, 200, "{members}");
    let mut ids: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["userid"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, vec!["lisi", "sunqi"]);
    let (_, found) = api.get("/wecom/directory/members?q=zhang").await;
    assert_eq!(found[0]["userid"], "zhangsan");
    let (_, tags) = api.get("/wecom/directory/tags").await;
    assert_eq!(tags.as_array().unwrap().len(), 3);
    let (_, depts) = api.get("/wecom/directory/departments").await;
    assert_eq!(depts.as_array().unwrap().len(), 4);
    assert_eq!(
        (
            env.sim.calls("user/simplelist"),
            env.sim.calls("tag/list"),
            env.sim.calls("department/list")
        ),
        before
    );
    // The console's WeCom page shows the status in the admin's language.
    let (b, _) = env.admin_browser("zhangsan").await;
    let page = b.get(&format!("{}/admin/wecom", env.base)).await;
    assert!(
        page.body.contains("id=\"directory-synced\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("规则选择器读取通讯录副本")
            || page
                .body
                .contains("The rule pickers read the stored directory")
    );
    // Two intervals later the stored copy is stale: the pickers ask WeCom again.
    env.clock
        .advance(time::Duration::hours(2) + time::Duration::seconds(1));
    let (_, st) = api.get("/wecom/directory/status").await;
    assert_eq!(st["pickers_read"], "live");
    api.get("/wecom/directory/tags").await;
    assert_eq!(env.sim.calls("tag/list"), before.1 + 1);
}

both_dbs!(members_in_the_range_alone_are_stored, alone_case);
// Rule: a member the visible range covers without covering any department of theirs — put in it
// one by one (`allow_userinfos`) or through a tag in it (`allow_tags`) — is listed by no
// department, yet is read and stored; a member of a department outside the range is not.
async fn alone_case(env: Env) {
    env.sim.set_tags(demo_tags());
    env.sim.hide_department(4);
    let mut alone = Member::new("qianba", "钱八");
    alone.department = vec![4];
    alone.in_range_alone = true;
    env.sim.upsert_member(alone);
    let mut hidden = Member::new("wujiu", "吴九");
    hidden.department = vec![4];
    env.sim.upsert_member(hidden);
    let userids =
        |s: DirectorySnapshot| -> Vec<String> { s.members.into_iter().map(|m| m.userid).collect() };
    sync(&env).await.unwrap();
    let got = userids(snapshot(&env).await);
    assert!(got.contains(&"qianba".to_owned()), "{got:?}");
    assert!(
        !got.contains(&"wangwu".to_owned()),
        "tag 3 is not in the range: {got:?}"
    );
    assert!(!got.contains(&"wujiu".to_owned()), "{got:?}");
    // Tag 3 (wangwu, of department 4) put in the range: wangwu is visible through it.
    env.sim.set_range_tags(vec![3]);
    sync(&env).await.unwrap();
    let got = userids(snapshot(&env).await);
    assert!(got.contains(&"wangwu".to_owned()), "{got:?}");
    assert!(!got.contains(&"wujiu".to_owned()), "{got:?}");
}
