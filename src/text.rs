//! The one catalogue of the texts that are keyed by a code: what a member reads on a page for each
//! refusal reason (a title and one plain sentence), and the labels the admin reads in the audit log for
//! reason codes, events and results — every entry in English and Chinese.
//!
//! Member pages say only what the member can act on; the administrator's detail (WeCom errcode, the
//! setting to fix, the command to run) goes to the log, the audit row and the console. A test scans
//! the sources, so a reason or event used in the code without an entry here fails the build's tests.

use crate::lang::Lang;
use crate::store::{AuditKind, AuditResult};

/// The reason of the 503 answered while the database is unreachable (pages and the JSON API).
pub const DATABASE_UNAVAILABLE: &str = "database_unavailable";

/// A text in both languages, known at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tx {
    /// English.
    pub en: &'static str,
    /// 中文.
    pub zh: &'static str,
}

impl Tx {
    /// The text in `lang`.
    pub fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en,
            Lang::Zh => self.zh,
        }
    }
}

const fn tx(en: &'static str, zh: &'static str) -> Tx {
    Tx { en, zh }
}

/// What a member reads when a request ends on a refusal page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberPage {
    /// The page's key: the reason code (or, for a family of reasons, the family's key).
    pub key: &'static str,
    /// The headline.
    pub title: Tx,
    /// One plain sentence: what happened and what the member can do.
    pub sentence: Tx,
}

const fn page(key: &'static str, title: Tx, sentence: Tx) -> MemberPage {
    MemberPage {
        key,
        title,
        sentence,
    }
}

/// The key of the page every refused SAML request shows (its reason codes are many and all mean
/// "the app sent something we cannot accept" to a member).
pub const REQUEST_REFUSED: &str = "request_refused";

/// The key of the page every refused Single Logout message shows.
pub const LOGOUT_REFUSED: &str = "logout_refused";

