//! Trustworthy under hostile users: every route against five principals (anonymous, a researcher
//! and a platform manager who own nothing, the owner, an admin), mass assignment of server-decided
//! fields, and no way to become admin through the API. On SQLite and on PostgreSQL, with
//! moderation on (so pending platforms exist) and the rate limits raised out of the way.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;

use common::{TestApp, assert_problem, need, platform};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(settings = hostile; authorization_matrix, mass_assignment_is_ignored_or_refused, no_way_to_become_admin);

fn hostile(s: &mut omics_api::Settings) {
    s.moderation = true;
    // Counted but never reached: the matrix sends a few hundred requests from one address.
    s.rate_limit_auth_per_minute = 100_000;
    s.rate_limit_anonymous_match_per_minute = 100_000;
}

// ---------------------------------------------------------------------------------------------
// The matrix
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    /// A researcher who owns nothing the row touches.
    Researcher,
    /// A platform manager who owns nothing the row touches.
    Manager,
    /// The owner of the record (a platform manager for platforms, a researcher for needs); for
    /// rows without a record, another signed-in platform manager.
    Owner,
    Admin,
}

const WHO: [Who; 5] = [Who::Anonymous, Who::Researcher, Who::Manager, Who::Owner, Who::Admin];

// Expected statuses in the order of `WHO`.
const EVERYONE: [u16; 5] = [200; 5];
const SIGNED_IN: [u16; 5] = [401, 200, 200, 200, 200];
const ADMIN_ONLY: [u16; 5] = [401, 403, 403, 403, 200];
const HIDDEN: [u16; 5] = [404, 404, 404, 200, 200];
const OWNER_WRITES: [u16; 5] = [401, 403, 403, 200, 200];
const HIDDEN_WRITES: [u16; 5] = [401, 404, 404, 200, 200];
const OWNER_DELETES: [u16; 5] = [401, 403, 403, 204, 204];
const HIDDEN_DELETES: [u16; 5] = [401, 404, 404, 204, 204];
const MISSING: [u16; 5] = [404; 5];
const MISSING_WRITES: [u16; 5] = [401, 404, 404, 404, 404];

const PLATFORM_STATES: [&str; 5] = ["published", "draft", "pending_review", "archived", "suspended"];
const NEED_STATES: [&str; 5] = ["open", "anonymous", "closed", "withdrawn", "suspended"];

fn platform_is_public(state: &str) -> bool {
    state == "published"
}

fn need_is_public(state: &str) -> bool {
    !matches!(state, "withdrawn" | "suspended")
}

