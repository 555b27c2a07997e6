// An app answered a sign-out inside the sign-out page's hidden frame: the whole page moves on to
// the next app at once instead of waiting for its timer. The link does the same without scripts.
(function () {
  var a = document.getElementById("slo-next");
  if (a && window.top) { window.top.location.replace(a.href); }
})();