/// Every member page, by key.
pub const MEMBER_PAGES: &[MemberPage] = &[
    page(
        LOGOUT_REFUSED,
        tx("The sign-out request was refused", "退出请求被拒绝"),
        tx(
            "The app sent a sign-out request that cannot be accepted, so you may still be signed in; close the browser, and if it keeps happening tell your administrator the reference below.",
            "应用发来的退出请求无法接受，你可能仍处于登录状态；请关闭浏览器，如果一直出现，请把下面的参考编号告诉管理员。",
        ),
    ),
    page(
        "logout_not_this_session",
        tx("This sign-out is for someone else", "此退出请求不属于你"),
        tx(
            "The app asked to sign out an account this browser did not sign in with, so nothing was signed out; sign out in the app again, or close the browser.",
            "应用要求退出的账号不是此浏览器登录的账号，因此没有退出任何内容；请在应用中重新退出，或关闭浏览器。",
        ),
    ),
    page(
        "logout_unknown",
        tx("This sign-out has already finished", "此退出已经结束"),
        tx(
            "This sign-out has finished or took too long; if you want to be sure you are signed out, close the browser.",
            "此退出已经结束或耗时过长；如需确保已退出，请关闭浏览器。",
        ),
    ),
    page(
        "access_denied",
        tx("You may not open this app", "你无权打开此应用"),
        tx(
            "This app is not open to your account; ask your administrator if you need it.",
            "此应用未向你的账号开放；如需使用，请联系管理员。",
        ),
    ),
    page(
        "no_role",
        tx("No role for you in this app", "你在此应用中没有角色"),
        tx(
            "You have no role in this app yet, so nothing was sent to it; ask your administrator for one.",
            "你在此应用中还没有角色，因此没有向它发送任何信息；请联系管理员分配。",
        ),
    ),
    page(
        "no_name_id",
        tx("Your profile lacks a detail this app needs", "你的资料缺少此应用需要的信息"),
        tx(
            "Your WeCom profile lacks a detail this app uses to recognise you; tell your administrator the reference below.",
            "你的企业微信资料缺少此应用用来识别你的信息；请把下面的参考编号告诉管理员。",
        ),
    ),
    page(
        "account_disabled",
        tx("Your account is disabled", "你的账号已被停用"),
        tx(
            "The account linked to you here is disabled; ask your administrator if this is a mistake.",
            "这里与你关联的账号已被停用；如有疑问，请联系管理员。",
        ),
    ),
    page(
        "ambiguous_account",
        tx("Your account could not be chosen", "无法确定你的账号"),
        tx(
            "More than one account here matches your WeCom profile; ask your administrator to link the right one.",
            "这里有多个账号与你的企业微信资料相符；请联系管理员为你关联正确的账号。",
        ),
    ),
    page(
        "no_account",
        tx("No account is linked to you", "你还没有关联账号"),
        tx(
            "No account here is linked to your WeCom account yet; ask your administrator to create or link one.",
            "这里还没有与你的企业微信账号关联的账号；请联系管理员为你创建或关联。",
        ),
    ),
    page(
        "member_not_active",
        tx("Your WeCom account cannot sign in", "你的企业微信账号不能登录"),
        tx(
            "Only active members of this organisation can sign in here.",
            "只有本企业状态正常的成员才能在这里登录。",
        ),
    ),
    page(
        "not_a_member",
        tx("You are not a member of this organisation", "你不是本企业的成员"),
        tx(
            "Sign in to WeCom with your work account and open the app again.",
            "请用工作账号登录企业微信后重新打开应用。",
        ),
    ),
    page(
        "not_admin",
        tx("You are not an administrator", "你不是管理员"),
        tx(
            "Your WeCom account is not an administrator of this console; ask an existing administrator to add you.",
            "你的企业微信账号不是本管理台的管理员；请让现有管理员添加你。",
        ),
    ),
    page(
        "bad_state",
        tx("This sign-in link is no longer valid", "登录链接已失效"),
        tx(
            "The sign-in link is damaged; open the app again from the WeCom workbench.",
            "登录链接已损坏；请从企业微信工作台重新打开应用。",
        ),
    ),
    page(
        "state_foreign",
        tx("This sign-in link is no longer valid", "登录链接已失效"),
        tx(
            "This sign-in was started in another browser (or cookies are blocked); open the app again in this browser.",
            "这次登录是在另一个浏览器中发起的（或浏览器禁用了 Cookie）；请在当前浏览器中重新打开应用。",
        ),
    ),
    page(
        "state_expired",
        tx("This sign-in link is no longer valid", "登录链接已失效"),
        tx(
            "The sign-in took more than 10 minutes; open the app again.",
            "登录超过了 10 分钟；请重新打开应用。",
        ),
    ),
    page(
        "state_used",
        tx("This sign-in link is no longer valid", "登录链接已失效"),
        tx(
            "This sign-in link has already been used; open the app again.",
            "这个登录链接已经用过了；请重新打开应用。",
        ),
    ),
    page(
        "state_unknown",
        tx("This sign-in link is no longer valid", "登录链接已失效"),
        tx(
            "This sign-in link is not known here; open the app again.",
            "无法识别这个登录链接；请重新打开应用。",
        ),
    ),
    page(
        "state_in_progress",
        tx("This sign-in link is no longer valid", "登录链接已失效"),
        tx(
            "The first attempt of this sign-in did not finish; open the app again.",
            "这次登录的第一次尝试没有完成；请重新打开应用。",
        ),
    ),
    page(
        "no_code",
        tx("Sign-in was cancelled", "登录已取消"),
        tx(
            "WeCom did not confirm who you are; open the app again and allow the sign-in.",
            "企业微信没有确认你的身份；请重新打开应用，并在企业微信中同意授权。",
        ),
    ),
    page(
        "bind_expired",
        tx("This page is no longer valid", "此页面已失效"),
        tx(
            "This page expired, was already used or was opened in another browser; open the app again to sign in.",
            "此页面已过期、已使用，或是在另一个浏览器中打开的；请重新打开应用登录。",
        ),
    ),
    page(
        "bind_locked",
        tx("Too many wrong passwords", "密码错误次数过多"),
        tx(
            "This account does not accept passwords for a quarter of an hour; wait, or ask your administrator for a one-time code.",
            "此账号在一刻钟内不再接受密码；请稍后再试，或请管理员给你一次性验证码。",
        ),
    ),
    page(
        "unknown_app",
        tx("Unknown app", "应用不存在"),
        tx(
            "No app is registered at this address; tell your administrator the reference below.",
            "这个地址下没有登记应用；请把下面的参考编号告诉管理员。",
        ),
    ),
    page(
        "no_acs",
        tx("The app is not set up", "应用配置不完整"),
        tx(
            "This app is not completely set up yet; tell your administrator the reference below.",
            "此应用还没有配置完整；请把下面的参考编号告诉管理员。",
        ),
    ),
    page(
        "oidc_request_refused",
        tx("The app's sign-in request was refused", "应用的登录请求被拒绝"),
        tx(
            "The app asked to sign you in with a client ID or a return address that is not registered here, so you cannot be sent back to it; tell the app's administrator the reference below.",
            "应用发来的登录请求使用了此处未登记的客户端 ID 或返回地址，因此无法把你送回该应用；请把下面的参考编号告诉应用的管理员。",
        ),
    ),
    page(
        "oidc_consent_expired",
        tx("This consent page has expired", "此授权页面已过期"),
        tx(
            "The answer came too late, twice, or from another browser session, so nothing was sent to the app; open the app and sign in again.",
            "应答太迟、重复提交或来自另一个浏览器会话，因此没有发送任何内容给应用；请打开应用重新登录。",
        ),
    ),
    page(
        "oidc_logout_refused",
        tx("The app's sign-out request was refused", "应用的退出请求被拒绝"),
        tx(
            "The app asked to sign you out in a way that is not registered here, so nothing was signed out and you were not sent anywhere; close the browser to be sure, and tell the app's administrator the reference below.",
            "应用发来的退出请求不符合此处的登记，因此没有退出任何内容，也没有把你送往别处；如需确保已退出，请关闭浏览器，并把下面的参考编号告诉应用的管理员。",
        ),
    ),
    page(
        "ambiguous_app",
        tx("Which app is meant is not clear", "无法确定要登录哪个应用"),
        tx(
            "Several apps here serve the service you came from, and its sign-in request does not say which one; open the app from the WeCom workbench, or tell your administrator the reference below.",
            "此处有多个应用对应你来自的服务，而它的登录请求没有指明是哪一个；请从企业微信工作台打开应用，或把下面的参考编号告诉管理员。",
        ),
    ),
    page(
        "no_encryption_cert",
        tx("The app is not set up", "应用配置不完整"),
        tx(
            "This app needs an encryption certificate that is missing, so nothing was sent to it; tell your administrator the reference below.",
            "此应用缺少所需的加密证书，因此没有向它发送任何信息；请把下面的参考编号告诉管理员。",
        ),
    ),
    page(
        "unknown_issuer",
        tx("This app is not registered", "应用未登记"),
        tx(
            "The app you came from is not registered with this sign-in service; tell your administrator the reference below.",
            "你来自的应用没有在本登录服务登记；请把下面的参考编号告诉管理员。",
        ),
    ),
    page(
        REQUEST_REFUSED,
        tx("The sign-in request was refused", "登录请求被拒绝"),
        tx(
            "The app sent a sign-in request that cannot be accepted; open the app again, and if it keeps happening tell your administrator the reference below.",
            "应用发来的登录请求无法接受；请重新打开应用，如果一直出现，请把下面的参考编号告诉管理员。",
        ),
    ),
    page(
        "no_saml_request",
        tx("Not a sign-in request", "不是有效的登录请求"),
        tx(
            "Open the app from the WeCom workbench or from the app's own sign-in link.",
            "请从企业微信工作台或应用自己的登录链接打开应用。",
        ),
    ),
    page(
        "relay_state_not_allowed",
        tx("This link is not allowed", "不允许的跳转地址"),
        tx(
            "The link asks for a page this app does not allow; open the app from the WeCom workbench instead.",
            "链接要求打开的页面不在此应用允许的范围内；请改从企业微信工作台打开应用。",
        ),
    ),
    page(
        "request_too_large",
        tx("Request too large", "请求过大"),
        tx(
            "This request is far larger than any sign-in request; open the app again.",
            "这个请求远大于任何登录请求；请重新打开应用。",
        ),
    ),
    page(
        "headers_too_large",
        tx("Request too large", "请求过大"),
        tx(
            "The headers of this request are too large; clear this site's cookies and try again.",
            "这个请求的头部太大；请清除本网站的 Cookie 后重试。",
        ),
    ),
    page(
        "uri_too_long",
        tx("Request too large", "请求过大"),
        tx(
            "The address of this request is too long to be a sign-in request; open the app again.",
            "这个请求的地址太长，不是有效的登录请求；请重新打开应用。",
        ),
    ),
    page(
        "rate_limited",
        tx("Too many requests", "请求太频繁"),
        tx(
            "Too many requests came from this network address in a short time; wait a minute and try again.",
            "这个网络地址在短时间内发出了太多请求；请等一分钟后再试。",
        ),
    ),
    page(
        "too_many_failures",
        tx("Too many failed sign-ins", "失败的登录太多"),
        tx(
            "Too many sign-ins from this network address failed in a short time; wait a minute, then open the app again from the WeCom workbench.",
            "这个网络地址在短时间内有太多登录失败；请等一分钟后，从企业微信工作台重新打开应用。",
        ),
    ),
    page(
        "too_many_logins_from_ip",
        tx("Too many sign-ins at once", "同时进行的登录太多"),
        tx(
            "Too many unfinished sign-ins were started from this network address; wait ten minutes and try again.",
            "从这个网络地址发起了太多未完成的登录；请等待十分钟后重试。",
        ),
    ),
    page(
        "login_states_full",
        tx("Too many sign-ins in progress", "进行中的登录太多"),
        tx(
            "The service is handling too many unfinished sign-ins right now; wait a few minutes and try again.",
            "服务当前有太多未完成的登录；请等几分钟后重试。",
        ),
    ),
    page(
        "timeout",
        tx("The sign-in service is slow", "登录服务响应太慢"),
        tx(
            "This request took too long and was stopped; please try again in a moment.",
            "这个请求耗时太长，已被中止；请稍后重试。",
        ),
    ),
    page(
        "internal_error",
        tx("Something went wrong", "服务出错了"),
        tx(
            "The sign-in service hit an internal error; try again, and if it keeps happening tell your administrator the reference below.",
            "登录服务内部出错；请重试，如果一直出现，请把下面的参考编号告诉管理员。",
        ),
    ),
    page(
        DATABASE_UNAVAILABLE,
        tx("Please try again in a moment", "请稍后重试"),
        tx(
            "The sign-in service cannot reach its database right now; wait a moment and reload the page.",
            "登录服务暂时无法连接数据库；请稍等片刻后刷新页面。",
        ),
    ),
    page(
        "not_found",
        tx("Page not found", "页面不存在"),
        tx(
            "There is nothing at this address; open the app again from the WeCom workbench.",
            "这个地址没有内容；请从企业微信工作台重新打开应用。",
        ),
    ),
    page(
        "wecom_config",
        tx("Sign-in with WeCom is not working", "企业微信登录暂时不可用"),
        tx(
            "Sign-in with WeCom is not set up correctly on this service; tell your administrator the reference below.",
            "本服务的企业微信登录配置有误；请把下面的参考编号告诉管理员。",
        ),
    ),
    page(
        "wecom_denied",
        tx("WeCom did not allow this sign-in", "企业微信不允许这次登录"),
        tx(
            "WeCom does not let your account use this sign-in; ask your administrator for access.",
            "企业微信不允许你的账号使用这个登录；请联系管理员开通。",
        ),
    ),
    page(
        "wecom_code_invalid",
        tx("This sign-in has expired", "登录已失效"),
        tx(
            "This sign-in can no longer be used; open the app again to start a new one.",
            "这次登录已无法继续；请重新打开应用，开始新的登录。",
        ),
    ),
    page(
        "wecom_busy",
        tx("WeCom is busy", "企业微信繁忙"),
        tx(
            "WeCom did not answer in time; wait a minute and try again.",
            "企业微信暂时没有响应；请等一分钟后重试。",
        ),
    ),
    page(
        "wecom_error",
        tx("Sign-in with WeCom did not work", "通过企业微信登录没有成功"),
        tx(
            "WeCom answered with an error; try again, and if it keeps happening tell your administrator the reference below.",
            "企业微信返回了错误；请重试，如果一直出现，请把下面的参考编号告诉管理员。",
        ),
    ),
];

/// The texts of the bind page, where a member without an account proves one.
#[derive(Debug, Clone, Copy)]
pub struct BindPage {
    /// The headline.
    pub title: Tx,
    /// What the page is for.
    pub intro: Tx,
    /// The username field.
    pub username: Tx,
    /// The password proof's legend.
    pub password_legend: Tx,
    /// The password field.
    pub password: Tx,
    /// The password proof's button.
    pub password_button: Tx,
    /// The code proof's legend.
    pub code_legend: Tx,
    /// The code field.
    pub code: Tx,
    /// The code proof's button.
    pub code_button: Tx,
    /// The button asking for a new account.
    pub create_button: Tx,
    /// Shown again after a wrong username, password or code.
    pub wrong_proof: Tx,
    /// Shown again when the account is linked to another member.
    pub taken: Tx,
}