/// The record a row's `{id}` stands for.
#[derive(Debug, Clone, Copy)]
enum Target {
    None,
    /// The shared fixture in this state.
    Platform(&'static str),
    Need(&'static str),
    /// A new record in this state for every cell (for deletes).
    FreshPlatform(&'static str),
    FreshNeed(&'static str),
    /// An id no record has.
    Missing,
    /// The shared introduction: proposed by the need's owner to the published platform, never answered.
    Introduction,
    /// A new proposed introduction for every cell, proposed by this side (for answers that
    /// must succeed; a refused one aims at the shared introduction).
    FreshIntroduction(omics_domain::Side),
    /// A new need in discussion with an accepted introduction, for every cell.
    FreshMatchableNeed,
    /// The shared webhook of `platform_owner`.
    Webhook,
    /// A new webhook of `platform_owner` for every cell that must succeed.
    FreshWebhook,
    /// The shared saved search of `platform_owner`.
    SavedSearch,
    /// A new saved search of `platform_owner` for every cell that must succeed.
    FreshSavedSearch,
}

#[derive(Debug, Clone, Copy)]
enum Body {
    None,
    NewPlatform,
    NewNeed,
    /// The record as an admin reads it, read-only fields included (a PUT of what was read).
    AsRead,
    /// A harmless merge patch.
    Patch,
    /// A new account (fresh email each cell).
    Register,
    /// The credentials of a spare account.
    Token,
    /// The caller's own password, changed to itself (the caller's token is renewed after).
    Password,
    /// A need described in the body, for `POST /matches`.
    Described,
    /// A proposal between a fresh open need of `need_owner` and the published platform.
    Proposal,
    /// A message for an introduction's thread.
    Message,
    /// The accepted introduction of the target, for `POST /needs/{id}/matched`.
    Matched,
    /// Mark every notification read.
    ReadAll,
    /// A webhook to a public address.
    Webhook,
    /// The daily email digest.
    Digest,
    /// A saved search of platforms.
    SavedSearch,
    /// A saved search of the matches of `need_owner`'s open need.
    NeedSavedSearch,
}

type Check = fn(&World, Who, &Value) -> Result<(), String>;

struct Row {
    method: Method,
    /// The route as the OpenAPI document writes it.
    route: &'static str,
    query: &'static str,
    target: Target,
    body: Body,
    expect: [u16; 5],
    /// A check of the answer when it is a success.
    check: Option<Check>,
}

fn row(method: Method, route: &'static str, target: Target, body: Body, expect: [u16; 5]) -> Row {
    Row { method, route, query: "", target, body, expect, check: None }
}

impl Row {
    fn query(mut self, q: &'static str) -> Row {
        self.query = q;
        self
    }
    fn check(mut self, c: Check) -> Row {
        self.check = Some(c);
        self
    }
}

/// Every route, in every state that decides who may use it.
fn table() -> Vec<Row> {
    use Method as M;
    let mut t = vec![
        row(M::POST, "/api/v1/auth/register", Target::None, Body::Register, [201; 5]),
        row(M::POST, "/api/v1/auth/token", Target::None, Body::Token, EVERYONE),
        row(M::GET, "/api/v1/auth/me", Target::None, Body::None, SIGNED_IN).check(me_is_the_caller),
        row(M::POST, "/api/v1/auth/password", Target::None, Body::Password, [401, 204, 204, 204, 204]),
        // Lists show what the caller may see; `status=` cannot widen it; `mine` needs a token.
        row(M::GET, "/api/v1/platforms", Target::None, Body::None, EVERYONE).query("limit=100").check(platform_page),
        row(M::GET, "/api/v1/platforms", Target::None, Body::None, EVERYONE)
            .query("limit=100&status=draft,pending_review,archived,suspended")
            .check(hidden_platform_page),
        row(M::GET, "/api/v1/platforms", Target::None, Body::None, SIGNED_IN).query("mine=true&limit=100").check(platforms_mine),
        row(M::POST, "/api/v1/platforms", Target::None, Body::NewPlatform, [401, 403, 201, 201, 201]),
        row(M::GET, "/api/v1/needs", Target::None, Body::None, EVERYONE).query("limit=100").check(need_page),
        row(M::GET, "/api/v1/needs", Target::None, Body::None, EVERYONE)
            .query("limit=100&status=withdrawn,suspended")
            .check(hidden_need_page),
        row(M::GET, "/api/v1/needs", Target::None, Body::None, SIGNED_IN).query("mine=true&limit=100").check(needs_mine),
        row(M::POST, "/api/v1/needs", Target::None, Body::NewNeed, [401, 201, 201, 201, 201]),
        row(M::POST, "/api/v1/matches", Target::None, Body::Described, EVERYONE)
            .query("include_excluded=true&limit=100")
            .check(platform_matches_are_public),
        // Counts are public; small counts of needs are "<3" to all but admins.
        row(M::GET, "/api/v1/analytics/coverage", Target::None, Body::None, EVERYONE).check(small_counts_hidden),
        row(M::GET, "/api/v1/analytics/gaps", Target::None, Body::None, EVERYONE).check(small_counts_hidden),
        row(M::GET, "/api/v1/analytics/activity", Target::None, Body::None, EVERYONE).check(small_counts_hidden),
        row(M::GET, "/api/v1/vocabularies", Target::None, Body::None, EVERYONE),
        row(M::GET, "/api/v1/vocabularies/{name}", Target::None, Body::None, EVERYONE),
        row(M::GET, "/api/v1/vocabularies/{name}/resolve", Target::None, Body::None, EVERYONE).query("value=WES"),
        row(M::GET, "/api/v1/audit", Target::None, Body::None, ADMIN_ONLY),
        row(M::GET, "/api/v1/health/live", Target::None, Body::None, EVERYONE),
        row(M::GET, "/api/v1/health/ready", Target::None, Body::None, EVERYONE),
        row(M::GET, "/api/v1/service-info", Target::None, Body::None, EVERYONE),
        row(M::GET, "/api-docs/openapi.json", Target::None, Body::None, EVERYONE),
        row(M::GET, "/", Target::None, Body::None, EVERYONE),
        row(M::GET, "/site/app.js", Target::None, Body::None, EVERYONE),
        row(M::GET, "/site/app.css", Target::None, Body::None, EVERYONE),
        row(M::GET, "/site/text.js", Target::None, Body::None, EVERYONE),
        // Prometheus metrics: public on the replica; the proxy keeps it off the internet.
        row(M::GET, "/metrics", Target::None, Body::None, EVERYONE),
        row(M::GET, "/docs", Target::None, Body::None, [302; 5]),
        row(M::GET, "/docs/", Target::None, Body::None, EVERYONE),
    ];
    for state in PLATFORM_STATES {
        let public = platform_is_public(state);
        let item = "/api/v1/platforms/{id}";
        t.extend([
            row(M::GET, item, Target::Platform(state), Body::None, if public { EVERYONE } else { HIDDEN }),
            row(M::PUT, item, Target::Platform(state), Body::AsRead, if public { OWNER_WRITES } else { HIDDEN_WRITES })
                .check(platform_kept_its_state),
            row(M::PATCH, item, Target::Platform(state), Body::Patch, if public { OWNER_WRITES } else { HIDDEN_WRITES })
                .check(platform_kept_its_state),
            row(M::DELETE, item, Target::FreshPlatform(state), Body::None, if public { OWNER_DELETES } else { HIDDEN_DELETES }),
            row(M::GET, "/api/v1/platforms/{id}/matches", Target::Platform(state), Body::None, if public { EVERYONE } else { HIDDEN })
                .query("include_excluded=true&limit=100")
                .check(need_matches_are_public),
            row(M::GET, "/api/v1/platforms/{id}/similar", Target::Platform(state), Body::None, if public { EVERYONE } else { HIDDEN })
                .check(similar_platforms_are_public),
        ]);
    }
    for state in NEED_STATES {
        let public = need_is_public(state);
        let item = "/api/v1/needs/{id}";
        t.extend([
            row(M::GET, item, Target::Need(state), Body::None, if public { EVERYONE } else { HIDDEN }).check(requester_shown_to_privileged),
            row(M::PUT, item, Target::Need(state), Body::AsRead, if public { OWNER_WRITES } else { HIDDEN_WRITES })
                .check(need_kept_its_state),
            row(M::PATCH, item, Target::Need(state), Body::Patch, if public { OWNER_WRITES } else { HIDDEN_WRITES })
                .check(need_kept_its_state),
            row(M::DELETE, item, Target::FreshNeed(state), Body::None, if public { OWNER_DELETES } else { HIDDEN_DELETES }),
            row(M::GET, "/api/v1/needs/{id}/matches", Target::Need(state), Body::None, if public { EVERYONE } else { HIDDEN })
                .query("include_excluded=true&limit=100")
                .check(platform_matches_are_public),
        ]);
    }
    for route in ["/api/v1/platforms/{id}", "/api/v1/needs/{id}"] {
        t.extend([
            row(M::GET, route, Target::Missing, Body::None, MISSING),
            row(M::PUT, route, Target::Missing, Body::AsRead, MISSING_WRITES),
            row(M::PATCH, route, Target::Missing, Body::Patch, MISSING_WRITES),
            row(M::DELETE, route, Target::Missing, Body::None, MISSING_WRITES),
        ]);
    }
    for route in ["/api/v1/platforms/{id}/matches", "/api/v1/needs/{id}/matches", "/api/v1/platforms/{id}/similar"] {
        t.push(row(M::GET, route, Target::Missing, Body::None, MISSING));
    }
    // Introductions: `Owner` is the platform's owner, a party to every introduction here.
    // Strangers get 404 (they may not learn one exists); admins read but never answer.
    use omics_domain::Side;
    const PARTY_READS: [u16; 5] = [401, 404, 404, 200, 200];
    const PARTY_ANSWERS: [u16; 5] = [401, 404, 404, 200, 403];
    let intro = "/api/v1/introductions/{id}";
    t.extend([
        row(M::POST, "/api/v1/introductions", Target::None, Body::Proposal, [401, 403, 403, 201, 403]),
        row(M::GET, "/api/v1/introductions", Target::None, Body::None, SIGNED_IN).check(inbox_is_the_callers),
        row(M::GET, intro, Target::Introduction, Body::None, PARTY_READS).check(requester_hidden_until_accepted),
        row(M::POST, "/api/v1/introductions/{id}/accept", Target::FreshIntroduction(Side::Requester), Body::None, PARTY_ANSWERS)
            .check(requester_hidden_until_accepted),
        row(M::POST, "/api/v1/introductions/{id}/decline", Target::FreshIntroduction(Side::Requester), Body::None, PARTY_ANSWERS),
        row(M::POST, "/api/v1/introductions/{id}/withdraw", Target::FreshIntroduction(Side::Platform), Body::None, PARTY_ANSWERS),
        row(M::POST, "/api/v1/introductions/{id}/messages", Target::Introduction, Body::Message, [401, 404, 404, 201, 403]),
        row(M::GET, intro, Target::Missing, Body::None, MISSING_WRITES),
        // Webhooks are their owner's (`Owner`: the platform's owner) and the admins'.
        row(M::POST, "/api/v1/webhooks", Target::None, Body::Webhook, [401, 201, 201, 201, 201]),
        row(M::GET, "/api/v1/webhooks", Target::None, Body::None, SIGNED_IN),
        row(M::GET, "/api/v1/webhooks/{id}/deliveries", Target::Webhook, Body::None, PARTY_READS),
        row(M::DELETE, "/api/v1/webhooks/{id}", Target::FreshWebhook, Body::None, [401, 404, 404, 204, 204]),
        row(M::GET, "/api/v1/webhooks/{id}/deliveries", Target::Missing, Body::None, MISSING_WRITES),
        row(M::DELETE, "/api/v1/webhooks/{id}", Target::Missing, Body::None, MISSING_WRITES),
        // Saved searches are their owner's (`Owner`: the platform's owner) and the admins';
        // a need's matches are followed by its owner (and admins) only.
        row(M::POST, "/api/v1/saved-searches", Target::None, Body::SavedSearch, [401, 201, 201, 201, 201]),
        row(M::POST, "/api/v1/saved-searches", Target::None, Body::NeedSavedSearch, [401, 422, 422, 422, 201]),
        row(M::GET, "/api/v1/saved-searches", Target::None, Body::None, SIGNED_IN),
        row(M::GET, "/api/v1/saved-searches/{id}", Target::SavedSearch, Body::None, PARTY_READS),
        row(M::GET, "/api/v1/saved-searches/{id}/hits", Target::SavedSearch, Body::None, PARTY_READS),
        row(M::DELETE, "/api/v1/saved-searches/{id}", Target::FreshSavedSearch, Body::None, [401, 404, 404, 204, 204]),
        row(M::GET, "/api/v1/saved-searches/{id}", Target::Missing, Body::None, MISSING_WRITES),
        row(M::GET, "/api/v1/saved-searches/{id}/hits", Target::Missing, Body::None, MISSING_WRITES),
        row(M::DELETE, "/api/v1/saved-searches/{id}", Target::Missing, Body::None, MISSING_WRITES),
        // Everyone signed in has a feed of their own.
        row(M::GET, "/api/v1/notifications", Target::None, Body::None, SIGNED_IN),
        row(M::POST, "/api/v1/notifications/read", Target::None, Body::ReadAll, SIGNED_IN),
        row(M::GET, "/api/v1/notifications/settings", Target::None, Body::None, SIGNED_IN),
        row(M::PUT, "/api/v1/notifications/settings", Target::None, Body::Digest, SIGNED_IN),
        // The need's owner (or an admin) marks the match.
        row(M::POST, "/api/v1/needs/{id}/matched", Target::FreshMatchableNeed, Body::Matched, [401, 403, 403, 200, 200]),
        row(M::POST, "/api/v1/needs/{id}/matched", Target::Missing, Body::Matched, MISSING_WRITES),
    ]);
    for action in ["accept", "decline", "withdraw", "messages"] {
        let route = match action {
            "accept" => "/api/v1/introductions/{id}/accept",
            "decline" => "/api/v1/introductions/{id}/decline",
            "withdraw" => "/api/v1/introductions/{id}/withdraw",
            _ => "/api/v1/introductions/{id}/messages",
        };
        t.push(row(M::POST, route, Target::Missing, Body::Message, MISSING_WRITES));
    }
    t
}

struct Account {
    id: String,
    email: String,
    password: String,
    token: String,
}

struct World {
    app: TestApp,
    /// Redirects are part of the answer (`/docs` → `/docs/`).
    client: reqwest::Client,
    researcher: Account,
    manager: Account,
    platform_owner: Account,
    need_owner: Account,
    admin: Account,
    spare: Account,
    /// Fixtures by state, owned by `platform_owner` and `need_owner`.
    platforms: Vec<(&'static str, String)>,
    needs: Vec<(&'static str, String)>,
    /// The shared introduction (see [`Target::Introduction`]).
    introduction: String,
    /// The accepted introduction of the last [`Target::FreshMatchableNeed`].
    matchable: String,
    /// The shared webhook (see [`Target::Webhook`]).
    webhook: String,
    /// The shared saved search (see [`Target::SavedSearch`]).
    saved_search: String,
    serial: u32,
}

const PASSWORD: &str = "a long enough password";

impl World {
    async fn new(app: TestApp) -> World {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let mut w = World {
            client,
            researcher: account(&app, "researcher@example.org", "researcher").await,
            manager: account(&app, "manager@example.org", "platform_manager").await,
            platform_owner: account(&app, "platform-owner@example.org", "platform_manager").await,
            need_owner: account(&app, "need-owner@example.org", "researcher").await,
            spare: account(&app, "spare@example.org", "researcher").await,
            admin: {
                let token = app.admin().await;
                let (_, me) = app.get("/api/v1/auth/me", Some(&token)).await;
                Account {
                    id: me["id"].as_str().unwrap().into(),
                    email: "admin@example.org".into(),
                    password: "an admin password".into(),
                    token,
                }
            },
            app,
            platforms: Vec::new(),
            needs: Vec::new(),
            introduction: String::new(),
            matchable: String::new(),
            webhook: String::new(),
            saved_search: String::new(),
            serial: 0,
        };
        for state in PLATFORM_STATES {
            let id = w.new_platform(state).await;
            w.platforms.push((state, id));
        }
        for state in NEED_STATES {
            let id = w.new_need(state).await;
            w.needs.push((state, id));
        }
        // One open need alone in its country and family: a small cell in the coverage matrix
        // whatever the rows before the analytics rows create (they post needs in LT).
        let (s, v) = w.send(Method::POST, "/api/v1/needs", Some(&w.need_owner.token), Some(need("Small-cell need", "EE", "WGS"))).await;
        assert_eq!(s, 201, "{v}");
        w.introduction = w.new_introduction(omics_domain::Side::Requester).await;
        w.webhook = w.new_webhook().await;
        w.saved_search = w.new_saved_search().await;
        w
    }

    /// A webhook of `platform_owner` to a public address.
    async fn new_webhook(&mut self) -> String {
        let body = json!({"url": "https://203.0.113.9/hook", "events": ["message.received"]});
        let (s, v) = self.send(Method::POST, "/api/v1/webhooks", Some(&self.platform_owner.token), Some(body)).await;
        assert_eq!(s, 201, "{v}");
        v["id"].as_str().unwrap().to_owned()
    }

    /// A saved search of `platform_owner`.
    async fn new_saved_search(&mut self) -> String {
        let body = json!({"name": "Exome labs", "kind": "platform", "query": {"technology": "WES"}});
        let (s, v) = self.send(Method::POST, "/api/v1/saved-searches", Some(&self.platform_owner.token), Some(body)).await;
        assert_eq!(s, 201, "{v}");
        v["id"].as_str().unwrap().to_owned()
    }

    /// A proposed introduction between a fresh anonymous open need of `need_owner` and the
    /// published platform of `platform_owner`, proposed by `side`.
    async fn new_introduction(&mut self, side: omics_domain::Side) -> String {
        let need = self.new_need("anonymous").await;
        let platform = Self::fixture(&self.platforms, "published");
        let proposer = match side {
            omics_domain::Side::Requester => &self.need_owner,
            omics_domain::Side::Platform => &self.platform_owner,
        };
        let body = json!({"need_id": need, "platform_id": platform, "message": "Shall we talk?"});
        let (s, v) = self.send(Method::POST, "/api/v1/introductions", Some(&proposer.token), Some(body)).await;
        assert_eq!(s, 201, "{v}");
        v["id"].as_str().unwrap().to_owned()
    }

    fn next(&mut self) -> u32 {
        self.serial += 1;
        self.serial
    }

    async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        let mut r = self.client.request(method, format!("{}{path}", self.app.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// As the admin, who may do anything to a fixture.
    async fn admin_patch(&self, kind: &str, id: &str, patch: Value) {
        let (s, v) = self.send(Method::PATCH, &format!("/api/v1/{kind}/{id}"), Some(&self.admin.token), Some(patch)).await;
        assert_eq!(s, 200, "{v}");
    }

    /// A platform of `platform_owner` in `state`, made the way users make one: under
    /// moderation the owner's `published` waits in `pending_review` for the admin.
    async fn new_platform(&mut self, state: &'static str) -> String {
        let n = self.next();
        let mut body = platform(&format!("{state} lab {n}"), "BE", "WES");
        body["status"] = json!(if matches!(state, "draft" | "archived") { state } else { "published" });
        let (s, v) = self.send(Method::POST, "/api/v1/platforms", Some(&self.platform_owner.token), Some(body)).await;
        assert_eq!(s, 201, "{v}");
        assert_eq!(v["status"], if matches!(state, "draft" | "archived") { state } else { "pending_review" });
        let id = v["id"].as_str().unwrap().to_owned();
        if matches!(state, "published" | "suspended") {
            self.admin_patch("platforms", &id, json!({"status": "published"})).await;
        }
        if state == "suspended" {
            self.admin_patch("platforms", &id, json!({"status": "suspended"})).await;
        }
        id
    }

    /// A need of `need_owner` in `state` (`anonymous`: open, requester hidden). A new need
    /// is open; the admin moves it to any other state.
    async fn new_need(&mut self, state: &'static str) -> String {
        let n = self.next();
        let mut body = need(&format!("{state} need {n}"), "LT", "WES");
        if state == "anonymous" {
            body["visibility"] = json!("anonymous");
        }
        let (s, v) = self.send(Method::POST, "/api/v1/needs", Some(&self.need_owner.token), Some(body)).await;
        assert_eq!(s, 201, "{v}");
        let id = v["id"].as_str().unwrap().to_owned();
        if !matches!(state, "open" | "anonymous") {
            self.admin_patch("needs", &id, json!({"status": state})).await;
        }
        id
    }

    /// A need of `need_owner` in discussion, through an introduction the platform's owner
    /// accepted; the introduction is kept as `matchable`.
    async fn new_matchable_need(&mut self) -> String {
        let intro = self.new_introduction(omics_domain::Side::Requester).await;
        let (s, v) =
            self.send(Method::POST, &format!("/api/v1/introductions/{intro}/accept"), Some(&self.platform_owner.token), None).await;
        assert_eq!(s, 200, "{v}");
        self.matchable = intro;
        v["need_id"].as_str().unwrap().to_owned()
    }

    fn account(&self, who: Who, route: &str) -> Option<&Account> {
        Some(match who {
            Who::Anonymous => return None,
            Who::Researcher => &self.researcher,
            Who::Manager => &self.manager,
            Who::Owner if route.starts_with("/api/v1/needs") => &self.need_owner,
            Who::Owner => &self.platform_owner,
            Who::Admin => &self.admin,
        })
    }

    fn account_mut(&mut self, who: Who, route: &str) -> Option<&mut Account> {
        Some(match who {
            Who::Anonymous => return None,
            Who::Researcher => &mut self.researcher,
            Who::Manager => &mut self.manager,
            Who::Owner if route.starts_with("/api/v1/needs") => &mut self.need_owner,
            Who::Owner => &mut self.platform_owner,
            Who::Admin => &mut self.admin,
        })
    }

    fn fixture(list: &[(&'static str, String)], state: &str) -> String {
        list.iter().find(|(s, _)| *s == state).map(|(_, id)| id.clone()).unwrap()
    }

    async fn target_id(&mut self, target: Target) -> Option<String> {
        Some(match target {
            Target::None => return None,
            Target::Platform(s) => Self::fixture(&self.platforms, s),
            Target::Need(s) => Self::fixture(&self.needs, s),
            Target::FreshPlatform(s) => self.new_platform(s).await,
            Target::FreshNeed(s) => self.new_need(s).await,
            Target::Missing => uuid::Uuid::now_v7().to_string(),
            Target::Introduction => self.introduction.clone(),
            Target::FreshIntroduction(side) => self.new_introduction(side).await,
            Target::FreshMatchableNeed => self.new_matchable_need().await,
            Target::Webhook => self.webhook.clone(),
            Target::FreshWebhook => self.new_webhook().await,
            Target::SavedSearch => self.saved_search.clone(),
            Target::FreshSavedSearch => self.new_saved_search().await,
        })
    }

    async fn body(&mut self, body: Body, route: &str, id: Option<&str>, who: Who) -> Option<Value> {
        let n = self.next();
        Some(match body {
            Body::None => return None,
            Body::NewPlatform => platform(&format!("New lab {n}"), "NL", "WGS"),
            Body::NewNeed => need(&format!("New need {n}"), "NL", "WGS"),
            Body::AsRead => {
                let id = id.unwrap();
                let (s, v) = self.send(Method::GET, &route.replace("{id}", id), Some(&self.admin.token), None).await;
                match s {
                    200 => v,
                    // A missing record: what it would have been.
                    _ if route.contains("platforms") => platform("Ghost lab", "BE", "WES"),
                    _ => need("Ghost need", "LT", "WES"),
                }
            }
            Body::Patch => json!({"description": format!("Changed by the authorization matrix ({n}).")}),
            Body::Register => {
                json!({"email": format!("new{n}@example.org"), "password": PASSWORD, "display_name": "New", "role": "researcher"})
            }
            Body::Token => json!({"email": self.spare.email, "password": self.spare.password}),
            Body::Password => {
                let a = self.account(who, route).unwrap_or(&self.spare);
                json!({"current_password": a.password, "new_password": a.password})
            }
            Body::Described => need("Described need", "LT", "WES"),
            Body::Proposal => {
                let need = self.new_need("open").await;
                json!({"need_id": need, "platform_id": Self::fixture(&self.platforms, "published"), "message": format!("Proposal {n}")})
            }
            Body::Message => json!({"message": format!("Message {n} of the authorization matrix")}),
            Body::Matched => json!({"introduction_id": self.matchable}),
            Body::ReadAll => json!({"all": true}),
            Body::Webhook => json!({"url": "https://203.0.113.9/hook", "events": ["message.received"]}),
            Body::Digest => json!({"email_digest": "daily"}),
            Body::SavedSearch => json!({"name": format!("Search {n}"), "kind": "platform", "query": {"q": "exome", "country": "BE"}}),
            Body::NeedSavedSearch => {
                json!({"name": format!("Matches {n}"), "need_id": Self::fixture(&self.needs, "open"), "min_score": 0.3})
            }
        })
    }

    /// Run one cell; the status and, on success, the row's check.
    async fn cell(&mut self, r: &Row, who: Who) -> Result<(), String> {
        let expected = r.expect[WHO.iter().position(|w| *w == who).unwrap()];
        // A delete that must be refused aims at the shared fixture (were it deleted, this
        // cell fails and so do the ones after it); one that must succeed gets a record of its own.
        let target = match r.target {
            Target::FreshPlatform(s) if !(200..300).contains(&expected) => Target::Platform(s),
            Target::FreshNeed(s) if !(200..300).contains(&expected) => Target::Need(s),
            Target::FreshIntroduction(_) if !(200..300).contains(&expected) => Target::Introduction,
            Target::FreshWebhook if !(200..300).contains(&expected) => Target::Webhook,
            Target::FreshSavedSearch if !(200..300).contains(&expected) => Target::SavedSearch,
            t => t,
        };
        let id = self.target_id(target).await;
        let mut path = r.route.replace("{name}", "technologies");
        if let Some(id) = &id {
            path = path.replace("{id}", id);
        }
        if !r.query.is_empty() {
            path = format!("{path}?{}", r.query);
        }
        let body = self.body(r.body, r.route, id.as_deref(), who).await;
        let token = self.account(who, r.route).map(|a| a.token.clone());
        let (status, v) = self.send(r.method.clone(), &path, token.as_deref(), body).await;
        if status != expected {
            return Err(format!("status {status}, expected {expected}: {}", short(&v)));
        }
        if status == 204 && matches!(r.body, Body::Password) {
            // Every older token of the caller stopped working: sign in again.
            let a = self.account(who, r.route).unwrap();
            let (s, v) = self.send(Method::GET, "/api/v1/auth/me", Some(&a.token), None).await;
            if s != 401 {
                return Err(format!("the token from before the password change still works: {s} {}", short(&v)));
            }
            let token = self.app.token(&a.email, &a.password).await;
            self.account_mut(who, r.route).unwrap().token = token;
        }
        match r.check {
            Some(check) if (200..300).contains(&status) => check(self, who, &v),
            _ => Ok(()),
        }
    }
}

async fn account(app: &TestApp, email: &str, role: &str) -> Account {
    let token = app.user(email, role).await;
    let (_, me) = app.get("/api/v1/auth/me", Some(&token)).await;
    Account { id: me["id"].as_str().unwrap().into(), email: email.into(), password: PASSWORD.into(), token }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    s.chars().take(300).collect()
}

/// Ids of the items of a page.
fn ids(items: &Value) -> BTreeSet<String> {
    items.as_array().into_iter().flatten().filter_map(|i| i["id"].as_str().map(str::to_owned)).collect()
}

/// Only introductions the caller is a party to (strangers have none here), every one to admins.
fn inbox_is_the_callers(_: &World, who: Who, v: &Value) -> Result<(), String> {
    let total = v["total"].as_u64().unwrap_or(0);
    let ok = match who {
        Who::Researcher | Who::Manager => total == 0,
        _ => total >= 1,
    };
    if ok { Ok(()) } else { Err(format!("{who:?} sees {total} introductions: {}", short(v))) }
}

/// The requester of the (anonymous) need is named only once the introduction is accepted, and
/// then only to its parties and admins.
fn requester_hidden_until_accepted(w: &World, _: Who, v: &Value) -> Result<(), String> {
    let text = v.to_string();
    let named = text.contains(&w.need_owner.email) || text.contains(&w.need_owner.id);
    let accepted = v["state"] == "accepted";
    if accepted != named {
        return Err(format!("the requester is {}named in a {} introduction: {}", if named { "" } else { "not " }, v["state"], short(v)));
    }
    if accepted && v["contact"]["requester"]["email"] != w.need_owner.email.as_str() {
        return Err(format!("no requester contact in an accepted introduction: {}", short(v)));
    }
    Ok(())
}

fn me_is_the_caller(w: &World, who: Who, v: &Value) -> Result<(), String> {
    let a = w.account(who, "/api/v1/auth/me").unwrap();
    let role = match who {
        Who::Researcher => "researcher",
        Who::Admin => "admin",
        _ => "platform_manager",
    };
    if v["id"] != a.id.as_str() || v["role"] != role {
        return Err(format!("me is {v}, expected {} as {role}", a.email));
    }
    Ok(())
}

/// Every item is public, the caller's own, or shown to an admin.
fn items_visible(w: &World, who: Who, route: &str, items: &Value, public: fn(&str) -> bool) -> Result<(), String> {
    let me = w.account(who, route).map(|a| a.id.as_str());
    for item in items.as_array().into_iter().flatten() {
        let status = item["status"].as_str().unwrap_or_default();
        let own = me.is_some() && item["owner_id"].as_str() == me;
        if !(public(status) || own || who == Who::Admin) {
            return Err(format!("{who:?} sees {} in status {status}", item["id"]));
        }
    }
    Ok(())
}

/// A page shows exactly the fixtures `who` may see (the owner column owns them all); with
/// `hidden_only` the page was filtered to the states that are not public.
fn page_shows(
    w: &World,
    who: Who,
    v: &Value,
    route: &str,
    fixtures: &[(&'static str, String)],
    public: fn(&str) -> bool,
    hidden_only: bool,
) -> Result<(), String> {
    items_visible(w, who, route, &v["items"], public)?;
    let privileged = matches!(who, Who::Owner | Who::Admin);
    let expected: BTreeSet<String> =
        fixtures.iter().filter(|(s, _)| (privileged || public(s)) && !(hidden_only && public(s))).map(|(_, id)| id.clone()).collect();
    let all: BTreeSet<String> = fixtures.iter().map(|(_, id)| id.clone()).collect();
    let seen: BTreeSet<String> = ids(&v["items"]).intersection(&all).cloned().collect();
    if seen != expected {
        return Err(format!("{who:?} sees fixtures {seen:?}, expected {expected:?}"));
    }
    Ok(())
}

fn platform_page(w: &World, who: Who, v: &Value) -> Result<(), String> {
    page_shows(w, who, v, "/api/v1/platforms", &w.platforms, platform_is_public, false)
}

fn hidden_platform_page(w: &World, who: Who, v: &Value) -> Result<(), String> {
    page_shows(w, who, v, "/api/v1/platforms", &w.platforms, platform_is_public, true)
}

fn need_page(w: &World, who: Who, v: &Value) -> Result<(), String> {
    page_shows(w, who, v, "/api/v1/needs", &w.needs, need_is_public, false)?;
    requester_hidden(w, who, matches!(who, Who::Owner | Who::Admin), &v["items"])
}

fn hidden_need_page(w: &World, who: Who, v: &Value) -> Result<(), String> {
    page_shows(w, who, v, "/api/v1/needs", &w.needs, need_is_public, true)
}

/// The requester of the anonymous need (among `needs`) is shown only when `privileged`.
fn requester_hidden(w: &World, who: Who, privileged: bool, needs: &Value) -> Result<(), String> {
    let anon = World::fixture(&w.needs, "anonymous");
    for n in needs.as_array().into_iter().flatten().filter(|n| n["id"] == anon.as_str()) {
        let expected = if privileged { json!(w.need_owner.id) } else { Value::Null };
        if n["owner_id"] != expected {
            return Err(format!("{who:?} reads owner_id {} on the anonymous need, expected {expected}", n["owner_id"]));
        }
    }
    Ok(())
}

/// `mine=true` lists the caller's records only, and the owner's are there.
fn all_mine(w: &World, who: Who, v: &Value, route: &str) -> Result<(), String> {
    let me = w.account(who, route).unwrap();
    for item in v["items"].as_array().into_iter().flatten() {
        if item["owner_id"] != me.id.as_str() {
            return Err(format!("mine=true for {who:?} lists {} owned by {}", item["id"], item["owner_id"]));
        }
    }
    if who == Who::Owner && v["items"].as_array().is_none_or(|a| a.is_empty()) {
        return Err("the owner's own records are missing from mine=true".into());
    }
    Ok(())
}

fn platforms_mine(w: &World, who: Who, v: &Value) -> Result<(), String> {
    all_mine(w, who, v, "/api/v1/platforms")
}

fn needs_mine(w: &World, who: Who, v: &Value) -> Result<(), String> {
    all_mine(w, who, v, "/api/v1/needs")
}

fn requester_shown_to_privileged(w: &World, who: Who, v: &Value) -> Result<(), String> {
    requester_hidden(w, who, matches!(who, Who::Owner | Who::Admin), &json!([v]))
}

/// A change by the owner or an admin keeps the record's state and owner.
fn kept_state(v: &Value, fixtures: &[(&'static str, String)], owner: &Account) -> Result<(), String> {
    let (state, _) = fixtures.iter().find(|(_, id)| v["id"] == id.as_str()).ok_or("not a fixture")?;
    let status = if *state == "anonymous" { "open" } else { state };
    if v["status"] != status || v["owner_id"] != owner.id.as_str() {
        return Err(format!("after the change the record is {} owned by {}, expected {status} by its owner", v["status"], v["owner_id"]));
    }
    Ok(())
}

fn platform_kept_its_state(w: &World, _: Who, v: &Value) -> Result<(), String> {
    kept_state(v, &w.platforms, &w.platform_owner)
}

fn need_kept_its_state(w: &World, _: Who, v: &Value) -> Result<(), String> {
    kept_state(v, &w.needs, &w.need_owner)
}

/// Matches for a need (stored or described) list published platforms only, and find the
/// published fixture.
fn platform_matches_are_public(w: &World, _: Who, v: &Value) -> Result<(), String> {
    let mut found = BTreeSet::new();
    for key in ["matches", "excluded"] {
        for m in v[key].as_array().into_iter().flatten() {
            let p = &m["platform"];
            if p["status"] != "published" {
                return Err(format!("{key} lists platform {} in status {}", p["id"], p["status"]));
            }
            found.extend(p["id"].as_str().map(str::to_owned));
        }
    }
    let published = World::fixture(&w.platforms, "published");
    if !found.contains(&published) {
        return Err(format!("the published fixture {published} is not among the matches: {}", short(v)));
    }
    Ok(())
}

/// Needs for a platform: public needs only, the anonymous one without its requester.
fn need_matches_are_public(w: &World, who: Who, v: &Value) -> Result<(), String> {
    let mut needs = Vec::new();
    for key in ["matches", "excluded"] {
        needs.extend(v[key].as_array().into_iter().flatten().map(|m| m["need"].clone()));
    }
    for n in &needs {
        let status = n["status"].as_str().unwrap_or_default();
        if !need_is_public(status) {
            return Err(format!("{who:?} is shown need {} in status {status}", n["id"]));
        }
    }
    let anon = World::fixture(&w.needs, "anonymous");
    if !needs.iter().any(|n| n["id"] == anon.as_str()) {
        return Err(format!("the anonymous need is not among the matches: {}", short(v)));
    }
    // The owner column here is the platform's owner, a stranger to the need.
    requester_hidden(w, who, who == Who::Admin, &Value::Array(needs))
}

fn similar_platforms_are_public(_: &World, who: Who, v: &Value) -> Result<(), String> {
    let items = v["items"].as_array().ok_or_else(|| format!("no items: {}", short(v)))?;
    if items.is_empty() {
        return Err(format!("{who:?} is shown no similar platform (the published fixtures all offer sequencing)"));
    }
    for p in items.iter().map(|i| &i["platform"]) {
        if p["status"] != "published" {
            return Err(format!("{who:?} is shown platform {} in status {} as similar", p["id"], p["status"]));
        }
        if p["id"] == v["platform_id"] {
            return Err(format!("the platform is shown as similar to itself: {}", short(v)));
        }
    }
    Ok(())
}

/// The values of the fields of `v` (at any depth) that count needs.
fn need_counts<'v>(v: &'v Value, out: &mut Vec<&'v Value>) {
    const COUNTS: [&str; 8] = [
        "open_needs",
        "unserved_needs",
        "needs",
        "count",
        "needs_posted",
        "needs_matched",
        "introductions_proposed",
        "introductions_accepted",
    ];
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if COUNTS.contains(&k.as_str()) && m.get("kind") != Some(&json!("no_platform_in_country")) {
                    out.push(x);
                }
                need_counts(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| need_counts(x, out)),
        _ => {}
    }
}

fn small_counts_hidden(w: &World, who: Who, v: &Value) -> Result<(), String> {
    let mut counts = Vec::new();
    need_counts(v, &mut counts);
    let small = counts.iter().filter(|c| matches!(c.as_u64(), Some(1 | 2))).count();
    let hidden = counts.iter().filter(|c| **c == "<3").count();
    // The fixtures' open needs make small cells in the coverage matrix.
    if v.get("cells").is_some() && (if who == Who::Admin { small } else { hidden }) == 0 {
        return Err(format!("{who:?} sees no small cell in the coverage: {}", short(v)));
    }
    match who {
        Who::Admin if hidden > 0 => Err(format!("an admin is shown {hidden} counts as \"<3\": {}", short(v))),
        Who::Admin => Ok(()),
        _ if small > 0 => Err(format!("{who:?} is shown {small} counts of 1 or 2 needs: {}", short(v))),
        _ if v.to_string().contains(&w.need_owner.email) => Err(format!("{who:?} is shown a requester: {}", short(v))),
        _ => Ok(()),
    }
}

async fn authorization_matrix(app: TestApp) {
    let started = std::time::Instant::now();
    let mut w = World::new(app).await;
    let table = table();
    let mut failures = Vec::new();
    let mut cells = 0;
    for r in &table {
        for who in WHO {
            cells += 1;
            if let Err(e) = w.cell(r, who).await {
                let q = if r.query.is_empty() { String::new() } else { format!("?{}", r.query) };
                failures.push(format!("{} {}{q} [{:?}] as {who:?}: {e}", r.method, r.route, r.target));
            }
        }
    }
    let routes: BTreeSet<(String, &str)> = table.iter().map(|r| (r.method.to_string(), r.route)).collect();
    eprintln!(
        "authorization matrix: {} routes, {} rows × {} principals = {cells} cells checked in {:.1} s",
        routes.len(),
        table.len(),
        WHO.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(failures.is_empty(), "{} of {cells} cells failed:\n{}", failures.len(), failures.join("\n"));
    assert!(cells >= 400, "only {cells} cells");
}

// ---------------------------------------------------------------------------------------------
// Every route has a row
// ---------------------------------------------------------------------------------------------

/// (method, path) of every operation in the OpenAPI document.
fn openapi_operations() -> BTreeSet<(String, String)> {
    let doc: Value = serde_json::from_str(&omics_api::openapi::json()).unwrap();
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "put", "post", "delete", "patch", "head", "options", "trace"].contains(&method.as_str()) {
                ops.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    ops
}

/// (method, path) of every route the router serves, as the route table reports it: the API's
/// routes come from the same handler declarations the router registers, the pages beside it
/// from `routes::SITE`, which registers them.
fn registered_routes() -> BTreeSet<(String, String)> {
    omics_api::routes::registered().into_iter().map(|(m, p)| (m.to_string(), p)).collect()
}

#[test]
fn the_matrix_has_a_row_for_every_route() {
    let documented = openapi_operations();
    let registered = registered_routes();
    assert!(documented.len() >= 26 && registered.len() >= documented.len() + 4, "{documented:?}\n{registered:?}");
    let rows: BTreeSet<(String, String)> = table().iter().map(|r| (r.method.to_string(), r.route.to_owned())).collect();
    let missing: Vec<_> = documented.union(&registered).filter(|op| !rows.contains(*op)).collect();
    assert!(missing.is_empty(), "routes without a row in the authorization matrix: {missing:?}");
    let unknown: Vec<_> = rows.iter().filter(|op| !documented.contains(*op) && !registered.contains(*op)).collect();
    assert!(unknown.is_empty(), "rows for routes that do not exist: {unknown:?}");
}

// ---------------------------------------------------------------------------------------------
// Mass assignment
// ---------------------------------------------------------------------------------------------

const LONG_AGO: &str = "2000-01-01T00:00:00Z";

/// Read-only fields a client might try to set.
fn forged(v: &mut Value, id: &str, owner: &str) {
    v["id"] = json!(id);
    v["owner_id"] = json!(owner);
    v["created_at"] = json!(LONG_AGO);
    v["updated_at"] = json!(LONG_AGO);
    v["version"] = json!(42);
}

async fn mass_assignment_is_ignored_or_refused(app: TestApp) {
    let owner = app.user("owner@example.org", "platform_manager").await;
    let other = app.user("other@example.org", "researcher").await;
    let admin = app.admin().await;
    let (_, me) = app.get("/api/v1/auth/me", Some(&owner)).await;
    let owner_id = me["id"].as_str().unwrap().to_owned();
    let (_, me) = app.get("/api/v1/auth/me", Some(&other)).await;
    let other_id = me["id"].as_str().unwrap().to_owned();

    // A record of someone else, whose id a forged body will name.
    let (_, created) = app.post("/api/v1/platforms", Some(&admin), platform("Victim Lab", "NL", "WGS")).await;
    let victim_id = created["id"].as_str().unwrap().to_owned();
    let victim_path = format!("/api/v1/platforms/{victim_id}");
    let (_, victim) = app.get(&victim_path, Some(&admin)).await;

    // Create: read-only fields ignored; the status is moderation's to decide.
    let chosen_id = uuid::Uuid::now_v7().to_string();
    let mut body = platform("Forged Lab", "BE", "WES");
    forged(&mut body, &chosen_id, &other_id);
    body["status"] = json!("published");
    let (s, p) = app.post("/api/v1/platforms", Some(&owner), body).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let id = p["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/platforms/{id}");
    assert_ne!(id, chosen_id, "the client chose the id");
    assert_eq!(p["owner_id"], owner_id.as_str(), "the client chose the owner");
    assert_eq!(p["version"], 1);
    assert_ne!(p["created_at"], LONG_AGO);
    assert_ne!(p["updated_at"], LONG_AGO);
    assert_eq!(p["status"], "pending_review", "moderation decides when a platform goes public");
    let (_, stored) = app.get(&path, Some(&admin)).await;
    let mut answered = p.clone();
    let report = answered.as_object_mut().unwrap();
    report.remove("readings");
    report.remove("warnings");
    assert_eq!(stored, answered, "what was answered is what was stored");
    let (s, _) = app.get(&format!("/api/v1/platforms/{chosen_id}"), Some(&admin)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    for status in ["suspended", "pending_review"] {
        let mut body = platform("Self-moderated Lab", "BE", "WES");
        body["status"] = json!(status);
        let (s, v) = app.post("/api/v1/platforms", Some(&owner), body).await;
        assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(v["errors"][0]["field"], "status", "{v}");
    }
    let (s, v, _) = app.req(Method::PATCH, &path, Some(&admin), Some(json!({"status": "published"}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let created_at = v["created_at"].clone();

    // Replace: the id, owner, version and timestamps of the body are ignored, and the record
    // the body's id names is untouched.
    let mut body = v.clone();
    forged(&mut body, &victim_id, &other_id);
    body["name"] = json!("Forged Lab (renamed)");
    let (s, v, h) = app.req(Method::PUT, &path, Some(&owner), Some(body)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["id"].as_str(), v["owner_id"].as_str()), (Some(id.as_str()), Some(owner_id.as_str())), "{v}");
    assert_eq!(v["version"], 3);
    assert_eq!(h["etag"], "\"3\"");
    assert_eq!(v["created_at"], created_at);
    assert_ne!(v["updated_at"], LONG_AGO);
    assert_eq!(v["status"], "published");
    let (_, still) = app.get(&victim_path, Some(&admin)).await;
    assert_eq!(still, victim, "PUT with another record's id changed that record");

    // Merge patch: the same fields ignored; the owner is still the owner.
    let mut patch = json!({"city": "Gent"});
    forged(&mut patch, &victim_id, &other_id);
    let (s, v, _) = app.req(Method::PATCH, &path, Some(&owner), Some(patch)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["id"].as_str(), v["owner_id"].as_str(), v["version"].as_i64()), (Some(id.as_str()), Some(owner_id.as_str()), Some(4)));
    assert_eq!(v["created_at"], created_at);
    let (s, v, _) = app.req(Method::PATCH, &path, Some(&owner), Some(json!({"owner_id": null}))).await;
    assert_eq!((s, v["owner_id"].as_str()), (StatusCode::OK, Some(owner_id.as_str())), "{v}");
    let (s, v, _) = app.req(Method::PATCH, &path, Some(&other), Some(json!({"city": "Hijacked"}))).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "forbidden");
    let (_, still) = app.get(&victim_path, Some(&admin)).await;
    assert_eq!(still, victim, "PATCH with another record's id changed that record");

    // Status: only admins suspend or lift; moderation decides publication.
    let (s, v, _) = app.req(Method::PATCH, &path, Some(&owner), Some(json!({"status": "suspended"}))).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let (_, v, _) = app.req(Method::PATCH, &path, Some(&owner), Some(json!({"status": "draft"}))).await;
    assert_eq!(v["status"], "draft");
    let (_, v, _) = app.req(Method::PATCH, &path, Some(&owner), Some(json!({"status": "published"}))).await;
    assert_eq!(v["status"], "pending_review", "republishing goes through moderation again");

    // Fields that are not fields (privileges, owners under other names) are refused by name,
    // at the top and nested, and nothing is stored.
    let (_, before) = app.get(&path, Some(&admin)).await;
    for (patch, field) in [
        (json!({"role": "admin"}), "role"),
        (json!({"owner": other_id}), "owner"),
        (json!({"is_admin": true}), "is_admin"),
        (json!({"meta": {"owner_id": other_id}}), "meta"),
        (json!({"organisation": {"name": "O", "owner_id": other_id}}), "organisation.owner_id"),
    ] {
        let (s, v, _) = app.req(Method::PATCH, &path, Some(&owner), Some(patch.clone())).await;
        assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(v["errors"][0]["field"], field, "{patch}: {v}");
        assert_eq!(v["errors"][0]["code"], "unknown_field", "{v}");
    }
    let (_, after) = app.get(&path, Some(&admin)).await;
    assert_eq!(after, before, "a refused patch changed the record");

    // Needs: the same, and a requester cannot suspend or unsuspend, nor unmask an anonymous need.
    let mut body = need("Forged need", "LT", "WES");
    forged(&mut body, &victim_id, &owner_id);
    body["visibility"] = json!("anonymous");
    let (s, n) = app.post("/api/v1/needs", Some(&other), body).await;
    assert_eq!(s, StatusCode::CREATED, "{n}");
    let nid = n["id"].as_str().unwrap().to_owned();
    let npath = format!("/api/v1/needs/{nid}");
    assert_ne!(nid, victim_id);
    assert_eq!((n["owner_id"].as_str(), n["version"].as_i64()), (Some(other_id.as_str()), Some(1)));
    assert_ne!(n["created_at"], LONG_AGO);
    let mut body = need("Suspended at birth", "LT", "WES");
    body["status"] = json!("suspended");
    let (s, v) = app.post("/api/v1/needs", Some(&other), body).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let mut patch = json!({"title": "Forged need, edited"});
    forged(&mut patch, &victim_id, &owner_id);
    let (s, v, _) = app.req(Method::PATCH, &npath, Some(&other), Some(patch)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!((v["id"].as_str(), v["owner_id"].as_str(), v["version"].as_i64()), (Some(nid.as_str()), Some(other_id.as_str()), Some(2)));
    let (_, seen) = app.get(&npath, None).await;
    assert!(seen["owner_id"].is_null(), "anonymous need unmasked: {seen}");
    let (s, v, _) = app.req(Method::PATCH, &npath, Some(&admin), Some(json!({"status": "suspended"}))).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("suspended")), "{v}");
    let (s, v, _) = app.req(Method::PATCH, &npath, Some(&other), Some(json!({"status": "open"}))).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let (_, v) = app.get(&npath, Some(&admin)).await;
    assert_eq!((v["status"].as_str(), v["owner_id"].as_str()), (Some("suspended"), Some(other_id.as_str())));
    let (s, _) = app.get(&npath, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------------------------------------
// No way to become admin
// ---------------------------------------------------------------------------------------------

async fn no_way_to_become_admin(app: TestApp) {
    let register = |email: &str, extra: Value| {
        let mut body = json!({"email": email, "password": PASSWORD, "display_name": "Eve", "role": "researcher"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    // Asking for the role, however spelt, or for privileges under another name.
    let attempts = [
        json!({"role": "admin"}),
        json!({"role": "Admin"}),
        json!({"role": "ADMIN"}),
        json!({"role": "administrator"}),
        json!({"role": ["admin"]}),
        json!({"role": 2}),
        json!({"roles": ["admin"]}),
        json!({"is_admin": true}),
        json!({"admin": true}),
        json!({"token_version": -1}),
    ];
    for (i, extra) in attempts.iter().enumerate() {
        let email = format!("eve{i}@example.org");
        let (s, v) = app.post("/api/v1/auth/register", None, register(&email, extra.clone())).await;
        assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert!(app.state.store.user_by_email(&email).unwrap().is_none(), "{extra} created an account");
    }
    // A duplicated key: whichever one wins, no admin.
    let raw =
        r#"{"email":"eve-dup@example.org","password":"a long enough password","display_name":"Eve","role":"researcher","role":"admin"}"#;
    let res = app
        .client
        .post(format!("{}/api/v1/auth/register", app.base))
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), StatusCode::CREATED);
    assert!(app.state.store.user_by_email("eve-dup@example.org").unwrap().is_none());

    // A researcher's own account cannot be changed into an admin's.
    let eve = app.user("eve@example.org", "researcher").await;
    for method in [Method::PUT, Method::PATCH, Method::POST, Method::DELETE] {
        let (s, v, _) = app.req(method.clone(), "/api/v1/auth/me", Some(&eve), Some(json!({"role": "admin"}))).await;
        assert_problem(s, &v, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    }
    let (_, me) = app.get("/api/v1/auth/me", Some(&eve)).await;
    let eve_id = me["id"].as_str().unwrap().to_owned();
    for path in ["/api/v1/users", &format!("/api/v1/users/{eve_id}"), "/api/v1/admin/users", "/api/v1/auth/role"] {
        let (s, v, _) = app.req(Method::PATCH, path, Some(&eve), Some(json!({"role": "admin"}))).await;
        assert_problem(s, &v, StatusCode::NOT_FOUND, "route_not_found");
    }
    let (s, v) = app.post("/api/v1/auth/token", None, json!({"email": "eve@example.org", "password": PASSWORD, "role": "admin"})).await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let (s, v) = app
        .post("/api/v1/auth/password", Some(&eve), json!({"current_password": PASSWORD, "new_password": PASSWORD, "role": "admin"}))
        .await;
    assert_problem(s, &v, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    // A token naming the admin role, signed with the right key, for a researcher's account:
    // the account's role in the database decides, and the token is refused.
    let sign = |role: &str| {
        let now = chrono::Utc::now().timestamp();
        let claims = json!({"sub": eve_id, "role": role, "iss": omics_api::auth::ISSUER, "aud": omics_api::auth::AUDIENCE,
            "iat": now, "nbf": now, "exp": now + 600, "tv": 0});
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some(app.settings.jwt_kid.clone());
        let secret = app.settings.jwt_secret.clone().unwrap();
        jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()).unwrap()).unwrap()
    };
    let (s, v) = app.get("/api/v1/auth/me", Some(&sign("researcher"))).await;
    assert_eq!((s, v["id"].as_str()), (StatusCode::OK, Some(eve_id.as_str())), "the forging itself works: {v}");
    let forged = sign("admin");
    let (s, v) = app.get("/api/v1/auth/me", Some(&forged)).await;
    assert_problem(s, &v, StatusCode::UNAUTHORIZED, "invalid_token");
    let (s, v) = app.get("/api/v1/audit", Some(&forged)).await;
    assert_problem(s, &v, StatusCode::UNAUTHORIZED, "invalid_token");

    // After all that, nobody is an admin.
    let (_, me) = app.get("/api/v1/auth/me", Some(&eve)).await;
    assert_eq!(me["role"], "researcher");
    let (s, v) = app.get("/api/v1/audit", Some(&eve)).await;
    assert_problem(s, &v, StatusCode::FORBIDDEN, "forbidden");
    let stored = app.state.store.user_by_email("eve@example.org").unwrap().unwrap();
    assert_eq!(stored.role, omics_domain::Role::Researcher);
}

// ---------------------------------------------------------------------------------------------
// Matches while the index lags
// ---------------------------------------------------------------------------------------------

mod lagging_index {
    fn lagging(s: &mut omics_api::Settings) {
        // The follower would pick up other instances' writes within this interval: never here.
        s.index_poll_ms = 3_600_000;
    }
    #[actix_web::test]
    async fn sqlite() {
        super::matches_recheck_what_the_index_says(super::TestApp::spawn_with(omics_store::Backend::Sqlite, lagging).await).await;
    }
    #[actix_web::test]
    async fn postgres() {
        super::matches_recheck_what_the_index_says(super::TestApp::spawn_with(omics_store::Backend::Postgres, lagging).await).await;
    }
}

/// A platform suspended by another instance sharing the database is hidden at once, even
/// before this instance's index has seen the change: what the database says decides.
async fn matches_recheck_what_the_index_says(app: TestApp) {
    let m = app.user("m@example.org", "platform_manager").await;
    let r = app.user("r@example.org", "researcher").await;
    let (_, p) = app.post("/api/v1/platforms", Some(&m), platform("Soon Suspended Lab", "BE", "WES")).await;
    let id = p["id"].as_str().unwrap().to_owned();
    let (_, n) = app.post("/api/v1/needs", Some(&r), need("N", "LT", "WES")).await;
    let matches = format!("/api/v1/needs/{}/matches?include_excluded=true", n["id"].as_str().unwrap());
    let (_, v) = app.get(&matches, None).await;
    assert_eq!(v["matches"][0]["platform"]["id"], id.as_str(), "{v}");

    // Another instance changes it, in the database only (not yet in this index and catalogue).
    let uuid = uuid::Uuid::parse_str(&id).unwrap();
    let elsewhere = |change: fn(&mut omics_domain::PlatformFields)| {
        app.state
            .store
            .modify(omics_domain::Kind::Platform, uuid, None, |rec| -> Result<_, std::convert::Infallible> {
                let omics_domain::Record::Platform(mut p) = rec else { unreachable!() };
                change(&mut p.fields);
                p.meta.version += 1;
                Ok(omics_domain::Record::Platform(p))
            })
            .unwrap()
            .unwrap();
        assert!(app.state.index.applied_seq() < app.state.store.last_seq().unwrap(), "the index already saw the change");
    };
    // Renamed: matches show it as the database has it now, not as this catalogue does.
    elsewhere(|f| f.name = "Renamed Lab".into());
    let (_, v) = app.get(&matches, None).await;
    assert_eq!(v["matches"][0]["platform"]["name"], "Renamed Lab", "{v}");
    // Suspended: hidden at once.
    elsewhere(|f| f.status = omics_domain::PlatformStatus::Suspended);

    let (s, _) = app.get(&format!("/api/v1/platforms/{id}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = app.get("/api/v1/platforms", None).await;
    assert!(!list["items"].as_array().unwrap().iter().any(|i| i["id"] == id.as_str()), "{list}");
    for token in [None, Some(r.as_str())] {
        let (s, v) = app.get(&matches, token).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(!v.to_string().contains(&id), "a suspended platform is shown in matches: {v}");
        let (s, v) = app.post("/api/v1/matches?include_excluded=true", token, need("N", "LT", "WES")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert!(!v.to_string().contains(&id), "a suspended platform is shown in ad hoc matches: {v}");
    }
}
