// Small helpers shared by the page's components (status grid, timeline): DOM and words.
(() => {
  "use strict";

  function host(id) {
    return document.getElementById("c" + id);
  }

  window.DashDom = {
    /** The container NiceGUI renders for element `id`. */
    host,
    /** Run fn(container) once element `id` exists (the page may still be mounting). */
    whenReady(id, fn, tries = 0) {
      const root = host(id);
      if (root) fn(root);
      else if (tries < 3000) setTimeout(() => DashDom.whenReady(id, fn, tries + 1), 20);
    },
    /** A length of time as people say it: "45 s", "12 min", "2 h 5 min", "3 d 4 h". */
    ageText(seconds) {
      const s = Math.max(0, seconds);
      if (s < 60) return `${Math.floor(s)} s`;
      const m = Math.floor(s / 60);
      if (m < 60) return `${m} min`;
      const h = Math.floor(m / 60);
      if (h < 24) return `${h} h ${m % 60} min`;
      return `${Math.floor(h / 24)} d ${h % 24} h`;
    },
    /** A new element with a class and a text (always text, never HTML). */
    el(tag, cls, text) {
      const node = document.createElement(tag);
      if (cls) node.className = cls;
      if (text !== undefined) node.textContent = text;
      return node;
    },
  };
})();
