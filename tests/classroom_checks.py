"""What a browser test checks on the kernel-free classroom page (the standalone file and the docs
site's page): the lesson steps with the keys, and every text label readable and apart.

The label check runs in the page: for each combination of controls it moves them as a student
would (setting a control and firing its event), then measures every text label of the two SVG
pictures (``getBoundingClientRect``, ``getComputedStyle``) and every text of the page.
"""

from __future__ import annotations

from typing import Any

#: the projector mode's promise: every text at least this many CSS px on a 1280x720 screen
PROJECTOR_MIN_PX = 18.0

#: run in the page: move the controls through `combos`, return what was measured
_SWEEP = """
([combos, minPx]) => {
  const root = document.getElementById("racesim-classroom");
  const set = (name, value, event) => {  // as a student would, and only what changes
    const input = root.querySelector(`[data-control="${name}"]`);
    if (input.value === String(value)) return;
    input.value = value;
    input.dispatchEvent(new Event(event, {bubbles: true}));
  };
  const grid = window.RACESIM_CLASSROOM.grid;
  const boxes = (sel) => Array.from(root.querySelectorAll(sel)).map((t) => {
    const r = t.getBoundingClientRect();
    return {text: t.textContent, l: r.left, r: r.right, t: r.top, b: r.bottom,
      px: parseFloat(getComputedStyle(t).fontSize)};
  });
  let checked = 0, smallest = Infinity, labels = 0;
  const overlaps = [], small = [];
  for (const [strategy, build, gap, sleep] of combos) {
    set("strategy", strategy, "change");
    set("build", grid.build.indexOf(build), "input");
    set("gap", grid.gap.indexOf(gap), "input");
    set("sleep", grid.sleep.indexOf(sleep), "input");
    const where = root.getAttribute("data-scene");
    for (const sel of ["svg.rc-timeline text", "svg.rc-bars text"]) {
      const b = boxes(sel).filter((x) => x.text.trim() !== "");
      labels += b.length;
      for (let i = 0; i < b.length; i++) {
        smallest = Math.min(smallest, b[i].px, b[i].b - b[i].t);
        if (minPx && (b[i].px < minPx || b[i].b - b[i].t < minPx)) {
          small.push([where, b[i].text, b[i].px, b[i].b - b[i].t]);
        }
        for (let j = i + 1; j < b.length; j++) {
          const w = Math.min(b[i].r, b[j].r) - Math.max(b[i].l, b[j].l);
          const h = Math.min(b[i].b, b[j].b) - Math.max(b[i].t, b[j].t);
          if (w > 0.5 && h > 0.5) { overlaps.push([where, b[i].text, b[j].text, w, h]); }
        }
      }
    }
    checked += 1;
  }
  // every other text of the page (lesson, controls, legend), as shown now
  const texts = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const parent = n.parentElement;
    if (!n.textContent.trim() || parent.closest("svg") || !parent.getClientRects().length) continue;
    texts.push([n.textContent.trim().slice(0, 40), parseFloat(getComputedStyle(parent).fontSize)]);
  }
  const pageSmall = minPx ? texts.filter((t) => t[1] < minPx) : [];
  return {checked, labels, smallest, overlaps: overlaps.slice(0, 10), overlapCount: overlaps.length,
    small: small.slice(0, 10).concat(pageSmall.slice(0, 10)), texts: texts.length};
}
"""


def sweep_labels(page: Any, combos: list[list[Any]], projector: bool) -> dict[str, Any]:
    """Move the page's controls through `combos` ([strategy, build, gap, sleep] each) and measure.

    Returns the number of combinations checked, the labels measured, the smallest font size or
    label height seen, the overlapping pairs (first ten) and their count, and the texts smaller
    than :data:`PROJECTOR_MIN_PX` (in projector mode only).
    """
    result: dict[str, Any] = page.evaluate(_SWEEP, [combos, PROJECTOR_MIN_PX if projector else 0])
    return result


def console_errors(page: Any) -> list[str]:
    """Start collecting the page's console errors and uncaught exceptions into a list."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def check_lesson_keys(page: Any, data: dict[str, Any]) -> None:
    """The clicker keys step the lesson; a prediction and the reveal show the computed answer."""
    root = page.locator("#racesim-classroom")
    steps = len(data["lesson"])
    page.locator("body").click(position={"x": 5, "y": 5})  # focus the page, not a control
    assert root.get_attribute("data-step") == "0"
    for key, step in (("ArrowRight", 1), ("PageDown", 2), ("ArrowLeft", 1), ("PageUp", 0)):
        page.keyboard.press(key)
        assert root.get_attribute("data-step") == str(step), key
    page.keyboard.press("PageUp")  # nothing before the first step
    assert root.get_attribute("data-step") == "0"
    for _ in range(steps + 2):  # nor after the last
        page.keyboard.press("ArrowRight")
    assert root.get_attribute("data-step") == str(steps - 1)
    # a step's question, a prediction, the reveal: the answer of the lesson data, the step's scene
    index = 1
    for _ in range(steps - 1 - index):
        page.keyboard.press("ArrowLeft")
    step = data["lesson"][index]
    assert page.locator(".rc-question").inner_text() == step["question"]
    assert not page.locator(".rc-result").is_visible()  # predict first
    wrong = next(c for c, _ in step["choices"] if c != step["answer"])
    page.click(f"button[data-choice='{wrong}']")
    page.click("button.rc-reveal")
    answer = page.locator(".rc-answer")
    assert answer.get_attribute("data-answer") == step["answer"]
    assert "Your prediction was different" in answer.inner_text()
    key = f"{step['strategy']}|{step['build']:g}|{step['gap']:g}|{step['sleep']:g}"
    assert root.get_attribute("data-scene") == key
    assert page.locator(".rc-verdict").inner_text().endswith(data["scenes"][key]["verdict"])
    assert page.locator("svg.rc-bars rect.rc-rate").count() == 2 * len(data["strategies"])