/// The bind page.
pub const BIND_PAGE: BindPage = BindPage {
    title: tx("Link your account", "关联你的账号"),
    intro: tx(
        "No account here is linked to your WeCom member yet. Prove which account is yours with its password, or with a one-time code from your administrator.",
        "这里还没有与你的企业微信成员关联的账号。请用账号密码，或管理员给你的一次性验证码，证明哪个账号是你的。",
    ),
    username: tx("Username", "用户名"),
    password_legend: tx("With the account's password", "用账号密码"),
    password: tx("Password", "密码"),
    password_button: tx("Link with password", "用密码关联"),
    code_legend: tx("Or with a one-time code", "或用一次性验证码"),
    code: tx("One-time code", "一次性验证码"),
    code_button: tx("Link with code", "用验证码关联"),
    create_button: tx("Create a new account instead", "改为创建新账号"),
    wrong_proof: tx(
        "The username, password or code is wrong.",
        "用户名、密码或验证码不正确。",
    ),
    taken: tx(
        "This account is already linked to another WeCom member.",
        "此账号已关联到另一个企业微信成员。",
    ),
};

/// The page that posts a sign-in answer to an app (shown only when scripts are off).
pub const POST_FORM_TITLE: Tx = tx("Signing you in…", "正在登录…");
/// Its button.
pub const POST_FORM_BUTTON: Tx = tx("Continue", "继续");

/// The signed-out page.
pub const SIGNED_OUT_TITLE: Tx = tx("You are signed out", "你已退出登录");
/// Its sentence.
pub const SIGNED_OUT_SENTENCE: Tx = tx(
    "You are signed out of the sign-in service and of the apps that could be told.",
    "你已退出登录服务，以及能够收到通知的应用。",
);
/// Added when some app did not confirm.
pub const SIGNED_OUT_PARTIAL: Tx = tx(
    "Some apps did not confirm; close the browser to be sure you are signed out of them.",
    "部分应用没有确认退出；为确保已退出，请关闭浏览器。",
);
/// Added when the app that asked cannot be answered (no Single Logout endpoint in its metadata).
pub const SIGNED_OUT_NO_RETURN: Tx = tx(
    "The app you came from cannot be told here; close it, or sign out there too.",
    "你来自的应用无法在此收到通知；请关闭它，或在该应用中也退出。",
);
/// The page shown while an app is told of the sign-out.
pub const LOGOUT_PROGRESS_TITLE: Tx = tx("Signing you out…", "正在退出…");
/// Its sentence.
pub const LOGOUT_PROGRESS_SENTENCE: Tx = tx(
    "Telling the apps you used that you signed out; this takes a few seconds.",
    "正在通知你使用过的应用：你已退出。这需要几秒钟。",
);

/// The page asking a member to confirm an app's sign-out request (OpenID Connect RP-initiated
/// logout without a hint naming this browser's session).
pub const OIDC_LOGOUT_CONFIRM_TITLE: Tx = tx("Sign out?", "要退出登录吗？");
/// Its sentence.
pub const OIDC_LOGOUT_CONFIRM_SENTENCE: Tx = tx(
    "An app asks to sign you out of the sign-in service and of the apps you opened with it; sign out only if you asked for it.",
    "有应用请求让你退出登录服务以及通过它打开的应用；只有在你自己要求退出时才确认。",
);
/// Its button.
pub const OIDC_LOGOUT_CONFIRM_BUTTON: Tx = tx("Sign out", "退出登录");

/// The member page of `key`.
pub fn member_page(key: &str) -> Option<&'static MemberPage> {
    MEMBER_PAGES.iter().find(|p| p.key == key)
}

/// What the console says when it cannot read the WeCom address book (the rule pickers, the check of
/// rules and userids against WeCom on save): what happened, and what to configure in WeCom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectoryProblem {
    /// The problem's key.
    pub key: &'static str,
    /// What happened.
    pub title: Tx,
    /// What the admin configures (in WeCom or here).
    pub fix: Tx,
}

const fn problem(key: &'static str, title: Tx, fix: Tx) -> DirectoryProblem {
    DirectoryProblem { key, title, fix }
}

/// Any other refusal from WeCom.
const GENERIC_PROBLEM: DirectoryProblem = problem(
    "wecom_error",
    tx(
        "WeCom refused to list the address book",
        "企业微信拒绝列出通讯录",
    ),
    tx(
        "Look the errcode up at https://open.work.weixin.qq.com/devtool/query and check the \
             WeCom settings page (Check connection).",
        "请在 https://open.work.weixin.qq.com/devtool/query 查询该错误码，并在“企业微信设置”\
             页点击“检查连接”。",
    ),
);

/// Every directory problem, by key.
pub const DIRECTORY_PROBLEMS: &[DirectoryProblem] = &[
    problem(
        "no_privilege",
        tx(
            "The WeCom app may not read this part of the address book (60011)",
            "企业微信应用无权读取这部分通讯录（60011）",
        ),
        tx(
            "In the WeCom admin console open the app (App Management › the app) and widen its \
             visible range to the departments, tags and members the rules name: the pickers and the \
             check see only what the app can see.",
            "请在企业微信管理后台打开该应用（应用管理 › 该应用），把规则用到的部门、标签和成员加入其\
             可见范围：选择器和校验只能看到应用可见的内容。",
        ),
    ),
    problem(
        "api_forbidden",
        tx(
            "WeCom does not let this Secret read the address book (48002/48009)",
            "企业微信不允许此 Secret 读取通讯录（48002/48009）",
        ),
        tx(
            "Use the self-built app's own Secret (App Management › the app › Secret), not the \
             contacts-sync Secret, on the WeCom settings page; the app reads departments, tags and \
             members within its visible range.",
            "请在“企业微信设置”页填写自建应用自己的 Secret（应用管理 › 该应用 › Secret），不要使用\
             通讯录同步的 Secret；应用可读取其可见范围内的部门、标签和成员。",
        ),
    ),
    problem(
        "ip_not_trusted",
        tx(
            "WeCom refuses calls from this server's IP (60020)",
            "企业微信拒绝来自本服务器 IP 的调用（60020）",
        ),
        tx(
            "In the WeCom admin console open the app → Trusted IP and add every egress IP address \
             of this server.",
            "请在企业微信管理后台打开该应用 →“企业可信IP”，添加本服务器的所有出口 IP。",
        ),
    ),
    problem(
        "unreachable",
        tx("WeCom could not be reached", "无法连接企业微信"),
        tx(
            "Check that this server reaches the WeCom API (api_base on the WeCom settings page), \
             then try again. You may still save: the names are then not checked against WeCom.",
            "请检查本服务器能否访问企业微信接口（“企业微信设置”页的 api_base），然后重试。\
             也可以仍然保存：此时不会与企业微信核对这些名称。",
        ),
    ),
    GENERIC_PROBLEM,
];

/// The directory problem of `key` (the generic `wecom_error` for an unknown key).
pub fn directory_problem(key: &str) -> &'static DirectoryProblem {
    DIRECTORY_PROBLEMS
        .iter()
        .find(|p| p.key == key)
        .unwrap_or(&GENERIC_PROBLEM)
}

/// A WeCom member status as the console and the command line name it.
pub fn member_status_text(s: crate::wecom::contact_change::MemberStatus) -> Tx {
    use crate::wecom::contact_change::MemberStatus;
    match s {
        MemberStatus::Active => tx("active", "已激活"),
        MemberStatus::Disabled => tx("disabled", "已禁用"),
        MemberStatus::NotActivated => tx("not activated", "未激活"),
        MemberStatus::Left => tx("left", "已离职"),
        MemberStatus::Other(_) => tx("other status", "其他状态"),
    }
}

/// The English word of a member status (logs and the command line).
pub fn member_status_word(s: crate::wecom::contact_change::MemberStatus) -> &'static str {
    member_status_text(s).en
}

/// A code and its label in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    /// The stored value.
    pub code: &'static str,
    /// How the console shows it.
    pub label: Tx,
}

const fn label(code: &'static str, en: &'static str, zh: &'static str) -> Label {
    Label {
        code,
        label: tx(en, zh),
    }
}

