// jitbf explore: linked highlighting between the source, the IR and the machine code.
//
// Every element carries the positions it stands for: a command `data-b` (its source byte),
// an IR instruction `data-i` (its index) with `data-s`/`data-e` (its source span), a header
// `data-ir`, a machine instruction `data-a`/`data-z` (the IR instructions a..z it implements).
// A selection is a set of IR instruction indices in the active level, plus the source bytes
// that were pointed at; everything that belongs to it gets the class `hl`.
"use strict";
(function () {
  const source = document.getElementById("source");
  const detail = document.getElementById("detail");
  let pinned = null; // the element clicked last, or null

  const level = () => document.querySelector(".level.on");
  const num = (el, name) => Number(el.dataset[name]);

  // The IR indices a pointed-at element stands for, and the source bytes it names.
  function selection(el) {
    const lv = level();
    if (el.classList.contains("c")) {
      const b = num(el, "b");
      const ops = [...lv.querySelectorAll(".op")]
        .filter((op) => num(op, "s") <= b && b < num(op, "e"))
        .map((op) => num(op, "i"));
      return { ops, bytes: [b] };
    }
    if (el.classList.contains("op")) return { ops: [num(el, "i")], bytes: [] };
    if (el.classList.contains("h") && el.dataset.ir !== undefined) {
      return { ops: [num(el, "ir")], bytes: [] };
    }
    if (el.classList.contains("ins")) {
      const ops = [];
      for (let i = num(el, "a"); i < num(el, "z"); i++) ops.push(i);
      return { ops, bytes: [], ins: el };
    }
    return null;
  }

  function clear() {
    document.querySelectorAll(".hl").forEach((e) => e.classList.remove("hl"));
  }

  // Lights up everything linked to `sel` in the active level and the source.
  function show(sel) {
    clear();
    if (!sel) return;
    const lv = level();
    const ops = new Set(sel.ops);
    const bytes = new Set(sel.bytes);
    lv.querySelectorAll(".op").forEach((op) => {
      if (!ops.has(num(op, "i"))) return;
      op.classList.add("hl");
      for (let b = num(op, "s"); b < num(op, "e"); b++) bytes.add(b);
    });
    lv.querySelectorAll(".h[data-ir]").forEach((h) => {
      if (ops.has(num(h, "ir"))) h.classList.add("hl");
    });
    lv.querySelectorAll(".ins").forEach((ins) => {
      for (let i = num(ins, "a"); i < num(ins, "z"); i++) {
        if (ops.has(i)) { ins.classList.add("hl"); return; }
      }
    });
    if (sel.ins) sel.ins.classList.add("hl");
    source.querySelectorAll(".c").forEach((c) => {
      if (bytes.has(num(c, "b"))) c.classList.add("hl");
    });
  }

  // Scrolls each pane to its first highlighted element, if it is out of view.
  function reveal() {
    const panes = [source, ...level().querySelectorAll(".scroll")];
    for (const pane of panes) {
      const first = pane.querySelector(".hl");
      if (!first) continue;
      const p = pane.getBoundingClientRect();
      const r = first.getBoundingClientRect();
      if (r.top < p.top || r.bottom > p.bottom) {
        pane.scrollTop += r.top - p.top - p.height / 3;
      }
    }
  }

  // The byte-by-byte encoding of an instruction, from its fields' titles.
  function explain(ins) {
    const fields = [...ins.querySelectorAll(".f")];
    if (!fields.length) { detail.textContent = ""; return; }
    const text = ins.querySelector(".t").textContent;
    detail.textContent = text + "\n" + fields
      .map((f) => f.textContent.padEnd(12) + " " + f.title)
      .join("\n");
  }

  const linked = (target) => target.closest(".c, .op, .h, .ins");

  document.addEventListener("mouseover", (ev) => {
    if (pinned) return;
    const el = linked(ev.target);
    show(el ? selection(el) : null);
  });
  document.addEventListener("click", (ev) => {
    if (ev.target.closest(".tab")) return;
    const el = linked(ev.target);
    if (pinned) pinned.classList.remove("pinned");
    if (!el || el === pinned) { pinned = null; show(null); return; }
    pinned = el;
    el.classList.add("pinned");
    show(selection(el));
    reveal();
    if (el.classList.contains("ins")) explain(el);
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.key !== "Escape") return;
    if (pinned) pinned.classList.remove("pinned");
    pinned = null;
    show(null);
  });
  document.querySelectorAll(".tab").forEach((tab) => {
    tab.addEventListener("click", () => {
      const id = tab.dataset.level;
      document.querySelectorAll(".tab").forEach((t) => t.classList.toggle("on", t === tab));
      document.querySelectorAll(".level").forEach((l) => l.classList.toggle("on", l.dataset.level === id));
      // Keep a pinned source selection across levels; anything else belongs to the old one.
      if (pinned && !pinned.classList.contains("c")) {
        pinned.classList.remove("pinned");
        pinned = null;
      }
      show(pinned ? selection(pinned) : null);
    });
  });
})();
