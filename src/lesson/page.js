// One lesson screen at a time: a question answered right shows why and the
// way on; a wrong answer shows why and stays. `#answers=b,51,a` answers the
// first questions on load (for links into the middle of a lesson, and for
// tests); window.lesson.answer(text) answers the current one.
"use strict";
(function () {
  const errors = document.getElementById("errors");
  window.addEventListener("error", (e) => {
    errors.textContent += "error: " + e.message + "\n";
    document.body.setAttribute("data-errors", "yes");
  });
  const screens = [...document.querySelectorAll("section.screen[data-answer]")];
  const done = document.getElementById("done");
  let current = 0, wrong = 0;

  function show(n) {
    current = n;
    screens.forEach((s, i) => { s.hidden = i !== n; });
    done.hidden = n < screens.length;
    if (n >= screens.length) {
      document.getElementById("summary").textContent =
        `${screens.length} steps, ${wrong} wrong attempt${wrong === 1 ? "" : "s"}.`;
    }
    document.getElementById("progress").textContent =
      n < screens.length ? `Step ${n + 1} of ${screens.length}` : "Done";
    document.body.setAttribute("data-screen", String(n + 1));
  }

  // Checks `reply` against the current screen's answer: a choice's letter or
  // its text, or the short answer, in any case.
  function answer(reply) {
    const screen = screens[current];
    if (!screen) return false;
    const expected = screen.dataset.answer;
    reply = String(reply).trim().toLowerCase();
    const choices = [...screen.querySelectorAll(".choice")];
    const chosen = choices.find((c) => c.dataset.reply === reply ||
      c.textContent.slice(3).toLowerCase() === reply);
    const right = chosen ? chosen.textContent.slice(3).toLowerCase() === expected : reply === expected;
    const feedback = screen.querySelector(".feedback");
    feedback.hidden = false;
    feedback.className = "feedback " + (right ? "right" : "wrong");
    feedback.textContent = right ? "Right." : "Not quite; try again.";
    screen.querySelector(".why").hidden = false;
    if (chosen) chosen.classList.add(right ? "right" : "wrong");
    if (right) {
      screen.setAttribute("data-answered", "yes");
      screen.querySelector(".next").hidden = false;
    } else wrong++;
    return right;
  }

  for (const screen of screens) {
    for (const c of screen.querySelectorAll(".choice")) {
      c.addEventListener("click", () => answer(c.dataset.reply));
    }
    const form = screen.querySelector("form.short");
    if (form) form.addEventListener("submit", (ev) => { ev.preventDefault(); answer(form.answer.value); });
    screen.querySelector(".next").addEventListener("click", () => show(current + 1));
  }

  window.lesson = {
    answer,
    next: () => show(current + 1),
  };

  show(0);
  const params = new URLSearchParams(location.hash.slice(1));
  for (const reply of (params.get("answers") || "").split(",").filter((r) => r !== "")) {
    const screen = screens[current];
    if (!screen) break;
    const choice = screen.querySelector(`.choice[data-reply="${CSS.escape(reply)}"]`);
    if (choice) choice.click(); else answer(reply);
    if (screen.dataset.answered === "yes") screen.querySelector(".next").click();
  }
  document.body.setAttribute("data-ready", "yes");
})();
