// Copy buttons: <button class="copy" data-copy="ELEMENT_ID"> copies that element's text (or value).
// Progressive enhancement only: every value is also shown as text to select by hand.
document.addEventListener("click", function (ev) {
  var b = ev.target.closest ? ev.target.closest("button.copy") : null;
  if (!b) { return; }
  var el = document.getElementById(b.getAttribute("data-copy"));
  if (!el) { return; }
  var text = el.value !== undefined && el.tagName !== "CODE" ? el.value : el.textContent;
  var done = function () { b.classList.add("done"); b.setAttribute("data-copied", text); };
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(text).then(done, done);
  } else {
    done();
  }
});
// Forms with data-confirm ask before submitting (deleting an app, retiring a key).
document.addEventListener("submit", function (ev) {
  var msg = ev.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) { ev.preventDefault(); }
});
