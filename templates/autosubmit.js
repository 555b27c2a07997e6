// Submits the SAML POST form as soon as the page loads; the button does the same with JavaScript off.
(function () {
  var f = document.getElementById("saml-post");
  if (f) { f.submit(); }
})();