/// The console's label of an audit result.
pub const fn result_text(result: AuditResult) -> Tx {
    match result {
        AuditResult::Success => tx("success", "成功"),
        AuditResult::Refused => tx("refused", "拒绝"),
        AuditResult::Error => tx("error", "错误"),
        AuditResult::Pending => tx("pending", "待完成"),
    }
}

/// The console's label of an audit event (a `match`, so a new event cannot go without one).
pub const fn event_text(kind: AuditKind) -> Tx {
    match kind {
        AuditKind::Login => tx("sign-in", "登录"),
        AuditKind::SsoRequest => tx("sign-in request", "登录请求"),
        AuditKind::Request => tx("request", "请求"),
        AuditKind::Bind => tx("account link", "账号关联"),
        AuditKind::SloRequest => tx("sign-out request", "退出请求"),
        AuditKind::SloResponse => tx("sign-out answer", "退出应答"),
        AuditKind::Logout => tx("sign-out", "退出登录"),
        AuditKind::AdminLogin => tx("admin sign-in", "管理员登录"),
        AuditKind::AdminLogout => tx("admin sign-out", "管理员退出"),
        AuditKind::AdminRequest => tx("admin request", "管理请求"),
        AuditKind::AdminAdd => tx("admin added", "添加管理员"),
        AuditKind::AdminRemove => tx("admin removed", "移除管理员"),
        AuditKind::AppCreate => tx("app added", "添加应用"),
        AuditKind::AppUpdate => tx("app settings changed", "修改应用设置"),
        AuditKind::AppDelete => tx("app deleted", "删除应用"),
        AuditKind::Provision => tx("user provisioning (SCIM)", "用户同步（SCIM）"),
        AuditKind::ScimTokenSet => tx("SCIM token set", "设置 SCIM 令牌"),
        AuditKind::AppPreview => tx("app preview", "预览应用"),
        AuditKind::AppRefresh => tx("app metadata refreshed", "刷新应用元数据"),
        AuditKind::AppRollback => tx("app rolled back", "回滚应用"),
        AuditKind::AppMetadataReplace => tx("app metadata replaced", "替换应用元数据"),
        AuditKind::KeyAdd => tx("signing key added", "添加签名密钥"),
        AuditKind::KeyActivate => tx("signing key activated", "启用签名密钥"),
        AuditKind::KeyRetire => tx("signing key retired", "停用签名密钥"),
        AuditKind::TokenCreate => tx("API token created", "创建 API 令牌"),
        AuditKind::TokenRevoke => tx("API token revoked", "吊销 API 令牌"),
        AuditKind::SettingsWecom => tx("WeCom settings changed", "修改企业微信设置"),
        AuditKind::SettingsWecomReset => tx("WeCom settings reset", "重置企业微信设置"),
        AuditKind::SettingsBinding => tx("binding settings changed", "修改绑定设置"),
        AuditKind::SettingsBindingReset => tx("binding settings reset", "重置绑定设置"),
        AuditKind::UserCreate => tx("account created", "创建账号"),
        AuditKind::UserUpdate => tx("account changed", "修改账号"),
        AuditKind::UserDisable => tx("account disabled", "停用账号"),
        AuditKind::UserEnable => tx("account enabled", "启用账号"),
        AuditKind::UserImport => tx("accounts imported", "导入账号"),
        AuditKind::UserBind => tx("account linked", "关联账号"),
        AuditKind::UserUnbind => tx("account unlinked", "解除关联"),
        AuditKind::UserBindCode => tx("one-time code issued", "签发一次性验证码"),
        AuditKind::UserSetPassword => tx("password set", "设置密码"),
        AuditKind::WecomEvent => tx("WeCom event", "企业微信事件"),
        AuditKind::MemberLeft => tx("member left: cut off", "成员离职：已下线"),
        AuditKind::MemberRejoined => tx("member rejoined: restored", "成员复职：已恢复"),
        AuditKind::MemberRenamed => tx(
            "member's userid renamed: binding moved",
            "成员账号重命名：绑定已迁移",
        ),
        AuditKind::WecomNamesForced => tx(
            "saved although WeCom did not confirm the names",
            "企业微信未确认名称，仍然保存",
        ),
        AuditKind::WecomCheck => tx("WeCom connection checked", "检查企业微信连接"),
        AuditKind::VerifyFileAdd => tx(
            "WeCom verification file uploaded",
            "上传企业微信域名校验文件",
        ),
        AuditKind::VerifyFileRemove => tx(
            "WeCom verification file removed",
            "删除企业微信域名校验文件",
        ),
        AuditKind::OidcConsent => tx("OIDC consent", "OIDC 授权同意"),
    }
}

