/* Progress on desk forms: once a form is sent, its button says "Working…" and cannot be pressed again until
   the next page arrives, since some actions (preparing copies, making the PDF, relaying) take a few seconds.
   Progressive enhancement: without this script every form works the same, only without the cue.
   A form or button may name its own words with data-progress="Making the copies…", or opt out with
   data-progress="none". */
(function () {
  "use strict";
  var GENERIC = "Working…";
  var status;

  function progressLabel(form, button) {
    return (button && button.getAttribute("data-progress")) || form.getAttribute("data-progress") || GENERIC;
  }

  function onSubmit(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return;
    if (form.getAttribute("aria-busy") === "true") {
      event.preventDefault(); // a second press would send the action twice
      return;
    }
    var button = event.submitter || form.querySelector("button[type=submit], button:not([type])");
    var label = progressLabel(form, button);
    if (label === "none") return;
    form.setAttribute("aria-busy", "true");
    if (button) {
      // Not `disabled`: a disabled button's name and value would be left out of what the form sends.
      button.setAttribute("data-label", button.innerHTML);
      button.setAttribute("aria-disabled", "true");
      button.textContent = label;
    }
    if (status) status.textContent = label;
  }

  // Back to a page the browser kept: its forms are idle again.
  function onPageShow(event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[aria-busy=true]").forEach(function (form) {
      form.removeAttribute("aria-busy");
      form.querySelectorAll("[data-label]").forEach(function (button) {
        button.innerHTML = button.getAttribute("data-label");
        button.removeAttribute("data-label");
        button.removeAttribute("aria-disabled");
      });
    });
    if (status) status.textContent = "";
  }

  function start() {
    // A polite live region, there before it speaks, so screen readers announce the progress words too.
    status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    document.body.appendChild(status);
  }

  document.addEventListener("submit", onSubmit);
  window.addEventListener("pageshow", onPageShow);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
