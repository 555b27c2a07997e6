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
