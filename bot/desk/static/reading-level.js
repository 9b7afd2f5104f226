// The live reading-level meter on the "prepare the answer" page: as staff type an English version, the
// server (textstat, the same measure the tests use) says its Flesch-Kincaid grade. Without this script the
// page still works: the level is shown after saving.
(() => {
  const script = document.currentScript;
  const url = script.dataset.url;
  const csrf = script.dataset.csrf;
  for (const box of document.querySelectorAll("textarea[data-reading]")) {
    const out = document.getElementById(box.dataset.live);
    let timer = null;
    box.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        try {
          const response = await fetch(url, {
            method: "POST", credentials: "same-origin",
            headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
            body: JSON.stringify({text: box.value, register: box.dataset.reading}),
          });
          if (!response.ok) return;
          const level = await response.json();
          out.textContent = level.grade === null ? "" :
            `As typed: grade ${level.grade} (aim: ${level.aim} or lower): ${level.word}`;
        } catch (e) { /* offline for a moment: the level shows after saving */ }
      }, 400);
    });
  }
})();
