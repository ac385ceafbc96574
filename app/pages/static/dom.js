// Small DOM helpers shared by the page's components (status grid, timeline).
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
    /** A new element with a class and a text (always text, never HTML). */
    el(tag, cls, text) {
      const node = document.createElement(tag);
      if (cls) node.className = cls;
      if (text !== undefined) node.textContent = text;
      return node;
    },
  };
})();