/// Audit reasons (the admin's view; members see [`MEMBER_PAGES`]).
pub const REASONS: &[Label] = &[
    // sign-ins
    label("sp_initiated", "from the app", "由应用发起"),
    label("idp_initiated", "from the workbench", "由工作台发起"),
    label("signed_in", "signed in", "已登录"),
    label("signed_out", "signed out", "已退出"),
    label("no_answer", "no answer in time", "未及时应答"),
    label(
        "logout_not_this_session",
        "names another session",
        "指向其他会话",
    ),
    label("logout_unknown", "no such sign-out", "没有此退出"),
    label("logout_refused", "sign-out refused", "退出被拒绝"),
    label("request_expired", "request expired", "请求已过期"),
    label("sent_to_sp", "sent to the app", "已发送给应用"),
    label("confirmed", "confirmed", "已确认"),
    // WeCom event callback (接收消息) refusals
    label(
        "callback_not_configured",
        "event callback not set up",
        "未配置事件回调",
    ),
    label("missing_parameter", "a parameter is missing", "缺少参数"),
    label(
        "stale_timestamp",
        "timestamp out of window",
        "时间戳超出窗口",
    ),
    label("replayed", "seen before (replay)", "重复消息（重放）"),
    label("too_large", "message too large", "消息过大"),
    label("wrong_corp_id", "for another corp ID", "企业 ID 不符"),
    label("store_error", "database error", "数据库错误"),
    label("bad_xml", "not well-formed XML", "XML 格式错误"),
    label("bad_envelope", "bad message envelope", "消息外层格式错误"),
    label("bad_change", "unreadable change", "无法读取的变更"),
    label("bad_signature", "bad signature", "签名错误"),
    label(
        "malformed_ciphertext",
        "malformed ciphertext",
        "密文格式错误",
    ),
    label("bad_plaintext", "bad decrypted content", "解密内容错误"),
    label("not_utf8", "not UTF-8 text", "不是 UTF-8 文本"),
    label("cipher_error", "decryption failed", "解密失败"),
    label("not_confirmed", "not confirmed", "未确认"),
    label(
        "partial_logout",
        "some apps not confirmed",
        "部分应用未确认",
    ),
    label("no_session", "no session", "没有会话"),
    label("oidc_rp_initiated", "from an OIDC app", "由 OIDC 应用发起"),
    label(
        "oidc_backchannel",
        "OIDC apps told of the sign-out",
        "已通知 OIDC 应用退出",
    ),
    label(
        "oidc_rp_confirmed",
        "from an OIDC app, confirmed by the member",
        "由 OIDC 应用发起，成员已确认",
    ),
    label(
        "logout_confirm_mismatch",
        "confirmation not from this session's page",
        "确认不是来自本会话的页面",
    ),
    label("repeated_parameter", "a parameter is repeated", "参数重复"),
    label(
        "bad_id_token_hint",
        "not our ID token",
        "不是本服务签发的 ID 令牌",
    ),
    label(
        "client_mismatch",
        "client ID is not the token's",
        "客户端 ID 与令牌不符",
    ),
    label("unknown_client", "no such client", "没有此客户端"),
    label(
        "unregistered_post_logout_redirect",
        "return address not registered",
        "返回地址未登记",
    ),
    label(
        "no_slo_endpoint",
        "app has no sign-out address",
        "应用没有退出地址",
    ),
    label("admin_change", "change by an admin", "管理员变更"),
    label("invalid", "invalid input", "输入无效"),
    label("conflict", "conflicts with existing data", "与现有数据冲突"),
    label("refused", "refused", "拒绝"),
    label("access_denied", "access rule refused", "访问规则拒绝"),
    label("no_role", "no role", "没有角色"),
    label("no_name_id", "NameID source missing", "缺少 NameID 来源"),
    label("account_disabled", "account disabled", "账号已停用"),
    label(
        "ambiguous_account",
        "several accounts match",
        "多个账号匹配",
    ),
    label("no_account", "no linked account", "没有关联账号"),
    label(
        "member_not_active",
        "WeCom member not active",
        "企业微信成员未激活或已离职",
    ),
    label("not_a_member", "not a member of the corp", "不是本企业成员"),
    label("not_admin", "not an administrator", "不是管理员"),
    label("bad_state", "damaged login state", "登录状态损坏"),
    label(
        "state_foreign",
        "started in another browser",
        "在其他浏览器发起",
    ),
    label("state_expired", "login state expired", "登录状态过期"),
    label("state_used", "login state already used", "登录状态已使用"),
    label("state_unknown", "unknown login state", "未知登录状态"),
    label(
        "state_in_progress",
        "first attempt unfinished",
        "首次尝试未完成",
    ),
    label(
        "no_code",
        "sign-in cancelled in WeCom",
        "在企业微信中取消了登录",
    ),
    label("wecom_config", "WeCom set-up error", "企业微信配置错误"),
    label(
        "wecom_denied",
        "WeCom refused the member",
        "企业微信拒绝该成员",
    ),
    label(
        "wecom_code_invalid",
        "WeCom code invalid",
        "企业微信 code 无效",
    ),
    label(
        "wecom_busy",
        "WeCom busy or unreachable",
        "企业微信繁忙或无法连接",
    ),
    label("wecom_error", "WeCom error", "企业微信错误"),
    // binding
    label("bound", "already linked", "已关联"),
    label("created", "account created", "已创建账号"),
    label("manual_password", "linked with a password", "用密码关联"),
    label(
        "manual_code",
        "linked with a one-time code",
        "用一次性验证码关联",
    ),
    label("bind_page", "link page shown", "显示关联页面"),
    label("bind_expired", "link page expired", "关联页面已失效"),
    label(
        "bind_locked",
        "too many wrong passwords",
        "密码错误次数过多",
    ),
    label(
        "bind_wrong_proof",
        "wrong password or code",
        "密码或验证码错误",
    ),
    label(
        "bind_taken",
        "account linked to another member",
        "账号已关联其他成员",
    ),
    // requests and limits
    label("unknown_app", "unknown app", "应用不存在"),
    label(
        "oidc_unknown_client",
        "OIDC: unknown client_id",
        "OIDC：未登记的 client_id",
    ),
    label(
        "oidc_bad_redirect_uri",
        "OIDC: redirect_uri not registered for the client",
        "OIDC：redirect_uri 未为该客户端登记",
    ),
    label(
        "oidc_invalid_request",
        "OIDC: invalid request",
        "OIDC：无效请求",
    ),
    label(
        "oidc_login_required",
        "OIDC: prompt=none without a session",
        "OIDC：prompt=none 但没有会话",
    ),
    label(
        "oidc_consent_required",
        "OIDC: prompt=none but the member has not consented",
        "OIDC：prompt=none 但成员尚未同意授权",
    ),
    label(
        "oidc_no_signing_key",
        "OIDC: no signing key for the client's algorithm (ES256 needs signing.ec_key_file)",
        "OIDC：没有该客户端签名算法的密钥（ES256 需要 signing.ec_key_file）",
    ),
    label("consent_granted", "consent granted", "已同意授权"),
    label("consent_denied", "consent denied", "已拒绝授权"),
    label(
        "oidc_consent_expired",
        "OIDC: consent answer expired or not this session's",
        "OIDC：授权应答已过期或不属于此会话",
    ),
    label(
        "no_acs",
        "app has no HTTP-POST ACS",
        "应用没有 HTTP-POST ACS",
    ),
    label(
        "no_encryption_cert",
        "no usable SP encryption certificate",
        "没有可用的 SP 加密证书",
    ),
    label("unknown_issuer", "unregistered issuer", "未登记的 Issuer"),
    label(
        "ambiguous_app",
        "several apps share the Issuer and the requested ACS",
        "多个应用共用该 Issuer 和所请求的 ACS",
    ),
    label("no_issuer", "no Issuer", "缺少 Issuer"),
    label("replayed_request", "replayed request", "重放的请求"),
    label("no_saml_request", "no SAMLRequest", "缺少 SAMLRequest"),
    label(
        "relay_state_not_allowed",
        "RelayState not allowed",
        "RelayState 不允许",
    ),
    label("request_too_large", "request too large", "请求过大"),
    label("headers_too_large", "headers too large", "请求头过大"),
    label("uri_too_long", "address too long", "地址过长"),
    label("rate_limited", "rate limited", "请求过于频繁"),
    label("too_many_failures", "too many failures", "失败次数过多"),
    label(
        "too_many_logins_from_ip",
        "too many sign-ins from one IP",
        "同一 IP 登录过多",
    ),
    label(
        "login_states_full",
        "too many unfinished sign-ins",
        "未完成的登录过多",
    ),
    label("timeout", "request timed out", "请求超时"),
    label("internal_error", "internal error", "内部错误"),
    label(DATABASE_UNAVAILABLE, "database unavailable", "数据库不可用"),
    label("not_found", "not found", "不存在"),
    label("query_malformed", "malformed query", "查询串格式错误"),
    label("base64_invalid", "invalid base64", "base64 无效"),
    label("inflate_failed", "could not inflate", "解压失败"),
    label(
        "inflated_too_large",
        "inflated request too large",
        "解压后请求过大",
    ),
    label(
        "relay_state_invalid",
        "invalid RelayState",
        "RelayState 无效",
    ),
    label("xml_refused", "XML refused", "XML 被拒绝"),
    label(
        "not_authn_request",
        "not an AuthnRequest",
        "不是 AuthnRequest",
    ),
    label(
        "version_not_2_0",
        "SAML version not 2.0",
        "SAML 版本不是 2.0",
    ),
    label("issuer_invalid", "invalid Issuer", "Issuer 无效"),
    label("signature_required", "signature required", "需要签名"),
    label(
        "embedded_signature_in_redirect",
        "embedded signature in Redirect",
        "Redirect 中含内嵌签名",
    ),
    label("id_invalid", "invalid ID", "ID 无效"),
    label(
        "issue_instant_invalid",
        "invalid IssueInstant",
        "IssueInstant 无效",
    ),
    label(
        "issue_instant_skew",
        "IssueInstant out of range",
        "IssueInstant 超出范围",
    ),
    label(
        "destination_missing",
        "Destination missing",
        "缺少 Destination",
    ),
    label(
        "destination_mismatch",
        "wrong Destination",
        "Destination 不符",
    ),
    label(
        "acs_index_and_url",
        "ACS index and URL both given",
        "同时给出 ACS 索引和地址",
    ),
    label("attribute_invalid", "invalid attribute", "属性无效"),
    label("acs_index_unknown", "unknown ACS index", "未知 ACS 索引"),
    label("acs_url_unknown", "unknown ACS URL", "未知 ACS 地址"),
    label(
        "acs_binding_unsupported",
        "unsupported ACS binding",
        "不支持的 ACS 绑定",
    ),
    label(
        "acs_no_post_endpoint",
        "no HTTP-POST ACS",
        "没有 HTTP-POST ACS",
    ),
    label(
        "acs_not_in_metadata",
        "ACS not in metadata",
        "ACS 不在元数据中",
    ),
    label(
        "redirect_query_malformed",
        "malformed Redirect query",
        "Redirect 查询串格式错误",
    ),
    label(
        "signature_algorithm_refused",
        "signature algorithm refused",
        "签名算法被拒绝",
    ),
    label("signature_sha1_refused", "SHA-1 refused", "拒绝 SHA-1"),
    label(
        "signature_structure_refused",
        "signature structure refused",
        "签名结构被拒绝",
    ),
    label(
        "signed_root_without_id",
        "signed element without ID",
        "被签名元素没有 ID",
    ),
    label("duplicate_id", "duplicate ID", "重复的 ID"),
    label(
        "signature_base64_invalid",
        "invalid signature base64",
        "签名 base64 无效",
    ),
    label(
        "canonicalization_failed",
        "canonicalization failed",
        "规范化失败",
    ),
    label("digest_mismatch", "digest mismatch", "摘要不符"),
    label("no_sp_certificate", "SP has no certificate", "SP 没有证书"),
    label("signature_invalid", "invalid signature", "签名无效"),
    label("sp_key_too_weak", "SP key too weak", "SP 密钥太弱"),
    label("crypto_error", "crypto error", "加密错误"),
    // console and API
    label("bad_form", "unreadable form", "表单无法读取"),
    label("bad_json", "unreadable JSON", "JSON 无法读取"),
    label("bad_base64", "invalid base64", "base64 无效"),
    label("unauthorized", "not signed in", "未登录"),
    label("csrf", "form not from this console", "表单不是来自本管理台"),
    label(
        "cross_origin",
        "request from another site",
        "来自其他网站的请求",
    ),
    label("bad_request", "bad request", "请求有误"),
    label(
        "unsupported_media_type",
        "unsupported content type",
        "不支持的内容类型",
    ),
    label("invalid_filter", "invalid filter", "筛选条件无效"),
    label("demo_sp_refused", "demo app refused", "演示应用拒绝"),
    label(
        "rules_unknown_in_wecom",
        "a name WeCom does not know",
        "企业微信中没有该名称",
    ),
    label(
        "wecom_unreadable",
        "WeCom could not be read",
        "无法读取企业微信",
    ),
    // SCIM provisioning: a change sent to an app (the result says how it ended), and its token set or cleared.
    label(
        "scim_create_user",
        "SCIM: create the user",
        "SCIM：创建用户",
    ),
    label(
        "scim_update_user",
        "SCIM: update the user",
        "SCIM：更新用户",
    ),
    label(
        "scim_deactivate_user",
        "SCIM: deactivate the user",
        "SCIM：停用用户",
    ),
    label(
        "scim_put_group",
        "SCIM: create or change the group",
        "SCIM：创建或更改组",
    ),
    label("scim_token_set", "SCIM token set", "已设置 SCIM 令牌"),
    label(
        "scim_token_cleared",
        "SCIM token cleared",
        "已清除 SCIM 令牌",
    ),
    // The SP's answer to a back-channel (SOAP) logout, per app in the member_left row.
    label("not_xml", "the answer is not XML", "应答不是 XML"),
    label(
        "not_soap",
        "the answer is not a SOAP envelope",
        "应答不是 SOAP 信封",
    ),
    label(
        "soap_fault",
        "the SP answered a SOAP fault",
        "SP 返回 SOAP 错误",
    ),
    label(
        "not_logout_response",
        "the answer holds no LogoutResponse",
        "应答中没有 LogoutResponse",
    ),
    label(
        "wrong_in_response_to",
        "the answer is to another request",
        "应答对应的不是此请求",
    ),
    label(
        "wrong_issuer",
        "the answer comes from another issuer",
        "应答来自其他签发方",
    ),
    label(
        "status_not_success",
        "the SP did not log the member out",
        "SP 未能注销该成员",
    ),
];

