/* ArkID v1 sent invitation links to its single-page app: /#/oneid/activate?key=K.
   The browser keeps that fragment across the redirect to /login/, where this script
   forwards it to the server-rendered activation page. Nothing else is read. */
(function () {
  "use strict";
  var match = /^#\/oneid\/activate\?(.*)$/.exec(window.location.hash || "");
  if (!match) {
    return;
  }
  var key = new URLSearchParams(match[1]).get("key");
  if (key) {
    window.location.replace("/activate/?key=" + encodeURIComponent(key));
  }
})();
