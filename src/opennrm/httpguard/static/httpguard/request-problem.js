/* Says why a request of this page failed (htmx 2), so that a click never seems to do nothing.
 *
 * htmx swaps no answer with an error status (its default responseHandling: 4xx and 5xx are
 * not swapped) and nothing at all when the server cannot be reached: the form, and what was
 * typed in it, stay as they were, and this script only says what happened. The sentences,
 * in the reader's language, are rendered by the server into #request-problem's data-*
 * attributes (httpguard/_request_problem.html); the sentence goes into that box's
 * aria-live="assertive" paragraph, which screen readers announce at once. Loaded from
 * web/base.html; no inline script or style (the CSP forbids both). */
(function () {
  "use strict";

  var BY_STATUS = { 401: "refused", 403: "refused", 404: "notFound", 413: "tooLarge", 429: "tooMany", 503: "busy" };
  var failedFrom = null; // the element whose request failed last (its success clears the box)

  function box() {
    return document.getElementById("request-problem");
  }

  function hide() {
    var el = box();
    failedFrom = null;
    if (!el) return;
    el.classList.remove("shown");
    el.querySelector(".request-problem-text").textContent = "";
  }

  function show(kind, source) {
    var el = box();
    if (!el) return;
    var sentence = el.dataset[kind + "Text"] || el.dataset.serverText;
    var text = el.querySelector(".request-problem-text");
    failedFrom = source || null;
    el.classList.add("shown");
    if (text.textContent === sentence) {
      // the same sentence again (a second failed try): emptied first, so it is announced again
      text.textContent = "";
      window.setTimeout(function () { text.textContent = sentence; }, 50);
    } else {
      text.textContent = sentence;
    }
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail && event.detail.xhr;
    var status = xhr ? xhr.status : 0;
    show(BY_STATUS[status] || "server", event.detail && event.detail.elt);
  });
  // no answer at all (the server down, the network lost) or none in time
  document.addEventListener("htmx:sendError", function (event) {
    show("offline", event.detail && event.detail.elt);
  });
  document.addEventListener("htmx:timeout", function (event) {
    show("offline", event.detail && event.detail.elt);
  });
  // the same form or poll went through on a later try: the warning is out of date
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.successful && failedFrom && event.detail.elt === failedFrom) hide();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest(".request-problem-close")) hide();
  });
})();