/// Reasons made from a prefix and a binding key (`auto_email`, `ambiguous_mobile`).
const REASON_FAMILIES: &[Label] = &[
    label("auto_", "linked automatically by", "自动关联，依据"),
    label(
        "ambiguous_",
        "several accounts match by",
        "多个账号匹配，依据",
    ),
];

/// A field's refusal as the console says it. The domain writes one English message for every
/// surface (the CLI and the API print it as is); the console finds the entry by the field and a
/// phrase of that message, and shows the entry's sentence in the page's language beside the field
/// (the field keeps the typed value, so the sentence need not repeat it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldError {
    /// The form field (`""`: any field).
    pub field: &'static str,
    /// A phrase of the domain's English message that only this refusal has.
    pub phrase: &'static str,
    /// What the console says.
    pub say: Tx,
}

const fn fe(
    field: &'static str,
    phrase: &'static str,
    en: &'static str,
    zh: &'static str,
) -> FieldError {
    FieldError {
        field,
        phrase,
        say: tx(en, zh),
    }
}

/// The refusals of the app settings form and of the account form, each in its own words.
pub const FIELD_ERRORS: &[FieldError] = &[
    // App settings.
    fe("nameid_format", "use unspecified, email, persistent or transient",
        "Choose one of the NameID formats in the list.",
        "请从列表中选择一种 NameID 格式。"),
    fe("encryption_method", "use aes256-gcm, aes128-gcm",
        "Choose one of the ciphers in the list.",
        "请从列表中选择一种加密算法。"),
    fe("provision", "use scim or none",
        "Choose scim or none.",
        "请选择 scim 或 none。"),
    fe("provision_groups", "use departments, tags or none",
        "Choose departments, tags or none.",
        "请选择 departments（部门）、tags（标签）或 none（不推送组）。"),
    fe("scim_group_update", "use put or patch",
        "Choose put or patch.",
        "请选择 put 或 patch。"),
    fe("scim_url", "use an https URL",
        "The SCIM URL must be https (http only to this machine's loopback address).",
        "SCIM 地址须为 https（仅本机回环地址可用 http）。"),
    fe("scim_url", "put no credentials in the URL",
        "Put no user name or password in the SCIM URL: the token is given separately.",
        "SCIM 地址中不要包含用户名或密码：令牌单独提供。"),
    fe("scim_url", "has no query or fragment",
        "The SCIM base URL has no ?query or #fragment: give the address /Users and /Groups hang under.",
        "SCIM 基础地址不含 ?查询 或 #片段：请填写 /Users 与 /Groups 所在的地址。"),
    fe("scim_url", "not a URL",
        "The SCIM URL is not a URL: give the app's SCIM base address, e.g. https://scim.example.com/scim/v2.",
        "SCIM 地址格式不对：请填写应用的 SCIM 基础地址，例如 https://scim.example.com/scim/v2。"),
    fe("", "scim needs scim_url",
        "SCIM provisioning needs the app's SCIM base URL (scim_url).",
        "SCIM 同步需要应用的 SCIM 基础地址（scim_url）。"),
    fe("", "NameID is a random value the provisioned user cannot carry",
        "With SCIM provisioning the user name pushed to the app is its NameID: a persistent or transient NameID is random and can never match. Choose NameID format unspecified or email, or turn provisioning off.",
        "启用 SCIM 同步时，推送给应用的用户名就是它收到的 NameID；持久或临时 NameID 是随机值，永远无法对应。请选择 NameID 格式“未指定”或“邮箱地址”，或关闭同步。"),
    fe("", "would have the same userName",
        "With SCIM provisioning the NameID source cannot be a constant: every user would have the same name.",
        "启用 SCIM 同步时，NameID 来源不能是常量：否则所有用户同名。"),
    fe("", "known only at sign-in, so the SCIM userName",
        "With SCIM provisioning the NameID template cannot use {relay_state}, which is known only at sign-in.",
        "启用 SCIM 同步时，NameID 模板不能使用仅在登录时才知道的 {relay_state}。"),
    fe("", "a department is not a user name",
        "With SCIM provisioning the NameID source must be a member field (userid, email, alias …), not departments.",
        "启用 SCIM 同步时，NameID 来源须是成员信息（userid、邮箱、别名等），不能是部门。"),
    fe("", "has no encryption certificate",
        "The app's SP metadata has no encryption certificate: import the SP's metadata with its encryption certificate first, or leave encryption off.",
        "该应用的 SP 元数据中没有加密证书：请先导入带有加密证书的 SP 元数据，或保持加密关闭。"),
    fe("", "no encryption certificate of the SP's metadata can be used",
        "No encryption certificate in the app's SP metadata can be used (RSA of at least 2048 bits is needed): import other metadata, or leave encryption off.",
        "该应用 SP 元数据中的加密证书都无法使用（需要至少 2048 位的 RSA 证书）：请导入其他元数据，或保持加密关闭。"),
    fe("", "is not true or false",
        "Choose on or off.",
        "请选择开启或关闭。"),
    fe("", "unknown attribute source",
        "Unknown source: use userid, name, email, mobile, alias, position, department_ids, department_names, employee_no, username, const:VALUE or template:TEXT.",
        "未知的数据来源：请使用 userid、name、email、mobile、alias、position、department_ids、department_names、employee_no、username、const:固定值 或 template:模板。"),
    fe("", "needs a name of 1–256 characters",
        "Each attribute needs a name of 1 to 256 characters: write SOURCE=NAME, separated by commas.",
        "每个属性的名称为 1 到 256 个字符：写成 来源=名称，多个属性用逗号分隔。"),
    fe("attribute", "expected NAME=SOURCE",
        "Write NAME=SOURCE.",
        "请写成 名称=来源。"),
    fe("", "` without `{`",
        "A template has a } without its {: write variables as {name}.",
        "模板中有“}”却没有对应的“{”：变量请写成 {name}。"),
    fe("", "` without `}`",
        "A template has a { without its }: write variables as {name}.",
        "模板中有“{”却没有对应的“}”：变量请写成 {name}。"),
    fe("", "is not a variable name",
        "A template variable is a name of a-z, 0-9 and _ between { and }.",
        "模板变量是写在 { 和 } 之间、由 a-z、0-9 和 _ 组成的名称。"),
    fe("", "a template is at most",
        "The template is too long.",
        "模板太长。"),
    fe("relay_state", "at most 80 bytes",
        "At most 80 bytes (the SAML bindings allow no more).",
        "最多 80 字节（SAML 绑定规范不允许更长）。"),
    fe("relay_state", "must be an https URL on",
        "Give an https address on one of the app's allowed domains.",
        "请填写该应用允许的域名上的 https 地址。"),
    fe("access", "must be user:USERID",
        "Write rules as user:USERID, dept:DEPARTMENT_ID, group:NAME, tag:ID or tag:NAME separated by ;, or the whole value default, everyone or none.",
        "规则写成 user:成员账号、dept:部门 ID、group:分组名、tag:标签 ID 或 tag:标签名，用分号分隔；或整项填写 default、everyone 或 none。"),
    fe("", "a tag ID is a positive number",
        "A tag ID is a positive number.",
        "标签 ID 是正整数。"),
    fe("", "tag name has at most 32 characters",
        "A WeCom tag name has at most 32 characters.",
        "企业微信的标签名最多 32 个字符。"),
    fe("role_rules", "no `=` between the condition and the roles",
        "A rule needs = between its condition and its roles, e.g. user:zhangsan=Admin.",
        "规则的条件和角色之间需要“=”，例如 user:zhangsan=Admin。"),
    fe("role_rules", "the condition needs a kind",
        "A condition starts with its kind: user:, dept:, position: or tag:.",
        "条件以类型开头：user:、dept:、position: 或 tag:。"),
    fe("role_rules", "the condition has no value",
        "A condition needs a value after its kind.",
        "条件的类型后面需要填写值。"),
    fe("role_rules", "a department is its numeric WeCom ID",
        "A department is given by its numeric WeCom ID.",
        "部门请填写企业微信中的数字部门 ID。"),
    fe("role_rules", "unknown kind",
        "Unknown kind of condition: use user:, dept:, position: or tag:.",
        "未知的条件类型：请使用 user:、dept:、position: 或 tag:。"),
    fe("role_rules", "no role after `=`",
        "Give at least one role after =.",
        "“=”后面至少填写一个角色。"),
    fe("role_rules", "no role after `ACCOUNT:`",
        "Give a role after the account, e.g. 111122223333:Admin.",
        "账号后面需要填写角色，例如 111122223333:Admin。"),
    fe("", "names an account, but",
        "This cloud console takes one account per app: write roles without an account, and add one app per account.",
        "该云控制台每个应用只对应一个账号：角色前不要写账号，请为每个账号分别添加应用。"),
    fe("", "which is neither the app's account_id nor listed in accounts",
        "The role is in an account that is not the app's own: list that account under Other accounts.",
        "该角色所在的账号不是本应用的账号：请把该账号填入“其他账号”。"),
    fe("role_rules", "write ACCOUNT:ROLE with the account ID in digits",
        "A role in another account is written ACCOUNT:ROLE, the account ID in digits before the colon.",
        "其他账号中的角色写成“账号:角色”，冒号前是数字账号 ID。"),
    fe("role_rules", "account in `",
        "The account before the colon is not an account ID of this cloud (see the app's account ID for its length).",
        "冒号前的账号不是该云的账号 ID（长度请参照本应用的账号 ID）。"),
    fe("accounts", "is the app's own account_id",
        "The app's own account is already its account ID: list only the other accounts.",
        "本应用自己的账号已是其账号 ID：这里只填其他账号。"),
    fe("accounts", "is listed twice",
        "Each account once.",
        "每个账号只能填写一次。"),
    fe("accounts", "an account ID is 1–32 digits",
        "Write accounts as ACCOUNT_ID or ACCOUNT_ID:PROVIDER_NAME separated by commas; an account ID is digits.",
        "账号写成“账号ID”或“账号ID:身份提供商名称”，用逗号分隔；账号 ID 为数字。"),
    fe("accounts", "no provider name after",
        "Give the identity provider's name after the colon, or leave out the colon.",
        "冒号后请填写身份提供商名称，或去掉冒号。"),
    fe("accounts", "a provider name is at most 128",
        "A provider name has at most 128 characters, without spaces, braces, colons or commas.",
        "身份提供商名称最多 128 个字符，不能包含空格、花括号、冒号或逗号。"),
    fe("accounts", "add one app per",
        "This cloud console takes one account per app: leave this empty and add one app per account.",
        "该云控制台每个应用只对应一个账号：请留空，并为每个账号分别添加应用。"),
    fe("accounts", "must be",
        "An account here is the console's account ID in digits, as long as the app's own account ID.",
        "这里的账号是该云控制台的数字账号 ID，长度与本应用的账号 ID 相同。"),
    fe("accounts", "provider_name",
        "The identity provider's name breaks the console's naming rule (letters, digits and the marks it allows).",
        "身份提供商名称不符合控制台的命名规则（字母、数字及其允许的符号）。"),
    fe("role_mode", "use first or union",
        "Choose the first matching rule or all matching rules.",
        "请选择“第一条匹配的规则”或“所有匹配的规则”。"),
    fe("session_name_source", "use userid, email, alias, name or mobile",
        "The session name comes from userid, email, alias, name or mobile.",
        "会话名称只能来自 userid、email、alias、name 或 mobile。"),
    fe("session_name_source", "sends no RoleSessionName",
        "This app sends no session name (only role presets do).",
        "此应用不发送会话名称（只有角色类预设才发送）。"),
    fe("", "a parameter name is 1–32 characters",
        "A parameter name is 1 to 32 characters of a-z, 0-9 and _.",
        "参数名为 1 到 32 个字符：小写字母 a-z、数字和 _。"),
    fe("relay_state_allow", "contains a space, a backslash or a control character",
        "An entry cannot hold a space, a backslash or a control character.",
        "条目中不能有空格、反斜杠或控制字符。"),
    fe("relay_state_allow", "is not a valid URL",
        "An entry is not a valid URL: give e.g. https://console.example.com/.",
        "某个条目不是有效的 URL：请填写例如 https://console.example.com/。"),
    fe("relay_state_allow", "a URL entry is an http:// or https:// address with a host",
        "A URL entry is an http:// or https:// address with a host.",
        "URL 条目必须是带主机名的 http:// 或 https:// 地址。"),
    fe("relay_state_allow", "a user name or password is not allowed",
        "A URL entry cannot hold a user name or password.",
        "URL 条目中不能包含用户名或密码。"),
    fe("relay_state_allow", "give the scheme, host and path only",
        "Give the scheme, host and path only (no ? or #).",
        "只填写协议、主机和路径（不要 ? 或 #）。"),
    fe("relay_state_allow", "starts with //",
        "An entry starting with // names another host: give a full https:// URL.",
        "以 // 开头的条目指向另一个主机：请填写完整的 https:// 地址。"),
    fe("", "cannot both be false",
        "The Response and the assertion cannot both be unsigned: turn on at least one.",
        "Response 和断言不能都不签名：请至少开启一项。"),
    fe("", "unknown setting",
        "This app has no such setting.",
        "应用没有这个设置项。"),
    // Accounts.
    fe("username", "username must be 1–64 characters",
        "A username is 1 to 64 characters.",
        "用户名为 1 到 64 个字符。"),
    fe("", "an account named",
        "An account with this username already exists: choose another username.",
        "已有同名的账号：请换一个用户名。"),
    fe("", "to another account; unbind it first",
        "This WeCom member is bound to another account: unbind it there first.",
        "该企业微信成员已绑定到另一个账号：请先在那里解除绑定。"),
    fe("", "unbind first)",
        "This account is bound to a WeCom member already: unbind it first.",
        "此账号已绑定企业微信成员：请先解除绑定。"),
    fe("userid", "a WeCom userid is 1 to 64 letters",
        "A WeCom userid is 1 to 64 letters, digits, _, -, . or @ (the account column of the WeCom address book).",
        "企业微信账号为 1 到 64 个字母、数字、_、-、. 或 @（企业微信通讯录中的“账号”一栏）。"),
    fe("", "no commas, quotes or control characters",
        "No commas, quotes or control characters (they would break the CSV export).",
        "不能包含逗号、引号或控制字符（它们会破坏 CSV 导出）。"),
    fe("", "at most 64 characters",
        "At most 64 characters.",
        "最多 64 个字符。"),
    fe("", "at most 128 characters",
        "At most 128 characters.",
        "最多 128 个字符。"),
    fe("", "at most 254 characters",
        "At most 254 characters.",
        "最多 254 个字符。"),
    fe("email", "has no @",
        "An email address has an @.",
        "邮箱地址需要包含 @。"),
    fe("mobile", "digits, `+`, `-` and spaces only",
        "Digits, +, - and spaces only, at most 32 (e.g. +86 13800000000).",
        "只能包含数字、+、- 和空格，最多 32 个字符（例如 +86 13800000000）。"),
    fe("groups", "give each group separately",
        "A group name cannot hold a ;: give each group separately.",
        "分组名中不能有“;”：请逐个填写分组。"),
    fe("status", "must be active or disabled",
        "Choose active or disabled.",
        "请选择启用或停用。"),
    fe("", "the header must be",
        "The first line must be the header username,display_name,email,mobile,employee_no,status.",
        "第一行必须是表头 username,display_name,email,mobile,employee_no,status。"),
    fe("", "cells, expected 6",
        "A line has 6 cells: username,display_name,email,mobile,employee_no,status.",
        "每行应有 6 个单元格：username,display_name,email,mobile,employee_no,status。"),
    fe("", "appears twice",
        "This username appears on an earlier line too.",
        "此用户名在前面的行中已经出现过。"),
    fe("file", "choose a CSV file or paste its lines",
        "Choose a CSV file or paste its lines.",
        "请选择 CSV 文件或粘贴其内容。"),
    fe("file", "is not UTF-8",
        "The CSV file is not UTF-8: save it as UTF-8.",
        "CSV 文件不是 UTF-8 编码：请另存为 UTF-8。"),
    fe("password", "the password must be at least",
        "The password is too short: at least 8 characters.",
        "密码太短：至少 8 个字符。"),
];

