// Copy buttons: <button class="copy" data-copy="ELEMENT_ID"> copies that element's text (or value).
// Progressive enhancement only: every value is also shown as text to select by hand.
document.addEventListener("click", function (ev) {
  var b = ev.target.closest ? ev.target.closest("button.copy") : null;
  if (!b) { return; }
  var el = document.getElementById(b.getAttribute("data-copy"));
  if (!el) { return; }
  var text = el.value !== undefined && el.tagName !== "CODE" ? el.value : el.textContent;
  // Green only when the clipboard took the text; otherwise say so, and the value stays selectable.
  var done = function () {
    b.classList.remove("failed"); b.classList.add("done"); b.setAttribute("data-copied", text);
  };
  var failed = function () {
    b.classList.remove("done"); b.classList.add("failed");
    b.setAttribute("data-copy-failed", "1");
    var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
    b.textContent = zh ? "复制失败，请手动复制" : "Copy failed: select and copy by hand";
    if (window.getSelection && document.createRange && el.tagName === "CODE") {
      var r = document.createRange(); r.selectNodeContents(el);
      var s = window.getSelection(); s.removeAllRanges(); s.addRange(r);
    } else if (el.select) { el.select(); }
  };
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(text).then(done, failed);
  } else {
    failed();
  }
});
// Forms with data-confirm ask before submitting (deleting an app, retiring a key).
document.addEventListener("submit", function (ev) {
  var msg = ev.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) { ev.preventDefault(); }
});
// The rule picker (app settings): Add puts the chosen tokens into the rule's text box here, without
// a round trip; without JavaScript the same button asks the server, which shows the form again.
document.addEventListener("click", function (ev) {
  var b = ev.target.closest ? ev.target.closest("#pick-add") : null;
  if (!b) { return; }
  var val = function (id) { var el = document.getElementById(id); return el ? el.value.trim() : ""; };
  var target = val("pick-target");
  var box = document.getElementById("setting-" + target);
  var live = document.getElementById("pick-live");
  if (!box || box.readOnly || !live) { return; }
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
  var tokens = [];
  if (val("pick-dept")) { tokens.push("dept:" + val("pick-dept")); }
  if (val("pick-tag")) { tokens.push("tag:" + val("pick-tag")); }
  if (val("pick-user")) { tokens.push("user:" + val("pick-user")); }
  ev.preventDefault();
  if (!tokens.length) {
    live.textContent = zh ? "请先选择部门、标签或成员。" : "Choose a department, a tag or a member first.";
    return;
  }
  if (target === "role_rules") {
    var role = val("pick-role");
    if (!role || /[;|]/.test(role)) {
      live.textContent = zh ? "请填写这些成员获得的角色（不能包含 ; 或 |）。" : "Type the role these members get (no ; or |).";
      document.getElementById("pick-role").focus();
      return;
    }
    tokens = tokens.map(function (t) { return t + "=" + role; });
  }
  var cur = box.value.trim().replace(/;+$/, "");
  var whole = target === "access" && /^(default|everyone|none)?$/.test(cur);
  box.value = (whole || !cur ? "" : cur + ";") + tokens.join(";");
  ["pick-dept", "pick-tag", "pick-user"].forEach(function (id) {
    var el = document.getElementById(id); if (el) { el.selectedIndex = 0; }
  });
  live.textContent = (zh ? "已添加 " + tokens.join("、") + "。请保存设置使其生效。"
    : "Added " + tokens.join(", ") + ". Save the settings to keep it.");
});
// Enter in the member search finds members (the form's first button would save instead).
document.addEventListener("keydown", function (ev) {
  if (ev.key !== "Enter" || !ev.target || ev.target.id !== "pick-q") { return; }
  var find = document.getElementById("pick-find");
  if (find) { ev.preventDefault(); find.click(); }
});
// The member search finds as you type, after a pause: the same request as the Find button (which
// still works without JavaScript), its member list and message put into this page.
(function () {
  var timer = null, asked = 0;
  document.addEventListener("input", function (ev) {
    if (!ev.target || ev.target.id !== "pick-q") { return; }
    var q = ev.target, find = document.getElementById("pick-find");
    if (!find || !find.form || !window.fetch) { return; }
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (!q.value.trim()) { return; }
      var body = new URLSearchParams(new FormData(find.form));
      body.set("pick", "find");
      var mine = ++asked;
      fetch(find.getAttribute("formaction").split("#")[0], {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" }
      }).then(function (r) { return r.text(); }).then(function (html) {
        if (mine !== asked) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var from = doc.getElementById("pick-user"), to = document.getElementById("pick-user");
        if (!from || !to) { return; }
        to.innerHTML = from.innerHTML;
        var live = document.getElementById("pick-live");
        var said = doc.querySelector("#picker-problem, #picker-error, #picker-notice");
        var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
        var n = to.options.length - 1;
        if (live) {
          live.textContent = said ? said.textContent
            : (zh ? "找到 " + n + " 名成员：请在“成员”中选择。" : "Found " + n + " member(s): choose one under Member.");
        }
      }).catch(function () { /* the Find button still asks the server */ });
    }, 350);
  });
})();
// A page showing a client secret answers a POST: its address becomes the client's page, so a
// reload asks for that page (no secret) instead of sending the form again.
(function () {
  var card = document.getElementById("secret-card");
  var url = card && card.getAttribute("data-replace-url");
  if (url && window.history && history.replaceState) { history.replaceState(null, "", url); }
})();