/// The console's sentence for the refusal `message` of `field`, when the catalogue has it.
pub fn field_error(field: &str, message: &str) -> Option<Tx> {
    FIELD_ERRORS
        .iter()
        .find(|e| (e.field.is_empty() || e.field == field) && message.contains(e.phrase))
        .map(|e| e.say)
}

/// The console's sentence for a refusal whose field is not known (a line of a CSV import names
/// its line, not its field).
pub fn any_field_error(message: &str) -> Option<Tx> {
    FIELD_ERRORS
        .iter()
        .find(|e| message.contains(e.phrase))
        .map(|e| e.say)
}

fn find(list: &'static [Label], code: &str) -> Option<Tx> {
    list.iter().find(|l| l.code == code).map(|l| l.label)
}

/// The label of an audit result in `lang`.
pub fn result_label(result: AuditResult, lang: Lang) -> &'static str {
    result_text(result).get(lang)
}

/// The label of an audit event in `lang`.
pub fn event_label(kind: AuditKind, lang: Lang) -> &'static str {
    event_text(kind).get(lang)
}

/// The label of an audit reason: an entry, a family (`auto_email` → "linked automatically by
/// email"), or the code itself (a SAML status such as `NoPassive`).
pub fn reason_label(code: &str, lang: Lang) -> String {
    if let Some(t) = find(REASONS, code) {
        return t.get(lang).to_string();
    }
    for f in REASON_FAMILIES {
        if let Some(key) = code.strip_prefix(f.code).filter(|k| !k.is_empty()) {
            return format!("{} {key}", f.label.get(lang));
        }
    }
    code.to_string()
}

/// Whether `code` has a reason label (an entry or a family).
pub fn has_reason(code: &str) -> bool {
    find(REASONS, code).is_some()
        || REASON_FAMILIES
            .iter()
            .any(|f| code.strip_prefix(f.code).is_some_and(|k| !k.is_empty()))
}

/// Whether `code` is an audit event (every event has a label).
pub fn has_event(code: &str) -> bool {
    AuditKind::from_word(code).is_some()
}

/// Every text of the catalogue with where it comes from, for the test that every one has both
/// languages.
pub fn all() -> Vec<(String, Tx)> {
    let mut out = Vec::new();
    for p in MEMBER_PAGES {
        out.push((format!("page {} title", p.key), p.title));
        out.push((format!("page {} sentence", p.key), p.sentence));
    }
    let b = BIND_PAGE;
    for (name, t) in [
        ("title", b.title),
        ("intro", b.intro),
        ("username", b.username),
        ("password_legend", b.password_legend),
        ("password", b.password),
        ("password_button", b.password_button),
        ("code_legend", b.code_legend),
        ("code", b.code),
        ("code_button", b.code_button),
        ("create_button", b.create_button),
        ("wrong_proof", b.wrong_proof),
        ("taken", b.taken),
    ] {
        out.push((format!("bind page {name}"), t));
    }
    for (name, t) in [
        ("signed out title", SIGNED_OUT_TITLE),
        ("signed out sentence", SIGNED_OUT_SENTENCE),
        ("signed out partial", SIGNED_OUT_PARTIAL),
        ("signed out no return", SIGNED_OUT_NO_RETURN),
        ("logout progress title", LOGOUT_PROGRESS_TITLE),
        ("logout progress sentence", LOGOUT_PROGRESS_SENTENCE),
        ("oidc logout confirm title", OIDC_LOGOUT_CONFIRM_TITLE),
        ("oidc logout confirm sentence", OIDC_LOGOUT_CONFIRM_SENTENCE),
        ("oidc logout confirm button", OIDC_LOGOUT_CONFIRM_BUTTON),
    ] {
        out.push((name.into(), t));
    }
    out.push(("post form title".into(), POST_FORM_TITLE));
    out.push(("post form button".into(), POST_FORM_BUTTON));
    for p in DIRECTORY_PROBLEMS {
        out.push((format!("directory {} title", p.key), p.title));
        out.push((format!("directory {} fix", p.key), p.fix));
    }
    for r in AuditResult::ALL {
        out.push((format!("result {r}"), result_text(*r)));
    }
    for k in AuditKind::ALL {
        out.push((format!("event {k}"), event_text(*k)));
    }
    for (kind, list) in [("reason", REASONS), ("reason family", REASON_FAMILIES)] {
        for l in list {
            out.push((format!("{kind} {}", l.code), l.label));
        }
    }
    for e in FIELD_ERRORS {
        out.push((format!("field error {} `{}`", e.field, e.phrase), e.say));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_fall_back_to_families_then_the_code() {
        assert_eq!(reason_label("wecom_config", Lang::Zh), "企业微信配置错误");
        assert_eq!(
            reason_label("auto_email", Lang::En),
            "linked automatically by email"
        );
        assert_eq!(
            reason_label("ambiguous_mobile", Lang::Zh),
            "多个账号匹配，依据 mobile"
        );
        assert_eq!(reason_label("NoPassive", Lang::En), "NoPassive");
        assert!(has_reason("auto_userid") && !has_reason("auto_") && !has_reason("nope"));
        assert_eq!(
            event_label(AuditKind::TokenRevoke, Lang::Zh),
            "吊销 API 令牌"
        );
        assert_eq!(result_label(AuditResult::Refused, Lang::Zh), "拒绝");
        assert_eq!(result_label(AuditResult::Pending, Lang::En), "pending");
        assert!(has_event("wecom_check") && !has_event("settings_change"));
    }
}

/// The texts of the OIDC consent page, where a member allows or denies what a client will receive.
#[derive(Debug, Clone, Copy)]
pub struct ConsentPage {
    /// The headline.
    pub title: Tx,
    /// Before the client's name: "… wants to sign you in and receive:".
    pub intro: Tx,
    /// Always: the member's identifier.
    pub openid: Tx,
    /// `profile`: name and username.
    pub profile: Tx,
    /// `email`.
    pub email: Tx,
    /// `phone`.
    pub phone: Tx,
    /// `groups`: roles and departments.
    pub groups: Tx,
    /// Allow.
    pub allow: Tx,
    /// Deny.
    pub deny: Tx,
    /// Under the buttons: the answer is remembered.
    pub remembered: Tx,
}

/// The consent page.
pub const CONSENT_PAGE: ConsentPage = ConsentPage {
    title: tx("Allow this app?", "允许此应用？"),
    intro: tx(
        "wants to sign you in and receive:",
        "请求为你登录，并获取：",
    ),
    openid: tx("An identifier for you", "你的标识"),
    profile: tx("Your name and username", "你的姓名和用户名"),
    email: tx("Your email address", "你的邮箱地址"),
    phone: tx("Your mobile number", "你的手机号"),
    groups: tx("Your roles and departments", "你的角色和部门"),
    allow: tx("Allow", "允许"),
    deny: tx("Deny", "拒绝"),
    remembered: tx(
        "If you allow, the app is not asked about again until it wants more.",
        "允许后，除非应用请求更多信息，否则下次不再询问。",
    ),
};
